// Pure interpreter resolution and the server's launch command (no `vscode` import, so it is unit-testable
// under plain node).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export type InterpreterSource =
    | 'setting'
    | 'workspace-venv'
    | 'python-extension'
    | 'console-script'
    | 'setup-marker'
    | 'path'
    | 'default';

/** How each source is named to the user (log lines, the Choose Interpreter list). */
export const SOURCE_LABELS: Record<InterpreterSource, string> = {
    setting: 'refactorcoder.interpreter setting',
    'workspace-venv': "the workspace's virtual environment",
    'python-extension': "the Python extension's interpreter",
    'console-script': 'the refactorcoder command on PATH',
    'setup-marker': 'installed by scripts/setup.sh',
    path: 'python3 on PATH',
    default: 'default',
};

/** One Python that may run the server, and where it was found. */
export interface Candidate {
    command: string[];
    source: InterpreterSource;
}

export interface Interpreter {
    /** Command and leading arguments, e.g. ["/proj/.venv/bin/python"] or ["py", "-3"]. */
    command: string[];
    source: InterpreterSource;
    /** Whether the probe found refactorcoder installed for this command (absent: not probed). */
    hasRefactorcoder?: boolean;
    /** Candidates passed over because refactorcoder is not installed for them. */
    skipped?: string[][];
}

export interface InterpreterInputs {
    /** `refactorcoder.interpreter`: a command as a list of words; empty means "not set". */
    configured: readonly string[];
    /** File-system paths of the workspace folders, first one first. */
    workspaceFolders: readonly string[];
    /** Asks the ms-python extension for its selected interpreter; undefined when not installed. */
    pythonExtension?: () => Promise<string[] | undefined>;
    /** The interpreter of the `refactorcoder` console script on PATH (from its shebang), if any. */
    consoleScript?: () => string[] | undefined;
    /** The Python that scripts/setup.sh installed refactorcoder into (its marker file, see setupMarkerPath). */
    setupMarker?: () => string[] | undefined;
    /** Whether refactorcoder is installed for an interpreter command; absent: every candidate counts. */
    hasRefactorcoder?: (command: string[]) => Promise<boolean>;
    exists: (file: string) => boolean;
    platform?: NodeJS.Platform;
    home?: string;
}

/** server-launch.json: the one description of the server process; tests/server/test_shadowing.py reads it too. */
export interface LaunchSpec {
    /** Python arguments before the user's serverArgs, e.g. ["-I", "-m", "server", "lsp"]. */
    args: string[];
    /** "extension": the extension's own folder, never the workspace (whose files must not be importable). */
    cwd: 'extension';
    /** Python arguments that exit 0 only when refactorcoder is installed for that interpreter. */
    probe: string[];
}

/** The extension's root folder (out/.. once compiled): holds package.json and server-launch.json. */
export const EXTENSION_ROOT = path.resolve(__dirname, '..');

export function loadLaunchSpec(root: string = EXTENSION_ROOT): LaunchSpec {
    const file = path.join(root, 'server-launch.json');
    const spec = JSON.parse(fs.readFileSync(file, 'utf8')) as LaunchSpec;
    if (!Array.isArray(spec.args) || !Array.isArray(spec.probe) || spec.cwd !== 'extension') {
        throw new Error(`malformed ${file}`);
    }
    return spec;
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
    return venvPythonIn(folder, '.venv', platform);
}

/**
 * The interpreter a console script runs: its `#!` line, or pip's form for long paths
 * (`#!/bin/sh` then `'''exec' /path/python "$0" "$@"`).
 */
export function shebangInterpreter(text: string): string[] | undefined {
    const [first = '', second = ''] = text.split(/\r?\n/, 2);
    if (!first.startsWith('#!')) {
        return undefined;
    }
    const words = first.slice(2).trim().split(/\s+/).filter(Boolean);
    if (words.length === 1 && words[0] === '/bin/sh') {
        const exec = /^'''exec' (\S+) "\$0"/.exec(second);
        return exec ? [exec[1]] : undefined;
    }
    return words.length > 0 ? words : undefined;
}

/** Folders of a workspace that commonly hold its virtual environment, in the order they are tried. */
export const VENV_FOLDERS = ['.venv', 'venv', 'env'] as const;

export function venvPythonIn(folder: string, venv: string, platform: NodeJS.Platform): string {
    return platform === 'win32' ? path.win32.join(folder, venv, 'Scripts', 'python.exe') : path.posix.join(folder, venv, 'bin', 'python');
}

/**
 * scripts/setup.sh's marker: a one-line file naming the Python it installed refactorcoder into, at
 * `${XDG_CONFIG_HOME:-~/.config}/refactorcoder/interpreter`.
 */
export function setupMarkerPath(env: Record<string, string | undefined>, home: string): string {
    const config = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config');
    return path.join(config, 'refactorcoder', 'interpreter');
}

/** The marker's interpreter: its first line that is neither blank nor a `#` comment. */
export function parseSetupMarker(text: string): string[] | undefined {
    const line = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#'));
    return line ? [line] : undefined;
}

/**
 * Every Python that may run the server, without the setting, in the order discovery tries them: the workspace
 * folders' `.venv` (then `venv`, `env`), the ms-python extension's interpreter, the interpreter of the
 * `refactorcoder` console script on PATH, the one scripts/setup.sh recorded. Only existing files (commands from the Python extension and shebangs are taken as
 * given); each command once. Lazy: discovery stops at the first one that has refactorcoder.
 */
export async function* interpreterCandidates(inputs: InterpreterInputs): AsyncGenerator<Candidate> {
    const platform = inputs.platform ?? process.platform;
    const seen = new Set<string>();
    const fresh = (command: string[] | undefined): command is string[] => {
        if (!command || command.length === 0 || !command[0]) return false;
        const key = command.join('\0');
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
    };
    for (const folder of inputs.workspaceFolders) {
        for (const venv of VENV_FOLDERS) {
            const command = [venvPythonIn(folder, venv, platform)];
            if (inputs.exists(command[0]) && fresh(command)) yield { command, source: 'workspace-venv' };
        }
    }
    if (inputs.pythonExtension) {
        let fromExtension: string[] | undefined;
        try {
            fromExtension = await inputs.pythonExtension();
        } catch {
            // The Python extension is optional; fall through.
        }
        if (fresh(fromExtension)) yield { command: fromExtension, source: 'python-extension' };
    }
    const fromScript = inputs.consoleScript?.();
    if (fresh(fromScript)) yield { command: fromScript, source: 'console-script' };
    const fromSetup = inputs.setupMarker?.();
    if (fromSetup && inputs.exists(fromSetup[0]) && fresh(fromSetup)) yield { command: fromSetup, source: 'setup-marker' };
}

/** The last resort: `python3` (`python` on Windows) from PATH. */
export function defaultPython(platform: NodeJS.Platform = process.platform): string[] {
    return [platform === 'win32' ? 'python' : 'python3'];
}

/**
 * Order: the `refactorcoder.interpreter` setting (used as given); else the first of interpreterCandidates that
 * has refactorcoder installed (a workspace's own .venv without it is passed over); else `python3` (`python` on
 * Windows), marked as lacking it when probed.
 */
export async function resolveInterpreter(inputs: InterpreterInputs): Promise<Interpreter> {
    const platform = inputs.platform ?? process.platform;
    const home = inputs.home ?? os.homedir();
    const probe = inputs.hasRefactorcoder;
    const configured = inputs.configured.filter((w) => w.trim() !== '');
    if (configured.length > 0) {
        const folder = inputs.workspaceFolders[0];
        const command = configured.map((w) => expandVariables(w, folder, home));
        return probe ? { command, source: 'setting', hasRefactorcoder: await probe(command) } : { command, source: 'setting' };
    }
    const skipped: string[][] = [];
    for await (const { command, source } of interpreterCandidates({ ...inputs, platform })) {
        if (!probe) {
            return { command, source };
        }
        if (await probe(command)) {
            return { command, source, hasRefactorcoder: true, skipped };
        }
        skipped.push(command);
    }
    const command = defaultPython(platform);
    return probe ? { command, source: 'default', hasRefactorcoder: await probe(command), skipped } : { command, source: 'default' };
}

/** The server process: `<python> -I -m server lsp <serverArgs>` (per server-launch.json) in the extension's folder. */
export function serverCommand(
    interpreter: readonly string[],
    serverArgs: readonly string[],
    launch: LaunchSpec = loadLaunchSpec(),
    root: string = EXTENSION_ROOT,
): { command: string; args: string[]; cwd: string } {
    const [command, ...rest] = interpreter;
    return { command, args: [...rest, ...launch.args, ...serverArgs], cwd: root };
}

/** The probe process: exits 0 only if refactorcoder is installed for `interpreter`. */
export function probeCommand(interpreter: readonly string[], launch: LaunchSpec = loadLaunchSpec()): { command: string; args: string[] } {
    const [command, ...rest] = interpreter;
    return { command, args: [...rest, ...launch.probe] };
}
