"""The tools' typed inputs and structured results (what an agent reads and cites; never prose to parse).

Every job result says how far it was checked: `verdict` is the job's status, or "unverified" when no test,
differential or state check ran on the code it reports — an agent must not claim more than that.
"""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

# Hints for the client's approval prompts: no tool writes the user's files; each job adds a run to the history.
JOB = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False)
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)

Metric = Literal["time", "peak_memory", "mean_memory", "cpu"]
CompareMetric = Literal["time", "wall_time", "peak_memory", "mean_memory", "cpu"]


class Budget(BaseModel):
    """Limits of one job; unset fields keep the project's defaults (orchestrator.report.JobLimits)."""

    max_attempts: int | None = Field(None, ge=1, le=50, description="candidates to try (each is one model call "
                                     "plus its checks); default 4")
    wall_time_s: float | None = Field(None, gt=0, le=3600, description="the whole job; default 900")
    max_cost_usd: float | None = Field(None, ge=0, description="stop when priced model calls cost more")
    max_model_calls: int | None = Field(None, ge=1, description="stop after this many model calls")
    max_tokens_total: int | None = Field(None, ge=1, description="stop when the model calls used this many tokens")
    decision_budget_s: float | None = Field(None, gt=0, le=600, description="time for one speed decision")
    min_pairs: int | None = Field(None, ge=2, le=1000, description="measured pairs before a speed decision "
                                  "may be taken; default 6")
    judge: bool = Field(True, description="ask the judge model for scores beside the execution verdict")


class Source(BaseModel):
    """A program or function: a file inside the workspace roots, or its text."""

    file: str | None = Field(None, description="path inside a workspace root (relative paths: from the roots)")
    code: str | None = Field(None, description="the source text, when there is no file")


# -- argument types shared by the tools' signatures (each becomes a property of the input schema) ----------
File = Annotated[str | None, Field(description="path of the file inside a workspace root (or give `code`)")]
Code = Annotated[str | None, Field(description="the source text, when there is no file (then `language` is needed)")]
Function = Annotated[str, Field(description="the function's name (Class.method for a method)")]
Language = Annotated[str | None, Field(description="python, cpp, java, go, rust or js (default: the file's)")]
TestsPath = Annotated[str | None, Field(description="test file or folder inside a workspace root (Python: pytest "
                                        "files; other languages: a test program that exits non-zero on failure)")]
TestCode = Annotated[str | None, Field(description="the tests as text instead of `tests` (Python: a pytest file, "
                                       "the function's module is imported for it)")]
BudgetArg = Annotated[Budget | None, Field(description="limits of the job (attempts, wall time, cost, judge)")]


class Measurement(BaseModel):
    """A paired, interleaved comparison in the sandbox: B/A below 1 means B uses less."""

    metric: str
    verdict: str = Field(description="better | worse | no significant difference | …")
    ratio: float = Field(description="Hodges-Lehmann estimate of B/A")
    ci_low: float
    ci_high: float
    confidence: float | None = Field(None, description="the interval's level")
    p_value: float | None = None
    n_pairs: int = 0


class Tests(BaseModel):
    passed: int = 0
    total: int = 0
    suites: list[str] = Field(default_factory=list, description="user | project | benchmark | designed | …")
    passed_names: list[str] = Field(default_factory=list)
    failed_names: list[str] = Field(default_factory=list)


class Check(BaseModel):
    """One check that ran on the reported code (tests, differential, state guard, timed answers)."""

    name: str
    passed: int = 0
    total: int = 0


class AttemptSummary(BaseModel):
    number: int
    stage: str
    model: str
    status: str
    evidence: str = ""
    reason: str = ""


class JobResult(BaseModel):
    """fix / optimize: what was accepted and the evidence behind it."""

    run_id: int | None = None
    report_uri: str | None = Field(None, description="refactorcoder://runs/ID: the full report as a resource")
    kind: str
    target: str
    language: str
    status: Literal["accepted", "unchanged", "failed", "cancelled"]
    verdict: str = Field(description="the status, or 'unverified' when no check ran on the reported code")
    verified: bool
    correct: bool = Field(description="every test that judged the reported code passed")
    summary: str = ""
    tests: Tests
    checks: list[Check] = Field(default_factory=list)
    measurement: Measurement | None = Field(None, description="the accepted code against the original")
    diff: str = ""
    accepted_code: str | None = None
    attempts: list[AttemptSummary] = Field(default_factory=list)
    judgment: dict | None = None
    notes: list[str] = Field(default_factory=list)
    model_calls: int = 0
    seconds: float = 0.0


class CompareResult(BaseModel):
    """Is B measurably better than A? (the decision alone: behaviour is not checked here)"""

    verdict: str
    verified: bool = Field(False, description="always false: compare measures, it does not check behaviour")
    measurement: Measurement
    median_a: float
    median_b: float
    unit: str = ""
    stopped: str = ""
    notes: list[str] = Field(default_factory=list)
    seconds: float = 0.0


class Profile(BaseModel):
    wall_time_s: float
    cpu_time_s: float
    peak_memory_bytes: int
    mean_memory_bytes: int
    cpu_utilisation: float


class RunResult(BaseModel):
    """One run in the sandbox: output, status and the profile."""

    status: str = Field(description="ok | failed | compile_error | timeout | memory_limit | output_limit | sandbox_error")
    exit_code: int | None = None
    phase: str = "run"
    stdout: str = ""
    stderr: str = ""
    truncated: bool = False
    compile_output: str = ""
    message: str = ""
    language: str
    profile: Profile
    seconds: float = Field(0.0, description="wall time of the sandbox call (container, compile, run, clean-up)")


class JudgeResult(BaseModel):
    """The judge model's scores (1-5). A judgment is an opinion: nothing ran, so it is 'unverified'."""

    run_id: int | None = None
    report_uri: str | None = None
    verdict: Literal["unverified"] = "unverified"
    model: str
    scores: dict[str, int] | None = Field(None, description="accuracy, clarity, efficiency (1-5); None: unreadable")
    strengths: list[str] = Field(default_factory=list)
    weaknesses: list[str] = Field(default_factory=list)
    feedback: str = ""
    notes: list[str] = Field(default_factory=list)


class RunSummary(BaseModel):
    run_id: int
    report_uri: str
    kind: str | None = None
    status: str | None = None
    created: str | None = None
    source: str = ""
    function: str | None = None
    verdict: str = ""
    scores: list[int | None] | None = None
    has_report: bool = False


class HistoryResult(BaseModel):
    runs: list[RunSummary]


class ReportResult(BaseModel):
    run_id: int
    report_uri: str
    kind: str | None = None
    status: str | None = None
    report: dict = Field(description="the job's full report (attempts, tests, decisions) or the history rows")
