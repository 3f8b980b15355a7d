// A hand-written stand-in for the `vscode` module and for `vscode-languageclient/node`, so that the extension's
// VS Code glue (activation, commands, diff, progress, report view, start-up errors) runs under plain `node --test`.
// Importing this file installs both in Node's module loader: import it before any extension module.
// It records what the extension asks of VS Code (messages, commands, progress, webviews, tabs) and lets a test
// answer (the button a user clicks, the server's reply to a request). Only unit tests use it; the real VS Code
// runs are tests/client/vscode_e2e.js and vscode_verify_e2e.js.
/* eslint-disable @typescript-eslint/no-explicit-any */
import Module from 'module';

import { Disposable, EventEmitter, Position, Range, TabInputTextDiff, TreeItem, Uri } from './fakeVscodeClasses';

export interface Shown { kind: 'info' | 'warning' | 'error'; message: string; items: string[] }
export interface ProgressRecord {
    options: any;
    reports: { message?: string; increment?: number }[];
    cancel: () => void;
    done: boolean;
}
export interface Request { method: string; params: any }

/** What the extension did, and how the fake user and server answer. Reset between tests. */
export const fake = {
    messages: [] as Shown[],
    /** The button the user clicks for a message (undefined: the message is dismissed). */
    answer: (_m: Shown): string | undefined => undefined,
    quickPick: (_items: any[]): any => undefined,
    /** What the user types into an input box (undefined: cancelled); `validate` is the box's validateInput. */
    inputBox: (_options: any): string | undefined => undefined,
    openDialog: (): Uri[] | undefined => undefined,
    commands: new Map<string, (...args: any[]) => any>(),
    executed: [] as { id: string; args: any[] }[],
    config: {} as Record<string, any>,
    configUpdates: [] as { key: string; value: any }[],
    workspaceFolders: [] as { uri: Uri; name: string; index: number }[],
    activeTextEditor: undefined as any,
    /** Workspace files `findFiles` finds (any pattern), and the documents shown with their options. */
    files: [] as Uri[],
    shownDocuments: [] as { document: any; options: any }[],
    progress: [] as ProgressRecord[],
    webviews: [] as { viewType: string; title: string; html: string; disposed: boolean }[],
    tabs: [] as { label: string; input: unknown }[],
    output: [] as string[],
    outputShown: 0,
    // The language client.
    serverMode: 'running' as 'running' | 'spawn',
    clients: [] as any[],
    requests: [] as Request[],
    notificationsSent: [] as Request[],
    onRequest: (_method: string, _params: any): any => undefined,
    notificationHandlers: new Map<string, (params: any) => unknown>(),

    reset(): void {
        this.messages = [];
        this.answer = () => undefined;
        this.quickPick = () => undefined;
        this.inputBox = () => undefined;
        this.openDialog = () => undefined;
        this.commands.clear();
        this.executed = [];
        this.config = {};
        this.configUpdates = [];
        this.workspaceFolders = [];
        this.activeTextEditor = undefined;
        this.files = [];
        this.shownDocuments = [];
        this.progress = [];
        this.webviews = [];
        this.tabs = [];
        this.output = [];
        this.outputShown = 0;
        this.serverMode = 'running';
        this.clients = [];
        this.requests = [];
        this.notificationsSent = [];
        this.onRequest = () => undefined;
        this.notificationHandlers.clear();
    },
    /** A server → client notification, as the language client would deliver it. */
    async notify(method: string, params: any): Promise<unknown> {
        const handler = this.notificationHandlers.get(method);
        if (!handler) throw new Error(`no handler for ${method}`);
        return handler(params);
    },
};

function show(kind: Shown['kind']) {
    return (message: string, ...rest: any[]): Promise<string | undefined> => {
        const items = rest.filter((r) => typeof r === 'string');
        const shown = { kind, message, items };
        fake.messages.push(shown);
        return Promise.resolve(fake.answer(shown));
    };
}

function outputChannel(name: string) {
    const line = (level: string) => (text: string) => fake.output.push(`[${level}] ${text}`);
    return {
        name, info: line('info'), warn: line('warn'), error: line('error'), debug: line('debug'), trace: line('trace'),
        appendLine: line('info'), append: line('info'), replace: () => undefined, clear: () => undefined,
        show: () => void fake.outputShown++, hide: () => undefined, dispose: () => undefined, logLevel: 2,
        onDidChangeLogLevel: () => new Disposable(),
    };
}

/** Fired on every setting written through `update` or `fake.changeSetting` (as VS Code does for settings.json). */
const configurationChanged = new EventEmitter<{ affectsConfiguration(section: string): boolean }>();

function fireConfigurationChanged(key: string): void {
    configurationChanged.fire({ affectsConfiguration: (section) => key === section || key.startsWith(`${section}.`) || section.startsWith(`${key}.`) });
}

/** A setting changed by the user (settings.json edited): the value, then VS Code's change event. */
export function changeSetting(key: string, value: unknown): void {
    fake.config[key] = value;
    fireConfigurationChanged(key);
}

function configuration(section: string | undefined) {
    const full = (key: string) => (section ? `${section}.${key}` : key);
    return {
        get(key: string, fallback?: unknown) {
            const name = full(key);
            if (name in fake.config) return fake.config[name];
            const prefix = `${name}.`;
            const nested = Object.entries(fake.config).filter(([k]) => k.startsWith(prefix));
            if (nested.length) return Object.fromEntries(nested.map(([k, v]) => [k.slice(prefix.length), v]));
            return fallback;
        },
        has: (key: string) => full(key) in fake.config,
        update(key: string, value: unknown) {
            fake.configUpdates.push({ key: full(key), value });
            changeSetting(full(key), value);
            return Promise.resolve();
        },
        inspect: (key: string) => ({ key: full(key), globalValue: fake.config[full(key)] }),
    };
}

// Built-in commands the extension calls (a tab appears for a diff, like VS Code's).
function builtin(id: string, args: any[]): unknown {
    if (id === 'vscode.diff') fake.tabs.push({ label: args[2], input: new TabInputTextDiff(args[0], args[1]) });
    return undefined;
}

export const vscode: any = {
    __esModule: true,
    Disposable, EventEmitter, Uri, TabInputTextDiff, TreeItem, Position, Range,
    ThemeIcon: class { constructor(readonly id: string) {} },
    ViewColumn: { Active: -1, Beside: -2, One: 1, Two: 2 },
    ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
    StatusBarAlignment: { Left: 1, Right: 2 },
    ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
    TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
    window: {
        get activeTextEditor() {
            return fake.activeTextEditor;
        },
        showInformationMessage: show('info'),
        showWarningMessage: show('warning'),
        showErrorMessage: show('error'),
        showQuickPick: async (items: any[] | Promise<any[]>) => fake.quickPick(await items),
        showInputBox: async (options: any) => fake.inputBox(options),
        showOpenDialog: () => Promise.resolve(fake.openDialog()),
        createOutputChannel: outputChannel,
        createStatusBarItem: () => ({ text: '', tooltip: '', command: '', name: '', show: () => undefined, dispose: () => undefined }),
        registerTreeDataProvider: () => new Disposable(),
        showTextDocument: (doc: unknown, options?: unknown) => {
            fake.shownDocuments.push({ document: doc, options });
            return Promise.resolve(doc);
        },
        withProgress(options: any, task: (p: any, token: any) => Promise<unknown>) {
            const cancelled = new EventEmitter<void>();
            const record: ProgressRecord = { options, reports: [], cancel: () => cancelled.fire(), done: false };
            fake.progress.push(record);
            const token = { isCancellationRequested: false, onCancellationRequested: cancelled.event };
            return task({ report: (v: any) => record.reports.push(v) }, token).then((r) => {
                record.done = true;
                return r;
            });
        },
        createWebviewPanel(viewType: string, title: string) {
            const disposed = new EventEmitter<void>();
            const record = { viewType, title, html: '', disposed: false };
            fake.webviews.push(record);
            return {
                webview: { cspSource: 'vscode-resource:', set html(v: string) { record.html = v; }, get html() { return record.html; } },
                reveal: () => undefined,
                onDidDispose: disposed.event,
                dispose: () => {
                    record.disposed = true;
                    disposed.fire();
                },
            };
        },
        tabGroups: {
            get all() {
                return [{ tabs: fake.tabs }];
            },
            close(tabs: unknown[]) {
                fake.tabs = fake.tabs.filter((t) => !tabs.includes(t));
                return Promise.resolve(true);
            },
        },
    },
    commands: {
        registerCommand(id: string, fn: (...args: any[]) => any) {
            if (fake.commands.has(id)) throw new Error(`command '${id}' already exists`);
            fake.commands.set(id, fn);
            return new Disposable(() => fake.commands.delete(id));
        },
        async executeCommand(id: string, ...args: any[]) {
            fake.executed.push({ id, args });
            const fn = fake.commands.get(id);
            return fn ? fn(...args) : builtin(id, args);
        },
        getCommands: () => Promise.resolve([...fake.commands.keys()]),
    },
    workspace: {
        get workspaceFolders() {
            return fake.workspaceFolders;
        },
        getConfiguration: configuration,
        onDidChangeConfiguration: configurationChanged.event,
        registerTextDocumentContentProvider: () => new Disposable(),
        openTextDocument: (uri: Uri) => Promise.resolve({ uri }),
        findFiles: (_include: string, _exclude?: string, max?: number) => Promise.resolve(fake.files.slice(0, max)),
        getWorkspaceFolder: () => fake.workspaceFolders[0],
        asRelativePath: (uri: Uri) => {
            const root = fake.workspaceFolders[0]?.uri.fsPath;
            return root && uri.fsPath.startsWith(`${root}/`) ? uri.fsPath.slice(root.length + 1) : uri.fsPath;
        },
    },
    languages: { setTextDocumentLanguage: (doc: unknown) => Promise.resolve(doc) },
    extensions: { getExtension: () => undefined },
};

const State = { Stopped: 1, Starting: 3, Running: 2 };

/** The language client: `running` starts at once; `spawn` runs the server command the extension built (a real
 *  process: its stderr is what the extension must report) and fails the start when it exits. */
class LanguageClient {
    state = State.Stopped;
    initializeResult: any;
    private readonly stateChanged = new EventEmitter<{ oldState: number; newState: number }>();
    readonly onDidChangeState = this.stateChanged.event;
    private configurationSync: Disposable | undefined;

    constructor(readonly id: string, readonly name: string, readonly serverOptions: any, readonly clientOptions: any) {
        fake.clients.push(this);
    }

    private setState(newState: number): void {
        const oldState = this.state;
        this.state = newState;
        this.stateChanged.fire({ oldState, newState });
    }

    async start(): Promise<void> {
        this.setState(State.Starting);
        if (fake.serverMode === 'spawn') {
            const child = await this.serverOptions();
            const ended = await new Promise<{ how: 'error' | 'exit'; reason: string }>((resolve) => {
                child.on('error', (e: Error) => resolve({ how: 'error', reason: e.message }));
                child.on('exit', (code: number) => resolve({ how: 'exit', reason: `Server exited with code ${code}` }));
            });
            this.setState(State.Stopped);
            // As vscode-languageclient 9 does: a forced notification, unless the extension quiets it; a process that
            // could not be spawned rejects start(), one that exits during initialize lets start() resolve.
            this.error(`${this.name} client: couldn't create connection to server.`, ended.reason, 'force');
            if (ended.how === 'error') throw new Error(`Server initialization failed: ${ended.reason}`);
            return;
        }
        this.initializeResult = { capabilities: { executeCommandProvider: { commands: [] } }, serverInfo: { name: 'fake', version: '0' } };
        this.setState(State.Running);
        // As the library's configuration feature: a change of the synchronized section goes through the
        // middleware's didChangeConfiguration (or is sent as it is).
        const section = this.clientOptions.synchronize?.configurationSection;
        this.configurationSync = configurationChanged.event((e) => {
            if (!section || !e.affectsConfiguration(section) || this.state !== State.Running) return;
            const send = () => this.sendNotification(languageClient.DidChangeConfigurationNotification.type, { settings: null });
            const middleware = this.clientOptions.middleware?.workspace?.didChangeConfiguration;
            void (middleware ? middleware([section], send) : send());
        });
    }

    sendRequest(type: any, params?: any): Promise<any> {
        const method = typeof type === 'string' ? type : type.method;
        fake.requests.push({ method, params });
        try {
            return Promise.resolve(fake.onRequest(method, params));
        } catch (error) {
            return Promise.reject(error);
        }
    }

    /** The library's error: logged, and a notification when `showNotification` asks for one. */
    error(message: string, _data?: unknown, showNotification: boolean | 'force' = true): void {
        fake.output.push(`[client error] ${message}`);
        if (showNotification === 'force') void vscode.window.showErrorMessage(message, 'Go to output');
    }

    sendNotification(type: any, params?: any): Promise<void> {
        fake.notificationsSent.push({ method: typeof type === 'string' ? type : type.method, params });
        return Promise.resolve();
    }

    onNotification(method: string, handler: (params: any) => unknown): Disposable {
        fake.notificationHandlers.set(method, handler);
        return new Disposable(() => fake.notificationHandlers.delete(method));
    }

    needsStop(): boolean {
        return this.state !== State.Stopped;
    }

    async stop(): Promise<void> {
        this.configurationSync?.dispose();
        this.setState(State.Stopped);
    }
}

export const languageClient: any = {
    __esModule: true,
    LanguageClient,
    State,
    CloseAction: { DoNotRestart: 1, Restart: 2 },
    ErrorAction: { Continue: 1, Shutdown: 2 },
    RevealOutputChannelOn: { Debug: 0, Info: 1, Warn: 2, Error: 3, Never: 4 },
    ExecuteCommandRequest: { type: { method: 'workspace/executeCommand' } },
    DidChangeConfigurationNotification: { type: { method: 'workspace/didChangeConfiguration' } },
};

const loader = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };
const load = loader._load;
loader._load = function (request: string, parent: unknown, isMain: boolean) {
    if (request === 'vscode') return vscode;
    if (request === 'vscode-languageclient/node') return languageClient;
    return load.call(this, request, parent, isMain);
};

/** Resolves once `check` holds (the extension's handlers are async and not awaited by VS Code either). */
export async function waitFor<T>(check: () => T | undefined | false, what: string, ms = 5000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
        const value = check();
        if (value) return value;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
    }
}
