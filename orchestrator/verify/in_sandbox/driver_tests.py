"""Running one test source's tests in a process forked by the in-sandbox driver (orchestrator/verify/in_sandbox/driver.py):
a test file's test functions and unittest cases, the ORIGINAL function's doctests (their text comes from the
host, never from the candidate module's docstring), or a test program. Standard library only; shipped as
rc_driver_tests.py.

Every test ends "passed", "failed" or "not run" (a SkipTest from the test or from the code under test, a test
that needs pytest fixtures, a skip mark): nothing that did not run counts as passed. Progress goes to the
driver as JSON lines ({"start": name} before a test, {"result": {...}} after it, {"end": true} at the end),
so that a test that kills its process is known and the driver can go on with the next one.
"""

import contextlib
import doctest
import importlib.util
import io
import os
import sys
import time
import unittest

from rc_driver_child import Timeout, limited, load, load_error, user_traceback, write


class NotRun(Exception):
    """A test that did not run to its end: never a pass."""


def result(suite, name, status, error="", output="", seconds=None):
    rec = {"suite": suite, "name": name, "status": status, "passed": status == "passed", "error": error,
           "output": output[-2000:], "seconds": seconds}
    if status == "not run":
        rec["skipped"] = error or "not run"  # older readers know "skipped"; it never means passed
    return rec


def run_one(suite, name, fn, timeout):
    buf = io.StringIO()
    started = time.perf_counter()
    status, error = "passed", ""
    try:
        with contextlib.redirect_stdout(buf):
            limited(timeout, fn)
    except Timeout:
        status, error = "failed", "timed out after %.0fs" % timeout
    except (unittest.SkipTest, NotRun) as exc:
        status, error = "not run", "did not run: %s" % (exc or type(exc).__name__)
    except BaseException as exc:  # noqa: B036 - a test's failure of any kind
        status, error = "failed", user_traceback(exc)
    return result(suite, name, status, error, buf.getvalue(), round(time.perf_counter() - started, 4))


def expand(fn):
    """pytest.mark.parametrize (from the shim) -> one call per parameter set."""
    cases = [((), {})]
    for names, values in reversed(getattr(fn, "_rc_parametrize", [])):
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        new = []
        for args, kw in cases:
            for i, v in enumerate(values):
                vals = v if len(names) > 1 else (v,)
                new.append((args + (i,), dict(kw, **dict(zip(names, vals)))))
        cases = new
    return cases


def run_case(test):
    """One unittest test (class and module fixtures included): SkipTest -> not run, expected failure -> passed."""
    outcome = unittest.TestResult()
    unittest.TestSuite([test]).run(outcome)
    problems = outcome.failures + outcome.errors
    if problems:
        raise AssertionError(problems[0][1][-2500:])
    if outcome.unexpectedSuccesses:
        raise AssertionError("unexpected success of a test marked expectedFailure")
    if outcome.skipped:
        raise NotRun(outcome.skipped[0][1])


def file_tests(fd, spec, timeout, skip):
    path = spec["path"]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    name = "rc_test_" + os.path.basename(path)[:-3]
    try:
        loader_spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(loader_spec)
        sys.modules[name] = mod
        with contextlib.redirect_stdout(io.StringIO()):
            limited(timeout, loader_spec.loader.exec_module, mod)
    except BaseException as exc:  # noqa: B036
        rec = result(spec["suite"], path, "failed", "importing the test file failed:\n" + user_traceback(exc))
        rec["import_error"] = isinstance(exc, ImportError)
        write(fd, {"result": rec})
        return
    only = set(spec.get("only") or [])
    for attr, obj in list(vars(mod).items()):
        if attr.startswith("test") and callable(obj) and not isinstance(obj, type):
            if only and attr not in only:
                continue
            for ids, kwargs in expand(obj):
                label = attr + ("[" + "-".join(map(str, ids)) + "]" if ids else "")
                if label in skip:
                    continue
                write(fd, {"start": label})
                code = getattr(obj, "__code__", None)
                params = code.co_varnames[:code.co_argcount] if code is not None else ()
                missing = [p for p in params if p not in kwargs]
                if missing or getattr(obj, "_rc_skip", None) is not None:
                    why = ("needs pytest fixtures (%s), which this runner does not provide" % ", ".join(missing)
                           if missing else "marked skip: %s" % obj._rc_skip)
                    write(fd, {"result": result(spec["suite"], label, "not run", why)})
                    continue
                write(fd, {"result": run_one(spec["suite"], label, lambda o=obj, k=kwargs: o(**k), timeout)})
        elif isinstance(obj, type) and issubclass(obj, unittest.TestCase) and obj.__module__ == name:
            for test in unittest.defaultTestLoader.loadTestsFromTestCase(obj):
                label = attr + "." + test._testMethodName
                if (only and attr not in only and test._testMethodName not in only) or label in skip:
                    continue
                write(fd, {"start": label})
                write(fd, {"result": run_one(spec["suite"], label, lambda t=test: run_case(t), timeout)})


def doctests(fd, module, qualname, spec, timeout, skip):
    """The original's doctest examples (spec["docstring"], sent by the host) run against this module."""
    label = "doctest " + qualname
    if label in skip:
        return
    write(fd, {"start": label})
    text = spec.get("docstring")
    if text is None:
        write(fd, {"result": result(spec["suite"], label, "not run", "the original's docstring was not sent")})
        return
    test = doctest.DocTestParser().get_doctest(text, dict(vars(module)), qualname, getattr(module, "__file__", None), 0)
    if not test.examples:
        write(fd, {"result": result(spec["suite"], label, "not run", "the original's docstring has no examples")})
        return
    out = io.StringIO()

    def run():
        runner = doctest.DocTestRunner(verbose=False, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        runner.run(test, out=out.write)
        if runner.failures:
            raise AssertionError(out.getvalue()[-3000:])

    write(fd, {"result": run_one(spec["suite"], label, run, timeout)})


def program_test(fd, module, spec, timeout, skip):
    if spec["name"] in skip:
        return
    write(fd, {"start": spec["name"]})
    namespace = dict(vars(module))
    namespace["__name__"] = "__rc_test__"
    code = compile(spec["source"], spec["name"], "exec")
    write(fd, {"result": run_one(spec["suite"], spec["name"], lambda: exec(code, namespace), timeout)})


def run_tests(fd, module_name, qualname, spec, timeout, skip):
    """One test source's tests (those named in `skip` already ran in an earlier process)."""
    if spec["kind"] == "file":
        file_tests(fd, spec, timeout, skip)
    else:
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                module, _ = load(module_name, None)
        except BaseException as exc:  # noqa: B036
            write(fd, load_error(exc))
            return
        if spec["kind"] == "doctest":
            doctests(fd, module, qualname, spec, timeout, skip)
        else:
            program_test(fd, module, spec, timeout, skip)
    write(fd, {"end": True})
