import { strict as assert } from 'assert';
import { test } from 'node:test';
import * as path from 'path';
import {
    Candidate,
    EXTENSION_ROOT,
    expandVariables,
    interpreterCandidates,
    loadLaunchSpec,
    parseSetupMarker,
    probeCommand,
    resolveInterpreter,
    serverCommand,
    setupMarkerPath,
    shebangInterpreter,
    venvPython,
} from '../interpreter';

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

test('server command: isolated python -I -m server lsp plus extra args, in the extension folder', () => {
    const root = path.resolve(__dirname, '..', '..');
    assert.equal(EXTENSION_ROOT, root);
    assert.deepEqual(serverCommand(['/v/bin/python'], []), { command: '/v/bin/python', args: ['-I', '-m', 'server', 'lsp'], cwd: root });
    assert.deepEqual(serverCommand(['py', '-3'], ['--log-level', 'debug']), {
        command: 'py',
        args: ['-3', '-I', '-m', 'server', 'lsp', '--log-level', 'debug'],
        cwd: root,
    });
});

test('server-launch.json is what tests/server/test_shadowing.py also reads', () => {
    const spec = loadLaunchSpec();
    assert.deepEqual(spec.args, ['-I', '-m', 'server', 'lsp']);
    assert.equal(spec.cwd, 'extension');
    assert.ok(spec.probe[0] === '-I' && spec.probe.join(' ').includes("version('refactorcoder')"));
    assert.deepEqual(probeCommand(['py', '-3']).args, ['-3', ...spec.probe]);
});

const withRefactorcoder = (good: string[]) => async (command: string[]) => good.includes(command[0]);

test('a workspace .venv without refactorcoder is passed over for the Python extension\'s', async () => {
    const r = await resolveInterpreter({
        configured: [],
        workspaceFolders: ['/ws'],
        exists: (f) => f === '/ws/.venv/bin/python',
        pythonExtension: async () => ['/ext/python'],
        hasRefactorcoder: withRefactorcoder(['/ext/python']),
        platform: 'linux',
    });
    assert.deepEqual(r, { command: ['/ext/python'], source: 'python-extension', hasRefactorcoder: true, skipped: [['/ws/.venv/bin/python']] });
});

test('then the console script\'s interpreter, then python3 marked as lacking refactorcoder', async () => {
    const viaScript = await resolveInterpreter({
        configured: [],
        workspaceFolders: ['/ws'],
        exists: () => true,
        pythonExtension: async () => ['/ext/python'],
        consoleScript: () => ['/opt/rc/bin/python'],
        hasRefactorcoder: withRefactorcoder(['/opt/rc/bin/python']),
        platform: 'linux',
    });
    assert.equal(viaScript.source, 'console-script');
    assert.deepEqual(viaScript.command, ['/opt/rc/bin/python']);
    // .venv, venv and env of the workspace, then the Python extension's.
    assert.deepEqual(viaScript.skipped, [['/ws/.venv/bin/python'], ['/ws/venv/bin/python'], ['/ws/env/bin/python'], ['/ext/python']]);
    const none = await resolveInterpreter({
        configured: [],
        workspaceFolders: ['/ws'],
        exists: (f) => f === '/ws/.venv/bin/python',
        hasRefactorcoder: async () => false,
        platform: 'linux',
    });
    assert.deepEqual(none, { command: ['python3'], source: 'default', hasRefactorcoder: false, skipped: [['/ws/.venv/bin/python']] });
});

test('the setting is used as given, with the probe result for the log', async () => {
    const r = await resolveInterpreter({
        configured: ['/mine/python'],
        workspaceFolders: ['/ws'],
        exists: () => true,
        hasRefactorcoder: async () => false,
        platform: 'linux',
    });
    assert.deepEqual(r, { command: ['/mine/python'], source: 'setting', hasRefactorcoder: false });
});

test('shebang of a console script', () => {
    assert.deepEqual(shebangInterpreter('#!/opt/v/bin/python\n# -*- coding: utf-8 -*-\n'), ['/opt/v/bin/python']);
    assert.deepEqual(shebangInterpreter('#!/usr/bin/env python3\n'), ['/usr/bin/env', 'python3']);
    assert.deepEqual(shebangInterpreter(`#!/bin/sh\n'''exec' /very/long/bin/python "$0" "$@"\n' '''\n`), ['/very/long/bin/python']);
    assert.equal(shebangInterpreter('\x7fELF'), undefined);
});

test('a machine set up by scripts/setup.sh: its marker names the Python, found with no setting', async () => {
    assert.equal(setupMarkerPath({}, '/home/u'), '/home/u/.config/refactorcoder/interpreter');
    assert.equal(setupMarkerPath({ XDG_CONFIG_HOME: '/cfg' }, '/home/u'), '/cfg/refactorcoder/interpreter');
    assert.equal(setupMarkerPath({ XDG_CONFIG_HOME: 'relative' }, '/home/u'), '/home/u/.config/refactorcoder/interpreter');
    assert.deepEqual(parseSetupMarker('# written by scripts/setup.sh\n/opt/RefactorCoder/.venv/bin/python\n'), ['/opt/RefactorCoder/.venv/bin/python']);
    assert.equal(parseSetupMarker('\n  \n'), undefined);
    const r = await resolveInterpreter({
        configured: [],
        workspaceFolders: ['/ws'],
        exists: (f) => f === '/ws/.venv/bin/python' || f === '/opt/RefactorCoder/.venv/bin/python',
        consoleScript: () => undefined,
        setupMarker: () => ['/opt/RefactorCoder/.venv/bin/python'],
        hasRefactorcoder: withRefactorcoder(['/opt/RefactorCoder/.venv/bin/python']),
        platform: 'linux',
    });
    assert.deepEqual(r, { command: ['/opt/RefactorCoder/.venv/bin/python'], source: 'setup-marker', hasRefactorcoder: true, skipped: [['/ws/.venv/bin/python']] });
    // A marker left by a checkout since deleted is passed over without a probe.
    const gone = await resolveInterpreter({ configured: [], workspaceFolders: [], exists: none, setupMarker: () => ['/gone/python'], platform: 'linux' });
    assert.equal(gone.source, 'default');
});

test('the candidates Choose Interpreter lists: each command once, in discovery order', async () => {
    const listed: Candidate[] = [];
    for await (const c of interpreterCandidates({
        configured: [],
        workspaceFolders: ['/ws'],
        exists: (f) => ['/ws/venv/bin/python', '/opt/rc/.venv/bin/python'].includes(f),
        pythonExtension: async () => ['/ws/venv/bin/python'],
        consoleScript: () => ['/opt/rc/.venv/bin/python'],
        setupMarker: () => ['/opt/rc/.venv/bin/python'],
        platform: 'linux',
    })) listed.push(c);
    assert.deepEqual(listed, [
        { command: ['/ws/venv/bin/python'], source: 'workspace-venv' },
        { command: ['/opt/rc/.venv/bin/python'], source: 'console-script' },
    ]);
});
