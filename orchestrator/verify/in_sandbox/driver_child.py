"""What runs in one call's own process, forked by the in-sandbox driver (orchestrator/verify/in_sandbox/driver.py):
import the module under test, make one call (or run one test source's tests, or profile the workload) and
normalise what happened. Standard library only; shipped next to the driver as rc_driver_child.py and loaded
by the driver before any candidate code exists anywhere.

The candidate's code runs in this process, so nothing here is trusted: a call's record is compared by the
host with the original's (digests), and the process is thrown away after one call.
"""

import ast
import collections.abc
import contextlib
import hashlib
import importlib
import importlib.util
import io
import json
import os
import re
import signal
import sys
import time
import traceback
import types

ITEMS_CAP = 10_000  # items taken from an iterator or generator before comparing
OUTPUT_CAP = 4000  # stdout kept in a record as text; beyond it a digest of the whole stands in
ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


class Timeout(BaseException):  # BaseException: a candidate's `except Exception` does not swallow it
    pass


def _alarm(signum, frame):
    raise Timeout()


def limited(seconds, fn, *args, **kwargs):
    """fn(...) under a per-call wall limit (None: no limit; the driver's hard deadline still applies)."""
    if not seconds:
        return fn(*args, **kwargs)
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn(*args, **kwargs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


# -- normalising values ----------------------------------------------------------------------------


def _dunder(name):
    return name.startswith("__") and name.endswith("__")


def _attributes(value):
    """Instance attributes (instance dict and every class's __slots__), dunder names left out."""
    attrs = {}
    try:
        attrs.update((k, v) for k, v in vars(value).items() if isinstance(k, str) and not _dunder(k))
    except TypeError:
        pass
    for klass in type(value).__mro__:
        slots = klass.__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if _dunder(name) or name in ("__dict__", "__weakref__"):
                continue
            real = "_%s%s" % (klass.__name__.lstrip("_"), name) if name.startswith("__") else name
            try:
                attrs[name] = getattr(value, real)
            except AttributeError:
                continue
    return attrs


def norm(value, depth=0):
    """A JSON-able, comparable form of a value: floats to 9 digits, sets and dicts order-insensitive,
    iterators consumed (bounded), objects by their attributes (and a class-defined repr), never by the
    type name alone. Candidate code may run here (generators, properties, __repr__)."""
    if depth > 20:
        return "..."
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return "float:" + ("%.9g" % value)
    if isinstance(value, complex):
        return "complex:" + repr(value)
    if isinstance(value, (bytes, bytearray)):
        return type(value).__name__ + ":" + bytes(value).hex()
    if isinstance(value, (set, frozenset)):
        return {"__set__": sorted((norm(v, depth + 1) for v in value), key=repr)}
    if isinstance(value, dict):
        return {"__dict__": sorted(([norm(k, depth + 1), norm(v, depth + 1)] for k, v in value.items()), key=repr)}
    if isinstance(value, (list, tuple)):
        return [type(value).__name__] + [norm(v, depth + 1) for v in value]
    if isinstance(value, collections.abc.Iterator):  # generators, map, zip, iter(...): what they yield
        items = []
        try:
            for item in value:
                if len(items) == ITEMS_CAP:
                    items.append("...more than %d items" % ITEMS_CAP)
                    break
                items.append(norm(item, depth + 1))
        except Exception as exc:  # noqa: BLE001 - raising mid-way is part of what it yields
            items.append({"raised": type(exc).__name__})
        return {"__iter__": items}
    if isinstance(value, type):
        return {"__class__": "%s.%s" % (value.__module__, value.__qualname__)}
    if isinstance(value, types.ModuleType):
        return {"__module__": value.__name__}
    cls = type(value)
    if cls.__module__ == "numpy" and callable(getattr(value, "tolist", None)):  # its repr elides long arrays
        return {"__type__": "numpy." + cls.__name__, "items": norm(value.tolist(), depth + 1)}
    out = {"__type__": cls.__qualname__}
    if cls.__repr__ is not object.__repr__:
        try:
            out["repr"] = ADDRESS.sub("", repr(value))
        except Exception as exc:  # noqa: BLE001
            out["repr"] = "repr raised " + type(exc).__name__
    if not isinstance(value, (types.FunctionType, types.BuiltinFunctionType, types.MethodType)):
        out["attrs"] = sorted(([k, norm(v, depth + 1)] for k, v in _attributes(value).items()), key=repr)
    return out


def bounded_text(text):
    if len(text) <= OUTPUT_CAP:
        return text
    return text[:OUTPUT_CAP // 2] + "\n...[%d chars, sha256 %s]" % (
        len(text), hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:32])


def describe(exc):
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()[-1500:]


def user_traceback(exc):
    """The traceback without the driver's own frames (what a model needs to see)."""
    tb = traceback.TracebackException.from_exception(exc)
    own = ("main.py", "rc_driver_child.py")
    tb.stack = traceback.StackSummary.from_list([f for f in tb.stack if os.path.basename(f.filename) not in own])
    return "".join(tb.format())[-3000:]


def write(fd, payload):
    """One JSON line to the driver (the result pipe)."""
    data = (json.dumps(payload, sort_keys=True, separators=(",", ":"), default=repr) + "\n").encode()
    while data:
        data = data[os.write(fd, data):]


def load(module_name, qualname):
    module = importlib.import_module(module_name)
    obj = module
    for part in (qualname or "").split("."):
        if part:
            obj = getattr(obj, part)
    return module, obj if qualname else None


def load_error(exc):
    return {"load_error": describe(exc), "import_error": isinstance(exc, ImportError),
            "traceback": traceback.format_exc(limit=8)[-3000:]}


# -- one call --------------------------------------------------------------------------------------


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


def call(fd, module_name, qualname, spec, timeout, track_state):
    """Import the module, make one call, write {"record": {r, e, m, o}, "state": [...]} (or a load error)."""
    # Inputs are read before the candidate's module exists in this process.
    if "expr" in spec:
        code, args, kwargs = compile(spec["expr"], "<workload>", "eval"), None, None
    else:
        code, args, kwargs = None, ast.literal_eval(spec["args"]), ast.literal_eval(spec.get("kwargs") or "{}")
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            module, fn = load(module_name, qualname if code is None else None)
    except BaseException as exc:  # noqa: B036 - the module does not import
        write(fd, load_error(exc))
        return
    before_state = state_of(module, fn) if track_state and fn is not None else None
    before = json.dumps(norm((args, kwargs)), sort_keys=True) if code is None else None
    buf = io.StringIO()
    rec = {"r": None, "e": None, "m": None}
    if code is None:
        run = lambda: norm(fn(*args, **kwargs))  # noqa: E731
    else:
        namespace = dict(vars(module))
        run = lambda: norm(eval(code, namespace))  # noqa: E731
    try:
        with contextlib.redirect_stdout(buf):
            rec["r"] = limited(timeout, run)  # generators are consumed inside the limit
    except Timeout:
        rec["e"] = "timeout"
    except BaseException as exc:  # noqa: B036 - the exception type is part of the behaviour
        rec["e"] = type(exc).__name__
    if before is not None:
        after = json.dumps(norm((args, kwargs)), sort_keys=True)
        rec["m"] = after if after != before else None
    rec["o"] = bounded_text(buf.getvalue())
    payload = {"record": rec}
    if before_state is not None:
        after_state = state_of(module, fn)
        payload["state"] = sorted(k for k in set(before_state) | set(after_state)
                                  if before_state.get(k) != after_state.get(k))
    write(fd, payload)


# -- profile ---------------------------------------------------------------------------------------


def profile(fd, module_name, exprs, loops, top):
    import cProfile
    import pstats

    codes = [compile(expr, "<workload>", "eval") for expr in exprs]
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            module, _ = load(module_name, None)
    except BaseException as exc:  # noqa: B036
        write(fd, load_error(exc))
        return
    namespace = dict(vars(module))

    def run():
        for _ in range(loops):
            for code in codes:
                eval(code, namespace)

    profiler = cProfile.Profile()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            profiler.runcall(run)
    except BaseException as exc:  # noqa: B036
        write(fd, {"error": describe(exc)})
        return
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).strip_dirs().sort_stats("tottime").print_stats(top)
    lines = [ln for ln in stream.getvalue().splitlines() if ln.strip() and "rc_driver_child.py" not in ln
             and "{built-in method builtins.eval}" not in ln and "<workload>" not in ln]
    write(fd, {"profile": "\n".join(lines[-(top + 2):])})
