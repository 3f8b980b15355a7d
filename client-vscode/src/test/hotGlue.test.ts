// "RefactorCoder: Find Hot Functions…" under the fake `vscode`: a launch.json configuration offered, the command
// line edited in the input box, the server command's arguments, the list of hot functions, the chosen one opened.
import { fake, waitFor } from './fakeVscode'; // first: installs the fake `vscode` module
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterEach, test } from 'node:test';
import { activate, deactivate } from '../extension';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rc-hot-'));
process.env.XDG_CONFIG_HOME = path.join(tmp, 'config');
const GOOD = path.join(tmp, 'good-python');
fs.writeFileSync(GOOD, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
const ROW = { uri: `file://${tmp}/pkg/slow.py`, function: 'Grid.cells', line: 41, calls: 1204, ownS: 0.41, cumulativeS: 0.5,
              ownShare: 0.38, samples: 3 };

afterEach(() => deactivate());

test('Find Hot Functions: launch configuration, edited command, server command, list, the chosen one opened', async () => {
    fake.reset();
    fake.workspaceFolders = [{ uri: { scheme: 'file', fsPath: tmp, path: tmp, toString: () => `file://${tmp}` } as never, name: 'ws', index: 0 }];
    fake.config['refactorcoder.interpreter'] = [GOOD];
    fake.config['launch.configurations'] = [
        { name: 'Bench', type: 'debugpy', request: 'launch', program: '${workspaceFolder}/bench.py', args: ['--n', '5'] },
    ];
    await activate({ subscriptions: [] } as never);
    await waitFor(() => fake.output.some((l) => l.includes('Server running')), 'the server to run');

    const picks: { label: string; description: string; detail: string }[][] = [];
    fake.quickPick = (items) => {
        picks.push(items);
        return picks.length === 1 ? items.find((i: { label: string }) => i.label === 'Bench') : items[0];
    };
    const boxes: { value: string; validateInput: (text: string) => string | undefined }[] = [];
    fake.inputBox = (options) => {
        boxes.push(options);
        return `${options.value} --quick`;
    };
    fake.onRequest = (method, params) =>
        method === 'workspace/executeCommand' && params.command === 'refactorcoder.findHotFunctions'
            ? { jobId: 'j1', status: 'done', report: { root: tmp, command: params.arguments[0].command, exitCode: 0, wallS: 1.5,
                                                         functions: [ROW], notes: [], summary: '1 hot function' } }
            : undefined;
    await fake.commands.get('refactorcoder.run.findHotFunctions')!();

    // No tests in the workspace and no active file: `pytest` is the default, the launch configuration beside it.
    assert.deepEqual(picks[0].map((i) => [i.label, i.description]), [['pytest', 'pytest'], ['Bench', 'python bench.py --n 5']]);
    assert.equal(boxes[0].value, 'python bench.py --n 5');
    assert.match(boxes[0].validateInput('python "x') ?? '', /unbalanced/);
    assert.equal(boxes[0].validateInput('pytest'), undefined);
    const sent = fake.requests.filter((r) => r.params?.command === 'refactorcoder.findHotFunctions');
    assert.deepEqual(sent.map((r) => r.params.arguments), [[{ uri: `file://${tmp}`, command: ['python', 'bench.py', '--n', '5', '--quick'] }]]);
    assert.deepEqual(picks[1].map((i) => [i.label, i.description, i.detail]),
        [['$(flame) Grid.cells', '38% own time · 1,204 calls · 0.410 s', 'pkg/slow.py:42']]);
    assert.equal(fake.shownDocuments.length, 1);
    assert.equal(fake.shownDocuments[0].document.uri.fsPath, `${tmp}/pkg/slow.py`);
    assert.equal(fake.shownDocuments[0].options.selection.start.line, 41);
    assert.deepEqual(fake.messages.filter((m) => m.kind === 'error'), []);
});
