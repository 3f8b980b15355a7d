"""One job's state and plumbing, beside the loop (orchestrator/loop.py) that drives it: its target,
tests and execution, limits and cancellation, model calls on one ranked model at a time, store rows,
the behaviour guards (differential tests, state kept between calls) and the finished report."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict
from typing import TYPE_CHECKING, Callable

from models.errors import Cancelled, ModelError
from models.stage_runner import candidate_ids
from models.types import Problem
from orchestrator import prompts
from orchestrator.docstrings import keep_docstring
from orchestrator.report import Attempt, Budget, JobReport, Spend, composite_score, unified_diff
from orchestrator.target import Target
from orchestrator.verify import HarnessExecution, PythonBehaviour, PythonExecution, Suite, TestRun, discover

if TYPE_CHECKING:
    from orchestrator.loop import Orchestrator

log = logging.getLogger(__name__)
Event = Callable[[str, dict], None]
SETTINGS_STAGE = {"generate": "solve", "fix": "fix", "refine": "refine", "plan": "guide"}
HISTORY_STAGE = {"generate": "solve", "plan": "guide"}  # the stage a model call is recorded under, when not its own
MAX_TOKENS_RETRY = 2048  # the room an answer cut at the stage's max_tokens is asked again with


class LimitReached(Exception):
    pass


class _LazySandbox:
    """The orchestrator's sandbox, started on first use: bad input gets its answer without Docker."""

    def __init__(self, orch: "Orchestrator"):
        self._orch = orch

    def __getattr__(self, name):
        return getattr(self._orch.sandbox(), name)


class Job:
    """One fix/optimize/solve job: its target, tests, limits, cancel event, store rows and report."""

    def __init__(self, orch: "Orchestrator", kind: str, target: Target, *, cancel, on_event, metric=None,
                 tests_path=None, benchmark_test=None, test_program=None):
        self.o, self.kind, self.target = orch, kind, target
        self.cancel = cancel or threading.Event()
        self.on_event = on_event or (lambda kind, data: None)
        self.limits = orch.limits
        self.started = time.monotonic()
        self.cost = 0.0
        self.tokens = 0  # prompt + completion tokens of every model call of the job
        self._prompt_context: str | None = None
        self.truncated = False  # the last answer was cut at its token limit (even after asking again)
        self.report = JobReport(kind=kind, target=target.label(), language=target.language, metric=metric,
                                original_code=target.code if kind != "solve" else None)
        self.problem_text = target.docstring or ""
        if target.language == "python":
            self.suite = discover(target, tests_path, benchmark_test)
            self.exe = PythonExecution(_LazySandbox(orch), target, self.suite)
        else:
            from orchestrator.verify import TestSource

            self.suite = Suite()
            # the user's test program first; else a benchmark's (trust order of orchestrator/verify/testing/testsuite.py)
            program, trust = (test_program, "user") if test_program else (benchmark_test, "benchmark")
            if program:
                self.suite.tests.append(TestSource(trust, "program", "tests" if trust == "user" else "benchmark tests",
                                                   source=program))
            self.exe = HarnessExecution(_LazySandbox(orch), target, program, suite=trust)
        self.python_behaviour = PythonBehaviour(self.exe, target, self.suite.seen_calls,
                                                self.limits.differential_inputs)
        self.report.notes += self.suite.notes + self.exe.notes
        history = orch.pipeline.history
        problem = Problem(title=target.label(), description=self.problem_text, code=target.code,
                          language=target.language, source=f"{target.path}::{target.qualname}")
        self.run_id = history.start_run(kind, problem) if history is not None else None
        self.report.run_id = self.run_id
        self.store = orch.store
        self.category = orch.category(self.problem_text or target.code)

    def select_tests(self) -> None:
        """Python: fix the tests that run the target from the ORIGINAL's traced test run, once, before any candidate
        (tests that reach it through other functions count; the candidate never chooses its tests)."""
        from orchestrator.verify import select_by_coverage

        if self.target.language != "python" or self.suite.selection_done or not self.suite.selection_files:
            return
        self.check()
        self.event("stage", stage="select", message=f"finding the tests that run {self.target.name}() (the "
                                                     "original's test run, traced in the sandbox)")
        known = len(self.suite.notes)
        select_by_coverage(self.suite, self.exe.jobs)
        self.report.notes += self.suite.notes[known:]

    # -- plumbing -----------------------------------------------------------------------------------
    def event(self, kind: str, **data) -> None:
        try:
            self.on_event(kind, data)
        except Exception:  # a broken progress display must not fail the job
            log.exception("progress callback failed")

    def check(self) -> None:
        if self.cancel.is_set():
            raise Cancelled("cancelled")
        if time.monotonic() - self.started > self.limits.wall_time_s:
            raise LimitReached(f"wall-time limit of {self.limits.wall_time_s:.0f}s reached")
        if self.limits.max_cost_usd is not None and self.cost > self.limits.max_cost_usd:
            raise LimitReached(f"cost limit of ${self.limits.max_cost_usd:.2f} reached")
        if self.limits.max_model_calls is not None and self.report.model_calls >= self.limits.max_model_calls:
            raise LimitReached(f"model-call limit of {self.limits.max_model_calls} reached")
        if self.limits.max_tokens_total is not None and self.tokens >= self.limits.max_tokens_total:
            raise LimitReached(f"token limit of {self.limits.max_tokens_total:,} reached")

    def pool(self, stage: str) -> list[str]:
        pool = candidate_ids(self.o.pipeline.settings.stage_settings(SETTINGS_STAGE[stage]))
        if self.o.ranking is not None and len(pool) > 1:
            try:
                pool = self.o.ranking.order(stage, self.target.language, self.category, pool,
                                            metric=self.report.metric if stage == "refine" else None)
            except Exception:
                log.exception("ranking failed; using the configured order")
        return pool

    def ask(self, stage: str, model: str, messages, round_: int = 0, warmth: float = 0.0,
            sample: int = 0) -> tuple[str, int | None]:
        """One model call on `model` alone (the loop itself moves to the next ranked model). A model's
        second and later turns run warmer: at temperature 0 the same prompt gives the same wrong answer; a
        round's samples add their strategy's `warmth`. The warmer turns sample with a seed (round and sample,
        unless the stage sets one) so that a job is repeatable."""
        self.check()
        base = self.o.pipeline.settings.stage_settings(SETTINGS_STAGE[stage])
        settings = base.model_copy(update={"model": model, "fallbacks": [],
                                           "api_base": base.api_base if model == base.model else None,
                                           "temperature": min(1.0, base.temperature + 0.4 * round_ + warmth),
                                           "seed": base.seed if base.seed is not None else round_ + 1000 * sample})
        outcome = self._call(stage, settings, messages)
        if outcome.result.finish_reason == "length" and settings.max_tokens < MAX_TOKENS_RETRY:
            # Cut at the token limit (a re-typed docstring is the usual reason): asked once more with room,
            # never parsed as it is -- a cut answer can still parse and run as code.
            room = min(MAX_TOKENS_RETRY, 2 * settings.max_tokens)
            self.report.notes.append(f"{model}'s answer was cut at {settings.max_tokens} tokens: asked again "
                                     f"with {room}")
            outcome = self._call(stage, settings.model_copy(update={"max_tokens": room}), messages)
        self.truncated = outcome.result.finish_reason == "length"
        return outcome.result.text, outcome.call_id

    @property
    def prompt_context(self) -> str:
        """What the function uses from its module (and its class, for a method), for the fix and refine prompts."""
        if self._prompt_context is None:
            from orchestrator.prompt_context import python_context

            t = self.target
            self._prompt_context = python_context(t.text, t.name, t.class_name) if t.language == "python" else ""
        return self._prompt_context

    def _evidence_for_judge(self) -> str | None:
        """The reported code's execution facts, for the judge: checks with counts, failing tests, the change."""
        r = self.report
        facts = [f"tests {r.tests_passed}/{r.tests_total} passed"] if r.tests_total else []
        facts += [f"{c['name']} {c['passed']}/{c['total']}" for c in r.checks if c.get("name") != "tests"]
        failing = [a for a in r.attempts if a.status == "accepted"] or r.attempts[-1:]
        if not r.correct and failing and failing[-1].failed_tests:
            facts.append("failing: " + ", ".join(failing[-1].failed_tests[:5]))
        if r.change:
            facts.append(f"{r.change.get('metric', 'time')} ratio {r.change.get('ratio', 1.0):.3f} against the "
                         f"original ({r.change.get('verdict', '')})")
        return "; ".join(facts) or None

    def model_name(self, model: str) -> str:
        """`local (qwen2.5-coder-0.5b-instruct-q4_k_m.gguf)`, not `local` for every GGUF (reports only; the
        ranking memory keeps the configured ids)."""
        try:
            return self.o.pipeline.registry.describe(model)
        except Exception:  # noqa: BLE001 - a name for a report never fails a job
            return model

    def _call(self, stage: str, settings, messages):
        self.check()
        outcome = self.o.pipeline.runner.run(HISTORY_STAGE.get(stage, stage), settings, messages,
                                             run_id=self.run_id, cancel=self.cancel, on_text=None)
        self._spent(outcome.result)
        return outcome

    def _spent(self, result) -> None:
        self.report.model_calls += result.attempts
        self.cost += result.usage.cost_usd or 0.0
        self.tokens += result.usage.prompt_tokens + result.usage.completion_tokens

    def record_tests(self, cid, run: TestRun) -> None:
        for r in run.results:
            self.store.test_result(cid, suite=r["suite"], name=r["name"], passed=bool(r.get("passed")),
                                   status="not run" if r.get("status") == "not run" or r.get("skipped") else None,
                                   detail=r.get("error") or r.get("skipped"), duration_s=r.get("seconds"))
        if run.error:
            self.store.test_result(cid, suite="load", name="import", passed=False, detail=run.error)

    def learn(self, stage: str, model: str, success: bool, improvement: float | None = None) -> None:
        if self.o.ranking is None:
            return
        try:
            self.o.ranking.record(stage, self.target.language, self.category, model, success=success,
                                  metric=self.report.metric if stage == "refine" else None, improvement=improvement)
        except Exception:
            log.exception("ranking memory could not record an outcome")

    def candidate(self, stage: str, number: int, model: str, answer: str, call_id, parent) -> tuple[Attempt, str | None]:
        attempt = Attempt(stage=stage, number=number, model=self.model_name(model))
        if self.truncated:
            attempt.status = "no code"
            attempt.reason = ("the answer was cut at the token limit even with more room: raise max_tokens for this "
                              "stage (a cut answer is never run)")
            return attempt, None
        code, why = prompts.candidate_from_answer(answer, self.target.language, self.target.name, self.target.text)
        if code is None:
            attempt.status, attempt.reason = "no code", why
            return attempt, None
        if self.target.language == "python":
            code = keep_docstring(code, self.target.name, self.target.code)
        attempt.code = code
        attempt.candidate_id = self.store.candidate(self.run_id, stage=stage, code=code, model=model, attempt=number,
                                                    language=self.target.language, parent_id=parent, call_id=call_id)
        return attempt, code

    # -- guards -------------------------------------------------------------------------------------
    def inputs(self) -> list[dict]:
        return self.python_behaviour.inputs()

    def can_call(self) -> bool:
        return self.python_behaviour.available

    def oracle(self) -> dict:
        return self.python_behaviour.oracle()

    def prepare_program_differential(self, model: str) -> None:
        """C++, Java, Go, Rust, JavaScript: the model-written input generator, run on the original once."""
        from orchestrator.verify import ProgramDifferential

        self.program_diff = ProgramDifferential(self)
        if self.limits.differential_inputs and self.program_diff.prepare(model):
            self.report.notes.append(f"differential tests: {len(self.program_diff.oracle)} output lines of a "
                                     "model-written input generator on the original (inputs not shown to the models)")
        else:
            self.report.notes.append("differential tests unavailable: " + (self.program_diff.why_not or "disabled"))
        if self.program_diff.repeated:
            self.report.notes.append("state guard: the input generator's calls run twice in one process; a "
                                     "candidate whose second pass prints something else is rejected")
        elif self.program_diff.ready:
            self.report.notes.append(f"state guard skipped: {self.program_diff.state_why_not}")

    def verifier(self, purpose: str):
        """The verification engine for this job's candidates (fix: every test; optimize: tests, guards, measure)."""
        from orchestrator.verify import Verifier

        return Verifier(exe=self.exe, target=self.target, suite=self.suite, purpose=purpose,
                        behaviour=self.python_behaviour if self.python_behaviour.available else None,
                        program_diff=getattr(self, "program_diff", None), checkpoint=self.check,
                        on_stage=lambda stage, message, **counts: self.event("stage", stage=stage, message=message,
                                                                              **counts))

    def record_verdict(self, attempt: Attempt, verdict, baseline_id: int | None = None) -> None:
        """Copy a verdict's evidence onto the attempt and into the run store (test results, guards, decision)."""
        attempt.status = verdict.outcome
        attempt.reason = verdict.reason
        attempt.tests_passed, attempt.tests_total = verdict.tests_passed, verdict.tests_total
        attempt.failed_tests = verdict.failed_tests
        attempt.differential, attempt.state, attempt.decision = verdict.differential, verdict.state, verdict.decision
        attempt.checks = [asdict(c) for c in verdict.checks]
        attempt.evidence = verdict.evidence()
        cid = attempt.candidate_id
        if verdict.run is not None:
            self.record_tests(cid, verdict.run)
        for c in verdict.checks:
            if c.name in ("differential", "state", "timed answers"):
                self.store.test_result(cid, suite=c.name.split()[0], name=c.name, passed=c.ok, detail=c.detail or None)
        if verdict.decision is not None:
            self.store.decision(self.run_id, baseline_id, cid, verdict.samples or verdict.decision)

    # -- finishing ----------------------------------------------------------------------------------
    def finish(self, code: str | None, run: TestRun | None, status: str) -> JobReport:
        r = self.report
        r.status = status
        if code is not None and status == "accepted":
            r.accepted_code = code
            # The whole file's diff, paths from the project root: what `git apply` takes.
            r.diff = unified_diff(self.target.text, self.target.with_code(code), self.target.rel_path)
        if run is not None:
            r.tests_passed, r.tests_total = run.counts()
            r.correct = run.error is None and not run.failures and r.tests_total > 0
        r.suites = sorted({t.suite for t in self.suite.tests})
        final = r.accepted_code or r.original_code
        if self.limits.judge and final and status != "cancelled" and not self.cancel.is_set():
            try:
                judgment = self.o.pipeline.judge(Problem(title=self.target.label(), description=self.problem_text,
                                                         code=final, language=self.target.language),
                                                 None, final, cancel=self.cancel, run_id=self.run_id,
                                                 evidence=self._evidence_for_judge())
                r.judgment = {"scores": judgment.scores.model_dump() if judgment.scores else None,
                              "feedback": judgment.feedback, "model": judgment.raw.model_id}
                self._spent(judgment.raw)
            except (ModelError, Cancelled) as exc:
                r.notes.append(f"judge: {exc}")
        r.composite = composite_score(r.tests_passed, r.tests_total, r.judgment)
        r.seconds = round(time.monotonic() - self.started, 2)
        r.cost_usd = round(self.cost, 6) if self.cost else None
        lim = self.limits
        r.budget = Budget(
            limit=Spend(candidates=lim.max_attempts, model_calls=lim.max_model_calls, tokens=lim.max_tokens_total,
                        wall_time_s=lim.wall_time_s, cost_usd=lim.max_cost_usd),
            used=Spend(candidates=len([a for a in r.attempts if a.stage != "generate"]), model_calls=r.model_calls,
                       tokens=self.tokens, wall_time_s=r.seconds, cost_usd=r.cost_usd))
        return r
