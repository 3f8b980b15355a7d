// refactorcoder/report → a virtual markdown document shown as a markdown preview.
import * as vscode from 'vscode';
import { ReportParams, ReportResult } from './protocol';
import { reportParams } from './views';

export const REPORT_SCHEME = 'refactorcoder-report';

export class ReportView implements vscode.TextDocumentContentProvider, vscode.Disposable {
    private readonly contents = new Map<string, string>();
    private readonly changed = new vscode.EventEmitter<vscode.Uri>();
    readonly onDidChange = this.changed.event;
    private counter = 0;

    constructor(private readonly request: (params: ReportParams) => Promise<ReportResult>) {}

    provideTextDocumentContent(uri: vscode.Uri): string {
        return this.contents.get(uri.toString()) ?? '';
    }

    async show(arg?: unknown): Promise<void> {
        const editor = vscode.window.activeTextEditor;
        const params = reportParams(
            arg,
            editor && editor.document.uri.scheme !== REPORT_SCHEME
                ? { uri: editor.document.uri.toString(), line: editor.selection.active.line, character: editor.selection.active.character }
                : undefined,
        );
        if (!params) {
            void vscode.window.showWarningMessage('RefactorCoder: open a file (or pick a run) to show its report.');
            return;
        }
        const { markdown } = await this.request(params);
        const name = 'runId' in params ? `run-${params.runId}` : `report-${++this.counter}`;
        const uri = vscode.Uri.from({ scheme: REPORT_SCHEME, path: `/${name}.md` });
        this.contents.set(uri.toString(), markdown);
        this.changed.fire(uri);
        const doc = await vscode.workspace.openTextDocument(uri);
        await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
        try {
            await vscode.commands.executeCommand('markdown.showPreview', uri);
        } catch {
            await vscode.window.showTextDocument(doc, { preview: true });
        }
    }

    dispose(): void {
        this.changed.dispose();
    }
}
