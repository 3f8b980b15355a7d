// Entry point: wires the output channel, status bar, progress, diff, report and history views, commands and the
// language client. Commands are registered before the server starts, so they exist whatever happens to it.
import * as vscode from 'vscode';
import { chooseInterpreter } from './chooseInterpreter';
import { ServerManager } from './client';
import { applySolution, attachClient, registerCommands, requestHistory, requestJobReport, requestReport } from './commands';
import { DIFF_SCHEME, DiffPreview } from './diffPreview';
import { HistoryView } from './historyView';
import { JobProgress } from './progress';
import { CANCEL_COMMAND } from './protocol';
import { onPythonInterpreterChanged } from './python';
import { REPORT_SCHEME, ReportView } from './reportView';
import { ReportWebview } from './reportWebview';
import { SECTION } from './settings';
import { userSettingsFile, watchUserSettings } from './settingsFile';
import { StatusBar } from './status';

let manager: ServerManager | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
    const output = vscode.window.createOutputChannel('RefactorCoder', { log: true });
    const status = new StatusBar();
    // The callbacks run only after activation, when `server` exists.
    const diff: DiffPreview = new DiffPreview((jobId) => applySolution(server, jobId));
    const report: ReportView = new ReportView((params) => requestReport(server, params));
    const webview = new ReportWebview((params) => requestJobReport(server, params));
    const history = new HistoryView(() => requestHistory(server));
    const progress = new JobProgress((jobId) => server.executeServerCommand(CANCEL_COMMAND, [{ jobId }]));
    const server: ServerManager = new ServerManager(output, (client) =>
        attachClient(client, diff, status, progress, webview, history),
    );
    manager = server;

    context.subscriptions.push(
        output,
        status,
        diff,
        report,
        webview,
        history,
        progress,
        server,
        server.onDidChangeState((state) => {
            status.server(state);
            if (state === 'running') history.refresh();
        }),
        vscode.window.registerTreeDataProvider('refactorcoder.history', history),
        vscode.workspace.registerTextDocumentContentProvider(DIFF_SCHEME, diff),
        vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, report),
        ...registerCommands(server, output, diff, report, status, webview, history),
        vscode.commands.registerCommand('refactorcoder.chooseInterpreter', () => chooseInterpreter(() => server.startOrExplain(true))),
        // The interpreter and server arguments are fixed per process: restart when they change.
        vscode.workspace.onDidChangeConfiguration((e) => {
            if (
                e.affectsConfiguration(`${SECTION}.interpreter`) ||
                e.affectsConfiguration(`${SECTION}.serverArgs`) ||
                e.affectsConfiguration(`${SECTION}.apiKeyEnv`)
            ) {
                void vscode.commands.executeCommand('refactorcoder.restartServer');
            }
        }),
        onPythonInterpreterChanged(() => void vscode.commands.executeCommand('refactorcoder.restartServer')),
    );
    const settingsFile = context.globalStorageUri ? userSettingsFile(context.globalStorageUri) : undefined;
    if (settingsFile) context.subscriptions.push(watchUserSettings(settingsFile, output));

    // A failure is one notification with its cause, what to do and the buttons that do it.
    await server.startOrExplain();
}

export async function deactivate(): Promise<void> {
    await manager?.stop();
}
