"""Extraction: enclosing function and its problem text, selections, comment-only problems,
and brace languages."""

from __future__ import annotations

import pytest

from server.problem_extract import Span, extract_at, find_function, outline, whole_text

PY = '''import os


# Return the indices of the two numbers in `nums` that add up to `target`.
def two_sum(nums, target):
    for i in range(len(nums)):
        for j in range(i + 1, len(nums)):
            if nums[i] + nums[j] == target:
                return [i, j]


class Box:
    @staticmethod
    def area(w, h):
        """Area of a w x h box."""
        def helper():
            return w * h
        return helper()


# Write fizzbuzz(n): the list of strings for 1..n.
# Multiples of 3 are Fizz, of 5 Buzz, of both FizzBuzz.

x = 1
'''


def at(line, character=0):
    return Span((line, character), (line, character))


def test_python_outline_finds_functions_methods_and_nested():
    names = [(f.name, f.span.start[0], f.span.end[0]) for f in outline(PY, "python")]
    assert names == [("two_sum", 4, 8), ("area", 12, 17), ("helper", 15, 16)]


def test_cursor_in_function_gives_function_and_comment_above():
    ex = extract_at(PY, "python", at(6, 8))
    assert ex.name == "two_sum" and ex.code.startswith("def two_sum") and ex.code.endswith("return [i, j]")
    assert ex.description == "Return the indices of the two numbers in `nums` that add up to `target`."
    assert ex.span == Span((4, 0), (8, 29)) and ex.anchor_line == 4


def test_cursor_on_problem_comment_of_a_function_targets_the_function():
    assert extract_at(PY, "python", at(3, 3)).name == "two_sum"


def test_docstring_and_decorator_included_innermost_wins():
    ex = extract_at(PY, "python", at(13, 6))
    assert ex.name == "area" and ex.description == "Area of a w x h box." and ex.code.lstrip().startswith("@staticmethod")
    assert extract_at(PY, "python", at(16, 12)).name == "helper"


def test_comment_block_without_code_is_a_problem_with_no_code():
    ex = extract_at(PY, "python", at(21, 5))
    assert ex.code is None and ex.name is None
    assert ex.description.startswith("Write fizzbuzz(n)") and "FizzBuzz" in ex.description
    assert ex.span.start == ex.span.end == (21, len(PY.splitlines()[21]))  # the solution goes after it


def test_comment_only_selection_is_a_problem_even_above_a_function():
    ex = extract_at(PY, "python", Span((3, 0), (3, 73)))
    assert ex.code is None and ex.description.startswith("Return the indices")


def test_docstring_only_selection_is_a_problem():
    ex = extract_at(PY, "python", Span((14, 8), (14, 34)))
    assert ex.code is None and ex.description == "Area of a w x h box."


def test_code_selection_outside_functions_is_the_selection_itself():
    ex = extract_at(PY, "python", Span((23, 0), (23, 5)))
    assert ex.code == "x = 1" and ex.name is None


def test_nothing_at_blank_or_plain_code_cursor():
    assert extract_at(PY, "python", at(1)) is None
    assert extract_at(PY, "python", at(23, 2)) is None


def test_python_with_syntax_error_falls_back_to_indentation():
    broken = PY.replace("return [i, j]", "return [i, j")
    names = [f.name for f in outline(broken, "python")]
    assert "two_sum" in names and "area" in names
    assert extract_at(broken, "python", at(6)).name == "two_sum"


CPP = '''#include <vector>
#include <string>

// Largest sum of a contiguous subarray.
// Kadane's algorithm is expected.
int maxSub(const std::vector<int>& a) {
    int best = a[0];
    std::string s = "}{";  /* braces { in comments } */
    for (size_t i = 0; i < a.size(); ++i) {
        if (a[i] > best) { best = a[i]; }
    }
    return best;
}

struct P {
    int x;
    int get() const { return x; }
};
'''


def test_brace_language_function_comment_and_strings():
    fns = outline(CPP, "cpp")
    assert [(f.name, f.span.start[0], f.span.end[0]) for f in fns] == [("maxSub", 5, 12), ("get", 16, 16)]
    ex = extract_at(CPP, "cpp", at(9, 10))
    assert ex.name == "maxSub" and ex.description == "Largest sum of a contiguous subarray.\nKadane's algorithm is expected."


@pytest.mark.parametrize(
    "language, source, name",
    [
        ("java", "class A {\n  /** Sum of a and b. */\n  @Override\n  public static int add(int a, int b) {\n    return a + b;\n  }\n}\n", "add"),
        ("go", "package m\n\n// Push x.\nfunc (s *Stack) Push(x int) {\n\ts.items = append(s.items, x)\n}\n", "Push"),
        ("rust", "/// Two sum.\npub fn two_sum(nums: &[i32], t: i32) -> Option<(usize, usize)> {\n    if t > 0 { None } else { None }\n}\n", "two_sum"),
        ("javascript", "// Add.\nconst add = (a, b) => {\n  return a + b;\n};\nxs.forEach(function (x) {\n  log(x);\n});\n", "add"),
        ("javascript", "// Greet.\nfunction greet(name) {\n  if (name) { return `hi ${name}`; }\n}\n", "greet"),
    ],
)
def test_brace_languages_name_and_problem(language, source, name):
    fns = outline(source, language)
    assert [f.name for f in fns] == [name]
    assert fns[0].problem  # the doc comment above


def test_find_function_and_whole_text():
    assert find_function(PY, "python", "Box.area").name == "area"
    assert find_function(PY, "python", "nope") is None
    assert whole_text(PY, "python").name == "two_sum"
    problem = whole_text("Write a function that reverses a string.\n", "plaintext")
    assert problem.code is None and problem.title == "Write a function that reverses a string."
    comment_only = whole_text("# Reverse a string.\n", "python")
    assert comment_only.code is None


def test_to_problem():
    problem = extract_at(PY, "python", at(6)).to_problem(source="x.py::two_sum")
    assert problem.language == "python" and problem.code.startswith("def two_sum") and problem.source == "x.py::two_sum"


def _three_hundred_lines() -> str:
    block = PY
    text = ""
    i = 0
    while text.count("\n") < 300:
        text += block.replace("two_sum", f"two_sum_{i}").replace("def area", f"def area_{i}")
        i += 1
    return text


def test_every_line_of_a_300_line_file_resolves_to_its_function():
    """The code-action path outlines once per version and resolves each cursor from that outline
    (its speed is measured by benchmarks.codeaction_latency, not asserted here)."""
    text = _three_hundred_lines()
    functions = outline(text, "python")
    assert len(functions) == 3 * text.count("def two_sum_")  # two_sum, area, helper, and nothing else per block
    for function in functions:
        if function.name.startswith("two_sum_"):
            inside = extract_at(text, "python", at(function.name_line + 1), functions)
            assert inside.name == function.name and inside.code.startswith(f"def {function.name}(")
