"""The in-sandbox Python driver against candidates that cheat, in the real sandbox (Docker): the driver's
process never runs candidate code, every call runs in a process of its own, nothing a call leaves (memory,
files, processes, IPC objects) reaches the next one, timed runs are checked against the original's answers,
forged reports do not count (test runs: test_driver_test_runs.py; the guard in a call's process:
test_driver_guard.py).

Every candidate here is the one a guard exists to catch; each test fails when its guard is taken away.
"""

from __future__ import annotations

import json

import pytest

from orchestrator.target import locate
from orchestrator.verify.running.execution import PythonExecution, TestRun
from orchestrator.verify.running.pyjobs import REPORT_MARKER
from orchestrator.verify.testing.testsuite import Suite

pytestmark = [pytest.mark.docker, pytest.mark.slow]

ORIGINAL = '''"""m"""


def f(x):
    return (x * 2, False)
'''
WORKLOAD = ["f(1)", "f(2)", "f(1)"]  # f(1) twice in one repetition: the second call must not find the first
REPETITIONS = 3

# Each answers (x * 2, hit): hit is True when the call found something an earlier call left. Right answers
# otherwise, so only state crossing calls can make them differ from the original.
CACHES = {
    "class attribute": '''class _Seen:
    inputs = set()


def f(x):
    hit = x in _Seen.inputs
    _Seen.inputs.add(x)
    return (x * 2, hit)
''',
    "builtins": '''import builtins


def f(x):
    seen = builtins.__dict__.setdefault("_rc_seen", set())
    hit = x in seen
    seen.add(x)
    return (x * 2, hit)
''',
    "__memo global": '''__memo = {}


def f(x):
    hit = x in __memo
    __memo[x] = x * 2
    return (x * 2, hit)
''',
    "file under /tmp": '''import os


def f(x):
    path = "/tmp/rc-seen-%d" % x
    hit = os.path.exists(path)
    open(path, "w").close()
    return (x * 2, hit)
''',
    "file in the run directory": '''import os


def f(x):
    path = os.path.expanduser("~/.cache-rc-%d" % x)
    hit = os.path.exists(path)
    open(path, "w").close()
    return (x * 2, hit)
''',
    "daemon process": '''import os
import socket
import time


def f(x):
    name = "\\0rc-seen-daemon"
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(name)
        probe.sendall(b"%d" % x)
        return (x * 2, probe.recv(8) == b"hit")
    except OSError:
        pass
    pid = os.fork()
    if pid == 0:  # a daemon that outlives the call: double fork, own session, no inherited descriptors
        os.setsid()
        if os.fork():
            os._exit(0)
        os.closerange(0, 1024)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(name)
        server.listen(8)
        seen = {x}
        while True:
            conn, _ = server.accept()
            key = conn.recv(32)
            conn.sendall(b"hit" if key in {b"%d" % s for s in seen} else b"miss")
            seen.add(int(key))
            conn.close()
    os.waitpid(pid, 0)
    time.sleep(0.05)  # the daemon is listening before the call ends
    return (x * 2, False)
''',
    "System V shared memory": '''import subprocess


def f(x):
    listed = subprocess.run(["ipcs", "-m"], capture_output=True, text=True).stdout
    hit = any(line.startswith("0x") for line in listed.splitlines())
    subprocess.run(["ipcmk", "-M", "4096"], capture_output=True)  # ctypes is denied in a call's process
    return (x * 2, hit)
''',
}


def _project(tmp_path, module=ORIGINAL, tests: dict[str, str] | None = None):
    root = tmp_path / "p"
    root.mkdir()
    (root / "pyproject.toml").write_text("")
    (root / "m.py").write_text(module)
    for name, text in (tests or {}).items():
        (root / name).write_text(text)
    return locate(f"{root}/m.py::f")


def _timed(exe, candidate, reference, repetitions=REPETITIONS):
    """One timed run of `candidate` as the measurement makes it: (check's message, the run's result)."""
    program = exe.workload_program(candidate, WORKLOAD, reference)
    result = exe.runner.run(program.spec(repetitions))
    return program.check(result), result


@pytest.fixture
def original(tmp_path, py_sandbox):
    target = _project(tmp_path)
    exe = PythonExecution(py_sandbox, target, Suite())
    return target, exe, exe.workload_reference(target.code, WORKLOAD)


@pytest.mark.parametrize("kind", list(CACHES))
def test_a_cache_kept_between_calls_never_helps(original, kind):
    """Each call starts from the freshly imported module in a fresh process, with the writable areas, the
    processes and the IPC objects as they were before the first call: the candidate never finds its cache."""
    _target, exe, reference = original
    problem, result = _timed(exe, CACHES[kind], reference)
    assert problem is None, f"{kind}: {problem}"
    calls = exe.calls(CACHES[kind], [{"args": "(1,)", "kwargs": "{}"}] * 2, [[0, 1], [1, 0]])
    answers = [rec["r"] for one_pass in calls["passes"] for rec in one_pass.values()]
    assert answers == [["tuple", 2, False]] * 4, f"{kind}: {answers}"


def test_the_candidate_finds_no_job_and_cannot_reach_the_driver(original):
    """job.json is gone before any call, __main__ is not the driver's module, and the driver's memory and
    descriptors are closed to the call (non-dumpable): tried from a process the call starts, since the call's
    own process may not open anything in /proc at all (tests/orchestrator/test_driver_guard.py)."""
    _target, exe, _ = original
    spy = '''import os
import subprocess
import sys

OPEN = "import os, sys; os.close(os.open(sys.argv[1], int(sys.argv[2])))"


def f(x):
    main = vars(sys.modules["__main__"])
    seen = []
    if any(os.path.exists(p) for p in ("job.json", "/work/run/job.json")):
        seen.append("job.json")
    seen += sorted(k for k in main if k.upper() in ("JOB", "NONCE"))
    for what, mode in (("mem", os.O_RDONLY), ("fd/1", os.O_WRONLY), ("fd/2", os.O_WRONLY)):
        path = "/proc/%d/%s" % (os.getppid(), what)
        if subprocess.run([sys.executable, "-c", OPEN, path, str(mode)], capture_output=True).returncode == 0:
            seen.append("/proc/driver/" + what)
    return seen
'''
    report = exe.calls(spy, [{"args": "(1,)", "kwargs": "{}"}], [[0]])
    assert report["ok"], report
    assert report["passes"][0]["0"]["r"] == ["list"], report["passes"][0]["0"]


def test_a_forged_report_does_not_count(original):
    """A candidate that looks for the nonce in the frames above it (the guard refuses the frame: tampering) or
    else makes one up, and writes a report claiming the original's answers everywhere it can: the run's output
    holds the driver's report only, and the run is rejected."""
    _target, exe, reference = original
    claimed = {"ok": True, "loops": REPETITIONS, "orders": 1, "raised": {}, "tampered": [],
               "digests": [{str(i): d for i, d in enumerate(reference)}] + ["="] * (REPETITIONS - 1)}
    forger = '''import json
import os
import sys

CLAIMED = %r


def f(x):
    nonce = None
    try:
        frame = sys._getframe()
        while frame is not None:
            for value in list(frame.f_locals.values()):
                if isinstance(value, str) and len(value) == 24 and set(value) <= set("0123456789abcdef"):
                    nonce = value
            frame = frame.f_back
    except ValueError:
        nonce = "0" * 24
    if nonce:
        data = ("\\n@@RC-DRIVER-" + nonce + "@@\\n" + json.dumps(CLAIMED)).encode()
        for fd in (1, 2):
            os.write(fd, data)
        sys.__stdout__.write(data.decode())
        sys.__stdout__.flush()
        print(data.decode())
        try:
            fd = os.open("/proc/%%d/fd/1" %% os.getppid(), os.O_WRONLY)
            os.write(fd, data)
        except OSError:
            pass
    return (0, False)
''' % (claimed,)
    problem, result = _timed(exe, forger, reference)
    assert result.stdout.count(REPORT_MARKER) == 1, result.stdout[-800:]
    assert problem is not None and "tampered" in problem and "sys._getframe" in problem, problem


def test_a_candidate_that_tells_timed_runs_apart_is_caught(original):
    """Reading the job from the driver's frames would tell it how many repetitions run: the frame is refused
    and the attempt reported, in checked and timed runs alike. One that tells timed runs apart some other way
    (call counting, timing) is caught because every timed call is compared with the original's answer
    (tests/redteam)."""
    _target, exe, reference = original
    sneaky = '''import sys


def f(x):
    try:
        frame = sys._getframe()
    except ValueError:
        frame = None
    while frame is not None:
        job = frame.f_locals.get("job")
        if isinstance(job, dict) and job.get("loops", 1) > 1:
            return (0, False)  # timed: a cheap wrong answer
        frame = frame.f_back
    return (x * 2, False)
'''
    report = exe.calls(sneaky, [{"args": "(3,)", "kwargs": "{}"}], [[0]])
    assert not report["ok"] and "frame access (sys._getframe)" in report["error"], report
    problem, _ = _timed(exe, sneaky, reference)
    assert problem is not None and "tampered" in problem and "sys._getframe" in problem, problem


def test_a_call_that_changes_the_program_files_is_tampered(original):
    _target, exe, reference = original
    rewriter = '''def f(x):
    with open(__file__, "a") as fh:
        fh.write("\\n# was here\\n")
    return (x * 2, False)
'''
    problem, _ = _timed(exe, rewriter, reference, repetitions=1)
    # Two layers stop it: the sandbox seals program files read-only (the write raises PermissionError, so the
    # answer differs from the original's), and the driver names a call that changed them anyway.
    assert problem is not None and ("changed the program's files" in problem and "m.py" in problem
                                    or "PermissionError" in problem), problem
    record = exe.calls(rewriter, [{"args": "(1,)", "kwargs": "{}"}], [[0]])["passes"][0]["0"]
    assert "m.py" in record.get("t", "") or record.get("e") == "PermissionError", record


def test_crashes_and_hangs_are_answers_of_their_own(original):
    """A call that exits, kills itself or hangs ends with its own record; the calls after it still run."""
    _target, exe, _ = original
    fragile = '''import os
import time


def f(x):
    if x == 1:
        os._exit(3)
    if x == 2:
        os.kill(os.getpid(), 9)
    if x == 3:
        while True:
            try:
                time.sleep(10)
            except BaseException:
                pass  # swallows the driver's time limit too
    return (x * 2, False)
'''
    calls = [{"args": f"({x},)", "kwargs": "{}"} for x in (1, 2, 3, 4)]
    report = exe.calls(fragile, calls, [[0, 1, 2, 3]])
    got = {i: rec["e"] for i, rec in report["passes"][0].items()}
    assert got == {"0": "its process ended (exit status 3)", "1": "killed by signal 9", "2": "timeout", "3": None}
    assert report["passes"][0]["3"]["r"] == ["tuple", 8, False]


POINTS = '''class Point:
    __slots__ = ("x", "_y")

    def __init__(self, x, y):
        self.x, self._y = x, y


def f(x):
    return (Point(x, x + 1), (i * 2 for i in range(x)))
'''


def test_generators_and_objects_compare_by_what_they_hold(tmp_path, py_sandbox):
    """Generators are consumed (any generator used to equal any other) and objects with a default repr compare
    by their attributes, slots included (they used to compare by type name)."""
    target = _project(tmp_path, POINTS)
    exe = PythonExecution(py_sandbox, target, Suite())
    call = [{"expr": "f(4)"}]
    want = exe.calls(target.code, call, [[0]])["passes"][0]["0"]["r"]
    point, items = want[1], want[2]
    assert point["__type__"] == "Point" and point["attrs"] == [["_y", 5], ["x", 4]], point
    assert items == {"__iter__": [0, 2, 4, 6]}
    for changed in (target.code.replace("i * 2", "i * 3"), target.code.replace("x + 1", "x + 2")):
        got = exe.calls(changed, call, [[0]])["passes"][0]["0"]["r"]
        assert got != want, changed


def test_the_report_is_compact_and_state_is_still_seen(original):
    """Repetitions that answer alike cost one character each; a call that changes module state is named."""
    _target, exe, _ = original
    stateful = '''_calls = []


def f(x):
    _calls.append(x)
    return (x * 2, False)
'''
    report = exe.calls(stateful, [{"args": "(1,)", "kwargs": "{}"}], [[0]])
    assert report["state_changed"] == ["global _calls"], report["state_changed"]
    program = exe.workload_program(_target.code, WORKLOAD, None)
    result = exe.runner.run(program.spec(4))
    report = json.loads(result.stdout.split(REPORT_MARKER, 1)[1].split("@@\n", 1)[1])
    assert report["digests"][1:] == ["=", "=", "="] and report["loops"] == 4
    assert program.check(result) is None
