"""What a real pytest run in the sandbox reports per test (standard library only; shipped as
rc_driver_pytest_results.py, loaded by the in-sandbox driver with a private copy of builtins before any candidate
exists, and used by the pytest runner, driver_pytest.py).

One record per test from its setup, call and teardown reports (the reporting plugin's, made without frames):
"passed"; "failed" with the traceback read here (pytest's, pluggy's and the driver's frames left out) and `detail`,
the failure's own message (for a rewritten assert, the compared values); "not run" with the reason (a skip, an
expected failure, a fixture that is not defined, a test module or conftest.py that does not import).
"""

import os

from rc_driver_child import _source_line, describe
from rc_driver_tests import result

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "project")
MACHINERY = (os.sep + "_pytest" + os.sep, os.sep + "pluggy" + os.sep, os.sep + "pytest" + os.sep)


def traceback_text(exc):
    """The traceback without pytest's, pluggy's and the driver's frames (read here: the guard lets this code read
    frames, and refuses pytest's report code)."""
    lines, tb = [], getattr(exc, "__traceback__", None)
    while tb is not None:
        code = tb.tb_frame.f_code
        path = code.co_filename
        own = os.path.basename(path).startswith(("rc_driver_", "main.py"))
        if not own and not any(part in path for part in MACHINERY):
            lines.append('  File "%s", line %s, in %s\n' % (path, tb.tb_lineno, code.co_name))
            source = _source_line(path, tb.tb_lineno)
            if source:
                lines.append("    " + source + "\n")
        tb = tb.tb_next
    text = ("Traceback (most recent call last):\n" + "".join(lines) if lines else "") + describe(exc) + "\n"
    return text[-3000:]


def root_cause(exc):
    """The exception that started it: the guard's refusal of pytest's frame walk hides the original error (an
    ImportError while importing a test module) behind a RuntimeError whose __context__ it is."""
    seen = 0
    while isinstance(exc, RuntimeError) and str(exc).startswith("denied in the sandbox") and seen < 5:
        exc, seen = exc.__context__, seen + 1
    cause = getattr(exc, "cause", None) or (getattr(exc, "excinfo", None) or (None, None))[1]  # ConftestImportFailure
    return cause if isinstance(cause, BaseException) else exc


def outcome(suite, item, reports):
    """One result from a test's setup, call and teardown reports."""
    seconds = round(sum(getattr(r, "duration", 0.0) or 0.0 for r in reports), 4)
    output = "".join((getattr(r, "capstdout", "") or "") + (getattr(r, "capstderr", "") or "") for r in reports)
    failed = [r for r in reports if r.outcome == "failed"]
    skipped = [r for r in reports if r.outcome == "skipped"]
    detail = ""
    if failed:
        report = failed[0]
        exc = getattr(report, "rc_exception", None)
        if report.when == "setup" and getattr(report, "rc_missing_fixture", False):
            status, error = "not run", "needs the fixture %r, which is not defined (pytest's or the project's)" % (
                getattr(exc, "argname", None) or "?")
        else:
            status = "failed"
            where = "" if report.when == "call" else "error in the test's %s: " % report.when
            error = where + (traceback_text(exc) if isinstance(exc, BaseException) else str(report.longrepr))
            detail = describe(exc) if isinstance(exc, BaseException) else str(report.longrepr)[-1500:]
    elif skipped:
        report = skipped[0]
        status = "not run"
        if getattr(report, "wasxfail", None) is not None:
            error = "expected to fail (xfail%s), not a pass" % (": " + report.wasxfail if report.wasxfail else "")
        else:
            longrepr = report.longrepr
            reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else longrepr
            error = "did not run: %s" % reason
    else:
        status, error = "passed", ""
    record = result(suite, item.nodeid, status, error, output, seconds)
    record["detail"] = detail
    return record


def collection_failure(suite, report):
    raw = getattr(report, "rc_exception", None)
    what = report.nodeid or "the tests"
    if type(raw).__name__ == "ConftestImportFailure":
        return conftest_failure(suite, what, raw)
    exc = root_cause(raw)
    if isinstance(exc, BaseException):
        why = "%s: %s" % ("importing %s failed" % what, traceback_text(exc))
    else:
        why = "collecting %s failed: %s" % (what, report.longrepr)
    record = result(suite, what, "not run", why)
    record["import_error"] = isinstance(exc, ImportError)  # a missing package: the host names it and stops
    return record


def conftest_failure(suite, name, exc):
    """A conftest.py that does not import: its tests are not run, the message names the missing module."""
    cause = root_cause(exc)
    path = getattr(exc, "path", None)
    where = os.path.relpath(str(path), ROOT) if path else "a conftest.py"
    missing = getattr(cause, "name", None) if isinstance(cause, ImportError) else None
    head = ("%s imports %r, which the sandbox does not have (not in the workspace's environment)" % (where, missing)
            if missing else "%s failed to import" % where)
    return result(suite, name, "not run", head + ":\n" + traceback_text(cause))
