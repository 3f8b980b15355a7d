"""The verification engine's one entry: `Verifier.verify(code, label) -> Verdict`.

One Verifier per job. It fixes everything a candidate is judged by from the original before any candidate
runs — the tests that ran on the original and which of them it passes, the differential inputs and the
original's answers, the workload and the original's answers to every workload call — and then checks each
candidate in the order of cost: duplicate (nothing runs) → tests → differential and state guards → (optimize)
the measured decision, every timed call of which is compared with the original's answer.

The candidate never chooses its checks: a test the original passed that a candidate fails, does not run, or
makes disappear (an edited docstring, a SkipTest) is a failure. When no check at all could run the verdict is
"unverified", which is never accepted.
"""

from __future__ import annotations

import logging
from statistics import median
from typing import Callable

from orchestrator.errors import Unsupported
from orchestrator.verify.running.execution import TestRun
from orchestrator.verify.verdict import Check, Verdict

log = logging.getLogger(__name__)
PURPOSES = ("fix", "optimize")
# A report carries the decision, not every sample (the run store keeps the samples for the charts).
# The timing screen's laps: each a run of the best so far and of every correct candidate of a round.
SCREEN_LAPS = 3
REPORT_EXCLUDES = {"samples_a", "samples_b", "profiles_a", "profiles_b"}


class Verifier:
    """Checks candidates of one job against its original (fix: every test must pass; optimize: every test the
    original passes, the behaviour guards, and a measured gain)."""

    def __init__(self, *, exe, target, suite, purpose: str, behaviour=None, program_diff=None,
                 checkpoint: Callable[[], None] = lambda: None, on_stage: Callable[..., None] | None = None):
        if purpose not in PURPOSES:
            raise ValueError(f"purpose must be one of {PURPOSES}")
        from orchestrator.verify.novelty import Novelty

        self.exe, self.target, self.suite, self.purpose = exe, target, suite, purpose
        self.behaviour, self.program_diff = behaviour, program_diff
        self.checkpoint = checkpoint
        # on_stage(stage, message, **counts): progress; a round's screens also give candidates/passed/timing.
        self.on_stage = on_stage or (lambda stage, message, **counts: None)
        self.novelty = Novelty(target.code, target.language)
        self.baseline: TestRun | None = None
        self.required: set[str] = set()  # tests every candidate must pass
        self.all_tests: set[str] = set()  # every test that ran on the original (fix: all must pass)
        self.not_run: list[str] = []  # tests that could not run on the original: reported, never passed
        self.best = target.code
        self.measure: dict | None = None  # optimize: metric, workload, reference answers, limits

    # -- set-up from the original ---------------------------------------------------------------------
    def establish_baseline(self, run: TestRun) -> None:
        """The original's test run fixes the set of checks: names, and which ones it passes."""
        self.baseline = run
        self.required = run.passed_names()
        self.not_run = run.not_run
        self.all_tests = {r["name"] for r in run.results} - set(self.not_run)

    def set_measurement(self, *, metric: str, workload: list[str], comparisons: int, budget_s: float,
                        min_pairs: int, cancel=None) -> str | None:
        """Optimize: the workload and the original's answer to each of its calls (every timed call of a candidate
        is compared with them). Returns a note for the report when the answers cannot be taken."""
        reference, note = None, None
        workload_reference = getattr(self.exe, "workload_reference", None)
        if workload_reference is not None:
            try:
                reference = workload_reference(self.target.code, workload)
            except Exception as exc:  # noqa: BLE001 - the original's own failure is reported, not raised
                note = f"timed answers cannot be compared: the original's workload failed ({exc})"
        self.measure = dict(metric=metric, workload=workload, reference=reference, comparisons=comparisons,
                            budget_s=budget_s, min_pairs=min_pairs, cancel=cancel)
        notes = [note, *getattr(self.exe, "workload_notes", [])]  # e.g. a workload that prints no answers
        return "; ".join(n for n in notes if n) or None

    # -- the entry --------------------------------------------------------------------------------------
    def verify(self, code: str, label: str) -> Verdict:
        """A candidate in, a verdict with its evidence out. `label` names it in later duplicate messages."""
        return self.verify_round([(code, label)])[0]

    def verify_round(self, candidates: list[tuple[str, str]]) -> list[Verdict]:
        """The candidates of one search round, (code, label) each, cheapest checks first: every candidate gets
        the duplicate check, the tests and the behaviour guards; of those still standing (optimize), a short
        timing screen ranks them and only the best gets the measured decision — the others are "not better",
        screened out with their screen ratio. One decision per round is what `comparisons` counts, so the
        job's alpha is split over rounds, not over every sample a round takes."""
        verdicts = [self._correctness(code, label) for code, label in candidates]
        if self.purpose == "fix":
            return verdicts
        standing = [i for i, v in enumerate(verdicts) if v.outcome == "pending"]
        tested = sum(1 for v in verdicts if v.outcome != "duplicate")
        self.on_stage("round", f"{len(candidates)} candidate{'' if len(candidates) == 1 else 's'} · {tested} "
                               f"tested · {len(standing)} pass tests and guards"
                               + (f" · timing {len(standing)}" if len(standing) > 1 else ""),
                      candidates=len(candidates), passed=len(standing), timing=len(standing) if len(standing) > 1 else 0)
        if len(standing) > 1:
            standing = self._screen(standing, candidates, verdicts)
        if standing:
            first = standing[0]
            verdicts[first] = self._measured(candidates[first][0], verdicts[first])
        return verdicts

    def _correctness(self, code: str, label: str) -> Verdict:
        """Duplicate → tests → guards; fix verdicts end here, optimize ones stay "pending" when they pass."""
        twin = self.novelty.duplicate_of(code)
        if twin is not None:
            return Verdict("duplicate", reason=f"the same code as {twin} (normalised syntax tree): nothing was run")
        self.novelty.add(code, label)
        verdict = self._tests(code)
        if verdict.outcome != "pending":
            return verdict
        try:
            self._guards(code, verdict)
        except Unsupported as exc:
            verdict.outcome, verdict.reason = "failed", str(exc)
        if verdict.outcome != "pending" or self.purpose != "fix":
            return verdict
        if not verdict.verified:
            verdict.outcome, verdict.reason = "unverified", "no test or behaviour check could run"
        else:
            verdict.outcome = "accepted"
        return verdict

    def remember(self, code: str, label: str) -> None:
        """A candidate judged before this verifier existed (solve's generated code before its fix): its twin is
        a duplicate too."""
        self.novelty.add(code, label)

    def duplicate_of(self, code: str) -> str | None:
        """The label of the earlier code (the original or a candidate) that `code` repeats, or None; checked
        before anything runs."""
        return self.novelty.duplicate_of(code)

    def accept(self, code: str) -> None:
        """Optimize: an accepted candidate becomes the best, the baseline of later candidates."""
        self.best = code

    # -- the checks -------------------------------------------------------------------------------------
    def _tests(self, code: str) -> Verdict:
        verdict = Verdict("pending")  # type: ignore[arg-type] - completed below
        if not self.suite.tests:
            return verdict
        self.checkpoint()
        self.on_stage("tests", "running the tests")
        try:
            run = self.exe.run_tests(code, self.suite.tests)
        except Unsupported as exc:  # e.g. it imports a package the sandbox lacks: one failed attempt, not the job's end
            verdict.outcome, verdict.reason = "failed", str(exc)
            return verdict
        verdict.run = run
        passed = run.passed_names()
        verdict.not_run = run.not_run
        # fix: every test of the original's run, the ones that could not run included (a fix is claimed only when
        # every test passes); optimize: the tests the original passes (one it could not run cannot be required).
        must = self.all_tests | set(self.not_run) if self.purpose == "fix" else self.required
        # A test the original ran but the candidate's run lacks (its docstring changed, a SkipTest, a crash
        # before the test) is broken like a failing one: the candidate does not choose its tests.
        broken = sorted(must - passed) if not run.error else ["(does not load)"]
        verdict.failed_tests = broken
        verdict.tests_total = len(must)
        verdict.tests_passed = len(must) - len([b for b in broken if b in must])
        if run.error:
            verdict.tests_passed = 0
        verdict.checks.append(Check("tests", verdict.tests_passed, verdict.tests_total))
        if broken:
            verdict.outcome = "failed"
            missing = [b for b in broken if b in verdict.not_run or not any(r["name"] == b for r in run.results)]
            verdict.reason = _short(run.describe_failure(1)) if run.failures or run.error else ""
            if missing and not verdict.reason:
                never = [m for m in missing if m in self.not_run]
                verdict.reason = (f"{len(never)} test(s) cannot run here ({', '.join(never[:3])}): a fix is claimed "
                                  "only when every test runs and passes" if never else
                                  f"{len(missing)} test(s) the original ran did not run on the candidate "
                                  f"({', '.join(missing[:3])}): a test that does not run never counts as passed")
        return verdict

    def _guards(self, code: str, verdict: Verdict) -> None:
        blocking = self.purpose == "optimize"  # a fix changes behaviour by design; state is never allowed
        if self.program_diff is not None and self.program_diff.ready:
            self.checkpoint()
            self.on_stage("differential", "comparing with the original on the input generator's calls")
            result = self.program_diff.check(code)
            verdict.differential, verdict.state = result.summary, result.state
            lines = len(self.program_diff.oracle)
            verdict.checks.append(Check("differential", lines if result.passed else 0, lines, result.summary))
            if self.program_diff.repeated:
                verdict.checks.append(Check("state", 0 if result.state else 1, 1, "; ".join(result.state)))
            if result.state:
                verdict.outcome, verdict.reason = "rejected", "; ".join(result.state)
            elif blocking and not result.passed:
                verdict.outcome, verdict.reason = "rejected", result.summary
            return
        if self.behaviour is None:
            return
        self.checkpoint()
        self.on_stage("differential", "comparing with the original on generated inputs")
        result = self.behaviour.check(code)
        if result is None:
            return
        if result.error:
            verdict.outcome, verdict.reason = "rejected", result.reason
            return
        compared, differing = _counts(result)
        verdict.differential, verdict.state = result.differential, result.state
        if compared:
            verdict.checks.append(Check("differential", compared - differing, compared, result.differential or ""))
        verdict.checks.append(Check("state", 0 if result.state else 1, 1, "; ".join(result.state)))
        if result.state or (blocking and not result.agrees):
            verdict.outcome, verdict.reason = "rejected", result.reason

    def _screen(self, standing: list[int], candidates: list[tuple[str, str]], verdicts: list[Verdict]) -> list[int]:
        """A short timing screen of a round's correct candidates (indices `standing`): the best so far and each
        of them once per lap, SCREEN_LAPS laps interleaved in one sandbox session, every timed call's answer
        checked. Returns the index of the fastest (empty when none is left); the others' verdicts are set here."""
        from profiling.batch import batch_runner
        from profiling.measure import metric_value

        m = self.measure
        if m is None:
            raise RuntimeError("optimize verification needs set_measurement() first")
        self.checkpoint()
        self.on_stage("screen", f"a short timing screen of {len(standing)} correct candidates")
        programs = {i: self._program(candidates[i][0], m["workload"], m["reference"]) for i in standing}
        programs[-1] = self._program(self.best, m["workload"], m["reference"])
        specs = {i: program.spec(1) for i, program in programs.items()}  # one object each: built once per session
        order = [i for _ in range(SCREEN_LAPS) for i in programs]
        try:
            results = batch_runner(self.exe.runner)([specs[i] for i in order])
        except Exception as exc:  # noqa: BLE001 - a failed screen loses only the ranking, never a candidate
            log.info("timing screen failed (%s): the first correct candidate goes to the decision", exc)
            return standing[:1]
        costs: dict[int, list[float]] = {i: [] for i in programs}
        for i, result in zip(order, results):
            if not getattr(result, "ok", False):
                continue
            problem = programs[i].check(result) if programs[i].check is not None else None
            if problem and i >= 0 and verdicts[i].outcome == "pending":
                verdicts[i].outcome = "rejected"
                verdicts[i].reason = f"timed run gave a different answer from the original: {problem}"
                verdicts[i].checks.append(Check("timed answers", 0, 1, problem))
            costs[i].append(metric_value(result, m["metric"]))
        base = median(costs[-1]) if costs[-1] else 0.0
        ratio = {i: median(costs[i]) / base if costs[i] and base > 0 else float("inf") for i in standing}
        ranked = sorted((i for i in standing if verdicts[i].outcome == "pending"), key=ratio.__getitem__)
        for i in ranked[1:]:
            verdicts[i].outcome = "not better"
            verdicts[i].reason = (f"screened out: a short timing screen put it at {ratio[i]:.2f}× the best so far, "
                                  f"behind {candidates[ranked[0]][1]} ({ratio[ranked[0]]:.2f}×); only the best "
                                  "correct candidate of a round is measured in full")
        return ranked[:1]

    def _measured(self, code: str, verdict: Verdict) -> Verdict:
        from profiling import MeasurementCancelled, MeasurementError, compare_programs

        m = self.measure
        if m is None:
            raise RuntimeError("optimize verification needs set_measurement() first")
        reference = m["reference"]
        if not verdict.verified and reference is None:
            return self._unverified(verdict)
        self.checkpoint()
        self.on_stage("measure", "measuring against the best so far")
        try:
            decision = compare_programs(
                self.exe.runner, self._program(self.best, m["workload"], reference),
                self._program(code, m["workload"], reference), metric=m["metric"], budget_s=m["budget_s"],
                min_pairs=m["min_pairs"], comparisons=m["comparisons"], cancel=m["cancel"])
        except MeasurementCancelled:
            from models.errors import Cancelled

            raise Cancelled("cancelled while measuring") from None
        except MeasurementError as exc:
            mismatch = type(exc).__name__ == "BehaviourMismatch"
            verdict.outcome = "rejected" if mismatch else "error"
            verdict.reason = (f"timed run gave a different answer from the original: {exc}" if mismatch
                              else f"measurement failed: {exc}")
            if mismatch:
                verdict.checks.append(Check("timed answers", 0, 1, str(exc)))
            return verdict
        verdict.decision = decision.model_dump(mode="json", exclude=REPORT_EXCLUDES)
        verdict.samples = decision.model_dump(mode="json", exclude={"profiles_a", "profiles_b"})
        if reference is not None:
            # Every call of every repetition of every timed sample of both programs was compared.
            calls = len(reference) * decision.n_pairs * (decision.loop_count_a + decision.loop_count_b)
            verdict.checks.append(Check("timed answers", calls, calls, "every timed call matched the original"))
        if not verdict.verified:
            return self._unverified(verdict)
        if decision.verdict == "better":
            verdict.outcome = "accepted"
        else:
            verdict.outcome, verdict.reason = "not better", decision.summary()
        return verdict

    @staticmethod
    def _unverified(verdict: Verdict) -> Verdict:
        verdict.outcome = "unverified"
        verdict.reason = ("no test, differential or state check could run, so a measured gain would prove nothing "
                          "about correctness; give tests (--tests) or a workload whose answers can be compared")
        return verdict

    def _program(self, code: str, workload: list[str], reference):
        return self.exe.workload_program(code, workload, reference=reference)

    # -- the change against the original ---------------------------------------------------------------
    def change_vs_original(self, last_step: dict | None, steps: int) -> dict | None:
        """The accepted code against the original (what the user gets), not only the last step's gain: the
        last step's decision when there was one step, else one more measurement."""
        if self.best == self.target.code or self.measure is None:
            return None
        if steps <= 1:
            return last_step
        from profiling import MeasurementError, compare_programs

        m = self.measure
        try:
            decision = compare_programs(
                self.exe.runner, self._program(self.target.code, m["workload"], m["reference"]),
                self._program(self.best, m["workload"], m["reference"]), metric=m["metric"],
                budget_s=m["budget_s"], min_pairs=m["min_pairs"], comparisons=1, cancel=m["cancel"])
        except MeasurementError as exc:
            log.info("change against the original not measured: %s", exc)
            return None
        return decision.model_dump(mode="json", exclude=REPORT_EXCLUDES)


def _short(text: str, head: int = 160, tail: int = 240) -> str:
    """A failure for the report: its first lines (which test) and its last (what was raised)."""
    text = text.strip()
    return text if len(text) <= head + tail + 5 else text[:head].rstrip() + " … " + text[-tail:].lstrip()


def _counts(result) -> tuple[int, int]:
    """(compared, differing) inputs of a BehaviourCheck (0, 0 when the original's answers are unknown)."""
    return (result.compared or 0, result.differing or 0) if result.compared is not None else (0, 0)
