"""In-sandbox driver for Python candidates (standard library only; sent as the program's main.py).

Never imported on the host: orchestrator/verify/pyjobs.py ships this file's text into the sandbox with a
job.json next to it. Modes:
  tests     run the user's test files (test_* functions, unittest.TestCase), doctests, and test programs
  calls     call the target with literal inputs, in given orders, recording return value (normalised
            repr), exception type, argument mutation and stdout; plus which state the calls changed
  workload  evaluate workload expressions `loops` times (what the timed runs measure)
  profile   the same under cProfile; prints where the time goes (function names only, no inputs)

The job file is deleted before the candidate is imported (except for timed workloads, which may run
repeatedly from one directory and whose report is not read), so the report's nonce is not on disk; the
report is written to a duplicate of the original stdout after the candidate's own output.
"""

import ast
import contextlib
import doctest
import importlib
import importlib.util
import io
import json
import os
import signal
import sys
import time
import traceback
import unittest

# Everything is relative to this file's directory (a runner may start it from another working directory).
os.chdir(os.path.dirname(os.path.abspath(__file__)))
with open("job.json", encoding="utf-8") as fh:
    JOB = json.load(fh)
if JOB["mode"] != "workload":
    # Reports that the host reads carry a nonce the candidate must not find on disk. Timed workloads are
    # only judged by exit status and kernel accounting, and may be run several times from one directory.
    os.remove("job.json")
NONCE = JOB.pop("nonce")
OUT_FD = os.dup(1)
for entry in reversed(JOB.get("paths", [])):
    sys.path.insert(0, os.path.abspath(entry))
if JOB.get("site"):  # the workspace's packages (a read-only image layer): after the project and the stdlib
    import site

    site.addsitedir(JOB["site"])


class Timeout(BaseException):  # BaseException: a candidate's `except Exception` does not swallow it
    pass


def _alarm(signum, frame):
    raise Timeout()


signal.signal(signal.SIGALRM, _alarm)


def limited(seconds, fn, *args, **kwargs):
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn(*args, **kwargs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def norm(value, depth=0):
    """A comparable, order-insensitive-where-Python-is representation."""
    if depth > 20:
        return "..."
    if isinstance(value, float):
        return "float:" + ("%.9g" % value)
    if isinstance(value, (set, frozenset)):
        return sorted((norm(v, depth + 1) for v in value), key=repr)
    if isinstance(value, dict):
        return {"__dict__": sorted(([norm(k, depth + 1), norm(v, depth + 1)] for k, v in value.items()), key=repr)}
    if isinstance(value, (list, tuple)):
        return [type(value).__name__] + [norm(v, depth + 1) for v in value]
    if value is None or isinstance(value, (bool, int, str)):
        return value
    text = repr(value)
    if " at 0x" in text:  # default object repr: compare the type and public attributes instead
        attrs = getattr(value, "__dict__", None)
        return {"__type__": type(value).__name__, "attrs": norm(attrs, depth + 1) if attrs is not None else None}
    return text[:2000]


def emit(payload):
    data = ("\n@@RC-DRIVER-" + NONCE + "@@\n" + json.dumps(payload, default=repr)).encode()
    sys.stdout.flush()
    os.write(OUT_FD, data)


def resolve(module, qualname):
    obj = module
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def load_target():
    module = importlib.import_module(JOB["module"])
    return module, resolve(module, JOB["qualname"]) if JOB.get("qualname") else None


def user_traceback(exc):
    """The traceback without the driver's own frames (what a model needs to see)."""
    tb = traceback.TracebackException.from_exception(exc)
    tb.stack = traceback.StackSummary.from_list([f for f in tb.stack if os.path.basename(f.filename) != "main.py"])
    return "".join(tb.format())[-3000:]


def describe(exc):
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()[-1500:]


# -- tests ------------------------------------------------------------------------------------------


def run_one(suite, name, fn, timeout):
    buf = io.StringIO()
    started = time.perf_counter()
    try:
        with contextlib.redirect_stdout(buf):
            limited(timeout, fn)
        ok, error = True, ""
    except Timeout:
        ok, error = False, "timed out after %.0fs" % timeout
    except unittest.SkipTest as exc:
        return {"suite": suite, "name": name, "passed": True, "skipped": str(exc)}
    except BaseException as exc:  # noqa: B036 - a test's failure of any kind
        ok, error = False, user_traceback(exc)
    return {"suite": suite, "name": name, "passed": ok, "error": error, "output": buf.getvalue()[-2000:],
            "seconds": round(time.perf_counter() - started, 4)}


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


def file_tests(spec, timeout):
    results = []
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
        return [{"suite": spec["suite"], "name": path, "passed": False, "error": "importing the test file failed:\n"
                 + user_traceback(exc), "import_error": isinstance(exc, ImportError)}]
    only = set(spec.get("only") or [])
    for attr, obj in list(vars(mod).items()):
        if attr.startswith("test") and callable(obj) and not isinstance(obj, type):
            if only and attr not in only:
                continue
            for ids, kwargs in expand(obj):
                label = attr + ("[" + "-".join(map(str, ids)) + "]" if ids else "")
                params = obj.__code__.co_varnames[:obj.__code__.co_argcount]
                missing = [p for p in params if p not in kwargs]
                if missing:
                    results.append({"suite": spec["suite"], "name": label, "passed": True,
                                    "skipped": "needs pytest fixtures: " + ", ".join(missing)})
                    continue
                results.append(run_one(spec["suite"], label, lambda o=obj, k=kwargs: o(**k), timeout))
        elif isinstance(obj, type) and issubclass(obj, unittest.TestCase) and obj.__module__ == name:
            for test in unittest.defaultTestLoader.loadTestsFromTestCase(obj):
                label = attr + "." + test._testMethodName
                if only and attr not in only and test._testMethodName not in only:
                    continue

                def run_case(t=test):
                    result = unittest.TestResult()
                    t.run(result)
                    problems = result.failures + result.errors
                    if problems:
                        raise AssertionError(problems[0][1][-2500:])
                    if result.skipped:
                        raise unittest.SkipTest(result.skipped[0][1])

                results.append(run_one(spec["suite"], label, run_case, timeout))
    return results


def doctests(module, target, spec, timeout):
    finder = doctest.DocTestFinder(recurse=False)
    results = []
    for test in finder.find(target, JOB["qualname"], globs=dict(vars(module))):
        if not test.examples:
            continue
        out = io.StringIO()

        def run(t=test, o=out):
            runner = doctest.DocTestRunner(verbose=False, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
            runner.run(t, out=o.write)
            if runner.failures:
                raise AssertionError(o.getvalue()[-3000:])

        results.append(run_one(spec["suite"], "doctest " + test.name, run, timeout))
    return results


def program_test(module, spec, timeout):
    namespace = dict(vars(module))
    namespace["__name__"] = "__rc_test__"
    code = compile(spec["source"], spec["name"], "exec")
    return [run_one(spec["suite"], spec["name"], lambda: exec(code, namespace), timeout)]


def mode_tests():
    module, target = load_target()
    timeout = JOB.get("test_timeout_s", 10)
    results = []
    for spec in JOB["tests"]:
        if spec["kind"] == "file":
            results += file_tests(spec, timeout)
        elif spec["kind"] == "doctest":
            results += doctests(module, target, spec, timeout)
        else:
            results += program_test(module, spec, timeout)
    return {"tests": results}


# -- calls ------------------------------------------------------------------------------------------


def state_of(module, fn):
    """What a call could use to remember earlier calls: defaults, attributes, caches, closures, globals."""
    state = {}
    raw = getattr(fn, "__wrapped__", fn)
    for label, obj in (("defaults", getattr(raw, "__defaults__", None)),
                       ("kwdefaults", getattr(raw, "__kwdefaults__", None)),
                       ("attributes", {k: v for k, v in getattr(fn, "__dict__", {}).items() if k != "__wrapped__"})):
        state[label] = repr(norm(obj))
    info = getattr(fn, "cache_info", None)
    if callable(info):
        state["functools cache"] = repr(info().currsize)
    for i, cell in enumerate(getattr(raw, "__closure__", None) or ()):
        try:
            contents = cell.cell_contents
        except ValueError:
            continue
        if not callable(contents):
            state["closure %d" % i] = repr(norm(contents))
    for name, value in vars(module).items():
        if isinstance(value, (dict, list, set, bytearray)) and not name.startswith("__"):
            state["global " + name] = repr(norm(value))
        elif callable(getattr(value, "cache_info", None)):
            state["functools cache of " + name] = repr(value.cache_info().currsize)
    return state


def one_call(fn, spec, timeout):
    args = ast.literal_eval(spec["args"])
    kwargs = ast.literal_eval(spec.get("kwargs") or "{}")
    before = repr(norm((args, kwargs)))
    buf = io.StringIO()
    rec = {"r": None, "e": None}
    try:
        with contextlib.redirect_stdout(buf):
            rec["r"] = norm(limited(timeout, fn, *args, **kwargs))
    except Timeout:
        rec["e"] = "timeout"
    except RecursionError:
        rec["e"] = "RecursionError"
    except BaseException as exc:  # noqa: B036 - the exception type is part of the behaviour
        rec["e"] = type(exc).__name__
    after = repr(norm((args, kwargs)))
    rec["m"] = after if after != before else None
    rec["o"] = buf.getvalue()[-2000:]
    return rec


def mode_calls():
    module, fn = load_target()
    timeout = JOB.get("call_timeout_s", 2.0)
    before = state_of(module, fn)
    passes = []
    for order in JOB["orders"]:
        results = {}
        for index in order:
            results[str(index)] = one_call(fn, JOB["calls"][index], timeout)
        passes.append(results)
    after = state_of(module, fn)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    return {"passes": passes, "state_changed": changed}


# -- workload and profile ---------------------------------------------------------------------------


def workload_runner():
    module, _ = load_target()
    namespace = dict(vars(module))
    codes = [compile(expr, "<workload>", "eval") for expr in JOB["workload"]]
    loops = int(JOB.get("loops", 1))

    def run():
        for _ in range(loops):
            for code in codes:
                eval(code, namespace)

    return run


def mode_workload():
    run = workload_runner()
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        run()
    return {"seconds": time.perf_counter() - started}


def mode_profile():
    import cProfile
    import pstats

    run = workload_runner()
    profiler = cProfile.Profile()
    with contextlib.redirect_stdout(io.StringIO()):
        profiler.runcall(run)
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.strip_dirs().sort_stats("tottime").print_stats(JOB.get("top", 12))
    lines = [ln for ln in stream.getvalue().splitlines() if ln.strip() and "main.py" not in ln
             and "{built-in method builtins.exec}" not in ln and "<workload>" not in ln]
    return {"profile": "\n".join(lines[-(JOB.get("top", 12) + 2):])}


def main():
    mode = JOB["mode"]
    try:
        payload = {"tests": mode_tests, "calls": mode_calls, "workload": mode_workload, "profile": mode_profile}[mode]()
        payload["ok"] = True
    except BaseException as exc:  # noqa: B036 - e.g. the module does not import
        payload = {"ok": False, "error": describe(exc), "import_error": isinstance(exc, ImportError),
                   "traceback": traceback.format_exc(limit=8)[-3000:]}
    emit(payload)
    if not payload["ok"]:
        sys.exit(1)  # a failed workload must not be timed as if it ran


main()
