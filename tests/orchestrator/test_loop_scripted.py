"""The loop's decisions, driven by a scripted OpenAI-compatible endpoint on loopback behind litellm
(real HTTP, litellm not patched) and the real Python sandbox (Docker)."""

from __future__ import annotations

import threading

import pytest

from models.errors import Cancelled
from models.registry import ModelRegistry
from models.settings import Settings
from orchestrator.loop import Orchestrator
from orchestrator.pipeline import Pipeline
from orchestrator.report import JobLimits
from orchestrator.store import RunStore, open_history
from orchestrator.target import locate

pytestmark = [pytest.mark.docker, pytest.mark.slow]

CORRECT = '''def count_pairs(nums: list[int], k: int) -> int:
    """Number of index pairs i < j with nums[i] + nums[j] == k."""
    total = 0
    for i in range(len(nums)):
        for j in range(i + 1, len(nums)):
            if nums[i] + nums[j] == k:
                total += 1
    return total
'''
BUGGY = CORRECT.replace("range(i + 1, len(nums))", "range(i, len(nums))")
FAST = '''```python
from collections import Counter

def count_pairs(nums: list[int], k: int) -> int:
    seen = Counter()
    total = 0
    for x in nums:
        total += seen[k - x]
        seen[x] += 1
    return total
```'''
SLOWER = '''```python
def count_pairs(nums: list[int], k: int) -> int:
    total = 0
    for i in range(len(nums)):
        for j in range(len(nums)):
            if i < j and nums[i] + nums[j] == k:
                total += 1
    return total
```'''
# Right on every input of the user's tests (no negative numbers there), wrong when a negative one counts.
ONLY_ON_TESTS = FAST.replace("    for x in nums:\n", "    for x in nums:\n        if x < 0:\n            continue\n")
MEMO = '''```python
def count_pairs(nums: list[int], k: int, _memo={}) -> int:
    key = (tuple(nums), k)
    if key not in _memo:
        total = 0
        for i in range(len(nums)):
            for j in range(i + 1, len(nums)):
                if nums[i] + nums[j] == k:
                    total += 1
        _memo[key] = total
    return _memo[key]
```'''
TESTS = '''from pairs import count_pairs


def test_basic():
    assert count_pairs([1, 2, 3, 4], 5) == 2


def test_empty():
    assert count_pairs([], 3) == 0


def test_duplicates():
    assert count_pairs([1, 1, 1], 2) == 3
'''
PLAN = ("1. count each value with a Counter, then add up the pairs per value: O(n)\n"
        "2. sort, then count runs of equal values: O(n log n)")
JUDGE = ("Strengths:\n- clear\nWeaknesses:\n- none\nFeedback: fine.\nScores: Accuracy = 4, Clarity = 5, Efficiency = 3")
WORKLOAD = "count_pairs(list(range(1200)), 1200)"


def _project(tmp_path, code):
    root = tmp_path / "proj"
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'proj'\n")
    (root / "pairs.py").write_text('"""Pairs."""\n\n\n' + code + "\n\ndef other():\n    return 1\n")
    (root / "tests" / "test_pairs.py").write_text(TESTS)
    return root / "pairs.py"


def _orchestrator(tmp_path, endpoint, py_sandbox, first: str, then: list[str], **limits):
    registry = ModelRegistry()
    from models.litellm_backend import LiteLLMModel

    for name in then:
        registry.register(name, LiteLLMModel(f"openai/{name}", api_base=endpoint.base))
    stage = {"model": f"openai/{first}", "api_base": endpoint.base, "fallbacks": then, "retries": 0, "timeout_s": 30}
    settings = Settings.from_dict({"fix": stage, "refine": stage, "solve": stage,
                                   "judge": {"model": "openai/judge", "api_base": endpoint.base, "fallbacks": [],
                                             "retries": 0},
                                   "guide": {"model": "openai/planner", "api_base": endpoint.base, "fallbacks": [],
                                             "retries": 0}})
    endpoint.scripts["judge"] = [JUDGE]
    endpoint.scripts.setdefault("planner", [PLAN])
    history = open_history(tmp_path / "history.db")
    pipeline = Pipeline(settings, history, registry=registry)
    limits = JobLimits(**{"max_attempts": 2, "decision_budget_s": 40, "min_pairs": 10, "differential_inputs": 30,
                          **limits})
    orch = Orchestrator(pipeline, py_sandbox, limits=limits)
    orch.ranking = None  # the configured order (the ranking memory has its own tests)
    return orch


def test_the_original_again_is_a_duplicate_and_runs_nothing(tmp_path, endpoint, py_sandbox):
    path = _project(tmp_path, BUGGY)
    endpoint.scripts["same"] = ["```python\n" + BUGGY.replace("    total = 0", "    # start\n    total = 0") + "```"]
    orch = _orchestrator(tmp_path, endpoint, py_sandbox, "same", [])
    report = orch.fix(locate(f"{path}::count_pairs"))
    assert report.status == "failed"
    assert all(a.status == "duplicate" and "the original" in a.reason for a in report.attempts)
    candidates = RunStore(orch.pipeline.history).rows("candidates", report.run_id)
    tested = {row["candidate_id"] for row in RunStore(orch.pipeline.history).rows("test_results", report.run_id)}
    assert not tested & {c["id"] for c in candidates if c["stage"] == "fix"}  # nothing of theirs ran


def test_wrong_candidate_rejected_then_next_model_fixes(tmp_path, endpoint, py_sandbox):
    path = _project(tmp_path, BUGGY)
    # Another bug than the original's (the original itself would be a duplicate: never run, see below).
    endpoint.scripts["wrong"] = ["```python\n" + BUGGY.replace("total = 0", "total = 0\n    nums = nums[:]") + "```"]
    endpoint.scripts["good"] = ["```python\n" + CORRECT + "```"]
    orch = _orchestrator(tmp_path, endpoint, py_sandbox, "wrong", ["good"])
    before = path.read_text()
    report = orch.fix(locate(f"{path}::count_pairs"))
    assert report.status == "accepted" and report.correct
    assert [(a.model, a.status) for a in report.attempts] == [("openai/wrong", "failed"), ("good", "accepted")]
    assert report.attempts[0].failed_tests == ["test_duplicates"]
    assert any("test_duplicates" in p for p in endpoint.prompts_to("good"))  # the failure was fed back
    # ...with the input, the expected and the actual value (the bare assert showed no value: made again).
    assert any("In test_duplicates: count_pairs([1, 1, 1], 2) returned 6; the test expects 3." in p
               for p in endpoint.prompts_to("good")), endpoint.prompts_to("good")
    assert "range(i + 1, len(nums))" in report.accepted_code and "+        for j in range(i + 1, len(nums)):" in report.diff
    assert report.judgment["scores"] == {"accuracy": 4, "clarity": 5, "efficiency": 3}
    assert path.read_text() == before  # no --apply: untouched
    store = RunStore(orch.pipeline.history)
    statuses = [c["status"] for c in store.rows("candidates", report.run_id)]
    assert statuses == ["baseline", "failed", "accepted"]


def test_correct_faster_candidate_accepted_with_diff(tmp_path, endpoint, py_sandbox):
    path = _project(tmp_path, CORRECT)
    endpoint.scripts["slow"] = [SLOWER]
    endpoint.scripts["fast"] = [FAST]
    # One candidate per round: each is measured in full against the best so far, two decisions in the plan.
    orch = _orchestrator(tmp_path, endpoint, py_sandbox, "slow", ["fast"], samples_per_round=1)
    report = orch.optimize(locate(f"{path}::count_pairs"), metric="time", workload=WORKLOAD)
    first, second = report.attempts
    assert first.status == "not better", first.reason  # correct but slower: measured, not accepted
    assert first.decision["verdict"] != "better"
    assert second.status == "accepted" and second.decision["verdict"] == "better"
    assert second.decision["comparisons"] == 2 and second.decision["ci_high"] < 0.95
    assert report.status == "accepted" and "Counter" in report.accepted_code and "+from collections" in report.diff
    prompts = " ".join(endpoint.prompts_to("fast"))
    assert "1200" not in prompts and WORKLOAD not in prompts  # the timing workload is never shown
    decisions = RunStore(orch.pipeline.history).rows("decisions", report.run_id)
    assert [d["verdict"] for d in decisions][-1] == "better"


def test_a_round_screens_its_samples_and_measures_only_the_best(tmp_path, endpoint, py_sandbox):
    """Three samples in one round, each asked for a different strategy: the original again is a duplicate
    (nothing runs), the correct-but-slower one loses the timing screen, and only the fast one is measured in
    full -- one decision in the plan, so its alpha is not split three ways."""
    path = _project(tmp_path, CORRECT)
    again = "```python\n" + CORRECT.replace("    total = 0", "    # count them\n    total = 0") + "```"
    endpoint.scripts["search"] = [SLOWER, again, FAST]
    orch = _orchestrator(tmp_path, endpoint, py_sandbox, "search", [], max_attempts=3, samples_per_round=3)
    report = orch.optimize(locate(f"{path}::count_pairs"), metric="time", workload=WORKLOAD)
    slower, duplicate, fast = report.attempts
    assert {a.round for a in report.attempts} == {1}
    # The guide model's plan came first; its first approach is what the round's algorithm sample was asked for.
    # The copy is known as soon as it is answered: the third sample is not shown the body (a rewrite, its idea kept).
    assert [a.strategy for a in report.attempts] == ["plan 1", "hot lines", "data structures, rewritten"]
    assert any(note.startswith("plan by openai/planner: 1. count each value") for note in report.notes), report.notes
    assert duplicate.status == "duplicate", duplicate.reason
    assert slower.status == "not better" and slower.reason.startswith("screened out"), slower.reason
    assert slower.decision is None  # screened, not measured in full
    assert fast.status == "accepted" and fast.decision["comparisons"] == 1, fast.reason
    prompts = [p for p in endpoint.prompts_to("search") if p.startswith("Objective")]
    assert len(prompts) == 3 and "Use this approach: count each value" in prompts[0] and "standard library" in prompts[2]
    assert "Its body is not shown" in prompts[2] and "for j in range(i + 1, len(nums))" not in prompts[2]
    assert "```" not in PLAN and any("Write no code" in p for p in endpoint.prompts_to("planner"))
    assert report.status == "accepted" and "Counter" in report.accepted_code
    # The judge sees what execution proved beside the code.
    judged = endpoint.prompts_to("judge")[-1]
    assert "Execution results" in judged and "tests 3/3 passed" in judged and "against the original" in judged


def test_candidate_differing_only_on_generated_inputs_is_caught(tmp_path, endpoint, py_sandbox):
    path = _project(tmp_path, CORRECT)
    endpoint.scripts["sneaky"] = [ONLY_ON_TESTS]
    orch = _orchestrator(tmp_path, endpoint, py_sandbox, "sneaky", [], max_attempts=1)
    report = orch.optimize(locate(f"{path}::count_pairs"), workload=WORKLOAD)
    (attempt,) = report.attempts
    assert attempt.tests_passed == attempt.tests_total == 3  # the user's tests pass...
    assert attempt.status == "rejected" and "differs from the original" in attempt.reason  # ...the differential does not
    assert report.status == "unchanged" and report.accepted_code is None


def test_candidate_memoizing_across_calls_is_caught(tmp_path, endpoint, py_sandbox):
    path = _project(tmp_path, CORRECT)
    endpoint.scripts["memo"] = [MEMO]
    orch = _orchestrator(tmp_path, endpoint, py_sandbox, "memo", [], max_attempts=1)
    report = orch.optimize(locate(f"{path}::count_pairs"), workload=WORKLOAD)
    (attempt,) = report.attempts
    assert attempt.status == "rejected" and "state kept between calls" in attempt.reason
    assert "defaults" in attempt.reason and attempt.decision is None  # never timed


def test_cancellation_mid_refine_leaves_the_file_untouched(tmp_path, endpoint, py_sandbox):
    path = _project(tmp_path, CORRECT)
    endpoint.scripts["fast"] = [FAST]
    orch = _orchestrator(tmp_path, endpoint, py_sandbox, "fast", [], max_attempts=1)
    before = path.read_bytes()
    cancel = threading.Event()

    def on_event(kind, data):
        if kind == "stage" and data.get("stage") == "measure":
            threading.Timer(1.0, cancel.set).start()  # while the measurement runs

    with pytest.raises(Cancelled):
        orch.optimize(locate(f"{path}::count_pairs"), workload=WORKLOAD, cancel=cancel, on_event=on_event)
    assert path.read_bytes() == before
    runs = orch.pipeline.history.list_runs()
    assert runs[0]["status"] == "cancelled"


def test_fix_finds_the_failing_test_that_reaches_the_function_through_another(tmp_path, endpoint, py_sandbox):
    """No test names count_pairs: the only failing one calls it through pair_report. The original's traced test
    run finds it before any candidate (job.select_tests), so fix has a test that shows the bug and repairs it."""
    path = _project(tmp_path, BUGGY + '\n\ndef pair_report(nums, k):\n    return f"{count_pairs(nums, k)} pairs"\n')
    (path.parent / "tests" / "test_pairs.py").write_text(
        "from pairs import pair_report\n\n\ndef test_report():\n    assert pair_report([1, 1, 1], 2) == '3 pairs'\n")
    (path.parent / "tests" / "test_unrelated.py").write_text("import json\n\n\ndef test_json():\n    assert json\n")
    endpoint.scripts["good"] = ["```python\n" + CORRECT + "```"]
    orch = _orchestrator(tmp_path, endpoint, py_sandbox, "good", [])
    report = orch.fix(locate(f"{path}::count_pairs"))
    assert report.status == "accepted" and report.correct, report.summary
    assert report.tests_total == 1 and report.tests_passed == 1  # the indirect test only, not the unrelated one
    assert "range(i + 1, len(nums))" in report.accepted_code


def test_after_the_code_comes_back_unchanged_the_next_sample_is_a_rewrite_without_it(tmp_path, endpoint, py_sandbox):
    """A small model asked to repair often answers the code back (a duplicate); the next sample is then asked to
    write the function from its description and signature, with the failure but without the buggy body to copy."""
    path = _project(tmp_path, BUGGY)
    zero = "```python\ndef count_pairs(nums: list[int], k: int) -> int:\n    return 0\n```"  # fewer tests pass
    endpoint.scripts["copier"] = ["```python\n" + BUGGY + "```", zero, "```python\n" + CORRECT + "```"]
    orch = _orchestrator(tmp_path, endpoint, py_sandbox, "copier", [], max_attempts=3)
    report = orch.fix(locate(f"{path}::count_pairs"))
    # once it copied, it stays on rewrites (a failed rewrite that is no near-miss gives nothing better to repair)
    assert [(a.strategy, a.status) for a in report.attempts] == [("repair", "duplicate"), ("rewrite", "failed"),
                                                                 ("rewrite", "accepted")]
    first, second, third = [p for p in endpoint.prompts_to("copier") if "count_pairs" in p]
    assert "range(i, len(nums))" not in third and "return 0" not in third
    assert "range(i, len(nums))" in first  # the repair prompt shows the code
    assert "range(i, len(nums))" not in second and "total = 0" not in second  # the rewrite prompt does not
    assert "def count_pairs(nums: list[int], k: int) -> int:" in second and "index pairs i < j" in second
    assert "test_duplicates" in second  # what failed is still there
