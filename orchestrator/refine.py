"""The refine stage of `optimize`: profile-guided candidates, each checked by the verification engine
(orchestrator.verify.Verifier: duplicates, tests, behaviour guards, timed answers, the measured
decision with comparisons = the job's attempt budget); rollback when none is accepted."""

from __future__ import annotations

import logging
import math
import time

from models.errors import ModelError
from orchestrator import prompts
from orchestrator.errors import NoTests
from orchestrator.strategies import REPAIR, plan_approaches, rewrite_instruction, rewritten, round_strategies
from orchestrator.verify import WORKLOAD_TOO_SMALL, Verifier, designed_tests

log = logging.getLogger(__name__)
METRICS = ("time", "peak_memory", "mean_memory", "cpu")
# What the model is told about a rejected attempt: the kind of failure, never the inputs or answers.
FEEDBACK = {
    "duplicate": "it was the same code as {why}; write a different algorithm.",
    "failed": "it broke a test ({first}).",
    "rejected": "it behaved differently from the original on some inputs or kept state between calls.",
    "not better": "it was correct but not measurably better{measured}.",
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


def _workload(job, workload: str | None, traced=None):
    """The workload to time: the user's, else the traced run's inputs (orchestrator/verify/workloads/traced.py), else the
    tests' (or generated) calls grown until the original's cost per call is measurable
    (orchestrator.verify.workloads.workload). Returns (exprs, message): message is set, and exprs empty, when no size of
    the default workload is measurable — the job then says so instead of a bare "not better"."""
    from orchestrator.verify import traced_workload

    target = job.target
    if workload:
        exprs = [workload]
    elif (replayed := traced_workload(job, traced)) is not None:
        exprs, too_small = replayed
        if too_small:
            return [], too_small
    elif target.language == "python":
        from orchestrator.verify import grow_workload

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
    if problem and problem.startswith(WORKLOAD_TOO_SMALL):  # brace languages: a call that a process start-up drowns
        return [], problem
    if problem:
        raise NoTests(f"the workload fails on the original: {problem}")
    return exprs, None


def refine(job, metric: str, workload: str | None):
    if metric not in METRICS:
        raise NoTests(f"unknown metric {metric!r}: choose one of {', '.join(METRICS)}")
    target, limits, exe = job.target, job.limits, job.exe
    from orchestrator.verify import add_replay_tests

    traced = None if workload else add_replay_tests(job)  # a trace's real inputs: replay tests and the workload
    if not job.suite.tests and not workload:
        raise NoTests(
            f"optimize needs tests or a workload for {target.name}: pass --workload \"{target.name}(...)\" with a "
            f"typical call, or add a test that calls it (test_*.py in the project, a doctest, or --tests PATH)")
    if target.language != "python" and not workload:
        raise NoTests(f"optimize for {target.language} needs --workload FILE: code appended to the file whose main "
                      "runs the workload N times, N being its last command-line argument")
    verifier = job.verifier("optimize")
    base_id, baseline = _baseline(job, verifier)
    exprs, too_small = _workload(job, workload, traced)
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
    per_round = min(limits.samples_per_round, k)
    rounds = math.ceil(k / per_round)
    # One measured decision per round (the screen picks which candidate): alpha is split over the rounds.
    note = verifier.set_measurement(metric=metric, workload=exprs, comparisons=rounds, budget_s=limits.decision_budget_s,
                                    min_pairs=limits.min_pairs, cancel=job.cancel)
    if note:
        job.report.notes.append(note)
    job.check()
    job.event("stage", stage="profile", message="profiling the original")
    search = _Search(job, verifier, metric, exprs, base_id, baseline)
    search.rounds = rounds
    search.profile_text = exe.profile(target.code, exprs, 1)
    job.store.profile(base_id, kind="cprofile", metric=metric, text=search.profile_text)
    if limits.guide and "algorithm" in limits.strategies:
        search.approaches = _plan(job, metric)
    try:
        for round_ in range(rounds):
            search.round(round_, min(per_round, k - round_ * per_round))
    except Exception as exc:
        from orchestrator.loop import LimitReached

        if isinstance(exc, LimitReached):
            job.report.notes.append(str(exc))
        elif isinstance(exc, ModelError):
            job.report.notes.append(f"models: {exc}")
        else:
            raise
    accepted_decision, steps, best_run = search.accepted_decision, search.steps, search.best_run
    job.report.decision = accepted_decision
    if verifier.best != target.code:
        job.report.change = verifier.change_vs_original(accepted_decision, steps)
        last = next(a for a in reversed(job.report.attempts) if a.status == "accepted")
        job.report.checks, job.report.verified = last.checks, True
        job.report.summary = f"{steps} refinement(s) accepted: {last.evidence}, measurably better {metric}"
        return job.finish(verifier.best, best_run, "accepted")
    job.report.summary = "no candidate was both correct and measurably better: the original stays (rollback)"
    return job.finish(None, baseline, "unchanged")


class _Search:
    """Optimize's search: rounds of differently-prompted samples, verified together (cheap checks, a timing
    screen, one measured decision), the accepted one becoming the next round's starting point, and what each
    attempt came to fed back to the next round's prompts."""

    def __init__(self, job, verifier: Verifier, metric: str, exprs: list[str], base_id, baseline):
        self.job, self.verifier, self.metric, self.exprs = job, verifier, metric, exprs
        self.best_id, self.best_run = base_id, baseline
        self.profile_text = ""
        self.approaches: list[str] = []  # the edge model's plan: one approach per round's "algorithm" sample
        self.feedback = ""
        self.accepted_decision = None
        self.rounds = 0  # how many the job's limits allow (progress)
        self.steps = 0
        self.number = 0
        self.copied = False  # a sample answered code already seen: every later sample is a rewrite (no body shown)
        # The best candidate of the last round that broke a user test, with what went wrong: the next round's
        # first sample repairs it (PerfOrch's generate → fix → refine; most rejected samples of the embedded
        # model were a new algorithm with one mistake). (code, candidate id, failure text) or None.
        self.near_miss: tuple[str, int | None, str] | None = None

    def round(self, round_: int, size: int) -> None:
        job = self.job
        pool = job.pool("refine")
        from orchestrator.loop import LimitReached

        sampled = []  # (attempt, candidate code or None, model, seconds asking)
        stopped = None  # a limit or a model failure mid-round: the samples already taken are still verified
        strategies = round_strategies(round_, size, self.approaches, job.limits.strategies)
        near_miss, self.near_miss = self.near_miss, None
        if near_miss is not None:
            strategies = [REPAIR, *strategies[:size - 1]]
        for sample, strategy in enumerate(strategies):
            self.number += 1
            model = pool[(self.number - 1) % len(pool)]
            job.event("search", round=round_ + 1, rounds=self.rounds, candidates=sample, step="asking",
                      strategy=strategy.name)
            job.event("attempt", stage="refine", number=self.number, model=model, strategy=strategy.name,
                      round=round_ + 1)
            t0 = time.monotonic()
            # After the model copied code back (a duplicate), no later sample is shown the code it copied: each
            # writes the function anew from its description and signature, with its strategy's idea.
            rewrite = self.copied and strategy is not REPAIR and bool(job.problem_text.strip())
            try:
                answer, call_id = job.ask("refine", model, self._messages(strategy, rewrite, near_miss),
                                          round_=(self.number - 1) // len(pool), warmth=strategy.warmth, sample=sample)
            except (LimitReached, ModelError) as exc:
                stopped = exc
                break
            made_from = near_miss[1] if strategy is REPAIR else self.best_id
            attempt, candidate = job.candidate("refine", self.number, model, answer, call_id, made_from)
            attempt.round, attempt.strategy = round_ + 1, rewritten(strategy) if rewrite else strategy.name
            if candidate is not None and self.verifier.duplicate_of(candidate) is not None:
                self.copied = True  # known before it is verified: this round's next samples are rewrites already
            job.report.attempts.append(attempt)
            sampled.append((attempt, candidate, model, time.monotonic() - t0))
        runnable = [(attempt, code, model) for attempt, code, model, _ in sampled if code is not None]
        job.event("stage", stage="round", message=f"round {round_ + 1} · {_count(len(runnable), 'candidate')}")
        job.event("search", round=round_ + 1, rounds=self.rounds, candidates=len(runnable), step="tests")
        t0 = time.monotonic()
        verdicts = self.verifier.verify_round([(code, f"attempt {attempt.number}") for attempt, code, _ in runnable])
        share = (time.monotonic() - t0) / max(1, len(runnable))
        parent = self.best_id
        for (attempt, code, model), verdict in zip(runnable, verdicts):
            self.job.record_verdict(attempt, verdict, parent)
            self.copied = self.copied or verdict.outcome == "duplicate"
            if verdict.accepted:
                self._accepted(attempt, code, verdict, model)
            else:
                self.feedback += f"\nAttempt {attempt.number} ({attempt.strategy}) was not kept: " + _feedback(verdict)
        if not any(verdict.accepted for verdict in verdicts):
            self.near_miss = self._near_miss(runnable, verdicts)
        for attempt, code, model, asking in sampled:
            if attempt.status != "accepted":
                job.learn("refine", model, False)
            job.store.set_status(attempt.candidate_id, attempt.status, attempt.reason or None)
            attempt.seconds = round(asking + (share if code is not None else 0.0), 2)
            job.event("result", **attempt.model_dump(exclude={"code"}))
        if stopped is not None:
            raise stopped

    def _messages(self, strategy, rewrite: bool, near_miss):
        job, target = self.job, self.job.target
        if strategy is REPAIR:
            code, _, failure = near_miss
            return prompts.repair_messages(target.language, target.name, code, job.problem_text, self.metric,
                                           failure, job.prompt_context)
        shown = (prompts.signature_of(self.verifier.best, target.language, target.name) if rewrite
                 else self.verifier.best)
        return prompts.refine_messages(target.language, target.name, shown, job.problem_text, self.metric,
                                       "" if rewrite else self.profile_text, self.feedback,
                                       rewrite_instruction(strategy) if rewrite else strategy.instruction,
                                       job.prompt_context)

    def _near_miss(self, runnable, verdicts) -> tuple[str, int | None, str] | None:
        """The round's candidate that broke a user test yet passed the most of them (the earlier on a tie), with
        its failure and the values the failing calls gave; None when no candidate got as far as the tests."""
        failed = [(verdict.tests_passed, -i) for i, verdict in enumerate(verdicts)
                  if verdict.outcome == "failed" and verdict.run is not None and verdict.run.failures]
        if not failed:
            return None
        from orchestrator.loop import failure_with_values

        i = -max(failed)[1]
        (attempt, code, _), verdict = runnable[i], verdicts[i]
        return code, attempt.candidate_id, failure_with_values(self.job, code, verdict)

    def _accepted(self, attempt, code: str, verdict, model: str) -> None:
        job = self.job
        self.steps += 1
        self.accepted_decision = verdict.decision
        self.verifier.accept(code)
        self.best_id, self.best_run = attempt.candidate_id, verdict.run or self.best_run
        ratio = (verdict.decision or {}).get("ratio", 1.0)
        job.learn("refine", model, True, improvement=100.0 * (1.0 - ratio))
        self.feedback += (f"\nAttempt {attempt.number} ({attempt.strategy}) was accepted ({ratio:.2f}x of the previous)"
                          "; the code above is it: improve it further.")
        self.profile_text = job.exe.profile(code, self.exprs, 1) or self.profile_text
        job.store.profile(self.best_id, kind="cprofile", metric=self.metric, text=self.profile_text)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _plan(job, metric: str) -> list[str]:
    """The edge model's approaches for this function (GuideLLM: methods with their complexity, no code), or []
    when it is not configured, fails or writes none: the search then uses its generic "algorithm" advice."""
    from orchestrator.loop import LimitReached

    pool = job.pool("plan")
    if not pool:
        return []
    model = pool[0]
    target = job.target
    job.event("stage", stage="plan", message=f"planning approaches for {target.name}() with {job.model_name(model)}")
    try:
        answer, _ = job.ask("plan", model, prompts.plan_messages(target.language, target.name, target.code, metric,
                                                                  job.prompt_context))
    except (LimitReached, ModelError) as exc:
        job.report.notes.append(f"no plan from the guide model ({exc}): generic strategies used")
        return []
    approaches = plan_approaches(answer)
    job.report.notes.append("plan by " + job.model_name(model) + ": " + "; ".join(
        f"{i}. {a}" for i, a in enumerate(approaches, 1)) if approaches else
        "the guide model's plan named no approach: generic strategies used")
    return approaches


def _feedback(verdict) -> str:
    """What the model is told of a rejected attempt: the kind of failure and, for a correct one, its measured
    ratio; never the inputs or the answers."""
    why = verdict.reason.split(":")[0][:80] if verdict.reason else ""
    first = verdict.failed_tests[0] if verdict.failed_tests else "a test"
    ratio = (verdict.decision or {}).get("ratio")
    measured = f" (measured {ratio:.2f}x of the best so far)" if ratio else (
        " (slower than another attempt in a short timing screen)" if verdict.reason.startswith("screened out") else "")
    return FEEDBACK.get(verdict.outcome, "{why}").format(why=why, first=first, measured=measured)
