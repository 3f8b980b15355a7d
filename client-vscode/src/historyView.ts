// History view: past runs of this workspace (server request refactorcoder/history), each opening its report.
import * as vscode from 'vscode';
import { HistoryRun } from './protocol';
import { historyIcon, historyLabel } from './views';

export class HistoryView implements vscode.TreeDataProvider<HistoryRun>, vscode.Disposable {
    private readonly changed = new vscode.EventEmitter<void>();
    readonly onDidChangeTreeData = this.changed.event;

    constructor(private readonly fetch: () => Promise<HistoryRun[] | undefined>) {}

    refresh(): void {
        this.changed.fire();
    }

    getTreeItem(run: HistoryRun): vscode.TreeItem {
        const { label, description } = historyLabel(run);
        const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
        item.description = description;
        item.tooltip = `${run.source}\n${run.verdict || run.status}`;
        item.iconPath = new vscode.ThemeIcon(historyIcon(run));
        item.command = { command: 'refactorcoder.openRun', title: 'Open Report', arguments: [run.runId] };
        item.contextValue = 'refactorcoderRun';
        return item;
    }

    async getChildren(element?: HistoryRun): Promise<HistoryRun[]> {
        if (element) return [];
        try {
            return (await this.fetch()) ?? [];
        } catch {
            return [];
        }
    }

    dispose(): void {
        this.changed.dispose();
    }
}
