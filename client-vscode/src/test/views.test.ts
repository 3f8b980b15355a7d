import { strict as assert } from 'assert';
import { test } from 'node:test';
import { diffPaths, jobIdFromDiffPath, jobText, jobTitle, progressText, reportParams, searchText } from '../views';

test('diff paths keep the file name and round-trip the job id', () => {
    const p = diffPaths('job/1 2', 'file:///work/ex/two%20sum.py');
    assert.equal(p.original, '/job%2F1%202/original/two sum.py');
    assert.equal(p.proposed, '/job%2F1%202/proposed/two sum.py');
    assert.equal(jobIdFromDiffPath(p.proposed), 'job/1 2');
    assert.equal(jobIdFromDiffPath('/nothing'), undefined);
    assert.equal(diffPaths('j', 'untitled:Untitled-1').original, '/j/original/Untitled-1');
});

test('report params: run id, explicit uri, else the cursor', () => {
    const cursor = { uri: 'file:///a.py', line: 3, character: 4 };
    assert.deepEqual(reportParams({ runId: 12 }, cursor), { runId: 12 });
    assert.deepEqual(reportParams('r-1', cursor), { runId: 'r-1' });
    assert.deepEqual(reportParams({ uri: 'file:///b.py' }, cursor), { uri: 'file:///b.py' });
    assert.deepEqual(reportParams(undefined, cursor), { uri: 'file:///a.py', position: { line: 3, character: 4 } });
    assert.equal(reportParams(undefined, undefined), undefined);
});

test('job status text', () => {
    assert.match(jobText({ jobId: '1', kind: 'guide', uri: 'u', status: 'ok' }), /^\$\(check\) RefactorCoder: guide ok$/);
    assert.match(jobText({ jobId: '1', kind: 'judge', uri: 'u', status: 'failed' }), /^\$\(warning\)/);
});

test('range descriptions are 1-based and ignore a column-0 end line', async () => {
    const { describeRange } = await import('../views');
    assert.equal(describeRange({ start: { line: 6, character: 0 }, end: { line: 13, character: 0 } }), 'lines 7-13');
    assert.equal(describeRange({ start: { line: 6, character: 0 }, end: { line: 12, character: 14 } }), 'lines 7-13');
    assert.equal(describeRange({ start: { line: 21, character: 0 }, end: { line: 21, character: 0 } }), 'line 22');
    assert.equal(describeRange({ start: { line: 6, character: 0 }, end: { line: 7, character: 0 } }), 'line 7');
});

test('identical proposals are recognised', async () => {
    const { isNoOpProposal } = await import('../views');
    assert.equal(isNoOpProposal('def f():\n    return 1\n', 'def f():  \n    return 1'), true);
    assert.equal(isNoOpProposal('def f():\n    return 1\n', 'def f():\n    return 2\n'), false);
    assert.equal(isNoOpProposal('', '\ndef f(): pass\n'), false);
});

test('progress names the round, its candidates and the screens; the title names the function', () => {
    assert.equal(searchText({ round: 2, candidates: 6, passedTests: 3, timing: 2 }), 'round 2 · 6 candidates · 3 pass tests · timing 2');
    assert.equal(searchText({ round: 1, rounds: 3, candidates: 1, step: 'asking', strategy: 'different algorithm' }),
        'round 1/3 · 1 candidate · asking: different algorithm');
    assert.equal(searchText({ round: 3, candidates: 3, passedTests: 1, step: 'measure' }), 'round 3 · 3 candidates · 1 pass tests · measuring the best');
    assert.equal(progressText({ jobId: 'j', message: 'refine 2/4 · local · running the tests' }), 'refine 2/4 · local · running the tests');
    assert.equal(progressText({ jobId: 'j', message: 'x', search: { round: 2, candidates: 6, passedTests: 3, timing: 2 } }),
        'round 2 · 6 candidates · 3 pass tests · timing 2');
    const job = { jobId: 'j', kind: 'optimize', uri: 'file:///w.py', title: 'Return the words of text, each once' };
    assert.equal(jobTitle('Optimize', { ...job, label: 'unique_words()' }), 'Optimize: unique_words()');
    assert.equal(jobTitle('Optimize', job), 'Optimize: Return the words of text, each once');
});
