"""Incremental documents: LSP edits (UTF-16 positions) applied with tree-sitter's edit + reparse
give the same text, tree and functions as parsing the edited text afresh; anchors follow edits."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from source.document import Document
from tests.source.test_structure import CPP, GO, JAVA, JS, PYTHON, RUST

SAMPLES = {"python": PYTHON, "cpp": CPP, "java": JAVA, "go": GO, "rust": RUST, "javascript": JS}
SNIPPETS = ["", "x", "z2", " ", "  ", " y = 1", "a + b", "return ", "if x ", "int ", ";", "=", ":", "\n", "def f(a):\n    return a\n", "int g() { return 1; }\n", "}", "{", "(", "'é😀'", "// c\n",
            "/** d */\n", "\n\n", "    ", "fn h() {}\n", "const k = () => 1;\n", "😀"]


def _utf16_position(text: str, index: int) -> tuple[int, int]:
    """(line, UTF-16 column) of a code-point index."""
    before = text[:index]
    line = before.count("\n")
    col_text = before[before.rfind("\n") + 1:]
    return line, len(col_text.encode("utf-16-le")) // 2


def _fresh(text: str, language: str) -> Document:
    return Document(text, language)


def _at_every_line(doc: Document) -> list:
    found = []
    for row in range(doc.line_count):
        fn = doc.function_at(row, len(doc.line_bytes(row)) // 2)
        found.append(fn and (fn.qualified_name, fn.first_row, fn.last_row, fn.name_row, fn.start_byte, fn.end_byte))
    return found


def _same(doc: Document, text: str) -> None:
    assert doc.source == text.encode("utf-8") and doc.char_count == len(text)
    fresh = _fresh(text, doc.language)
    assert doc.starts == fresh.starts
    # Edits that keep every function's bounds wait for a re-parse; until then the edited tree must
    # still answer every position as a fresh parse does.
    assert _at_every_line(doc) == _at_every_line(fresh)
    doc.settle()
    assert not doc.stale and str(doc.tree.root_node) == str(fresh.tree.root_node)
    assert [(f.qualified_name, f.first_row, f.last_row, f.name_row) for f in doc.outline()] == [
        (f.qualified_name, f.first_row, f.last_row, f.name_row) for f in fresh.outline()
    ]


@settings(max_examples=60, deadline=None)
@given(
    language=st.sampled_from(sorted(SAMPLES)),
    edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 40), st.sampled_from(SNIPPETS)), min_size=1, max_size=8),
)
def test_incremental_edits_match_a_fresh_parse(language, edits):
    text = SAMPLES[language].replace("Stack", "Stäck😀")  # non-ASCII, and outside the BMP: UTF-16 != code points
    doc = Document(text, language, version=1)
    for version, (where, length, new) in enumerate(edits, start=2):
        start = int(where * len(text))
        end = min(len(text), start + length)
        doc.apply_change(_utf16_position(text, start), _utf16_position(text, end), new, "utf-16", version)
        text = text[:start] + new + text[end:]
        assert doc.version == version
    _same(doc, text)


def test_typing_inside_a_body_waits_for_the_quiet_moment_and_edits_that_move_bounds_do_not():
    doc = Document(PYTHON, "python")
    row = PYTHON.splitlines().index("        return g(z)")
    doc.apply_change((row, 18), (row, 18), "oo")  # g(z) -> g(zoo): an identifier stays one
    doc.apply_change((row, 14), (row, 14), "  ")  # blanks between tokens
    assert doc.stale
    doc.apply_change((4, 8), (4, 8), "this ")  # "# Apply f twice." -> "# Apply this f twice.": inside a comment
    assert doc.stale and doc.function_at(4, 3).comment == "Apply this f twice."
    doc.apply_change((4, 1), (4, 1), "(")  # a bracket in a comment is only text
    assert doc.stale
    doc.apply_change((4, 1), (4, 1), "*/")  # could close a block comment: re-parsed at once
    assert not doc.stale
    doc.apply_change((row, 0), (row, 0), "  ")  # indentation is syntax in Python
    assert not doc.stale
    doc.apply_change((row, 0), (row, 2), "")
    doc.apply_change((row - 1, 15), (row - 1, 15), "ion")  # inner(z) -> inner(zion)
    assert doc.stale
    doc.apply_change((row - 1, 13), (row - 1, 13), "s")  # `inner` -> `inners`, the name, read from the text
    assert doc.stale and doc.function_at(row - 1, 10).name == "inners"
    cpp = Document(CPP, "cpp")
    row = CPP.splitlines().index("    T best = xs[0];")
    cpp.apply_change((row, 10), (row, 10), "_so_far")  # best -> best_so_far
    assert cpp.stale and cpp.function_at(row, 6).name == "maxOf"
    cpp.apply_change((row, 4), (row, 5), "return")  # `T` -> `return`: a keyword changes the tree
    assert not cpp.stale
    cpp.settle()
    assert [f.name for f in cpp.outline()] == [f.name for f in Document(cpp.text, "cpp").outline()]


def test_edit_at_end_and_past_the_last_line_and_full_replacement():
    doc = Document("def f():\n    return 1\n", "python")
    doc.apply_change((2, 0), (2, 0), "def g():\n    pass\n")
    assert [f.name for f in doc.outline()] == ["f", "g"]
    doc.replace_all("x = 1\n", version=7)
    assert doc.outline() == [] and doc.version == 7 and doc.text == "x = 1\n"


def test_utf8_and_utf32_encodings():
    doc = Document("s = '😀'; t = 1\n", "python")
    doc.apply_change((0, 7), (0, 8), "2", "utf-32")  # code points: the quote after the emoji
    assert doc.text == "s = '😀'2 t = 1\n"
    doc.apply_change((0, 10), (0, 10), ";", "utf-8")  # bytes: the emoji is 4 of them
    assert doc.text == "s = '😀';2 t = 1\n"


def test_anchors_follow_edits_above_and_collapse_when_their_text_goes():
    text = "def a():\n    pass\n\ndef a():\n    return 2\n"
    doc = Document(text, "python")
    first, second = doc.outline()
    anchor_first = doc.anchor(first.name_start_byte)
    anchor_second = doc.anchor(second.name_start_byte)
    assert anchor_first is not anchor_second and doc.anchor(second.name_start_byte) is anchor_second
    doc.apply_change((0, 0), (0, 0), "import os\n\n\n")  # three lines above both
    assert doc.function_at_anchor(anchor_first).name_row == 3
    assert doc.function_at_anchor(anchor_second).name_row == 6
    doc.apply_change((6, 4), (6, 5), "b")  # rename the second: its anchor is inside the replaced name
    assert doc.function_at_anchor(anchor_second).name == "b"
    doc.apply_change((3, 0), (5, 0), "")  # delete the first function
    assert doc.function_at_anchor(anchor_first) is None or doc.function_at_anchor(anchor_first).name == "b"
    del anchor_first
    assert len(list(doc._anchors)) == 1  # the document only holds anchors weakly


def test_function_at_is_local_and_owned_span_widens_to_whole_lines_only_when_alone():
    doc = Document("struct P { int get() const { return x; } int x; };\nint f() {\n  return 1;\n}\n", "cpp")
    get, f = doc.outline()
    assert doc.owned_span(get.start_byte, get.end_byte) == (get.start_byte, get.end_byte)  # shares its line
    start, end = doc.owned_span(f.start_byte, f.end_byte)
    assert doc.source[start:end] == b"int f() {\n  return 1;\n}"
    assert doc.function_at(2, 0).name == "f" and doc.function_at(0, 30).name == "get"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.integers(0, 3000), st.sampled_from(["", "a", "bc", "\n", "x\ny\n", "\n" * 300])),
                min_size=1, max_size=12))
def test_line_index_blocks_match_a_fresh_index(edits):
    from source.lines import LineIndex

    text = "".join(f"line {i}\n" for i in range(1000)).encode()
    index = LineIndex(text)
    for where, length, new in edits:
        start = int(where * len(text))
        end = min(len(text), start + length)
        index.edit(index.row_of(start), index.row_of(end), start, end, new.encode())
        text = text[:start] + new.encode() + text[end:]
        fresh = LineIndex(text)
        assert index.to_list() == fresh.to_list() and len(index) == len(fresh)
        for offset in (0, start, end, len(text) // 2, len(text)):
            offset = min(offset, len(text))
            assert index.row_of(offset) == fresh.row_of(offset)
