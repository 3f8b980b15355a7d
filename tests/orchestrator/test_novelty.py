"""Duplicates are caught before anything runs (orchestrator/verify/novelty.py): a verbatim copy, a copy with
another docstring, comments or layout, a copy with renamed local variables; a real change is new."""

from __future__ import annotations

from orchestrator.verify.novelty import Novelty

ORIGINAL = '''def pairs(nums: list[int], k: int) -> int:
    """Number of index pairs i < j with nums[i] + nums[j] == k."""
    total = 0
    for i in range(len(nums)):
        for j in range(i + 1, len(nums)):
            if nums[i] + nums[j] == k:
                total += 1
    return total
'''
REFORMATTED = '''def pairs(nums: list[int], k: int) -> int:
    # count them
    total=0
    for i in range( len(nums) ):   # outer
        for j in range(i + 1,
                       len(nums)):
            if nums[i] + nums[j] == k: total += 1
    return total
'''
RENAMED = '''def pairs(values: list[int], k: int) -> int:
    """Counts pairs."""
    count = 0
    for a in range(len(values)):
        for b in range(a + 1, len(values)):
            if values[a] + values[b] == k:
                count += 1
    return count
'''
REAL_CHANGE = '''def pairs(nums: list[int], k: int) -> int:
    from collections import Counter

    seen, total = Counter(), 0
    for x in nums:
        total += seen[k - x]
        seen[x] += 1
    return total
'''


def test_a_verbatim_copy_is_the_original():
    assert Novelty(ORIGINAL, "python").duplicate_of(ORIGINAL) == "the original"


def test_docstring_comments_and_layout_do_not_make_a_candidate_new():
    novelty = Novelty(ORIGINAL, "python")
    assert novelty.duplicate_of(REFORMATTED) == "the original"
    assert novelty.duplicate_of(ORIGINAL.replace("Number of index pairs", "How many pairs")) == "the original"
    assert novelty.duplicate_of("    " + ORIGINAL.replace("\n", "\n    ")) == "the original"  # indented as a method


def test_renamed_local_variables_do_not_make_a_candidate_new():
    assert Novelty(ORIGINAL, "python").duplicate_of(RENAMED) == "the original"


def test_a_real_change_is_new_and_then_names_its_attempt():
    novelty = Novelty(ORIGINAL, "python")
    assert novelty.duplicate_of(REAL_CHANGE) is None
    assert novelty.duplicate_of(ORIGINAL.replace("i + 1", "i")) is None  # one token: a different function
    assert novelty.duplicate_of(ORIGINAL.replace("nums[i] + nums[j]", "nums[j] + nums[i]")) is None
    novelty.add(REAL_CHANGE, "attempt 2")
    assert novelty.duplicate_of(REAL_CHANGE.replace("seen", "counts")) == "attempt 2"
    novelty.add(REAL_CHANGE, "attempt 3")  # the first label stays
    assert novelty.duplicate_of(REAL_CHANGE) == "attempt 2"


def test_renaming_keeps_globals_attributes_and_nested_scopes_apart():
    novelty = Novelty("def f(x):\n    return x + N\n", "python")
    assert novelty.duplicate_of("def f(x):\n    return x + M\n") is None  # another global
    assert novelty.duplicate_of("def f(y):\n    return y.N\n") is None  # an attribute is not a local
    closure = "def f(xs):\n    t = 0\n    def add(v):\n        nonlocal t\n        t += v\n    for x in xs:\n" \
              "        add(x)\n    return t\n"
    novelty = Novelty(closure, "python")
    renamed = "def f(items):\n    acc = 0\n    def plus(w):\n        nonlocal acc\n        acc += w\n" \
              "    for item in items:\n        plus(item)\n    return acc\n"
    assert novelty.duplicate_of(renamed) == "the original"
    assert novelty.duplicate_of(closure.replace("add(x)", "add(t)")) is None


def test_a_function_that_reads_its_locals_by_name_is_compared_without_renaming():
    source = "def f(x):\n    return eval('x * 2')\n"
    novelty = Novelty(source, "python")
    assert novelty.duplicate_of("def f(y):\n    return eval('x * 2')\n") is None
    assert novelty.duplicate_of(source + "# same\n") == "the original"


def test_other_languages_compare_tokens_without_comments_and_whitespace():
    cpp = "int twice(int x) {\n    // double it\n    return x * 2;  /* fast */\n}\n"
    novelty = Novelty(cpp, "cpp")
    assert novelty.duplicate_of("int twice(int x){return x*2;}") == "the original"
    assert novelty.duplicate_of("int twice(int x){return x<<1;}") is None
    go = "func Twice(x int) int {\n\t// c\n\treturn x * 2\n}\n"
    assert Novelty(go, "go").duplicate_of("func Twice(x int) int {\n  return x*2\n}") == "the original"
