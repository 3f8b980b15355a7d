// Finding the Python that runs the server: VS Code glue around the pure resolver in interpreter.ts.
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import {
    Candidate,
    defaultPython,
    EXTENSION_ROOT,
    Interpreter,
    InterpreterInputs,
    interpreterCandidates,
    parseSetupMarker,
    probeCommand,
    resolveInterpreter,
    setupMarkerPath,
    shebangInterpreter,
} from './interpreter';
import { SECTION } from './settings';

/** The part of the ms-python extension API we use (both the current and the older shape). */
interface PythonExtensionApi {
    environments?: {
        getActiveEnvironmentPath(resource?: vscode.Uri): { path: string };
        resolveEnvironment(env: { path: string } | string): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
    };
    settings?: { getExecutionDetails(resource?: vscode.Uri): { execCommand: string[] | undefined } };
}

function withTimeout<T>(promise: Thenable<T>, ms: number): Promise<T | undefined> {
    return Promise.race([Promise.resolve(promise), new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms))]);
}

async function pythonExtensionInterpreter(resource: vscode.Uri | undefined): Promise<string[] | undefined> {
    const extension = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
    if (!extension) {
        return undefined;
    }
    const api = extension.isActive ? extension.exports : await withTimeout(extension.activate(), 10_000);
    if (!api) {
        return undefined;
    }
    if (api.environments) {
        const env = await api.environments.resolveEnvironment(api.environments.getActiveEnvironmentPath(resource));
        if (env?.executable.uri) {
            return [env.executable.uri.fsPath];
        }
    }
    return api.settings?.getExecutionDetails(resource).execCommand;
}

/** True when `<interpreter> -I -c "...version('refactorcoder')"` exits 0 (run in the extension's folder, not the workspace). */
export function hasRefactorcoder(command: string[]): Promise<boolean> {
    const { command: exe, args } = probeCommand(command);
    return new Promise((resolve) => {
        execFile(exe, args, { cwd: EXTENSION_ROOT, timeout: 20_000, windowsHide: true }, (error) => resolve(!error));
    });
}

/** The interpreter named by the `refactorcoder` console script's shebang, for the first one on PATH. */
function consoleScriptInterpreter(): string[] | undefined {
    if (process.platform === 'win32') {
        return undefined; // console scripts are .exe launchers there
    }
    for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
        const script = path.join(dir, 'refactorcoder');
        try {
            const fd = fs.openSync(script, 'r');
            try {
                const head = Buffer.alloc(1024);
                const n = fs.readSync(fd, head, 0, head.length, 0);
                return shebangInterpreter(head.subarray(0, n).toString('utf8'));
            } finally {
                fs.closeSync(fd);
            }
        } catch {
            // not in this directory
        }
    }
    return undefined;
}

/** The Python scripts/setup.sh recorded (see setupMarkerPath), if its marker exists. */
function setupMarkerInterpreter(): string[] | undefined {
    try {
        return parseSetupMarker(fs.readFileSync(setupMarkerPath(process.env, os.homedir()), 'utf8'));
    } catch {
        return undefined; // no marker: setup.sh did not run for this user
    }
}

function discoveryInputs(): InterpreterInputs {
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
    const resource = folders[0]?.uri;
    const configured = vscode.workspace.getConfiguration(SECTION, resource).get<string[] | string>('interpreter') ?? [];
    return {
        configured: typeof configured === 'string' ? [configured] : configured,
        workspaceFolders: folders.map((f) => f.uri.fsPath),
        pythonExtension: () => pythonExtensionInterpreter(resource),
        consoleScript: consoleScriptInterpreter,
        setupMarker: setupMarkerInterpreter,
        hasRefactorcoder,
        exists: (file) => fs.existsSync(file),
    };
}

export async function findInterpreter(): Promise<Interpreter> {
    return resolveInterpreter(discoveryInputs());
}

/** Every Python discovery knows of (and python3 on PATH), each probed for refactorcoder: the Choose Interpreter list. */
export async function interpreterChoices(): Promise<(Candidate & { hasRefactorcoder: boolean })[]> {
    const candidates: Candidate[] = [];
    for await (const candidate of interpreterCandidates(discoveryInputs())) candidates.push(candidate);
    candidates.push({ command: defaultPython(), source: 'path' });
    return Promise.all(candidates.map(async (c) => ({ ...c, hasRefactorcoder: await hasRefactorcoder(c.command) })));
}

/** Fires when the ms-python extension's selected interpreter changes (so the server can be restarted). */
export function onPythonInterpreterChanged(listener: () => void): vscode.Disposable {
    const extension = vscode.extensions.getExtension<{ environments?: { onDidChangeActiveEnvironmentPath: vscode.Event<unknown> } }>(
        'ms-python.python',
    );
    const event = extension?.isActive ? extension.exports.environments?.onDidChangeActiveEnvironmentPath : undefined;
    return event ? event(() => listener()) : new vscode.Disposable(() => undefined);
}
