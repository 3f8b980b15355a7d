"""The guard around candidate code in a call's process (orchestrator/verify/running/in_sandbox/driver_guard.py), in the
real sandbox (Docker): the candidate runs beside the driver's checking code (normaliser, test runner, result
pipe), and every way it could reach that code is refused and reported as tampering, never as a pass; honest code
that only looks like it (namedtuple, typing, enum, logging, traceback, its own classes) still runs. The sealed test
machinery (driver_seal.py) has its own file, test_driver_seal.py.

Every candidate here is the one a guard exists to catch; each test fails when its guard is taken away.
"""

from __future__ import annotations

import pytest

from orchestrator.verify.running.execution import PythonExecution
from orchestrator.verify.testing.testsuite import Suite
from tests.orchestrator.test_driver_isolation import _project as _write_project

pytestmark = [pytest.mark.docker, pytest.mark.slow]

ORIGINAL = '''def f(x):
    return len(x)
'''
ONE_CALL = [{"args": "([3, 1, 2],)", "kwargs": "{}"}]


def _project(tmp_path, module=ORIGINAL, tests: dict[str, str] | None = None):
    return _write_project(tmp_path, module, tests)  # this file's ORIGINAL by default


@pytest.fixture
def exe(tmp_path, py_sandbox):
    return PythonExecution(py_sandbox, _project(tmp_path), Suite())


def _call(exe, code):
    return exe.calls(code, ONE_CALL, [[0]])


# Each reaches for the driver's code; the try/except shows that catching the refusal does not hide it.
REACHES = {
    "sys._getframe": ("frame access (sys._getframe)", '''import sys


def f(x):
    try:
        frame = sys._getframe()
        while frame.f_back is not None:
            frame = frame.f_back
    except ValueError:
        pass
    return len(x)
'''),
    "a traceback's frame": ("frame access (traceback.tb_frame)", '''def f(x):
    try:
        raise KeyError(1)
    except KeyError as exc:
        try:
            exc.__traceback__.tb_frame.f_back.f_locals
        except RuntimeError:
            pass
    return len(x)
'''),
    "traceback.walk_tb": ("frame access (traceback.tb_frame)", '''import traceback


def f(x):
    try:
        raise KeyError(1)
    except KeyError as exc:
        try:
            frame, _ = next(traceback.walk_tb(exc.__traceback__))
            frame.f_back.f_globals
        except RuntimeError:
            pass
    return len(x)
'''),
    "a generator's frame": ("frame access (generator.gi_frame)", '''def gen():
    yield 1


def f(x):
    try:
        gen().gi_frame
    except RuntimeError:
        pass
    return len(x)
'''),
    "sys._current_frames": ("sys._current_frames", '''import sys


def f(x):
    try:
        sys._current_frames()
    except RuntimeError:
        pass
    return len(x)
'''),
    "sys.settrace": ("sys.settrace", '''import sys


def f(x):
    try:
        sys.settrace(lambda *args: None)
    except RuntimeError:
        pass
    return len(x)
'''),
    "gc.get_referrers": ("gc.get_referrers", '''import gc


def f(x):
    try:
        gc.get_referrers(x)
    except RuntimeError:
        pass
    return len(x)
'''),
    "ctypes": ("ctypes", '''import ctypes


def f(x):
    try:
        ctypes.c_long.from_address(id(x)).value
    except RuntimeError:
        pass
    return len(x)
'''),
    "/proc/self/mem": ("opening /proc/self/mem", '''def f(x):
    try:
        open("/proc/self/mem", "rb").close()
    except PermissionError:
        pass
    return len(x)
'''),
    "proc/self/mem relative to /": ("opening proc/self/mem", '''import os


def f(x):
    root = os.open("/", os.O_RDONLY)
    try:
        os.close(os.open("proc/self/mem", os.O_RDONLY, dir_fd=root))
    except PermissionError:
        pass
    return len(x)
'''),
    "a standard-library function's code": ("set __code__ of json.dumps", '''import json


def f(x):
    try:
        json.dumps.__code__ = (lambda *args, **kwargs: "[]").__code__
    except RuntimeError:
        pass
    return len(x)
'''),
    "a new audit hook": ("sys.addaudithook", '''import sys


def f(x):
    sys.addaudithook(lambda event, args: None)
    return len(x)
'''),
}


@pytest.mark.parametrize("kind", list(REACHES))
def test_reaching_for_the_checking_code_is_refused_and_reported(exe, kind):
    """The refusal is recorded by the guard, so the call is tampered whether or not the candidate catches it."""
    named, code = REACHES[kind]
    report = _call(exe, code)
    assert not report["ok"] and "tampered with the driver's checking code" in report["error"], report
    assert named in report["error"], report["error"]


def test_a_tampered_timed_run_is_rejected(tmp_path, py_sandbox):
    """A timed run of a candidate that reaches for a frame is not a measurement: the check names the tampering."""
    target = _project(tmp_path)
    exe = PythonExecution(py_sandbox, target, Suite())
    workload = ["f([3, 1, 2])"]
    reference = exe.workload_reference(target.code, workload)
    program = exe.workload_program(REACHES["sys._getframe"][1], workload, reference)
    problem = program.check(exe.runner.run(program.spec(2)))
    assert problem is not None and "tampered" in problem and "sys._getframe" in problem, problem


def test_lines_written_to_the_result_pipe_are_forged(exe):
    """The result pipe is the only descriptor above 2: a candidate that writes a record there and exits is named
    (its lines lack the process's token), never taken for the call's answer."""
    report = _call(exe, '''import os


def f(x):
    for fd in range(3, 64):
        try:
            os.write(fd, b'{"record": {"r": 3, "e": null, "m": null, "o": ""}}\\n')
        except OSError:
            pass
    os._exit(0)
''')
    assert not report["ok"] and "forged" in report["error"], report


def test_the_driver_is_not_reachable_from_the_module_table(exe):
    """No driver module in sys.modules, a blank __main__, and the import finder a candidate can reach holds
    nothing of the driver in its globals."""
    report = _call(exe, '''import sys


def f(x):
    finder = [type(entry) for entry in sys.meta_path if type(entry).__module__.startswith("rc_driver")]
    reach = sorted(k for k in finder[0].find_spec.__globals__ if not k.startswith("__")) if finder else []
    return (sorted(n for n in sys.modules if n.startswith("rc_driver") or n == "__main__"),
            sorted(k for k in vars(sys.modules["__main__"]) if not k.startswith("__")), reach)
''')
    assert report["ok"], report
    modules, main, reach = report["passes"][0]["0"]["r"][1:]
    assert modules == ["list", "__main__"] and main == ["list"], (modules, main)
    assert reach == ["list", "PrecompiledLoader", "ProjectImports", "importlib", "os"], reach


def test_no_signal_handler_is_handed_a_frame(exe):
    """Signal handlers receive the interrupted frame and cannot be refused by an audit hook: the checks run on a
    worker thread, where Python refuses to install one (even from a fresh copy of the _signal module)."""
    report = _call(exe, '''import importlib.util


def f(x):
    fresh = importlib.util.module_from_spec(importlib.util.find_spec("_signal"))
    try:
        fresh.signal(10, lambda signum, frame: None)
    except ValueError as exc:
        return str(exc)
    return "installed"
''')
    assert report["ok"], report
    assert "main thread" in report["passes"][0]["0"]["r"], report["passes"][0]["0"]


def test_rebinding_builtins_and_the_standard_library_does_not_hide_a_mutation(exe):
    """The argument is serialised before the candidate is imported and after the call by code on private
    references (its own builtins, the C JSON encoder): a candidate that rebinds them still shows its mutation."""
    report = _call(exe, '''import builtins
import json

builtins.isinstance = lambda *args: False
builtins.repr = lambda value: "[3, 1, 2]"
json.dumps = lambda *args, **kwargs: "same"


def f(x):
    x.sort()
    return 3
''')
    assert report["ok"], report
    record = report["passes"][0]["0"]
    assert record["r"] == 3 and record["m"] is not None and "[\"list\",1,2,3]" in record["m"], record


HONEST = '''import collections
import enum
import logging
import traceback
import typing

Pair = collections.namedtuple("Pair", "low high")
T = typing.TypeVar("T")
Colour = enum.Enum("Colour", "RED GREEN")


class Box:
    pass


def helper(y=1):
    return y


def f(x):
    logging.getLogger("m").warning("called")  # emitted: logging looks up its caller's frame
    try:
        raise KeyError(1)
    except KeyError:
        text = traceback.format_exc()
    Box.size = len(x)  # its own class
    helper.__defaults__ = (2,)  # its own function
    return (Pair(min(x), max(x)), Colour.RED.name, "KeyError" in text, Box.size, helper())
'''


def test_honest_code_that_looks_around_still_runs(exe):
    """namedtuple, typing and enum read their caller's module name from a frame; logging looks up its caller;
    traceback formats the candidate's own exception; a candidate changes its own classes and functions."""
    report = _call(exe, HONEST)
    assert report["ok"], report
    assert report["passes"][0]["0"]["r"] == ["tuple", ["Pair", 1, 3], "RED", True, 3, 2], report["passes"][0]["0"]


SENTINELS = '''import sys


def make_sentinel(name):
    """Named after the module that makes it, as boltons.typeutils.make_sentinel does."""
    return name + "@" + sys._getframe(1).f_globals["__name__"]
'''


def test_project_code_that_reads_its_callers_frame_still_runs_and_a_candidate_doing_the_same_is_refused(
        tmp_path, py_sandbox):
    """boltons' setutils did not load at all in the sandbox: typeutils.make_sentinel, called at import, reads
    sys._getframe(1). The project's own modules (not the target's) may; the candidate's code may not, even when it
    compiles the same helper under the project module's file name."""
    module = "from sentinels import make_sentinel\n\n_MISSING = make_sentinel('_MISSING')\n\n\n" + ORIGINAL
    target = _project(tmp_path, module)
    (target.root / "sentinels.py").write_text(SENTINELS)
    exe = PythonExecution(py_sandbox, target, Suite())
    honest = _call(exe, target.code)
    assert honest.get("ok") and not honest["tampered"] and honest["passes"][0]["0"]["r"] == 3, honest
    forged = '''import sys

helper = {}
exec(compile(\'\'\'
import sys
def make_sentinel(name):
    return sys._getframe(1)
\'\'\', "%s", "exec"), helper)


def f(x):
    try:
        helper["make_sentinel"]("x").f_back
    except ValueError:
        pass
    return len(x)
''' % (target.root / "sentinels.py")
    report = _call(exe, forged)
    assert any("frame access (sys._getframe)" in t for t in report["tampered"]), report
