import { strict as assert } from 'assert';
import { test } from 'node:test';
import { needsEditorArgs, stageArgs } from '../protocol';

test('stage args normalise a backwards selection', () => {
    const a = stageArgs('file:///x.py', { start: { line: 5, character: 2 }, end: { line: 1, character: 0 } }, 7);
    assert.deepEqual(a, { uri: 'file:///x.py', range: { start: { line: 1, character: 0 }, end: { line: 5, character: 2 } }, version: 7 });
    const b = stageArgs('file:///x.py', { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, 1);
    assert.deepEqual(b.range.start, b.range.end);
});

test('palette invocations need editor args; code actions do not', () => {
    assert.equal(needsEditorArgs(undefined), true);
    assert.equal(needsEditorArgs([]), true);
    assert.equal(needsEditorArgs([undefined]), true);
    assert.equal(needsEditorArgs([{ uri: 'u' }]), false);
});
