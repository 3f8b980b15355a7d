"""Real pytest in the sandbox (orchestrator/verify/running/in_sandbox/driver_pytest.py), in the real sandbox (Docker): a
project that uses pytest gets its conftest.py, fixtures, parametrize and marks; results per test, "not run" with
the reason for what cannot run; the tests are the ones that name the function and the ones whose run of the
ORIGINAL calls it; and a candidate that patches pytest's reporting is never counted as passing.

Each cheating candidate here is the one a guard exists to catch: with the integrity check of driver_pytest.py
taken away (integrity() returning None), the registered plugin and the replaced fixture pass every test they touch,
and with pytest's modules left out of the guard's snapshot, the rebound call_and_report does.
"""

from __future__ import annotations

import sys
import textwrap

import pytest

from orchestrator.target import locate
from orchestrator.verify.running.execution import PythonExecution
from orchestrator.verify.testing.testsuite import discover, select_by_coverage

pytestmark = [pytest.mark.docker, pytest.mark.slow]

MODULE = '''def f(x):
    """Twice x.

    >>> f(2)
    4
    """
    return x * 2


def g(x):
    return f(x) + 1


def h(x):
    return x - 1
'''
CONFTEST = '''import pytest


@pytest.fixture
def base():
    return 10
'''
TEST_M = '''import pytest

from m import f


def test_fixtures(base, tmp_path, monkeypatch):
    monkeypatch.setenv("RC_X", "1")
    (tmp_path / "a.txt").write_text("x")
    assert f(base) == 20


@pytest.mark.parametrize("x,y", [(1, 2), (3, 6)])
def test_param(x, y):
    assert f(x) == y


@pytest.mark.skip(reason="later")
def test_skipped():
    assert f(1) == 2


@pytest.mark.xfail(reason="known")
def test_xfail():
    assert f(1) == 3


def test_missing_fixture(nosuchfixture):
    assert f(1) == 2


class TestF:
    def test_in_class(self):
        assert f(2) == 4
'''
TEST_OTHER = '''from m import g, h


def test_g():
    assert g(1) == 3


def test_h():
    assert h(1) == 0
'''
WRONG = "def f(x):\n    return x * 3\n"


def _write(root, files: dict[str, str]):
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def _project(root, conftest=CONFTEST):
    _write(root, {"pyproject.toml": "[tool.pytest.ini_options]\nmarkers = ['slow']\n", "m.py": MODULE,
                  "tests/conftest.py": conftest, "tests/test_m.py": TEST_M, "tests/test_other.py": TEST_OTHER})
    return locate(f"{root}/m.py::f")


@pytest.fixture(scope="module")
def project(tmp_path_factory, py_sandbox):
    """The project, its suite with the selection fixed from the original, and the original's run."""
    target = _project(tmp_path_factory.mktemp("pytest_project"))
    suite = discover(target)
    exe = PythonExecution(py_sandbox, target, suite)
    select_by_coverage(suite, exe.jobs)
    return exe, suite, exe.run_tests(target.code, suite.tests)


def _statuses(run):
    return {r["name"]: r["status"] for r in run.results}


def test_the_projects_pytest_runs_its_tests(project):
    """conftest fixtures, tmp_path, monkeypatch, parametrize, a class, skip and xfail marks: pytest's own; what
    cannot run is "not run" with the reason, never passed."""
    _exe, suite, baseline = project
    assert {t.runner for t in suite.tests if t.kind == "file"} == {"pytest"}
    assert _statuses(baseline) == {
        "tests/test_m.py::test_fixtures": "passed", "tests/test_m.py::test_param[1-2]": "passed",
        "tests/test_m.py::test_param[3-6]": "passed", "tests/test_m.py::test_skipped": "not run",
        "tests/test_m.py::test_xfail": "not run", "tests/test_m.py::test_missing_fixture": "not run",
        "tests/test_m.py::TestF::test_in_class": "passed", "tests/test_other.py::test_g": "passed",
        "doctest f": "passed"}, baseline.results
    why = {r["name"]: r.get("skipped", "") for r in baseline.results}
    assert "later" in why["tests/test_m.py::test_skipped"]
    assert "xfail" in why["tests/test_m.py::test_xfail"]
    assert "'nosuchfixture'" in why["tests/test_m.py::test_missing_fixture"]


def test_the_tests_that_reach_the_function_are_selected_from_the_original(project):
    """test_g never names f but runs it (through g): selected by the original's traced run; test_h is not."""
    _exe, suite, _baseline = project
    other = next(t for t in suite.tests if t.path == "project/tests/test_other.py")
    assert other.selected == ["tests/test_other.py::test_g"]
    assert any("through other functions" in note and "test_g" in note for note in suite.notes), suite.notes


def test_a_failure_carries_the_compared_values(project):
    """The failure's detail is pytest's rewritten assertion: the values compared, and where they came from."""
    exe, suite, baseline = project
    run = exe.run_tests(WRONG, suite.tests)
    failed = {r["name"]: r for r in run.failures}
    assert failed["tests/test_m.py::test_param[1-2]"]["detail"] == "AssertionError: assert 3 == 2\n +  where 3 = f(1)"
    assert "assert 6 == 4" in failed["tests/test_m.py::TestF::test_in_class"]["detail"]
    assert "tests/test_other.py::test_g" in failed  # the indirect caller catches it too
    assert "test_m.py" in failed["tests/test_m.py::test_fixtures"]["error"]  # the traceback, pytest's frames left out
    assert "_pytest" not in failed["tests/test_m.py::test_fixtures"]["error"]


def test_a_conftest_importing_something_missing_is_named_and_the_rest_goes_on(tmp_path, py_sandbox):
    target = _project(tmp_path, conftest="import no_such_package_rc\n" + CONFTEST)
    suite = discover(target)
    exe = PythonExecution(py_sandbox, target, suite)
    run = exe.run_tests(target.code, suite.tests)
    assert run.error is None
    statuses = _statuses(run)
    assert statuses["doctest f"] == "passed"  # the job's other parts go on
    file_results = [r for r in run.results if r["name"] != "doctest f"]
    assert file_results and all(r["status"] == "not run" for r in file_results), file_results
    assert "no_such_package_rc" in file_results[0]["error"] and "conftest.py" in file_results[0]["error"]


# Each still gives the wrong answer; each tries to make pytest say it passes.
_WRONG_BODY = "\n\ndef f(x):\n    return x * 3\n"
CHEATS = {
    "rebinds call_and_report": ("rebound _pytest.runner.call_and_report", '''import _pytest.runner as runner

_real = runner.call_and_report


def _passing(item, when, log=True, **kwargs):
    report = _real(item, when, log, **kwargs)
    report.outcome = "passed"
    return report


runner.call_and_report = _passing
''' + _WRONG_BODY),
    "patches TestReport.outcome": ("immutable type 'TestReport'", '''from _pytest.reports import TestReport

TestReport.outcome = property(lambda self: "passed", lambda self, value: None)
''' + _WRONG_BODY),
    "registers a plugin": ("implementation of pytest's hook pytest_runtest_makereport", '''import pytest


class Passing:
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        outcome.get_result().outcome = "passed"


config = pytest.mark._config  # the config pytest's mark plugin keeps (None outside a pytest run)
if config is not None:
    config.pluginmanager.register(Passing())
''' + _WRONG_BODY),
    "replaces a fixture": ("replaced the fixture base", '''import pytest

config = pytest.mark._config
if config is not None:
    session = config.pluginmanager.get_plugin("session")
    for definition in session._fixturemanager._arg2fixturedefs["base"]:
        definition.func = lambda: 20 / 3
''' + _WRONG_BODY),
}


@pytest.mark.parametrize("kind", list(CHEATS))
def test_a_candidate_patching_pytests_reporting_fails_every_test(project, kind):
    named, code = CHEATS[kind]
    exe, suite, baseline = project
    run = exe.run_tests(code, suite.tests)
    assert run.error is None and run.results
    assert not run.passed_names() & baseline.passed_names(), run.results
    assert all(r["status"] == "failed" for r in run.results), run.results
    assert all("tampered with the driver's checking code" in r["error"] and named in r["error"]
               for r in run.results), run.results[0]


def test_a_skip_from_the_code_under_test_is_not_a_pass(project):
    exe, suite, baseline = project
    run = exe.run_tests("import pytest\n\n\ndef f(x):\n    if x != 10:\n        pytest.skip('not today')\n"
                        "    return x * 2\n", suite.tests)
    broken = run.broken_against(baseline.passed_names())
    assert "tests/test_m.py::test_param[1-2]" in broken and "tests/test_other.py::test_g" in broken
    assert "tests/test_m.py::test_fixtures" not in broken  # f(10) still runs and passes


def test_the_workspaces_own_pytest_runs_when_its_environment_has_one(tmp_path, py_sandbox, monkeypatch):
    """The workspace's environment (here the one running this suite) brings its pytest as a read-only layer: that
    one runs the tests, not the image's."""
    monkeypatch.setenv("REFACTORCODER_WORKSPACE_VENV", sys.prefix)
    _write(tmp_path, {"m.py": MODULE, "tests/test_version.py": f'''import pytest

from m import f


def test_version():
    assert f(1) == 2
    assert pytest.__version__ == {pytest.__version__!r}
'''})
    target = locate(f"{tmp_path}/m.py::f")
    suite = discover(target)
    run = PythonExecution(py_sandbox, target, suite).run_tests(target.code, suite.tests)
    assert _statuses(run)["tests/test_version.py::test_version"] == "passed", run.results


def test_a_project_without_pytest_keeps_the_drivers_runner_and_its_failures_carry_detail(tmp_path, py_sandbox):
    _write(tmp_path, {"m.py": MODULE, "test_plain.py": '''import unittest

from m import f


def test_plain():
    assert f(1) == 3, "f(1) is not 3"


class Cases(unittest.TestCase):
    def test_case(self):
        self.assertEqual(f(1), 3)
'''})
    target = locate(f"{tmp_path}/m.py::f")
    suite = discover(target)
    assert [t.runner for t in suite.tests if t.kind == "file"] == ["builtin"]
    run = PythonExecution(py_sandbox, target, suite).run_tests(target.code, suite.tests)
    details = {r["name"]: r["detail"] for r in run.failures}
    assert details == {"test_plain": "AssertionError: f(1) is not 3", "Cases.test_case": "AssertionError: 2 != 3"}


def test_a_unittest_project_gets_the_tests_that_reach_the_function_too(tmp_path, py_sandbox):
    """No pytest in the project: the tests naming the function keep the driver's runner; the unittest cases that
    reach it through g are found by the original's traced run (under the image's pytest) and run by node id."""
    _write(tmp_path, {"m.py": MODULE, "test_named.py": "from m import f\n\n\ndef test_f():\n    assert f(1) == 2\n",
                      "test_through_g.py": '''import unittest

from m import g, h


class GTests(unittest.TestCase):
    def test_g(self):
        self.assertEqual(g(1), 3)

    def test_h(self):
        self.assertEqual(h(1), 0)
'''})
    target = locate(f"{tmp_path}/m.py::f")
    suite = discover(target)
    exe = PythonExecution(py_sandbox, target, suite)
    select_by_coverage(suite, exe.jobs)
    assert [(t.path, t.runner, t.selected) for t in suite.tests if t.kind == "file"] == [
        ("project/test_named.py", "builtin", None),
        ("project/test_through_g.py", "pytest", ["test_through_g.py::GTests::test_g"])]
    assert _statuses(exe.run_tests(WRONG, suite.tests)) == {
        "test_f": "failed", "doctest f": "failed", "test_through_g.py::GTests::test_g": "failed"}


def test_a_test_that_hangs_or_exits_is_left_out_of_the_traced_run_and_the_rest_goes_on(tmp_path, py_sandbox,
                                                                                       monkeypatch):
    import orchestrator.verify.testing.testsuite as testsuite

    monkeypatch.setattr(testsuite, "SELECT_TEST_LIMIT_S", 4.0)
    _write(tmp_path, {"pytest.ini": "[pytest]\n", "m.py": MODULE, "test_named.py": "from m import f\n\n\n"
                      "def test_f():\n    assert f(1) == 2\n", "test_through_g.py": '''import os

from m import g


def test_exits():
    g(1)
    os._exit(3)


def test_hangs():
    g(1)
    while True:
        pass


def test_after():
    assert g(2) == 5
'''})
    target = locate(f"{tmp_path}/m.py::f")
    suite = discover(target)
    select_by_coverage(suite, PythonExecution(py_sandbox, target, suite).jobs)
    reaching = next(t for t in suite.tests if t.path == "project/test_through_g.py")
    assert reaching.selected == ["test_through_g.py::test_after"]
    assert any("test_through_g.py::test_hangs: timed out" in note for note in suite.notes), suite.notes


def test_the_projects_import_mode_is_kept_from_its_addopts(tmp_path, py_sandbox):
    """Two test modules of one name in two folders import under --import-mode=importlib (the project's addopts; the
    rest of addopts is dropped, here a plugin the sandbox has not got)."""
    test = "from m import g\n\n\ndef test_g():\n    assert g(1) == 3\n"  # found by the traced run, both in one process
    _write(tmp_path, {"pyproject.toml": '[tool.pytest.ini_options]\naddopts = "--import-mode=importlib -p rc_nope"\n',
                      "m.py": MODULE, "tests/a/test_same.py": test, "tests/b/test_same.py": test})
    target = locate(f"{tmp_path}/m.py::f")
    suite = discover(target)
    exe = PythonExecution(py_sandbox, target, suite)
    select_by_coverage(suite, exe.jobs)
    assert _statuses(exe.run_tests(target.code, suite.tests)) == {
        "tests/a/test_same.py::test_g": "passed", "tests/b/test_same.py::test_g": "passed", "doctest f": "passed"}


def test_nested_conftests_fixtures_are_the_projects_own(tmp_path, py_sandbox):
    """Two conftest.py files (no packages): pytest imports both as `conftest`, the second taking the first's place
    in sys.modules; the first one's fixture is still the project's own code, not a replaced fixture."""
    _write(tmp_path, {"pytest.ini": "[pytest]\n", "m.py": MODULE, "tests/conftest.py": CONFTEST,
                      "tests/sub/conftest.py": "import pytest\n\n\n@pytest.fixture\ndef other():\n    return 1\n",
                      "tests/sub/test_nested.py": "from m import f\n\n\ndef test_both(base, other):\n"
                                                  "    assert f(base + other) == 22\n"})
    target = locate(f"{tmp_path}/m.py::f")
    suite = discover(target)
    run = PythonExecution(py_sandbox, target, suite).run_tests(target.code, suite.tests)
    assert _statuses(run)["tests/sub/test_nested.py::test_both"] == "passed", run.results
