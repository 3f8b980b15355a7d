import { strict as assert } from 'assert';
import { test } from 'node:test';
import { expandVariables, resolveInterpreter, serverCommand, venvPython } from '../interpreter';

const none = () => false;

test('the interpreter setting wins and its variables are expanded', async () => {
    const r = await resolveInterpreter({
        configured: ['${workspaceFolder}/env/bin/python', '-X', 'utf8'],
        workspaceFolders: ['/proj'],
        exists: () => true,
        pythonExtension: async () => ['/ext/python'],
        platform: 'linux',
        home: '/home/u',
    });
    assert.deepEqual(r, { command: ['/proj/env/bin/python', '-X', 'utf8'], source: 'setting' });
});

test('blank entries in the setting count as unset', async () => {
    const r = await resolveInterpreter({ configured: ['  '], workspaceFolders: [], exists: none, platform: 'linux' });
    assert.equal(r.source, 'default');
});

test('the first workspace folder with a .venv is used next', async () => {
    const r = await resolveInterpreter({
        configured: [],
        workspaceFolders: ['/a', '/b'],
        exists: (f) => f === '/b/.venv/bin/python',
        pythonExtension: async () => ['/ext/python'],
        platform: 'linux',
    });
    assert.deepEqual(r, { command: ['/b/.venv/bin/python'], source: 'workspace-venv' });
});

test('then the Python extension, then python3', async () => {
    const fromExt = await resolveInterpreter({
        configured: [],
        workspaceFolders: ['/a'],
        exists: none,
        pythonExtension: async () => ['/ext/python'],
        platform: 'linux',
    });
    assert.deepEqual(fromExt, { command: ['/ext/python'], source: 'python-extension' });
    const failing = await resolveInterpreter({
        configured: [],
        workspaceFolders: ['/a'],
        exists: none,
        pythonExtension: async () => {
            throw new Error('not activated');
        },
        platform: 'linux',
    });
    assert.deepEqual(failing, { command: ['python3'], source: 'default' });
    const empty = await resolveInterpreter({ configured: [], workspaceFolders: [], exists: none, pythonExtension: async () => [], platform: 'linux' });
    assert.deepEqual(empty.command, ['python3']);
});

test('Windows paths and defaults', async () => {
    assert.equal(venvPython('C:\\p', 'win32'), 'C:\\p\\.venv\\Scripts\\python.exe');
    const r = await resolveInterpreter({ configured: [], workspaceFolders: [], exists: none, platform: 'win32' });
    assert.deepEqual(r.command, ['python']);
});

test('tilde and userHome expansion', () => {
    assert.equal(expandVariables('~/py/bin/python', undefined, '/home/u'), '/home/u/py/bin/python');
    assert.equal(expandVariables('${userHome}/x', undefined, '/home/u'), '/home/u/x');
    assert.equal(expandVariables('a~b', undefined, '/home/u'), 'a~b');
});

test('server command: python -m server lsp plus extra args', () => {
    assert.deepEqual(serverCommand(['/v/bin/python'], []), { command: '/v/bin/python', args: ['-m', 'server', 'lsp'] });
    assert.deepEqual(serverCommand(['py', '-3'], ['--log-level', 'debug']), {
        command: 'py',
        args: ['-3', '-m', 'server', 'lsp', '--log-level', 'debug'],
    });
});
