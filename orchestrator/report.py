"""Typed results of an orchestrator job (what the CLI prints and --json emits) and its limits."""

from __future__ import annotations

import difflib
from typing import Literal

from pydantic import BaseModel, Field

JobKind = Literal["fix", "optimize", "solve"]
JobStatus = Literal["accepted", "unchanged", "failed", "cancelled"]


class JobLimits(BaseModel):
    max_attempts: int = Field(4, ge=1, le=50, description="candidates per job (fix / refine attempts)")
    samples_per_round: int = Field(3, ge=1, le=8, description="optimize: candidates asked for at once, each with "
                                   "its own strategy; only the best correct one of a round is measured in full")
    strategies: list[Literal["algorithm", "hot lines", "data structures"]] = Field(
        default_factory=lambda: ["algorithm", "hot lines", "data structures"], min_length=1,
        description="optimize: what the samples of a round are asked to try, in turn (orchestrator.strategies)")
    wall_time_s: float = Field(900.0, gt=0, description="the whole job")
    max_cost_usd: float | None = Field(None, ge=0, description="stop when model calls cost more (priced models)")
    max_model_calls: int | None = Field(None, ge=1, description="stop when this many model calls were made")
    max_tokens_total: int | None = Field(None, ge=1, description="stop when the model calls used this many tokens")
    decision_budget_s: float = Field(60.0, gt=0, description="time budget of one speed decision")
    min_pairs: int = Field(6, ge=2, description="pairs before the first look may decide (the plan sets its looks)")
    design_tests: bool = True  # AgentCoder test designer when the user has no tests
    judge: bool = True  # the judge's scores beside the execution verdict
    guide: bool = True  # the edge model first: guidance before generating (solve), a plan of approaches before an Optimize search
    differential_inputs: int = Field(40, ge=0, le=200)


class Attempt(BaseModel):
    stage: str  # generate | fix | refine
    number: int
    model: str
    round: int = 0  # optimize: the search round it was sampled in (several candidates per round)
    strategy: str = ""  # optimize: what it was asked to try (orchestrator.strategies)
    candidate_id: int | None = None
    status: str = "pending"  # passed | failed | rejected | accepted | not better | no code | error
    tests_passed: int = 0
    tests_total: int = 0
    failed_tests: list[str] = Field(default_factory=list)
    differential: str | None = None
    state: list[str] = Field(default_factory=list)
    decision: dict | None = None
    checks: list[dict] = Field(default_factory=list)  # the verification engine's evidence: {name, passed, total}
    evidence: str = ""  # "tests 3/3 · differential 52/52 · state guard · timed answers 400/400"
    reason: str = ""
    seconds: float = 0.0
    code: str | None = None


class Spend(BaseModel):
    """Candidates, model calls, tokens (prompt + completion), wall time and cost: a job's limit or its use."""

    candidates: int | None = None
    model_calls: int | None = None
    tokens: int | None = None
    wall_time_s: float | None = None
    cost_usd: float | None = None


class Budget(BaseModel):
    """What a job was allowed (None: unbounded) and what it used."""

    limit: Spend
    used: Spend

    def text(self) -> str:
        """'candidates 4/4 · model calls 6/— · tokens 3,120/— · wall time 95/900 s'"""
        def pair(used, limit, fmt="{:,}"):
            return fmt.format(used or 0) + "/" + ("—" if limit is None else fmt.format(limit))
        parts = [f"candidates {pair(self.used.candidates, self.limit.candidates)}",
                 f"model calls {pair(self.used.model_calls, self.limit.model_calls)}",
                 f"tokens {pair(self.used.tokens, self.limit.tokens)}",
                 f"wall time {pair(self.used.wall_time_s, self.limit.wall_time_s, '{:.0f}')} s"]
        if self.used.cost_usd or self.limit.cost_usd is not None:
            parts.append(f"cost ${pair(self.used.cost_usd, self.limit.cost_usd, '{:.4f}')}")
        return " · ".join(parts)


class JobReport(BaseModel):
    kind: JobKind
    target: str
    language: str
    metric: str | None = None
    status: JobStatus = "unchanged"
    correct: bool = False  # the reported code passed every test that judged it (never from the judge alone)
    summary: str = ""
    original_code: str | None = None
    accepted_code: str | None = None
    diff: str = ""
    suites: list[str] = Field(default_factory=list)
    tests_passed: int = 0
    tests_total: int = 0
    differential: str | None = None
    attempts: list[Attempt] = Field(default_factory=list)
    decision: dict | None = None  # the last accepted step's decision (against the previous best)
    change: dict | None = None  # the accepted code against the original: what the user gets
    checks: list[dict] = Field(default_factory=list)  # the evidence behind the reported code
    verified: bool = False  # some test, differential or state check ran on the reported code
    judgment: dict | None = None  # the judge's scores and feedback
    composite: float | None = None  # RefineCoder-style: execution score and judge score in one number
    run_id: int | None = None
    notes: list[str] = Field(default_factory=list)
    seconds: float = 0.0
    cost_usd: float | None = None
    model_calls: int = 0
    budget: Budget | None = None  # the job's limits beside what it used
    applied: bool = False


def unified_diff(before: str, after: str, label: str) -> str:
    if before == after:
        return ""
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                 fromfile=f"a/{label}", tofile=f"b/{label}")
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def composite_score(tests_passed: int, tests_total: int, judgment: dict | None) -> float | None:
    """RefineCoder's composite (paper 004): execution score and the judge's point-wise score, each in
    [0, 1], averaged; execution counts double when there is no judgment. A failing test caps it at 0.5."""
    execution = tests_passed / tests_total if tests_total else None
    scores = (judgment or {}).get("scores")
    judge = (sum(scores.values()) / (5.0 * len(scores))) if scores else None
    if execution is None and judge is None:
        return None
    if execution is None:
        return round(judge, 3)
    value = execution if judge is None else (execution + judge) / 2
    return round(min(value, 0.5) if execution < 1 else value, 3)
