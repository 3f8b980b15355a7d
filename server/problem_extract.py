"""Find the problem the user is pointing at: the enclosing function and its description
(docstring or the comment block above it), or a selection, or a comment-only problem.

Used by the language server (code actions, commands, lenses) and the CLI (FILE::function).
Pure functions over text; the server caches `outline()` per document version because the
code-action path must answer in a few milliseconds.

Positions are LSP-style: 0-based lines, 0-based characters, end exclusive.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from server import comment_syntax as cs

Pos = tuple[int, int]  # (line, character)


@dataclass(frozen=True)
class Span:
    start: Pos
    end: Pos

    def contains(self, pos: Pos) -> bool:
        return self.start <= pos <= self.end

    def encloses(self, other: "Span") -> bool:
        return self.start <= other.start and other.end <= self.end

    def to_lsp(self) -> dict:
        return {
            "start": {"line": self.start[0], "character": self.start[1]},
            "end": {"line": self.end[0], "character": self.end[1]},
        }


@dataclass(frozen=True)
class FunctionInfo:
    name: str
    span: Span  # whole lines of the definition (decorators/annotations included)
    name_line: int  # the line of the `def`/header, where lenses and diagnostics go
    problem: str  # docstring and/or comment block above; "" when there is none
    problem_span: Span | None  # the comment block above (docstrings live inside `span`)


@dataclass(frozen=True)
class Extraction:
    """What a code action / command / CLI target resolves to."""

    title: str
    description: str
    code: str | None  # None: a problem with no code yet (comment/docstring only)
    language: str
    span: Span  # the text a solution replaces (a function) or follows (a comment-only problem)
    anchor_line: int  # where results (lens, diagnostic) are shown
    name: str | None = None  # function name, when the target is a function

    @property
    def key(self) -> str:
        """Stable identity of the target across edits: the function name, else the problem's title."""
        return f"fn:{self.name}" if self.name else f"problem:{self.title}"

    def to_problem(self, source: str | None = None):
        from models.types import Problem  # pydantic import only when a problem is really built

        return Problem(
            title=self.title, description=self.description, code=self.code, language=self.language, source=source
        )


LANGUAGE_BY_SUFFIX = {
    ".py": "python", ".c": "c", ".h": "c", ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp",
    ".java": "java", ".go": "go", ".rs": "rust", ".js": "javascript", ".mjs": "javascript",
    ".ts": "typescript", ".txt": "plaintext", ".md": "markdown",
}


def language_for_path(path: str) -> str:
    for suffix, lang in LANGUAGE_BY_SUFFIX.items():
        if path.lower().endswith(suffix):
            return lang
    return "plaintext"


# ----------------------------------------------------------------------------------------------------------------
# Outline: every function in a document


def outline(text: str, language: str) -> list[FunctionInfo]:
    """All functions (methods and nested ones included), in source order."""
    lines = text.splitlines()
    if language == "python":
        try:
            return _python_outline(text, lines)
        except (SyntaxError, ValueError):
            return _python_indent_outline(lines)  # half-typed code: a cruder but total heuristic
    if language in cs.BRACE_LANGUAGES:
        return _brace_outline(text, lines, language)
    return []


def _comment_block_above(lines: list[str], first_line: int, language: str) -> tuple[str, Span | None]:
    """The contiguous comment lines right above `first_line` (no blank line in between)."""
    i = first_line - 1
    while i >= 0 and cs.is_comment_line(lines[i], language):
        i -= 1
    if i + 1 >= first_line:
        return "", None
    block = lines[i + 1 : first_line]
    return cs.strip_comment_markers(block, language), Span((i + 1, 0), (first_line - 1, len(lines[first_line - 1])))


def _python_outline(text: str, lines: list[str]) -> list[FunctionInfo]:
    tree = ast.parse(text)
    found: list[FunctionInfo] = []
    for node in _python_functions(tree.body):
        first = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
        last = (node.end_lineno or node.lineno) - 1
        above, above_span = _comment_block_above(lines, first, "python")
        doc = ast.get_docstring(node) or ""
        problem = "\n\n".join(p for p in (above, doc.strip()) if p)
        span = Span((first, 0), (last, len(lines[last]) if last < len(lines) else 0))
        found.append(FunctionInfo(node.name, span, node.lineno - 1, problem, above_span))
    found.sort(key=lambda f: f.span.start)
    return found


_BLOCK_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")


def _python_functions(statements):
    """Functions can only be statements: walk statement blocks, skipping the (many) expression nodes."""
    for node in statements:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node
        for field in _BLOCK_FIELDS:
            block = getattr(node, field, None)
            if block:
                yield from _python_functions(block)


_PY_DEF = re.compile(r"^(\s*)(?:async\s+)?def\s+(\w+)")


def _python_indent_outline(lines: list[str]) -> list[FunctionInfo]:
    found: list[FunctionInfo] = []
    for i, line in enumerate(lines):
        m = _PY_DEF.match(line)
        if not m:
            continue
        indent = len(m.group(1))
        last = i
        for j in range(i + 1, len(lines)):
            stripped = lines[j].strip()
            if not stripped:
                continue
            if len(lines[j]) - len(lines[j].lstrip()) <= indent and not stripped.startswith("#"):
                break
            last = j
        first = i
        while first > 0 and lines[first - 1].lstrip().startswith("@"):
            first -= 1
        above, above_span = _comment_block_above(lines, first, "python")
        doc = _leading_docstring(lines[i + 1 : last + 1])
        problem = "\n\n".join(p for p in (above, doc) if p)
        found.append(FunctionInfo(m.group(2), Span((first, 0), (last, len(lines[last]))), i, problem, above_span))
    return found


def _leading_docstring(body: list[str]) -> str:
    text = "\n".join(body).strip()
    for quote in ('"""', "'''"):
        if text.startswith(quote):
            end = text.find(quote, 3)
            return (text[3:end] if end > 0 else text[3:]).strip()
    return ""


def _brace_outline(text: str, lines: list[str], language: str) -> list[FunctionInfo]:
    masked = cs.mask_comments_and_strings(text, language)
    line_starts = _line_starts(text)
    found: list[FunctionInfo] = []
    stack: list[tuple[int, str | None, int]] = []  # (open offset, function name or None, header offset)
    header_start = 0
    for m in re.finditer(r"[{};]", masked):
        ch, pos = m.group(), m.start()
        if ch == "{":
            head = _header_start(masked, header_start, pos)
            stack.append((pos, cs.function_name_from_header(masked[head:pos], language), head))
        elif ch == "}" and stack:
            _, name, head = stack.pop()
            if name:
                first = _line_of(line_starts, head)
                last = _line_of(line_starts, pos)
                above, above_span = _comment_block_above(lines, first, language)
                span = Span((first, 0), (last, len(lines[last])))
                found.append(FunctionInfo(name, span, first, above, above_span))
        header_start = pos + 1
    found.sort(key=lambda f: f.span.start)
    return found


def _header_start(masked: str, start: int, end: int) -> int:
    """First code character of a header, skipping blanks and preprocessor lines (`#include ...`)."""
    while start < end:
        while start < end and masked[start].isspace():
            start += 1
        if start < end and masked[start] == "#":
            nl = masked.find("\n", start, end)
            start = end if nl < 0 else nl + 1
            continue
        break
    # Languages without `;` after declarations (Go's `package m`, a JS expression without `;`):
    # a blank (or comment-only, hence blanked) line separates the header from what came before.
    gap = None
    for gap in re.finditer(r"\n[ \t]*\n", masked[start:end]):
        pass
    if gap is not None:
        start += gap.end()
        while start < end and masked[start].isspace():
            start += 1
    return start


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts.extend(m.end() for m in re.finditer(r"\n", text))
    return starts


def _line_of(line_starts: list[int], offset: int) -> int:
    import bisect

    return bisect.bisect_right(line_starts, offset) - 1


# ----------------------------------------------------------------------------------------------------------------
# Extraction at a position or selection


def extract_at(
    text: str, language: str, selection: Span, functions: list[FunctionInfo] | None = None
) -> Extraction | None:
    """Resolve a cursor/selection to a problem. `functions` is `outline(text, language)` (pass the cached one)."""
    lines = text.splitlines()
    if functions is None:
        functions = outline(text, language)
    empty = selection.start == selection.end
    if not empty:
        selected = _slice(lines, selection)
        if not selected.strip():
            empty = True  # a whitespace selection behaves like a cursor
        elif cs.is_comment_only(selected, language):
            description = cs.strip_comment_markers(selected.splitlines(), language) or selected.strip()
            return _problem_only(description, language, selection)
    if empty:
        fn = _innermost(functions, selection.start, include_comment_above=True)
        if fn:
            return _from_function(fn, lines, language)
        return _comment_problem_at(lines, selection.start[0], language)
    # A code selection: the function that holds it, else the selection itself as the code.
    fn = _innermost_enclosing(functions, selection)
    if fn:
        return _from_function(fn, lines, language)
    code = _slice(lines, selection)
    description, _ = _comment_block_above(lines, selection.start[0], language)
    title = _title(description) or "Selected code"
    return Extraction(title, description, code, language, selection, selection.start[0])


def find_function(text: str, language: str, name: str) -> Extraction | None:
    """`FILE::name` for the CLI: matches `name` or a dotted suffix like `Class.method` -> `method`."""
    wanted = name.split(".")[-1]
    lines = text.splitlines()
    for fn in outline(text, language):
        if fn.name == wanted:
            return _from_function(fn, lines, language)
    return None


def whole_text(text: str, language: str) -> Extraction:
    """A whole file as the target: the first described function, else all of it (code or problem-only)."""
    lines = text.splitlines()
    functions = outline(text, language)
    described = [f for f in functions if f.problem]
    if described or functions:
        return _from_function((described or functions)[0], lines, language)
    end = Span((0, 0), (max(len(lines) - 1, 0), len(lines[-1]) if lines else 0))
    if language in ("plaintext", "markdown") or cs.is_comment_only(text, language):
        description = text.strip() if language in ("plaintext", "markdown") else cs.strip_comment_markers(lines, language)
        return _problem_only(description, language, end)
    description, _ = _comment_block_above(lines, 0, language)
    return Extraction(_title(description) or "Whole file", description, text, language, end, 0)


def _from_function(fn: FunctionInfo, lines: list[str], language: str) -> Extraction:
    code = "\n".join(lines[fn.span.start[0] : fn.span.end[0] + 1])
    title = _title(fn.problem) or f"Improve function {fn.name}"
    return Extraction(title, fn.problem, code, language, fn.span, fn.name_line, fn.name)


def _problem_only(description: str, language: str, span: Span) -> Extraction:
    # The solution goes after the problem text: an empty span at its end.
    end = Span(span.end, span.end)
    return Extraction(_title(description) or "Problem", description, None, language, end, span.start[0])


def _comment_problem_at(lines: list[str], line: int, language: str) -> Extraction | None:
    if line >= len(lines) or not cs.is_comment_line(lines[line], language):
        return None
    first = last = line
    while first > 0 and cs.is_comment_line(lines[first - 1], language):
        first -= 1
    while last + 1 < len(lines) and cs.is_comment_line(lines[last + 1], language):
        last += 1
    description = cs.strip_comment_markers(lines[first : last + 1], language)
    if not description:
        return None
    return _problem_only(description, language, Span((first, 0), (last, len(lines[last]))))


def _innermost(functions: list[FunctionInfo], pos: Pos, include_comment_above: bool) -> FunctionInfo | None:
    best = None
    for fn in functions:
        start = fn.problem_span.start if (include_comment_above and fn.problem_span) else fn.span.start
        if Span(start, fn.span.end).contains(pos):
            best = fn  # sorted by start: later matches are nested deeper
    return best


def _innermost_enclosing(functions: list[FunctionInfo], selection: Span) -> FunctionInfo | None:
    best = None
    for fn in functions:
        start = fn.problem_span.start if fn.problem_span else fn.span.start
        if Span(start, fn.span.end).encloses(selection):
            best = fn
    return best


def _slice(lines: list[str], span: Span) -> str:
    (sl, sc), (el, ec) = span.start, span.end
    if sl >= len(lines):
        return ""
    if sl == el:
        return lines[sl][sc:ec]
    parts = [lines[sl][sc:]] + lines[sl + 1 : el] + ([lines[el][:ec]] if el < len(lines) else [])
    return "\n".join(parts)


def _title(description: str) -> str:
    for line in description.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= 80 else line[:77] + "..."
    return ""
