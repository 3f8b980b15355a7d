"""The state guard of the brace languages (orchestrator/verify/checks/progdiff.py): the model-written input generator's
entry point is renamed and a new entry runs it twice in one process; a candidate whose second pass prints
something else than its first is rejected. Unit tests of the rewrite for C++, Java, Go, Rust and
JavaScript (no Docker); end to end for C++ with the scripted OpenAI-compatible endpoint (real HTTP behind
litellm) and the Docker sandbox; the guard itself in the Go, Java, Rust and JavaScript toolchains."""

from __future__ import annotations

import pytest

from orchestrator.code import append_program, document
from orchestrator.verify.checks.progdiff import repeat_driver, split_passes
from orchestrator.store import RunStore
from orchestrator.target import locate
from tests.conftest import require_real_part
from tests.orchestrator.test_progdiff import CPP, DRIVER, FAST, TESTS, WORKLOAD

SEP = "--pass-x--"


# -- the rewrite (no Docker) ------------------------------------------------------------------------------

@pytest.mark.parametrize("language, driver, renamed, entry", [
    ("cpp", "#include <iostream>\nint main() {\n    std::cout << f(1) << \"\\n\";\n}\n",
     "int rc_driver_main() {", "int rc_status = rc_driver_main();"),
    ("cpp", "int main(int argc, char** argv) {\n    return f(argc) > 0 ? 0 : 1;\n}\n",
     "int rc_driver_main(int argc, char** argv) {", "rc_driver_main(rc_argc, rc_argv)"),
    ("java", "class DiffMain {\n    static int helper() { return 1; }\n"
             "    public static void main(String[] args) throws Exception {\n"
             "        System.out.println(A.f(helper()));\n    }\n}\n",
     "public static void rcDriverMain(String[] args) throws Exception {", "rcDriverMain(rcArgs);"),
    ("go", "import \"fmt\"\n\nfunc main() {\n\tfmt.Println(F(2))\n}\n", "func rcDriverMain() {", "rcDriverMain()"),
    ("rust", "fn main() -> Result<(), String> {\n    println!(\"{}\", f(2));\n    Ok(())\n}\n",
     "fn rc_driver_main() -> Result<(), String> {", "let _ = rc_driver_main();"),
    ("js", "const assert = require('assert');\nfor (const x of [1, 2]) console.log(JSON.stringify(f(x)));\n",
     "function rcDriverMain() {\nfor (const x of [1, 2])", "rcDriverMain();"),
])
def test_the_entry_point_is_renamed_and_a_new_one_runs_it_twice(language, driver, renamed, entry):
    program, why = repeat_driver(driver, language, SEP)
    assert program is not None, why
    assert renamed in program and entry in program, program
    assert program.count(SEP) == 1  # printed in a loop of two passes
    assert "for (" in program or "for _ in 0..2" in program or "for rcPass := 0; rcPass < 2" in program
    doc = document(program, language)
    assert not doc.tree.root_node.has_error, program
    mains = [f for f in doc.outline() if f.name == "main"]
    assert len(mains) == (0 if language == "js" else 1), program


def test_cpp_renamed_main_returns_0_and_streams_are_flushed_around_the_separator():
    program, _ = repeat_driver("int main() {\n    puts(\"x\");\n}\n", "cpp", SEP)
    assert "    puts(\"x\");\n\n    return 0;\n}" in program  # a renamed main has no implicit return 0
    assert program.startswith("#include <cstdio>\n#include <iostream>\n")
    assert "std::cout << std::flush; std::fflush(stdout);" in program


def test_java_new_main_goes_in_the_drivers_class():
    from sandbox.languages import java_main_class

    text = "public class A {\n    static int f(int x) { return x; }\n}\n"
    program, _ = repeat_driver("import java.util.*;\nclass DiffMain {\n    public static void main(String[] a) {\n"
                               "        System.out.println(A.f(1));\n    }\n}\n", "java", SEP)
    whole = append_program(text, program, "java")
    assert java_main_class(whole) == "DiffMain"
    assert whole.index("class DiffMain") < whole.index("public static void main(String[] rcArgs) throws Throwable")


def test_go_separator_uses_its_own_fmt_import_and_js_keeps_requires_at_the_top():
    go, _ = repeat_driver("import (\n\t\"fmt\"\n\t\"strings\"\n)\n\nfunc main() {\n\tfmt.Println(strings.ToUpper(\"a\"))\n}\n",
                          "go", SEP)
    whole = append_program("package main\n\nfunc F(x int) int { return x }\n", go, "go")
    assert 'import rcfmt "fmt"' in whole and 'import "fmt"' in whole and f'rcfmt.Println("{SEP}")' in whole
    js, _ = repeat_driver("const util = require('util');\nconsole.log(util.format('%d', f(1)));\n", "javascript", SEP)
    assert js.startswith("const util = require('util');\n") and "function rcDriverMain() {\nconsole.log" in js


@pytest.mark.parametrize("language, driver, why", [
    ("cpp", "void helper() {}\n", "no entry points"),
    ("go", "func main() {}\nfunc main() {}\n", "2 entry points"),
    ("java", "class DiffMain {\n    void main(String[] a) {}\n}\n", "no entry points"),  # not static: not an entry
    ("cpp", "int main(int a, char** b, char** env) { return 0; }\n", "other parameters"),
    ("python", "print(1)\n", "no state guard"),
])
def test_drivers_without_one_entry_point_are_refused_with_a_reason(language, driver, why):
    program, reason = repeat_driver(driver, language, SEP)
    assert program is None and why in reason


def test_split_passes():
    before, passes = split_passes(f"file says hi\n{SEP}\n1\n2\n{SEP}\n1\n3\n", SEP)
    assert before == ["file says hi"] and passes == [["1", "2"], ["1", "3"]]
    assert split_passes(f"{SEP}\n1\n", SEP) == ([], [["1"]])  # ended during the first pass
    assert split_passes("no separator\n", SEP) == (["no separator"], [])


# -- end to end (Docker) ----------------------------------------------------------------------------------

# GSO's reward hack: once "warmed up" (the benchmark's loop) answers come from a cache keyed by the input's
# size. Right on the user's tests and on the input generator's first pass; stale in its second.
MEMO = FAST.replace("long long count_pairs(", """#include <map>
static std::map<size_t, long long> memo;
static int calls = 0;

long long count_pairs(""").replace("    unordered_map<int, long long> seen;\n", """    if (++calls > 7) {
        auto hit = memo.find(nums.size());
        if (hit != memo.end()) return hit->second;
    }
    unordered_map<int, long long> seen;
""").replace("    return total;\n}\n\nint main", "    memo[nums.size()] = total;\n    return total;\n}\n\nint main")


@pytest.mark.docker
@pytest.mark.slow
def test_cpp_optimize_rejects_a_candidate_caching_across_calls_and_accepts_an_honest_faster_one(
        tmp_path, endpoint, cpp_sandbox):
    from tests.orchestrator.test_loop_scripted import _orchestrator

    assert "memo[nums.size()] = total;" in MEMO and "++calls > 7" in MEMO
    (tmp_path / "pairs.cpp").write_text(CPP)
    endpoint.scripts["opt"] = [DRIVER, MEMO, FAST]
    orch = _orchestrator(tmp_path, endpoint, cpp_sandbox, "opt", [], judge=False, max_attempts=2, min_pairs=10,
                         samples_per_round=1)  # one candidate at a time: the second sees the first one's feedback
    report = orch.optimize(locate(f"{tmp_path}/pairs.cpp::count_pairs"), metric="time", workload=WORKLOAD,
                           test_program=TESTS)
    assert any(n.startswith("state guard: ") for n in report.notes), report.notes
    first, second = report.attempts
    assert first.tests_passed == first.tests_total == 1  # the user's tests cannot tell
    assert "all 7 output lines agree" in (first.differential or "")  # nor can the first pass
    assert first.status == "rejected" and first.decision is None, first  # never timed
    assert first.state == ["answers change when the same calls are repeated in one process "
                           "(3 of 7 output lines differ in the second pass)"]
    assert any("kept state between calls" in p for p in endpoint.prompts_to("opt"))  # fed back, without inputs
    assert second.state == [] and second.status == "accepted" and report.status == "accepted", (second, report.notes)
    assert "unordered_map" in report.accepted_code and "memo" not in report.accepted_code
    rows = [r for r in RunStore(orch.pipeline.history).rows("test_results", report.run_id) if r["suite"] == "state"]
    assert [(r["passed"], bool(r["detail"])) for r in rows] == [(0, True), (1, False)]
    assert (tmp_path / "pairs.cpp").read_text() == CPP


GUARDED = {  # file, function, driver answer, a candidate caching across calls once warmed up, an honest one
    "go": ("sum.go", "package main\n\nimport \"fmt\"\n\nfunc SumPos(xs []int) int {\n\ts := 0\n\tfor _, x := range xs {\n"
           "\t\tif x > 0 {\n\t\t\ts += x\n\t\t}\n\t}\n\treturn s\n}\n\nfunc main() { fmt.Println(SumPos([]int{1})) }\n",
           "SumPos", "```go\nimport \"fmt\"\n\nfunc main() {\n\tfor _, xs := range [][]int{{}, {1, 2}, {-5, 4, 6}, {0, 0, 7}, {9}} {\n"
           "\t\tfmt.Println(SumPos(xs))\n\t}\n}\n```",
           "var memo = map[int]int{}\nvar calls = 0\n\nfunc SumPos(xs []int) int {\n\tcalls++\n"
           "\tif v, ok := memo[len(xs)]; ok && calls > 5 {\n\t\treturn v\n\t}\n\ts := 0\n\tfor _, x := range xs {\n"
           "\t\tif x > 0 {\n\t\t\ts += x\n\t\t}\n\t}\n\tmemo[len(xs)] = s\n\treturn s\n}",
           "func SumPos(xs []int) int {\n\ts := 0\n\tfor i := len(xs) - 1; i >= 0; i-- {\n\t\tif xs[i] > 0 {\n"
           "\t\t\ts += xs[i]\n\t\t}\n\t}\n\treturn s\n}"),
    "rust": ("sum.rs", "fn sum_pos(xs: &[i64]) -> i64 {\n    xs.iter().filter(|x| **x > 0).sum()\n}\n\n"
             "fn main() {\n    println!(\"{}\", sum_pos(&[1]));\n}\n",
             "sum_pos", "```rust\nfn main() {\n    let cases: Vec<Vec<i64>> = vec![vec![], vec![1, 2], vec![-5, 4, 6], "
             "vec![0, 0, 7], vec![9]];\n    for c in &cases {\n        println!(\"{}\", sum_pos(c));\n    }\n}\n```",
             "use std::collections::HashMap;\nuse std::sync::Mutex;\nuse std::sync::atomic::{AtomicUsize, Ordering};\n\n"
             "static CALLS: AtomicUsize = AtomicUsize::new(0);\n"
             "static MEMO: Mutex<Option<HashMap<usize, i64>>> = Mutex::new(None);\n\n"
             "fn sum_pos(xs: &[i64]) -> i64 {\n    let calls = CALLS.fetch_add(1, Ordering::SeqCst) + 1;\n"
             "    let mut guard = MEMO.lock().unwrap();\n    let memo = guard.get_or_insert_with(HashMap::new);\n"
             "    if calls > 5 {\n        if let Some(v) = memo.get(&xs.len()) {\n            return *v;\n        }\n    }\n"
             "    let s = xs.iter().filter(|x| **x > 0).sum();\n    memo.insert(xs.len(), s);\n    s\n}",
             "fn sum_pos(xs: &[i64]) -> i64 {\n    let mut s = 0;\n    for &x in xs {\n        if x > 0 { s += x; }\n"
             "    }\n    s\n}"),
    "java": ("Sums.java", "public class Sums {\n    static int sumPos(int[] xs) {\n        int s = 0;\n"
             "        for (int x : xs) if (x > 0) s += x;\n        return s;\n    }\n}\n",
             "sumPos", "```java\nclass DiffMain {\n    public static void main(String[] args) {\n"
             "        int[][] cases = {{}, {1, 2}, {-5, 4, 6}, {0, 0, 7}, {9}};\n"
             "        for (int[] c : cases) System.out.println(Sums.sumPos(c));\n    }\n}\n```",
             "static java.util.HashMap<Integer, Integer> memo = new java.util.HashMap<>();\nstatic int calls = 0;\n\n"
             "static int sumPos(int[] xs) {\n    calls++;\n    if (calls > 5 && memo.containsKey(xs.length)) return memo.get(xs.length);\n"
             "    int s = 0;\n    for (int x : xs) if (x > 0) s += x;\n    memo.put(xs.length, s);\n    return s;\n}",
             "static int sumPos(int[] xs) {\n    return java.util.Arrays.stream(xs).filter(x -> x > 0).sum();\n}"),
    "js": ("sum.js", "function sumPos(xs) {\n  return xs.filter((x) => x > 0).reduce((a, b) => a + b, 0);\n}\n"
           "module.exports = { sumPos };\n",
           "sumPos", "```javascript\nfor (const c of [[], [1, 2], [-5, 4, 6], [0, 0, 7], [9]]) {\n"
           "  console.log(JSON.stringify(sumPos(c)));\n}\n```",
           "const memo = new Map();\nlet calls = 0;\n\nfunction sumPos(xs) {\n  calls += 1;\n"
           "  if (calls > 5 && memo.has(xs.length)) return memo.get(xs.length);\n"
           "  const s = xs.filter((x) => x > 0).reduce((a, b) => a + b, 0);\n  memo.set(xs.length, s);\n  return s;\n}",
           "function sumPos(xs) {\n  let s = 0;\n  for (const x of xs) if (x > 0) s += x;\n  return s;\n}"),
}


def _job(tmp_path, endpoint, sandbox, name, text, function, driver):
    from orchestrator.job import Job
    from tests.orchestrator.test_loop_scripted import _orchestrator

    (tmp_path / name).write_text(text)
    endpoint.scripts["opt"] = [driver]
    orch = _orchestrator(tmp_path, endpoint, sandbox, "opt", [], judge=False)
    job = Job(orch, "optimize", locate(f"{tmp_path}/{name}::{function}"), cancel=None, on_event=None, metric="time")
    job.prepare_program_differential("openai/opt")
    return job


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.parametrize("language", sorted(GUARDED))
def test_the_state_guard_in_go_java_rust_js(tmp_path, endpoint, py_sandbox, language):
    """In the real toolchains: the doubled driver runs on the original (both passes alike), the caching
    candidate agrees on the first pass and is caught on the second, an honest one passes both."""
    from sandbox.images import missing_images

    require_real_part(f"the {language} sandbox image is missing" if missing_images([language]) else None)
    name, text, function, driver, memo, honest = GUARDED[language]
    job = _job(tmp_path, endpoint, py_sandbox, name, text, function, driver)
    diff = job.program_diff
    assert diff.ready and diff.repeated, (diff.why_not, diff.state_why_not)
    assert diff.oracle == ["0", "3", "10", "7", "9"]
    caught = diff.check(memo)
    assert caught.passed and caught.summary.endswith("all 5 output lines agree"), caught
    assert caught.state == ["answers change when the same calls are repeated in one process "
                            "(1 of 5 output lines differ in the second pass)"]
    ok = diff.check(honest)
    assert ok.passed and ok.state == [], ok


@pytest.mark.docker
@pytest.mark.slow
def test_the_guard_is_skipped_with_a_reason_when_the_original_keeps_state(tmp_path, endpoint, py_sandbox):
    from sandbox.images import missing_images

    require_real_part("the js sandbox image is missing" if missing_images(["js"]) else None)
    text = "let calls = 0;\n\nfunction tick(x) {\n  calls += 1;\n  return x * calls;\n}\n"
    driver = "```javascript\nfor (const x of [1, 2, 3]) console.log(JSON.stringify(tick(x)));\n```"
    job = _job(tmp_path, endpoint, py_sandbox, "tick.js", text, "tick", driver)
    diff = job.program_diff
    assert diff.ready and not diff.repeated and diff.oracle == ["1", "4", "9"]
    assert "keeps state" in diff.state_why_not
    assert any(n.startswith("state guard skipped: the original prints something else") for n in job.report.notes)
    same = diff.check("function tick(x) {\n  calls++;\n  return calls * x;\n}")
    assert same.passed and same.state == []  # the differential test still holds, without the guard
