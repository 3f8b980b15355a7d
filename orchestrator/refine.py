"""The refine stage of `optimize`: profile-guided candidates, each checked by the verification engine
(orchestrator.verify.engine.Verifier: duplicates, tests, behaviour guards, timed answers, the measured
decision with comparisons = the job's attempt budget); rollback when none is accepted."""

from __future__ import annotations

import logging
import time

from models.errors import ModelError
from orchestrator import prompts
from orchestrator.errors import NoTests
from orchestrator.verify.engine import Verifier
from orchestrator.verify.testsuite import designed_tests

log = logging.getLogger(__name__)
METRICS = ("time", "peak_memory", "mean_memory", "cpu")
# What the model is told about a rejected attempt: the kind of failure, never the inputs or answers.
FEEDBACK = {
    "duplicate": "it was the same code as {why}; write a different algorithm.",
    "failed": "it broke a test ({first}).",
    "rejected": "it behaved differently from the original on some inputs or kept state between calls.",
    "not better": "it was correct but not measurably better.",
    "unverified": "nothing could check it.",
    "error": "it could not be measured ({why}).",
}


def workload_calls(name: str, seen_calls: list[dict], generated: list[dict]) -> tuple[list[str], str]:
    """Workload expressions from the inputs the tests use, else the generated ones: never shown to a model."""
    calls = seen_calls or generated
    exprs = [f"{name}(*{c['args']}, **{c['kwargs']})" for c in calls[:40]]
    return exprs, "the inputs your tests use" if seen_calls else "generated inputs"


def default_workload(job) -> tuple[list[str], str]:
    return workload_calls(job.target.name, job.suite.seen_calls, job.inputs() if job.can_call() else [])


def _baseline(job, verifier: Verifier):
    """Run the tests on the original (designing some first when the user has none): its passes are required."""
    target, exe = job.target, job.exe
    job.event("stage", stage="baseline", message="running the tests on the original")
    base_id = job.store.candidate(job.run_id, stage="original", code=target.code, language=target.language,
                                  status="baseline")
    if not job.suite.tests and job.limits.design_tests and target.language == "python":
        text, _ = job.ask("refine", job.pool("refine")[0], prompts.test_designer_messages(
            "python", target.name, target.code, job.problem_text))
        job.suite.tests += designed_tests(text, target.name)
    baseline = exe.run_tests(target.code, job.suite.tests)
    job.record_tests(base_id, baseline)
    if baseline.error:
        raise NoTests(f"the original does not load in the sandbox: {baseline.error}")
    verifier.establish_baseline(baseline)
    dropped = {r["name"] for r in baseline.failures}
    designed_dropped = [t for t in job.suite.tests if t.suite == "designed" and t.name in dropped]
    if designed_dropped:
        job.report.notes.append(f"{len(designed_dropped)} model-designed tests dropped: the original fails them")
    other_failing = sorted(dropped - {t.name for t in designed_dropped})
    if other_failing:
        job.report.notes.append("the original already fails " + ", ".join(other_failing[:5])
                                + ": those tests are not required of candidates (fix the code first)")
    if any(t.suite == "designed" for t in job.suite.tests) and verifier.required:
        job.report.notes.append("tests include model-designed ones (kept only where the original passes them)")
    return base_id, baseline


def _workload(job, workload: str | None):
    """The workload to time: the user's, else the tests' (or generated) calls grown until the original's cost
    per call is measurable (orchestrator.verify.workload). Returns (exprs, message): message is set, and exprs
    empty, when no size of the default workload is measurable — the job then says so instead of a bare
    "not better"."""
    target = job.target
    if workload:
        exprs = [workload]
    elif target.language == "python":
        from orchestrator.verify.workload import grow_workload

        job.event("stage", stage="workload", message="sizing the workload on the original")
        plan = grow_workload(job.exe, target.code, target.name, job.suite.seen_calls,
                             job.inputs() if job.can_call() else [])
        if not plan.exprs:
            raise NoTests(f"no workload to time {target.name}: pass --workload \"{target.name}(...)\"")
        if not plan.measurable:
            return [], plan.message
        exprs = plan.exprs
        job.report.notes.append(plan.note)
    else:
        exprs, source = default_workload(job)
        if not exprs:
            raise NoTests(f"no workload to time {target.name}: pass --workload \"{target.name}(...)\"")
        job.report.notes.append(f"workload: {len(exprs)} calls from {source} (not shown to the models)")
    problem = job.exe.workload_check(target.code, exprs)
    if problem:
        raise NoTests(f"the workload fails on the original: {problem}")
    return exprs, None


def refine(job, metric: str, workload: str | None):
    if metric not in METRICS:
        raise NoTests(f"unknown metric {metric!r}: choose one of {', '.join(METRICS)}")
    target, limits, exe = job.target, job.limits, job.exe
    if not job.suite.tests and not workload:
        raise NoTests(
            f"optimize needs tests or a workload for {target.name}: pass --workload \"{target.name}(...)\" with a "
            f"typical call, or add a test that calls it (test_*.py in the project, a doctest, or --tests PATH)")
    if target.language != "python" and not workload:
        raise NoTests(f"optimize for {target.language} needs --workload FILE: code appended to the file whose main "
                      "runs the workload N times, N being its last command-line argument")
    verifier = job.verifier("optimize")
    base_id, baseline = _baseline(job, verifier)
    exprs, too_small = _workload(job, workload)
    if too_small:
        job.report.summary = too_small
        return job.finish(None, baseline, "unchanged")
    if target.language != "python":
        job.prepare_program_differential(job.pool("refine")[0])
        verifier.program_diff = job.program_diff
    elif job.can_call():
        job.python_behaviour.use_workload(exprs)  # the timed calls are among the compared inputs
        oracle = job.oracle()
        if not oracle.get("ok"):
            job.report.notes.append("differential tests unavailable: " + str(oracle.get("error", ""))[:200])
    elif getattr(job.python_behaviour, "why_unavailable", None):
        job.report.notes.append("differential tests unavailable: " + job.python_behaviour.why_unavailable)
    k = limits.max_attempts
    note = verifier.set_measurement(metric=metric, workload=exprs, comparisons=k, budget_s=limits.decision_budget_s,
                                    min_pairs=limits.min_pairs, cancel=job.cancel)
    if note:
        job.report.notes.append(note)
    job.check()
    job.event("stage", stage="profile", message="profiling the original")
    profile_text = exe.profile(target.code, exprs, 1)
    job.store.profile(base_id, kind="cprofile", metric=metric, text=profile_text)
    best_id, best_run = base_id, baseline
    feedback = ""
    pool = job.pool("refine")
    accepted_decision = None
    steps = 0
    try:
        for number in range(1, k + 1):
            model = pool[(number - 1) % len(pool)]
            job.event("attempt", stage="refine", number=number, model=model)
            t0 = time.monotonic()
            answer, call_id = job.ask("refine", model, prompts.refine_messages(
                target.language, target.name, verifier.best, job.problem_text, metric, profile_text, feedback),
                round_=(number - 1) // len(pool))
            attempt, candidate = job.candidate("refine", number, model, answer, call_id, best_id)
            job.report.attempts.append(attempt)
            if candidate is not None:
                verdict = verifier.verify(candidate, f"attempt {number}")
                job.record_verdict(attempt, verdict, best_id)
                if verdict.accepted:
                    steps += 1
                    accepted_decision = verdict.decision
                    verifier.accept(candidate)
                    best_id, best_run = attempt.candidate_id, verdict.run or best_run
                    decision = verdict.decision or {}
                    job.learn("refine", model, True, improvement=100.0 * (1.0 - decision.get("ratio", 1.0)))
                    feedback += f"\nAttempt {number} was accepted ({decision.get('ratio', 1.0):.2f}x of the previous)."
                    profile_text = exe.profile(verifier.best, exprs, 1) or profile_text
                    job.store.profile(best_id, kind="cprofile", metric=metric, text=profile_text)
                else:
                    why = verdict.reason.split(":")[0][:80] if verdict.reason else ""
                    first = verdict.failed_tests[0] if verdict.failed_tests else "a test"
                    feedback += f"\nAttempt {number} was not kept: " + FEEDBACK.get(verdict.outcome, "{why}").format(
                        why=why, first=first)
            if attempt.status != "accepted":
                job.learn("refine", model, False)
            job.store.set_status(attempt.candidate_id, attempt.status, attempt.reason or None)
            attempt.seconds = round(time.monotonic() - t0, 2)
            job.event("result", **attempt.model_dump(exclude={"code"}))
    except Exception as exc:
        from orchestrator.loop import LimitReached

        if isinstance(exc, LimitReached):
            job.report.notes.append(str(exc))
        elif isinstance(exc, ModelError):
            job.report.notes.append(f"models: {exc}")
        else:
            raise
    job.report.decision = accepted_decision
    if verifier.best != target.code:
        job.report.change = verifier.change_vs_original(accepted_decision, steps)
        last = next(a for a in reversed(job.report.attempts) if a.status == "accepted")
        job.report.checks, job.report.verified = last.checks, True
        job.report.summary = f"{steps} refinement(s) accepted: {last.evidence}, measurably better {metric}"
        return job.finish(verifier.best, best_run, "accepted")
    job.report.summary = "no candidate was both correct and measurably better: the original stays (rollback)"
    return job.finish(None, baseline, "unchanged")
