// Entry point: wires the output channel, status bar, virtual documents, commands and the language client.
import * as vscode from 'vscode';
import { ServerManager } from './client';
import { applySolution, attachClient, registerCommands, requestReport } from './commands';
import { DIFF_SCHEME, DiffPreview } from './diffPreview';
import { onPythonInterpreterChanged } from './python';
import { REPORT_SCHEME, ReportView } from './reportView';
import { SECTION } from './settings';
import { StatusBar } from './status';

let manager: ServerManager | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
    const output = vscode.window.createOutputChannel('RefactorCoder', { log: true });
    const status = new StatusBar();
    // The callbacks run only after activation, when `server` exists.
    const diff: DiffPreview = new DiffPreview((jobId) => applySolution(server, jobId));
    const report: ReportView = new ReportView((params) => requestReport(server, params));
    const server: ServerManager = new ServerManager(output, (client) => attachClient(client, diff, status, report));
    manager = server;

    context.subscriptions.push(
        output,
        status,
        diff,
        report,
        server,
        server.onDidChangeState((state) => status.server(state)),
        vscode.workspace.registerTextDocumentContentProvider(DIFF_SCHEME, diff),
        vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, report),
        ...registerCommands(server, output, diff, report, status),
        // The interpreter and server arguments are fixed per process: restart when they change.
        vscode.workspace.onDidChangeConfiguration((e) => {
            if (e.affectsConfiguration(`${SECTION}.interpreter`) || e.affectsConfiguration(`${SECTION}.serverArgs`)) {
                void vscode.commands.executeCommand('refactorcoder.restartServer');
            }
        }),
        onPythonInterpreterChanged(() => void vscode.commands.executeCommand('refactorcoder.restartServer')),
    );

    try {
        await server.start();
    } catch (error) {
        // Not awaited: activation must not wait for the user to click.
        const reason = error instanceof Error ? error.message : String(error);
        void vscode.window.showErrorMessage(`RefactorCoder server failed to start: ${reason}`, 'Show Log', 'Restart').then((choice) => {
            if (choice === 'Show Log') output.show(true);
            if (choice === 'Restart') void vscode.commands.executeCommand('refactorcoder.restartServer');
        });
    }
}

export async function deactivate(): Promise<void> {
    await manager?.stop();
}
