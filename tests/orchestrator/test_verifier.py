"""The verification engine's order and rules (orchestrator.verify.engine.Verifier), with a recorded execution
standing in for the sandbox: duplicates run nothing, a test the original passed and the candidate does not run
is a failure, the guards block, and nothing is accepted without evidence. The real sandbox behind the same
entry is exercised by tests/orchestrator/test_loop_scripted.py and the red-team corpus (tests/redteam/)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.target import locate_text
from orchestrator.verify.checks.behaviour import BehaviourCheck
from orchestrator.verify.engine import Verifier
from orchestrator.verify.running.execution import TestRun
from orchestrator.verify.testing.testsuite import Suite, TestSource

ORIGINAL = "def f(xs):\n    return sorted(xs)\n"
OTHER = "def f(xs):\n    out = list(xs)\n    out.sort()\n    return out\n"


def _result(name, status):
    return {"suite": "user", "name": name, "passed": status == "passed", "status": status, "error": "boom"}


@dataclass
class RecordedExecution:
    """Answers run_tests from a table keyed by code; counts what ran."""

    runs: dict[str, list[dict]]
    ran: list[str] = field(default_factory=list)

    def run_tests(self, code, tests):
        self.ran.append(code)
        return TestRun(results=self.runs[code])


class FakeBehaviour:
    def __init__(self, check: BehaviourCheck | None):
        self.result = check

    def check(self, code):
        return self.result


def _verifier(runs, purpose="fix", behaviour=None, tests=True):
    target = locate_text(Path("m.py"), ORIGINAL, "f", "python")
    suite = Suite(tests=[TestSource("user", "file", "test_m.py", path="project/test_m.py")] if tests else [])
    exe = RecordedExecution(runs)
    v = Verifier(exe=exe, target=target, suite=suite, purpose=purpose, behaviour=behaviour)
    return v, exe


def test_a_duplicate_of_the_original_runs_nothing():
    v, exe = _verifier({})
    verdict = v.verify(ORIGINAL.replace("return", "return  ") + "# a comment\n", "attempt 1")
    assert verdict.outcome == "duplicate" and "the original" in verdict.reason
    assert exe.ran == []


def test_a_duplicate_of_an_earlier_candidate_names_it():
    runs = {OTHER: [_result("test_a", "failed")]}
    v, exe = _verifier(runs)
    v.establish_baseline(TestRun(results=[_result("test_a", "failed")]))
    assert v.verify(OTHER, "attempt 1").outcome == "failed"
    again = v.verify(OTHER, "attempt 2")
    assert again.outcome == "duplicate" and "attempt 1" in again.reason
    assert exe.ran == [OTHER]


def test_a_test_that_does_not_run_on_the_candidate_is_not_a_pass():
    baseline = TestRun(results=[_result("test_a", "passed"), _result("test_b", "failed")])
    runs = {OTHER: [_result("test_a", "passed"), _result("test_b", "not run")]}
    v, _ = _verifier(runs, purpose="fix")
    v.establish_baseline(baseline)
    verdict = v.verify(OTHER, "attempt 1")
    assert verdict.outcome == "failed"
    assert verdict.failed_tests == ["test_b"] and verdict.tests_passed == 1 and verdict.tests_total == 2


def test_a_test_missing_from_the_candidates_run_is_broken():
    """The candidate does not choose its tests: a doctest that vanished with its docstring still counts."""
    baseline = TestRun(results=[_result("test_a", "passed"), _result("doctest f", "passed")])
    runs = {OTHER: [_result("test_a", "passed")]}
    v, _ = _verifier(runs, purpose="fix")
    v.establish_baseline(baseline)
    verdict = v.verify(OTHER, "attempt 1")
    assert verdict.outcome == "failed" and verdict.failed_tests == ["doctest f"]
    assert "did not run" in verdict.reason


def test_the_state_guard_blocks_a_fix():
    baseline = TestRun(results=[_result("test_a", "failed")])
    runs = {OTHER: [_result("test_a", "passed")]}
    state = BehaviourCheck(differential="differs from the original on 1 of 5 inputs (return value)", agrees=False,
                           state=["answers change when the same inputs are repeated or reordered (1 inputs)"])
    v, _ = _verifier(runs, purpose="fix", behaviour=FakeBehaviour(state))
    v.establish_baseline(baseline)
    verdict = v.verify(OTHER, "attempt 1")
    assert verdict.outcome == "rejected" and "repeated" in verdict.reason


def test_a_fix_with_passing_tests_is_accepted_with_its_evidence():
    baseline = TestRun(results=[_result("test_a", "failed"), _result("test_b", "passed")])
    runs = {OTHER: [_result("test_a", "passed"), _result("test_b", "passed")]}
    v, _ = _verifier(runs, purpose="fix", behaviour=FakeBehaviour(BehaviourCheck(
        differential="differs from the original on 2 of 10 inputs (return value)", agrees=False)))
    v.establish_baseline(baseline)
    verdict = v.verify(OTHER, "attempt 1")
    assert verdict.outcome == "accepted"
    assert verdict.evidence().startswith("tests 2/2")


def test_no_check_at_all_is_unverified_and_never_accepted():
    v, _ = _verifier({}, purpose="fix", tests=False)
    v.establish_baseline(TestRun())
    verdict = v.verify(OTHER, "attempt 1")
    assert verdict.outcome == "unverified" and not verdict.accepted


def test_optimize_without_any_check_is_unverified_before_measuring():
    v, _ = _verifier({}, purpose="optimize", tests=False)
    v.establish_baseline(TestRun())
    v.measure = dict(metric="time", workload=["f([3, 1, 2])"], reference=None, comparisons=1, budget_s=1,
                     min_pairs=2, cancel=None)
    verdict = v.verify(OTHER, "attempt 1")
    assert verdict.outcome == "unverified" and verdict.decision is None
