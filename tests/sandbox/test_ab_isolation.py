"""A and B of one measurement are isolated (issue 15, point 3): no shared writable area, process namespace or uid.

profiling/batch.py gives each program of a batch a seat: a container of its own, run as the seat's own uid
(sandbox/containers.py, sandbox/pool.py); the host interleaves their steps across the containers. Each test
here is a B that tries to reach A -- read A's program files, its build output or its job file, see, signal or
trace A's processes, leave something where A reads -- and is refused. The sequential ones run as a measurement
runs (a batch of A, B, A); the concurrent one runs A and B at the same time on purpose, which a measurement
never does, to show that even then neither can reach the other (a process that outlived its step would not
help). Real sandbox.
"""

from __future__ import annotations

import json
import textwrap
import threading
import time

import pytest

from profiling.batch import batch_runner
from sandbox import Limits, RunSpec, Status

pytestmark = [pytest.mark.docker, pytest.mark.slow]
SHORT = Limits(wall_time_s=8.0, cpu_time_s=8.0)
SECRET = "A-SECRET-5f1d"


def py(source: str, **kw) -> RunSpec:
    return RunSpec(language="python", source=textwrap.dedent(source), limits=SHORT, **kw)


ORIGINAL = py(f"""
    import os
    print(os.getuid(), open('data.txt').read(), '{SECRET}' in open(__file__).read())
""", files={"data.txt": "A's data", "job.json": '{"mode": "timed"}'}, read_once=["job.json"])

# Every way to A's files a program of the same container had: the sibling directory, the whole of /work,
# /tmp and /dev/shm searched for A's secret, A's read-once job file, and a chmod to write A's data.
READER = py(f"""
    import json, os
    found = []
    for path in ('../p0/main.py', '../p0/data.txt', '../p0/job.json', '/work/run/p0/main.py'):
        try:
            found.append([path, open(path).read()[:40]])
        except OSError as exc:
            pass
    for top in ('/work', '/tmp', '/dev/shm'):
        for here, _, names in os.walk(top):
            for name in names:
                try:
                    if '{SECRET}' in open(os.path.join(here, name), errors='replace').read() \\
                            and name != 'main.py' or here.endswith('/p0'):
                        found.append([os.path.join(here, name), 'secret'])
                except OSError:
                    pass
    try:
        os.chmod('../p0', 0o755)
        os.chmod('../p0/data.txt', 0o644)
        open('../p0/data.txt', 'w').write('B was here')
        found.append(['../p0/data.txt', 'written'])
    except OSError:
        pass
    print(json.dumps({{'uid': os.getuid(), 'found': found, 'run': sorted(os.listdir('/work/run'))}}))
""")


def test_b_cannot_read_or_change_a_program_files(sandbox):
    first, reader, second = batch_runner(sandbox)([ORIGINAL, READER, ORIGINAL])
    assert first.ok and second.ok, (first.message, second.message)
    seen = json.loads(reader.stdout)
    assert seen["found"] == [], seen  # nothing of A's is there to read or change
    assert reader.ok, (reader.message, reader.stderr)
    assert seen["run"] == ["p1"]  # only its own program directory
    a_uid = int(first.stdout.split()[0])
    assert seen["uid"] != a_uid  # A and B run as different uids
    assert second.stdout == first.stdout and "A's data True" in first.stdout


A_BUILT = RunSpec(language="cpp", limits=SHORT, files={"secret.h": f'#define SECRET "{SECRET}"\n'},
                  source='#include <cstdio>\n#include "secret.h"\nint main(){ puts(SECRET); }\n')
# B reads A's build output (the compiled binary) at run time and A's header at compile time.
B_BUILT = RunSpec(language="cpp", limits=SHORT, source=textwrap.dedent("""\
    #include <cstdio>
    #if __has_include("/work/run/p0/secret.h")
    #include "/work/run/p0/secret.h"
    const char* seen = SECRET;
    #else
    const char* seen = "no header";
    #endif
    int main() {
        FILE* f = fopen("/work/run/p0/main", "rb");
        printf("%s, %s\\n", seen, f ? "read A's binary" : "no binary");
    }
"""))


def test_b_cannot_read_a_build_output_or_include_a_source(sandbox):
    first, b, second = batch_runner(sandbox)([A_BUILT, B_BUILT, A_BUILT])
    assert first.stdout == second.stdout == f"{SECRET}\n", (first.message, second.message)
    assert b.ok and b.stdout == "no header, no binary\n", (b.stdout, b.message)


# A runs for a few seconds, watching for B: a file in any writable area, a SysV segment, an abstract socket,
# its own data file changed. Its argv carries a marker that B looks for in /proc.
WATCHER = py("""
    import ctypes, json, os, socket, sys, time
    libc = ctypes.CDLL(None)
    start, seen = time.time(), set()
    while time.time() - start < 4.0:
        for path in ('/tmp/b-was-here', '/dev/shm/b-was-here', '/work/b-was-here', '/work/run/b-was-here'):
            if os.path.exists(path):
                seen.add(path)
        if libc.shmget(0x5eedb, 0, 0) >= 0:
            seen.add('sysv')
        probe = socket.socket(socket.AF_UNIX)
        try:
            probe.connect('\\0refactorcoder-b')
            seen.add('abstract socket')
        except OSError:
            pass
        probe.close()
        if open('data.txt').read() != "A's data":
            seen.add('data.txt changed')
        time.sleep(0.05)
    print(json.dumps({'uid': os.getuid(), 'seen': sorted(seen), 'start': start, 'end': time.time()}))
""", files={"data.txt": "A's data"}, args=["A-MARKER-7c2e"])

PROBE = py("""
    import ctypes, json, os, signal, socket, time
    start = time.time()
    libc = ctypes.CDLL(None, use_errno=True)
    found, signalled, traced = [], [], []
    for name in os.listdir('/proc'):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            cmd = open(f'/proc/{name}/cmdline', 'rb').read()
        except OSError:
            continue
        if b'A-MARKER-7c2e' in cmd:
            found.append(int(name))
    for pid in found:
        for sig in (0, signal.SIGSTOP, signal.SIGCONT):
            try:
                os.kill(pid, sig)
                signalled.append([pid, int(sig)])
            except OSError:
                pass
        if libc.ptrace(16, pid, 0, 0) == 0:  # PTRACE_ATTACH
            traced.append(pid)
    for path in ('/tmp/b-was-here', '/dev/shm/b-was-here', '/work/b-was-here', '/work/run/b-was-here'):
        try:
            open(path, 'w').write('B')
        except OSError:
            pass
    libc.shmget(0x5eedb, 4096, 0o1000 | 0o666)
    server = socket.socket(socket.AF_UNIX)
    server.bind('\\0refactorcoder-b')
    server.listen()
    try:
        os.chmod('/work/run/p0', 0o755)
        os.chmod('/work/run/p0/data.txt', 0o666)
        open('/work/run/p0/data.txt', 'w').write('B was here')
    except OSError:
        pass
    time.sleep(1.0)  # what B left stays there while A watches
    print(json.dumps({'uid': os.getuid(), 'found': found, 'signalled': signalled, 'traced': traced,
                      'start': start, 'end': time.time()}))
""")


def test_b_running_beside_a_cannot_see_signal_trace_or_reach_it(sandbox):
    sandbox.warm("python", SHORT, count=1, seats=2)
    run_batch = batch_runner(sandbox)
    outcome: dict = {}

    def run_a():
        try:
            outcome["a"] = run_batch([WATCHER], seats=[0])[0]
        except Exception as exc:  # noqa: BLE001 - reported below, after B's assertions
            outcome["a_error"] = exc

    a_thread = threading.Thread(target=run_a)
    a_thread.start()
    time.sleep(1.0)  # A is running
    b = run_batch([PROBE], seats=[1])[0]
    a_thread.join(30)
    assert b.ok, (b.message, b.stderr)
    probe = json.loads(b.stdout)
    assert probe["found"] == [] and probe["signalled"] == [] and probe["traced"] == [], probe
    assert "a_error" not in outcome, outcome.get("a_error")
    a = outcome["a"]
    assert a.ok, (a.message, a.stderr)
    watcher = json.loads(a.stdout)
    assert watcher["start"] < probe["start"] and probe["end"] < watcher["end"], (watcher, probe)  # they overlapped
    assert watcher["seen"] == [], watcher
    assert watcher["uid"] != probe["uid"]
