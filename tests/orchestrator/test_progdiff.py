"""Differential tests for the brace languages (orchestrator/verify/checks/progdiff.py): a model-written input generator
runs in the sandbox against the original, whose output is the oracle. End to end for C++ with the scripted
OpenAI-compatible endpoint (real HTTP behind litellm) and the Docker sandbox; the other languages share
the code path (program assembly checked per language below)."""

from __future__ import annotations

import pytest

from orchestrator.code import append_program, without_main
from orchestrator.target import locate
from tests.conftest import require_real_part

CPP = '''#include <vector>
using namespace std;

// Number of index pairs i < j with nums[i] + nums[j] == k.
long long count_pairs(const vector<int>& nums, int k) {
    long long total = 0;
    for (size_t i = 0; i < nums.size(); i++)
        for (size_t j = i + 1; j < nums.size(); j++)
            if (nums[i] + nums[j] == k) total++;
    return total;
}
'''
TESTS = '''#include <cassert>
int main() {
    assert(count_pairs({1, 2, 3, 4}, 5) == 2);
    assert(count_pairs({}, 3) == 0);
    assert(count_pairs({1, 1, 1}, 2) == 3);
    return 0;
}
'''
WORKLOAD = '''#include <cstdlib>
int main(int argc, char** argv) {
    int n = atoi(argv[argc - 1]);
    vector<int> v(2500);
    for (int i = 0; i < 2500; i++) v[i] = i;
    long long s = 0;
    for (int r = 0; r < n; r++) { v[0] = r & 1; s += count_pairs(v, 2500); }
    return s < 0 ? 1 : 0;
}
'''
DRIVER = '''```cpp
#include <iostream>
int main() {
    vector<vector<int>> cases = {{1, 2, 3, 4}, {}, {5}, {-3, 3, 0, 0}, {-77777, 77782, 5}, {2, 2, 2, 2}, {-1, -2, -3, 6}};
    vector<int> ks = {5, 3, 10, 0, 5, 4, -3};
    for (size_t i = 0; i < cases.size(); i++) std::cout << count_pairs(cases[i], ks[i]) << "\\n";
}
```'''
FAST = '''```cpp
#include <unordered_map>
long long count_pairs(const vector<int>& nums, int k) {
    unordered_map<int, long long> seen;
    long long total = 0;
    for (int x : nums) {
        auto it = seen.find(k - x);
        if (it != seen.end()) total += it->second;
        seen[x]++;
    }
    return total;
}

int main() { return 0; }
```'''
# Right on every input of the user's tests (no negative numbers there); wrong when a negative one counts.
ONLY_ON_TESTS = FAST.replace("    for (int x : nums) {\n", "    for (int x : nums) {\n        if (x < 0) continue;\n")


@pytest.mark.parametrize("language, text, driver, expect", [
    ("go", 'package main\n\nimport "fmt"\n\nfunc F(x int) int { return x }\n\nfunc main() { fmt.Println(F(1)) }\n',
     'import (\n\t"fmt"\n\t"strings"\n)\n\nfunc main() {\n\tfmt.Println(F(2), strings.ToUpper("a"))\n}\n',
     ['import "strings"', "fmt.Println(F(2)"]),
    ("java", 'public class A {\n    static int f(int x) { return x; }\n    public static void main(String[] a) {}\n}\n',
     "import java.util.*;\nclass DiffMain {\n    public static void main(String[] args) {\n        System.out.println(A.f(2));\n    }\n}\n",
     ["import java.util.*;\n", "class DiffMain"]),
    ("rust", "fn f(x: i32) -> i32 { x }\nfn main() { println!(\"{}\", f(1)); }\n",
     "use std::fmt;\nfn main() {\n    println!(\"{}\", f(2));\n}\n", ["use std::fmt;", "f(2)"]),
    ("js", "function f(x) { return x; }\nconsole.log(f(1));\n", "console.log(JSON.stringify(f(2)));\n",
     ["console.log(f(1))", "JSON.stringify(f(2))"]),
])
def test_the_driver_replaces_the_files_main(language, text, driver, expect):
    program = append_program(text, driver, language)
    assert all(e in program for e in expect), program
    assert program.count("main(") <= (1 if language != "js" else 0) + (1 if language == "java" else 0)
    assert "fn main() { println!(\"{}\", f(1)); }" not in without_main(text, "rust") if language == "rust" else True


@pytest.mark.docker
@pytest.mark.slow
def test_cpp_optimize_rejects_a_candidate_that_differs_on_hidden_inputs_and_accepts_a_faster_one(
        tmp_path, endpoint, cpp_sandbox):
    from tests.orchestrator.test_loop_scripted import _orchestrator

    (tmp_path / "pairs.cpp").write_text(CPP)
    (tmp_path / "workload.cpp").write_text(WORKLOAD)
    endpoint.scripts["opt"] = [DRIVER, ONLY_ON_TESTS, FAST]
    orch = _orchestrator(tmp_path, endpoint, cpp_sandbox, "opt", [], judge=False, max_attempts=2, min_pairs=10)
    report = orch.optimize(locate(f"{tmp_path}/pairs.cpp::count_pairs"), metric="time", workload=WORKLOAD,
                           test_program=TESTS)
    first, second = report.attempts
    assert first.tests_passed == first.tests_total == 1  # the user's tests cannot tell
    assert first.status == "rejected" and "differ from the original" in first.reason, first
    assert "all 7 output lines agree" in (second.differential or ""), second
    assert second.status == "accepted" and report.status == "accepted", (second, report.notes)
    assert "unordered_map" in report.accepted_code and "int main" not in report.accepted_code
    assert any("model-written input generator" in n for n in report.notes)
    prompts = endpoint.prompts_to("opt")
    assert prompts and not any("77777" in p for p in prompts)  # the inputs never reach a prompt
    assert (tmp_path / "pairs.cpp").read_text() == CPP  # no --apply


OTHER = {  # file, function, driver answer, a candidate that differs on some inputs, an equivalent one
    "go": ("sum.go", "package main\n\nimport \"fmt\"\n\nfunc SumPos(xs []int) int {\n\ts := 0\n\tfor _, x := range xs {\n"
           "\t\tif x > 0 {\n\t\t\ts += x\n\t\t}\n\t}\n\treturn s\n}\n\nfunc main() { fmt.Println(SumPos([]int{1})) }\n",
           "SumPos", "```go\nimport \"fmt\"\n\nfunc main() {\n\tfor _, xs := range [][]int{{}, {1, 2}, {-5, 3}, {0, 0, 7}} {\n"
           "\t\tfmt.Println(SumPos(xs))\n\t}\n}\n```",
           "func SumPos(xs []int) int {\n\ts := 0\n\tfor _, x := range xs {\n\t\ts += x\n\t}\n\treturn s\n}",
           "func SumPos(xs []int) int {\n\ts := 0\n\tfor i := len(xs) - 1; i >= 0; i-- {\n\t\tif xs[i] > 0 {\n"
           "\t\t\ts += xs[i]\n\t\t}\n\t}\n\treturn s\n}"),
    "java": ("Sums.java", "public class Sums {\n    static int sumPos(int[] xs) {\n        int s = 0;\n"
             "        for (int x : xs) if (x > 0) s += x;\n        return s;\n    }\n}\n",
             "sumPos", "```java\nclass DiffMain {\n    public static void main(String[] args) {\n"
             "        int[][] cases = {{}, {1, 2}, {-5, 3}, {0, 0, 7}};\n"
             "        for (int[] c : cases) System.out.println(Sums.sumPos(c));\n    }\n}\n```",
             "static int sumPos(int[] xs) {\n    int s = 0;\n    for (int x : xs) s += x;\n    return s;\n}",
             "static int sumPos(int[] xs) {\n    return java.util.Arrays.stream(xs).filter(x -> x > 0).sum();\n}"),
    "rust": ("sum.rs", "fn sum_pos(xs: &[i64]) -> i64 {\n    xs.iter().filter(|x| **x > 0).sum()\n}\n\n"
             "fn main() {\n    println!(\"{}\", sum_pos(&[1]));\n}\n",
             "sum_pos", "```rust\nfn main() {\n    let cases: Vec<Vec<i64>> = vec![vec![], vec![1, 2], vec![-5, 3], vec![0, 0, 7]];\n"
             "    for c in &cases {\n        println!(\"{}\", sum_pos(c));\n    }\n}\n```",
             "fn sum_pos(xs: &[i64]) -> i64 {\n    xs.iter().sum()\n}",
             "fn sum_pos(xs: &[i64]) -> i64 {\n    let mut s = 0;\n    for &x in xs {\n        if x > 0 { s += x; }\n"
             "    }\n    s\n}"),
    "js": ("sum.js", "function sumPos(xs) {\n  return xs.filter((x) => x > 0).reduce((a, b) => a + b, 0);\n}\n"
           "module.exports = { sumPos };\n",
           "sumPos", "```javascript\nfor (const c of [[], [1, 2], [-5, 3], [0, 0, 7]]) {\n"
           "  console.log(JSON.stringify(sumPos(c)));\n}\n```",
           "function sumPos(xs) {\n  return xs.reduce((a, b) => a + b, 0);\n}",
           "function sumPos(xs) {\n  let s = 0;\n  for (const x of xs) if (x > 0) s += x;\n  return s;\n}"),
}


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.parametrize("language", sorted(OTHER))
def test_the_input_generator_path_in_go_java_rust_js(tmp_path, endpoint, py_sandbox, language):
    """The same code path as C++'s, in the real toolchains: the scripted driver (real HTTP) compiles with the
    original, a candidate that differs on one input is caught, an equivalent one agrees."""
    from sandbox.images import missing_images
    from orchestrator.job import Job
    from tests.orchestrator.test_loop_scripted import _orchestrator

    require_real_part(f"the {language} sandbox image is missing" if missing_images([language]) else None)
    name, text, function, driver, wrong, same = OTHER[language]
    (tmp_path / name).write_text(text)
    endpoint.scripts["opt"] = [driver]
    orch = _orchestrator(tmp_path, endpoint, py_sandbox, "opt", [], judge=False)
    job = Job(orch, "optimize", locate(f"{tmp_path}/{name}::{function}"), cancel=None, on_event=None, metric="time")
    job.prepare_program_differential("openai/opt")
    assert job.program_diff.ready, job.program_diff.why_not
    assert job.program_diff.oracle == ["0", "3", "3", "7"]
    bad = job.program_diff.check(wrong)
    assert not bad.passed and "1 of 4 output lines differ" in bad.summary
    assert job.program_diff.check(same).passed


@pytest.mark.docker
@pytest.mark.slow
def test_cpp_optimize_on_a_workload_a_process_start_drowns_says_it_is_too_small(tmp_path, endpoint, cpp_sandbox):
    """One call per process: a call far cheaper than a process start-up can show nothing, and the job says
    so (with how to give a bigger one) instead of raising or measuring noise."""
    from tests.orchestrator.test_loop_scripted import _orchestrator

    tiny = WORKLOAD.replace("vector<int> v(2500);", "vector<int> v(3);").replace("i < 2500", "i < 3")
    assert tiny != WORKLOAD
    (tmp_path / "pairs.cpp").write_text(CPP)
    endpoint.scripts["opt"] = [DRIVER, FAST]
    orch = _orchestrator(tmp_path, endpoint, cpp_sandbox, "opt", [], judge=False, max_attempts=1)
    report = orch.optimize(locate(f"{tmp_path}/pairs.cpp::count_pairs"), metric="time", workload=tiny,
                           test_program=TESTS)
    assert report.status == "unchanged" and report.summary.startswith("the workload program is too small"), report
    assert not report.attempts  # no model was asked for a candidate that nothing could measure
