"""The integrity check of a real pytest run in the sandbox (standard library only; shipped as
rc_driver_pytest_integrity.py, loaded by the in-sandbox driver with a private copy of builtins before any candidate
exists, and used by the pytest runner, driver_pytest.py).

The candidate is imported in the same process as pytest, and pytest's objects are reachable from it (a config kept
by pytest's mark plugin, the session registered as a plugin, sys.meta_path's assertion rewriter). What it could
change to make a failing test report "passed", beyond what the guard already refuses (sealed classes, the
snapshot of pytest's, pluggy's and the standard library's module functions), is checked here before and after every
test: the hook relay and how it calls hooks; every hook implementation and every fixture function is a function
that existed before any candidate (pytest's, pluggy's, the environment's plugins'), one pytest made since from its
own code, or the project's own code (never the module under test); no method or property of the plugin manager,
the session, a hook caller or the test item is hidden by an instance attribute.

Honest limits: the project's own modules (test modules, conftest.py, helpers) can still be changed by the
candidate — their data, or code compiled under their file name into their namespace — and so can the values
tests compare with; a check between tests does not see a change made and undone within one test.
"""

import os
import sys
import types

from rc_driver_child import tampering

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET_FILE = ""  # the module under test: the candidate's code, never trusted
PRE_FUNCTIONS = frozenset()  # ids of every function that existed before any candidate
PRE_CODES = frozenset()  # ids of their code objects, nested ones included (pytest makes closures per run)
PRE_GLOBALS = frozenset()  # ids of the module dicts that existed before any candidate
KEEP = []  # keeps them alive (their ids stay theirs)
PRIVATE = {}  # pluggy's parts the check uses, bound before any candidate


def snapshot(pluggy, target_file):
    """In the driver, after pytest and its plugins are imported and before any candidate: what is trusted."""
    global TARGET_FILE, PRE_FUNCTIONS, PRE_CODES, PRE_GLOBALS
    import gc

    TARGET_FILE = target_file
    caller = type(_hook_caller(pluggy))
    PRIVATE.update(hookexec=pluggy.PluginManager._hookexec, caller=caller, get_hookimpls=caller.get_hookimpls,
                   get_plugins=pluggy.PluginManager.get_plugins,
                   multicall=pluggy.PluginManager("rc")._inner_hookexec)
    functions = [o for o in gc.get_objects() if isinstance(o, types.FunctionType)]
    codes, todo = {}, [fn.__code__ for fn in functions]
    while todo:
        code = todo.pop()
        if id(code) not in codes:
            codes[id(code)] = code
            todo += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    KEEP[:] = functions + list(codes.values())
    PRE_FUNCTIONS, PRE_CODES = frozenset(map(id, functions)), frozenset(codes)
    PRE_GLOBALS = frozenset(id(vars(m)) for m in list(sys.modules.values()) if isinstance(m, types.ModuleType))


def _hook_caller(pluggy):
    manager = pluggy.PluginManager("rc")
    manager.add_hookspecs(type("Spec", (), {"rc_probe": pluggy.HookspecMarker("rc")(lambda: None)}))
    return manager.hook.rc_probe


def _shadowed(obj):
    """Instance attributes that hide a method or property of the object's class (item.runtest = ...)."""
    found = []
    try:
        names = list(vars(obj))
    except TypeError:
        return found
    for name in names:
        for klass in type(obj).__mro__:
            attr = vars(klass).get(name)
            if attr is not None:
                if isinstance(attr, (types.FunctionType, property, staticmethod, classmethod)):
                    found.append(name)
                break
    return found


def _trusted(fn, modules, depth=0):
    """A function that existed before any candidate; one pytest made since from its own code (a closure whose
    captured functions are trusted too); or the project's own code (conftest.py, test modules, helpers: a module's
    function, compiled from that module's file), never the module under test. `modules`: id of a module's dict ->
    the module, for every loaded module and every module registered with pytest (a second conftest.py takes the
    first one's name in sys.modules)."""
    fn = getattr(fn, "__func__", fn)
    if id(fn) in PRE_FUNCTIONS:
        return True
    code, namespace = getattr(fn, "__code__", None), getattr(fn, "__globals__", None)
    if code is None or not isinstance(namespace, dict):
        return False
    if id(code) in PRE_CODES and id(namespace) in PRE_GLOBALS:
        cells = [c.cell_contents for c in (fn.__closure__ or ()) if _filled(c)]
        return depth < 3 and all(_trusted(v, modules, depth + 1) for v in cells if isinstance(v, types.FunctionType))
    module = modules.get(id(namespace))
    path = getattr(module, "__file__", None) or ""
    return (module is not None and vars(module) is namespace and os.path.abspath(path) == code.co_filename
            and path.startswith(HERE + os.sep) and os.path.abspath(path) != TARGET_FILE)


def _filled(cell):
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


def _describe_fn(fn):
    fn = getattr(fn, "__func__", fn)
    return "%s.%s" % (getattr(fn, "__module__", "?"), getattr(fn, "__qualname__", type(fn).__name__))


def integrity(config, session, item=None):
    """What the candidate changed in pytest's machinery so far (None when nothing)."""
    why = tampering()
    if why:
        return why
    manager = config.pluginmanager
    relay = vars(config).get("hook")  # pytest 7: the manager's relay; pytest 8: a proxy holding it
    if (relay is not manager.hook and manager.hook not in list(getattr(relay, "__dict__", {}).values())) or vars(
            manager).get("_inner_hookexec") is not PRIVATE["multicall"]:
        return "replaced pytest's hook relay or caller"
    for owner, label in ((manager, "the plugin manager"), (session, "the session"), (item, "the test item")):
        shadowed = _shadowed(owner) if owner is not None else []
        if shadowed:
            return "replaced %s on %s" % (", ".join(shadowed[:3]), label)
    loaded = list(sys.modules.values()) + list(PRIVATE["get_plugins"](manager)) + [
        getattr(i, "module", None) for i in list(getattr(session, "items", None) or [])]
    modules = {id(vars(m)): m for m in loaded if isinstance(m, types.ModuleType)}
    for name, caller in list(vars(manager.hook).items()):
        if type(caller) is not PRIVATE["caller"] or _shadowed(caller):
            return "replaced pytest's hook %s" % name
        hookexec = getattr(caller, "_hookexec", None)  # an instance attribute, or a slot (pluggy 1.5)
        if getattr(hookexec, "__func__", None) is not PRIVATE["hookexec"] or hookexec.__self__ is not manager:
            return "replaced how pytest calls the hook %s" % name
        for impl in PRIVATE["get_hookimpls"](caller):
            if not _trusted(impl.function, modules):
                return "added its own implementation of pytest's hook %s (%s)" % (name, _describe_fn(impl.function))
    fixtures = getattr(session, "_fixturemanager", None)
    for name, defs in list(getattr(fixtures, "_arg2fixturedefs", {}).items()):
        for definition in defs:
            if not _trusted(definition.func, modules):
                return "replaced the fixture %s (%s)" % (name, _describe_fn(definition.func))
    return None
