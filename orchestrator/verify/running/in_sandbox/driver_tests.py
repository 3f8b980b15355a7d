"""Running one test source's tests in a process forked by the in-sandbox driver (orchestrator/verify/running/in_sandbox/driver.py):
a test file's test functions and unittest cases, the ORIGINAL function's doctests (their text comes from the
host, never from the candidate module's docstring), or a test program. Standard library only; shipped as
rc_driver_tests.py and loaded by the driver, with a private copy of builtins, before any candidate exists.

Every test ends "passed", "failed" or "not run" (a SkipTest from the test or from the code under test, a test
that needs pytest fixtures, a skip mark): nothing that did not run counts as passed. Progress goes to the
driver as lines ({"start": name} before a test, {"result": {...}} after it, {"end": true} at the end), so that
a test that kills its process is known and the driver goes on with the next one in a new process; a test that
hangs is killed by the driver at its time limit.

The candidate runs in this process, beside this code (see driver_guard.py for how it is kept away): doctest
examples run here, not through doctest.DocTestRunner (its run() patches linecache and pdb with its own bound
methods, which a candidate could reach); unittest's and the pytest shim's classes are sealed; after every test the
guard is asked what the candidate tried, and the first attempt ends the run as tampered.
"""

import doctest
import importlib.util
import os
import re
import sys
import time
import unittest

from rc_driver_child import Captured, describe, load, load_error, tampering, user_traceback

_perf_counter = time.perf_counter
_spec_from_file_location = importlib.util.spec_from_file_location
_module_from_spec = importlib.util.module_from_spec
SkipTest = unittest.SkipTest
TestResult = unittest.TestResult
TestSuite = unittest.TestSuite
load_case_tests = unittest.defaultTestLoader.loadTestsFromTestCase
TestCase = unittest.TestCase
BLANKLINE = re.compile(r"(?m)^<BLANKLINE>[^\S\n]*$")
BLANK_GOT = re.compile(r"(?m)^[^\S\n]+$")


class NotRun(Exception):
    """A test that did not run to its end: never a pass."""


class Tampered(Exception):
    """The guard saw the candidate reach for the checking code: the run ends, every test failed."""


def result(suite, name, status, error="", output="", seconds=None, detail=""):
    """One test's record. `detail`: a failure's own message (for an assert, what was compared), the traceback's
    last line; the fix prompt shows it (empty when the test did not fail)."""
    rec = {"suite": suite, "name": name, "status": status, "passed": status == "passed", "error": error,
           "output": output[-2000:], "seconds": seconds, "detail": detail[-1500:]}
    if status == "not run":
        rec["skipped"] = error or "not run"  # older readers know "skipped"; it never means passed
    return rec


def run_one(suite, name, fn):
    captured = Captured()
    started = _perf_counter()
    status, error, detail = "passed", "", ""
    try:
        with captured:
            fn()
    except (SkipTest, NotRun) as exc:
        status, error = "not run", "did not run: %s" % (str(exc) or type(exc).__name__)
    except BaseException as exc:  # noqa: B036 - a test's failure of any kind
        why = tampering(exc)
        if why:
            raise Tampered(why) from None
        status, error, detail = "failed", user_traceback(exc), failure_detail(exc)
    why = tampering()
    if why:
        raise Tampered(why)
    return result(suite, name, status, error, captured.buffer.getvalue(), round(_perf_counter() - started, 4),
                  detail)


def failure_detail(exc):
    """The failure's own message: `AssertionError: 3 != 2` (a unittest case's is the last line of its report)."""
    if getattr(exc, "rc_unittest_report", False):
        lines = [line for line in str(exc).splitlines() if line.strip()]
        return lines[-1] if lines else describe(exc)
    return describe(exc)


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
    outcome = TestResult()
    TestSuite([test]).run(outcome)
    problems = outcome.failures + outcome.errors
    if problems:
        failure = AssertionError(problems[0][1][-2500:])
        failure.rc_unittest_report = True  # its message is unittest's report: the detail is its last line
        raise failure
    if outcome.unexpectedSuccesses:
        raise AssertionError("unexpected success of a test marked expectedFailure")
    if outcome.skipped:
        raise NotRun(outcome.skipped[0][1])


def file_tests(emit, spec, skip):
    path = spec["path"]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    name = "rc_test_" + os.path.basename(path)[:-3]
    try:
        loader_spec = _spec_from_file_location(name, path)
        mod = _module_from_spec(loader_spec)
        sys.modules[name] = mod
        with Captured():
            loader_spec.loader.exec_module(mod)
    except BaseException as exc:  # noqa: B036
        why = tampering(exc)
        if why:
            raise Tampered(why) from None
        rec = result(spec["suite"], path, "failed", "importing the test file failed:\n" + user_traceback(exc))
        rec["import_error"] = isinstance(exc, ImportError)
        emit({"result": rec})
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
                emit({"start": label})
                code = getattr(obj, "__code__", None)
                params = code.co_varnames[:code.co_argcount] if code is not None else ()
                missing = [p for p in params if p not in kwargs]
                if missing or getattr(obj, "_rc_skip", None) is not None:
                    why = ("needs pytest fixtures (%s), which this runner does not provide" % ", ".join(missing)
                           if missing else "marked skip: %s" % obj._rc_skip)
                    emit({"result": result(spec["suite"], label, "not run", why)})
                    continue
                emit({"result": run_one(spec["suite"], label, lambda o=obj, k=kwargs: o(**k))})
        elif isinstance(obj, type) and issubclass(obj, TestCase) and obj.__module__ == name:
            for test in load_case_tests(obj):
                label = attr + "." + test._testMethodName
                if (only and attr not in only and test._testMethodName not in only) or label in skip:
                    continue
                emit({"start": label})
                emit({"result": run_one(spec["suite"], label, lambda t=test: run_case(t))})


# -- the original's doctests, run here -------------------------------------------------------------


def parse_examples(text, name):
    """The examples of the original's docstring as plain data, parsed before the candidate exists:
    (source, want, expected exception message or None, line, skipped, ignore the exception's detail)."""
    return [(e.source, e.want, e.exc_msg, e.lineno, bool(e.options.get(doctest.SKIP)),
             bool(e.options.get(doctest.IGNORE_EXCEPTION_DETAIL)))
            for e in doctest.DocTestParser().get_examples(text, name)]


def _ellipsis_match(want, got):
    """doctest's ELLIPSIS rule ('...' matches any text), after doctest._ellipsis_match."""
    if "..." not in want:
        return want == got
    pieces = want.split("...")
    start, end = 0, len(got)
    first, last = pieces[0], pieces[-1]
    if first:
        if not got.startswith(first):
            return False
        start = len(first)
        del pieces[0]
    if last:
        if not got.endswith(last):
            return False
        end -= len(last)
        del pieces[-1]
    if start > end:
        return False
    for piece in pieces:
        start = got.find(piece, start, end)
        if start < 0:
            return False
        start += len(piece)
    return True


def output_matches(want, got):
    """doctest's OutputChecker with ELLIPSIS and NORMALIZE_WHITESPACE (True/1 and <BLANKLINE> as doctest)."""
    if got == want or (got, want) in (("True\n", "1\n"), ("False\n", "0\n")):
        return True
    want = BLANKLINE.sub("", want)
    got = BLANK_GOT.sub("", got)
    if got == want:
        return True
    got, want = " ".join(got.split()), " ".join(want.split())
    return got == want or _ellipsis_match(want, got)


def _without_detail(message):
    """The exception's name only (IGNORE_EXCEPTION_DETAIL)."""
    return message.split(":", 1)[0].rsplit(".", 1)[-1].strip()


def run_examples(examples, globs, name):
    """Each example in order in `globs`; raises AssertionError with doctest's report of the first failure."""
    for source, want, exc_msg, lineno, skipped, ignore_detail in examples:
        if skipped:
            continue
        captured = Captured()
        exception = None
        try:
            with captured:
                try:
                    code, show = compile(source, "<doctest %s[%d]>" % (name, lineno), "eval"), True
                except SyntaxError:
                    code, show = compile(source, "<doctest %s[%d]>" % (name, lineno), "exec"), False
                value = eval(code, globs)
                if show and value is not None:
                    captured.buffer.write(repr(value) + "\n")
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: B036 - compared with the example's expected exception
            exception = exc
        got = captured.buffer.getvalue()
        if exception is None:
            if output_matches(want, got):
                continue
        else:
            message = describe(exception) + "\n"
            if exc_msg is not None and (output_matches(exc_msg, message) or (
                    ignore_detail and _without_detail(exc_msg) == _without_detail(message))):
                continue
            got += "Traceback (most recent call last):\n  ...\n" + message
        raise AssertionError("Failed example (line %d):\n    %s\nExpected:\n    %s\nGot:\n    %s" % (
            lineno + 1, source.rstrip().replace("\n", "\n    "), (want or "nothing").rstrip().replace("\n", "\n    "),
            (got or "nothing").rstrip().replace("\n", "\n    ")))


def doctests(emit, module_name, qualname, spec, skip):
    """The original's doctest examples (spec["docstring"], sent by the host) run against the module."""
    label = "doctest " + qualname
    if label in skip:
        return
    text = spec.get("docstring")
    examples = parse_examples(text, qualname) if text is not None else []
    module = _load(emit, module_name)
    if module is None:
        return
    emit({"start": label})
    if text is None:
        emit({"result": result(spec["suite"], label, "not run", "the original's docstring was not sent")})
        return
    if not examples:
        emit({"result": result(spec["suite"], label, "not run", "the original's docstring has no examples")})
        return
    globs = dict(vars(module))
    emit({"result": run_one(spec["suite"], label, lambda: run_examples(examples, globs, qualname))})


def program_test(emit, module_name, spec, skip):
    if spec["name"] in skip:
        return
    code = compile(spec["source"], spec["name"], "exec")
    module = _load(emit, module_name)
    if module is None:
        return
    emit({"start": spec["name"]})
    namespace = dict(vars(module))
    namespace["__name__"] = "__rc_test__"
    emit({"result": run_one(spec["suite"], spec["name"], lambda: exec(code, namespace))})


def _load(emit, module_name):
    try:
        with Captured():
            module, _ = load(module_name, None)
    except BaseException as exc:  # noqa: B036
        why = tampering(exc)
        if why:
            raise Tampered(why) from None
        emit(load_error(exc))
        return None
    return module


def run_tests(emit, module_name, qualname, spec, skip):
    """One test source's tests (those named in `skip` already ran in an earlier process)."""
    try:
        if spec["kind"] == "file":
            file_tests(emit, spec, skip)
        elif spec["kind"] == "doctest":
            doctests(emit, module_name, qualname, spec, skip)
        else:
            program_test(emit, module_name, spec, skip)
    except Tampered as exc:
        emit({"tampered": str(exc)})
        return
    why = tampering()
    if why:
        emit({"tampered": why})
        return
    emit({"end": True})
