"""Fix's and Optimize's search beyond one answer at a time: answers cut at the token limit, and near-misses
repaired first. A scripted OpenAI-compatible endpoint on loopback behind litellm (real HTTP, litellm not
patched; it cuts answers at max_tokens as a real server does) and the real Python sandbox (Docker)."""

from __future__ import annotations

import subprocess

import pytest

from models.registry import ModelRegistry
from models.settings import Settings
from orchestrator.loop import Orchestrator
from orchestrator.pipeline import Pipeline
from orchestrator.report import JobLimits
from orchestrator.store import RunStore, open_history
from orchestrator.target import locate
from tests.orchestrator.test_loop_scripted import BUGGY, CORRECT, JUDGE, TESTS, _project

pytestmark = [pytest.mark.docker, pytest.mark.slow]

LONG_DOC = "    " + '"""' + "Number of index pairs i < j with nums[i] + nums[j] == k.\n\n" + "".join(
    f"    Note {n}: the pairs are counted once each, by index, never by value; duplicates count separately.\n"
    for n in range(8)) + '    """\n'
FIXED_LONG = "```python\n" + CORRECT.replace(
    '    """Number of index pairs i < j with nums[i] + nums[j] == k."""\n', LONG_DOC) + "```"


def _orchestrator(tmp_path, endpoint, py_sandbox, model: str, max_tokens: int = 384, **limits):
    stage = {"model": f"openai/{model}", "api_base": endpoint.base, "fallbacks": [], "retries": 0, "timeout_s": 90,
             "max_tokens": max_tokens}
    settings = Settings.from_dict({"fix": stage, "refine": stage, "solve": stage,
                                   "judge": {"model": "openai/judge", "api_base": endpoint.base, "fallbacks": [],
                                             "retries": 0}})
    endpoint.scripts["judge"] = [JUDGE]
    pipeline = Pipeline(settings, open_history(tmp_path / "history.db"), registry=ModelRegistry())
    orch = Orchestrator(pipeline, py_sandbox, limits=JobLimits(**{"max_attempts": 1, "differential_inputs": 20,
                                                                   **limits}))
    orch.ranking = None
    return orch


def _requests(endpoint, model: str) -> list[dict]:
    return [r for r in endpoint.requests if r.get("model") == model]


def test_an_answer_cut_at_the_token_limit_is_asked_again_with_room(tmp_path, endpoint, py_sandbox):
    endpoint.chars_per_token = 4
    assert 200 * 4 < len(FIXED_LONG) < 400 * 4  # cut at 200 tokens, whole at 400
    path = _project(tmp_path, BUGGY)
    endpoint.scripts["wordy"] = [FIXED_LONG]
    orch = _orchestrator(tmp_path, endpoint, py_sandbox, "wordy", max_tokens=200)
    report = orch.fix(locate(f"{path}::count_pairs"))
    assert [r["max_tokens"] for r in _requests(endpoint, "wordy")] == [200, 400]
    assert any("cut at 200 tokens" in note for note in report.notes), report.notes
    assert report.status == "accepted", report.summary
    # The report's diff is the file's, from the project root: git apply takes it, and the docstring stays.
    patch = tmp_path / "fix.patch"
    patch.write_text(report.diff)
    applied = subprocess.run(["git", "apply", "-v", str(patch)], cwd=path.parent, capture_output=True, text=True)
    assert applied.returncode == 0, applied.stderr
    assert "range(i + 1, len(nums))" in path.read_text() and "Note 3" not in path.read_text()


def test_an_answer_cut_even_with_room_is_never_run(tmp_path, endpoint, py_sandbox):
    """The cut answer still parses (the fixed function is whole; the cut falls in a trailing comment), so
    only its finish_reason says it is incomplete: it must not run."""
    endpoint.chars_per_token = 4
    cut = FIXED_LONG[:-3] + "\n# " + "x" * 2000 + "\n```"
    path = _project(tmp_path, BUGGY)
    endpoint.scripts["wordy"] = [cut]
    orch = _orchestrator(tmp_path, endpoint, py_sandbox, "wordy", max_tokens=200)
    report = orch.fix(locate(f"{path}::count_pairs"))
    (attempt,) = report.attempts
    assert attempt.status == "no code" and "cut at the token limit" in attempt.reason, attempt.reason
    assert attempt.candidate_id is None  # nothing stored, nothing run
    assert report.status == "failed"


TESTS_FOUR = TESTS + '''

def test_negative():
    assert count_pairs([-1, 6, 2, 3], 5) == 2
'''
# Fails test_duplicates (i == j counted) and test_negative (negatives skipped): 2 of 4 pass.
TWO_BUGS = BUGGY.replace("            if nums[i] + nums[j] == k:",
                         "            if nums[i] >= 0 and nums[i] + nums[j] == k:")
# Negatives fixed, i == j still counted: 3 of 4 -- a near-miss, marked so its code can be seen in a prompt.
NEAR_MISS = "```python\n" + BUGGY.replace("    total = 0", "    total = 0  # near-miss") + "```"
FIXED = "```python\n" + CORRECT + "```"


def test_fix_repairs_a_near_miss_first(tmp_path, endpoint, py_sandbox):
    path = _project(tmp_path, TWO_BUGS)
    (path.parent / "tests" / "test_pairs.py").write_text(TESTS_FOUR)
    endpoint.scripts["fixer"] = [NEAR_MISS, FIXED]
    orch = _orchestrator(tmp_path, endpoint, py_sandbox, "fixer", max_attempts=2, samples_per_round=1)
    report = orch.fix(locate(f"{path}::count_pairs"))
    first, second = report.attempts
    assert first.status == "failed" and first.tests_passed == 3 and first.tests_total == 4, first.reason
    second_prompt = [m["content"] for m in _requests(endpoint, "fixer")[1]["messages"]][-1]
    assert "# near-miss" in second_prompt and "passes 3 of 4 tests" in second_prompt
    assert second.status == "accepted" and report.status == "accepted", second.reason
    rows = {c["id"]: c for c in RunStore(orch.pipeline.history).rows("candidates", report.run_id)}
    assert rows[second.candidate_id]["parent_id"] == first.candidate_id  # repaired from the near-miss


def test_optimize_after_a_copy_asks_rewrites_without_the_body(tmp_path, endpoint, py_sandbox):
    """Round 1's first sample answers the original back (a duplicate, known as soon as it is answered). Every later
    sample is shown the signature and description only, each with its own strategy's idea; "hot lines", which keeps
    an algorithm it cannot see, becomes the generic rewrite."""
    from tests.orchestrator.test_loop_scripted import FAST, SLOWER, WORKLOAD

    path = _project(tmp_path, CORRECT)
    again = "```python\n" + CORRECT.replace("    total = 0", "    # count them\n    total = 0") + "```"
    endpoint.scripts["copier"] = [again, SLOWER, SLOWER, FAST]
    orch = _orchestrator(tmp_path, endpoint, py_sandbox, "copier", max_attempts=4, samples_per_round=3,
                         guide=False, decision_budget_s=40, min_pairs=10)
    report = orch.optimize(locate(f"{path}::count_pairs"), metric="time", workload=WORKLOAD)
    assert [(a.round, a.strategy) for a in report.attempts] == [
        (1, "algorithm"), (1, "rewrite"), (1, "data structures, rewritten"), (2, "rewrite")]
    assert report.attempts[0].status == "duplicate" and report.attempts[3].status == "accepted", report.attempts
    asked = [r["messages"][-1]["content"] for r in _requests(endpoint, "copier")]
    body = "for j in range(i + 1, len(nums))"
    assert body in asked[0] and "Its body is not shown" not in asked[0]
    for prompt in asked[1:]:
        assert body not in prompt and "Its body is not shown" in prompt
        assert "def count_pairs(nums: list[int], k: int) -> int:" in prompt and "index pairs i < j" in prompt
    assert "sets or maps for membership tests" in asked[2]  # the data-structures idea, without the code


# Fast, but each number meets itself (i == j counted): test_duplicates fails, 2 of 3 pass -- a near-miss.
FAST_COUNTS_ITSELF = '''```python
from collections import Counter

def count_pairs(nums: list[int], k: int) -> int:
    seen = Counter()
    total = 0  # near-miss
    for x in nums:
        seen[x] += 1
        total += seen[k - x]
    return total
```'''


def test_optimize_repairs_the_fast_candidate_that_broke_a_test(tmp_path, endpoint, py_sandbox):
    """Round 1's only sample is a fast rewrite with one mistake. Round 2's sample repairs it: its prompt shows that
    code with the failing test and what the call returned (never the workload or the differential inputs), and the
    repaired code is accepted, recorded as made from the near-miss."""
    from tests.orchestrator.test_loop_scripted import FAST, WORKLOAD

    path = _project(tmp_path, CORRECT)
    endpoint.scripts["repairer"] = [FAST_COUNTS_ITSELF, FAST]
    orch = _orchestrator(tmp_path, endpoint, py_sandbox, "repairer", max_attempts=2, samples_per_round=1,
                         guide=False, decision_budget_s=40, min_pairs=10)
    report = orch.optimize(locate(f"{path}::count_pairs"), metric="time", workload=WORKLOAD)
    first, second = report.attempts
    assert first.status == "failed" and (first.tests_passed, first.tests_total) == (2, 3), first.reason
    assert (second.round, second.strategy) == (2, "repair")
    asked = [r["messages"][-1]["content"] for r in _requests(endpoint, "repairer")]
    assert "# near-miss" not in asked[0] and "# near-miss" in asked[1]
    assert "count_pairs([1, 1, 1], 2) returned 6; the test expects 3" in asked[1], asked[1]
    assert "list(range(1200))" not in asked[1]  # the workload stays hidden
    assert second.status == "accepted" and report.status == "accepted", second.reason
    rows = {c["id"]: c for c in RunStore(orch.pipeline.history).rows("candidates", report.run_id)}
    assert rows[second.candidate_id]["parent_id"] == first.candidate_id


def test_optimize_asks_no_repair_when_nothing_broke_a_test(tmp_path, endpoint, py_sandbox):
    """A round whose candidate was correct but slower leaves nothing to repair: the next round samples a strategy."""
    from tests.orchestrator.test_loop_scripted import FAST, SLOWER, WORKLOAD

    path = _project(tmp_path, CORRECT)
    endpoint.scripts["steady"] = [SLOWER, FAST]
    orch = _orchestrator(tmp_path, endpoint, py_sandbox, "steady", max_attempts=2, samples_per_round=1,
                         guide=False, decision_budget_s=40, min_pairs=10)
    report = orch.optimize(locate(f"{path}::count_pairs"), metric="time", workload=WORKLOAD)
    assert [a.strategy for a in report.attempts] == ["algorithm", "hot lines"], report.attempts
