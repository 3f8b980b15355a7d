// Command registrations and server notification handlers.
import * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/node';
import { activeEditorArgs, ServerManager } from './client';
import { DiffPreview } from './diffPreview';
import {
    APPLY_SOLUTION_COMMAND,
    CANCEL_COMMAND,
    JOB_FINISHED,
    JOB_STARTED,
    JobFinishedParams,
    JobStartedParams,
    needsEditorArgs,
    OPEN_REPORT_COMMAND,
    REPORT_REQUEST,
    ReportResult,
    SOLUTION_READY,
    SolutionReadyParams,
    STAGE_COMMANDS,
} from './protocol';
import { ReportView } from './reportView';
import { StatusBar } from './status';

async function reportErrors(what: string, action: () => Promise<unknown>): Promise<void> {
    try {
        await action();
    } catch (error) {
        void vscode.window.showErrorMessage(`RefactorCoder ${what} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
}

/** Commands that exist for the extension's whole lifetime. */
export function registerCommands(
    manager: ServerManager,
    output: vscode.LogOutputChannel,
    diff: DiffPreview,
    report: ReportView,
    status: StatusBar,
): vscode.Disposable[] {
    const showReport = (arg?: unknown) => reportErrors('report', () => report.show(arg));
    return [
        vscode.commands.registerCommand('refactorcoder.restartServer', () => reportErrors('restart', () => manager.restart())),
        vscode.commands.registerCommand('refactorcoder.showLog', () => output.show(true)),
        vscode.commands.registerCommand('refactorcoder.showReport', showReport),
        // The server's result code lenses call this with [{uri, position}].
        vscode.commands.registerCommand(OPEN_REPORT_COMMAND, showReport),
        vscode.commands.registerCommand('refactorcoder.applyShownSolution', () => diff.applyActive()),
        vscode.commands.registerCommand('refactorcoder.cancelJob', () =>
            reportErrors('cancel', async () => {
                const jobs = [...status.running.values()];
                if (jobs.length === 0) {
                    void vscode.window.showInformationMessage('RefactorCoder: no job is running.');
                    return;
                }
                const pick =
                    jobs.length === 1
                        ? { job: jobs[0] }
                        : await vscode.window.showQuickPick(
                              jobs.map((job) => ({ label: job.title ?? job.kind, description: job.uri.split('/').pop(), job })),
                              { placeHolder: 'Cancel which RefactorCoder job?' },
                          );
                if (pick) {
                    await manager.executeServerCommand(CANCEL_COMMAND, [{ jobId: pick.job.jobId }]);
                }
            }),
        ),
    ];
}

/**
 * Per-client hooks. vscode-languageclient registers a VS Code command for every command the server lists in
 * executeCommandProvider (code actions use those); for stage commands the server does not list, register a
 * fallback so the palette entries still work. Everything returned here is disposed when the client stops.
 */
export function attachClient(client: LanguageClient, diff: DiffPreview, status: StatusBar, report: ReportView): vscode.Disposable[] {
    const advertised = new Set(client.initializeResult?.capabilities.executeCommandProvider?.commands ?? []);
    const disposables: vscode.Disposable[] = [];
    for (const command of STAGE_COMMANDS.filter((c) => !advertised.has(c))) {
        disposables.push(
            vscode.commands.registerCommand(command, (...args: unknown[]) =>
                reportErrors(command.split('.')[1], async () => {
                    const finalArgs = needsEditorArgs(args) ? activeEditorArgs() : args;
                    if (!finalArgs) throw new Error('open a file and select code first');
                    return client.sendRequest('workspace/executeCommand', { command, arguments: finalArgs });
                }),
            ),
        );
    }
    disposables.push(
        client.onNotification(JOB_STARTED, (params: JobStartedParams) => status.jobStarted(params)),
        client.onNotification(SOLUTION_READY, (params: SolutionReadyParams) => {
            void diff.show(params);
        }),
        client.onNotification(JOB_FINISHED, async (params: JobFinishedParams) => {
            status.jobFinished(params);
            // A failed job already got the server's own error message; a cancelled one was the user's doing.
            if (params.status !== 'done') {
                return;
            }
            const actions = params.runId != null ? ['Show Report'] : [];
            const choice = await vscode.window.showInformationMessage(`RefactorCoder ${params.kind}: ${params.status}`, ...actions);
            if (choice === 'Show Report') {
                await reportErrors('report', () => report.show({ runId: params.runId }));
            }
        }),
    );
    return disposables;
}

export function applySolution(manager: ServerManager, jobId: string): Promise<unknown> {
    return manager.executeServerCommand(APPLY_SOLUTION_COMMAND, [{ jobId }]);
}

export function requestReport(manager: ServerManager, params: unknown): Promise<ReportResult> {
    return manager.require().sendRequest<ReportResult>(REPORT_REQUEST, params);
}
