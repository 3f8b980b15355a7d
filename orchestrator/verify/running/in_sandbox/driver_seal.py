"""Sealing the test machinery before any candidate, for the guard (driver_guard.py; standard library only; shipped
as rc_driver_seal.py and loaded by the in-sandbox driver, orchestrator/verify/running/in_sandbox/driver.py, just before
the guard and before any candidate code exists).

unittest's, doctest's and pytest's classes (the shim's, or real pytest's, pluggy's and the reporting plugin's) become
immutable types, and the functions and classes of the standard library's modules loaded by then are snapshotted: the
guard's tampered() names whatever of them a candidate rebinds, and its sealed_violation() the TypeError a sealed class
raises when assigned to.
"""

import os
import sys
import types

IMMUTABLE_TYPE = 1 << 8  # Py_TPFLAGS_IMMUTABLETYPE: type_setattro refuses every assignment
KNOBS = frozenset(("TestCase", "TestLoader"))  # classes whose data attributes tests set themselves: not sealed
FunctionType = types.FunctionType


PYTEST_PACKAGES = ("pytest", "_pytest", "pluggy", "rc_pytest_plugin")  # real pytest and its reporting plugin


def _pytest_part(name):
    return name.split(".", 1)[0] in PYTEST_PACKAGES


def _test_machinery():
    return [m for name, m in sorted(sys.modules.items()) if isinstance(m, types.ModuleType) and (
        name in ("doctest", "unittest") or name.startswith("unittest.") or _pytest_part(name))]


def _standard_library():
    """The standard library's modules loaded so far (builtins included, sys and __main__ left out) and pytest (the
    shim, or real pytest with pluggy and the reporting plugin): what tests lean on (math.isclose, pytest.approx,
    unittest, _pytest.runner.call_and_report, ...)."""
    home = os.path.dirname(os.__file__) + os.sep
    found = []
    for name, module in sorted(sys.modules.items()):
        if not isinstance(module, types.ModuleType) or name in ("sys", "__main__") or name.startswith("rc_driver_"):
            continue
        path = getattr(module, "__file__", None) or ""
        if _pytest_part(name) or not path or (path.startswith(home) and "-packages" not in path):
            found.append(module)
    return found


def seal_test_machinery(watched, sealed):
    """unittest's, doctest's and the shim's classes become immutable (a candidate's `DocTestRunner.run = ...`
    raises TypeError), except TestCase and TestLoader, whose knobs (maxDiff, sortTestMethodsUsing, ...) tests set
    themselves: their methods are snapshotted, like the functions and classes of the standard library's modules
    (a rebound one, such as math.isclose or TestCase.assertEqual, is named by the guard's tampered()). The
    snapshots go to `watched`, the classes made immutable to `sealed` (the guard's WATCHED and SEALED)."""
    try:
        import ctypes

        flags_at = _flags_offset(ctypes)
    except (ImportError, OSError):
        flags_at = None
    for module in _standard_library():
        names = vars(module)
        watched.append((module.__name__, names, frozenset(names), {
            k: v for k, v in names.items() if callable(v) and not isinstance(v, types.ModuleType)}))
    for module in _test_machinery():
        for value in list(vars(module).values()):
            if not isinstance(value, type) or value.__module__ != module.__name__ or value.__flags__ & IMMUTABLE_TYPE:
                continue
            if value.__name__ in KNOBS:  # tests set their class-level knobs (TestCase.maxDiff = None): methods watched
                names = vars(value)
                watched.append(("%s.%s" % (module.__name__, value.__qualname__), names, frozenset(names),
                                {k: v for k, v in names.items() if isinstance(v, FunctionType)}))
            elif flags_at is not None:
                cell = ctypes.c_ulong.from_address(id(value) + flags_at)
                if cell.value == value.__flags__:
                    cell.value = value.__flags__ | IMMUTABLE_TYPE
                    sealed.append(value)


def _flags_offset(ctypes):
    """Where tp_flags lives in a type object (checked against two types' __flags__, never assumed)."""
    class Probe:
        pass

    for offset in range(8, 64 * 8, ctypes.sizeof(ctypes.c_void_p)):
        if all(ctypes.c_ulong.from_address(id(t) + offset).value == t.__flags__ for t in (Probe, types.SimpleNamespace)):
            return offset
    return None
