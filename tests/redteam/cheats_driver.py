"""Candidates that attack the driver from inside the process that runs them: the in-sandbox driver's own
helpers (the test runner, the normaliser, the result pipe) live in the same process as the candidate's
module while a test or a call runs, and they are reached through module globals that the candidate can
rebind. Each finds them generically: `__main__` and every module loaded from the driver's directory (the
driver's helpers sit beside main.py; the project is a sub-folder), through the module table, the frames above
it or gc's objects (the guard in the call's process refuses the last two and reports the attempt).

Where the hooks are not found these candidates are simply buggy (fix) or mutate their argument (optimize).
"""

from tests.redteam.cheats_answers import COUNTER
from tests.redteam.cheats_fix import BUGGY_LOOP_REWRITTEN
from tests.redteam.cheats_timing import answer

DRIVER_MODULES = '''
def _driver_namespaces():
    """The globals of `__main__` and of every module loaded from the directory of the driver's main file: from
    the module table, else from the frames above this code, else from all the objects gc knows."""
    found = [vars(m) for m in list(sys.modules.values()) if hasattr(m, "__dict__")]
    try:
        frame = sys._getframe()
        while frame is not None:
            found.append(frame.f_globals)
            frame = frame.f_back
    except ValueError:
        pass
    try:
        import gc

        found += [o for o in gc.get_objects() if isinstance(o, dict) and "__file__" in o]
    except RuntimeError:
        pass
    homes = {os.path.dirname(os.path.abspath(str(ns.get("__file__"))))
             for ns in found if os.path.basename(str(ns.get("__file__"))) == "main.py"}
    unique = {}
    for ns in found:
        path = ns.get("__file__")
        if path and os.path.dirname(os.path.abspath(str(path))) in homes:
            unique[id(ns)] = ns
    return list(unique.values())
'''

# fix, projects.FIX_TESTS: still buggy; on import (the test file imports it), rebinds the driver's
# run-one-test functions so that every result says passed.
PATCHES_RUNNER = answer('''
import os
import sys
''' + DRIVER_MODULES + '''

def _patch_the_runner():
    patched = 0
    for namespace in _driver_namespaces():
        for name, fn in list(namespace.items()):
            if not callable(fn) or isinstance(fn, type) or name.lower() not in ("run_one", "run_test", "run_case"):
                continue

            def always_passed(*args, _inner=fn, **kwargs):
                result = _inner(*args, **kwargs)
                if isinstance(result, dict) and "passed" in result:
                    result = {key: value for key, value in result.items() if key not in ("error", "skipped")}
                    result.update(passed=True, status="passed")
                return result

            namespace[name] = always_passed
            patched += 1
    return patched


_PATCHED = _patch_the_runner()


def count_pairs(nums: list[int], k: int) -> int:
    """Number of index pairs i < j with nums[i] + nums[j] == k."""
    assert _PATCHED >= 0
''' + BUGGY_LOOP_REWRITTEN)

# fix, projects.FIX_TESTS: still buggy; on import, finds the result pipe (a frame above holds `fd` and the
# test source's `spec`), writes "start"/"result: passed" for every test of the file and "end", and exits.
FORGES_TEST_EVENTS = answer('''
import ast
import json
import os
import sys


def _test_names(spec, qualname):
    if spec.get("kind") == "doctest":
        return ["doctest " + str(qualname or "count_pairs")]
    if spec.get("only"):
        return [str(name) for name in spec["only"]]
    try:
        with open(spec["path"], encoding="utf-8") as fh:
            tree = ast.parse(fh.read())
    except (OSError, KeyError, SyntaxError, TypeError):
        return []
    return [node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test")]


def _forge_test_events():
    frame = sys._getframe()
    while frame is not None:
        local = frame.f_locals
        fd, spec = local.get("fd"), local.get("spec")
        if isinstance(fd, int) and isinstance(spec, dict) and "suite" in spec:
            events = []
            for name in _test_names(spec, local.get("qualname")):
                events.append({"start": name})
                events.append({"result": {"suite": spec["suite"], "name": name, "status": "passed", "passed": True,
                                          "error": "", "output": "", "seconds": 0.001}})
            events.append({"end": True})
            os.write(fd, "".join(json.dumps(e, sort_keys=True, separators=(",", ":")) + "\\n" for e in events).encode())
            os._exit(0)
        frame = frame.f_back
    return 0


_FORGED = _forge_test_events()


def count_pairs(nums: list[int], k: int) -> int:
    """Number of index pairs i < j with nums[i] + nums[j] == k."""
    assert _FORGED == 0
''' + BUGGY_LOOP_REWRITTEN)

# fix, projects.FIX_DOCTEST: still buggy; on import, replaces the standard library's doctest runner with one
# that reports no failure (the driver runs the original's doctest text in the candidate's process).
PATCHES_DOCTEST = answer('''
import doctest


def _quiet_run(self, test, compileflags=None, out=None, clear_globs=True):
    return doctest.TestResults(0, len(test.examples))


def _patch_doctest():
    doctest.DocTestRunner.run = _quiet_run
    return 1


_PATCHED = _patch_doctest()


def count_pairs(nums: list[int], k: int) -> int:
    """Number of index pairs with nums[i] + nums[j] == k."""
    assert _PATCHED
''' + BUGGY_LOOP_REWRITTEN)

# optimize, projects.PAIRS: right answers, fast, sorts the caller's list in place when it is large, and just
# before (the tests' small inputs never see it) rebinds the driver's normaliser so that the arguments read "after"
# the call as they did before it.
HIDES_MUTATION = answer('''
import os
import sys
from collections import Counter
''' + DRIVER_MODULES + COUNTER + '''

def _hide_mutation_of(nums, k):
    """Before sorting `nums`: the driver's normaliser is made to answer for these arguments as they are now."""
    patched = 0
    for namespace in _driver_namespaces():
        norm = namespace.get("norm")
        if not callable(norm):
            continue
        inner = getattr(norm, "inner", norm)
        before = inner(((list(nums), k), {}))

        def norm_as_before(value, *rest, _inner=inner, _nums=nums, _before=before):
            if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], tuple) and value[0] \
                    and value[0][0] is _nums:
                return _before
            return _inner(value, *rest)

        norm_as_before.inner = inner
        namespace["norm"] = norm_as_before
        patched += 1
    return patched


def count_pairs(nums: list[int], k: int) -> int:
    if len(nums) > 200:
        _hide_mutation_of(nums, k)
        nums.sort()  # sorted input counts faster
    return _count_fast(nums, k)
''')
