"""The Python behaviour guards against the original: differential tests on generated inputs (return value,
exception type, argument mutation, stdout) and the state guard (answers that change when the same calls
are repeated, reordered, or made in a fresh process; state kept between calls). One object per original
function, used by the loop's jobs (orchestrator/job.py) and by the eval `refine` suite, so that a benchmark
accepts exactly the candidates the product would accept."""

from __future__ import annotations

from dataclasses import dataclass, field

from orchestrator.verify import differential as diff
from orchestrator.target import Target


@dataclass
class BehaviourCheck:
    differential: str | None = None  # the comparison's summary; None when the original's answers are unknown
    agrees: bool = True  # same answers as the original on every compared input
    state: list[str] = field(default_factory=list)  # why its answers depend on state kept between calls
    error: str | None = None  # the differential driver itself failed on the candidate

    @property
    def reason(self) -> str | None:
        """Why the candidate must be rejected (None when it may go on)."""
        if self.error:
            return "the differential driver failed: " + self.error
        if self.state:
            return "; ".join(self.state)
        if not self.agrees:
            return self.differential
        return None


class PythonBehaviour:
    """Generated inputs (from the signature, type hints and the inputs the tests use) and the original's
    answers to them, computed once; check(code) runs a candidate on the same inputs, twice in one process
    (forward, then reversed) and once reversed in a fresh process."""

    def __init__(self, exe, target: Target, seen_calls: list[dict], n_inputs: int):
        self.exe, self.target, self.seen_calls, self.n_inputs = exe, target, seen_calls, n_inputs

    @property
    def available(self) -> bool:
        """Plain functions only: a method needs an instance the generator cannot build."""
        return bool(self.exe.differential) and self.target.class_name is None

    def inputs(self) -> list[dict]:
        if not hasattr(self, "_inputs"):
            self._inputs = diff.generate_inputs(self.target, self.seen_calls, self.n_inputs) if self.available else []
        return self._inputs

    def oracle(self) -> dict:
        if not hasattr(self, "_oracle"):
            n = len(self.inputs())
            self._oracle = self.exe.calls(self.target.code, self.inputs(), [list(range(n)), list(reversed(range(n)))])
        return self._oracle

    def check(self, code: str) -> BehaviourCheck | None:
        """None when there is nothing to check (no generated inputs)."""
        if not self.available or not self.inputs():
            return None
        n = len(self.inputs())
        forward, backward = list(range(n)), list(reversed(range(n)))
        same = self.exe.calls(code, self.inputs(), [forward, backward])
        fresh = self.exe.calls(code, self.inputs(), [backward])
        if not same.get("ok") or not fresh.get("ok"):
            return BehaviourCheck(agrees=False, error=same.get("error") or fresh.get("error") or "no answer")
        oracle = self.oracle()
        comparison = diff.compare(oracle["passes"][0], same["passes"][0]) if oracle.get("ok") else None
        state = diff.state_problems(same["passes"], fresh["passes"][0], same.get("state_changed", []),
                                    oracle.get("state_changed", []) if oracle.get("ok") else [])
        return BehaviourCheck(differential=comparison.summary() if comparison else None,
                              agrees=comparison is None or comparison.passed, state=state)
