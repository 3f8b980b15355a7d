"""The reporting plugin registered with real pytest in the sandbox (shipped as rc_pytest_plugin.py; imported by the
in-sandbox pytest runner, driver_pytest.py, in the driver before any candidate code exists, then sealed with pytest).

A candidate can reach this module (every registered plugin is reachable through pytest's objects), so it holds
nothing but pytest's own classes: no result channel, no token, nothing of the driver's. Its one job is to make
reports WITHOUT reading frames: pytest's own report code walks traceback frames (TracebackEntry.frame), which the
guard refuses in a call's process. The trusted runner formats the traceback itself from the exception the report
carries (`rc_exception`), and reads the outcome from the reports pytest's runner returns to it.
"""

import copy
import os

from _pytest.fixtures import FixtureLookupError
from _pytest.outcomes import skip
from _pytest.reports import CollectReport, TestReport
from _pytest.runner import CallInfo

COLLECT_FAILURES = []  # the failed collectors' reports of this run (read by the runner after collection)


def _short(exc):
    try:
        text = str(exc)
    except BaseException:  # noqa: B036 - a candidate's __str__
        text = "<unprintable %s>" % type(exc).__name__
    return "%s: %s" % (type(exc).__name__, text) if text else type(exc).__name__


def pytest_runtest_makereport(item, call):
    """The phase's report, frame-free: "skipped" for pytest.skip (and unittest.SkipTest, which pytest's unittest
    plugin turns into one before this runs), "failed" with a one-line text for anything else raised; the exception
    itself rides along as rc_exception for the runner (and a missing fixture is marked rc_missing_fixture)."""
    excinfo = call.excinfo
    value = excinfo.value if excinfo is not None else None
    clean = copy.copy(call)
    clean.excinfo = None
    if value is not None and not isinstance(value, skip.Exception):
        clean.excinfo = _short(value)  # a non-ExceptionInfo is taken as the failure's text by pytest
    report = TestReport.from_item_and_call(item, clean)
    report.rc_exception = value
    report.rc_missing_fixture = isinstance(value, FixtureLookupError)
    if isinstance(value, skip.Exception):
        path, line = item.location[0], item.location[1]
        report.outcome = "skipped"
        report.longrepr = (os.fspath(path), (line or 0) + 1, "Skipped: %s" % (getattr(value, "msg", "") or ""))
    return report


def pytest_make_collect_report(collector):
    """A collector's report, frame-free; a failure keeps its exception as rc_exception."""
    call = CallInfo.from_call(lambda: list(collector.collect()), "collect")
    value = call.excinfo.value if call.excinfo is not None else None
    if value is None:
        report = CollectReport(collector.nodeid, "passed", None, call.result)
    elif isinstance(value, skip.Exception):
        report = CollectReport(collector.nodeid, "skipped", (str(collector.path), 0, "Skipped: %s" % value.msg), None)
    else:
        report = CollectReport(collector.nodeid, "failed", _short(value), None)
    report.rc_exception = value
    report.call = call
    if report.failed:
        COLLECT_FAILURES.append(report)
    return report


class _Quiet:
    """What pytest's assertion explanations ask of a config: verbosity 0 (no real config is handed to them)."""

    def getoption(self, name, default=None):
        return 0 if name == "verbose" else default

    def get_verbosity(self, *args):
        return 0

    def getini(self, name):
        return None


_QUIET = _Quiet()


def reprcompare(op, left, right):
    """pytest's explanation of a failed comparison (`At index 2 diff: 3 != 4`, full diffs), as its assertion plugin
    gives it but without handing the rewritten test the item and its config (util._reprcompare is module state a
    candidate can read)."""
    from _pytest.assertion.util import assertrepr_compare

    try:
        lines = assertrepr_compare(_QUIET, op, left, right)
    except Exception:  # noqa: BLE001 - an explanation is a nicety; a candidate's __repr__ may raise
        return None
    if not lines:
        return None
    lines = [line.replace("\n", "\\n") for line in lines[:40]]
    return "\n~".join(lines).replace("%", "%%")


def pytest_addoption(parser):
    """The debugger's options (its plugin is off in the sandbox: it patches pdb and its own class, which are sealed);
    other plugins read them (the unittest plugin asks for --trace and --pdb)."""
    group = parser.getgroup("rc-debugging", "the sandbox has no debugger")
    group.addoption("--pdb", dest="usepdb", action="store_true", default=False)
    group.addoption("--pdbcls", dest="usepdb_cls", default=None)
    group.addoption("--trace", dest="trace", action="store_true", default=False)
