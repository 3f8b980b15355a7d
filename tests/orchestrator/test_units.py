"""Unit tests of the orchestrator's pure parts: targets and --apply, candidate extraction, test discovery,
differential inputs and comparisons, the composite score. No sandbox, no model."""

from __future__ import annotations

import ast

import pytest

from orchestrator.verify.checks import differential as diff
from orchestrator.prompts import candidate_from_answer, refine_messages
from orchestrator.report import composite_score
from orchestrator.target import FileChanged, TargetError, apply, locate
from orchestrator.verify.testing.testsuite import designed_tests, discover

MODULE = '''"""m"""
import math


class Box:
    def area(self, w: int, h: int) -> int:
        return w * h


def square(x: int) -> int:
    """Square.

    >>> square(3)
    9
    """
    return x * x
'''


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "p"
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text("")
    (root / "m.py").write_text(MODULE)
    (root / "tests" / "test_m.py").write_text(
        "from m import square\n\ndef test_sq():\n    assert square(4) == 16\n\ndef test_other():\n    assert 1\n")
    return root


def test_locate_function_and_method(project):
    t = locate(f"{project}/m.py::square")
    assert t.code.startswith("def square(x: int)") and t.code.endswith("return x * x")
    assert t.root == project and t.module == "m" and t.class_name is None
    m = locate(f"{project}/m.py::Box.area")
    assert m.class_name == "Box" and m.indent == "    " and m.code.startswith("def area")
    new = m.with_code("def area(self, w, h):\n    return h * w")
    assert "    def area(self, w, h):\n        return h * w" in new
    ast.parse(new)


def test_clear_errors(tmp_path, project):
    with pytest.raises(TargetError, match="no function 'nope'.*square"):
        locate(f"{project}/m.py::nope")
    (tmp_path / "bad.py").write_text("def f(:\n")
    with pytest.raises(TargetError, match="does not parse: line 1"):
        locate(f"{tmp_path}/bad.py::f")
    (tmp_path / "x.kt").write_text("fun f() {}")
    with pytest.raises(TargetError, match="unknown language"):
        locate(f"{tmp_path}/x.kt::f")
    with pytest.raises(TargetError, match="no .* image|has no"):
        locate(f"{tmp_path}/x.kt::f", language="kotlin")
    with pytest.raises(TargetError, match="FILE::function"):
        locate(f"{project}/m.py")


def test_apply_replaces_only_the_function_and_refuses_a_changed_file(project):
    t = locate(f"{project}/m.py::square")
    apply(t, "def square(x: int) -> int:\n    return x ** 2")
    text = (project / "m.py").read_text()
    assert "return x ** 2" in text and "class Box" in text and text.startswith('"""m"""')
    t2 = locate(f"{project}/m.py::square")
    (project / "m.py").write_text(text + "\n# edited\n")
    with pytest.raises(FileChanged):
        apply(t2, "def square(x):\n    return 0")
    assert (project / "m.py").read_text().endswith("# edited\n")


def test_braced_language_function(tmp_path):
    (tmp_path / "a.go").write_text("package main\n\nfunc helper() int { return 1 }\n\nfunc Sum(xs []int) int {\n"
                                   "    s := 0\n    for _, x := range xs { s += x }\n    if s > 0 { return s }\n"
                                   "    return 0\n}\n")
    t = locate(f"{tmp_path}/a.go::Sum")
    assert t.code.startswith("func Sum(") and t.code.endswith("return 0\n}")


def test_candidate_from_answer_keeps_imports_and_new_helpers():
    answer = ("Here:\n```python\nimport heapq\nimport math\n\ndef _h(x):\n    return x\n\ndef square(x):\n"
              "    return _h(x) * x\n\nprint(square(3))\n```")
    code, why = candidate_from_answer(answer, "python", "square", MODULE)
    assert why == "" and code.startswith("import heapq\n") and "import math" not in code  # already imported
    assert "def _h(x)" in code and "print(" not in code
    assert candidate_from_answer("no code here", "python", "square", MODULE)[0] is None
    assert "no function named square" in candidate_from_answer("```python\ndef f():\n    pass\n```", "python",
                                                               "square", MODULE)[1]


def test_an_answer_that_does_not_parse_names_the_line_of_its_error_not_the_def():
    python = "```python\ndef f(xs):\n    total = 0\n    for x in xs:\n        total += (x * 2\n    return total\n```"
    assert candidate_from_answer(python, "python", "f") == (
        None, "the answer's function f does not parse (line 4: '(' was never closed)")
    js = "```javascript\nfunction f(xs) {\n  let t = 0;\n  for (const x of xs) {\n    t += (x * 2;\n  }\n  return t;\n}\n```"
    assert candidate_from_answer(js, "js", "f")[1] == "the answer's function f does not parse (line 4: a missing token)"


def test_discovery_finds_user_tests_doctests_and_seen_inputs(project):
    suite = discover(locate(f"{project}/m.py::square"))
    assert [(t.suite, t.only) for t in suite.tests] == [("user", ["test_sq"]), ("doctest", None)]
    assert {"args": "(4,)", "kwargs": "{}"} in suite.seen_calls and {"args": "(3,)", "kwargs": "{}"} in suite.seen_calls


def test_designed_tests_are_split_per_assert():
    tests = designed_tests("```python\nassert square(2) == 4\nassert square(-1) == 1\nx = 1\n```", "square")
    assert [t.source for t in tests] == ["assert square(2) == 4", "assert square(-1) == 1"]


def test_generated_inputs_follow_hints_and_seen_values(project):
    t = locate(f"{project}/m.py::square")
    calls = diff.generate_inputs(t, [{"args": "(4,)", "kwargs": "{}"}], n=20)
    assert calls[0] == {"args": "(4,)", "kwargs": "{}"} and len(calls) > 5
    assert all(isinstance(ast.literal_eval(c["args"])[0], int) for c in calls)
    assert calls == diff.generate_inputs(t, [{"args": "(4,)", "kwargs": "{}"}], n=20)  # deterministic


def test_compare_and_state_problems():
    oracle = {"0": {"r": 1, "e": None, "m": None, "o": ""}, "1": {"r": None, "e": "timeout"}}
    same = {"0": {"r": 1, "e": None, "m": None, "o": ""}, "1": {"r": 5, "e": None, "m": None, "o": ""}}
    assert diff.compare(oracle, same).passed and diff.compare(oracle, same).compared == 1
    other = {"0": {"r": 2, "e": None, "m": None, "o": ""}}
    assert diff.compare(oracle, other).mismatches == [(0, "return value")]
    assert diff.state_problems([same, same], same, ["defaults"], []) == [
        "calls change state kept between calls: defaults"]
    assert diff.state_problems([same, other], same, [], []) and not diff.state_problems([same], same, ["g"], ["g"])
    # A call that timed out in one pass (a loaded machine) has no answer: not a sign of state.
    late = {"0": {"r": 1, "e": None, "m": None, "o": ""}, "1": {"r": None, "e": "timeout"}}
    assert diff.state_problems([same, late], same, [], []) == []


def test_refine_prompt_carries_profile_not_inputs():
    text = refine_messages("python", "f", "def f(x): ...", "", "time", "10 f.py:1(f)", "")[1]["content"]
    assert "10 f.py:1(f)" in text and "Do not cache" in text


def test_composite_never_rates_a_failing_candidate_above_half():
    assert composite_score(2, 3, {"scores": {"accuracy": 5, "clarity": 5, "efficiency": 5}}) == 0.5
    assert composite_score(3, 3, {"scores": {"accuracy": 5, "clarity": 5, "efficiency": 5}}) == 1.0
    assert composite_score(0, 0, None) is None


def test_go_imports_nothing_uses_are_pruned():
    """Go refuses a file with an unused import: a candidate that drops the original's use of a package must
    still compile. Only names that are certain go (std paths, explicit names); `_`, `.` and third-party stay."""
    from orchestrator.code import prune_go_imports

    text = ('package main\n\nimport (\n    "math"\n    s "strings"\n    "github.com/x/y.v2"\n    _ "embed"\n)\n'
            'import "fmt"\nimport "sort"\n\nfunc F(v []int) { sort.Ints(v); fmt.Println(v) }\n')
    pruned = prune_go_imports(text)
    assert '"math"' not in pruned and '"strings"' not in pruned
    assert all(kept in pruned for kept in ('"github.com/x/y.v2"', '_ "embed"', 'import "fmt"', 'import "sort"'))
    assert prune_go_imports(pruned) == pruned
    lone = 'package main\n\nimport (\n    "math"\n)\n\nfunc F() int { return 1 }\n'
    assert "import" not in prune_go_imports(lone) and "func F() int" in prune_go_imports(lone)


def test_go_candidates_get_the_standard_imports_they_use():
    """A candidate that calls strings.Fields without importing it still compiles (a small goimports); a
    package the file imports under another name, or outside the standard library, is left alone."""
    from pathlib import Path

    from orchestrator.code import complete_go_imports
    from orchestrator.target import locate_text

    src = 'package main\n\nimport (\n\t"math"\n)\n\n// Words, sorted.\nfunc Words(s string) []string {\n\treturn nil\n}\n'
    target = locate_text(Path("/tmp/main.go"), src, "Words", "go")
    text = target.with_code("func Words(s string) []string {\n\tx := strings.Fields(s)\n\tsort.Strings(x)\n"
                            "\treturn x\n}\n")
    assert 'import "strings"' in text and 'import "sort"' in text and '"math"' not in text
    assert complete_go_imports(text) == text
    aliased = 'package main\n\nimport str "strings"\n\nfunc F(s string) int { return len(str.Fields(s)) }\n'
    assert complete_go_imports(aliased) == aliased
    # `rand.Intn` means math/rand; a lower-case selector (a local variable's field) is not a package
    assert 'import "math/rand"' in complete_go_imports('package main\n\nfunc F() int { return rand.Intn(3) }\n')
    local = 'package main\n\nfunc F(strings []int) int { return strings.len }\n'
    assert complete_go_imports(local) == local


# -- the edge model's plan before an Optimize search (orchestrator/strategies.py) -------------------------


def test_plan_approaches_reads_numbered_lines_and_drops_code():
    from orchestrator.strategies import plan_approaches

    answer = ("Here are three ways:\n1. **One pass with a set** of seen items: O(n)\n"
              "2) Sort, then skip equal neighbours: O(n log n)\n```python\n1. def f(x): return x\n```\n"
              "- dict.fromkeys keeps first-seen order: O(n)\n4. a fourth one that is not taken: O(1)\n")
    assert plan_approaches(answer) == ["One pass with a set of seen items: O(n)",
                                       "Sort, then skip equal neighbours: O(n log n)",
                                       "dict.fromkeys keeps first-seen order: O(n)"]
    assert plan_approaches("Use a set.") == []  # no list: no plan, the generic advice stays
    # The prompt's line shape answered back is no approach.
    assert plan_approaches("1. <approach>: <time complexity>\n2. iterate over the last four values: O(n)") == [
        "iterate over the last four values: O(n)"]


def test_the_plan_prompt_names_no_approach_a_small_model_could_answer_back():
    from orchestrator.prompts import plan_messages

    asked = plan_messages("python", "fib4", "def fib4(n):\n    return n\n", "time")[-1]["content"]
    assert "`1. <approach>: <time complexity>`" in asked and "seen items" not in asked


def test_each_round_s_algorithm_sample_follows_the_next_approach_of_the_plan():
    from orchestrator.strategies import round_strategies

    plan = ["one pass with a set {seen}: O(n)", "sort first: O(n log n)"]
    rounds = [round_strategies(r, 3, plan) for r in range(3)]
    followed = [s for strategies in rounds for s in strategies if s.name.startswith("plan")]
    assert [s.name for s in followed] == ["plan 1", "plan 2", "plan 1"]
    assert "one pass with a set {seen}: O(n)" in followed[0].instruction.format(goal="time")  # braces survive
    assert [s.name for s in round_strategies(0, 3)] == ["algorithm", "hot lines", "data structures"]  # no plan


def test_the_job_s_strategies_setting_limits_what_a_round_asks_for():
    from pydantic import ValidationError

    from orchestrator.report import JobLimits
    from orchestrator.strategies import round_strategies

    limits = JobLimits(strategies=["hot lines", "data structures"])
    names = [s.name for r in range(2) for s in round_strategies(r, 3, ["a set: O(n)"], limits.strategies)]
    assert names == ["hot lines", "data structures", "hot lines", "data structures", "hot lines", "data structures"]
    with pytest.raises(ValidationError):
        JobLimits(strategies=["magic"])
    with pytest.raises(ValidationError):
        JobLimits(strategies=[])


# -- a failing assert's values for the fix prompt (orchestrator/verify/testing/failure_values.py) ----------------


def test_the_asserted_call_is_read_from_a_bare_assertion_error():
    from orchestrator.verify.testing.failure_values import asserted_call

    tb = 'Traceback (most recent call last):\n  File "t.py", line 4, in test_even\n    {}\nAssertionError\n'
    found = asserted_call("test_even", tb.format("assert median([1, 2, 3, 4]) == 2.5"), "median")
    assert (found.call, found.expected) == ("median([1, 2, 3, 4])", "2.5")
    assert asserted_call("t", tb.format("assert [1] == dedupe([1, 1])"), "dedupe").expected == "[1]"
    assert asserted_call("t", tb.format("assert not is_prime(9)"), "is_prime").expected == "a false value"
    assert asserted_call("t", tb.format("assert is_prime(7)"), "is_prime").expected == "a true value"
    assert asserted_call("t", tb.format("assert other(1) == 2"), "median") is None  # not the target
    assert asserted_call("t", tb.format("assert obj.median([1]) == 1"), "median") is None  # needs its receiver
    # A message of its own (unittest's "3 != 2.5", pytest's rewritten assert) already shows the values.
    assert asserted_call("t", tb.format("assert median([1]) == 2").replace("AssertionError", "AssertionError: 1 != 2"),
                         "median") is None


def test_normalised_values_are_shown_as_python_would():
    from orchestrator.verify.testing.failure_values import display

    assert display(["list", 1, "float:2.5", "a"]) == "[1, 2.5, 'a']"
    assert display(["tuple", 1]) == "(1,)" and display({"__set__": []}) == "set()"
    assert display({"__dict__": [["a", ["list"]]]}) == "{'a': []}"
    assert display({"__iter__": [1, 2]}) == "an iterator yielding [1, 2]"
    assert display({"__type__": "P", "attrs": [["x", 1]]}) == "P(x=1)" and display(None) == "None"
