"""Test runs in the in-sandbox Python driver, in the real sandbox (Docker): nothing that did not run counts as
passed (a SkipTest from the code under test, a test that needs a fixture), and the doctests are the original's,
whatever the candidate's docstring says. The guard against candidates that patch the test machinery itself is in
tests/orchestrator/test_driver_guard.py.
"""

from __future__ import annotations

import pytest

from orchestrator.verify.running.execution import PythonExecution
from orchestrator.verify.testing.testsuite import discover
from tests.orchestrator.test_driver_isolation import _project

pytestmark = [pytest.mark.docker, pytest.mark.slow]

SKIPPING = '''import unittest


def f(x):
    if x < 0:
        raise unittest.SkipTest("not for negative numbers")
    return (x * 2, False)
'''
TESTS = '''from m import f


def test_positive():
    assert f(2) == (4, False)


def test_negative():
    assert f(-1) == (-2, False)


def test_with_fixture(tmp_path):
    assert f(0) == (0, False)
'''


def test_a_skip_from_the_code_under_test_is_not_a_pass(tmp_path, py_sandbox):
    target = _project(tmp_path, tests={"test_m.py": TESTS})
    suite = discover(target)
    exe = PythonExecution(py_sandbox, target, suite)
    baseline = exe.run_tests(target.code, suite.tests)
    assert {r["name"]: r["status"] for r in baseline.results} == {
        "test_positive": "passed", "test_negative": "passed", "test_with_fixture": "not run"}
    assert baseline.counts() == (2, 2) and baseline.not_run == ["test_with_fixture"]
    run = exe.run_tests(SKIPPING, suite.tests)
    negative = next(r for r in run.results if r["name"] == "test_negative")
    assert negative["status"] == "not run" and not negative["passed"], negative
    assert run.counts() == (1, 1) and sorted(run.not_run) == ["test_negative", "test_with_fixture"]
    assert run.broken_against(baseline.passed_names()) == ["test_negative"]


DOCUMENTED = '''def f(x):
    """Twice x.

    >>> f(2)
    (4, False)
    """
    return (x * 2, False)
'''


def test_the_doctests_are_the_originals(tmp_path, py_sandbox):
    """A candidate that rewrites its docstring to match its bug, or deletes it, is still run against the
    original's examples."""
    target = _project(tmp_path, DOCUMENTED)
    suite = discover(target)
    exe = PythonExecution(py_sandbox, target, suite)
    assert [r["status"] for r in exe.run_tests(target.code, suite.tests).results] == ["passed"]
    edited = '''def f(x):
    """Twice x.

    >>> f(2)
    (5, False)
    """
    return (x * 2 + 1, False)
'''
    run = exe.run_tests(edited, suite.tests)
    assert [r["status"] for r in run.results] == ["failed"], run.results
    assert "(4, False)" in run.results[0]["error"]
    undocumented = "def f(x):\n    return (x + x, False)\n"
    assert [r["status"] for r in exe.run_tests(undocumented, suite.tests).results] == ["passed"]
    wrong_undocumented = "def f(x):\n    return (x + 1, False)\n"
    assert [r["status"] for r in exe.run_tests(wrong_undocumented, suite.tests).results] == ["failed"]


def test_a_data_file_next_to_a_test_module_travels_with_it(tmp_path, py_sandbox):
    """A test that reads its cases from a file in its own folder runs for real in the sandbox (the project copy
    holds small data files next to test modules, not only next to the target)."""
    import json

    from orchestrator.target import locate

    root = tmp_path / "p"
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text("")
    (root / "m.py").write_text("def f(x):\n    return (x * 2, False)\n")
    (root / "tests" / "cases.json").write_text(json.dumps([[1, 2], [3, 6]]))
    (root / "tests" / "test_m.py").write_text(
        "import json\nfrom pathlib import Path\n\nfrom m import f\n\n\n"
        "def test_cases_from_the_data_file():\n"
        "    for x, want in json.loads((Path(__file__).parent / 'cases.json').read_text()):\n"
        "        assert f(x) == (want, False)\n")
    target = locate(f"{root}/m.py::f")
    suite = discover(target)
    exe = PythonExecution(py_sandbox, target, suite)
    baseline = exe.run_tests(target.code, suite.tests)
    assert {r["name"]: r["status"] for r in baseline.results} == {"test_cases_from_the_data_file": "passed"}, \
        baseline.results
    broken = exe.run_tests("def f(x):\n    return (x * 3, False)\n", suite.tests)
    assert broken.counts()[0] == 0  # it really compared against the file's cases
