// Pure interpreter resolution (no `vscode` import, so it is unit-testable under plain node).
import * as os from 'os';
import * as path from 'path';

export type InterpreterSource = 'setting' | 'workspace-venv' | 'python-extension' | 'default';

export interface Interpreter {
    /** Command and leading arguments, e.g. ["/proj/.venv/bin/python"] or ["py", "-3"]. */
    command: string[];
    source: InterpreterSource;
}

export interface InterpreterInputs {
    /** `refactorcoder.interpreter`: a command as a list of words; empty means "not set". */
    configured: readonly string[];
    /** File-system paths of the workspace folders, first one first. */
    workspaceFolders: readonly string[];
    /** Asks the ms-python extension for its selected interpreter; undefined when not installed. */
    pythonExtension?: () => Promise<string[] | undefined>;
    exists: (file: string) => boolean;
    platform?: NodeJS.Platform;
    home?: string;
}

/** Expands `~`, `${userHome}` and `${workspaceFolder}` in one word of the interpreter setting. */
export function expandVariables(word: string, workspaceFolder: string | undefined, home: string): string {
    let out = word.replace(/\$\{userHome\}/g, home);
    if (workspaceFolder !== undefined) {
        out = out.replace(/\$\{workspaceFolder\}/g, workspaceFolder);
    }
    if (out === '~' || out.startsWith('~/')) {
        out = home + out.slice(1);
    }
    return out;
}

export function venvPython(folder: string, platform: NodeJS.Platform): string {
    return platform === 'win32'
        ? path.win32.join(folder, '.venv', 'Scripts', 'python.exe')
        : path.posix.join(folder, '.venv', 'bin', 'python');
}

/**
 * Order: the `refactorcoder.interpreter` setting; else `<workspace>/.venv/bin/python` of the first
 * folder that has one; else the ms-python extension's selected interpreter; else `python3` (`python` on Windows).
 */
export async function resolveInterpreter(inputs: InterpreterInputs): Promise<Interpreter> {
    const platform = inputs.platform ?? process.platform;
    const home = inputs.home ?? os.homedir();
    const configured = inputs.configured.filter((w) => w.trim() !== '');
    if (configured.length > 0) {
        const folder = inputs.workspaceFolders[0];
        return { command: configured.map((w) => expandVariables(w, folder, home)), source: 'setting' };
    }
    for (const folder of inputs.workspaceFolders) {
        const candidate = venvPython(folder, platform);
        if (inputs.exists(candidate)) {
            return { command: [candidate], source: 'workspace-venv' };
        }
    }
    if (inputs.pythonExtension) {
        try {
            const fromExtension = await inputs.pythonExtension();
            if (fromExtension && fromExtension.length > 0 && fromExtension[0]) {
                return { command: fromExtension, source: 'python-extension' };
            }
        } catch {
            // The Python extension is optional; fall through to the default.
        }
    }
    return { command: [platform === 'win32' ? 'python' : 'python3'], source: 'default' };
}

/** The process that runs the language server over stdio. */
export function serverCommand(interpreter: readonly string[], serverArgs: readonly string[]): { command: string; args: string[] } {
    const [command, ...rest] = interpreter;
    return { command, args: [...rest, '-m', 'server', 'lsp', ...serverArgs] };
}
