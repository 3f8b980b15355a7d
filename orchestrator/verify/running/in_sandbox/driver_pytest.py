"""Real pytest in the sandbox, for projects that use it (standard library plus the pytest that the workspace's
environment layer or the image provides; shipped as rc_driver_pytest.py and loaded by the in-sandbox driver,
driver.py, with a private copy of builtins, before any candidate code exists).

The project's tests run under pytest itself: its conftest.py files, fixtures (tmp_path, monkeypatch, the project's
own), parametrize, marks and assertion rewriting apply. Results come back per test as data on the driver's result
pipe (the process's token), never as log text: "passed", "failed" (with `detail`: the failure's own message, for a
rewritten assert the compared values) or "not run" with the reason (a skip, an expected failure, a fixture that is
not defined, a test module or conftest.py that fails to import): nothing that did not run counts as passed.

The candidate is imported in this process by the tests (or a conftest), beside pytest. So:
* load() (in the driver): pytest, its built-in plugins, the environment's pytest plugins and the reporting plugin
  (pytest_plugin.py) are imported before any candidate exists; the guard then seals their classes and snapshots
  their modules' functions like the standard library's (driver_guard.py), and records every function that exists
  (a hook or fixture must be one of them, or the project's own code);
* the runner drives pytest's session itself, on the guard's worker thread: collection, then each selected test
  through pytest's runtestprotocol, whose reports come back to this code's frames (hidden from the candidate). The
  reporting plugin builds reports without reading frames (pytest's own report code reads them; the guard refuses
  that quietly, nothing is handed out) and holds nothing of the driver's;
* before and after every test, integrity() (driver_pytest_integrity.py): nothing the guard refused, no rebound
  function of pytest, pluggy or the standard library, no hook or fixture implementation that is not pytest's, the
  environment's or the project's own code (a plugin the candidate registers through a config it found), no hook
  caller or item method replaced on the instance. The first finding ends the run as tampered: every test failed.

mode "select" (no guard: it runs the ORIGINAL only, once, before any candidate) runs every test of the project's
test files with a call hook (the target wrapped where it is defined; sys.settrace's call events when it cannot be)
and reports which ones call it: the tests that reach it through other functions are selected with the ones that
name it.
"""

import functools
import importlib
import importlib.util
import os
import sys
import threading
import time
import types

import rc_driver_guard as GUARD
import rc_driver_pytest_integrity as INTEGRITY
from rc_driver_child import describe, tampering
from rc_driver_pytest_integrity import integrity
from rc_driver_pytest_results import (collection_failure, conftest_failure, outcome, root_cause,
                                      traceback_text)
from rc_driver_tests import Tampered, result

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "project")
# No cache or step files (the project copy is read-only to the tests: a written file is tampering), no debugger,
# no faulthandler (its stderr duplicate), no pastebin; the project's addopts are dropped (xdist's -n, coverage
# options): this runner chooses how tests run, the project's conftest.py and ini options still apply.
OPTIONS = ["-p", "no:cacheprovider", "-p", "no:debugging", "-p", "no:faulthandler", "-p", "no:pastebin",
           "-p", "no:stepwise", "-p", "no:legacypath", "-o", "addopts=", "--capture=sys", "-q", "--color=no",
           "--rootdir", ROOT]
# What pytest 8 and later replace for the length of a run (and put back at its end): not the candidate's doing.
RUN_HOOKS = (("threading", ("excepthook",)),)

PLUGIN = None  # the reporting plugin (rc_pytest_plugin)
LEGACY = None  # pytest's legacypath plugin without its class patches (made once here, before the seal)
PRIVATE = {}  # pytest's parts the runner uses, bound before any candidate


def _site_ahead(site):
    """The workspace's layer before the image's packages, when it brings its own pytest."""
    if not site or not os.path.isdir(os.path.join(site, "_pytest")):
        return
    site = os.path.abspath(site)
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != site]
    at = max([i + 1 for i, p in enumerate(sys.path) if os.path.abspath(p or os.curdir).startswith(HERE + os.sep)]
             or [0])
    sys.path.insert(at, site)


def load(site, target_rel):
    """In the driver, before any candidate: real pytest (never the shim), its plugins and ours."""
    global PLUGIN, LEGACY
    shim = os.path.join(HERE, "shim")
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != shim]
    _site_ahead(site)
    import pluggy
    import pytest  # noqa: F401 - imported here, sealed by the guard
    from _pytest.config import builtin_plugins, default_plugins

    for name in sorted(set(default_plugins) | set(builtin_plugins)):
        try:
            importlib.import_module(name if "." in name or name == "pytest" else "_pytest." + name)
        except BaseException:  # noqa: B036 - a plugin this pytest does not have
            continue
    try:
        from importlib.metadata import entry_points

        for entry in entry_points(group="pytest11"):  # the environment's pytest plugins
            try:
                importlib.import_module(entry.module)
            except BaseException:  # noqa: B036 - pytest reports it when it loads it
                continue
    except BaseException:  # noqa: B036
        pass
    spec = importlib.util.spec_from_file_location("rc_pytest_plugin", os.path.join(HERE, "rc_pytest_plugin.py"))
    PLUGIN = importlib.util.module_from_spec(spec)
    sys.modules["rc_pytest_plugin"] = PLUGIN
    spec.loader.exec_module(PLUGIN)
    LEGACY = _legacy_path()
    _mark_node_classes()
    from _pytest.assertion import util
    from _pytest.config import _prepareconfig
    from _pytest.main import wrap_session
    from _pytest.runner import runtestprotocol
    from _pytest.warnings import catch_warnings_for_item

    PRIVATE.update(prepareconfig=_prepareconfig, wrap_session=wrap_session, runtestprotocol=runtestprotocol,
                   catch_warnings=catch_warnings_for_item, util=util)
    INTEGRITY.snapshot(pluggy, os.path.join(HERE, target_rel))  # last: every function that exists now is trusted


class _EarlyConfig:
    def add_cleanup(self, fn):
        """The patches stay: the classes are sealed after this."""


def _legacy_path():
    """pytest's legacypath plugin (tmpdir, config.rootdir, request.fspath) patches pytest's classes when each run
    starts, which a sealed class refuses: its patches are made once here, and the runs get a plugin with the rest of
    it (its configure hook registers the tmpdir fixtures)."""
    try:
        import _pytest.legacypath as legacy
    except ImportError:
        return None
    legacy.pytest_load_initial_conftests(_EarlyConfig())
    plugin = types.ModuleType("rc_legacypath")
    for name in ("pytest_configure", "pytest_plugin_registered"):
        if hasattr(legacy, name):
            setattr(plugin, name, getattr(legacy, name))
    return plugin


def _mark_node_classes():
    """pytest marks each Item class the first time one is made (a warning shown once); its own classes are sealed
    after this, so they get the mark here."""
    from _pytest.nodes import Item

    todo = [Item]
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if cls.__module__.split(".")[0] in ("_pytest", "pytest"):
            setattr(cls, "_pytest_diamond_inheritance_warning_shown", True)


# -- the run -------------------------------------------------------------------------------------------


def _wanted(spec, skip):
    selected = spec.get("selected")
    only = set(spec.get("only") or [])

    def want(item):
        if item.nodeid in skip:
            return False
        if selected is not None:
            return item.nodeid in selected
        cls = getattr(item, "cls", None)
        return not only or getattr(item, "originalname", item.name) in only or (
            cls is not None and cls.__name__ in only) or item.name in only

    return want


def _run_item(item, nextitem):
    config = item.config
    util = PRIVATE["util"]
    util._reprcompare = PLUGIN.reprcompare
    try:
        item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        with PRIVATE["catch_warnings"](config, ihook=item.ihook, when="runtest", item=item):
            reports = PRIVATE["runtestprotocol"](item, log=True, nextitem=nextitem)
        item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        return reports
    finally:
        util._reprcompare = None


def session_main(emit, spec, skip, config, session, tracer=None):
    """Collection, then each wanted test in order (tracer: the select mode's call hook, per test)."""
    suite = spec["suite"]
    for module, names in RUN_HOOKS:
        GUARD.accept_current(module, names)
    del PLUGIN.COLLECT_FAILURES[:]
    config.hook.pytest_collection(session=session)
    failures = list(PLUGIN.COLLECT_FAILURES)
    for report in failures:
        why = tampering(root_cause(getattr(report, "rc_exception", None)))  # a sealed class refused the import
        if why and tracer is None:
            raise Tampered(why)
        if report.nodeid not in skip and tracer is None:
            emit({"start": report.nodeid or spec["path"]})
            emit({"result": collection_failure(suite, report)})
    want = _wanted(spec, skip)
    items = [item for item in session.items if want(item)]
    seen = set()
    for index, item in enumerate(items):
        seen.add(item.nodeid)
        emit({"start": item.nodeid})
        if tracer is None:
            why = integrity(config, session, item)
            if why:
                raise Tampered(why)
        elif tracer.out_of_time():
            emit({"error": "the traced run's time ran out before %s" % item.nodeid})
            return
        nextitem = items[index + 1] if index + 1 < len(items) else None
        try:
            if tracer is not None:
                tracer.start()
            reports = _run_item(item, nextitem)
        except BaseException as exc:  # noqa: B036 - pytest.exit(), KeyboardInterrupt: the run ends here
            why = tampering(exc)
            if why:
                raise Tampered(why) from None
            if tracer is None:
                emit({"result": result(suite, item.nodeid, "failed", "the test ended pytest's run: " + describe(exc))})
            return
        finally:
            if tracer is not None:
                tracer.stop()
        if tracer is not None:
            emit({"select": {"path": spec["path"], "nodeid": item.nodeid, "covers": tracer.hit,
                             "name": getattr(item, "originalname", item.name),
                             "cls": getattr(getattr(item, "cls", None), "__name__", None)}})
            continue
        why = integrity(config, session, item)
        for report in reports:
            why = why or tampering(getattr(report, "rc_exception", None))
        if why:
            raise Tampered(why)
        emit({"result": outcome(suite, item, reports)})
    for nodeid in spec.get("selected") or []:
        if nodeid not in seen and nodeid not in skip and tracer is None and not failures:
            emit({"start": nodeid})
            emit({"result": result(suite, nodeid, "not run", "not collected: pytest found no such test")})


def run_pytest(emit, spec, skip, tracer=None):
    """One test source's tests under pytest (spec: suite, path (or paths), only or selected node ids)."""
    paths = [os.path.join(HERE, p) for p in spec.get("paths") or [spec["path"]]]
    kept = [o for o in spec.get("options") or [] if o.startswith("--import-mode=")]  # the project's, kept
    args = paths + OPTIONS + kept
    try:
        config = PRIVATE["prepareconfig"](args, plugins=[PLUGIN] + ([LEGACY] if LEGACY is not None else []))
    except BaseException as exc:  # noqa: B036 - a conftest that does not import, a bad ini option
        why = tampering(exc)
        if why:
            raise Tampered(why) from None
        if tracer is None:
            emit({"start": spec["path"]})
            emit({"result": conftest_failure(spec["suite"], spec["path"], exc)})
        return
    outcome_box = []

    def doit(config, session):
        try:
            session_main(emit, spec, skip, config, session, tracer)
        except BaseException as exc:  # noqa: B036 - kept from pytest's own handler (it reads frames)
            outcome_box.append(exc)
        return 0

    PRIVATE["wrap_session"](config, doit)
    for module, names in RUN_HOOKS:
        GUARD.accept_current(module, names)
    if outcome_box:
        exc = outcome_box[0]
        if isinstance(exc, Tampered):
            raise exc
        why = tampering(exc)
        if why:
            raise Tampered(why)
        emit({"result": result(spec["suite"], spec["path"], "failed",
                               "pytest's run failed: " + traceback_text(exc))})


def run_tests(emit, module_name, qualname, spec, skip):
    """The driver's entry for a test source whose runner is pytest (same protocol as driver_tests.run_tests)."""
    try:
        run_pytest(emit, spec, skip)
    except Tampered as exc:
        emit({"tampered": str(exc)})
        return
    why = tampering()
    if why:
        emit({"tampered": why})
        return
    emit({"end": True})


# -- select: which tests run the target (the original, once) ------------------------------------------


class CallHook:
    """Whether a test called the target. The target is wrapped where it is defined (and where a loaded module
    re-exports it) by a function that notes the call: nothing else pays. A target that cannot be wrapped (a
    property, a decorated object that is not a function) is found by sys.settrace's call events instead (no line
    tracing): every Python call then pays a little."""

    def __init__(self, path, first, last, module_name, qualname, stop_at=None):
        self.path, self.first, self.last = path, first, last
        self.hit, self.stop_at = False, stop_at  # stop_at: time.monotonic() (one clock for every process)
        try:
            self.wrapped = self._wrap(module_name, qualname)
        except BaseException:  # noqa: B036 - the original's own import failure shows in its tests
            self.wrapped = False

    def _wrap(self, module_name, qualname):
        module = importlib.import_module(module_name)
        owner, parts = module, (qualname or "").split(".")
        for part in parts[:-1]:
            owner = getattr(owner, part)
        name = parts[-1]
        raw = vars(owner).get(name) if isinstance(owner, (type, types.ModuleType)) else None
        kind = type(raw) if isinstance(raw, (staticmethod, classmethod)) else None
        function = raw.__func__ if kind is not None else raw
        if not isinstance(function, types.FunctionType):
            return False
        hook = self

        @functools.wraps(function)
        def counted(*args, **kwargs):
            hook.hit = True
            return function(*args, **kwargs)

        setattr(owner, name, kind(counted) if kind is not None else counted)
        for loaded in list(sys.modules.values()):  # `from .more import *` in a package's __init__
            namespace = getattr(loaded, "__dict__", None)
            if isinstance(namespace, dict) and loaded is not owner:
                for key, value in list(namespace.items()):
                    if value is function:
                        namespace[key] = counted
        return True

    def out_of_time(self):
        return self.stop_at is not None and time.monotonic() > self.stop_at

    def _trace(self, frame, event, arg):
        code = frame.f_code
        if code.co_filename == self.path and self.first <= code.co_firstlineno <= self.last:
            self.hit = True
        return None

    def start(self):
        self.hit = False
        if not self.wrapped:
            threading.settrace(self._trace)
            sys.settrace(self._trace)

    def stop(self):
        if not self.wrapped:
            sys.settrace(None)
            threading.settrace(None)


def select(emit, spec, skip=frozenset(), stop_at=None):
    """Every test of the project's test files (spec["files"]), each reported with whether it ran the target (those
    in `skip` ran in an earlier process, which one of them ended)."""
    hook = CallHook(os.path.join(HERE, spec["target"]), int(spec["first"]), int(spec["last"]), spec.get("module"),
                    spec.get("qualname"), stop_at)
    try:
        run_pytest(emit, {"suite": "user", "path": "select", "paths": spec["files"], "options": spec.get("options")},
                   skip, tracer=hook)
    except BaseException as exc:  # noqa: B036 - what was reported so far stands
        emit({"error": describe(exc)})
    emit({"end": True})
