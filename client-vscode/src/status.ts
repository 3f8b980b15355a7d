// Status bar item: server state, running jobs and the latest finished job.
import * as vscode from 'vscode';
import { JobFinishedParams, JobProgressParams, JobStartedParams } from './protocol';
import { jobText, progressText } from './views';

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

    private readonly latest = new Map<string, string>();

    jobProgress(p: JobProgressParams): void {
        if (!this.running.has(p.jobId)) return;
        this.latest.set(p.jobId, progressText(p));
        this.showRunning();
    }

    jobFinished(job: JobFinishedParams): void {
        this.running.delete(job.jobId);
        this.latest.delete(job.jobId);
        if (this.running.size > 0) {
            this.showRunning();
            return;
        }
        this.item.command = 'refactorcoder.showLog';
        this.item.text = jobText(job);
        this.item.tooltip = `RefactorCoder ${job.kind} job ${job.jobId}: ${job.status}${job.runId != null ? ` (run ${job.runId})` : ''}`;
    }

    private showRunning(): void {
        const jobs = [...this.running.values()];
        const one = jobs.length === 1 ? jobs[0] : undefined;
        const step = one ? this.latest.get(one.jobId) : undefined;
        this.item.text = `$(sync~spin) RefactorCoder: ${one ? one.kind : `${jobs.length} jobs`}${step ? ` · ${step.split(' · ').slice(0, 2).join(' · ')}` : ''}`;
        this.item.tooltip = `Running: ${jobs.map((j) => `${j.label ?? j.title ?? j.kind}${this.latest.get(j.jobId) ? ` (${this.latest.get(j.jobId)})` : ''}`).join(', ')} — click to cancel`;
        this.item.command = 'refactorcoder.cancelJob';
    }

    dispose(): void {
        this.item.dispose();
    }
}
