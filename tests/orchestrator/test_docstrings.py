"""Every Python candidate carries the original's docstring, whatever the model wrote (orchestrator.docstrings)."""

from __future__ import annotations

import ast

from orchestrator.docstrings import keep_docstring

ORIGINAL = '''def mean(xs: list[float]) -> float:
    """The arithmetic mean.

    >>> mean([1.0, 3.0])
    2.0
    """
    total = 0.0
    for x in xs:
        total += x
    return total / len(xs)
'''


def _doc(code: str) -> str | None:
    return ast.get_docstring(ast.parse(code).body[0], clean=False)


def test_a_candidate_without_docstring_gets_the_original_one():
    candidate = "def mean(xs: list[float]) -> float:\n    return sum(xs) / len(xs)\n"
    kept = keep_docstring(candidate, "mean", ORIGINAL)
    assert _doc(kept) == _doc(ORIGINAL)
    assert kept.rstrip().endswith("return sum(xs) / len(xs)")


def test_a_candidates_own_docstring_is_replaced_and_its_indentation_followed():
    candidate = ('import math\n\ndef mean(xs):\n  """Rewritten, with a different doctest.\n\n  >>> mean([1.0])\n  9.0\n'
                 '  """\n  return math.fsum(xs) / len(xs)\n')
    kept = keep_docstring(candidate, "mean", ORIGINAL)
    assert "Rewritten" not in kept and "9.0" not in kept and "The arithmetic mean." in kept
    fn = ast.parse(kept).body[1]
    assert ast.get_docstring(fn) == ast.get_docstring(ast.parse(ORIGINAL).body[0])
    assert kept.startswith("import math") and "math.fsum" in kept


def test_nothing_to_keep_or_no_room_leaves_the_code_as_it_is():
    bare = "def mean(xs):\n    return sum(xs) / len(xs)\n"
    assert keep_docstring(bare, "mean", bare) == bare  # the original has none
    one_line = "def mean(xs): return sum(xs) / len(xs)\n"
    assert keep_docstring(one_line, "mean", ORIGINAL) == one_line
    assert keep_docstring("def other():\n    pass\n", "mean", ORIGINAL) == "def other():\n    pass\n"
