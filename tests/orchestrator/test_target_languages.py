"""Targets and candidates in every language through tree-sitter (orchestrator/target.py, code.py):
exact spans, imports, enclosing classes, `apply` replacing only that span, and the target function cut
out of a model's answer with example usage dropped. No sandbox, no model."""

from __future__ import annotations

import ast

import pytest

from orchestrator.prompts import candidate_from_answer
from orchestrator.target import TargetError, apply, locate

FILES = {
    "a.cpp": ('#include <vector>\nusing namespace std;\n\n// Sum of xs.\ntemplate <typename T>\n'
              'T total(const vector<T>& xs) {\n    T s{};\n    for (auto x : xs) s += x;\n    return s;\n}\n\n'
              'struct P { int area() const { return 1; } };\nint P::volume() { return 2; }\n'),
    "A.java": ('import java.util.*;\n\npublic class A {\n    /** Sum. */\n    public static int sum(int[] xs) {\n'
               '        int s = 0;\n        for (int x : xs) { s += x; }\n        return s;\n    }\n}\n'),
    "a.go": ('package main\n\nimport "fmt"\n\n// Sum sums.\nfunc Sum(xs []int) int {\n\ts := 0\n'
             '\tfor _, x := range xs { s += x }\n\treturn s\n}\n\nfunc main() { fmt.Println(Sum(nil)) }\n'),
    "a.rs": ('use std::collections::HashMap;\n\n#[inline]\npub fn sum(xs: &[i64]) -> i64 {\n    xs.iter().sum()\n}\n\n'
             'struct S;\nimpl S {\n    fn m(&self) -> i32 { 1 }\n}\n'),
    "a.js": ("const fs = require('fs');\n\n// Sum.\nfunction sum(xs) {\n  let s = 0;\n  for (const x of xs) s += x;\n"
             "  return s;\n}\n\nconst twice = (x) => 2 * x;\nmodule.exports = { sum, twice };\n"),
}


@pytest.fixture
def files(tmp_path):
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)
    return tmp_path


@pytest.mark.parametrize("spec, head, tail, cls, imports", [
    ("a.cpp::total", "template <typename T>\nT total(", "return s;\n}", None, ("#include <vector>", "using namespace std;")),
    ("a.cpp::P.area", "int area() const", "return 1; }", "P", ("#include <vector>", "using namespace std;")),
    ("a.cpp::P::volume", "int P::volume()", "return 2; }", None, ("#include <vector>", "using namespace std;")),
    ("A.java::sum", "public static int sum(", "return s;\n    }", "A", ("import java.util.*;",)),
    ("a.go::Sum", "func Sum(", "return s\n}", None, ('import "fmt"',)),
    ("a.rs::sum", "#[inline]\npub fn sum(", "iter().sum()\n}", None, ("use std::collections::HashMap;",)),
    ("a.rs::S.m", "fn m(&self)", "{ 1 }", "S", ("use std::collections::HashMap;",)),
    ("a.js::sum", "function sum(xs)", "return s;\n}", None, ("const fs = require('fs');",)),
    ("a.js::twice", "const twice = (x)", "2 * x;", None, ("const fs = require('fs');",)),
])
def test_exact_spans_imports_and_classes(files, spec, head, tail, cls, imports):
    t = locate(f"{files}/{spec}")
    assert t.code.startswith(head) and t.code.endswith(tail), t.code
    assert t.class_name == cls and t.imports == imports
    assert t.text[t.start:t.end] == t.code


def test_comment_above_is_the_problem_text(files):
    assert locate(f"{files}/a.go::Sum").docstring == "Sum sums."
    assert locate(f"{files}/a.cpp::total").docstring == "Sum of xs."


def test_a_function_with_a_syntax_error_is_refused(tmp_path):
    (tmp_path / "b.go").write_text("package main\n\nfunc F(x int) int {\n\treturn x +\n}\n")
    with pytest.raises(TargetError, match="does not parse"):
        locate(f"{tmp_path}/b.go::F")
    (tmp_path / "c.js").write_text("function f() { return 1; }\n")
    with pytest.raises(TargetError, match=r"no function 'g' \(functions: f\)"):
        locate(f"{tmp_path}/c.js::g")


def test_python_decorated_method_and_nested_choice(tmp_path):
    (tmp_path / "m.py").write_text("import functools\n\nclass C:\n    @staticmethod\n    def f(x):\n        return x\n\n"
                                   "def f(x):\n    def inner():\n        return 1\n    return x + inner()\n")
    free = locate(f"{tmp_path}/m.py::f")
    assert free.class_name is None and free.code.startswith("def f(x):\n    def inner")
    method = locate(f"{tmp_path}/m.py::C.f")
    assert method.class_name == "C" and method.code.startswith("@staticmethod\n    def f") and method.qualname == "C.f"


ANSWERS = {
    "a.cpp::total": ("cpp", "```cpp\n#include <vector>\n#include <numeric>\nusing namespace std;\ntemplate <typename T>\n"
                     "T total(const vector<T>& xs) {\n    return accumulate(xs.begin(), xs.end(), T{});\n}\n\nint main() {\n"
                     "    cout << total(vector<int>{1,2}) << endl;\n}\n```", "#include <numeric>", "accumulate("),
    "A.java::sum": ("java", "```java\nimport java.util.stream.*;\n\npublic class Solution {\n    public static int sum(int[] xs) "
                    "{\n        return helper(xs);\n    }\n    private static int helper(int[] xs) { return IntStream.of(xs)"
                    ".sum(); }\n    public static void main(String[] args) {\n        System.out.println(sum(new int[]{1}));"
                    "\n    }\n}\n```", "import java.util.stream.*;", "private static int helper"),
    "a.go::Sum": ("go", "```go\npackage main\n\nimport (\n\t\"fmt\"\n\t\"sort\"\n)\n\nconst limit = 10\n\nfunc Sum(xs []int)"
                  " int {\n\tsort.Ints(xs)\n\ts := 0\n\tfor _, x := range xs { if x < limit { s += x } }\n\treturn s\n}\n\n"
                  "func main() {\n\tfmt.Println(Sum([]int{1}))\n}\n```", 'import "sort"', "const limit = 10"),
    "a.rs::sum": ("rust", "```rust\nuse std::collections::HashSet;\nconst M: i64 = 7;\npub fn sum(xs: &[i64]) -> i64 {\n"
                  "    xs.iter().map(|x| x % M).sum()\n}\nfn main() {\n    println!(\"{}\", sum(&[1, 2]));\n}\n```",
                  "use std::collections::HashSet;", "const M: i64 = 7;"),
    "a.js::sum": ("js", "```javascript\nfunction sum(xs) {\n  return xs.reduce((a, b) => a + b, 0);\n}\n"
                  "console.log(sum([1, 2, 3]));\nmodule.exports = sum;\n```", "xs.reduce(", "xs.reduce("),
}


@pytest.mark.parametrize("spec", sorted(ANSWERS))
def test_answer_gives_only_the_function_and_apply_replaces_only_its_span(files, spec):
    language, answer, import_line, body_part = ANSWERS[spec]
    target = locate(f"{files}/{spec}")
    code, why = candidate_from_answer(answer, language, target.name, target.text)
    assert why == "" and body_part in code
    for example in ("main(", "console.log", "println!", "System.out"):
        assert example not in code
    apply(target, code)
    text = (files / spec.split("::")[0]).read_text()
    assert import_line in text and body_part in text
    before, after = FILES[spec.split("::")[0]][:target.start], FILES[spec.split("::")[0]][target.end:]
    assert text.endswith(after)  # everything after the function is untouched
    assert all(line in text for line in before.splitlines())  # before it: only imports were added
    assert text.count(target.name + "(") >= 1 and text.count("int main()") <= 1


def test_python_answer_with_constants_and_example_usage():
    answer = ("```python\nimport math\nMOD = 7\nUNUSED = 3\ndef f(x):\n    return x % MOD\n\nprint(f(3))\n"
              "if __name__ == '__main__':\n    f(1)\nprint(f(3)\n```")  # a truncated last line too
    code, why = candidate_from_answer(answer, "python", "f", "import math\n")
    assert why == "" and code == "MOD = 7\n\ndef f(x):\n    return x % MOD"
    ast.parse(code)


def test_python_imports_of_a_candidate_go_to_the_import_section(tmp_path):
    (tmp_path / "m.py").write_text('"""doc"""\nimport os\n\n\nclass K:\n    def f(self, xs):\n        return sorted(xs)\n')
    t = locate(f"{tmp_path}/m.py::K.f")
    new = t.with_code("import heapq\n\ndef f(self, xs):\n    return heapq.nsmallest(len(xs), xs)")
    assert new.startswith('"""doc"""\nimport os\nimport heapq\n') and "    def f(self, xs):\n        return heapq" in new
    ast.parse(new)
