"""Timed runs of the brace languages (orchestrator/verify/running/percall.py): every timed call is a process of its own
(no state crosses calls) and every call's answer is compared with the original's on the host. The folding of a
sample's steps without Docker; the guard itself through the real sandbox, in C++ and JavaScript."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from orchestrator.target import locate
from orchestrator.verify.running import percall
from orchestrator.verify.running.execution import HarnessExecution

# -- the sample's steps, folded (no Docker) ----------------------------------------------------------------


def _raw(name, stdout="", exit_code=0, user=0.01, **extra):
    return {"name": name, "wall_s": 0.02, "user_s": user, "sys_s": 0.0, "peak_rss_bytes": 1000,
            "peak_sampled_bytes": 0, "mean_rss_bytes": 800, "samples": 1, "exit_code": exit_code, "signal": None,
            "reason": None, "oom_killed": False, "stdout": stdout, "stderr": "", "stdout_truncated": False,
            "stderr_truncated": False, **extra}


class FakeSandbox:
    """Answers a session with one result per step: a run step prints how many steps of its program ran before
    it in this session (what a static counter would print if state crossed calls)."""

    def __init__(self):
        self.payloads = []

    def session(self, language, limits, payload):
        self.payloads.append(payload)
        out, seen = [], 0
        for step in payload["steps"]:
            if step.get("build"):
                out.append(_raw(step["name"]))
            else:
                seen += 1
                out.append(_raw(step["name"], stdout="1\n", user=0.01 * seen))
        return SimpleNamespace(report={"steps": out, "error": None}), True


def test_a_marked_step_becomes_one_step_per_call_and_folds_back_into_one_result():
    payload = {"steps": [{"name": "p0:compile", "build": True, "stdin": None, "requires": None},
                         {"name": "p0:run0", "stdin": percall.calls_spec(_spec(), 3, "ab12").stdin, "requires": 0},
                         {"name": "p0:run1", "stdin": None, "requires": 0}]}
    fake = FakeSandbox()
    outcome, _ = percall.PerCallRunner(fake).session("cpp", None, payload)
    sent = fake.payloads[0]["steps"]
    assert [s["name"] for s in sent] == ["p0:compile", "p0:run0#0", "p0:run0#1", "p0:run0#2", "p0:run1"]
    assert all(s["stdin"] is None for s in sent[1:4]) and all(s["requires"] == 0 for s in sent[1:])
    folded = outcome.report["steps"]
    assert len(folded) == 3 and folded[2]["stdout"] == "1\n"  # the unmarked run is untouched
    assert folded[1]["user_s"] == pytest.approx(0.01 + 0.02 + 0.03) and folded[1]["peak_rss_bytes"] == 1000
    head, *answers = folded[1]["stdout"].splitlines()
    assert percall.token(head + "\n") == ("ab12", 3) and len(set(answers)) == 1 and len(answers) == 3


def test_check_run_compares_every_call_with_the_original():
    reference = [percall.call_digest(_raw("x", stdout="42\n"))]
    group = [_raw("x", stdout="42\n"), _raw("x", stdout="42\n"), _raw("x", stdout="0\n")]
    result = SimpleNamespace(stdout=percall.fold(group, "ab12", 3)["stdout"], status="ok", message="")
    assert "timed call 3 of 3 gave a different answer" in percall.check_run(result, {"ab12": 3}, reference)
    assert percall.check_run(result, {"ab12": 3}, None) is None  # no reference: only that every call reported
    assert "do not belong" in percall.check_run(result, {"cd34": 3}, reference)
    assert "reported 3 of 4 calls" in percall.check_run(result, {"ab12": 4}, reference)
    plain = SimpleNamespace(stdout="42\n", status="ok", message="")  # a run that was not folded per call
    assert "no per-call answers" in percall.check_run(plain, {"ab12": 1}, reference)


def test_a_session_cut_short_reports_no_sample_that_did_not_finish():
    groups = [(0, 1, "", 0), (1, 3, "ab12", 3)]
    report = percall.collapse({"steps": [_raw("c"), _raw("r"), _raw("r")], "error": "killed"}, groups)
    assert len(report["steps"]) == 1 and report["error"] == "killed"


def _spec():
    from sandbox.models import RunSpec

    return RunSpec(language="cpp", source="int main() {}", args=["1"])


# -- through the real sandbox ----------------------------------------------------------------------------

CPP_ORIGINAL = '''#include <vector>
using namespace std;

long long count_pairs(const vector<int>& nums, int k) {
    long long total = 0;
    for (size_t i = 0; i < nums.size(); i++)
        for (size_t j = i + 1; j < nums.size(); j++)
            if (nums[i] + nums[j] == k) total++;
    return total;
}
'''
# A static cache that also counts its hits into the answer: in one process, every call after the first answers
# differently; in a fresh process per call it never hits.
CPP_REMEMBERS = '''#include <map>
long long count_pairs(const vector<int>& nums, int k) {
    static std::map<std::pair<vector<int>, int>, long long> known;
    auto key = std::make_pair(nums, k);
    auto hit = known.find(key);
    if (hit != known.end()) return hit->second + 1000000;
    long long total = 0;
    for (size_t i = 0; i < nums.size(); i++)
        for (size_t j = i + 1; j < nums.size(); j++)
            if (nums[i] + nums[j] == k) total++;
    known[key] = total;
    return total;
}
'''
CPP_WRONG = CPP_ORIGINAL.replace("return total;", "return total + (nums.size() > 100);")
CPP_WORKLOAD = '''#include <cstdlib>
#include <cstdio>
int main(int argc, char** argv) {
    int n = atoi(argv[argc - 1]);
    vector<int> v(1500);
    for (int i = 0; i < 1500; i++) v[i] = i;
    for (int r = 0; r < n; r++) std::printf("%lld\\n", count_pairs(v, 1500));
    return 0;
}
'''
JS_ORIGINAL = '''function countPairs(nums, k) {
  let total = 0;
  for (let i = 0; i < nums.length; i++)
    for (let j = i + 1; j < nums.length; j++)
      if (nums[i] + nums[j] === k) total++;
  return total;
}
'''
JS_REMEMBERS = '''const known = new Map();
function countPairs(nums, k) {
  const key = nums.join(",") + "|" + k;
  if (known.has(key)) return known.get(key) + 1000000;
  let total = 0;
  for (let i = 0; i < nums.length; i++)
    for (let j = i + 1; j < nums.length; j++)
      if (nums[i] + nums[j] === k) total++;
  known.set(key, total);
  return total;
}
'''
JS_WORKLOAD = '''const n = parseInt(process.argv[process.argv.length - 1], 10);
const v = Array.from({length: 1500}, (_, i) => i);
for (let r = 0; r < n; r++) console.log(countPairs(v, 1500));
'''


def _exe(tmp_path, sandbox, language, original, name):
    path = tmp_path / f"pairs.{language}"
    path.write_text(original)
    return HarnessExecution(sandbox, locate(f"{path}::{name}"), None)


@pytest.fixture
def js_sandbox(py_sandbox):
    from sandbox.images import missing_images
    from tests.conftest import require_real_part

    require_real_part("the js sandbox image is missing" if missing_images(["js"]) else None)
    return py_sandbox


@pytest.mark.docker
@pytest.mark.parametrize("language", ["cpp", "js"])
def test_no_state_crosses_timed_calls_and_every_timed_answer_is_compared(request, tmp_path, language):
    sandbox = request.getfixturevalue("cpp_sandbox" if language == "cpp" else "js_sandbox")
    original, remembers, workload, name = {"cpp": (CPP_ORIGINAL, CPP_REMEMBERS, CPP_WORKLOAD, "count_pairs"),
                                           "js": (JS_ORIGINAL, JS_REMEMBERS, JS_WORKLOAD, "countPairs")}[language]
    exe = _exe(tmp_path, sandbox, language, original, name)
    reference = exe.workload_reference(original, [workload])
    assert reference != [percall.SILENT] and not exe.workload_notes  # the workload prints its answers
    # The caching candidate, timed: four calls in one sample, each in a fresh process: the cache never hits.
    program = exe.workload_program(remembers, [workload], reference=reference)
    result = exe.runner.run(program.spec(4))
    assert result.ok, result.message
    assert program.check(result) is None, program.check(result)
    assert percall.digests(result)[1] == reference * 4  # four calls, each answering as the original's first
    assert result.profile.cpu_time_s > 0
    # In one process the same candidate answers differently from its second call on (what the guard prevents).
    looped = exe.runner.run(exe._one_call(remembers, [workload], 2))
    assert looped.ok and int(looped.stdout.splitlines()[1]) > 1000000, looped.stdout
    if language == "cpp":  # a wrong answer on the workload's input is caught in the timed run itself
        wrong = exe.workload_program(CPP_WRONG, [workload], reference=reference)
        assert "gave a different answer" in (wrong.check(exe.runner.run(wrong.spec(2))) or "")


# A global call counter in the other three toolchains: one process per call, so every timed call prints 1. The
# workload program carries its own imports (they go to the file's import section; Go drops the file's unused ones).
COUNTERS = {
    "go": ("counter.go", "Next", "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n\t\"strconv\"\n)\n\nvar calls int\n\n"
           "func Next() int {\n\tcalls++\n\treturn calls\n}\n",
           "import (\n\t\"fmt\"\n\t\"os\"\n\t\"strconv\"\n)\n\nfunc main() {\n\tn, _ := strconv.Atoi(os.Args[len(os.Args)-1])\n\tfor i := 0; i < n; i++ {\n"
           "\t\tfmt.Println(Next())\n\t}\n}\n"),
    "rust": ("counter.rs", "next", "use std::sync::atomic::{AtomicUsize, Ordering};\n\n"
             "static CALLS: AtomicUsize = AtomicUsize::new(0);\n\n"
             "fn next() -> usize {\n    CALLS.fetch_add(1, Ordering::SeqCst) + 1\n}\n",
             "fn main() {\n    let n: usize = std::env::args().last().unwrap().parse().unwrap();\n"
             "    for _ in 0..n {\n        println!(\"{}\", next());\n    }\n}\n"),
    "java": ("Counter.java", "next", "public class Counter {\n    static int calls;\n\n"
             "    static int next() {\n        return ++calls;\n    }\n}\n",
             "class Main {\n    public static void main(String[] a) {\n        int n = Integer.parseInt(a[a.length - 1]);\n"
             "        for (int i = 0; i < n; i++) System.out.println(Counter.next());\n    }\n}\n"),
}


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.parametrize("language", sorted(COUNTERS))
def test_every_timed_call_starts_from_fresh_globals_in_go_rust_java(tmp_path, py_sandbox, language):
    from sandbox.images import missing_images
    from tests.conftest import require_real_part

    require_real_part(f"the {language} sandbox image is missing" if missing_images([language]) else None)
    name, function, text, workload = COUNTERS[language]
    path = tmp_path / name
    path.write_text(text)
    exe = HarnessExecution(py_sandbox, locate(f"{path}::{function}"), None)
    code = exe.target.code
    reference = exe.workload_reference(code, [workload])
    assert reference == [percall.call_digest({"exit_code": 0, "signal": None, "stdout": "1\n"})]
    program = exe.workload_program(code, [workload], reference=reference)
    result = exe.runner.run(program.spec(3))
    assert result.ok and program.check(result) is None, (result.message, program.check(result))
    assert percall.digests(result)[1] == reference * 3
    looped = exe.runner.run(exe._one_call(code, [workload], 3))  # in one process the counter counts
    assert looped.ok and looped.stdout.split() == ["1", "2", "3"], looped


@pytest.mark.docker
def test_a_workload_whose_call_is_smaller_than_a_process_start_is_too_small(tmp_path, cpp_sandbox):
    tiny = CPP_WORKLOAD.replace("vector<int> v(1500);", "vector<int> v(3);").replace("i < 1500", "i < 3")
    # Prints nothing; its answers only decide the exit status (else the compiler drops the calls).
    silent = ("#include <cstdlib>\nint main(int argc, char** argv) {\n    int n = atoi(argv[argc - 1]);\n"
              "    vector<int> v(6000);\n    for (int i = 0; i < 6000; i++) v[i] = i;\n    long long s = 0;\n"
              "    for (int r = 0; r < n; r++) s += count_pairs(v, 6000);\n    return s < 0 ? 1 : 0;\n}\n")
    exe = _exe(tmp_path, cpp_sandbox, "cpp", CPP_ORIGINAL, "count_pairs")
    original = exe.target.code
    message = exe.workload_check(original, [tiny])
    assert message is not None and "too small" in message and "start-up" in message, message
    assert not exe.workload_notes
    assert exe.workload_check(original, [silent]) is None
    assert exe.workload_reference(original, [silent]) == [percall.SILENT]
    assert any("prints nothing" in note for note in exe.workload_notes)
