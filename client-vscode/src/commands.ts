// Command registrations and server notification handlers.
import * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/node';
import { activeEditorArgs, ServerManager } from './client';
import { DiffPreview } from './diffPreview';
import { HistoryView } from './historyView';
import {
    CommandChoice,
    defaultCommandLine,
    FIND_HOT_COMMAND,
    FIND_HOT_PALETTE_COMMAND,
    HOT_KIND,
    hotDescription,
    HotFunctionsReport,
    hotWhere,
    launchCommandLines,
    splitCommandLine,
} from './hotFunctions';
import { JobProgress } from './progress';
import {
    APPLY_SOLUTION_COMMAND,
    CANCEL_COMMAND,
    EXPORT_MARKDOWN_COMMAND,
    HISTORY_REQUEST,
    HistoryRun,
    JOB_FINISHED,
    JOB_PROGRESS,
    JOB_REPORT_REQUEST,
    JOB_STARTED,
    JobFinishedParams,
    JobProgressParams,
    JobStartedParams,
    METRICS,
    needsEditorArgs,
    OPEN_REPORT_COMMAND,
    OPTIMIZE_CHANGED_COMMAND,
    OPTIMIZE_PICK_COMMAND,
    PALETTE_COMMANDS,
    REPORT_REQUEST,
    ReportResult,
    ReportTarget,
    SOLUTION_READY,
    SolutionReadyParams,
    STAGE_COMMANDS,
    withJobOptions,
} from './protocol';
import { JobReportPayload } from './reportHtml';
import { ReportView } from './reportView';
import { ReportWebview } from './reportWebview';
import { jobOptionSettings, SECTION } from './settings';
import { StatusBar } from './status';
import { jobTitle, reportTarget } from './views';

export const KIND_TITLES: Record<string, string> = {
    guide: 'Guide', solve: 'Solve with guidance', judge: 'Judge', fix: 'Fix with tests', optimize: 'Optimize',
    [HOT_KIND]: 'Find hot functions',
};

/** Palette commands must never be "not found": without a server they say so, with the way out. */
async function whenRunning(manager: ServerManager, run: () => Promise<unknown>): Promise<unknown> {
    if (!manager.current) {
        const choose = manager.lastFailureActions.includes('Choose Interpreter') ? ['Choose Interpreter'] : [];
        const choice = await vscode.window.showWarningMessage(
            `RefactorCoder server is not running${manager.lastFailure ? `: ${manager.lastFailure}` : ''}.`,
            ...choose,
            'Show Log',
            'Restart Server',
        );
        if (choice === 'Choose Interpreter') void vscode.commands.executeCommand('refactorcoder.chooseInterpreter');
        if (choice === 'Show Log') void vscode.commands.executeCommand('refactorcoder.showLog');
        if (choice === 'Restart Server') void vscode.commands.executeCommand('refactorcoder.restartServer');
        return undefined;
    }
    return run();
}

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
    webview: ReportWebview,
    history: HistoryView,
): vscode.Disposable[] {
    // The report view (webview) for a lens argument, a run id, or the function at the cursor.
    const showReport = (arg?: unknown) =>
        whenRunning(manager, () =>
            reportErrors('report', async () => {
                const editor = vscode.window.activeTextEditor;
                const target = reportTarget(
                    arg,
                    editor ? { uri: editor.document.uri.toString(), line: editor.selection.active.line, character: editor.selection.active.character } : undefined,
                );
                if (!target) {
                    void vscode.window.showWarningMessage('RefactorCoder: open a file (or pick a run in History) to show its report.');
                    return;
                }
                await webview.show(target);
            }),
        );
    const palette = Object.entries(PALETTE_COMMANDS).map(([id, serverCommand]) =>
        vscode.commands.registerCommand(id, () =>
            whenRunning(manager, () =>
                reportErrors(serverCommand.split('.')[1], async () => {
                    const args = activeEditorArgs();
                    if (!args) throw new Error('open a file and put the cursor in a function first');
                    return vscode.commands.executeCommand(serverCommand, ...args);
                }),
            ),
        ),
    );
    return [
        ...palette,
        vscode.commands.registerCommand(OPTIMIZE_PICK_COMMAND, (...args: unknown[]) =>
            whenRunning(manager, async () => {
                const pick = await vscode.window.showQuickPick(
                    METRICS.map((m) => ({ label: m.label, detail: m.detail, id: m.id })),
                    { placeHolder: 'Optimize for which metric?' },
                );
                if (!pick) return undefined;
                const base = needsEditorArgs(args) ? activeEditorArgs()?.[0] : args[0];
                if (!base) throw new Error('open a file and put the cursor in a function first');
                return vscode.commands.executeCommand('refactorcoder.optimize', { ...(base as object), metric: pick.id });
            }),
        ),
        vscode.commands.registerCommand('refactorcoder.run.optimizeChanged', () =>
            whenRunning(manager, () =>
                reportErrors('optimize changed functions', async () => {
                    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
                    // The metric and limits of the settings, as for a single Optimize.
                    const arg = withJobOptions(OPTIMIZE_CHANGED_COMMAND, { root }, jobOptionSettings(vscode.workspace.getConfiguration(SECTION)));
                    const result = (await manager.executeServerCommand(OPTIMIZE_CHANGED_COMMAND, [arg])) as
                        | { functions: { function: string; status: string; verdict?: string; jobId?: string }[] }
                        | undefined;
                    const list = result?.functions ?? [];
                    const one = list.length === 1 && list[0].jobId ? list[0] : undefined;
                    const choice = await vscode.window.showInformationMessage(
                        list.length
                            ? `RefactorCoder optimized ${list.length} changed function(s): ` +
                                  list.map((f) => `${f.function} ${f.verdict || f.status}`).join('; ')
                            : 'RefactorCoder: no changed Python function in the working tree.',
                        ...(one ? ['Show Report'] : []),
                    );
                    if (one && choice === 'Show Report') await webview.show({ jobId: one.jobId });
                }),
            ),
        ),
        vscode.commands.registerCommand(FIND_HOT_PALETTE_COMMAND, () =>
            whenRunning(manager, () => reportErrors('find hot functions', () => findHotFunctions(manager))),
        ),
        vscode.commands.registerCommand('refactorcoder.discardShownSolution', () => diff.discard()),
        vscode.commands.registerCommand('refactorcoder.openRun', (runId: number | string) =>
            whenRunning(manager, () => reportErrors('report', () => webview.show({ runId }))),
        ),
        vscode.commands.registerCommand('refactorcoder.refreshHistory', () => history.refresh()),
        vscode.commands.registerCommand('refactorcoder.restartServer', () => manager.startOrExplain(true)),
        vscode.commands.registerCommand('refactorcoder.showLog', () => output.show(true)),
        vscode.commands.registerCommand('refactorcoder.showReport', showReport),
        // The server's result code lenses call this with [{uri, position, jobId, runId}].
        vscode.commands.registerCommand(OPEN_REPORT_COMMAND, showReport),
        vscode.commands.registerCommand(EXPORT_MARKDOWN_COMMAND, (arg?: unknown) =>
            whenRunning(manager, () => reportErrors('report export', () => report.show(arg))),
        ),
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
export function attachClient(
    client: LanguageClient,
    diff: DiffPreview,
    status: StatusBar,
    progress: JobProgress,
    webview: ReportWebview,
    history: HistoryView,
): vscode.Disposable[] {
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
        client.onNotification(JOB_STARTED, (params: JobStartedParams) => {
            status.jobStarted(params);
            progress.started(params, jobTitle(KIND_TITLES[params.kind] ?? params.kind, params));
        }),
        client.onNotification(JOB_PROGRESS, (params: JobProgressParams) => {
            progress.progress(params);
            status.jobProgress(params);
        }),
        client.onNotification(SOLUTION_READY, (params: SolutionReadyParams) => {
            void diff.show(params);
        }),
        client.onNotification(JOB_FINISHED, async (params: JobFinishedParams) => {
            status.jobFinished(params);
            progress.finished(params.jobId);
            history.refresh();
            // A failed job already got the server's own error message; a cancelled one was the user's doing.
            // Find hot functions shows its answer in a quick pick.
            if (params.status !== 'done' || params.kind === HOT_KIND) {
                return;
            }
            const actions = params.runId != null ? ['Show Report'] : [];
            const detail = params.verdict || params.summary;
            const choice = await vscode.window.showInformationMessage(
                `RefactorCoder ${params.kind}: ${params.status}${detail ? ` · ${detail}` : ''}`,
                ...actions,
            );
            if (choice === 'Show Report') {
                await reportErrors('report', () => webview.show({ jobId: params.jobId, runId: params.runId }));
            }
        }),
    );
    return disposables;
}

/** Ask for the command to trace (launch.json's Python configurations offered first), trace it in the sandbox
 *  (the server's job: progress and Cancel from refactorcoder/jobProgress), and list the hot functions; the server
 *  refreshes the code lenses ("hot: 38% own time · … · Optimize") itself. */
async function findHotFunctions(manager: ServerManager): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const folder = (editor && vscode.workspace.getWorkspaceFolder(editor.document.uri)) ?? vscode.workspace.workspaceFolders?.[0];
    if (!folder) {
        void vscode.window.showWarningMessage('RefactorCoder: open a folder to find its hot functions.');
        return;
    }
    const active = editor && editor.document.uri.scheme === 'file' && editor.document.uri.fsPath.endsWith('.py')
        ? vscode.workspace.asRelativePath(editor.document.uri, false)
        : undefined;
    const tests = await vscode.workspace.findFiles('**/{test_*.py,*_test.py}', '**/{.venv,venv,.tox,node_modules}/**', 1);
    const fallback = defaultCommandLine(tests.length > 0, active);
    const launch = vscode.workspace.getConfiguration('launch', folder.uri).get<unknown[]>('configurations');
    const choices: CommandChoice[] = launchCommandLines(launch, folder.uri.fsPath, active);
    let line = fallback;
    if (choices.length) {
        const pick = await vscode.window.showQuickPick(
            [{ label: fallback, line: fallback, detail: 'default' }, ...choices].map((c) => ({ ...c, description: c.line })),
            { placeHolder: 'Trace which command in the sandbox? (you can edit it next)' },
        );
        if (!pick) return;
        line = pick.line;
    }
    const typed = await vscode.window.showInputBox({
        prompt: 'Command to trace in the sandbox (python SCRIPT, python -m MODULE or pytest ARGS), from the folder root',
        value: line,
        validateInput: (text: string) => {
            try {
                return splitCommandLine(text).length ? undefined : 'give a command, e.g. pytest tests/';
            } catch (error) {
                return error instanceof Error ? error.message : String(error);
            }
        },
    });
    if (!typed) return;
    const response = (await manager.executeServerCommand(FIND_HOT_COMMAND, [
        { uri: folder.uri.toString(), command: splitCommandLine(typed) },
    ])) as { status: string; report?: HotFunctionsReport; error?: string } | undefined;
    if (!response || response.status !== 'done' || !response.report) return; // failed: the server said why
    const report = response.report;
    if (!report.functions.length) {
        void vscode.window.showInformationMessage(`RefactorCoder: ${report.summary || 'no function of the project was traced'}.`);
        return;
    }
    const rootUri = vscode.Uri.file(report.root).toString();
    const pick = await vscode.window.showQuickPick(
        report.functions.map((row) => ({ label: `$(flame) ${row.function}`, description: hotDescription(row),
                                         detail: hotWhere(row, rootUri), row })),
        { placeHolder: `Hot functions of \`${typed}\` (traced ${report.wallS.toFixed(2)} s, exit ${report.exitCode}): open one` },
    );
    if (!pick) return;
    const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(pick.row.uri));
    const at = new vscode.Position(pick.row.line, 0);
    await vscode.window.showTextDocument(document, { selection: new vscode.Range(at, at) });
}

export function applySolution(manager: ServerManager, jobId: string): Promise<unknown> {
    return manager.executeServerCommand(APPLY_SOLUTION_COMMAND, [{ jobId }]);
}

export function requestJobReport(manager: ServerManager, params: ReportTarget): Promise<JobReportPayload> {
    return manager.require().sendRequest<JobReportPayload>(JOB_REPORT_REQUEST, params);
}

export async function requestHistory(manager: ServerManager): Promise<HistoryRun[] | undefined> {
    const client = manager.current;
    if (!client) return undefined;
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const result = await client.sendRequest<{ runs: HistoryRun[] }>(HISTORY_REQUEST, { limit: 100, root });
    return result.runs;
}

export function requestReport(manager: ServerManager, params: unknown): Promise<ReportResult> {
    return manager.require().sendRequest<ReportResult>(REPORT_REQUEST, params);
}
