"""Typed payloads shared by the model layer, the CLI and the language server.

These are the contract between `models/` and `server/`: the server turns them into LSP payloads,
the CLI prints them (human or --json). Keep them JSON-serialisable (pydantic models).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Stage = Literal["guide", "solve", "judge", "fix", "refine"]


class Problem(BaseModel):
    """What the user asked about: a problem text, optionally with the code it concerns."""

    title: str
    description: str = ""
    code: str | None = None
    language: str | None = None  # LSP languageId style: "python", "cpp", "java", "go", "rust", "javascript"
    source: str | None = None  # where it came from, e.g. "path/to/file.py::fn" (for history only)


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None  # from litellm when the provider is priced; None when unknown/local


class StageResult(BaseModel):
    """One stage's answer, after retries and fallbacks."""

    stage: Stage
    model_id: str  # the model that finally answered
    text: str
    usage: Usage = Field(default_factory=Usage)
    duration_s: float = 0.0
    attempts: int = 1
    fell_back: bool = False  # True when a fallback model (not the configured first choice) answered
    finish_reason: str | None = None  # "length": the answer was cut at max_tokens
    notes: list[str] = Field(default_factory=list)  # user-facing remarks, e.g. "no cloud key: solver ran on local model"


class JudgeScores(BaseModel):
    accuracy: int = Field(ge=1, le=5)
    clarity: int = Field(ge=1, le=5)
    efficiency: int = Field(ge=1, le=5)


class Judgment(BaseModel):
    """The judge's verdict. `scores` is None when the judge's output could not be parsed even after
    one re-ask: we report "no score" and never invent one."""

    scores: JudgeScores | None
    strengths: list[str] = Field(default_factory=list)
    weaknesses: list[str] = Field(default_factory=list)
    feedback: str = ""
    raw: StageResult


class RunReport(BaseModel):
    """A whole Guide -> Solve -> Judge run (any prefix of it)."""

    run_id: int | None = None  # row id in the history database
    problem: Problem
    guidance: StageResult | None = None
    solution: StageResult | None = None
    solution_code: str | None = None  # the code block extracted from the solution text, if any
    judgment: Judgment | None = None
    # Guide -> Solve -> Judge runs nothing: its code is "unverified" wherever it is shown (solve --run, fix and
    # optimize are what run code). Notes say, e.g., why no judgment was asked for.
    verified: bool = False
    notes: list[str] = Field(default_factory=list)
