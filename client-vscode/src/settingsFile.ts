// A user settings.json written on disk (by a script, another editor) is not taken up by code-server until a reload
// (tests/client/vscode_first_start_e2e.js saw it: no configuration change within 30 s). The extension host runs
// where that file is, so it watches the file and writes each `refactorcoder.*` value VS Code has not taken up
// through the configuration API; VS Code then holds the value and fires onDidChangeConfiguration, the path every
// other change takes (settings pushed to the server, or a restart for the interpreter). Idempotent: once VS Code
// holds the file's values there is nothing to write.
import * as fs from 'fs';
import { parse, ParseError } from 'jsonc-parser';
import * as path from 'path';
import * as vscode from 'vscode';
import { CLIENT_ONLY_KEYS, SECTION, SERVER_KEYS } from './settings';

/** Every key of the section (what package.json contributes). */
export const SECTION_KEYS: readonly string[] = [...SERVER_KEYS, ...CLIENT_ONLY_KEYS];

/** Pure: the section's values in a settings.json text (comments and trailing commas allowed); undefined when it
 *  does not parse (a file caught half-written). */
export function sectionOnDisk(text: string): Record<string, unknown> | undefined {
    const errors: ParseError[] = [];
    const all = parse(text, errors, { allowTrailingComma: true });
    if (errors.length > 0 || typeof all !== 'object' || all === null || Array.isArray(all)) return undefined;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(all)) {
        if (key.startsWith(`${SECTION}.`) && SECTION_KEYS.includes(key.slice(SECTION.length + 1))) {
            out[key.slice(SECTION.length + 1)] = value;
        }
    }
    return out;
}

/** Pure: the keys whose value on disk differs from the user value VS Code holds (undefined: taken out of the file). */
export function notTakenUp(onDisk: Record<string, unknown>, held: (key: string) => unknown): [string, unknown][] {
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    return SECTION_KEYS.filter((key) => !same(onDisk[key], held(key))).map((key) => [key, onDisk[key]]);
}

/** The profile's settings.json beside the extension's global storage (`<user data>/User/globalStorage/<id>`). */
export function userSettingsFile(globalStorage: vscode.Uri): string | undefined {
    if (globalStorage.scheme !== 'file') return undefined;
    const file = path.join(path.dirname(path.dirname(globalStorage.fsPath)), 'settings.json');
    return fs.existsSync(file) ? file : undefined;
}

export function watchUserSettings(file: string, output: vscode.LogOutputChannel): vscode.Disposable {
    let timer: NodeJS.Timeout | undefined;
    const takeUp = async () => {
        let text: string;
        try {
            text = fs.readFileSync(file, 'utf8');
        } catch {
            return; // being replaced: the next event reads it
        }
        const onDisk = sectionOnDisk(text);
        if (!onDisk) return;
        const config = vscode.workspace.getConfiguration(SECTION);
        for (const [key, value] of notTakenUp(onDisk, (k) => config.inspect(k)?.globalValue)) {
            output.info(`${file} changed on disk: refactorcoder.${key} taken up without a reload`);
            await vscode.workspace.getConfiguration(SECTION).update(key, value, vscode.ConfigurationTarget.Global);
        }
    };
    // The folder, not the file: an editor that saves by replacing the file would end a watch on the file itself.
    let watcher: fs.FSWatcher | undefined;
    try {
        watcher = fs.watch(path.dirname(file), (_event, name) => {
            if (name && name !== path.basename(file)) return;
            clearTimeout(timer);
            timer = setTimeout(() => void takeUp().catch((e) => output.warn(`settings.json not taken up: ${e}`)), 500);
        });
    } catch (error) {
        output.info(`not watching ${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
    return new vscode.Disposable(() => {
        clearTimeout(timer);
        watcher?.close();
    });
}
