// refactorcoder/solutionReady → a diff between two virtual documents, with Apply/Discard.
import * as path from 'path';
import * as vscode from 'vscode';
import { describeRange, diffPaths, diffTitle, isNoOpProposal, isRefusal, jobIdFromDiffPath } from './views';
import { ApplySolutionResult, SolutionReadyParams } from './protocol';

export const DIFF_SCHEME = 'refactorcoder-diff';

export class DiffPreview implements vscode.TextDocumentContentProvider, vscode.Disposable {
    private readonly contents = new Map<string, string>();
    private readonly solutions = new Map<string, SolutionReadyParams>();
    private readonly changed = new vscode.EventEmitter<vscode.Uri>();
    readonly onDidChange = this.changed.event;

    constructor(private readonly apply: (jobId: string) => Promise<unknown>) {}

    provideTextDocumentContent(uri: vscode.Uri): string {
        return this.contents.get(uri.toString()) ?? '';
    }

    async show(solution: SolutionReadyParams): Promise<void> {
        if (isNoOpProposal(solution.original, solution.proposed)) {
            return; // e.g. a judge of existing code: its "solution" is the code itself
        }
        const paths = diffPaths(solution.jobId, solution.uri);
        const left = vscode.Uri.from({ scheme: DIFF_SCHEME, path: paths.original });
        const right = vscode.Uri.from({ scheme: DIFF_SCHEME, path: paths.proposed });
        this.contents.set(left.toString(), solution.original);
        this.contents.set(right.toString(), solution.proposed);
        this.solutions.set(solution.jobId, solution);
        this.changed.fire(left);
        this.changed.fire(right);
        const name = path.posix.basename(paths.original);
        // Beside the source, never in its place: a preview tab of the file must stay open (closing it would
        // also close the document on the server's side).
        const asked = this.ask(solution, name); // the question first: it must not wait for the editor layout
        await vscode.commands.executeCommand('vscode.diff', left, right, diffTitle(name, solution.name, solution.verdict), {
            preview: false,
            viewColumn: vscode.ViewColumn.Beside,
            preserveFocus: true,
        });
        await asked;
    }

    private async ask(solution: SolutionReadyParams, name: string): Promise<void> {
        const verified = solution.verdict ? ` Verified: ${solution.verdict}.` : ' Not run: nothing was verified.';
        const choice = await vscode.window.showInformationMessage(
            `RefactorCoder proposed a change to ${solution.name ? `${solution.name} in ` : ''}${name} (${describeRange(solution.range)}).${verified}`,
            'Apply',
            'Discard',
        );
        if (choice === 'Apply') {
            await this.applyJob(solution.jobId);
        } else if (choice === 'Discard') {
            await this.discard(solution.jobId);
        }
    }

    async discard(jobId?: string): Promise<void> {
        const id = jobId ?? this.activeJobId();
        if (!id) return;
        await this.closeDiff(id);
        this.forget(id);
    }

    private activeJobId(): string | undefined {
        const uri = vscode.window.activeTextEditor?.document.uri;
        return uri?.scheme === DIFF_SCHEME ? jobIdFromDiffPath(uri.path) : undefined;
    }

    /** Proposals still shown or kept after a refusal (for re-apply). */
    has(jobId: string): boolean {
        return this.solutions.has(jobId);
    }

    /** Apply from the diff editor's title button: the job id is in the active editor's URI. */
    async applyActive(): Promise<void> {
        const jobId = this.activeJobId() ?? [...this.solutions.keys()].pop();
        if (!jobId) {
            void vscode.window.showWarningMessage('RefactorCoder: no proposed solution is shown.');
            return;
        }
        await this.applyJob(jobId);
    }

    private async applyJob(jobId: string): Promise<void> {
        try {
            const result = (await this.apply(jobId)) as ApplySolutionResult | undefined;
            if (result && result.applied === false) {
                throw new Error(result.failureReason || 'VS Code refused the edit');
            }
            await this.closeDiff(jobId);
            this.forget(jobId);
            void vscode.window.showInformationMessage('RefactorCoder: solution applied.');
        } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            if (isRefusal(message)) {
                // One line, a warning; the proposal stays (diff open) for a re-run or a later Apply.
                const again = await vscode.window.showWarningMessage(`RefactorCoder could not apply the solution: ${message.split('\n')[0]}`, 'Apply Again', 'Discard');
                if (again === 'Apply Again') await this.applyJob(jobId);
                if (again === 'Discard') await this.discard(jobId);
                return;
            }
            void vscode.window.showErrorMessage(`RefactorCoder could not apply the solution: ${message}`);
        }
    }

    /** Closes the diff tab(s) of this job, wherever they are (not just the active editor). */
    private async closeDiff(jobId: string): Promise<void> {
        const tabs = vscode.window.tabGroups.all
            .flatMap((group) => group.tabs)
            .filter((tab) => tab.input instanceof vscode.TabInputTextDiff && tab.input.modified.scheme === DIFF_SCHEME &&
                jobIdFromDiffPath(tab.input.modified.path) === jobId);
        if (tabs.length > 0) {
            await vscode.window.tabGroups.close(tabs);
        }
    }

    private forget(jobId: string): void {
        const solution = this.solutions.get(jobId);
        this.solutions.delete(jobId);
        if (solution) {
            const paths = diffPaths(jobId, solution.uri);
            this.contents.delete(vscode.Uri.from({ scheme: DIFF_SCHEME, path: paths.original }).toString());
            this.contents.delete(vscode.Uri.from({ scheme: DIFF_SCHEME, path: paths.proposed }).toString());
        }
    }

    dispose(): void {
        this.changed.dispose();
    }
}
