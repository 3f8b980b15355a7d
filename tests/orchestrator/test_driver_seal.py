"""The test machinery sealed against the candidate (orchestrator/verify/running/in_sandbox/driver_seal.py, applied by
the guard, driver_guard.py), in the real sandbox (Docker): unittest's, doctest's and pytest's classes are immutable and
the standard library's functions are compared with a snapshot, so a candidate that patches what judges it fails every
test, named; honest tests still run, and the original's doctests run on the driver's own runner.

Every candidate here is the one a guard exists to catch; each test fails when its guard is taken away.
"""

from __future__ import annotations

import pytest

from orchestrator.verify.running.execution import PythonExecution
from orchestrator.verify.testing.testsuite import discover
from tests.orchestrator.test_driver_guard import ORIGINAL, _project

pytestmark = [pytest.mark.docker, pytest.mark.slow]


TESTS = '''import math
import unittest

import pytest

from m import f

unittest.TestCase.maxDiff = None  # a knob tests set: not tampering


class Cases(unittest.TestCase):
    def test_equal(self):
        self.assertEqual(f([1, 2]), 2)


def test_close():
    assert math.isclose(f([1, 2, 3]), 3)


def test_approx():
    assert f([1]) == pytest.approx(1)


def test_wrong():
    assert f([1]) == 2
'''
WRONG = "def f(x):\n    return len(x) + 1\n"
PATCHES = {
    "unittest's result": ("immutable type 'TestResult'", "import unittest\n\nunittest.TestResult.addFailure = "
                          "lambda *args: None\n\n\n" + WRONG),
    "unittest's assertEqual": ("rebound unittest.case.TestCase.assertEqual",
                               "import unittest\n\nunittest.TestCase.assertEqual = lambda *args: None\n\n\n" + WRONG),
    "pytest.approx": ("immutable type 'ApproxScalar'", "from _pytest.python_api import ApproxScalar\n\n"
                      "ApproxScalar.__eq__ = lambda *args: True\n\n\n" + WRONG),  # real pytest's class
    "math.isclose": ("rebound math.isclose", "import math\n\n\n" + WRONG.replace(
        "    return", "    math.isclose = lambda *args, **kwargs: True\n    return")),
    "doctest's runner": ("immutable type 'DocTestRunner'", "import doctest\n\ndoctest.DocTestRunner.run = "
                         "lambda *args, **kwargs: doctest.TestResults(0, 1)\n\n\n" + WRONG),
}


@pytest.fixture
def tested(tmp_path, py_sandbox):
    target = _project(tmp_path, tests={"test_m.py": TESTS})
    suite = discover(target)
    return PythonExecution(py_sandbox, target, suite), suite


def test_the_test_machinery_runs_honest_tests(tested):
    exe, suite = tested
    run = exe.run_tests(ORIGINAL, suite.tests)
    assert {r["name"]: r["status"] for r in run.results} == {
        "test_m.py::Cases::test_equal": "passed", "test_m.py::test_close": "passed", "test_m.py::test_approx": "passed",
        "test_m.py::test_wrong": "failed"}  # a test file importing pytest runs under real pytest: node ids


@pytest.mark.parametrize("kind", list(PATCHES))
def test_patching_the_test_machinery_fails_every_test(tested, kind):
    """unittest's, doctest's and the pytest shim's classes are sealed (immutable; TestCase's methods are compared
    with a snapshot instead, since tests set its knobs) and the standard library's functions are compared with a
    snapshot after every test: the first attempt fails the whole run, named."""
    exe, suite = tested
    named, code = PATCHES[kind]
    run = exe.run_tests(code, suite.tests)
    assert run.results and all(r["status"] == "failed" for r in run.results), run.results
    assert all("tampered with the driver's checking code" in r["error"] and named in r["error"]
               for r in run.results), run.results[0]


DOCUMENTED = '''def f(x):
    """Length.

    >>> f([1, 2])
    2
    >>> f(None)
    Traceback (most recent call last):
    TypeError: object of type 'NoneType' has no len()
    >>> print("a  b")   # doctest: +NORMALIZE_WHITESPACE
    a b
    >>> list(range(20))
    [0, 1, ..., 19]
    """
    return len(x)
'''


def test_the_originals_doctests_run_without_doctests_runner(tmp_path, py_sandbox):
    """The examples run on the driver's own runner (doctest's parser before the candidate exists; expected
    exceptions, ELLIPSIS and NORMALIZE_WHITESPACE as doctest has them), so a patched DocTestRunner changes nothing."""
    target = _project(tmp_path, DOCUMENTED)
    suite = discover(target)
    exe = PythonExecution(py_sandbox, target, suite)
    assert [r["status"] for r in exe.run_tests(target.code, suite.tests).results] == ["passed"]
    wrong = exe.run_tests(DOCUMENTED.replace("return len(x)", "return len(x or ()) + 1"), suite.tests).results
    assert [r["status"] for r in wrong] == ["failed"] and "Expected:\n    2\nGot:\n    3" in wrong[0]["error"], wrong
