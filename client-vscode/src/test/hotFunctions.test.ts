import { strict as assert } from 'assert';
import { test } from 'node:test';
import {
    defaultCommandLine,
    hotDescription,
    hotWhere,
    joinCommandLine,
    launchCommandLines,
    splitCommandLine,
} from '../hotFunctions';

test('command lines split as a shell would, without expanding anything', () => {
    assert.deepEqual(splitCommandLine('  pytest tests/ -k "slow and not db" '), ['pytest', 'tests/', '-k', 'slow and not db']);
    assert.deepEqual(splitCommandLine(`python 'my script.py' a\\ b "q\\"x" ''`), ['python', 'my script.py', 'a b', 'q"x', '']);
    assert.deepEqual(splitCommandLine('python run.py $HOME'), ['python', 'run.py', '$HOME']);
    assert.deepEqual(splitCommandLine('   '), []);
    assert.throws(() => splitCommandLine('python "run.py'), /unbalanced "/);
    const words = ['python', 'my script.py', "it's", '-k', 'a and b'];
    assert.deepEqual(splitCommandLine(joinCommandLine(words)), words);
});

test('the default command: pytest with tests, else the active file', () => {
    assert.equal(defaultCommandLine(true, 'src/app.py'), 'pytest');
    assert.equal(defaultCommandLine(false, 'src/my app.py'), "python 'src/my app.py'");
    assert.equal(defaultCommandLine(false, undefined), 'pytest');
});

test("launch.json's Python configurations become command lines", () => {
    const configurations = [
        { name: 'Bench', type: 'debugpy', request: 'launch', program: '${workspaceFolder}/bench.py', args: ['--n', '100'] },
        { name: 'Tests', type: 'python', request: 'launch', module: 'pytest', args: ['tests/', '-x'] },
        { name: 'CLI', type: 'python', request: 'launch', module: 'tool.cli', args: 'run "a b"' },
        { name: 'Current', type: 'debugpy', request: 'launch', program: '${file}' },
        { name: 'Env', type: 'debugpy', request: 'launch', program: '${env:HOME}/x.py' },
        { name: 'Attach', type: 'debugpy', request: 'attach', program: 'x.py' },
        { name: 'Node', type: 'node', request: 'launch', program: 'x.js' },
        { name: 'Absolute', type: 'debugpy', program: '/work/proj/tools/t.py' },
    ];
    assert.deepEqual(launchCommandLines(configurations, '/work/proj', 'pkg/mod.py').map((c) => [c.label, c.line]), [
        ['Bench', 'python bench.py --n 100'],
        ['Tests', 'pytest tests/ -x'],
        ['CLI', "python -m tool.cli run 'a b'"],
        ['Current', 'python pkg/mod.py'],
        ['Absolute', 'python tools/t.py'],
    ]);
    assert.deepEqual(launchCommandLines(configurations, '/work/proj').map((c) => c.label), ['Bench', 'Tests', 'CLI', 'Absolute']);
    assert.deepEqual(launchCommandLines(undefined, '/work/proj'), []);
});

test('a hot function in the quick pick', () => {
    const row = { uri: 'file:///work/my%20proj/pkg/slow.py', function: 'Grid.cells', line: 41, calls: 1204, ownS: 0.4123,
                  cumulativeS: 0.5, ownShare: 0.384, samples: 3 };
    assert.equal(hotDescription(row), '38% own time · 1,204 calls · 0.412 s');
    assert.equal(hotDescription({ ...row, calls: 1 }), '38% own time · 1 call · 0.412 s');
    assert.equal(hotDescription({ ...row, calls: null }), '38% own time · calls not counted · 0.412 s');
    assert.equal(hotWhere(row, 'file:///work/my%20proj'), 'pkg/slow.py:42');
    assert.equal(hotWhere(row, 'file:///elsewhere'), 'file:///work/my%20proj/pkg/slow.py:42');
});
