"""Unit tests: proposals of exactly the function, the function-text guard, verdict lines and result validity."""

from __future__ import annotations

from server.problem_extract import Span
from server.lsp.solution_edit import Proposal, clean_solution, locate_original
from server.reports.verdict import change_text, still_valid, verdict_line

BAD = "def two_sum(nums, target):\n    return [0]\n\nExample usage:\nnums = [2, 7]\ntarget = 9\nprint(two_sum(nums, target))\n"


def test_example_code_never_reaches_the_file():
    assert clean_solution(BAD, "python", "two_sum") == "def two_sum(nums, target):\n    return [0]"
    ok = "from collections import Counter\n\ndef f(a):\n    return a\n\nprint(f(1))\nx = f(2)\n"
    assert clean_solution(ok, "python", "f") == "from collections import Counter\n\ndef f(a):\n    return a"
    assert clean_solution("int f() { return 1; }", "cpp", "f") == "int f() { return 1; }"


def test_function_text_guard():
    original = "def f():\n    return 1"
    proposal = Proposal("file:///a.py", 1, Span((2, 0), (3, 12)), original, "def f():\n    return 2", name="f")
    moved = "import os\n\n\n" + original + "\n"
    assert locate_original(moved, proposal) == Span((3, 0), (4, 12))  # edits elsewhere: still applies
    assert locate_original("def f():\n    return 3\n", proposal) is None  # the function changed: refused


def test_verdict_lines_and_validity():
    decision = {"metric": "time", "ratio": 0.5, "ci_low": 0.45, "ci_high": 0.55}
    assert change_text(decision) == "2.0× faster, 95% CI 1.8–2.2"
    assert change_text({"metric": "peak_memory", "ratio": 0.8, "ci_low": 0.7, "ci_high": 0.9}) == \
        "20% less peak memory, 95% CI 10–30%"
    report = {"kind": "optimize", "status": "accepted", "tests_passed": 14, "tests_total": 14, "decision": decision,
              "judgment": {"scores": {"accuracy": 5, "clarity": 4, "efficiency": 4}}}
    assert verdict_line(report) == "tests 14/14 · 2.0× faster, 95% CI 1.8–2.2 · judge 5/4/4"
    assert verdict_line({"kind": "judge", "execution": "not run", "judgment": None}) == "tests not run"
    # The change against the original is what the user gets (two accepted steps: 0.5 then 0.8 of that), with
    # the interval at the decision's own level (alpha adjusted for comparisons and looks).
    change = {"metric": "time", "ratio": 0.4, "ci_low": 0.38, "ci_high": 0.42, "confidence": 0.99583}
    assert verdict_line({**report, "change": change}) == "tests 14/14 · 2.5× faster, 99.6% CI 2.4–2.6 · judge 5/4/4"
    texts = {"result_texts": ["def f():\n    return 1", "import os\n\ndef f():\n    return os.sep"]}
    assert still_valid(texts, "def f():\n    return 1  \n")
    assert still_valid(texts, "def f():\n    return os.sep")  # the applied proposal, imports above it
    assert not still_valid(texts, "def f():\n    return 2")
    assert still_valid({}, "anything")  # results without the record stay
