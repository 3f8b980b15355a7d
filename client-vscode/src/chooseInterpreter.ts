// "Choose Interpreter": a list of the Pythons discovery knows (each marked by whether refactorcoder is installed
// for it), a file picker and a typed path; the choice goes into `refactorcoder.interpreter` and the server restarts.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { SOURCE_LABELS } from './interpreter';
import { interpreterChoices } from './python';
import { SECTION } from './settings';

export const BROWSE_LABEL = '$(folder-opened) Browse…';
export const ENTER_PATH_LABEL = '$(edit) Enter interpreter path…';

interface Choice extends vscode.QuickPickItem {
    command?: string[];
    action?: 'browse' | 'enter';
}

async function choiceItems(): Promise<Choice[]> {
    const found = await interpreterChoices();
    // Those that can run the server first; discovery's order within each group.
    const ordered = [...found.filter((c) => c.hasRefactorcoder), ...found.filter((c) => !c.hasRefactorcoder)];
    return [
        ...ordered.map((c) => ({
            label: `${c.hasRefactorcoder ? '$(check)' : '$(circle-slash)'} ${c.command.join(' ')}`,
            description: SOURCE_LABELS[c.source],
            detail: c.hasRefactorcoder ? 'refactorcoder is installed for it' : 'refactorcoder is not installed for it',
            command: c.command,
        })),
        { label: ENTER_PATH_LABEL, description: 'type the path of a Python', action: 'enter' },
        { label: BROWSE_LABEL, description: 'pick a Python in a file dialog', action: 'browse' },
    ];
}

async function askForPath(): Promise<string[] | undefined> {
    const typed = await vscode.window.showInputBox({
        title: 'Python with refactorcoder installed',
        prompt: 'The path of the Python that runs the RefactorCoder server, e.g. /path/to/RefactorCoder/.venv/bin/python',
        ignoreFocusOut: true,
        validateInput: (value) => {
            const file = value.trim();
            if (!file) return undefined;
            return path.isAbsolute(file) && fs.existsSync(file) ? undefined : 'no such file (an absolute path is needed)';
        },
    });
    return typed?.trim() ? [typed.trim()] : undefined;
}

async function browse(): Promise<string[] | undefined> {
    const picked = await vscode.window.showOpenDialog({
        canSelectMany: false,
        openLabel: 'Use this Python for RefactorCoder',
        title: 'Python with refactorcoder installed',
    });
    return picked?.[0] ? [picked[0].fsPath] : undefined;
}

/** Where the setting goes: the workspace for a Python inside it (its own venv), else the user's settings. */
function settingTarget(python: string): vscode.ConfigurationTarget {
    const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file' && python.startsWith(f.uri.fsPath + path.sep));
    return folder ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
}

/** Returns the command written to the setting (undefined: the user cancelled). */
export async function chooseInterpreter(restart: () => Promise<unknown>): Promise<string[] | undefined> {
    const pick = await vscode.window.showQuickPick(choiceItems(), {
        title: 'RefactorCoder: Python that runs the server',
        placeHolder: 'Pick a Python with refactorcoder installed (✓), browse for one, or type its path',
        matchOnDescription: true,
        matchOnDetail: true,
        ignoreFocusOut: true,
    });
    if (!pick) return undefined;
    const command = pick.command ?? (pick.action === 'enter' ? await askForPath() : await browse());
    if (!command) return undefined;
    await vscode.workspace.getConfiguration(SECTION).update('interpreter', command, settingTarget(command[0]));
    // The configuration change restarts it too; restart() joins a restart already under way (and restarts when
    // the setting already held this value, so no change event came).
    await restart();
    return command;
}
