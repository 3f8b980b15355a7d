// Finding the Python that runs the server: VS Code glue around the pure resolver in interpreter.ts.
import * as fs from 'fs';
import * as vscode from 'vscode';
import { Interpreter, resolveInterpreter } from './interpreter';
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

export async function findInterpreter(): Promise<Interpreter> {
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
    const resource = folders[0]?.uri;
    const configured = vscode.workspace.getConfiguration(SECTION, resource).get<string[] | string>('interpreter') ?? [];
    return resolveInterpreter({
        configured: typeof configured === 'string' ? [configured] : configured,
        workspaceFolders: folders.map((f) => f.uri.fsPath),
        pythonExtension: () => pythonExtensionInterpreter(resource),
        exists: (file) => fs.existsSync(file),
    });
}

/** Fires when the ms-python extension's selected interpreter changes (so the server can be restarted). */
export function onPythonInterpreterChanged(listener: () => void): vscode.Disposable {
    const extension = vscode.extensions.getExtension<{ environments?: { onDidChangeActiveEnvironmentPath: vscode.Event<unknown> } }>(
        'ms-python.python',
    );
    const event = extension?.isActive ? extension.exports.environments?.onDidChangeActiveEnvironmentPath : undefined;
    return event ? event(() => listener()) : new vscode.Disposable(() => undefined);
}
