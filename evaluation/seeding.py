"""Seed the ranking memory from benchmarks, as PerfOrch's RQ1-RQ3 did (paper 001, section 3):

* generate: each model writes the HumanEval-X function once (pass@1, Eq. 1);
* fix: each model gets HumanEvalPack's hand-made buggy solution and the tests (fix@1, Eq. 2);
* refine: each model gets the canonical solution and is asked to make it use less of the metric; a
  candidate counts only when it passes the tests and profiling.compare_programs says "better"
  (improvement = Eq. 3, in percent). Every language the refine suite measures, with its timed programs
  (evaluation.suites.refine.measured_program): the problem's test program, looped in one process for
  Python, JavaScript, Go and Rust, one run per sample for C++ and Java.

The problems, tests and answer -> program assembly are HumanEvalPack's (HumanEval-X with OctoPack's test
fixes), shared with the evaluation suites. Every candidate runs in the Docker sandbox. The direct path
(model -> candidate -> sandbox -> record) is used rather than the full loop, so one outcome is exactly
one model's one attempt, which is what pass@1 / fix@1 / refine@1 count.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Sequence

from orchestrator.ranking import RankingMemory

log = logging.getLogger(__name__)

STAGES = ("generate", "fix", "refine")
REFINE_LANGUAGES = ("python", "js", "cpp", "java", "go", "rust")  # evaluation.suites.refine.MEASURABLE
CODE_TOKENS = 640


@dataclass
class SeedOutcome:
    stage: str
    language: str
    task_id: str
    category: str
    model: str
    success: bool
    improvement: float | None = None  # percent, refine only
    seconds: float = 0.0
    detail: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class SeedPlan:
    models: list[str]
    languages: list[str] = field(default_factory=lambda: ["python"])
    stages: list[str] = field(default_factory=lambda: list(STAGES))
    limit: int | None = None
    start: int = 0
    metric: str = "time"
    refine_budget_s: float = 30.0


def problem_number(task_id: str) -> int:
    return int(re.search(r"(\d+)$", task_id).group(1))


def categories_by_number(limit_to: Sequence[int] | None = None) -> dict[int, str]:
    """One category per HumanEval problem, from the Python prompt (the same problem in every language)."""
    from evaluation.suites.humaneval import records

    from orchestrator.categories import classify_many

    rows = [r for r in records("python", {}) if limit_to is None or problem_number(r["task_id"]) in limit_to]
    names = [c.name for c in classify_many([r["prompt"] for r in rows])]
    return {problem_number(r["task_id"]): name for r, name in zip(rows, names)}


class Seeder:
    """Runs a :class:`SeedPlan` and records every outcome in `memory` (source 'profile').

    `ctx` is an evaluation.context.WorkerContext (one pipeline per model, one warm sandbox); tests
    may pass one built on a registry of scripted models.
    """

    def __init__(self, memory: RankingMemory, ctx=None, *, on_outcome: Callable[[SeedOutcome], None] | None = None,
                 cancel: threading.Event | None = None):
        from evaluation.context import WorkerContext

        self.memory = memory
        self.ctx = ctx or WorkerContext()
        self.on_outcome = on_outcome
        self.cancel = cancel

    def run(self, plan: SeedPlan) -> list[SeedOutcome]:
        from evaluation.suites.humaneval import records

        for stage in plan.stages:
            if stage not in STAGES:
                raise ValueError(f"unknown stage {stage!r}: use {', '.join(STAGES)}")
        outcomes: list[SeedOutcome] = []
        per_lang = {}
        numbers: set[int] = set()
        for lang in plan.languages:
            rows = records(lang, {})[plan.start:]
            rows = rows[:plan.limit] if plan.limit is not None else rows
            per_lang[lang] = rows
            numbers |= {problem_number(r["task_id"]) for r in rows}
        category = categories_by_number(sorted(numbers))
        for stage in plan.stages:
            for lang, rows in per_lang.items():
                if stage == "refine" and lang not in REFINE_LANGUAGES:
                    log.info("refine is seeded for %s only; skipping %s", ", ".join(REFINE_LANGUAGES), lang)
                    continue
                for record in rows:
                    for model in plan.models:
                        if self.cancel is not None and self.cancel.is_set():
                            return outcomes
                        cat = category.get(problem_number(record["task_id"]), "")
                        outcome = self.one(stage, lang, record, model, cat, plan)
                        self.memory.record(stage, lang, cat, model, success=outcome.success,
                                           metric=plan.metric if stage == "refine" else None,
                                           improvement=outcome.improvement, source="profile")
                        outcomes.append(outcome)
                        if self.on_outcome:
                            self.on_outcome(outcome)
        return outcomes

    def one(self, stage: str, lang: str, record: dict, model: str, category: str, plan: SeedPlan) -> SeedOutcome:
        started = time.monotonic()
        out = SeedOutcome(stage, lang, record["task_id"], category, model, False)
        try:
            if stage == "generate":
                self._generate(out, record)
            elif stage == "fix":
                self._fix(out, record)
            else:
                self._refine(out, record, plan)
        except Exception as exc:  # a model error or a sandbox failure is a failed attempt, recorded as such
            log.warning("%s %s %s on %s: %s", stage, lang, record["task_id"], model, exc)
            out.success, out.detail = False, f"{type(exc).__name__}: {exc}"[:300]
        out.seconds = round(time.monotonic() - started, 2)
        return out

    def _test(self, out: SeedOutcome, record: dict, code: str | None, reason: str = "") -> bool:
        from evaluation.humaneval_code import report_summary, run_answer_code

        if not code or not code.strip():
            out.detail = reason or "the answer had no code"
            return False
        summary = report_summary(run_answer_code(record, out.language, code, sandbox=self.ctx.sandbox()))
        out.detail = "tests pass" if summary["passed"] else f"tests fail ({summary['status']})"
        return bool(summary["passed"])

    def _generate(self, out: SeedOutcome, record: dict) -> None:
        from evaluation.humaneval_code import LSP_ID
        from models.parsing import extract_code
        from models.types import Problem

        from evaluation.suites.humaneval import NAMES

        problem = Problem(title=f"Complete the {NAMES[out.language]} function `{record['entry_point']}`",
                          code=record["prompt"], language=LSP_ID[out.language])
        answer = self.ctx.pipeline(out.model, max_tokens=CODE_TOKENS).solve(problem, None)
        code = extract_code(answer.text, LSP_ID[out.language]) or answer.text
        out.success = self._test(out, record, code)

    def _fix(self, out: SeedOutcome, record: dict) -> None:
        from evaluation.humaneval_code import canonical_answer

        from orchestrator.prompts import candidate_from_answer, fix_messages

        buggy = canonical_answer(record, out.language, buggy=True)
        failure = "The function fails its unit tests (below); find and fix the bug.\n" + record["test"]
        messages = fix_messages(out.language, record["entry_point"], buggy, record.get("docstring") or "", failure)
        answer = self.ctx.ask(out.model, messages, stage="fix", max_tokens=CODE_TOKENS)
        code, reason = candidate_from_answer(answer.text, out.language, record["entry_point"])
        out.success = self._test(out, record, code, reason)

    def _refine(self, out: SeedOutcome, record: dict, plan: SeedPlan) -> None:
        from evaluation.humaneval_code import canonical_answer
        from evaluation.suites.refine import measured_program
        from profiling import compare_programs

        from orchestrator.prompts import candidate_from_answer, refine_messages

        canonical = canonical_answer(record, out.language)
        messages = refine_messages(out.language, record["entry_point"], canonical, record.get("docstring") or "",
                                   plan.metric, "", "")
        answer = self.ctx.ask(out.model, messages, stage="refine", max_tokens=CODE_TOKENS)
        code, reason = candidate_from_answer(answer.text, out.language, record["entry_point"])
        if not self._test(out, record, code, reason):
            return
        baseline = measured_program(record, out.language, canonical)
        candidate = measured_program(record, out.language, code)
        decision = compare_programs(self.ctx.sandbox(), baseline, candidate, metric=plan.metric,
                                    budget_s=plan.refine_budget_s, cancel=self.cancel)
        out.success = decision.verdict == "better"
        out.improvement = round(100.0 * decision.improvement, 2) if out.success else None
        out.detail = f"{decision.verdict}: ratio {_num(decision.ratio)} [{_num(decision.ci_low)}, " \
                     f"{_num(decision.ci_high)}], n={decision.n_pairs}"


def _num(value) -> str:
    return "?" if value is None else f"{value:.3f}"
