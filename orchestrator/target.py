"""FILE::function -> the function's exact text and span, its imports and enclosing classes, its module,
its project; and writing a new version back (only that span, only if the file did not change meanwhile).

Every language goes through the tree-sitter `source` package (exact spans with decorators, attributes
and template heads; methods with their classes; C++ `A::f` definitions). Python's own `ast` still
decides whether a Python file parses and reads docstrings the way doctest does.
"""

from __future__ import annotations

import ast
import hashlib
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator import code as code_module
from orchestrator.errors import OrchestratorError
from source import languages

# suffix -> sandbox key, from the one language table (plus C headers, which C++ reads)
EXTENSIONS = {**{s: lang.sandbox for lang in languages.LANGUAGES for s in lang.suffixes}, ".h": "cpp"}
SANDBOX_LANGUAGES = languages.SANDBOX_KEYS
PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", ".git", "package.json",
                   "go.mod", "Cargo.toml", "pom.xml")
NAMESPACES = {"namespace_definition", "mod_item"}


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
    docstring: str | None = None  # Python's docstring; elsewhere the comment block above the function
    imports: tuple[str, ...] = ()  # the file's top-level imports, as written
    enclosing: tuple = ()  # source.structure.Container: classes / impls / namespaces, outermost first
    function: object | None = None  # the source.structure.Function found
    notes: list[str] = field(default_factory=list)

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

    def dedented(self, code: str) -> str:
        """`code` at column 0. The function's own text (`self.code`) starts after its indentation in the file while
        its other lines keep it: a decorated method, "@property\n    def size(self):", dedents only with that
        indentation put back on its first line (an undecorated one would parse either way, deeper than it was)."""
        lines = code.lstrip("\n").splitlines()
        header = next((line for line in lines if line.lstrip().startswith(("def ", "async def "))), None)
        if self.indent and lines and (code.strip("\n") == self.code.strip("\n") or (
                lines[0].startswith("@") and header is not None and header.startswith(self.indent))):
            code = self.indent + code.lstrip("\n")
        return textwrap.dedent(code)

    def with_code(self, code: str) -> str:
        """The file's text with the function replaced by `code` (re-indented to the function's level).
        Imports at the top of `code` that the file lacks go to the file's import section (where Java,
        Go and JavaScript modules need them), not in place of the function."""
        body = self.dedented(code).strip("\n")
        imports, body = code_module.split_imports(body, self.language)
        added = code_module.new_imports(self.text, imports, self.language) if imports else []
        if self.indent:
            body = textwrap.indent(body, self.indent)
            body = body[len(self.indent):]  # the span starts after the indentation already in the file
        text = self.text[:self.start] + body + self.text[self.end:]
        if added:
            doc = code_module.document(self.text, self.language)
            at_byte, prefix = code_module.import_insertion(doc)
            at = code_module.char_offset(doc, at_byte)
            block = prefix + "\n".join(added) + "\n"
            if at > self.start:  # imports after the function (unusual): keep them just above it
                text = text[:self.start] + "\n".join(added) + "\n" + self.indent + text[self.start:]
            else:
                text = text[:at] + block + text[at:]
        if self.language == "go":  # a missing or an unused import would stop the file compiling
            text = code_module.complete_go_imports(text)
        return text

    def standalone(self, code: str | None = None) -> str:
        """The function (or `code` in its place) with the file's imports and its enclosing classes."""
        from source.context import Context

        text = textwrap.indent(self.dedented(code if code is not None else self.code), self.indent)
        return Context(self.imports, self.enclosing).standalone(text, code_module.lang_id(self.language))

    def label(self) -> str:
        """`src/pkg/mod.py::Class.method`: the file from the project root (a bare name is ambiguous in a project)."""
        try:
            where = self.rel_path
        except ValueError:  # a file outside its project root (e.g. given by an absolute path elsewhere)
            where = self.path.name
        return f"{where}::{self.qualname or self.name}"


def language_of(path: Path, language: str | None = None) -> str:
    if language:
        found = languages.lookup(language)
        lang = found.sandbox if found is not None else language.lower()
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
    target = locate_text(path, text, function, language_of(path, language))
    target.root = project_root(path)
    return target


def parse_python(text: str, where: str) -> ast.Module:
    try:
        return ast.parse(text)
    except SyntaxError as exc:
        raise TargetError(f"{where} does not parse: line {exc.lineno}: {exc.msg}") from None


def locate_text(path: Path, text: str, function: str | None, language: str, row: int | None = None) -> Target:
    """The function `function` (a name, `Class.method`, C++ `A::f`) -- or, with `row`, the function whose
    header is on that 0-based row -- of `text`, found by tree-sitter: its exact span (decorators,
    attributes and template heads included), its enclosing classes and the file's imports."""
    lang = language_of(path, language)
    if lang == "python":
        tree = parse_python(text, str(path))  # Python's own parser has the final word on validity
    doc = code_module.document(text, lang)
    functions = doc.outline()
    if row is not None:
        candidates = [f for f in functions if f.name_row == row or f.first_row == row]
        fn = max(candidates, key=lambda f: f.depth) if candidates else None
        if fn is None:
            raise TargetError(f"{path.name}: no function {function or ''!r} at line {row + 1}")
    else:
        fn = code_module.pick(functions, function or "")
    if fn is None:
        names = [f.name for f in functions if f.depth == 0 and f.kind == "function"] or [f.qualified_name for f in functions]
        raise TargetError(f"{path.name}: no function {function!r}" + (f" (functions: {', '.join(names)})" if names else ""))
    if fn.has_error:
        raise TargetError(f"{path.name}: {fn.name} does not parse: line {fn.name_row + 1} (a syntax error in the function)")
    notes = []
    if doc.tree is not None and doc.tree.root_node.has_error and lang != "python":
        notes.append(f"{path.name} has a syntax error outside {fn.name}: the sandbox will report it if it matters")
    start_byte, end_byte = fn.start_byte, fn.end_byte
    line_start = doc.line_start(fn.first_row)
    indent_bytes = doc.source[line_start:start_byte]
    indent = indent_bytes.decode("utf-8", "replace") if not indent_bytes.strip() else ""
    classes = [c for c in fn.enclosing if c.kind not in NAMESPACES]
    class_name = classes[-1].name if classes and fn.kind != "function" else None
    docstring = fn.comment or None
    if lang == "python":
        docstring = _python_docstring(tree, fn.name_row + 1) or fn.comment or None
    qualname = fn.qualified_name if lang == "python" else (f"{class_name}.{fn.name}" if class_name else fn.name)
    return Target(path=path, name=fn.name, language=lang, text=text, start=code_module.char_offset(doc, start_byte),
                  end=code_module.char_offset(doc, end_byte), qualname=qualname, class_name=class_name, indent=indent,
                  docstring=docstring, imports=tuple(doc.text_between(n.start_byte, n.end_byte).strip()
                                                     for n in code_module.import_nodes(doc)),
                  enclosing=tuple(fn.enclosing), function=fn, notes=notes)


def _python_docstring(tree: ast.Module, lineno: int) -> str | None:
    """ast's reading of the docstring (escape sequences decoded, as doctest sees it)."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.lineno == lineno:
            return ast.get_docstring(node)
    return None


def locate_python(path: Path, text: str, function: str) -> Target:
    return locate_text(path, text, function, "python")


def locate_braced(path: Path, text: str, function: str, language: str) -> Target:
    """Kept for callers of the brace scan this module used to have: the same tree-sitter lookup."""
    return locate_text(path, text, function, language)


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
    else:
        fn = code_module.pick(code_module.document(new_text, target.language).outline(), target.qualname)
        if fn is None or fn.has_error:
            raise TargetError(f"{target.path} with the new version: {target.name} "
                              + ("is missing" if fn is None else "does not parse") + ": not applied")
    tmp = target.path.with_name(f".{target.path.name}.refactorcoder.tmp")
    tmp.write_text(new_text, encoding="utf-8")
    tmp.replace(target.path)
