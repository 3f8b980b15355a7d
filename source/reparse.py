"""When the re-parse after an edit can wait (source.Document applies edits; this decides). An edit that leaves
the syntax tree as it is, apart from the spelling of one token, keeps every function's bounds in the tree moved
by `tree.edit`, so the document re-parses later, when the editor is quiet."""

from __future__ import annotations

import re

import tree_sitter as ts

from source import grammars

_WORD = re.compile(rb"[A-Za-z0-9_]+")
_STRING_CONTENT = frozenset({"string_content", "string_fragment", "interpreted_string_literal_content"})
# Characters that could end a string (or open an interpolation) or end a comment.
_UNSAFE_IN_STRING = frozenset(b"\\'\"`{}$")
_UNSAFE_IN_COMMENT = frozenset(b"\\*/")


def _near_error(node: ts.Node) -> bool:
    """Inside or right beside a syntax error: error recovery is not local, let the parser decide."""
    while node is not None and node.parent is not None:  # up to the top-level statement, not the file
        if node.is_error or node.is_missing or node.has_error:
            return True
        node = node.parent
    return False


def keeps_bounds(doc, start_byte: int, old_end_byte: int, start_point, old_bytes: bytes, new_bytes: bytes) -> bool:
    """Does this edit leave the syntax tree as it is, apart from the spelling of one token? Then the
    tree, moved by `tree.edit`, still gives every function and its bounds, and the re-parse can wait
    for a quiet moment. That holds for the bulk of typing: letters in an identifier that stay an
    identifier (not a keyword), text inside a comment or a string that opens and closes nothing, and
    blanks between tokens (not Python indentation). Anything else (a line break, a bracket, a quote,
    a keyword, an edit near a syntax error) is re-parsed at once. `doc`: the source.Document, its text and tree
    still those before the edit."""
    if b"\n" in old_bytes or b"\n" in new_bytes or b"\r" in old_bytes or b"\r" in new_bytes:
        return False
    insert = start_byte == old_end_byte
    probe = start_byte - 1 if insert and start_byte > 0 else start_byte
    leaf = doc.tree.root_node.descendant_for_byte_range(probe, max(old_end_byte, probe + 1))
    if leaf is None or _near_error(leaf):
        return False
    if not old_bytes.strip(b" \t") and not new_bytes.strip(b" \t"):
        return _blank_between_tokens(doc, start_byte, old_end_byte, start_point, leaf)
    if leaf.child_count == 0 and leaf.is_named and leaf.type.endswith("identifier"):
        return _identifier_stays(doc, leaf, start_byte, old_end_byte, new_bytes)
    inner = leaf if leaf.type in doc.grammar.comments or leaf.type in _STRING_CONTENT else None
    if inner is None:
        return False
    opener = 1 if doc.source[inner.start_byte:inner.start_byte + 1] == b"#" else 2  # `#`, `//`, `/*`
    if start_byte < inner.start_byte + (opener if inner.type in doc.grammar.comments else 1):
        return False  # not inside the comment's opening marker
    if inner.type in _STRING_CONTENT:
        unsafe, end_ok = _UNSAFE_IN_STRING, old_end_byte <= inner.end_byte
    else:
        line_comment = doc.source[inner.start_byte:inner.start_byte + 2] in (b"//", b"#") or doc.source[
            inner.start_byte:inner.start_byte + 1] == b"#"
        unsafe = _UNSAFE_IN_COMMENT
        end_ok = old_end_byte <= inner.end_byte if line_comment else old_end_byte < inner.end_byte - 1
    return end_ok and not unsafe.intersection(old_bytes) and not unsafe.intersection(new_bytes)

def _blank_between_tokens(doc, start_byte: int, old_end_byte: int, start_point, leaf: ts.Node) -> bool:
    before = doc.source[start_byte - 1:start_byte] if start_byte > 0 else b"\n"
    after = doc.source[old_end_byte:old_end_byte + 1] or b"\n"
    if doc.language == "python":
        line = doc.line_bytes(start_point[0])
        indent = len(line) - len(line.lstrip(b" \t"))
        if start_point[1] <= indent or not line.strip():
            return False  # indentation is syntax in Python
    if start_byte == old_end_byte:  # inserting blanks: not inside a token
        return before in (b" ", b"\t", b"\n") or after in (b" ", b"\t", b"\n") or leaf.end_byte == start_byte
    return before in (b" ", b"\t", b"\n") or after in (b" ", b"\t", b"\n")  # deleting: tokens stay apart

def _identifier_stays(doc, leaf: ts.Node, start_byte: int, old_end_byte: int, new_bytes: bytes) -> bool:
    if not start_byte > leaf.start_byte or old_end_byte > leaf.end_byte or not _WORD.fullmatch(new_bytes):
        return False
    token = doc.source[leaf.start_byte:start_byte] + new_bytes + doc.source[old_end_byte:leaf.end_byte]
    if not _WORD.fullmatch(token) or token[:1].isdigit():
        return False
    keyword = grammars.ts_language(doc.language).id_for_node_kind(token.decode("ascii"), False)
    return not keyword  # `retur` + `n` is a keyword: the tree changes
