"""Guide -> Solve -> Judge, as in the RefactorCoderQA paper, over whatever models Settings name.

The language server and the CLI call this API (see the brief's contract); it is thread-safe: several
jobs may run at once on one Pipeline (local models serialise on their own lock).
"""

from __future__ import annotations

import logging
import threading
from typing import Callable, Sequence

from models import prompts
from models.errors import Cancelled, ModelError
from models.history import History
from models.keys import provider_of
from models.parsing import extract_code, parse_judgment
from models.registry import ModelRegistry
from models.settings import Settings
from models.stage_runner import StageOutcome, StageRunner
from models.types import Judgment, Problem, RunReport, Stage, StageResult, Usage

log = logging.getLogger(__name__)

TextCallback = Callable[[str], None]
SUPPORTED_STAGES = ("guide", "solve", "judge")


class Pipeline:
    def __init__(self, settings: Settings, history: History | None = None, *, registry: ModelRegistry | None = None,
                 notify: Callable[[str], None] | None = None):
        self.settings = settings
        self.history = history  # owned by the caller: close() leaves it open
        self.registry = registry or ModelRegistry(local_model_path=settings.local_model_path, key_file=settings.key_file)
        self.notify = notify
        self.runner = StageRunner(self.registry, history)
        self._notified = False
        self._notify_lock = threading.Lock()
        self._closed = False

    # ---- the missing-key notice: once per Pipeline -----------------------------------------------
    def _check_keys_once(self) -> None:
        with self._notify_lock:
            if self._notified:
                return
            self._notified = True
        missing: dict[str, list[str]] = {}
        for stage in SUPPORTED_STAGES:
            stage_settings = self.settings.stage_settings(stage)
            try:
                model = self.runner.model_for(stage_settings, stage_settings.model)
            except ModelError:
                continue  # reported when the stage runs
            if not model.keyed():
                missing.setdefault(model.provider or provider_of(stage_settings.model), []).append(stage)
        if not missing:
            return
        message = "; ".join(
            f"no API key for {provider}: {_join(stages)} run{'s' if len(stages) == 1 else ''} on the local model"
            for provider, stages in missing.items())
        log.warning("%s", message)
        if self.notify is not None:
            try:
                self.notify(message)
            except Exception:  # a broken notifier must not fail the job
                log.exception("notify callback failed")

    # ---- stages ---------------------------------------------------------------------------------
    def _stage(self, stage: Stage, messages, *, cancel, on_text, run_id, attempt_offset=0) -> StageOutcome:
        if self._closed:
            raise ModelError("pipeline is closed")
        self._check_keys_once()
        return self.runner.run(stage, self.settings.stage_settings(stage), messages, run_id=run_id, cancel=cancel,
                               on_text=on_text, attempt_offset=attempt_offset)

    def _standalone(self, kind: str, problem: Problem, run_id: int | None, body):
        """A stage called on its own still gets a run row, so history links every call to a run."""
        if run_id is not None or self.history is None:
            return body(run_id)
        own = self.history.start_run(kind, problem)
        try:
            result = body(own)
        except Cancelled:
            self.history.finish_run(own, "cancelled")
            raise
        except BaseException:
            self.history.finish_run(own, "error")
            raise
        self.history.finish_run(own, "ok")
        return result

    def guide(self, problem: Problem, *, cancel: threading.Event | None = None, on_text: TextCallback | None = None,
              run_id: int | None = None) -> StageResult:
        return self._standalone("guide", problem, run_id, lambda rid: self._stage(
            "guide", prompts.guide_messages(problem), cancel=cancel, on_text=on_text, run_id=rid).result)

    def solve(self, problem: Problem, guidance: str | None, *, cancel: threading.Event | None = None,
              on_text: TextCallback | None = None, run_id: int | None = None) -> StageResult:
        return self._standalone("solve", problem, run_id, lambda rid: self._stage(
            "solve", prompts.solve_messages(problem, guidance), cancel=cancel, on_text=on_text, run_id=rid).result)

    def judge(self, problem: Problem, guidance: str | None, solution: str, *, cancel: threading.Event | None = None,
              on_text: TextCallback | None = None, run_id: int | None = None, evidence: str | None = None) -> Judgment:
        """`evidence`: what execution proved about `solution`, shown to the judge beside it."""
        return self._standalone("judge", problem, run_id,
                                lambda rid: self._judge(problem, guidance, solution, cancel, on_text, rid, evidence))

    def _judge(self, problem, guidance, solution, cancel, on_text, run_id, evidence=None) -> Judgment:
        messages = prompts.judge_messages(problem, guidance, solution, evidence)
        first = self._stage("judge", messages, cancel=cancel, on_text=on_text, run_id=run_id)
        parsed = parse_judgment(first.result.text)
        outcome = first
        if parsed.scores is None:
            # Small models drift from the format: re-ask once with a stricter reminder, never guess a score.
            log.info("judge output had no parseable scores; re-asking once")
            if on_text is not None:
                on_text("\n\n[judge: scores unreadable, asking again]\n\n")
            retry = self._stage("judge", prompts.judge_retry_messages(messages, first.result.text), cancel=cancel,
                                on_text=on_text, run_id=run_id, attempt_offset=first.result.attempts)
            reparsed = parse_judgment(retry.result.text)
            outcome = retry
            parsed.scores = reparsed.scores
            parsed.strengths = parsed.strengths or reparsed.strengths
            parsed.weaknesses = parsed.weaknesses or reparsed.weaknesses
            parsed.feedback = parsed.feedback or reparsed.feedback
            result = retry.result
            result.attempts += first.result.attempts
            result.duration_s += first.result.duration_s
            # The stage's usage covers both calls, like its duration (tokens/s would read low otherwise).
            result.usage = _sum_usage(first.result.usage, result.usage)
            result.notes = [*first.result.notes, *[n for n in result.notes if n not in first.result.notes]]
            if parsed.scores is None:
                result.notes.append("judge gave no readable scores after one re-ask: no score reported")
        judgment = Judgment(scores=parsed.scores, strengths=parsed.strengths, weaknesses=parsed.weaknesses,
                            feedback=parsed.feedback, raw=outcome.result)
        if self.history is not None and run_id is not None:
            self.history.record_judgment(run_id, judgment, outcome.call_id)
        return judgment

    # ---- whole runs -----------------------------------------------------------------------------
    def run(self, problem: Problem, stages: Sequence[Stage] = ("guide", "solve", "judge"), *,
            cancel: threading.Event | None = None, on_stage: Callable[[Stage], None] | None = None,
            on_text: TextCallback | None = None, solution: str | None = None) -> RunReport:
        stages = tuple(stages)
        unsupported = [s for s in stages if s not in SUPPORTED_STAGES]
        if unsupported:
            raise ValueError(f"stages not supported by the model layer yet: {', '.join(unsupported)}")
        if "judge" in stages and "solve" not in stages and solution is None:
            raise ValueError("judging without a solve stage needs solution=...")
        report = RunReport(problem=problem)
        run_id = self.history.start_run("+".join(stages), problem) if self.history is not None else None
        report.run_id = run_id
        status = "error"
        try:
            for stage in ("guide", "solve", "judge"):
                if stage not in stages:
                    continue
                if cancel is not None and cancel.is_set():
                    raise Cancelled(f"cancelled before {stage}")
                if on_stage is not None:
                    on_stage(stage)
                guidance = report.guidance.text if report.guidance else None
                if stage == "guide":
                    report.guidance = self.guide(problem, cancel=cancel, on_text=on_text, run_id=run_id)
                elif stage == "solve":
                    report.solution = self.solve(problem, guidance, cancel=cancel, on_text=on_text, run_id=run_id)
                    report.solution_code = extract_code(report.solution.text, problem.language)
                else:
                    answer = report.solution.text if report.solution else solution
                    if report.solution is None:
                        report.solution_code = extract_code(answer, problem.language) or answer
                    unjudgeable = _unjudgeable(report)
                    if unjudgeable:  # a score for an answer with no code (or half of one) would be made up
                        report.notes.append(f"not judged: {unjudgeable}")
                        continue
                    report.judgment = self.judge(problem, guidance, answer, cancel=cancel, on_text=on_text,
                                                 run_id=run_id)
            status = "ok"
            return report
        except Cancelled:
            status = "cancelled"
            raise
        finally:
            if self.history is not None and run_id is not None:
                self.history.finish_run(run_id, status)

    def close(self) -> None:
        """Stop accepting work. Loaded local models stay cached for other pipelines; history is the caller's."""
        self._closed = True


def _unjudgeable(report: RunReport) -> str | None:
    """Why the solver's answer gets no judgment: it has no code, or it was cut at the token limit."""
    if report.solution is None:
        return None
    if report.solution.finish_reason == "length":
        return "the solver's answer was cut at its token limit"
    if not report.solution_code:
        return "the solver's answer has no code"
    return None


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _sum_usage(a: Usage, b: Usage) -> Usage:
    cost = None if a.cost_usd is None and b.cost_usd is None else (a.cost_usd or 0.0) + (b.cost_usd or 0.0)
    return Usage(prompt_tokens=a.prompt_tokens + b.prompt_tokens,
                 completion_tokens=a.completion_tokens + b.completion_tokens, cost_usd=cost)
