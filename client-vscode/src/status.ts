// Status bar item: server state, running jobs and the latest finished job.
import * as vscode from 'vscode';
import { JobFinishedParams, JobStartedParams } from './protocol';
import { jobText } from './views';

export class StatusBar implements vscode.Disposable {
    private readonly item = vscode.window.createStatusBarItem('refactorcoder.status', vscode.StatusBarAlignment.Left, 10);
    /** Jobs started and not yet finished, by id (for the status text and the cancel picker). */
    readonly running = new Map<string, JobStartedParams>();

    constructor() {
        this.item.name = 'RefactorCoder';
        this.item.command = 'refactorcoder.showLog';
        this.server('starting');
        this.item.show();
    }

    server(state: 'starting' | 'running' | 'stopped' | 'failed'): void {
        if (state !== 'running') this.running.clear();
        const icon = { starting: '$(sync~spin)', running: '$(pass)', stopped: '$(circle-slash)', failed: '$(error)' }[state];
        this.item.text = `${icon} RefactorCoder`;
        this.item.tooltip = `RefactorCoder server: ${state} (click for the log)`;
    }

    jobStarted(job: JobStartedParams): void {
        this.running.set(job.jobId, job);
        this.showRunning();
    }

    jobFinished(job: JobFinishedParams): void {
        this.running.delete(job.jobId);
        if (this.running.size > 0) {
            this.showRunning();
            return;
        }
        this.item.text = jobText(job);
        this.item.tooltip = `RefactorCoder ${job.kind} job ${job.jobId}: ${job.status}${job.runId != null ? ` (run ${job.runId})` : ''}`;
    }

    private showRunning(): void {
        const kinds = [...this.running.values()].map((j) => j.kind);
        this.item.text = `$(sync~spin) RefactorCoder: ${kinds.length === 1 ? kinds[0] : `${kinds.length} jobs`}`;
        this.item.tooltip = `Running: ${[...this.running.values()].map((j) => j.title ?? j.kind).join(', ')}`;
    }

    dispose(): void {
        this.item.dispose();
    }
}
