// Status bar item: server state and the latest job.
import * as vscode from 'vscode';
import { JobFinishedParams } from './protocol';
import { jobText } from './views';

export class StatusBar implements vscode.Disposable {
    private readonly item = vscode.window.createStatusBarItem('refactorcoder.status', vscode.StatusBarAlignment.Left, 10);

    constructor() {
        this.item.name = 'RefactorCoder';
        this.item.command = 'refactorcoder.showLog';
        this.server('starting');
        this.item.show();
    }

    server(state: 'starting' | 'running' | 'stopped' | 'failed'): void {
        const icon = { starting: '$(sync~spin)', running: '$(pass)', stopped: '$(circle-slash)', failed: '$(error)' }[state];
        this.item.text = `${icon} RefactorCoder`;
        this.item.tooltip = `RefactorCoder server: ${state} (click for the log)`;
    }

    job(job: JobFinishedParams): void {
        this.item.text = jobText(job);
        this.item.tooltip = `RefactorCoder ${job.kind} job ${job.jobId}: ${job.status}${job.runId != null ? ` (run ${job.runId})` : ''}`;
    }

    dispose(): void {
        this.item.dispose();
    }
}
