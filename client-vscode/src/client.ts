// Starting, stopping and restarting the language client, plus the settings middleware.
import { spawn } from 'child_process';
import * as vscode from 'vscode';
import {
    CloseAction,
    DidChangeConfigurationNotification,
    ErrorAction,
    ExecuteCommandRequest,
    LanguageClient,
    LanguageClientOptions,
    RevealOutputChannelOn,
    ServerOptions,
    State,
} from 'vscode-languageclient/node';
import { serverCommand } from './interpreter';
import { Interpreter } from './interpreter';
import { needsEditorArgs, OPEN_REPORT_COMMAND, stageArgs, STAGE_COMMANDS, withJobOptions } from './protocol';
import { findInterpreter } from './python';
import { apiKeyEnvironment, jobOptionSettings, liveSettings, SECTION, shapeConfigurationResult, shapeSettings } from './settings';
import { startupFailure } from './views';

export const LANGUAGES = ['python', 'cpp', 'java', 'go', 'rust', 'javascript']; // = source/languages.py IDS (tests/source/test_languages.py)

/** The whole `refactorcoder` section as one plain object (what workspace/configuration answers too). */
function sectionObject(): unknown {
    const resource = vscode.workspace.workspaceFolders?.[0]?.uri;
    return JSON.parse(JSON.stringify(vscode.workspace.getConfiguration(undefined, resource).get(SECTION) ?? {}));
}

/** The stage-command argument for the active editor's selection, or undefined without an editor. */
export function activeEditorArgs(): unknown[] | undefined {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
        return undefined;
    }
    const s = editor.selection;
    return [
        stageArgs(
            editor.document.uri.toString(),
            { start: { line: s.start.line, character: s.start.character }, end: { line: s.end.line, character: s.end.character } },
            editor.document.version,
        ),
    ];
}

/**
 * The library's client, with one change: while it starts, its own notifications (notably the forced
 * "couldn't create connection to server.") go to the log only. A failed start is reported once, by
 * ServerManager.startOrExplain, with its cause, what to do and the buttons that do it.
 */
class RefactorCoderClient extends LanguageClient {
    quietNotifications = true;

    override error(message: string, data?: unknown, showNotification?: boolean | 'force'): void {
        super.error(message, data, this.quietNotifications ? false : showNotification);
    }
}

export class ServerManager implements vscode.Disposable {
    private client: LanguageClient | undefined;
    private clientDisposables: vscode.Disposable[] = [];
    private readonly stateEmitter = new vscode.EventEmitter<'starting' | 'running' | 'stopped' | 'failed'>();
    readonly onDidChangeState = this.stateEmitter.event;
    /** The cause of the last start-up failure or crash, one line (palette commands repeat it). */
    lastFailure: string | undefined;
    /** The buttons that fix the last failure (Choose Interpreter / Show Log / Restart). */
    lastFailureActions: string[] = [];
    interpreter: Interpreter | undefined;
    /** The server's last stderr lines: the cause of a failed start is there ("No module named server"). */
    stderrTail = '';

    constructor(
        private readonly output: vscode.LogOutputChannel,
        /** Called once per started client to hook notifications; its disposables die with the client. */
        private readonly attach: (client: LanguageClient) => vscode.Disposable[],
    ) {}

    get current(): LanguageClient | undefined {
        return this.client?.state === State.Running ? this.client : undefined;
    }

    /** The running client, or an error the user can act on. */
    require(): LanguageClient {
        const client = this.current;
        if (!client) {
            throw new Error('RefactorCoder server is not running (see the "RefactorCoder" output channel).');
        }
        return client;
    }

    async executeServerCommand(command: string, args: unknown[]): Promise<unknown> {
        return this.require().sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
    }

    async start(): Promise<void> {
        this.lastFailure = undefined;
        this.stderrTail = '';
        const interpreter = await findInterpreter();
        this.interpreter = interpreter;
        const config = vscode.workspace.getConfiguration(SECTION);
        // -I and a working directory outside the workspace: the workspace's own models.py, server/ or
        // sandbox.py must never be imported in place of ours (see server-launch.json).
        const { command, args, cwd } = serverCommand(interpreter.command, config.get<string[]>('serverArgs') ?? []);
        for (const passed of interpreter.skipped ?? []) {
            this.output.info(`Passed over ${passed.join(' ')}: refactorcoder is not installed for it`);
        }
        this.output.info(`Python (${interpreter.source}): ${interpreter.command.join(' ')}`);
        if (interpreter.hasRefactorcoder === false) {
            this.output.warn(
                `refactorcoder is not installed for ${interpreter.command.join(' ')}: install it there ` +
                    '(bash scripts/setup.sh, or pip install -e <repository>) or choose one that has it (Choose Interpreter)',
            );
        }
        this.output.info(`Server command: ${[command, ...args].join(' ')} (cwd ${cwd})`);

        const shaped = shapeSettings(sectionObject());
        shaped.warnings.forEach((w) => this.output.warn(w));

        // Spawned here (not by the client library) so that stderr is both logged and kept: a start-up
        // failure's message then names its cause. PYTHON* variables are ignored under -I.
        const env = { ...process.env, ...apiKeyEnvironment(vscode.workspace.getConfiguration(SECTION).get('apiKeyEnv'), process.env) };
        const serverOptions: ServerOptions = async () => {
            const child = spawn(command, args, { cwd, env });
            child.stderr.on('data', (chunk: Buffer) => {
                const text = chunk.toString('utf8');
                this.stderrTail = (this.stderrTail + text).slice(-4000);
                text.split('\n').filter((l) => l.trim()).forEach((l) => this.output.info(`[server] ${l}`));
            });
            return child;
        };
        const clientOptions: LanguageClientOptions = {
            documentSelector: LANGUAGES.flatMap((language) => [
                { scheme: 'file', language },
                { scheme: 'untitled', language },
            ]),
            outputChannel: this.output,
            revealOutputChannelOn: RevealOutputChannelOn.Never,
            // The hover's "Open the report" link runs this one command (and only it).
            markdown: { isTrusted: { enabledCommands: [OPEN_REPORT_COMMAND] }, supportHtml: false },
            initializationOptions: { settings: shaped.settings, client: { jobProgress: 'notifications' } },
            // One clear message of ours (start()'s caller) instead of the library's five generic ones.
            initializationFailedHandler: () => false,
            errorHandler: {
                error: () => ({ action: ErrorAction.Shutdown, handled: true }),
                closed: () => {
                    this.lastFailure = this.failureText('the server process exited');
                    this.stateEmitter.fire('failed');
                    return { action: CloseAction.DoNotRestart, handled: true };
                },
            },
            synchronize: { configurationSection: SECTION },
            middleware: {
                workspace: {
                    // Answer workspace/configuration in the server's Settings shape (no client-only keys).
                    configuration: async (params, token, next) => {
                        const result = await next(params, token);
                        if (!Array.isArray(result)) {
                            return result;
                        }
                        return result.map((value, i) => shapeConfigurationResult(params.items[i]?.section, value));
                    },
                    // Push the shaped section rather than the raw one (unset keys as null: back to their defaults).
                    // The server also asks for it again with workspace/configuration (answered above).
                    didChangeConfiguration: async () => {
                        await this.client?.sendNotification(DidChangeConfigurationNotification.type, {
                            settings: { [SECTION]: liveSettings(sectionObject()) },
                        });
                    },
                },
                // Palette / keybinding invocations of guide|solve|judge carry no arguments: use the selection.
                executeCommand: async (cmd, args, next) => {
                    if ((STAGE_COMMANDS as readonly string[]).includes(cmd) && needsEditorArgs(args)) {
                        const editorArgs = activeEditorArgs();
                        if (!editorArgs) {
                            void vscode.window.showWarningMessage('RefactorCoder: open a file and select code first.');
                            return undefined;
                        }
                        args = editorArgs;
                    }
                    if (args.length === 1) {
                        args = [withJobOptions(cmd, args[0], jobOptionSettings(vscode.workspace.getConfiguration(SECTION)))];
                    }
                    try {
                        return await next(cmd, args);
                    } catch (error) {
                        // A refusal (stale proposal, no tests to fix with) is one warning line, not an error dialog.
                        const message = error instanceof Error ? error.message : String(error);
                        if (cmd !== 'refactorcoder.applySolution') {
                            void vscode.window.showWarningMessage(`RefactorCoder: ${message.split('\n')[0]}`);
                            return undefined;
                        }
                        throw error;
                    }
                },
            },
        };

        const client = new RefactorCoderClient('refactorcoder', 'RefactorCoder', serverOptions, clientOptions);
        this.client = client;
        this.clientDisposables.push(
            client.onDidChangeState((e) => {
                if (e.newState === State.Starting) this.stateEmitter.fire('starting');
                if (e.newState === State.Running) this.stateEmitter.fire('running');
                if (e.newState === State.Stopped) this.stateEmitter.fire('stopped');
            }),
        );
        this.stateEmitter.fire('starting');
        let failure: string | undefined;
        try {
            await client.start();
        } catch (error) {
            failure = error instanceof Error ? error.message : String(error);
        }
        // vscode-languageclient 9 resolves start() when the process exits during initialize (its connection-closed
        // handling clears the promise it would have rejected): not running is a failure too.
        if (failure === undefined && client.state !== State.Running) {
            failure = 'the server process exited while starting';
        }
        if (failure !== undefined) {
            this.stateEmitter.fire('failed');
            this.output.error(`Server failed to start: ${failure}`);
            // Give stderr a moment to arrive: the cause is usually its last line.
            await new Promise((resolve) => setTimeout(resolve, 300));
            this.lastFailure = this.failureText(failure);
            throw new Error(this.lastFailure);
        }
        client.quietNotifications = false;
        this.clientDisposables.push(...this.attach(client));
        this.output.info(`Server running: ${client.initializeResult?.serverInfo?.name ?? 'refactorcoder'} ${client.initializeResult?.serverInfo?.version ?? ''}`);
    }

    failureText(reason: string): string {
        const failure = startupFailure(this.interpreter, reason, this.stderrTail);
        this.lastFailureActions = failure.actions;
        return failure.message;
    }

    async stop(): Promise<void> {
        const client = this.client;
        this.client = undefined;
        this.clientDisposables.forEach((d) => d.dispose());
        this.clientDisposables = [];
        if (client && client.needsStop()) {
            try {
                await client.stop(5_000);
            } catch (error) {
                this.output.warn(`Server did not stop cleanly: ${error instanceof Error ? error.message : String(error)}`);
            }
        }
        this.stateEmitter.fire('stopped');
    }

    private restarting: Promise<void> | undefined;

    /** Stop and start again; a restart asked for while one runs joins it (a setting written by Choose
     *  Interpreter restarts through the configuration change and through the command). */
    restart(): Promise<void> {
        this.restarting ??= (async () => {
            try {
                await this.stop();
                await this.start();
            } finally {
                this.restarting = undefined;
            }
        })();
        return this.restarting;
    }

    private explaining: Promise<boolean> | undefined;

    /** Start (or restart); a failure becomes one notification that says what to do, with its buttons. Calls while
     *  one runs join it: one restart, one notification. */
    startOrExplain(restart = false): Promise<boolean> {
        this.explaining ??= this.startAndExplain(restart).finally(() => (this.explaining = undefined));
        return this.explaining;
    }

    private async startAndExplain(restart: boolean): Promise<boolean> {
        try {
            await (restart ? this.restart() : this.start());
            return true;
        } catch (error) {
            const reason = error instanceof Error ? error.message : String(error);
            const actions = this.lastFailureActions.length ? this.lastFailureActions : ['Show Log', 'Restart'];
            // Not awaited: activation must not wait for a click.
            void vscode.window.showErrorMessage(reason, ...actions).then((choice) => {
                if (choice === 'Show Log') this.output.show(true);
                if (choice === 'Restart') void vscode.commands.executeCommand('refactorcoder.restartServer');
                if (choice === 'Choose Interpreter') void vscode.commands.executeCommand('refactorcoder.chooseInterpreter');
            });
            return false;
        }
    }

    dispose(): void {
        void this.stop();
        this.stateEmitter.dispose();
    }
}
