"""A program's runs cannot reach each other, nor change its own program files (real sandbox).

profiling/batch.py runs a program's samples as steps of one supervisor session in its own container (its
seat: A and B are in different containers, tests/sandbox/test_ab_isolation.py), its files in /work/run/p<seat>,
one /tmp. Each test here is the candidate its guard exists to catch (sandbox/supervisor/isolation.py).
"""

from __future__ import annotations

import textwrap

import pytest

from profiling.batch import batch_runner
from sandbox import Limits, RunSpec, Status

pytestmark = [pytest.mark.docker, pytest.mark.slow]
SHORT = Limits(wall_time_s=5.0, cpu_time_s=5.0)


def py(source: str, **kw) -> RunSpec:
    return RunSpec(language="python", source=textwrap.dedent(source), limits=SHORT, **kw)


BASELINE = py("""
    import hashlib
    print(hashlib.sha256(open(__file__, 'rb').read()).hexdigest()[:16], open('data.txt').read())
""", files={"data.txt": "A's data"})


# Every way back into its own files that a program owning them had (write, chmod, remove, rename, add a
# module beside them, chown, set times): with the supervisor owning them, each is refused.
SELF_EDIT = py("""
    import os
    print(open('data.txt').read())
    attempts = {
        'write main.py': lambda: open('main.py', 'a').write('# edited'),
        'chmod data.txt': lambda: os.chmod('data.txt', 0o644),
        'chmod its directory': lambda: os.chmod('.', 0o755),
        'remove data.txt': lambda: os.unlink('data.txt'),
        'rename main.py': lambda: os.rename('main.py', 'other.py'),
        'add sitecustomize.py': lambda: open('sitecustomize.py', 'w').write('import sys'),
        'chown data.txt': lambda: os.chown('data.txt', os.getuid(), os.getgid()),
        'set the times of data.txt': lambda: os.utime('data.txt', (0, 0)),
    }
    done = []
    for what, attempt in attempts.items():
        try:
            attempt()
            done.append(what)
        except PermissionError:
            pass
    print(done)
""", files={"data.txt": "A's data"})


def test_a_program_cannot_change_its_files_in_any_way(sandbox):
    first, second = batch_runner(sandbox)([SELF_EDIT, SELF_EDIT])
    for run in (first, second):
        assert run.ok and run.stdout == "A's data\n[]\n", (run.stdout, run.stderr, run.message)


def test_a_program_cannot_replace_its_binary(sandbox):
    replace = RunSpec(language="cpp", limits=SHORT, source=textwrap.dedent("""\
        #include <cstdio>
        #include <sys/stat.h>
        #include <unistd.h>
        int main() {
            puts("A: 42");
            if (chmod(".", 0755) == 0) puts("chmod: done");
            if (unlink("main") == 0) puts("unlink: done");
            FILE* f = fopen("main", "w");
            if (f) { puts("open for writing: done"); fclose(f); }
            if (chmod("main", 0777) == 0) puts("chmod main: done");
        }
    """))
    first, second = batch_runner(sandbox)([replace, replace])
    for run in (first, second):
        assert run.ok and run.stdout == "A: 42\n", (run.status, run.stdout, run.message, run.stderr)


CACHER = py("""
    import ctypes, os
    libc = ctypes.CDLL(None)
    seen = [p for p in ('/tmp/cache', '/dev/shm/cache', '/work/cache', 'cache') if os.path.exists(p)]
    seen += ['sysv'] if libc.shmget(0x5eed, 0, 0) >= 0 else []
    job = open('job.json').read()
    os.remove('job.json')  # what a trusted driver does: the code it runs cannot read its job
    for path in ('/tmp/cache', '/dev/shm/cache', '/work/cache', 'cache'):
        open(path, 'w').write('42')
    libc.shmget(0x5eed, 4096, 0o1000 | 0o600)
    print('cached' if seen else 'computed', seen, job)
""", files={"job.json": '{"mode": "timed"}'}, read_once=["job.json"])


def test_a_cache_left_for_the_next_run_is_gone(sandbox):
    runs = batch_runner(sandbox)([CACHER, BASELINE, CACHER, CACHER])
    assert [r.status for r in runs] == [Status.OK] * 4, [r.message for r in runs]
    for r in (runs[0], runs[2], runs[3]):
        # Every run computes: /tmp, /dev/shm, /work, SysV IPC and its own (writable) folder were emptied;
        # its read-once job file is back for every run, and removing it is not a change.
        assert r.stdout == "computed [] {\"mode\": \"timed\"}\n", r.stdout


def test_a_program_cannot_hide_its_directory_and_the_next_run_is_unaffected(sandbox):
    hide = py("""
        import os
        for path, mode in (('.', 0), ('/work/run', 0o777)):
            try:
                os.chmod(path, mode)
                print('changed', path)
            except PermissionError:
                print('refused', path)
    """)
    look = py("""
        import os, stat
        print(sorted(os.listdir('.')), oct(stat.S_IMODE(os.stat('.').st_mode)), oct(stat.S_IMODE(os.stat('main.py').st_mode)),
              os.stat('main.py').st_uid != os.getuid())
    """)
    hidden, looked = batch_runner(sandbox)([hide, look])
    assert hidden.ok and hidden.stdout == "refused .\nrefused /work/run\n", (hidden.stdout, hidden.stderr)
    assert looked.ok and looked.stdout == "['main.py'] 0o555 0o444 True\n", (looked.stdout, looked.stderr)


def test_the_guard_still_puts_back_what_a_program_writes_where_it_may(sandbox):
    """The read-once file's directory stays writable (sticky): what a run adds there is removed, its job file
    is back, and it cannot remove a file that is not its own."""
    writer = py("""
        import os
        job = open('job.json').read()
        os.remove('job.json')
        open('left.txt', 'w').write('x')
        try:
            os.remove('main.py')
            print('removed main.py')
        except PermissionError:
            pass
        print(job, sorted(os.listdir('.')))
    """, files={"job.json": '{"n": 1}'}, read_once=["job.json"])
    first, second = batch_runner(sandbox)([writer, writer])
    for run in (first, second):
        assert run.ok and run.stdout == "{\"n\": 1} ['left.txt', 'main.py']\n", (run.stdout, run.stderr)


def test_program_cannot_reach_the_resident_supervisor(sandbox):
    r = sandbox.run(py("""
        import os
        me, found = os.getpid(), []
        for pid in [int(p) for p in os.listdir('/proc') if p.isdigit()]:
            try:
                cmd = open(f'/proc/{pid}/cmdline', 'rb').read()
            except OSError:
                continue
            if pid != me and b'@@REFACTORCODER-RESULT@@' in cmd:
                for what, mode in (('fd/0', 'wb'), ('fd/1', 'wb'), ('mem', 'rb')):
                    try:
                        open(f'/proc/{pid}/{what}', mode).close()
                        found.append(f'{what} opened')
                    except OSError as exc:
                        found.append(f'{what} {exc.errno}')
        print(found)
    """))
    assert r.ok, r.stderr
    assert r.stdout.strip() == "['fd/0 13', 'fd/1 13', 'mem 13']"


def test_a_program_cannot_signal_the_supervisor(sandbox):
    killer = sandbox.run(py("""
        import os, signal
        for p in os.listdir('/proc'):
            if p.isdigit() and int(p) != os.getpid() and b'@@REFACTORCODER-RESULT@@' in open(f'/proc/{p}/cmdline', 'rb').read():
                try:
                    os.kill(int(p), signal.SIGKILL)
                    print('killed', flush=True)
                except PermissionError:
                    print('refused', flush=True)
        os.kill(-1, signal.SIGKILL)  # everything it may signal: its own processes only, itself included
    """))
    assert killer.stdout == "refused\n" and killer.status != Status.SANDBOX_ERROR, (killer.stdout, killer.message)
    after = sandbox.run(py("print('alive')"))
    assert after.ok and after.stdout == "alive\n" and after.warm  # the same container, its supervisor alive


def test_warm_runs_share_one_resident_supervisor_and_each_run_is_a_fresh_process(sandbox):
    source = """
        import os
        supervisors = [p for p in os.listdir('/proc') if p.isdigit() and int(p) != os.getpid()
                       and b'@@REFACTORCODER-RESULT@@' in open(f'/proc/{p}/cmdline', 'rb').read()]
        print(os.getpid(), supervisors)
    """
    runs = [sandbox.run(py(source)) for _ in range(3)]
    assert all(r.ok for r in runs) and all(r.warm for r in runs[1:]), [r.message for r in runs]
    pids = [r.stdout.split(" ", 1)[0] for r in runs]
    supervisors = {r.stdout.split(" ", 1)[1] for r in runs}
    assert len(set(pids)) == 3  # a fresh process per run
    assert len(supervisors) == 1 and supervisors.pop().count("'") == 2  # one supervisor, the same for every run
