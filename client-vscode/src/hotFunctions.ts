// "Find hot functions": the pure parts (no `vscode` import) — the command line the user types or a launch.json
// Python configuration gives, and the quick pick's text for the server's answer (server/PROTOCOL.md).

/** Server command: trace a command in the sandbox, answer the project's functions by own time. */
export const FIND_HOT_COMMAND = 'refactorcoder.findHotFunctions';
/** Palette command (the server's id is registered by the language client itself). */
export const FIND_HOT_PALETTE_COMMAND = 'refactorcoder.run.findHotFunctions';
export const HOT_KIND = 'findHotFunctions';

export interface HotFunctionRow {
    uri: string;
    function: string;
    /** The definition's first line, 0-based. */
    line: number;
    calls: number | null;
    ownS: number;
    cumulativeS: number;
    ownShare: number;
    samples: number;
}

export interface HotFunctionsReport {
    root: string;
    command: string[];
    exitCode: number;
    wallS: number;
    functions: HotFunctionRow[];
    notes: string[];
    summary: string;
}

/** Words of a command line as a POSIX shell splits them (quotes and backslashes; no expansion: nothing runs
 *  through a shell, the server reads the words). Unbalanced quotes throw. */
export function splitCommandLine(text: string): string[] {
    const words: string[] = [];
    let word = '';
    let inWord = false;
    let quote: '"' | "'" | undefined;
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (quote === "'") {
            if (c === "'") quote = undefined;
            else word += c;
        } else if (quote === '"') {
            if (c === '"') quote = undefined;
            else if (c === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1])) word += text[++i];
            else word += c;
        } else if (c === "'" || c === '"') {
            quote = c;
            inWord = true;
        } else if (c === '\\' && i + 1 < text.length) {
            word += text[++i];
            inWord = true;
        } else if (/\s/.test(c)) {
            if (inWord) words.push(word);
            word = '';
            inWord = false;
        } else {
            word += c;
            inWord = true;
        }
    }
    if (quote) throw new Error(`unbalanced ${quote} in the command line`);
    if (inWord) words.push(word);
    return words;
}

/** The words as one line the shell would split back into them. */
export function joinCommandLine(words: string[]): string {
    return words.map((w) => (w && /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** `pytest` when the workspace has tests, else `python <the active file>` (relative to the folder). */
export function defaultCommandLine(hasTests: boolean, activeFile?: string): string {
    if (hasTests || !activeFile) return 'pytest';
    return joinCommandLine(['python', activeFile]);
}

export interface CommandChoice { label: string; line: string; detail?: string }

/** launch.json's Python configurations as command lines (`program` or `module`, and `args`), relative to the
 *  workspace folder; `${workspaceFolder}` and `${file}` replaced, anything else with `${` left out. */
export function launchCommandLines(configurations: unknown, folder: string, activeFile?: string): CommandChoice[] {
    if (!Array.isArray(configurations)) return [];
    const out: CommandChoice[] = [];
    const expand = (value: string): string | undefined => {
        let text = value.replace(/\$\{workspaceFolder\}[/\\]?/g, '');
        if (text.includes('${file}')) {
            if (!activeFile) return undefined;
            text = text.replace(/\$\{file\}/g, activeFile);
        }
        if (text.startsWith(folder + '/')) text = text.slice(folder.length + 1);
        return text.includes('${') ? undefined : text;
    };
    for (const config of configurations) {
        if (!config || typeof config !== 'object') continue;
        const c = config as Record<string, unknown>;
        if (!['python', 'debugpy'].includes(String(c.type)) || (c.request ?? 'launch') !== 'launch') continue;
        const rawArgs = typeof c.args === 'string' ? splitSafe(c.args) : Array.isArray(c.args) ? c.args : [];
        const args = rawArgs.map((a) => (typeof a === 'string' ? expand(a) : undefined));
        if (args.some((a) => a === undefined)) continue;
        let head: string[] | undefined;
        if (typeof c.program === 'string') {
            const program = expand(c.program);
            if (program) head = ['python', program];
        } else if (typeof c.module === 'string' && c.module) {
            head = c.module === 'pytest' ? ['pytest'] : ['python', '-m', c.module];
        }
        if (!head) continue;
        out.push({ label: String(c.name ?? 'launch configuration'), line: joinCommandLine([...head, ...(args as string[])]),
                   detail: 'launch.json' });
    }
    return out;
}

function splitSafe(text: string): unknown[] {
    try {
        return splitCommandLine(text);
    } catch {
        return [undefined];
    }
}

/** The quick pick's description of one hot function: "38% own time · 1,204 calls · 0.412 s". */
export function hotDescription(row: HotFunctionRow): string {
    const calls = row.calls == null ? 'calls not counted' : `${row.calls.toLocaleString('en-US')} call${row.calls === 1 ? '' : 's'}`;
    return `${Math.round(row.ownShare * 100)}% own time · ${calls} · ${row.ownS.toFixed(3)} s`;
}

/** The file of a hot function relative to the traced project's root, with its 1-based line. */
export function hotWhere(row: HotFunctionRow, rootUri: string): string {
    const base = rootUri.endsWith('/') ? rootUri : rootUri + '/';
    const file = row.uri.startsWith(base) ? decodeURIComponent(row.uri.slice(base.length)) : row.uri;
    return `${file}:${row.line + 1}`;
}
