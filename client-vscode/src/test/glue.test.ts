// The extension's VS Code glue under a fake `vscode` (fakeVscode.ts): activation and the always-registered
// commands, start-up errors, the progress notification and its Cancel, the diff's Apply / Discard / stale
// refusal, and every way to a report opening the report view.
import { changeSetting, fake, Shown, waitFor } from './fakeVscode'; // first: installs the fake `vscode` module
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterEach, beforeEach, test } from 'node:test';
import { BROWSE_LABEL, ENTER_PATH_LABEL } from '../chooseInterpreter';
import { activate, deactivate } from '../extension';

const ROOT = path.resolve(__dirname, '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rc-glue-'));
// scripts/setup.sh's marker is read from here: this machine's own (if any) must not decide these tests.
process.env.XDG_CONFIG_HOME = path.join(tmp, 'config');
const MARKER = path.join(tmp, 'config', 'refactorcoder', 'interpreter');

/** An executable standing in for a Python: `body` is its shell script. */
function python(name: string, body: string): string {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return file;
}
// Probe and server both succeed (the fake client never spawns it in `running` mode).
const GOOD = python('good-python', 'exit 0');
// What a Python without refactorcoder prints for `-I -m server lsp` (and its probe fails the same way).
const BAD = python('bad-python', 'echo "/usr/bin/python3: No module named server" >&2; exit 1');

const context = () => ({ subscriptions: [] as { dispose(): unknown }[] }) as never;
const ok = (m: Shown) => m.kind !== 'error';
const errors = () => fake.messages.filter((m) => m.kind === 'error');

beforeEach(() => {
    fake.reset();
    fake.workspaceFolders = [{ uri: { scheme: 'file', fsPath: tmp, path: tmp, toString: () => `file://${tmp}` } as never, name: 'ws', index: 0 }];
});
/** Clean-ups of the test that just ran (VS Code disposes an extension's subscriptions; the fake does not). */
const after: (() => void)[] = [];
afterEach(async () => {
    after.splice(0).forEach((f) => f());
    await deactivate();
});

async function startRunning(): Promise<void> {
    fake.config['refactorcoder.interpreter'] = [GOOD];
    await activate(context());
    await waitFor(() => fake.output.some((l) => l.includes('Server running')), 'the server to run');
}

function executeRequests(command: string) {
    return fake.requests.filter((r) => r.method === 'workspace/executeCommand' && r.params.command === command);
}

test('start-up failure: one error message with its cause and the buttons that fix it', async () => {
    fake.serverMode = 'spawn';
    fake.config['refactorcoder.interpreter'] = [BAD];
    await activate(context());
    await waitFor(() => errors().length, 'the error');
    await new Promise((resolve) => setTimeout(resolve, 200)); // nothing else follows
    assert.equal(errors().length, 1, JSON.stringify(fake.messages));
    assert.match(errors()[0].message, /refactorcoder is not installed for .*bad-python \(your refactorcoder.interpreter setting\) \(No module named server\)/);
    assert.match(errors()[0].message, /Choose Interpreter to pick the Python that has it, or install it: `bash scripts\/setup.sh`/);
    assert.deepEqual(errors()[0].items, ['Choose Interpreter', 'Show Log']);
    // The library's own "couldn't create connection to server." went to the log only.
    assert.equal(fake.messages.length, 1, `no other notification: ${JSON.stringify(fake.messages)}`);
    assert.ok(fake.output.some((l) => l.includes("couldn't create connection")));
});

test('a Python that does not exist is named as not found', async () => {
    fake.serverMode = 'spawn';
    fake.config['refactorcoder.interpreter'] = [path.join(tmp, 'no-such-python')];
    fake.answer = (m) => (m.kind === 'error' ? 'Choose Interpreter' : undefined);
    fake.quickPick = (items) => items.find((i: { label: string }) => i.label === BROWSE_LABEL);
    fake.openDialog = () => {
        fake.serverMode = 'running';
        return [{ fsPath: GOOD } as never];
    };
    await activate(context());
    const [error] = await waitFor(() => errors().length > 0 && errors(), 'the error');
    assert.match(error.message, /no-such-python \(your refactorcoder.interpreter setting\) was not found \(.*ENOENT\)/);
    // Choose Interpreter → Browse…: the picked Python goes into the setting and the server starts with it.
    await waitFor(() => fake.configUpdates.length, 'the setting update');
    assert.deepEqual(fake.configUpdates[0], { key: 'refactorcoder.interpreter', value: [GOOD] });
    await waitFor(() => fake.output.some((l) => l.includes('Server running')), 'the server to run');
});

test('first start with no Python found: the notification says what to do; Choose Interpreter lists the Pythons found and takes a typed path', async () => {
    // A project whose own .venv lacks refactorcoder, no setting, no console script, no setup marker.
    fs.mkdirSync(path.join(tmp, '.venv', 'bin'), { recursive: true });
    fs.copyFileSync(BAD, path.join(tmp, '.venv', 'bin', 'python'));
    fs.chmodSync(path.join(tmp, '.venv', 'bin', 'python'), 0o755);
    const savedPath = process.env.PATH;
    process.env.PATH = '/usr/bin:/bin';
    try {
        fake.serverMode = 'spawn';
        fake.answer = (m) => (m.kind === 'error' ? 'Choose Interpreter' : undefined);
        let listed: { label: string; description?: string; detail?: string }[] = [];
        fake.quickPick = (items) => {
            listed = items;
            return items.find((i: { label: string }) => i.label === ENTER_PATH_LABEL);
        };
        let validation: (value: string) => string | undefined = () => undefined;
        fake.inputBox = (options) => {
            validation = options.validateInput;
            fake.serverMode = 'running';
            return GOOD;
        };
        await activate(context());
        const [error] = await waitFor(() => errors().length > 0 && errors(), 'the error');
        assert.match(error.message, /no Python with refactorcoder installed was found \(tried .*\.venv\/bin\/python, python3\)/);
        assert.match(error.message, /Choose Interpreter/);
        assert.deepEqual(error.items, ['Choose Interpreter', 'Show Log']);
        await waitFor(() => fake.output.some((l) => l.includes('Server running')), 'the server to run with the typed Python');
        // The list: the workspace's .venv (marked as lacking refactorcoder), python3, then the two ways to name one.
        assert.deepEqual(listed.map((i) => i.description), ["the workspace's virtual environment", 'python3 on PATH', 'type the path of a Python', 'pick a Python in a file dialog']);
        assert.match(listed[0].label, /circle-slash.*\.venv\/bin\/python$/);
        assert.equal(listed[0].detail, 'refactorcoder is not installed for it');
        assert.equal(validation(path.join(tmp, 'nope')), 'no such file (an absolute path is needed)');
        assert.equal(validation(GOOD), undefined);
        assert.deepEqual(fake.configUpdates, [{ key: 'refactorcoder.interpreter', value: [GOOD] }]);
        // One restart for the setting's change event and the picker's own restart.
        assert.equal(fake.clients.length, 2);
        assert.equal(errors().length, 1);
    } finally {
        process.env.PATH = savedPath;
        fs.rmSync(path.join(tmp, '.venv'), { recursive: true });
    }
});

test('Choose Interpreter with a Python that lacks refactorcoder: one more notification, not one per restart path', async () => {
    fake.serverMode = 'spawn';
    fake.config['refactorcoder.interpreter'] = [BAD];
    let chosen = 0;
    fake.answer = (m) => (m.kind === 'error' && chosen++ === 0 ? 'Choose Interpreter' : undefined);
    const other = python('other-bad-python', 'echo "/usr/bin/python3: No module named server" >&2; exit 1');
    fake.quickPick = (items) => items.find((i: { label: string }) => i.label === BROWSE_LABEL);
    fake.openDialog = () => [{ fsPath: other } as never];
    await activate(context());
    await waitFor(() => errors().length === 2, 'the second start-up error');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(errors().length, 2, JSON.stringify(errors()));
    assert.match(errors()[1].message, /other-bad-python/);
    assert.equal(fake.clients.length, 2);
});

test('a machine set up by scripts/setup.sh is found with no setting (its marker file)', async () => {
    fs.mkdirSync(path.dirname(MARKER), { recursive: true });
    fs.writeFileSync(MARKER, `${GOOD}\n`);
    try {
        await activate(context());
        await waitFor(() => fake.output.some((l) => l.includes('Server running')), 'the server to run');
        assert.ok(fake.output.some((l) => l.includes(`Python (setup-marker): ${GOOD}`)), fake.output.join('\n'));
    } finally {
        fs.rmSync(MARKER);
    }
});

test('a settings.json written on disk (not through the editor) is taken up without a reload', async () => {
    const user = path.join(tmp, 'User');
    fs.mkdirSync(path.join(user, 'globalStorage', 'refactorcoder.refactorcoder'), { recursive: true });
    const file = path.join(user, 'settings.json');
    fs.writeFileSync(file, JSON.stringify({ 'refactorcoder.interpreter': [GOOD] }));
    fake.config['refactorcoder.interpreter'] = [GOOD];
    const subscriptions: { dispose(): unknown }[] = [];
    after.push(() => subscriptions.forEach((d) => d.dispose())); // the watcher would keep node running
    await activate({ subscriptions, globalStorageUri: { scheme: 'file', fsPath: path.join(user, 'globalStorage', 'refactorcoder.refactorcoder') } } as never);
    await waitFor(() => fake.output.some((l) => l.includes('Server running')), 'the server to run');
    fs.writeFileSync(file, '{\n  // by a script\n  "refactorcoder.interpreter": ["' + GOOD + '"],\n  "refactorcoder.solve": {"max_tokens": 123},\n}\n');
    const pushed = () => fake.notificationsSent.filter((n) => n.method === 'workspace/didChangeConfiguration');
    await waitFor(() => pushed().length, 'the change pushed to the server', 5000);
    assert.equal(pushed()[0].params.settings.refactorcoder.solve.max_tokens, 123);
    assert.deepEqual(fake.configUpdates, [{ key: 'refactorcoder.solve', value: { max_tokens: 123 } }]);
    assert.equal(fake.clients.length, 1, 'no restart for a model setting');
});

test('a changed setting reaches the running server without a reload; a changed interpreter restarts it', async () => {
    await startRunning();
    const pushed = () => fake.notificationsSent.filter((n) => n.method === 'workspace/didChangeConfiguration').map((n) => n.params.settings.refactorcoder);
    changeSetting('refactorcoder.guide', { model: 'openai/gpt-4o-mini', max_tokens: 200 });
    await waitFor(() => pushed().length === 1, 'the pushed settings');
    assert.equal(pushed()[0].guide.max_tokens, 200);
    assert.equal(pushed()[0].guide.model, 'openai/gpt-4o-mini');
    // A key taken out of settings.json is pushed as null: the server goes back to its default.
    changeSetting('refactorcoder.guide', {});
    await waitFor(() => pushed().length === 2, 'the second push');
    assert.equal(pushed()[1].guide.max_tokens, null);
    assert.ok(!('interpreter' in pushed()[1]), 'client-only keys stay in the client');
    // The server's workspace/configuration request is answered in the same shape.
    const [client] = fake.clients;
    const answer = await client.clientOptions.middleware.workspace.configuration(
        { items: [{ section: 'refactorcoder' }] }, undefined, async () => [{ guide: { max_tokens: 99 }, interpreter: [GOOD] }]);
    assert.equal(answer[0].guide.max_tokens, 99);
    assert.equal(answer[0].solve, null);
    assert.ok(!('interpreter' in answer[0]));
    // The limits go with each job from the settings as they are now.
    changeSetting('refactorcoder.limits', { maxAttempts: 2 });
    fake.onRequest = () => ({ functions: [] });
    await fake.commands.get('refactorcoder.run.optimizeChanged')!();
    assert.deepEqual(executeRequests('refactorcoder.optimizeChanged').at(-1)!.params.arguments[0].limits, { maxAttempts: 2 });
    // The interpreter is fixed per process: a new client, started with it.
    changeSetting('refactorcoder.interpreter', [GOOD, '-X', 'utf8']);
    await waitFor(() => fake.clients.length === 2 && fake.clients[1].state === 2, 'the restarted client');
    assert.equal(fake.clients[1].serverOptions !== undefined, true);
    assert.ok(fake.output.some((l) => l.includes(`Python (setting): ${GOOD} -X utf8`)));
});

test('commands stay registered without a server and say it is not running', async () => {
    fake.serverMode = 'spawn';
    fake.config['refactorcoder.interpreter'] = [BAD];
    await activate(context());
    await waitFor(() => fake.messages.length, 'the start-up error');
    // Every contributed command but the three server commands (hidden from the palette; the client library
    // registers them while a server runs) exists although the server never started.
    const serverOnly = ['refactorcoder.guide', 'refactorcoder.solve', 'refactorcoder.judge'];
    const missing = manifest.contributes.commands.map((c: { command: string }) => c.command)
        .filter((id: string) => !serverOnly.includes(id) && !fake.commands.has(id));
    assert.deepEqual(missing, []);

    fake.messages = [];
    fake.answer = (m) => (m.kind === 'warning' ? 'Show Log' : undefined);
    for (const id of ['refactorcoder.run.judge', 'refactorcoder.run.optimize', 'refactorcoder.showReport', 'refactorcoder.run.optimizeChanged']) {
        await fake.commands.get(id)!();
    }
    assert.equal(fake.messages.length, 4);
    for (const m of fake.messages) {
        assert.equal(m.kind, 'warning');
        assert.match(m.message, /^RefactorCoder server is not running: RefactorCoder server did not start: refactorcoder is not installed/);
        assert.deepEqual(m.items, ['Choose Interpreter', 'Show Log', 'Restart Server']);
    }
    await waitFor(() => fake.outputShown === 4, 'Show Log to open the log');
});

test('progress: a notification with Cancel per job; Cancel sends refactorcoder.cancel to the server', async () => {
    await startRunning();
    await fake.notify('refactorcoder/jobStarted', { jobId: 'j1', kind: 'optimize', uri: 'file:///ws/pairs.py', title: 'count_pairs' });
    const [progress] = fake.progress;
    assert.equal(progress.options.location, 15); // ProgressLocation.Notification
    assert.equal(progress.options.cancellable, true);
    assert.equal(progress.options.title, 'RefactorCoder Optimize: count_pairs');
    await fake.notify('refactorcoder/jobProgress', { jobId: 'j1', message: 'refine 1/4 · openai/gpt-4o-mini · running tests', percentage: 25 });
    await fake.notify('refactorcoder/jobProgress', { jobId: 'j1', message: 'refine 2/4 · local · timing', percentage: 50 });
    await fake.notify('refactorcoder/jobProgress', { jobId: 'j1', message: 'refine 4/6 · local · timing screen', percentage: 60,
        search: { round: 2, candidates: 3, passedTests: 2, timing: 2, step: 'screen' } });
    assert.deepEqual(progress.reports, [
        { message: 'refine 1/4 · openai/gpt-4o-mini · running tests', increment: 25 },
        { message: 'refine 2/4 · local · timing', increment: 25 },
        { message: 'round 2 · 3 candidates · 2 pass tests · timing 2', increment: 10 },
    ]);
    progress.cancel();
    await waitFor(() => executeRequests('refactorcoder.cancel').length, 'the cancel request');
    assert.deepEqual(executeRequests('refactorcoder.cancel')[0].params.arguments, [{ jobId: 'j1' }]);
    await fake.notify('refactorcoder/jobFinished', { jobId: 'j1', kind: 'optimize', uri: 'file:///ws/pairs.py', status: 'cancelled' });
    await waitFor(() => progress.done, 'the notification to close');
    assert.deepEqual(fake.messages, [], 'a cancelled job is the user\'s doing: no toast');
});

const SOLUTION = {
    jobId: 'j2', uri: 'file:///ws/pairs.py', version: 3, name: 'count_pairs', kind: 'optimize', runId: 7,
    range: { start: { line: 3, character: 0 }, end: { line: 9, character: 0 } },
    original: 'def count_pairs(xs, k):\n    return 0\n', proposed: 'def count_pairs(xs, k):\n    return 1\n',
    verdict: 'tests 3/3 · 2.0× faster, 95% CI 1.8–2.2',
};
const diffTabs = () => fake.tabs.filter((t) => /↔ proposed/.test(t.label));

test('diff: beside the source, titled with its verdict; Apply applies and closes it', async () => {
    await startRunning();
    fake.answer = (m) => (/proposed a change/.test(m.message) ? 'Apply' : undefined);
    fake.onRequest = (method, params) => (params?.command === 'refactorcoder.applySolution' ? { applied: true } : undefined);
    await fake.notify('refactorcoder/solutionReady', SOLUTION);
    const diff = fake.executed.find((e) => e.id === 'vscode.diff')!;
    assert.equal(diff.args[2], 'RefactorCoder: pairs.py · count_pairs ↔ proposed (tests 3/3 · 2.0× faster, 95% CI 1.8–2.2)');
    assert.equal(diff.args[3].viewColumn, -2); // ViewColumn.Beside: the source tab stays
    assert.equal(diff.args[3].preview, false);
    const ask = fake.messages.find((m) => /proposed a change/.test(m.message))!;
    assert.match(ask.message, /to count_pairs in pairs\.py \(lines 4-9\)\. Verified: tests 3\/3/);
    assert.deepEqual(ask.items, ['Apply', 'Discard']);
    await waitFor(() => fake.messages.some((m) => m.message === 'RefactorCoder: solution applied.'), 'applied');
    assert.deepEqual(executeRequests('refactorcoder.applySolution')[0].params.arguments, [{ jobId: 'j2' }]);
    assert.equal(diffTabs().length, 0);
});

test('diff: a stale Apply is refused with one warning line and the proposal is kept for Apply Again', async () => {
    await startRunning();
    let stale = true;
    fake.onRequest = (_method, params) => {
        if (params?.command !== 'refactorcoder.applySolution') return undefined;
        if (stale) throw new Error('document changed since the solution was computed: `count_pairs` was edited since\ntraceback…');
        return { applied: true };
    };
    fake.answer = (m) => (/proposed a change/.test(m.message) ? 'Apply' : undefined);
    await fake.notify('refactorcoder/solutionReady', SOLUTION);
    const refusal = await waitFor(() => fake.messages.find((m) => m.kind === 'warning'), 'the refusal');
    assert.equal(refusal.message, 'RefactorCoder could not apply the solution: document changed since the solution was computed: `count_pairs` was edited since');
    assert.deepEqual(refusal.items, ['Apply Again', 'Discard']);
    assert.ok(fake.messages.every(ok), 'a refusal is a warning, not an error');
    assert.equal(diffTabs().length, 1, 'the proposal stays open');
    // Apply again from the diff's title button, once the function is back as it was.
    stale = false;
    fake.activeTextEditor = { document: { uri: diff0Uri() } };
    await fake.commands.get('refactorcoder.applyShownSolution')!();
    assert.ok(fake.messages.some((m) => m.message === 'RefactorCoder: solution applied.'));
    assert.equal(diffTabs().length, 0);
});

function diff0Uri() {
    return (fake.executed.find((e) => e.id === 'vscode.diff')!.args[1]);
}

test('diff: Discard closes it and applies nothing', async () => {
    await startRunning();
    fake.answer = (m) => (/proposed a change/.test(m.message) ? 'Discard' : undefined);
    await fake.notify('refactorcoder/solutionReady', SOLUTION);
    await waitFor(() => diffTabs().length === 0, 'the diff to close');
    assert.equal(executeRequests('refactorcoder.applySolution').length, 0);
});

const PAYLOAD = { runId: 7, jobId: 'j2', kind: 'optimize', status: 'done', function: 'count_pairs',
    report: { verdict: 'tests 3/3 · 2.0× faster', tests_total: 3, tests_passed: 3 } };

test('the result lens, Show Report and the job toast open the report view; Markdown is an export', async () => {
    await startRunning();
    fake.onRequest = (method) => (method === 'refactorcoder/jobReport' ? PAYLOAD : method === 'refactorcoder/report' ? { markdown: '# r' } : undefined);
    const lensArg = { uri: 'file:///ws/pairs.py', position: { line: 3, character: 0 }, jobId: 'j2', runId: 7 };
    await fake.commands.get('refactorcoder.openReport')!(lensArg);
    assert.deepEqual(fake.requests.filter((r) => r.method === 'refactorcoder/jobReport').map((r) => r.params), [lensArg]);
    assert.equal(fake.webviews.length, 1);
    assert.match(fake.webviews[0].html, /<p class="verdict" id="verdict">tests 3\/3 · 2.0× faster<\/p>/);
    assert.ok(!fake.executed.some((e) => e.id === 'markdown.showPreview'));

    // Show Report at the cursor asks for the function there.
    fake.activeTextEditor = { document: { uri: { toString: () => 'file:///ws/pairs.py', scheme: 'file' } }, selection: { active: { line: 4, character: 2 } } };
    await fake.commands.get('refactorcoder.showReport')!();
    assert.deepEqual(fake.requests.at(-1)!.params, { uri: 'file:///ws/pairs.py', position: { line: 4, character: 2 } });

    // The job-finished toast's Show Report.
    fake.answer = (m) => (m.items.includes('Show Report') ? 'Show Report' : undefined);
    await fake.notify('refactorcoder/jobFinished', { jobId: 'j2', kind: 'optimize', uri: 'file:///ws/pairs.py', status: 'done', runId: 7, verdict: 'tests 3/3' });
    assert.deepEqual(fake.requests.at(-1), { method: 'refactorcoder/jobReport', params: { jobId: 'j2', runId: 7 } });
    assert.equal(fake.webviews.length, 1, 'the same run reuses its panel');

    await fake.commands.get('refactorcoder.exportReportMarkdown')!({ runId: 7 });
    assert.ok(fake.executed.some((e) => e.id === 'markdown.showPreview'));
    assert.ok(fake.messages.every(ok), JSON.stringify(fake.messages));
});

test('a function with no result yet: a message, not an empty report', async () => {
    await startRunning();
    fake.onRequest = () => ({ kind: 'report', status: 'empty', report: {}, error: 'No result for this function yet: run Judge first.' });
    await fake.commands.get('refactorcoder.showReport')!({ uri: 'file:///ws/pairs.py', position: { line: 0, character: 0 } });
    assert.equal(fake.webviews.length, 0);
    assert.deepEqual(fake.messages.map((m) => m.message), ['RefactorCoder: No result for this function yet: run Judge first.']);
});

test('Optimize changed functions: the workspace root and the settings\' metric and limits; its result, with the report', async () => {
    await startRunning();
    fake.config['refactorcoder.optimization'] = { metric: 'peak_memory', workload: 'count_pairs([1], 1)' };
    fake.config['refactorcoder.limits'] = { maxAttempts: 1, decisionBudgetS: 30 };
    fake.onRequest = (method, params) =>
        params?.command === 'refactorcoder.optimizeChanged'
            ? { functions: [{ function: 'count_pairs', status: 'done', jobId: 'j9', verdict: 'tests 3/3 · 20% less peak memory' }] }
            : method === 'refactorcoder/jobReport' ? PAYLOAD : undefined;
    fake.answer = (m) => (m.items.includes('Show Report') ? 'Show Report' : undefined);
    await fake.commands.get('refactorcoder.run.optimizeChanged')!();
    const [request] = executeRequests('refactorcoder.optimizeChanged');
    // The workload names one function: it is not sent for a whole diff.
    assert.deepEqual(request.params.arguments, [{ root: tmp, metric: 'peak_memory', limits: { maxAttempts: 1, decisionBudgetS: 30 } }]);
    assert.deepEqual(fake.messages.map((m) => m.message), ['RefactorCoder optimized 1 changed function(s): count_pairs tests 3/3 · 20% less peak memory']);
    await waitFor(() => fake.webviews.length, 'the report view');
    assert.deepEqual(fake.requests.at(-1), { method: 'refactorcoder/jobReport', params: { jobId: 'j9' } });
});
