"""The guard around candidate code in a call's process (standard library only; shipped as rc_driver_guard.py and
loaded by the in-sandbox driver, orchestrator/verify/running/in_sandbox/driver.py, before any candidate code exists).

A call's process runs the candidate's code beside the driver's checking code (the normaliser, the test runner,
the result pipe). Rebinding that code needs a way to reach it; this module takes those ways away:

* prepare() (in the driver, once): what the hook allows, the types and module dicts that existed before any
  candidate (the candidate may change its own, never these), and, for tests, the test machinery sealed
  (driver_seal.py): unittest's, doctest's and pytest's (the shim's, or real pytest's, pluggy's and the reporting
  plugin's) classes become immutable types, and the functions and classes of the standard library's modules loaded
  by then are snapshotted (math.isclose rebound is tampering);
* enter() (in the call's process, before the candidate is imported): the driver's modules leave sys.modules,
  __main__ becomes a blank module, and an audit hook (it cannot be removed) denies frame access (sys._getframe,
  tracebacks' and generators' frames, sys._current_frames), tracing and profiling hooks, gc's object walks,
  ctypes, new audit hooks, opening anything in /proc, and setting code, defaults or special attributes of
  functions and types that existed before the candidate. Every denial is recorded: tampered() names them, and
  the driver reports the call or the tests as tampered (never passed);
* run() makes the checks on a worker thread, candidate included, while the main thread waits in C: Python
  signal handlers are installed and run only on the main thread, so no handler can be handed a frame of the
  checking code;
* the result pipe carries lines prefixed with a per-process token that exists only in the worker's frames
  (emitter()): the driver treats any other line as forged.

Standard-library callers that only read a frame's module name (collections.namedtuple, typing, enum) are
allowed; logging's caller lookup is refused quietly (logging falls back to "(unknown file)"). So is sys._getframe
from the code of the project's other modules that the target imports (compiled by the driver before any candidate;
boltons calls it at import to name its sentinels). Limit: a project function that hands its caller's frame back
would give a candidate that calls it a frame; such helpers are rare, and the candidate still cannot make one.
"""

import _json
import _thread
import builtins
import os
import sys
import types

import rc_driver_seal as SEAL  # loaded by the driver just before this module

PR_SET_DUMPABLE = 4
DENY_EVENTS = frozenset(("sys._current_frames", "sys.settrace", "sys.setprofile", "gc.get_objects",
                         "gc.get_referrers", "gc.get_referents", "sys.addaudithook"))
WATCH_EVENTS = DENY_EVENTS | {"sys._getframe", "object.__getattr__", "object.__setattr__", "open"}
FRAME_ATTRIBUTES = frozenset(("tb_frame", "gi_frame", "cr_frame", "ag_frame"))

# Private references: the hook and the writer never look anything up on a module a candidate can rebind.
_getframe = sys._getframe
_get_ident = _thread.get_ident
_stat = os.stat
_write = os.write
FunctionType = types.FunctionType

# Set by prepare() in the driver, inherited by every call's process.
OWN = ()  # module dicts of the driver's own code: its frames are never shown to anyone
PRE_DICTS = frozenset()  # ids of module dicts that existed before the candidate
PRE_TYPES = frozenset()  # ids of classes that existed before the candidate
KEEP = []  # keeps those classes alive (their ids stay theirs)
ALLOW_GETFRAME = frozenset()  # code objects that take a frame only to read its module's name
QUIET_GETFRAME = frozenset()  # code objects refused without a record (their caller handles ValueError)
TB_READERS = frozenset()  # code objects that read a traceback's frame and keep it to themselves
TB_WALKERS = frozenset()  # traceback's walkers: allowed only when traceback's own extractor consumes them
TB_CONSUMERS = frozenset()
QUIET_TB_READERS = frozenset()  # pytest's report code walking a traceback's frames: refused without a record
PROC_DEV = None  # st_dev of /proc
WATCHED = []  # (module name, its dict, its names, its functions and classes) before any candidate
SEALED = []  # the classes made immutable
DENIED = []  # what the candidate tried, in order
INSIDE = set()  # threads inside the hook (its own frame lookups pass)
BUILTIN_NAMES = frozenset(vars(builtins))


# -- in the driver, before any call ----------------------------------------------------------------


def _code(obj):
    fn = getattr(obj, "__func__", obj)
    return getattr(fn, "__code__", None)


def _codes(*objs):
    return frozenset(c for c in map(_code, objs) if c is not None)


def _nested(code, name):
    return [c for c in getattr(code, "co_consts", ()) if isinstance(c, types.CodeType) and c.co_name == name]


def _all_codes(codes):
    """Code objects and every code object nested in their constants (functions, classes, comprehensions)."""
    out, todo = set(), list(codes)
    while todo:
        code = todo.pop()
        if code in out:
            continue
        out.add(code)
        todo += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    return frozenset(out)


def prepare(own_modules, tests, project_code=()):
    """Once in the driver, after its imports and before the first call (and before gc.freeze()). `project_code`:
    the code of the project's other modules (never the target's), compiled by the driver from their read-only files;
    its sys._getframe calls are allowed (by code object identity: a candidate cannot make one of them)."""
    global OWN, PRE_DICTS, PRE_TYPES, ALLOW_GETFRAME, QUIET_GETFRAME, TB_READERS, TB_WALKERS, TB_CONSUMERS, PROC_DEV
    global QUIET_TB_READERS
    import collections
    import enum
    import traceback
    import typing

    OWN = tuple(vars(m) for m in own_modules)
    PRE_DICTS = frozenset(id(vars(m)) for m in list(sys.modules.values()) if isinstance(m, types.ModuleType))
    todo, seen = [object], {}
    while todo:
        cls = todo.pop()
        if id(cls) in seen:
            continue
        seen[id(cls)] = cls
        try:
            todo += type.__subclasses__(cls)
        except TypeError:
            continue
    KEEP[:] = list(seen.values())
    PRE_TYPES = frozenset(seen)
    ALLOW_GETFRAME = _codes(collections.namedtuple, getattr(typing, "_caller", None),
                            getattr(enum.EnumType, "_create_", None)) | _all_codes(project_code)
    if "logging" in sys.modules:
        QUIET_GETFRAME = _codes(getattr(sys.modules["logging"], "currentframe", None))
    if "_pytest.config" in sys.modules:  # real pytest (driver_pytest.py): a config-time warning's location only
        ALLOW_GETFRAME |= _codes(getattr(sys.modules["_pytest.config"].Config, "issue_config_time_warning", None))
    if "_pytest._code.code" in sys.modules:  # its reports read frames; the runner makes reports without them
        entry = getattr(sys.modules["_pytest._code.code"], "TracebackEntry", None)
        QUIET_TB_READERS = _codes(getattr(getattr(entry, "frame", None), "fget", None))
    summary = traceback.StackSummary
    TB_WALKERS = _codes(traceback.walk_tb, getattr(traceback, "_walk_tb_with_full_positions", None))
    TB_CONSUMERS = _codes(getattr(summary, "_extract_from_extended_frame_gen", None)) | frozenset(
        _nested(_code(summary.extract), "extended_frame_gen"))
    readers = [traceback.clear_frames]
    if tests:
        import unittest.result

        readers.append(unittest.result.TestResult._is_relevant_tb_level)
    TB_READERS = _codes(*readers)
    try:
        PROC_DEV = _stat("/proc").st_dev
    except OSError:
        PROC_DEV = None
    if tests:
        SEAL.seal_test_machinery(WATCHED, SEALED)


# -- in a call's process ---------------------------------------------------------------------------


_encoder = _json.make_encoder(None, repr, _json.encode_basestring_ascii, None, ":", ",", True, False, True)


def encode(value):
    """JSON text by the C encoder (sorted keys; ints and strings by their true value, whatever their class)."""
    return "".join(_encoder(value, 0))


def emitter(fd, token):
    """The only writer of result lines: `token` + JSON (C encoder, private references) + newline."""
    lock = _thread.allocate_lock()
    prefix = token + " "

    def emit(payload):
        data = (prefix + encode(payload) + "\n").encode("utf-8", "replace")
        with lock:
            while data:
                data = data[_write(fd, data):]

    return emit


def enter():
    """Before the candidate exists in this process: hide the driver's modules and install the hook."""
    for name in [n for n in sys.modules if n.startswith("rc_driver_")]:
        del sys.modules[name]
    sys.modules["__main__"] = types.ModuleType("__main__")
    DENIED.clear()
    sys.addaudithook(_hook)


def run(work, emit, stack_bytes=64 << 20):
    """work(emit) on a worker thread; the main thread waits in C (no Python signal handler can run there with a
    frame of the checking code: handlers run, and are installed, on the main thread only)."""
    done = _thread.allocate_lock()
    done.acquire()

    def worker():
        try:
            work(emit)
        except BaseException:  # noqa: B036 - the checking code's own failure: no result, never a pass
            pass
        finally:
            done.release()

    _thread.stack_size(stack_bytes)  # deep recursion as on a main thread (the candidate's threads: the default)
    _thread.start_new_thread(worker, ())
    _thread.stack_size(0)
    done.acquire()


def tampered():
    """What the candidate tried (denied introspection, a rebound part of the test machinery), or None."""
    found = list(dict.fromkeys(DENIED))
    for name, now, keys, before in WATCHED:
        for key, value in before.items():
            if now.get(key, None) is not value:
                found.append("rebound %s.%s" % (name, key))
        for key in now.keys() - keys:
            if key in BUILTIN_NAMES:
                found.append("added %s.%s over the builtin" % (name, key))
    return "; ".join(found[:6]) if found else None


def accept_current(module_name, names):
    """Take the current values of `names` in a watched module as the expected ones: the test machinery's own
    replacement for the duration of a run (pytest 8's threading.excepthook) and its restoration afterwards."""
    for name, now, _keys, before in WATCHED:
        if name == module_name:
            for key in names:
                if key in before and key in now:
                    before[key] = now[key]


def sealed_violation(exc):
    """The TypeError a sealed class raises when the candidate assigns to it, as a tampering note (else None)."""
    text = str(exc) if isinstance(exc, TypeError) else ""
    if "immutable type" in text and any("'%s'" % cls.__name__ in text for cls in SEALED):
        return "tried to patch the test machinery (%s)" % text
    return None


# -- the audit hook --------------------------------------------------------------------------------


def _deny(what, exc_type=RuntimeError, record=True):
    if record:
        DENIED.append(what)
    raise exc_type("denied in the sandbox: " + what)


def _frame(depth):
    try:
        return _getframe(depth + 1)
    except ValueError:
        return None


def _own(frame):
    globals_ = frame.f_globals
    return any(globals_ is own for own in OWN)


def _hook(event, args):
    if event not in WATCH_EVENTS and not event.startswith("ctypes."):
        return
    me = _get_ident()
    if me in INSIDE:  # the hook's own frame lookups
        return
    INSIDE.add(me)
    try:
        _check(event, args)
    finally:
        INSIDE.discard(me)


def _check(event, args):
    if event.startswith("ctypes."):
        _deny("ctypes (%s)" % event)
    if event in DENY_EVENTS:
        _deny(event)
    if event == "sys._getframe":
        caller = _frame(2)  # _check <- _hook <- the code that called sys._getframe
        if caller is None or _own(caller) or caller.f_code in ALLOW_GETFRAME:
            return
        _deny("frame access (sys._getframe)", ValueError, record=not _quiet(caller.f_code))
    elif event == "object.__getattr__":
        if args[1] not in FRAME_ATTRIBUTES:
            return
        if args[1] == "tb_frame" and _traceback_reader_ok(args[0]):
            return
        reader = _frame(2)  # _check <- _hook <- the code reading the attribute
        quiet = reader is not None and reader.f_code in QUIET_TB_READERS
        _deny("frame access (%s.%s)" % (type(args[0]).__name__, args[1]), record=not quiet)
    elif event == "object.__setattr__":
        obj, name = args[0], args[1]
        if isinstance(obj, FunctionType) and id(obj.__globals__) in PRE_DICTS:
            _deny("set %s of %s.%s" % (name, obj.__module__, obj.__qualname__))
        if isinstance(obj, type) and id(obj) in PRE_TYPES:
            _deny("set %s of the class %s.%s" % (name, obj.__module__, obj.__qualname__))
    elif event == "open":
        _check_open(args[0])


def _quiet(code):
    """logging's caller lookup: refused without a record (logging then names "(unknown file)"); nothing is
    handed out, so a look-alike gains nothing."""
    return code in QUIET_GETFRAME or (code.co_name == "<lambda>" and code.co_filename.endswith("logging/__init__.py"))


def _traceback_reader_ok(tb):
    """tb.tb_frame read by the driver's code, by traceback's extractor (frames stay inside it) or unittest's
    frame filter; never for a traceback that passes through the driver's own frames."""
    reader = _frame(3)  # _traceback_reader_ok <- _check <- _hook <- the reader
    if reader is None:
        return False
    if _own(reader):
        return True
    code = reader.f_code
    if code in TB_WALKERS:
        consumer = reader.f_back
        if consumer is None or consumer.f_code not in TB_CONSUMERS:
            return False
    elif code not in TB_READERS:
        return False
    return not _own(tb.tb_frame)


def _check_open(path):
    if PROC_DEV is None or isinstance(path, int):
        return
    if isinstance(path, bytes):
        path = path.decode("utf-8", "surrogateescape")
    if not isinstance(path, str):
        return
    tries = [path] if path.startswith("/") else [path, "/" + path]  # relative to a descriptor of "/" too
    for candidate in tries:
        try:
            if _stat(candidate).st_dev == PROC_DEV:
                _deny("opening %s (the process's own memory and descriptors live in /proc)" % path, PermissionError)
        except OSError:
            continue
