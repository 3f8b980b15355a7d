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


SELF_EDIT = py("""
    import os
    print(open('data.txt').read())
    for path in ('main.py', 'data.txt'):
        try:
            open(path, 'a').write('# edited')
            print('wrote without chmod', path)
        except PermissionError:
            pass
    os.chmod('.', 0o755)
    for path in ('main.py', 'data.txt'):
        os.chmod(path, 0o644)
        open(path, 'a').write('\\n# edited')
    open('sitecustomize.py', 'w').write('import sys')
""", files={"data.txt": "A's data"})


def test_a_program_rewriting_its_files_fails_and_its_next_run_runs_the_originals(sandbox):
    first, second = batch_runner(sandbox)([SELF_EDIT, SELF_EDIT])
    assert first.stdout == second.stdout == "A's data\n"  # read-only: no write without the chmod; put back
    for run in (first, second):
        assert run.status == Status.FAILED and "modified files it does not own" in run.message
        for path in ("p0/main.py", "p0/data.txt", "p0/sitecustomize.py", "p0: directory mode"):
            assert path in run.message, run.message


def test_a_program_replacing_its_binary_fails_and_its_next_run_runs_the_build(sandbox):
    replace = RunSpec(language="cpp", limits=SHORT, source=textwrap.dedent("""\
        #include <cstdio>
        #include <sys/stat.h>
        #include <unistd.h>
        int main() {
            puts("A: 42");
            chmod(".", 0755);
            unlink("main");
            FILE* f = fopen("main", "w");
            if (!f) return 0;
            fputs("#!/bin/sh\\necho 'A: 0'\\n", f);
            fclose(f);
            chmod("main", 0755);
        }
    """))
    first, second = batch_runner(sandbox)([replace, replace])
    assert first.stdout == second.stdout == "A: 42\n", (second.status, second.message, second.stderr)
    assert first.status == Status.FAILED and "p0/main: content changed" in first.message, first.message


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


def test_a_program_chmodding_its_own_dir_fails_and_the_next_run_is_unaffected(sandbox):
    hide = py("""
        import os
        os.chmod('.', 0)
        os.chmod('/work/run', 0o777)
        print('hidden')
    """)
    look = py("""
        import os, stat
        print(sorted(os.listdir('.')), oct(stat.S_IMODE(os.stat('.').st_mode)), oct(stat.S_IMODE(os.stat('main.py').st_mode)))
    """)
    hidden, looked, again = batch_runner(sandbox)([hide, look, hide])
    assert hidden.stdout == "hidden\n" and hidden.status == Status.FAILED
    assert "p0: directory mode changed to 0o0" in hidden.message and ".: directory mode changed" in hidden.message
    assert looked.ok and looked.stdout == "['main.py'] 0o555 0o444\n", (looked.stdout, looked.stderr)
    assert again.status == Status.FAILED  # its directory was put back: it could do it again, and failed again


def test_a_program_editing_its_own_files_fails(sandbox):
    r = sandbox.run(py("""
        import os
        os.chmod('.', 0o755); os.chmod('helper.py', 0o644)
        open('helper.py', 'w').write('EXPECTED = 0')
    """, files={"helper.py": "EXPECTED = 42"}))
    assert r.status == Status.FAILED and "helper.py: content changed" in r.message


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


def test_a_program_killing_the_supervisor_costs_only_its_container(sandbox):
    killer = sandbox.run(py("import os, signal\nos.kill(-1, signal.SIGKILL)"))
    assert killer.status == Status.SANDBOX_ERROR
    after = sandbox.run(py("print('alive')"))
    assert after.ok and after.stdout == "alive\n"


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
