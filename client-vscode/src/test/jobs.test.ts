import { strict as assert } from 'assert';
import { test } from 'node:test';
import { PALETTE_COMMANDS, STAGE_COMMANDS, withJobOptions } from '../protocol';
import { escapeHtml, metricBarsSvg, reportHtml, samplesSvg } from '../reportHtml';
import { apiKeyEnvironment, CLIENT_ONLY_KEYS, jobOptionSettings, shapeSettings } from '../settings';
import { diffTitle, historyIcon, historyLabel, isRefusal, progressIncrement, startupFailure } from '../views';

test('fix/optimize arguments get the metric and limits from the settings, others are untouched', () => {
    const arg = { uri: 'file:///a.py', range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, version: 2 };
    const opts = { metric: 'peak_memory', limits: { maxAttempts: 2, wallTimeS: undefined } };
    assert.deepEqual(withJobOptions('refactorcoder.optimize', arg, opts), { ...arg, metric: 'peak_memory', limits: { maxAttempts: 2 } });
    assert.deepEqual(withJobOptions('refactorcoder.fix', arg, opts), { ...arg, limits: { maxAttempts: 2 } });
    assert.deepEqual(withJobOptions('refactorcoder.optimize', { ...arg, metric: 'cpu' }, opts), { ...arg, metric: 'cpu', limits: { maxAttempts: 2 } });
    assert.equal(withJobOptions('refactorcoder.guide', arg, opts), arg);
    assert.deepEqual(withJobOptions('refactorcoder.judge', arg, opts), arg); // judge takes no limits
});

test('every server job command has a palette command that is always registered', () => {
    assert.deepEqual(Object.values(PALETTE_COMMANDS).sort(), [...STAGE_COMMANDS].sort());
});

test('progress increments: VS Code adds them, the server sends absolute percentages', () => {
    assert.equal(progressIncrement(0, 25), 25);
    assert.equal(progressIncrement(25, 50), 25);
    assert.equal(progressIncrement(50, 50), undefined);
    assert.equal(progressIncrement(50, null), undefined);
});

test('diff title says what was verified, or that nothing was', () => {
    assert.equal(diffTitle('slow.py', 'pairs', 'tests 14/14 · 1.8× faster, 95% CI 1.6–2.0 · judge 5/4/4'),
        'RefactorCoder: slow.py · pairs ↔ proposed (tests 14/14 · 1.8× faster, 95% CI 1.6–2.0 · judge 5/4/4)');
    assert.match(diffTitle('a.py', null, ''), /not verified/);
});

test('stale refusals are told apart from other errors', () => {
    assert.ok(isRefusal('document changed since the solution was computed: `f` was edited since…'));
    assert.ok(!isRefusal('Request refactorcoder.applySolution failed with message: unknown jobId'));
});

test('start-up failure: the cause and the action that fixes it', () => {
    const py = { command: ['/usr/bin/python3'], hasRefactorcoder: false };
    const missing = startupFailure(py, 'Pending response rejected since connection got disposed', "Traceback…\nModuleNotFoundError: No module named 'server'\n");
    assert.match(missing.message, /refactorcoder is not installed for \/usr\/bin\/python3 \(No module named 'server'\)/);
    assert.deepEqual(missing.actions, ['Choose Interpreter', 'Show Log']);
    const absent = startupFailure({ command: ['/nope/python'] }, 'spawn /nope/python ENOENT', '');
    assert.match(absent.message, /was not found/);
    // What to do is in the notification itself, not only in the log.
    for (const failure of [missing, absent]) assert.match(failure.message, /Choose Interpreter .*scripts\/setup\.sh/);
    const nothingFound = startupFailure({ command: ['python3'], source: 'default', hasRefactorcoder: false, skipped: [['/ws/.venv/bin/python']] }, 'x', '');
    assert.match(nothingFound.message, /no Python with refactorcoder installed was found \(tried \/ws\/\.venv\/bin\/python, python3\)/);
    const other = startupFailure({ command: ['python3'], hasRefactorcoder: true }, 'x', 'line 1\nValueError: bad settings\n');
    assert.equal(other.message, 'RefactorCoder server did not start: ValueError: bad settings');
});

test('history labels', () => {
    const l = historyLabel({ runId: 7, kind: 'optimize', status: 'ok', function: 'pairs', verdict: 'tests 3/3 · 2.0× faster', created: '2026-11-21T10:00:00' });
    assert.equal(l.label, 'optimize pairs · ok');
    assert.equal(l.description, 'tests 3/3 · 2.0× faster · 2026-11-21 10:00 · run 7');
    // A job's outcome wins over the run's own status, and each outcome has its own icon.
    assert.equal(historyLabel({ runId: 8, kind: 'optimize', status: 'ok', outcome: 'unchanged' }).label, 'optimize · unchanged');
    assert.deepEqual(['accepted', 'unchanged', 'failed', 'cancelled'].map((outcome) => historyIcon({ status: 'ok', outcome })),
        ['pass', 'circle-large-outline', 'error', 'circle-slash']);
    assert.equal(historyIcon({ status: 'ok' }), 'pass');
});

test('API keys: only variable names in settings, values copied from the environment under the standard name', () => {
    const env = { WORK_KEY: 'sk-1', EMPTY: '' };
    assert.deepEqual(apiKeyEnvironment({ openai: 'WORK_KEY', anthropic: 'EMPTY', bogus: 'WORK_KEY', groq: 'bad name' }, env), { OPENAI_API_KEY: 'sk-1' });
    assert.deepEqual(apiKeyEnvironment('x', env), {});
    for (const key of ['apiKeyEnv', 'limits', 'optimization']) assert.ok((CLIENT_ONLY_KEYS as readonly string[]).includes(key));
    assert.deepEqual(shapeSettings({ fix: { model: 'openai/x' }, limits: { maxAttempts: 2 }, apiKeyEnv: { openai: 'K' } }).settings, { fix: { model: 'openai/x' } });
    const config = { get: <T>(k: string) => ({ optimization: { metric: 'cpu' }, limits: { maxAttempts: 3 } } as Record<string, unknown>)[k] as T };
    assert.deepEqual(jobOptionSettings(config), { metric: 'cpu', limits: { maxAttempts: 3 } });
});

test('report charts are drawn from the run data and escape what they show', () => {
    const bars = metricBarsSvg({ before: { time: 0.2, peak_memory: 2e7, mean_memory: 1e7, cpu: 0.99 }, after: { time: 0.1, peak_memory: 2e7, mean_memory: 1e7, cpu: 0.98 } });
    assert.equal((bars.match(/<rect/g) ?? []).length, 8);
    assert.match(bars, /before 200\.0 ms/);
    assert.match(bars, /after 100\.0 ms/);
    const strip = samplesSvg({ a: [0.2, 0.21, 0.19], b: [0.1, 0.11], unit: 's', metric: 'time' });
    assert.equal((strip.match(/<circle/g) ?? []).length, 5);
    assert.match(strip, /original \(n=3\)/);
    assert.equal(samplesSvg({ a: [], b: [] }), '');
    assert.equal(escapeHtml('<b>"x"</b>'), '&lt;b&gt;&quot;x&quot;&lt;/b&gt;');
    const html = reportHtml({ kind: 'optimize', status: 'done', function: 'f', runId: 3, report: {
        verdict: 'tests 3/3 · 2.0× faster', measurements: { before: { time: 1 }, after: { time: 0.5 }, runs: 3, loops: 1 },
        samples: [{ verdict: 'better', metric: 'time', unit: 's', ratio: 0.5, ci_low: 0.45, ci_high: 0.55, a: [1, 1.1], b: [0.5, 0.52] }],
        attempts: [{ stage: 'refine', number: 1, model: 'm<x>', status: 'accepted', tests_passed: 3, tests_total: 3 },
            { stage: 'refine', number: 2, model: 'm', status: 'failed', reason: 'it broke test_a', code: 'def f():\n    return a < b' }],
        budget: { limit: { candidates: 4, model_calls: null, tokens: null, wall_time_s: 900 },
            used: { candidates: 2, model_calls: 3, tokens: 3120, wall_time_s: 95.4 } },
        judgment: { scores: { accuracy: 5, clarity: 4, efficiency: 4 }, feedback: 'ok' } } }, 'n0nce', 'vscode-resource:');
    assert.match(html, /id="chart-metrics"/);
    assert.match(html, /id="chart-samples"/);
    assert.match(html, /m&lt;x&gt;/);
    // A rejected candidate's code, folded beside its reason; the budget beside what was used.
    assert.match(html, /<details><summary>code<\/summary><pre>def f\(\):\n {4}return a &lt; b<\/pre><\/details>/);
    assert.match(html, /id="budget">candidates 2\/4 · model calls 3\/— · tokens 3,120\/— · wall time 95\/900 s</);
    assert.match(html, /nonce-n0nce/);
    assert.match(html, /accuracy 5 · clarity 4 · efficiency 4/);
    assert.ok(!html.includes('<script'));
});

test('the report page takes every colour from the theme: no colour literal, chart ink is currentColor', () => {
    const html = reportHtml({ kind: 'judge', status: 'done', report: {
        problem: { description: 'Pairs <summing> to k.' }, solution: { text: 'Use a dict.', model_id: 'local' },
        guidance: { text: 'Think of a dict.', model_id: 'local', fell_back: true },
        judgment: { scores: { accuracy: 4, clarity: 3, efficiency: 2 }, feedback: 'ok', strengths: ['short'], weaknesses: ['slow <loop>'] },
        measurements: { before: { time: 1 }, after: { time: 0.5 }, runs: 3, loops: 1 } } }, 'n', 'vscode-resource:');
    const style = /<style[^>]*>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    assert.equal(/#[0-9a-f]{3,8}\b|rgba?\(|\b(white|black)\b/i.exec(style), null, 'a literal colour in the stylesheet');
    assert.match(style, /\.chart text \{ fill: currentColor;/);
    assert.match(style, /\.chart \{ color: var\(--vscode-editor-foreground/);
    assert.match(style, /body\.vscode-dark, body\.vscode-high-contrast \{ color-scheme: dark; \}/);
    assert.ok(!/ fill="#| stroke="#/.test(html), 'no colour attribute on the SVG');
    // Guide / Solve reports read in the same view: problem, guidance with its model, solution text, strengths.
    assert.match(html, /<h2>Problem<\/h2><p>Pairs &lt;summing&gt; to k\.<\/p>/);
    assert.match(html, /model: local \(fallback\)/);
    assert.match(html, /<h2>Solution<\/h2><pre>Use a dict\.<\/pre>/);
    assert.match(html, /<li>slow &lt;loop&gt;<\/li>/);
});
