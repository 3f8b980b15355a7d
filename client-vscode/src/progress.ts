// One VS Code progress notification per running job, with a Cancel button, fed by refactorcoder/jobProgress
// ("refine 2/4 · model · running tests"); closed by refactorcoder/jobFinished.
import * as vscode from 'vscode';
import { JobProgressParams, JobStartedParams } from './protocol';
import { progressIncrement, progressText } from './views';

interface Entry {
    report: (value: { message?: string; increment?: number }) => void;
    done: () => void;
    percentage: number;
    pending: JobProgressParams[];
}

export class JobProgress implements vscode.Disposable {
    private readonly jobs = new Map<string, Entry>();

    constructor(private readonly cancel: (jobId: string) => Promise<unknown>) {}

    started(job: JobStartedParams, title: string): void {
        if (this.jobs.has(job.jobId)) return;
        const entry: Entry = { report: () => undefined, done: () => undefined, percentage: 0, pending: [] };
        this.jobs.set(job.jobId, entry);
        void vscode.window.withProgress(
            { location: vscode.ProgressLocation.Notification, title: `RefactorCoder ${title}`, cancellable: true },
            (progress, token) =>
                new Promise<void>((resolve) => {
                    entry.report = (value) => progress.report(value);
                    entry.done = resolve;
                    token.onCancellationRequested(() => {
                        progress.report({ message: 'cancelling…' });
                        void this.cancel(job.jobId).catch(() => undefined);
                    });
                    entry.pending.splice(0).forEach((p) => this.progress(p));
                }),
        );
    }

    progress(p: JobProgressParams): void {
        const entry = this.jobs.get(p.jobId);
        if (!entry) return;
        const increment = progressIncrement(entry.percentage, p.percentage);
        if (increment !== undefined) entry.percentage = p.percentage as number;
        entry.report({ message: progressText(p), increment });
    }

    finished(jobId: string): void {
        const entry = this.jobs.get(jobId);
        this.jobs.delete(jobId);
        entry?.done();
    }

    dispose(): void {
        [...this.jobs.keys()].forEach((id) => this.finished(id));
    }
}
