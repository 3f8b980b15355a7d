"""The typed outcome of verifying one candidate: what was decided, why, and the evidence behind it.

A verdict names every check that ran with its counts, so that the sentence the editor shows ("tests 3/3 ·
differential 52/52 · timed answers 400/400 · 8.1× faster, 95% CI 7.7–8.6") is built from what execution
proved and nothing else. A candidate none of whose checks could run is "unverified", never accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Outcome = Literal[
    "accepted",  # every check passed (and, for optimize, measurably better)
    "failed",  # a test the candidate must pass failed, did not run, or the code does not load
    "rejected",  # a behaviour guard: different answers, state kept between calls, tampering
    "duplicate",  # the same code as the original or an earlier candidate: nothing was run
    "not better",  # correct, but not measurably better (or measurably worse)
    "unverified",  # no test, differential or state check could run: never accepted
    "error",  # the sandbox or the measurement failed for this candidate
]


@dataclass
class Check:
    """One kind of evidence: `passed` of `total` items agreed (for a guard with no count, total is 1)."""

    name: str  # tests | differential | state | timed answers
    passed: int = 0
    total: int = 0
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.passed == self.total

    def text(self) -> str:
        if self.name == "state":
            return "state guard" + ("" if self.ok else " failed")
        return f"{self.name} {self.passed}/{self.total}"


@dataclass
class Verdict:
    outcome: Outcome
    reason: str = ""
    checks: list[Check] = field(default_factory=list)
    tests_passed: int = 0
    tests_total: int = 0
    failed_tests: list[str] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)
    differential: str | None = None
    state: list[str] = field(default_factory=list)
    decision: dict | None = None  # against the current best (profiling Decision, JSON form, without samples)
    samples: dict | None = None  # the same decision with its timed samples (for the run store and its charts)
    run: object | None = None  # the candidate's TestRun (for the run store); not part of the evidence text

    @property
    def accepted(self) -> bool:
        return self.outcome == "accepted"

    @property
    def verified(self) -> bool:
        """Some check actually ran on this candidate."""
        return any(c.total > 0 for c in self.checks)

    def evidence(self) -> str:
        """'tests 3/3 · differential 52/52 · state guard · timed answers 400/400' (only checks that ran)."""
        return " · ".join(c.text() for c in self.checks if c.total > 0)

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)
