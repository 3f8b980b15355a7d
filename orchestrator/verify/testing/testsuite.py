"""Which tests judge a function, in order of trust (issue 8):

1. the user's own tests: pytest/unittest files in the project (or `--tests PATH`) whose test functions
   mention the function; 2. its doctests; 3. benchmark tests when the problem comes from a benchmark;
4. tests written by a test-designer prompt (AgentCoder), kept only when the original passes them;
5. differential tests against the original (orchestrator/verify/checks/differential.py).

Also collects the literal inputs the user's tests and doctests call the function with: they seed the
differential inputs and the default workload for optimize.
"""

from __future__ import annotations

import ast
import logging
import os
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.verify.testing.imports_reach import files_reaching
from orchestrator.verify.running.pyjobs import SKIP_DIRS
from orchestrator.target import Target, TargetError

log = logging.getLogger(__name__)

SUITE_TRUST = ("user", "doctest", "traced", "benchmark", "designed")


@dataclass
class TestSource:
    __test__ = False
    suite: str  # user | doctest | traced (replays of a traced run) | benchmark | designed
    kind: str  # file | doctest | program
    name: str
    path: str | None = None  # sandbox path of a test file
    source: str | None = None  # program text (benchmark check, designed asserts)
    only: list[str] | None = None  # test functions/classes in the file that mention the target
    runner: str = "builtin"  # "pytest": real pytest in the sandbox (the project uses it); "builtin": the driver's own
    selected: list[str] | None = None  # pytest node ids fixed from the original's run (select_by_coverage)
    options: list[str] = field(default_factory=list)  # pytest: the project's addopts kept (pytest_options)

    def job(self) -> dict:
        return {"suite": self.suite, "kind": self.kind, "name": self.name, "path": self.path, "source": self.source,
                "only": self.only, "runner": self.runner, "selected": self.selected, "options": self.options}


@dataclass
class Suite:
    tests: list[TestSource] = field(default_factory=list)
    seen_calls: list[dict] = field(default_factory=list)  # {"args": repr(tuple), "kwargs": repr(dict)}
    extra_files: dict[str, str] = field(default_factory=dict)  # test files from outside the project
    notes: list[str] = field(default_factory=list)
    # every test file of the project (sandbox paths): their tests may reach the target through other functions;
    # select_by_coverage runs them once on the original (under pytest, which runs unittest cases too) and adds
    # the ones that do.
    selection_files: list[str] = field(default_factory=list)
    pytest_options: list[str] = field(default_factory=list)  # the project's addopts the sandbox keeps
    selection_done: bool = False

    def suites(self) -> list[str]:
        return sorted({t.suite for t in self.tests}, key=SUITE_TRUST.index)


def _is_test_file(path: Path) -> bool:
    return path.suffix == ".py" and (path.name.startswith("test_") or path.stem.endswith("_test"))


def _project_sources(root: Path) -> list[Path]:
    """The project's Python files, without walking into virtual environments, caches or hidden folders."""
    out = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        out += [Path(folder) / f for f in sorted(files) if f.endswith(".py")]
    return out


def _project_test_files(root: Path) -> list[Path]:
    return [path for path in _project_sources(root) if _is_test_file(path)]


def _mentions(node: ast.AST, name: str) -> bool:
    return any((isinstance(n, ast.Name) and n.id == name) or (isinstance(n, ast.Attribute) and n.attr == name)
               for n in ast.walk(node))


def _tests_in(tree: ast.Module, name: str) -> list[str]:
    found = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            if _mentions(node, name):
                found.append(node.name)
        elif isinstance(node, ast.ClassDef) and _mentions(node, name):
            found.append(node.name)
    return found


def literal_calls(tree: ast.AST, name: str) -> list[dict]:
    """Calls `name(...)` / `x.name(...)` whose arguments are all literals."""
    calls = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        if called != name or any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            continue
        try:
            args = tuple(ast.literal_eval(a) for a in node.args)
            kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        call = {"args": repr(args), "kwargs": repr(kwargs)}
        if call not in calls and _round_trips(call):
            calls.append(call)
    return calls


def _round_trips(call: dict) -> bool:
    try:
        return repr(ast.literal_eval(call["args"])) == call["args"] and repr(ast.literal_eval(call["kwargs"])) == call["kwargs"]
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return False


def doctest_calls(docstring: str | None, name: str) -> list[dict]:
    calls = []
    for line in (docstring or "").splitlines():
        stripped = line.strip()
        if stripped.startswith(">>> "):
            try:
                calls += literal_calls(ast.parse(stripped[4:]), name)
            except SyntaxError:
                continue
    return calls


PYTEST_CONFIG = {"pytest.ini": None, "pyproject.toml": "[tool.pytest", "setup.cfg": "[tool:pytest]",
                 "tox.ini": "[pytest]"}
_PYTEST_IMPORT = re.compile(r"^\s*(import pytest\b|from pytest\b|from _pytest\b|import _pytest\b)", re.M)


def uses_pytest(root: Path, test_texts: list[str]) -> bool:
    """The project runs its tests with pytest: a pytest configuration, a conftest.py, or a test file importing it."""
    for name, section in PYTEST_CONFIG.items():
        path = root / name
        try:
            if path.is_file() and (section is None or section in path.read_text(encoding="utf-8", errors="replace")):
                return True
        except OSError:
            continue
    for path in root.rglob("conftest.py"):
        rel = path.relative_to(root).parts
        if not any(part in SKIP_DIRS or part.startswith(".") for part in rel[:-1]):
            return True
    return any(_PYTEST_IMPORT.search(text) for text in test_texts)


_IMPORT_MODE = re.compile(r"--import-mode[= ](prepend|append|importlib)\b")


def pytest_options(root: Path) -> list[str]:
    """The project's pytest addopts the sandbox keeps: only --import-mode (how its test modules import; the sandbox
    drops the rest of addopts: plugins it has not got, coverage, xdist, doctest collection of the candidate)."""
    for name in PYTEST_CONFIG:
        try:
            text = (root / name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        found = _IMPORT_MODE.search(text)
        if found:
            return [f"--import-mode={found.group(1)}"]
    return []


def _sandbox_path(target: Target, path: Path) -> str | None:
    try:
        return f"project/{path.relative_to(target.root).as_posix()}"
    except ValueError:
        return None


def discover(target: Target, tests_path: Path | None = None, benchmark_test: str | None = None) -> Suite:
    suite = Suite()
    name = target.name
    if tests_path is not None:
        tests_path = tests_path.expanduser().resolve()
        if not tests_path.exists():
            raise TargetError(f"--tests {tests_path}: no such file or directory")
        files = [tests_path] if tests_path.is_file() else [p for p in sorted(tests_path.rglob("*.py")) if _is_test_file(p)]
        if not files:
            raise TargetError(f"--tests {tests_path}: no test_*.py / *_test.py files there")
        explicit = True
    else:
        files = _project_test_files(target.root)
        explicit = False
    texts: dict[Path, str] = {}
    for path in files:
        try:
            texts[path] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
    runner = "pytest" if uses_pytest(target.root, list(texts.values())) else "builtin"
    # The traced selection run gets only the test files that can import their way to the target (explicit ones all).
    reaching = texts if explicit else {p: texts[p] for p in files_reaching(
        target.root, _project_sources(target.root), texts, target.path.resolve())}
    suite.selection_files = [p for p in map(lambda path: _sandbox_path(target, path), reaching) if p]
    suite.pytest_options = pytest_options(target.root) if runner == "pytest" else []
    for path, text in texts.items():
        if name not in text:
            continue
        try:
            tree = ast.parse(text)
        except SyntaxError as exc:
            suite.notes.append(f"{path.name} does not parse (line {exc.lineno}): its tests were not run")
            continue
        only = _tests_in(tree, name)
        if not only and not explicit:
            continue
        try:
            rel = path.relative_to(target.root).as_posix()
            sandbox_path = f"project/{rel}"
        except ValueError:  # outside the project: shipped next to it
            rel = path.name
            suite.extra_files[rel] = text
            sandbox_path = f"extra/{rel}"
        suite.tests.append(TestSource("user", "file", path.name, path=sandbox_path, only=only or None, runner=runner,
                                      options=list(suite.pytest_options)))
        suite.seen_calls += [c for c in literal_calls(tree, name) if c not in suite.seen_calls]
    if target.docstring and ">>>" in target.docstring:
        suite.tests.append(TestSource("doctest", "doctest", f"doctests of {target.qualname}"))
        suite.seen_calls += [c for c in doctest_calls(target.docstring, name) if c not in suite.seen_calls]
    if benchmark_test:
        suite.tests.append(TestSource("benchmark", "program", "benchmark tests", source=benchmark_test))
        try:
            suite.seen_calls += [c for c in literal_calls(ast.parse(benchmark_test), "candidate") + literal_calls(
                ast.parse(benchmark_test), name) if c not in suite.seen_calls]
        except SyntaxError:
            pass
    return suite


SELECT_LIMIT_S = 300.0  # the traced run of the original's tests (all the project's test files, once per job)
SELECT_TEST_LIMIT_S = 60.0  # one test of it that shows no progress for this long is left out (it hangs)


def target_lines(target: Target) -> tuple[int, int]:
    """The target's first line (its decorators included) and last line in its file."""
    first = target.text.count("\n", 0, target.start) + 1
    last = target.text.count("\n", 0, max(target.start, target.end - 1)) + 1
    lines = target.text.splitlines()
    while first > 1 and lines[first - 2].lstrip().startswith("@"):
        first -= 1
    return first, last


def _selection_path(nodeid: str) -> str:
    """A node id's file as a sandbox path (pytest's rootdir is the project copy)."""
    return posixpath.normpath("project/" + nodeid.split("::", 1)[0])


def select_by_coverage(suite: Suite, jobs) -> None:
    """Fix the tests of a pytest project from the ORIGINAL's run, before any candidate: those that name the target
    and those whose run calls the target's code (a call hook in the sandbox), so indirect callers count. Test files
    that never name the target join the suite when one of their tests reaches it. Runs once; what it finds is kept
    on the suite's test sources (TestSource.selected), so every later run, the candidates', runs exactly those."""
    if suite.selection_done or not suite.selection_files:
        return
    suite.selection_done = True
    target = jobs.target
    first, last = target_lines(target)
    job = {"mode": "select", "select_timeout_s": SELECT_LIMIT_S - 10, "select_test_timeout_s": SELECT_TEST_LIMIT_S,
           "select": {"files": suite.selection_files, "target": f"project/{target.rel_path}", "first": first,
                      "last": last, "module": target.module, "qualname": target.qualname,
                      "options": suite.pytest_options}}
    limits = jobs.limits.model_copy(update={"wall_time_s": SELECT_LIMIT_S, "cpu_time_s": SELECT_LIMIT_S})
    report = jobs.run(target.text, job, limits)
    found = report.get("selected") if report.get("ok") else None
    if not found:
        why = report.get("error") or "no test ran"
        suite.notes.append(f"tests chosen by name only: the traced run of the original's tests found none that "
                           f"runs {target.name} ({str(why)[:300]})")
        return
    if not report.get("finished"):
        suite.notes.append(f"the traced run of the original's tests stopped early ({str(report.get('error'))[:300]}): "
                           "the tests it did not reach are chosen by name only")
    by_path: dict[str, list[dict]] = {}
    for entry in found:
        by_path.setdefault(_selection_path(str(entry.get("nodeid", ""))), []).append(entry)
    sources = {t.path: t for t in suite.tests if t.kind == "file"}
    indirect: list[str] = []
    for path, entries in by_path.items():
        covering = {e["nodeid"] for e in entries if e.get("covers")}
        source = sources.get(path)
        named: set[str] = set()
        if source is not None:
            if source.only is None:
                continue  # a file named with --tests: all its tests run
            named = {e["nodeid"] for e in entries if e.get("name") in source.only or e.get("cls") in source.only}
            if source.runner == "pytest":
                indirect += sorted(covering - named)
                source.selected = sorted(named | covering)
                continue
        # A file no test of which names the target, or one the driver's own runner runs (a project without
        # pytest): the tests that reach it run under pytest, by node id, beside the named ones.
        reaching = sorted(covering - named)
        if reaching:
            indirect += reaching
            suite.tests.append(TestSource("user", "file", posixpath.basename(path), path=path, runner="pytest",
                                          selected=reaching, options=list(suite.pytest_options)))
    if indirect:
        suite.notes.append(f"{len(indirect)} test(s) reach {target.name} through other functions (the original's "
                           "traced test run): " + ", ".join(indirect[:5]) + (" …" if len(indirect) > 5 else ""))


def designed_tests(text: str, name: str) -> list[TestSource]:
    """A test designer's answer -> one program test per top-level assert (each alone, so one wrong
    expectation does not sink the others)."""
    from models.parsing import extract_code

    code = extract_code(text, "python") or text
    try:
        tree = ast.parse(code)
    except SyntaxError:
        # Keep the lines that parse on their own: small models often break one line of many.
        lines = [ln for ln in code.splitlines() if re.match(r"\s*assert\b", ln)]
        tree = ast.Module(body=[], type_ignores=[])
        for line in lines:
            try:
                tree.body += ast.parse(line.strip()).body
            except SyntaxError:
                continue
    tests = []
    for node in tree.body:
        if isinstance(node, ast.Assert) and _mentions(node, name):
            tests.append(TestSource("designed", "program", f"designed {len(tests) + 1}", source=ast.unparse(node)))
    return tests[:12]
