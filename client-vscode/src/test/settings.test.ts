import { strict as assert } from 'assert';
import { test } from 'node:test';
import './fakeVscode'; // settingsFile imports `vscode`
import { liveSettings, shapeConfigurationResult, shapeSettings } from '../settings';
import { notTakenUp, sectionOnDisk } from '../settingsFile';

test('client-only keys and unset values are dropped', () => {
    const { settings, warnings } = shapeSettings({
        guide: { model: 'openai/gpt-4o-mini', api_base: null, fallbacks: ['local'] },
        solve: {},
        judge: { temperature: 0 },
        local_model_path: null,
        history_path: '/tmp/h.db',
        key_file: null,
        interpreter: ['/usr/bin/python3'],
        serverArgs: ['--x'],
    });
    assert.deepEqual(settings, {
        guide: { model: 'openai/gpt-4o-mini', fallbacks: ['local'] },
        solve: {},
        judge: { temperature: 0 },
        history_path: '/tmp/h.db',
    });
    assert.deepEqual(warnings, []);
});

test('credentials never reach the server', () => {
    const { settings, warnings } = shapeSettings({ guide: { model: 'x', api_key: 'sk-123' }, openai_api_key: 'sk-456' });
    assert.deepEqual(settings, { guide: { model: 'x' } });
    assert.equal(warnings.length, 2);
    assert.ok(!JSON.stringify(settings).includes('sk-'));
});

test('unknown stage keys pass through for the server to report; bad stage types are dropped', () => {
    const { settings, warnings } = shapeSettings({ guide: { modle: 'typo' }, solve: 'oops' });
    assert.deepEqual(settings, { guide: { modle: 'typo' } });
    assert.equal(warnings.length, 1);
});

test('non-objects shape to empty settings', () => {
    assert.deepEqual(shapeSettings(undefined).settings, {});
    assert.deepEqual(shapeSettings([1]).settings, {});
});

test('workspace/configuration results are shaped by section', () => {
    const raw = { guide: { model: 'm' }, interpreter: ['p'], serverArgs: [] };
    assert.deepEqual(shapeConfigurationResult('refactorcoder', raw), liveSettings(raw));
    assert.deepEqual(shapeConfigurationResult(undefined, { refactorcoder: raw, editor: { tabSize: 4 } }), {
        refactorcoder: liveSettings(raw),
        editor: { tabSize: 4 },
    });
    assert.deepEqual(shapeConfigurationResult('refactorcoder.guide', { model: 'm', api_key: 'k' }), { model: 'm' });
    assert.equal(shapeConfigurationResult('refactorcoder.interpreter', ['p']), null);
    assert.equal(shapeConfigurationResult('refactorcoder.history_path', '/h'), '/h');
    assert.deepEqual(shapeConfigurationResult('editor', { tabSize: 4 }), { tabSize: 4 });
});

test('the live section names every unset server key as null (a removed setting goes back to its default)', () => {
    const live = liveSettings({ guide: { max_tokens: 200 }, interpreter: ['p'], limits: { maxAttempts: 2 } });
    assert.deepEqual(live.guide, { model: null, fallbacks: null, api_base: null, timeout_s: null, retries: null, backoff_s: null, temperature: null, max_tokens: 200 });
    for (const key of ['solve', 'judge', 'fix', 'refine', 'local_model_path', 'history_path', 'key_file']) assert.equal(live[key], null, key);
    assert.ok(!('interpreter' in live) && !('limits' in live));
});

test('settings.json on disk: the section read with comments and trailing commas; what VS Code has not taken up', () => {
    const text = '{\n  // mine\n  "editor.tabSize": 2,\n  "refactorcoder.guide": {"max_tokens": 200},\n  "refactorcoder.interpreter": ["/p"],\n  "refactorcoder.unknown": 1,\n}\n';
    const onDisk = sectionOnDisk(text)!;
    assert.deepEqual(onDisk, { guide: { max_tokens: 200 }, interpreter: ['/p'] });
    assert.equal(sectionOnDisk('{"refactorcoder.guide": {'), undefined, 'a file caught half-written is left alone');
    const held: Record<string, unknown> = { guide: { max_tokens: 160 }, interpreter: ['/p'], history_path: '/h.db' };
    // guide changed, history_path taken out of the file; interpreter as held.
    assert.deepEqual(notTakenUp(onDisk, (k) => held[k]), [['guide', { max_tokens: 200 }], ['history_path', undefined]]);
    assert.deepEqual(notTakenUp(held, (k) => held[k]), []);
});
