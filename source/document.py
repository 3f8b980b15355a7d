"""A source document kept parsed: its UTF-8 bytes, a table of line starts and one tree-sitter tree,
updated edit by edit (tree.edit + incremental reparse) so asking "which function is here" costs a
walk up from the cursor, never a re-parse or a re-outline of the whole file.

Positions come in as (row, column) in the client's units: "utf-16" (LSP's default), "utf-8" or
"utf-32" (code points, Python's `str` indices)."""

from __future__ import annotations

import logging
import threading
import weakref
from dataclasses import dataclass

import tree_sitter as ts

from source import grammars, reparse
from source.lines import LineIndex
from source.structure import Function, build, definition

logger = logging.getLogger(__name__)


@dataclass(eq=False)
class Anchor:
    """A byte offset that moves with edits (text inserted before it shifts it; text replaced around it
    collapses it to the edit's start). Kept alive by whoever holds it; the document only tracks it weakly."""

    offset: int
    id: int


def _units_to_bytes(line: bytes, units: int, encoding: str) -> int:
    """Byte length of the first `units` client units of `line` (clamped to the line)."""
    if units <= 0:
        return 0
    if line.isascii() or encoding == "utf-8":
        return min(units, len(line))
    text = line.decode("utf-8", "replace")
    if encoding == "utf-32":
        return len(text[:units].encode("utf-8"))
    count = 0
    for i, ch in enumerate(text):  # utf-16: characters outside the BMP count twice
        if count >= units:
            return len(text[:i].encode("utf-8"))
        count += 2 if ord(ch) > 0xFFFF else 1
    return len(line)


class Document:
    """One open document. Not thread-safe for writes: the server applies edits on its event loop."""

    _next_anchor = 0

    def __init__(self, text: str, language: str, version: int | None = None, *, structure: bool = True):
        """`structure=False`: text only, no syntax tree (every structural question answers "nothing here"); for
        documents too large to parse while an editor waits."""
        self.language = language
        self.version = version
        self.grammar = grammars.GRAMMARS.get(language) if structure else None
        self._anchors: weakref.WeakSet[Anchor] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._outline: list[Function] | None = None
        self._set_text(text)

    # -- text ----------------------------------------------------------------------------------------------------

    def _set_text(self, text: str) -> None:
        self.source = text.encode("utf-8")
        self.char_count = len(text)
        self.index = LineIndex(self.source)
        self.tree = grammars.parser(self.language).parse(self.source) if self.grammar else None
        self.stale = False  # edits applied to the tree with tree.edit, not yet re-parsed
        self._outline = None

    @property
    def text(self) -> str:
        return self.source.decode("utf-8", "replace")

    @property
    def line_count(self) -> int:
        return len(self.index)

    @property
    def starts(self) -> list[int]:
        """Every line's start offset (a copy; for tests and tools, not the request path)."""
        return self.index.to_list()

    def line_start(self, row: int) -> int:
        return self.index.start(row) if row < len(self.index) else len(self.source)

    def _line_end(self, row: int) -> int:
        """Offset of the newline that ends `row` (or the end of the text)."""
        return self.index.start(row + 1) - 1 if row + 1 < len(self.index) else len(self.source)

    def line_bytes(self, row: int) -> bytes:
        if row >= len(self.index):
            return b""
        line = self.source[self.index.start(row):self._line_end(row)]
        return line[:-1] if line.endswith(b"\r") else line

    def line(self, row: int) -> str:
        return self.line_bytes(row).decode("utf-8", "replace")

    def lines_text(self, first: int, last: int) -> str:
        """Rows first..last inclusive, without the final newline."""
        return self.source[self.line_start(first):self._line_end(last)].decode("utf-8", "replace").replace("\r\n", "\n")

    def byte_offset(self, row: int, column: int, encoding: str = "utf-32") -> int:
        if row >= len(self.index):
            return len(self.source)
        return self.index.start(row) + _units_to_bytes(self.line_bytes(row), column, encoding)

    def row_of(self, offset: int) -> int:
        return self.index.row_of(offset)

    def char_column(self, offset: int) -> tuple[int, int]:
        """(row, code-point column) of a byte offset."""
        row = self.row_of(offset)
        prefix = self.source[self.index.start(row):offset]
        return row, (len(prefix) if prefix.isascii() else len(prefix.decode("utf-8", "replace")))

    def owned_span(self, start_byte: int, end_byte: int) -> tuple[int, int]:
        """Widen `start..end` to whole lines when nothing else shares them (the usual case: indentation
        kept, so a method stays inside its class); else keep the exact bytes."""
        first, last = self.row_of(start_byte), self.row_of(max(end_byte - 1, start_byte))
        line_start = self.index.start(first)
        line_end = self._line_end(last)
        if self.source[line_end - 1:line_end] == b"\r":
            line_end -= 1
        before = self.source[line_start:start_byte]
        after = self.source[end_byte:line_end]
        return (line_start if not before.strip() else start_byte), (line_end if not after.strip() else end_byte)

    def text_between(self, start_byte: int, end_byte: int) -> str:
        return self.source[start_byte:end_byte].decode("utf-8", "replace").replace("\r\n", "\n")

    # -- edits ---------------------------------------------------------------------------------------------------

    def replace_all(self, text: str, version: int | None = None) -> None:
        with self._lock:
            self._set_text(text)
            self.version = version
            for anchor in list(self._anchors):
                anchor.offset = min(anchor.offset, len(self.source))

    def apply_change(self, start: tuple[int, int], end: tuple[int, int], new_text: str,
                     encoding: str = "utf-16", version: int | None = None) -> None:
        """One LSP incremental change: replace start..end (client units) by `new_text`."""
        with self._lock:
            self._apply(start, end, new_text, encoding)
            if version is not None:
                self.version = version

    def _apply(self, start, end, new_text: str, encoding: str) -> None:
        if end < start:
            start, end = end, start
        start_byte = self.byte_offset(*start, encoding)
        old_end_byte = self.byte_offset(*end, encoding)
        start_row, end_row = self.row_of(start_byte), self.row_of(old_end_byte)
        start_point = (start_row, start_byte - self.index.start(start_row))
        old_end_point = (end_row, old_end_byte - self.index.start(end_row))
        new_bytes = new_text.encode("utf-8")
        old_bytes = self.source[start_byte:old_end_byte]
        keeps_bounds = self.tree is not None and reparse.keeps_bounds(self, start_byte, old_end_byte, start_point, old_bytes, new_bytes)
        self.source = self.source[:start_byte] + new_bytes + self.source[old_end_byte:]
        old_chars = len(old_bytes) if old_bytes.isascii() else len(old_bytes.decode("utf-8", "replace"))
        self.char_count += len(new_text) - old_chars
        delta = len(new_bytes) - len(old_bytes)
        self.index.edit(start_row, end_row, start_byte, old_end_byte, new_bytes)
        new_end_byte = start_byte + len(new_bytes)
        for anchor in list(self._anchors):
            if anchor.offset >= old_end_byte:
                anchor.offset += delta
            elif anchor.offset > start_byte:
                anchor.offset = start_byte
        self._outline = None
        if self.tree is None:
            return
        new_end_row = self.row_of(new_end_byte)
        new_end_point = (new_end_row, new_end_byte - self.index.start(new_end_row))
        self.tree.edit(start_byte=start_byte, old_end_byte=old_end_byte, new_end_byte=new_end_byte,
                       start_point=start_point, old_end_point=old_end_point, new_end_point=new_end_point)
        if keeps_bounds:
            self.stale = True  # the edited tree still tells every function's bounds: re-parse when quiet
        else:
            self._reparse()

    def _reparse(self) -> None:
        self.tree = grammars.parser(self.language).parse(self.source, self.tree)
        self.stale = False

    def settle(self) -> None:
        """Re-parse now if edits are waiting (the server calls this when the editor is quiet, and before
        work that needs every detail of the tree, like the target of a job)."""
        with self._lock:
            if self.stale and self.tree is not None:
                self._reparse()

    # -- anchors -------------------------------------------------------------------------------------------------

    def anchor(self, offset: int, within: tuple[int, int] | None = None) -> Anchor:
        """The live anchor at `offset` (or anywhere in `within`, e.g. a function's name), else a new one:
        the same place always gives the same anchor, so results recorded on it are found again."""
        low, high = within or (offset, offset)
        with self._lock:
            for anchor in self._anchors:
                if low <= anchor.offset <= high:
                    return anchor
            Document._next_anchor += 1
            anchor = Anchor(offset, Document._next_anchor)
            self._anchors.add(anchor)
            return anchor

    # -- structure -----------------------------------------------------------------------------------------------

    def _build(self, found) -> Function:
        fn, outer, name = found
        return build(fn, outer, name, self.source, self.grammar, self.line_start)

    def function_at(self, row: int, column_bytes: int = 0, include_comment_above: bool = True) -> Function | None:
        """The innermost named function at a position (bytes). With `include_comment_above`, a position
        in the comment block (or attribute lines) right above a function gives that function."""
        if self.tree is None:
            return None
        # A line belongs to what is written on it: a cursor in its indentation or trailing blanks counts
        # as on its first or last character (whole-line semantics, as editors select lines).
        line = self.line_bytes(row)
        body = line.strip()
        if body:
            first = len(line) - len(line.lstrip())
            column_bytes = min(max(column_bytes, first), first + len(body) - 1)
        point = (row, column_bytes)
        node = self.tree.root_node.descendant_for_point_range(point, point)
        found = self._enclosing_definition(node)
        if found is not None:
            return self._build(found)
        if include_comment_above:
            return self._function_below_comment(node, row)
        return None

    def _enclosing_definition(self, node: ts.Node | None):
        while node is not None:
            if node.type in self.grammar.functions or node.type in self.grammar.anonymous or node.type in self.grammar.wrappers:
                found = definition(node, self.grammar)
                if found is not None:
                    return found
            node = node.parent
        return None

    def _function_below_comment(self, node: ts.Node | None, row: int) -> Function | None:
        g = self.grammar
        while node is not None and node.type not in g.comments and node.type not in g.attributes and node.parent is not None:
            if node.start_point.row != row and node.type not in ("attribute", "identifier", "token_tree"):
                return None
            node = node.parent
        if node is None or (node.type not in g.comments and node.type not in g.attributes):
            return None
        sibling = node.next_named_sibling
        while sibling is not None and (sibling.type in g.comments or sibling.type in g.attributes):
            sibling = sibling.next_named_sibling
        found = definition(sibling, g) if sibling is not None else None
        if found is None:
            return None
        fn = self._build(found)
        top = fn.doc_first_row if fn.doc_first_row is not None else fn.first_row
        return fn if top <= row <= fn.last_row else None

    def function_enclosing(self, start_byte: int, end_byte: int) -> Function | None:
        """The innermost function whose definition (or doc comment + definition) holds the whole range."""
        if self.tree is None:
            return None
        found = self._enclosing_definition(self.tree.root_node.descendant_for_byte_range(start_byte, end_byte))
        if found is not None:
            return self._build(found)
        row = self.row_of(start_byte)
        fn = self.function_at(row, start_byte - self.index.start(row), include_comment_above=True)
        return fn if fn is not None and fn.doc_start_byte <= start_byte and end_byte <= fn.end_byte else None

    def function_at_anchor(self, anchor: Anchor) -> Function | None:
        """The function whose name holds the anchor (the name moved with edits), or None when it is gone."""
        if self.tree is None or anchor.offset > len(self.source):
            return None
        node = self.tree.root_node.descendant_for_byte_range(anchor.offset, anchor.offset)
        found = self._enclosing_definition(node)
        if found is None or not found[2].start_byte <= anchor.offset <= found[2].end_byte:
            return None
        return self._build(found)

    def outline(self) -> list[Function]:
        """Every named function (methods and nested ones included) in source order; cached per edit."""
        if self._outline is not None:
            return self._outline
        if self.tree is None:
            return []
        self.settle()
        found = []
        cursor = self.tree.walk()
        g = self.grammar
        candidates = g.functions | g.anonymous
        visited_children = False
        while True:  # pre-order walk with a TreeCursor: the fastest full traversal py-tree-sitter offers
            if not visited_children:
                node = cursor.node
                if node.type in candidates:
                    d = definition(node, g)
                    if d is not None and d[0] == node:
                        found.append(self._build(d))
                if cursor.goto_first_child():
                    continue
            if cursor.goto_next_sibling():
                visited_children = False
            elif cursor.goto_parent():
                visited_children = True
            else:
                break
        found.sort(key=lambda f: f.start_byte)
        self._outline = found
        return found

    def is_comment_or_string(self, start_byte: int, end_byte: int) -> bool:
        """True when every token in the range is a comment or a string (docstring)."""
        if self.tree is None:
            return True
        g = self.grammar
        keep = g.comments | g.strings
        stack = [self.tree.root_node.descendant_for_byte_range(start_byte, end_byte)]
        while stack:
            node = stack.pop()
            if node.end_byte <= start_byte or node.start_byte >= end_byte:
                continue
            if node.type in keep:
                continue
            if node.child_count == 0:
                if self.source[max(node.start_byte, start_byte):min(node.end_byte, end_byte)].strip():
                    return False
                continue
            stack.extend(node.children)
        return True

    def comment_at(self, offset: int) -> bool:
        """Is the first non-blank byte at `offset` inside a comment node?"""
        if self.tree is None:
            return False
        node = self.tree.root_node.descendant_for_byte_range(offset, offset + 1)
        while node is not None and node.type not in self.grammar.comments:
            if node.start_byte < offset:
                return False
            node = node.parent
        return node is not None
