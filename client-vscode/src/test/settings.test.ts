import { strict as assert } from 'assert';
import { test } from 'node:test';
import { shapeConfigurationResult, shapeSettings } from '../settings';

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
    assert.deepEqual(shapeConfigurationResult('refactorcoder', raw), { guide: { model: 'm' } });
    assert.deepEqual(shapeConfigurationResult(undefined, { refactorcoder: raw, editor: { tabSize: 4 } }), {
        refactorcoder: { guide: { model: 'm' } },
        editor: { tabSize: 4 },
    });
    assert.deepEqual(shapeConfigurationResult('refactorcoder.guide', { model: 'm', api_key: 'k' }), { model: 'm' });
    assert.equal(shapeConfigurationResult('refactorcoder.interpreter', ['p']), null);
    assert.equal(shapeConfigurationResult('refactorcoder.history_path', '/h'), '/h');
    assert.deepEqual(shapeConfigurationResult('editor', { tabSize: 4 }), { tabSize: 4 });
});
