// Starting, stopping and restarting the language client, plus the settings middleware.
import * as vscode from 'vscode';
import {
    DidChangeConfigurationNotification,
    ExecuteCommandRequest,
    LanguageClient,
    LanguageClientOptions,
    RevealOutputChannelOn,
    ServerOptions,
    State,
} from 'vscode-languageclient/node';
import { serverCommand } from './interpreter';
import { needsEditorArgs, stageArgs, STAGE_COMMANDS } from './protocol';
import { findInterpreter } from './python';
import { SECTION, shapeConfigurationResult, shapeSettings } from './settings';

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

export class ServerManager implements vscode.Disposable {
    private client: LanguageClient | undefined;
    private clientDisposables: vscode.Disposable[] = [];
    private readonly stateEmitter = new vscode.EventEmitter<'starting' | 'running' | 'stopped' | 'failed'>();
    readonly onDidChangeState = this.stateEmitter.event;

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
        const interpreter = await findInterpreter();
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
                    '(pip install refactorcoder) or point the refactorcoder.interpreter setting at a Python that has it',
            );
        }
        this.output.info(`Server command: ${[command, ...args].join(' ')} (cwd ${cwd})`);

        const shaped = shapeSettings(sectionObject());
        shaped.warnings.forEach((w) => this.output.warn(w));

        const serverOptions: ServerOptions = {
            command,
            args,
            options: { cwd }, // PYTHON* variables are ignored under -I; pygls flushes each message itself
        };
        const clientOptions: LanguageClientOptions = {
            documentSelector: LANGUAGES.flatMap((language) => [
                { scheme: 'file', language },
                { scheme: 'untitled', language },
            ]),
            outputChannel: this.output,
            revealOutputChannelOn: RevealOutputChannelOn.Never,
            initializationOptions: { settings: shaped.settings },
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
                    // Push the shaped section rather than the raw one.
                    didChangeConfiguration: async () => {
                        await this.client?.sendNotification(DidChangeConfigurationNotification.type, {
                            settings: { [SECTION]: shapeSettings(sectionObject()).settings },
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
                    return next(cmd, args);
                },
            },
        };

        const client = new LanguageClient('refactorcoder', 'RefactorCoder', serverOptions, clientOptions);
        this.client = client;
        this.clientDisposables.push(
            client.onDidChangeState((e) => {
                if (e.newState === State.Starting) this.stateEmitter.fire('starting');
                if (e.newState === State.Running) this.stateEmitter.fire('running');
                if (e.newState === State.Stopped) this.stateEmitter.fire('stopped');
            }),
        );
        this.stateEmitter.fire('starting');
        try {
            await client.start();
        } catch (error) {
            this.stateEmitter.fire('failed');
            this.output.error(`Server failed to start: ${error instanceof Error ? error.message : String(error)}`);
            throw error;
        }
        this.clientDisposables.push(...this.attach(client));
        this.output.info(`Server running: ${client.initializeResult?.serverInfo?.name ?? 'refactorcoder'} ${client.initializeResult?.serverInfo?.version ?? ''}`);
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

    async restart(): Promise<void> {
        await this.stop();
        await this.start();
    }

    dispose(): void {
        void this.stop();
        this.stateEmitter.dispose();
    }
}
