"""Generate -> fix -> refine (PerfOrch, paper 001) with proof: every candidate runs in the sandbox.

* fix: the failing test, its error and output go to the ranked fix models in turn (bounded attempts);
  a candidate is accepted when every test passes and its answers keep no state between calls.
* refine: the profile goes to the ranked refine models; a candidate is accepted only when every test
  the original passes still passes, the differential tests agree with the original, no state is kept
  between calls, and profiling.compare_programs says "better" with comparisons = the job's attempt
  budget (Bonferroni); otherwise the last good version stays (rollback).
* solve: guidance (when enabled) -> solver -> candidate -> tests, then fix when it fails.
Cancellation (threading.Event) is checked between every step; limits on attempts, wall time and cost;
everything goes to the run store. Nothing model-written runs outside the sandbox.
"""

from __future__ import annotations

import logging
import threading
import time

from models.errors import Cancelled, ModelError
from models.types import Problem
from orchestrator import prompts
from orchestrator.errors import NoTests
from orchestrator.verify import TestRun
from orchestrator.job import SETTINGS_STAGE, Event, Job, LimitReached  # noqa: F401 - re-exported
from orchestrator.report import JobLimits, JobReport
from orchestrator.store import RunStore
from orchestrator.target import Target
from orchestrator.verify import designed_tests

log = logging.getLogger(__name__)


class Orchestrator:
    """Entry points: fix(), optimize(), solve(). `pipeline` is an orchestrator.pipeline.Pipeline (its
    settings, model runner and history); `sandbox` a sandbox.Sandbox (created on first use when None)."""

    def __init__(self, pipeline, sandbox=None, *, limits: JobLimits | None = None, ranking=None):
        self.pipeline = pipeline
        self._sandbox = sandbox
        self._own_sandbox = sandbox is None
        self.limits = limits or JobLimits()
        self.store = RunStore(pipeline.history)
        self.ranking = ranking if ranking is not None else self._ranking()

    def _ranking(self):
        if self.pipeline.history is None:
            return None
        try:
            from orchestrator.ranking import RankingMemory

            return RankingMemory(self.pipeline.history)
        except Exception as exc:  # the loop works with the configured order
            log.info("no ranking memory: %s", exc)
            return None

    def category(self, text: str) -> str:
        try:
            from orchestrator.categories import classify

            return classify(text).name
        except Exception as exc:  # routing falls back to the pool's own order for an unknown category
            log.info("no problem category: %s", exc)
            return ""

    def sandbox(self):
        if self._sandbox is None:
            from sandbox.pool import Sandbox

            self._sandbox = Sandbox(pool_size=2)
        return self._sandbox

    def close(self) -> None:
        if self._own_sandbox and self._sandbox is not None:
            self._sandbox.close()

    def _run(self, job: Job, body) -> JobReport:
        status = "error"
        try:
            if job.kind in ("fix", "optimize"):
                job.select_tests()  # the original's tests that reach the target, fixed before any candidate
            report = body(job)
            status = "ok"
            return report
        except Cancelled:
            status = "cancelled"
            job.report.status = "cancelled"
            job.report.accepted_code = None
            raise
        finally:
            if self.pipeline.history is not None and job.run_id is not None:
                self.pipeline.history.finish_run(job.run_id, status)

    # -- fix ----------------------------------------------------------------------------------------
    def fix(self, target: Target, *, tests_path=None, benchmark_test: str | None = None, test_program: str | None = None,
            cancel: threading.Event | None = None, on_event: Event | None = None) -> JobReport:
        job = Job(self, "fix", target, cancel=cancel, on_event=on_event, tests_path=tests_path,
                  benchmark_test=benchmark_test, test_program=test_program)
        return self._run(job, self._fix)

    def _fix(self, job: Job, start_code: str | None = None, start_run: TestRun | None = None,
             parent: int | None = None) -> JobReport:
        if not job.suite.tests:
            raise NoTests(f"fix needs a test that shows the bug: add a test that calls {job.target.name} "
                          "(test_*.py in the project, or a doctest), or pass --tests PATH")
        code = start_code if start_code is not None else job.target.code
        missing = getattr(job.python_behaviour, "missing_receiver", None)
        if missing:  # a method with no instance to call it on: its state guard has no calls
            job.report.notes.append("state guard not run: " + missing)
        if start_run is None:
            job.event("stage", stage="baseline", message="running the tests on the current code")
            parent = job.store.candidate(job.run_id, stage="original", code=code, language=job.target.language,
                                         status="baseline")
            start_run = job.exe.run_tests(code, job.suite.tests)
            job.record_tests(parent, start_run)
        if not start_run.failures and start_run.error is None:
            not_run = start_run.not_run
            job.report.summary = "every test passes already: nothing to fix" if not not_run else (
                f"every test that ran passes; {len(not_run)} could not run ({', '.join(not_run[:3])}), so nothing "
                "shows the bug: nothing to fix")
            job.report.accepted_code = None
            return job.finish(None, start_run, "unchanged")
        verifier = job.verifier("fix")
        verifier.establish_baseline(start_run)
        if start_code is not None:
            verifier.remember(start_code, "the generated code")
        repair = _Repair(job, verifier, code, start_run, parent)
        limits = job.limits
        per_round = min(limits.samples_per_round, limits.max_attempts)
        try:
            while repair.number < limits.max_attempts:
                fixed = repair.round(min(per_round, limits.max_attempts - repair.number))
                if fixed is not None:
                    attempt, candidate, verdict = fixed
                    job.report.checks, job.report.verified = attempt.checks, True
                    job.report.summary = f"fixed by {attempt.model} on attempt {attempt.number}: {attempt.evidence}"
                    return job.finish(candidate, verdict.run, "accepted")
        except LimitReached as exc:
            job.report.notes.append(str(exc))
        except ModelError as exc:
            job.report.notes.append(f"models: {exc}")
        job.report.summary = f"no candidate passed every test in {len(job.report.attempts)} attempts: the code is unchanged"
        return job.finish(None, start_run, "failed")

    # -- optimize -----------------------------------------------------------------------------------
    def optimize(self, target: Target, *, metric: str = "time", workload: str | None = None, tests_path=None,
                 benchmark_test: str | None = None, test_program: str | None = None,
                 cancel: threading.Event | None = None, on_event: Event | None = None) -> JobReport:
        from orchestrator.refine import refine

        job = Job(self, "optimize", target, cancel=cancel, on_event=on_event, metric=metric, tests_path=tests_path,
                  benchmark_test=benchmark_test, test_program=test_program)
        return self._run(job, lambda j: refine(j, metric, workload))

    # -- solve --------------------------------------------------------------------------------------
    def solve(self, target: Target, *, tests_path=None, benchmark_test: str | None = None,
              test_program: str | None = None, cancel: threading.Event | None = None,
              on_event: Event | None = None) -> JobReport:
        """benchmark_test: a benchmark's own tests (Python: a check program; C++, Java, Go, Rust, JavaScript:
        a test program combined with the candidate file by sandbox.harness's rules)."""
        job = Job(self, "solve", target, cancel=cancel, on_event=on_event, tests_path=tests_path,
                  benchmark_test=benchmark_test, test_program=test_program)
        return self._run(job, self._solve)

    def _solve(self, job: Job) -> JobReport:
        problem = Problem(title=job.target.label(), description=job.problem_text, code=job.target.code,
                          language=job.target.language)
        guidance = None
        if job.limits.guide:
            job.event("stage", stage="guide", message="guidance")
            job.check()
            guidance = self.pipeline.guide(problem, cancel=job.cancel, run_id=job.run_id).text
        model = job.pool("generate")[0]
        job.event("attempt", stage="generate", number=1, model=model)
        from models import prompts as model_prompts

        answer, call_id = job.ask("generate", model, model_prompts.solve_messages(problem, guidance))
        attempt, code = job.candidate("generate", 1, model, answer, call_id, None)
        job.report.attempts.append(attempt)
        if code is None:
            job.report.summary = f"the solver gave no usable code ({attempt.reason})"
            return job.finish(None, None, "failed")
        if not job.suite.tests and job.limits.design_tests and job.target.language == "python":
            text, _ = job.ask("generate", model, prompts.test_designer_messages(
                "python", job.target.name, job.target.code, job.problem_text))
            job.suite.tests += designed_tests(text, job.target.name)
            job.report.notes.append("no tests of yours were found: the tests are model-generated (AgentCoder test "
                                    "designer) and unverified")
        if not job.suite.tests:
            raise NoTests(f"solve --run needs tests: add a test that calls {job.target.name} or pass --tests PATH")
        run = job.exe.run_tests(code, job.suite.tests)
        job.record_tests(attempt.candidate_id, run)
        attempt.tests_passed, attempt.tests_total = run.counts()
        attempt.failed_tests = [r["name"] for r in run.failures]
        passed = run.error is None and not run.failures
        attempt.status = "passed" if passed else "failed"
        if not passed:  # as a fix attempt's: what the report (and the benchmark's record) says went wrong
            attempt.reason = run.describe_failure(1)[:300]
        job.learn("generate", model, passed)
        job.event("result", **attempt.model_dump(exclude={"code"}))
        job.report.original_code = job.target.code
        if passed:
            job.store.set_status(attempt.candidate_id, "accepted")
            job.report.summary = f"generated by {model}: every test passes"
            return job.finish(code, run, "accepted")
        job.store.set_status(attempt.candidate_id, "failed")
        return self._fix(job, start_code=code, start_run=run, parent=attempt.candidate_id)



class _Repair:
    """Fix's search: samples one after another, each verified as it comes and each model's turn warmer than its
    last (a fix needs only one: it stops at the first accepted). Every failure is fed back to the next sample;
    a near-miss — a failing candidate that passes more tests than the code being repaired — becomes the code
    being repaired, with what still fails in it as the feedback (repairing what almost works first). A sample
    that answers the code back unchanged (a duplicate) makes the following ones rewrites: the description, the
    signature and the failure, without the code to copy (until a near-miss gives new code to repair)."""

    def __init__(self, job: Job, verifier, code: str, start_run: TestRun, parent: int | None):
        self.job, self.verifier = job, verifier
        self.code, self.parent = code, parent
        self.passing = start_run.counts()[0] if start_run.error is None else -1
        self.base_failure = _with_values(job, code, start_run.describe_failure(), start_run)  # what fails in it
        self.feedback = self.base_failure
        self.number = 0
        self.round_ = 0
        self.rewrite_next = False  # after a duplicate: write the function anew from its description (rewrite_messages)

    def round(self, size: int):
        """Up to `size` samples; returns (attempt, code, verdict) of the accepted one, else None."""
        job = self.job
        pool = job.pool("fix")
        self.round_ += 1
        for sample in range(size):
            self.number += 1
            model = pool[(self.number - 1) % len(pool)]
            job.event("attempt", stage="fix", number=self.number, model=model)
            t0 = time.monotonic()
            rewrite, language, name = self.rewrite_next, job.target.language, job.target.name
            messages = (prompts.rewrite_messages(language, name, prompts.signature_of(self.code, language, name),
                                                 job.problem_text, self.feedback, job.prompt_context) if rewrite else
                        prompts.fix_messages(language, name, self.code, job.problem_text, self.feedback,
                                             job.prompt_context))
            answer, call_id = job.ask("fix", model, messages,
                                      round_=(self.number - 1) // len(pool))  # each turn of a model samples warmer
            attempt, candidate = job.candidate("fix", self.number, model, answer, call_id, self.parent)
            attempt.round, attempt.strategy = self.round_, "rewrite" if rewrite else "repair"
            job.report.attempts.append(attempt)
            verdict = None
            if candidate is not None:
                verdict = self.verifier.verify(candidate, f"attempt {self.number}")
                job.record_verdict(attempt, verdict)
            job.store.set_status(attempt.candidate_id, attempt.status, attempt.reason or None)
            job.learn("fix", model, attempt.status == "accepted")
            attempt.seconds = round(time.monotonic() - t0, 2)
            job.event("result", **attempt.model_dump(exclude={"code"}))
            if verdict is not None and verdict.accepted:
                return attempt, candidate, verdict
            # The model answered code it was shown (a duplicate): from now on it is not shown that code at all,
            # until a near-miss becomes the code being repaired (_learn_from).
            if attempt.status == "duplicate" and job.problem_text.strip():
                self.rewrite_next = True
            self._learn_from(attempt, candidate, verdict)
        return None

    def _learn_from(self, attempt, code, verdict) -> None:
        """A near-miss becomes the code being repaired; any other failure is told to the next sample."""
        if verdict is not None and verdict.run is not None and verdict.tests_passed > self.passing:
            self.code, self.parent, self.passing = code, attempt.candidate_id, verdict.tests_passed
            self.rewrite_next = False  # new code to repair: show it
            self.base_failure = (f"This version passes {verdict.tests_passed} of {verdict.tests_total} tests; what "
                                 "still fails:\n" + failure_with_values(self.job, code, verdict))
            self.feedback = self.base_failure
            return
        failure = failure_with_values(self.job, code, verdict) if verdict is not None else attempt.reason
        self.feedback = self.base_failure + "\n\nA previous attempt also failed:\n" + failure


def _with_values(job: Job, code: str, failure: str, run: TestRun | None) -> str:
    """`failure` plus what the failing tests' calls returned on `code` (Python; made again in the sandbox): the
    input, expected and actual values, for asserts that failed without showing them."""
    if run is None or not run.failures or job.target.language != "python" or not job.exe.differential:
        return failure
    from orchestrator.verify import with_values

    values = with_values(job.exe, code, job.target.name, run.failures[:2])
    return failure + ("\n\nWhat the code gave:\n" + values if values else "")


def failure_with_values(job: Job, code: str, verdict) -> str:
    """What a failing candidate's verdict says went wrong, with the failing calls' values (Fix's and Optimize's
    repairs)."""
    return _with_values(job, code, _failure_of(verdict), verdict.run)


def _failure_of(verdict) -> str:
    run = verdict.run
    return run.describe_failure(1) if run is not None and (run.failures or run.error) else verdict.reason
