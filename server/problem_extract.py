"""Find the problem the user is pointing at: the enclosing function and its description
(docstring or the comment block above it), or a selection, or a comment-only problem.

The structure comes from `source/` (tree-sitter): the server passes the open document's live tree
(`extract_in`), the CLI and tests pass text (`extract_at`, `find_function`, `whole_text`).

Positions are LSP-style in code points: 0-based lines, 0-based characters, end exclusive.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from source import languages
from source.document import Anchor, Document
from source.structure import Function, strip_comment_markers

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
    span: Span  # the definition (decorators/annotations/attributes included), whole lines when it owns them
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
    # Where the target sits in the live document; it moves with edits, so results stay on their function.
    anchor: Anchor | None = field(default=None, compare=False, repr=False)

    @property
    def label(self) -> str:
        """What progress and logs call it: the function by its name (its docstring is no name), else the title."""
        return f"{self.name}()" if self.name else self.title

    @property
    def key(self) -> str:
        """Identity of the target across edits: two functions of one name differ by their anchor."""
        base = f"fn:{self.name}" if self.name else f"problem:{self.title}"
        return f"{base}#{self.anchor.id}" if self.anchor is not None else base

    def to_problem(self, source: str | None = None):
        from models.types import Problem  # pydantic import only when a problem is really built

        return Problem(
            title=self.title, description=self.description, code=self.code, language=self.language, source=source
        )


# Derived from the one language table (source/languages.py); kept for callers that test suffixes.
LANGUAGE_BY_SUFFIX = {suffix: languages.language_id_for_path("x" + suffix) for suffix in languages.all_suffixes()}


def language_for_path(path: str) -> str:
    return languages.language_id_for_path(path)


# ----------------------------------------------------------------------------------------------------------------
# Text in, for the CLI and tests (the server keeps documents parsed instead)


def outline(text: str, language: str) -> list[FunctionInfo]:
    """All functions (methods and nested ones included), in source order."""
    doc = Document(text, language)
    return [_info(doc, fn) for fn in doc.outline()]


def extract_at(text: str, language: str, selection: Span, functions=None) -> Extraction | None:
    """Resolve a cursor/selection in `text`. (`functions` is accepted for old callers and ignored.)"""
    return extract_in(Document(text, language), selection)


def find_function(text: str, language: str, name: str) -> Extraction | None:
    """`FILE::name` for the CLI: matches `name`, or a dotted suffix like `Class.method`."""
    doc = Document(text, language)
    functions = doc.outline()
    exact = [fn for fn in functions if fn.qualified_name == name or fn.qualified_name.endswith("." + name)]
    wanted = name.split(".")[-1]
    fn = next(iter(exact), None) or next((f for f in functions if f.name == wanted), None)
    return _from_function(doc, fn) if fn else None


def whole_text(text: str, language: str) -> Extraction:
    """A whole file as the target: the first described function, else all of it (code or problem-only)."""
    doc = Document(text, language)
    functions = doc.outline()
    described = [f for f in functions if f.problem]
    if described or functions:
        return _from_function(doc, (described or functions)[0])
    lines = text.splitlines()
    end = Span((0, 0), (max(len(lines) - 1, 0), len(lines[-1]) if lines else 0))
    if language in ("plaintext", "markdown"):
        return _problem_only(text.strip(), language, end)
    if doc.tree is not None and doc.is_comment_or_string(0, len(doc.source)):
        return _problem_only(strip_comment_markers(lines, languages.lookup(language)), language, end)
    description, _ = _comment_block_above(doc, 0)
    return Extraction(_title(description) or "Whole file", description, text, language, end, 0)


# ----------------------------------------------------------------------------------------------------------------
# A live document in


def extract_in(doc: Document, selection: Span) -> Extraction | None:
    """Resolve a cursor/selection (code points) in a parsed document."""
    language = doc.language
    start = doc.byte_offset(*selection.start)
    end = doc.byte_offset(*selection.end)
    empty = start >= end
    if not empty:
        selected = doc.text_between(start, end)
        if not selected.strip():
            empty = True  # a whitespace selection behaves like a cursor
        elif language in ("plaintext", "markdown") or (doc.tree is not None and doc.is_comment_or_string(start, end)):
            description = strip_comment_markers(selected.splitlines(), languages.lookup(language)) or selected.strip()
            return _problem_only(description, language, selection, doc.anchor(start))
    if empty:
        row = doc.row_of(start)
        fn = doc.function_at(row, start - doc.line_start(row), include_comment_above=True)
        if fn:
            return _from_function(doc, fn)
        return _comment_problem_at(doc, row)
    fn = doc.function_enclosing(start, end)
    if fn:
        return _from_function(doc, fn)
    code = doc.text_between(start, end)
    description, _ = _comment_block_above(doc, selection.start[0])
    title = _title(description) or "Selected code"
    return Extraction(title, description, code, language, selection, selection.start[0], None, doc.anchor(start))


def _span(doc: Document, start_byte: int, end_byte: int) -> Span:
    return Span(doc.char_column(start_byte), doc.char_column(end_byte))


def _info(doc: Document, fn: Function) -> FunctionInfo:
    span = _span(doc, *doc.owned_span(fn.start_byte, fn.end_byte))
    problem_span = None
    if fn.doc_first_row is not None:
        last = fn.first_row - 1
        problem_span = Span((fn.doc_first_row, 0), (last, len(doc.line(last))))
    return FunctionInfo(fn.name, span, fn.name_row, fn.problem, problem_span)


def _from_function(doc: Document, fn: Function) -> Extraction:
    start, end = doc.owned_span(fn.start_byte, fn.end_byte)
    title = _title(fn.problem) or f"Improve function {fn.name}"
    anchor = doc.anchor(fn.name_start_byte, within=(fn.name_start_byte, fn.name_end_byte))
    return Extraction(title, fn.problem, doc.text_between(start, end), doc.language, _span(doc, start, end),
                      fn.name_row, fn.name, anchor)


def _problem_only(description: str, language: str, span: Span, anchor: Anchor | None = None) -> Extraction:
    # The solution goes after the problem text: an empty span at its end.
    end = Span(span.end, span.end)
    return Extraction(_title(description) or "Problem", description, None, language, end, span.start[0], None, anchor)


def _is_comment_line(doc: Document, row: int) -> bool:
    if row < 0 or row >= doc.line_count or doc.tree is None:
        return False
    line = doc.line_bytes(row)
    stripped = line.lstrip()
    return bool(stripped) and doc.comment_at(doc.line_start(row) + len(line) - len(stripped))


def _comment_block_above(doc: Document, row: int) -> tuple[str, Span | None]:
    first = row
    while _is_comment_line(doc, first - 1):
        first -= 1
    if first >= row:
        return "", None
    lines = [doc.line(r) for r in range(first, row)]
    return strip_comment_markers(lines, languages.lookup(doc.language)), Span((first, 0), (row - 1, len(lines[-1])))


def _comment_problem_at(doc: Document, row: int) -> Extraction | None:
    if not _is_comment_line(doc, row):
        return None
    first = last = row
    while _is_comment_line(doc, first - 1):
        first -= 1
    while _is_comment_line(doc, last + 1):
        last += 1
    lines = [doc.line(r) for r in range(first, last + 1)]
    description = strip_comment_markers(lines, languages.lookup(doc.language))
    if not description:
        return None
    anchor = doc.anchor(doc.line_start(first))
    return _problem_only(description, doc.language, Span((first, 0), (last, len(lines[-1]))), anchor)


def _title(description: str) -> str:
    for line in description.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= 80 else line[:77] + "..."
    return ""
