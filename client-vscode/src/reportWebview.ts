// Report view: one webview per job/run, drawn from refactorcoder/jobReport (see reportHtml.ts). Every way to a
// report opens it (result lens, Show Report, the job-finished toast, History); Markdown is only an export.
import * as crypto from 'crypto';
import * as vscode from 'vscode';
import { ReportTarget } from './protocol';
import { JobReportPayload, reportHtml } from './reportHtml';

export class ReportWebview implements vscode.Disposable {
    private readonly panels = new Map<string, vscode.WebviewPanel>();

    constructor(private readonly fetch: (params: ReportTarget) => Promise<JobReportPayload>) {}

    async show(params: ReportTarget): Promise<void> {
        const data = await this.fetch(params);
        if (data.status === 'empty') {
            // Nothing was run on this function yet: say so instead of opening an empty page.
            void vscode.window.showInformationMessage(`RefactorCoder: ${data.error ?? 'no result for this function yet.'}`);
            return;
        }
        const key = String(data.runId ?? data.jobId ?? params.runId ?? params.jobId ?? params.uri);
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
