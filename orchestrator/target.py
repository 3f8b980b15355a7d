"""FILE::function -> the function's exact text and span, its module, its project; and writing a new
version back (only that span, only if the file did not change meanwhile).

Python uses the standard `ast` (exact spans, enclosing class, decorators). Other languages use the
tree-sitter `source` package when it is installed, else a brace-matching scan that is good enough for
one free function in C++, Java, Go, Rust and JavaScript files.
"""

from __future__ import annotations

import ast
import hashlib
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.errors import OrchestratorError

EXTENSIONS = {".py": "python", ".cpp": "cpp", ".cc": "cpp", ".cxx": "cpp", ".hpp": "cpp", ".h": "cpp",
              ".java": "java", ".go": "go", ".rs": "rust", ".js": "js", ".mjs": "js", ".cjs": "js"}
SANDBOX_LANGUAGES = ("python", "cpp", "java", "go", "rust", "js")
PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", ".git", "package.json",
                   "go.mod", "Cargo.toml", "pom.xml")


class TargetError(OrchestratorError):
    """The target cannot be used (not found, does not parse, unknown language): the message says why."""


@dataclass
class Target:
    path: Path
    name: str  # the function's name (for methods: the method's name)
    language: str
    text: str  # the whole file as read
    start: int  # character offsets of the function (decorators included) in `text`
    end: int
    qualname: str = ""  # Class.method for methods
    class_name: str | None = None
    indent: str = ""
    root: Path = field(default_factory=Path)  # the project directory
    docstring: str | None = None

    @property
    def code(self) -> str:
        return self.text[self.start:self.end]

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    @property
    def rel_path(self) -> str:
        return self.path.relative_to(self.root).as_posix()

    @property
    def module(self) -> str:
        """Dotted module name relative to the project root (Python)."""
        rel = Path(self.rel_path).with_suffix("")
        parts = list(rel.parts)
        if parts and parts[0] == "src" and len(parts) > 1:
            parts = parts[1:]
        return ".".join(parts)

    def with_code(self, code: str) -> str:
        """The file's text with the function replaced by `code` (re-indented to the function's level)."""
        body = textwrap.dedent(code).strip("\n")
        if self.indent:
            body = textwrap.indent(body, self.indent)
            body = body[len(self.indent):]  # the span starts after the indentation already in the file
        return self.text[:self.start] + body + self.text[self.end:]

    def label(self) -> str:
        return f"{self.path.name}::{self.qualname or self.name}"


def language_of(path: Path, language: str | None = None) -> str:
    if language:
        lang = {"py": "python", "javascript": "js", "c++": "cpp", "golang": "go", "rs": "rust"}.get(
            language.lower(), language.lower())
    else:
        lang = EXTENSIONS.get(path.suffix.lower())
        if lang is None:
            raise TargetError(f"{path.name}: unknown language for '{path.suffix}' files; pass --language "
                              f"({', '.join(SANDBOX_LANGUAGES)})")
    if lang not in SANDBOX_LANGUAGES:
        raise TargetError(f"the sandbox has no {lang} image; it runs {', '.join(SANDBOX_LANGUAGES)}")
    return lang


def project_root(path: Path) -> Path:
    for parent in [path.parent, *path.parent.parents]:
        if any((parent / marker).exists() for marker in PROJECT_MARKERS):
            return parent
        if parent == Path.home():
            break
    return path.parent


def split_spec(spec: str) -> tuple[Path, str]:
    file, sep, function = spec.partition("::")
    if not sep or not function.strip():
        raise TargetError(f"{spec!r}: expected FILE::function, e.g. examples/two_sum.py::two_sum")
    return Path(file).expanduser(), function.strip()


def locate(spec: str, language: str | None = None) -> Target:
    path, function = split_spec(spec)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TargetError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TargetError(f"{path}: cannot read it ({exc})") from None
    path = path.resolve()
    lang = language_of(path, language)
    if lang == "python":
        target = locate_python(path, text, function)
    else:
        target = locate_braced(path, text, function, lang)
    target.root = project_root(path)
    return target


def parse_python(text: str, where: str) -> ast.Module:
    try:
        return ast.parse(text)
    except SyntaxError as exc:
        raise TargetError(f"{where} does not parse: line {exc.lineno}: {exc.msg}") from None


def _offsets(text: str) -> list[int]:
    starts, at = [0], 0
    for line in text.splitlines(keepends=True):
        at += len(line)
        starts.append(at)
    return starts


def locate_python(path: Path, text: str, function: str) -> Target:
    tree = parse_python(text, str(path))
    wanted = function.split(".")
    found: tuple[ast.AST, str | None] | None = None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and wanted == [node.name]:
            found = (node, None)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and wanted[-1] == item.name and (
                        len(wanted) == 1 or wanted[0] == node.name):
                    found = found or (item, node.name)
    if found is None:
        names = [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        raise TargetError(f"{path.name}: no function {function!r}" + (f" (functions: {', '.join(names)})" if names else ""))
    node, cls = found
    lines = _offsets(text)
    first = min([node.lineno, *[d.lineno for d in node.decorator_list]])
    line_start = lines[first - 1]
    indent = re.match(r"[ \t]*", text[line_start:]).group(0)
    start = line_start + len(indent)
    end = lines[node.end_lineno - 1] + len(text.splitlines(keepends=True)[node.end_lineno - 1].rstrip("\r\n"))
    return Target(path=path, name=node.name, language="python", text=text, start=start, end=end,
                  qualname=f"{cls}.{node.name}" if cls else node.name, class_name=cls, indent=indent,
                  docstring=ast.get_docstring(node))


def locate_braced(path: Path, text: str, function: str, language: str) -> Target:
    """A free function in a brace language: from the start of its declaration line to its closing brace."""
    name = function.split(".")[-1].split("::")[-1]
    for match in re.finditer(rf"\b{re.escape(name)}\s*(<[^>]*>)?\s*\(", text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        open_brace = _body_start(text, match.end())
        if open_brace is None:
            continue
        close = _matching_brace(text, open_brace)
        if close is None:
            raise TargetError(f"{path.name}: unbalanced braces after {name}(")
        indent = re.match(r"[ \t]*", text[line_start:]).group(0)
        return Target(path=path, name=name, language=language, text=text, start=line_start + len(indent),
                      end=close + 1, qualname=name, indent=indent)
    raise TargetError(f"{path.name}: no function definition {name!r} found")


def _body_start(text: str, at: int) -> int | None:
    """The `{` opening the body when the `(` before `at` starts a declaration's parameter list, else None."""
    depth, i = 1, at
    while i < len(text) and depth:  # skip the parameter list
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        i += 1
    tail = re.match(r"[\s\w:<>,&*\-\[\]\.]*\{", text[i:i + 200])  # const, -> i32, throws E, Go result types
    line = text[text.rfind("\n", 0, at) + 1:at]
    if tail is None or re.match(r"\s*(if|while|for|switch|return|else|catch)\b", line):
        return None
    return i + tail.end() - 1


def _matching_brace(text: str, at: int) -> int | None:
    depth, i, quote = 0, at, None
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif text.startswith("//", i):
            i = text.find("\n", i)
            if i < 0:
                return None
        elif text.startswith("/*", i):
            i = text.find("*/", i) + 1
            if i <= 0:
                return None
        elif c in "\"'`":
            quote = c
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


class FileChanged(OrchestratorError):
    """--apply refused: the file changed after the job read it."""


def apply(target: Target, code: str) -> None:
    """Write `code` in place of the function, only if the file is still exactly what the job read."""
    current = target.path.read_text(encoding="utf-8")
    if current != target.text:
        raise FileChanged(f"{target.path} changed while the job ran: not applied (run again on the new text)")
    new_text = target.with_code(code)
    if target.language == "python":
        parse_python(new_text, f"{target.path} with the new version")  # never write a file that does not parse
    tmp = target.path.with_name(f".{target.path.name}.refactorcoder.tmp")
    tmp.write_text(new_text, encoding="utf-8")
    tmp.replace(target.path)
