"""Receivers of a method: the instances (or the class, for a classmethod or staticmethod) that the tests call
`Class.method` on, read from the tests' text, so that the differential and state checks and the default
workload call the method the way the tests do.

A receiver is an expression the in-sandbox driver evaluates in the target module's namespace before each call
(orchestrator/verify/running/in_sandbox/driver_child.py): `IndexedSet(range(1000))`, or, when the test changed the
instance before the call, a recipe that replays those changes on a fresh instance:
`(_rc_receiver := IndexedSet(range(1000)), _rc_receiver.difference_update(set(range(0, 1000, 2))), _rc_receiver)[-1]`.
Every call runs in a process forked for it alone, so each call gets an instance no other call touched (what a
copy.deepcopy of a shared receiver would give, without needing the object to be deep-copyable).

What is read (per test function, in source order; a unittest class's setUp first): `x = Class(...)` or
`x = Class.alt_constructor(...)` starts a recipe for `x` (or `self.x`); `x.other(...)` and `x op= ...` as
statements extend it; any other assignment to `x`, or a change made inside a loop or a branch, ends it. A pytest
fixture (in the test file or a conftest.py) that returns or yields such an instance gives it to the tests that
take the fixture. A call `x.method(...)` -- or `Class(...).method(...)` -- records the receiver, and the call
itself when its arguments are portable. Portable: every name in it is a builtin, a name of the target module, or
a value the test bound to such an expression earlier (inlined). Anything else (a loop variable, a fixture's
value that is not an instance) is left out: the receiver still serves generated arguments. The walk over one
file is orchestrator/verify/method_calls/recipes.py.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from orchestrator.target import Target
from orchestrator.verify.method_calls.methods import class_path, method_kind
from orchestrator.verify.method_calls.recipes import MethodCalls, Reader, key_of

__all__ = ["MethodCalls", "find", "read_tests"]


def _is_fixture(fn: ast.AST) -> bool:
    """A pytest fixture: decorated with `fixture` / `pytest.fixture`, called or not."""
    for dec in getattr(fn, "decorator_list", []):
        node = dec.func if isinstance(dec, ast.Call) else dec
        if (isinstance(node, ast.Name) and node.id == "fixture") or (isinstance(node, ast.Attribute)
                                                                    and node.attr == "fixture"):
            return True
    return False


def _fixtures(reader: Reader, tree: ast.Module, known: dict[str, list]) -> dict[str, list]:
    """The file's fixtures that give an instance: name -> recipe (what it returns or yields, built from other
    fixtures' instances where it takes them)."""
    found = dict(known)
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or not _is_fixture(node):
            continue
        recipes = reader.read_function(node, _given(node, found))
        given = next((stmt.value if isinstance(stmt, ast.Return) else stmt.value.value for stmt in node.body
                      if isinstance(stmt, ast.Return) or (isinstance(stmt, ast.Expr) and isinstance(
                          stmt.value, ast.Yield))), None)
        if given is None:
            continue
        key = key_of(given)
        if key in recipes:
            found[node.name] = recipes[key]
        else:
            value = reader.portable(given, {})
            if value is not None and reader.constructs(value):
                found[node.name] = [value]
    return found


def _given(fn: ast.AST, fixtures: dict[str, list]) -> dict[str, list]:
    """The recipes a test (or fixture) starts with: the instances of the fixtures it takes."""
    return {a.arg: fixtures[a.arg] for a in fn.args.args + fn.args.kwonlyargs if a.arg in fixtures}


def read_tests(target: Target, sources: list[str], docstrings: list[str] | None = None,
               conftests: list[str] | None = None) -> MethodCalls:
    """The receivers and receiver calls of `target` (a method) in the test sources and doctest texts; the
    conftest.py texts give fixtures (an instance a fixture returns is a receiver of the tests that take it)."""
    found = MethodCalls()
    if method_kind(target) is None:
        return found
    shared: dict[str, list] = {}
    for text in conftests or []:
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        shared = _fixtures(Reader(target, tree, MethodCalls()), tree, shared)
    for text in sources:
        if target.name not in text:
            continue
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        reader = Reader(target, tree, found)
        fixtures = _fixtures(Reader(target, tree, MethodCalls()), tree, shared)
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not _is_fixture(node):
                reader.read_function(node, _given(node, fixtures))
            elif isinstance(node, ast.ClassDef):
                methods = [n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
                setup = next((m for m in methods if m.name in ("setUp", "setup_method")), None)
                start = reader.read_function(setup, {}) if setup is not None else {}
                for method in methods:
                    if method is not setup and not _is_fixture(method):
                        reader.read_function(method, {**start, **_given(method, fixtures)})
    for doc in docstrings or []:
        lines = [m.group(1) for m in re.finditer(r"^\s*>>> (.*)$", doc or "", re.M)]
        body = []
        for line in lines:
            try:
                body += ast.parse(line).body
            except SyntaxError:
                continue
        if body:
            fake = ast.parse("def doctest():\n    pass\n").body[0]
            fake.body = body
            Reader(target, ast.Module(body=[], type_ignores=[]), found).read_function(fake, {})
    if method_kind(target) == "class" and class_path(target) not in found.receivers:
        found.receivers.append(class_path(target))  # the class itself is always at hand
    return found


def test_sources(target: Target, suite) -> list[str]:
    """The texts of the suite's test files (the project's on disk, --tests files from outside it as shipped)."""
    texts = []
    for test in getattr(suite, "tests", []) or []:
        if test.kind != "file" or not test.path:
            if test.kind == "program" and test.source:
                texts.append(test.source)
            continue
        where, _, rel = test.path.partition("/")
        if where == "extra":
            text = suite.extra_files.get(rel)
        else:
            try:
                text = (Path(target.root) / rel).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                text = None
        if text:
            texts.append(text)
    return texts


def class_docstring(target: Target) -> str | None:
    """The docstring of the method's class (its examples often build the instance)."""
    try:
        tree = ast.parse(target.text)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == target.class_name:
            return ast.get_docstring(node)
    return None


def conftest_sources(target: Target) -> list[str]:
    """The project's conftest.py files, outermost first (a nearer one's fixture of the same name wins)."""
    from orchestrator.verify.running.pyjobs import SKIP_DIRS

    root = Path(target.root)
    texts = []
    for path in sorted(root.rglob("conftest.py"), key=lambda p: len(p.parts)):
        if any(part in SKIP_DIRS or part.startswith(".") for part in path.relative_to(root).parts[:-1]):
            continue
        try:
            texts.append(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
    return texts


def find(target: Target, suite) -> MethodCalls:
    """The receivers of `target` in the suite's tests (with the project's conftest fixtures), the method's
    doctests and its class's doctests."""
    return read_tests(target, test_sources(target, suite), [target.docstring or "", class_docstring(target) or ""],
                      conftest_sources(target))
