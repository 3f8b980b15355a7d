"""What runs in one call's own process, forked by the in-sandbox driver (orchestrator/verify/running/in_sandbox/driver.py):
import the module under test, make one call and normalise what happened. Standard
library only; shipped next to the driver as rc_driver_child.py and loaded by the driver before any candidate code
exists anywhere, with a private copy of builtins.

The candidate's code runs in this process, beside this code. The guard (driver_guard.py) keeps this module out of
its reach (not in sys.modules, no frame access); what this code uses after the candidate is imported is bound
here, before: a candidate that rebinds json, os.write or collections.abc changes nothing in it. A call's record
is compared by the host with the original's (digests), and the process is thrown away after one call.
"""

import ast
import hashlib
import importlib
import io
import os
import re
import sys
import time
import types
from collections.abc import Iterator

ITEMS_CAP = 10_000  # items taken from an iterator or generator before comparing
OUTPUT_CAP = 4000  # stdout kept in a record as text; beyond it a digest of the whole stands in
ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_sub_address = ADDRESS.sub
_sha256 = hashlib.sha256
_StringIO = io.StringIO
_import_module = importlib.import_module
_literal_eval = ast.literal_eval
_sys = sys
_perf_counter = time.perf_counter
_basename = os.path.basename
FUNCTION_TYPES = (types.FunctionType, types.BuiltinFunctionType, types.MethodType)
ModuleType = types.ModuleType


class Captured:
    """sys.stdout redirected to a buffer (no contextlib: nothing a candidate can rebind)."""

    def __init__(self):
        self.buffer = _StringIO()

    def __enter__(self):
        self.saved = _sys.stdout
        _sys.stdout = self.buffer
        return self.buffer

    def __exit__(self, *exc):
        _sys.stdout = self.saved
        return False


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
    if isinstance(value, Iterator):  # generators, map, zip, iter(...): what they yield
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
    if isinstance(value, ModuleType):
        return {"__module__": value.__name__}
    cls = type(value)
    if cls.__module__ == "numpy" and callable(getattr(value, "tolist", None)):  # its repr elides long arrays
        return {"__type__": "numpy." + cls.__name__, "items": norm(value.tolist(), depth + 1)}
    out = {"__type__": cls.__qualname__}
    if cls.__repr__ is not object.__repr__:
        try:
            out["repr"] = _sub_address("", repr(value))
        except Exception as exc:  # noqa: BLE001
            out["repr"] = "repr raised " + type(exc).__name__
    if not isinstance(value, FUNCTION_TYPES):
        out["attrs"] = sorted(([k, norm(v, depth + 1)] for k, v in _attributes(value).items()), key=repr)
    return out


def bounded_text(text):
    if len(text) <= OUTPUT_CAP:
        return text
    return text[:OUTPUT_CAP // 2] + "\n...[%d chars, sha256 %s]" % (
        len(text), _sha256(text.encode("utf-8", "replace")).hexdigest()[:32])


def exception_name(exc):
    cls = type(exc)
    module = cls.__module__
    return cls.__qualname__ if module in ("builtins", "__main__") else "%s.%s" % (module, cls.__qualname__)


def describe(exc):
    """`Type: message` (no traceback module: a candidate can rebind it)."""
    try:
        text = str(exc)
    except BaseException:  # noqa: B036 - a candidate's __str__
        text = "<unprintable %s>" % type(exc).__name__
    return (exception_name(exc) + (": " + text if text else ""))[-1500:]


OWN_FILES = ("main.py", "rc_driver_fork.py", "rc_driver_child.py", "rc_driver_tests.py", "rc_driver_guard.py")


def user_traceback(exc):
    """The traceback without the driver's own frames (what a model needs to see), read here rather than by the
    traceback module (whose functions a candidate can rebind)."""
    lines, tb = [], exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if _basename(code.co_filename) not in OWN_FILES:
            lines.append('  File "%s", line %s, in %s\n' % (code.co_filename, tb.tb_lineno, code.co_name))
            source = _source_line(code.co_filename, tb.tb_lineno)
            if source:
                lines.append("    " + source + "\n")
        tb = tb.tb_next
    text = ("Traceback (most recent call last):\n" + "".join(lines) if lines else "") + describe(exc) + "\n"
    return text[-3000:]


def _source_line(path, number):
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for index, line in enumerate(fh, 1):
                if index == number:
                    return line.strip()
    except (OSError, ValueError):
        return ""
    return ""


def load(module_name, qualname):
    module = _import_module(module_name)
    obj = module
    for part in (qualname or "").split("."):
        if part:
            obj = getattr(obj, part)
    return module, obj if qualname else None


def load_error(exc):
    return {"load_error": describe(exc), "import_error": isinstance(exc, ImportError),
            "traceback": user_traceback(exc)}


def tampering(exc=None):
    """What the guard saw the candidate try in this process, and whether `exc` is a sealed class refusing the
    candidate's assignment (None when nothing)."""
    if GUARD is None:
        return None
    return GUARD.tampered() or (GUARD.sealed_violation(exc) if exc is not None else None)


GUARD = _sys.modules.get("rc_driver_guard")  # loaded before this module; gone from sys.modules in a call


# -- one call --------------------------------------------------------------------------------------


def state_of(module, fn, owner=None):
    """What a call could use to remember earlier calls: defaults, attributes, caches, closures, globals, and for a
    method its class's own data attributes (a cache put on the class at the first call)."""
    state = {}
    raw = getattr(fn, "__wrapped__", fn)
    raw = getattr(raw, "__func__", raw)  # a classmethod, bound to its class
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
    for name, value in list(vars(module).items()):
        if isinstance(value, (dict, list, set, bytearray)) and not name.startswith("__"):
            state["global " + name] = repr(norm(value))
        elif callable(getattr(value, "cache_info", None)):
            state["functools cache of " + name] = repr(value.cache_info().currsize)
    if isinstance(owner, type):
        for name, value in list(vars(owner).items()):
            if _dunder(name) or isinstance(value, DESCRIPTOR_TYPES):
                continue
            state["class attribute %s.%s" % (owner.__name__, name)] = repr(norm(value))
    return state


DESCRIPTOR_TYPES = (types.FunctionType, classmethod, staticmethod, property)
RECEIVER_NAME = "_rc_receiver"  # orchestrator/verify/method_calls/receivers.py binds a recipe's instance to this name
_parse = ast.parse
_unparse = ast.unparse
_Name, _Load, _Attribute, _Call = ast.Name, ast.Load, ast.Attribute, ast.Call
_NOTHING = object()  # no receiver (a plain function's call)


def serialised(value):
    """A normalised value as text: the guard's C encoder writes ints and strings by their true value (an int
    subclass's __repr__ does not speak for it), and nothing in it can be rebound."""
    return GUARD.encode(norm(value))


def _method_call(expr, method):
    """(receiver code, call code) when the workload expression `expr` calls `.method` on something: the receiver
    is evaluated first and bound to RECEIVER_NAME, so that its state after the call can be read. None else."""
    try:
        node = _parse(expr.strip(), mode="eval").body
    except SyntaxError:
        return None
    if isinstance(node, _Call) and isinstance(node.func, _Attribute) and node.func.attr == method:
        access = node.func
    elif isinstance(node, _Attribute) and node.attr == method:  # a property's read
        access = node
    else:
        return None
    receiver = _unparse(access.value)
    access.value = _Name(RECEIVER_NAME, _Load())
    return compile(receiver, "<receiver>", "eval"), compile(_unparse(node), "<workload>", "eval")


def _owner(module, path):
    """The class a method belongs to (None for a plain function)."""
    obj = module
    for part in path.split(".") if path else ():
        obj = getattr(obj, part, None)
    return obj if isinstance(obj, type) else None


def _arguments(text):
    """A call's arguments: a literal (read now), else an expression to evaluate in the module's namespace."""
    try:
        return _literal_eval(text), None
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None, compile(text, "<arguments>", "eval")


def receiver_state(receiver):
    """The receiver after the call, normalised; a large one (a workload's instance) by the digest of its encoding,
    so that a record stays small enough to travel whole."""
    try:
        state = norm(receiver)
        text = GUARD.encode(state)
    except BaseException as exc:  # noqa: B036 - a receiver whose state cannot be read after the call
        return {"unreadable": type(exc).__name__}
    if len(text) <= STATE_CAP:
        return state
    return {"sha256": _sha256(text.encode("utf-8", "replace")).hexdigest(), "chars": len(text)}


STATE_CAP = 16 * 1024


def call(emit, module_name, qualname, spec, track_state):
    """Import the module, make one call, emit {"record": {r, e, m, o[, s]}, "state": [...]} (or a load error), and
    what the guard saw ({"tampered": ...}) when the candidate tried to reach the checking code.

    A call of a method (`qualname` Class.method) is made on a receiver: spec["receiver"], an expression built
    from the tests (orchestrator/verify/method_calls/receivers.py), or the part of a workload expression `R.method(...)`
    before `.method`; a property (spec["attribute"]) is read instead of called. The receiver is built in this process, which serves this call alone: no other call
    touched it. With track_state its state after the call is recorded as "s" (its attributes, __dict__ and
    slots, private ones too): an instance the candidate leaves different from the original's is a difference."""
    # The inputs and their serialised form are taken before the candidate's module exists in this process:
    # an argument mutation is seen whatever the candidate does to this code afterwards.
    path, _, method = (qualname or "").rpartition(".")
    receiver_code = arg_codes = None
    if "expr" in spec:
        code, args, kwargs, before = compile(spec["expr"], "<workload>", "eval"), None, None, None
        split = _method_call(spec["expr"], method) if path else None
        if split is not None:
            receiver_code, code = split
    else:
        code = None
        (args, args_code), (kwargs, kwargs_code) = _arguments(spec["args"]), _arguments(spec.get("kwargs") or "{}")
        arg_codes = (args_code, kwargs_code) if args_code is not None or kwargs_code is not None else None
        before = serialised((args, kwargs)) if arg_codes is None else None
        if spec.get("receiver") is not None:
            receiver_code = compile(spec["receiver"], "<receiver>", "eval")
    try:
        with Captured():
            module, fn = load(module_name, qualname if code is None or receiver_code is not None else None)
        owner = _owner(module, path)
    except BaseException as exc:  # noqa: B036 - the module does not import
        emit(dict(load_error(exc), tampered=tampering(exc)))
        return
    before_state = state_of(module, fn, owner) if track_state and fn is not None else None
    rec = {"r": None, "e": None, "m": None}
    receiver = _NOTHING
    captured = Captured()
    try:
        with captured:
            namespace = dict(vars(module)) if code is not None or receiver_code is not None or arg_codes else None
            if receiver_code is not None:
                receiver = eval(receiver_code, namespace)
            if arg_codes is not None:
                args = eval(arg_codes[0], namespace) if arg_codes[0] is not None else args
                kwargs = eval(arg_codes[1], namespace) if arg_codes[1] is not None else kwargs
                before = serialised((args, kwargs))
            if code is not None:
                namespace[RECEIVER_NAME] = receiver
                rec["r"] = norm(eval(code, namespace))
            elif receiver is not _NOTHING and spec.get("attribute"):  # a property: read, not called
                rec["r"] = norm(getattr(receiver, method))
            elif receiver is not _NOTHING:
                rec["r"] = norm(getattr(receiver, method)(*args, **kwargs))
            else:
                rec["r"] = norm(fn(*args, **kwargs))  # generators are consumed here, inside the time limit
    except BaseException as exc:  # noqa: B036 - the exception type is part of the behaviour
        rec["e"] = type(exc).__name__
    if before is not None:
        after = serialised((args, kwargs))
        rec["m"] = after if after != before else None
    rec["o"] = bounded_text(captured.buffer.getvalue())
    if track_state and receiver is not _NOTHING:
        rec["s"] = receiver_state(receiver)
    payload = {"record": rec}
    if before_state is not None:
        after_state = state_of(module, fn, owner)
        payload["state"] = sorted(k for k in set(before_state) | set(after_state)
                                  if before_state.get(k) != after_state.get(k))
    payload["tampered"] = tampering()
    emit(payload)
