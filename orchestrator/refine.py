"""The refine stage of `optimize`: profile-guided candidates, accepted only when correct and measurably
better (profiling.compare_programs, Bonferroni over the job's attempt budget); rollback otherwise."""

from __future__ import annotations

import logging
import time

from models.errors import ModelError
from orchestrator import prompts
from orchestrator.errors import NoTests
from orchestrator.verify.testsuite import designed_tests

log = logging.getLogger(__name__)
METRICS = ("time", "peak_memory", "mean_memory", "cpu")


def workload_calls(name: str, seen_calls: list[dict], generated: list[dict]) -> tuple[list[str], str]:
    """Workload expressions from the inputs the tests use, else the generated ones: never shown to a model."""
    calls = seen_calls or generated
    exprs = [f"{name}(*{c['args']}, **{c['kwargs']})" for c in calls[:40]]
    return exprs, "the inputs your tests use" if seen_calls else "generated inputs"


def default_workload(job) -> tuple[list[str], str]:
    return workload_calls(job.target.name, job.suite.seen_calls, job.inputs() if job.can_call() else [])


def refine(job, metric: str, workload: str | None):
    from profiling import MeasurementCancelled, MeasurementError, compare_programs

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
    original = target.code
    job.event("stage", stage="baseline", message="running the tests on the original")
    base_id = job.store.candidate(job.run_id, stage="original", code=original, language=target.language,
                                  status="baseline")
    if not job.suite.tests and limits.design_tests and target.language == "python":
        pool = job.pool("refine")
        text, _ = job.ask("refine", pool[0], prompts.test_designer_messages("python", target.name, original,
                                                                            job.problem_text))
        job.suite.tests += designed_tests(text, target.name)
    baseline = exe.run_tests(original, job.suite.tests)
    job.record_tests(base_id, baseline)
    if baseline.error:
        raise NoTests(f"the original does not load in the sandbox: {baseline.error}")
    keep = baseline.passed_names()
    dropped = {r["name"] for r in baseline.failures}
    designed_dropped = [t for t in job.suite.tests if t.suite == "designed" and t.name in dropped]
    if designed_dropped:
        job.report.notes.append(f"{len(designed_dropped)} model-designed tests dropped: the original fails them")
    other_failing = sorted(dropped - {t.name for t in designed_dropped})
    if other_failing:
        job.report.notes.append("the original already fails " + ", ".join(other_failing[:5])
                                + ": those tests are not required of candidates (fix the code first)")
    if any(t.suite == "designed" for t in job.suite.tests) and keep:
        job.report.notes.append("tests include model-designed ones (kept only where the original passes them)")
    exprs = [workload] if workload else []
    if not exprs:
        exprs, source = default_workload(job)
        if not exprs:
            raise NoTests(f"no workload to time {target.name}: pass --workload \"{target.name}(...)\"")
        job.report.notes.append(f"workload: {len(exprs)} calls from {source} (not shown to the models)")
    problem = exe.workload_check(original, exprs)
    if problem:
        raise NoTests(f"the workload fails on the original: {problem}")
    if target.language != "python":
        job.prepare_program_differential(job.pool("refine")[0])
    if job.can_call():
        oracle = job.oracle()
        if not oracle.get("ok"):
            job.report.notes.append("differential tests unavailable: " + str(oracle.get("error", ""))[:200])
    job.check()
    job.event("stage", stage="profile", message="profiling the original")
    profile_text = exe.profile(original, exprs, 1)
    job.store.profile(base_id, kind="cprofile", metric=metric, text=profile_text)
    best, best_id, best_run = original, base_id, baseline
    feedback = ""
    k = limits.max_attempts
    pool = job.pool("refine")
    accepted_decision = None
    try:
        for number in range(1, k + 1):
            model = pool[(number - 1) % len(pool)]
            job.event("attempt", stage="refine", number=number, model=model)
            t0 = time.monotonic()
            answer, call_id = job.ask("refine", model, prompts.refine_messages(
                target.language, target.name, best, job.problem_text, metric, profile_text, feedback),
                round_=(number - 1) // len(pool))
            attempt, candidate = job.candidate("refine", number, model, answer, call_id, best_id)
            job.report.attempts.append(attempt)
            accepted = False
            if candidate is not None:
                job.check()
                run = exe.run_tests(candidate, job.suite.tests)
                job.record_tests(attempt.candidate_id, run)
                attempt.tests_passed, attempt.tests_total = run.counts()
                # Tests the original already failed are not required of a refinement.
                broken = ["(does not load)"] if run.error else [r["name"] for r in run.failures if r["name"] in keep]
                attempt.failed_tests = broken
                if broken:
                    attempt.status = "failed"
                    attempt.reason = run.describe_failure(1)[:300]
                    feedback += f"\nAttempt {number} broke a test ({broken[0]})."
                elif not job.behaviour(candidate, attempt, blocking=True):
                    attempt.status = "rejected"
                    feedback += (f"\nAttempt {number} was rejected: "
                                 + ("it kept state between calls." if attempt.state else
                                    "it behaved differently from the original on some inputs."))
                else:
                    job.event("stage", stage="measure", message=f"measuring attempt {number} against the best so far")
                    try:
                        decision = compare_programs(
                            exe.runner, exe.workload_program(best, exprs), exe.workload_program(candidate, exprs),
                            metric=metric, budget_s=limits.decision_budget_s, min_pairs=limits.min_pairs,
                            comparisons=k, cancel=job.cancel)
                    except MeasurementCancelled:
                        from models.errors import Cancelled

                        raise Cancelled("cancelled while measuring")
                    except MeasurementError as exc:
                        attempt.status, attempt.reason = "error", f"measurement failed: {exc}"
                        decision = None
                    if decision is not None:
                        attempt.decision = decision.model_dump(mode="json", exclude={"samples_a", "samples_b"})
                        job.store.decision(job.run_id, best_id, attempt.candidate_id, decision)
                        if decision.verdict == "better":
                            accepted = True
                            attempt.status = "accepted"
                            accepted_decision = attempt.decision
                            best, best_id, best_run = candidate, attempt.candidate_id, run
                            job.learn("refine", model, True, improvement=100.0 * decision.improvement)
                            feedback += f"\nAttempt {number} was accepted ({decision.ratio:.2f}x of the previous)."
                            profile_text = exe.profile(best, exprs, 1) or profile_text
                            job.store.profile(best_id, kind="cprofile", metric=metric, text=profile_text)
                        else:
                            attempt.status = "not better"
                            attempt.reason = decision.summary()
                            feedback += f"\nAttempt {number} was correct but not measurably better."
            if not accepted:
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
    if best is not original:
        n = sum(a.status == "accepted" for a in job.report.attempts)
        job.report.summary = (f"{n} refinement(s) accepted: every test and the differential tests pass, "
                              f"measurably better {metric}")
        return job.finish(best, best_run, "accepted")
    job.report.summary = "no candidate was both correct and measurably better: the original stays (rollback)"
    return job.finish(None, baseline, "unchanged")
