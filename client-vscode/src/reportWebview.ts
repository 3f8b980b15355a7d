// Report view: one webview per job/run, drawn from refactorcoder/jobReport (see reportHtml.ts).
import * as crypto from 'crypto';
import * as vscode from 'vscode';
import { JobReportPayload, reportHtml } from './reportHtml';

export class ReportWebview implements vscode.Disposable {
    private readonly panels = new Map<string, vscode.WebviewPanel>();

    constructor(private readonly fetch: (params: { jobId?: string; runId?: number | string }) => Promise<JobReportPayload>) {}

    async show(params: { jobId?: string; runId?: number | string }): Promise<void> {
        const data = await this.fetch(params);
        const key = String(data.runId ?? data.jobId ?? params.runId ?? params.jobId);
        let panel = this.panels.get(key);
        if (!panel) {
            panel = vscode.window.createWebviewPanel('refactorcoder.report', `RefactorCoder report · ${data.kind} ${data.function ?? ''}`.trim(),
                { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, { enableScripts: false });
            this.panels.set(key, panel);
            panel.onDidDispose(() => this.panels.delete(key));
        }
        panel.webview.html = reportHtml(data, crypto.randomBytes(16).toString('hex'), panel.webview.cspSource);
        panel.reveal();
    }

    dispose(): void {
        this.panels.forEach((p) => p.dispose());
    }
}
