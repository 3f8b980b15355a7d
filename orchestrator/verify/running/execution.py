"""What the loop asks of the sandbox, per language: run the tests, call with inputs, time, profile.

PythonExecution drives orchestrator/verify/running/in_sandbox/driver.py (user tests, doctests, benchmark and designed
tests, differential calls, workload, cProfile). HarnessExecution is for the other languages: a test
program the user names (combined with the candidate file by sandbox.harness's rules) and a workload
program that loops N times itself (N as its last argument); their differential tests are a
model-written input generator (orchestrator/verify/checks/progdiff.py).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from orchestrator.errors import Unsupported
from orchestrator.verify.running import timed
from orchestrator.verify.running.pyjobs import PyJobs
from orchestrator.target import Target
from orchestrator.verify.testing.testsuite import Suite


@dataclass
class TestRun:
    """One run of the tests. Every result has a status: "passed", "failed" or "not run" (a SkipTest from the
    test or the code under test, a test that needs pytest fixtures, ...): nothing that did not run counts as
    passed. Results: {suite, name, status, passed, error, output, seconds; skipped (the reason) when not run}."""

    __test__ = False
    results: list[dict] = field(default_factory=list)
    error: str | None = None  # the code did not even load

    @staticmethod
    def status(result: dict) -> str:
        """A result's status (results from before statuses: a "skipped" one did not run)."""
        if result.get("status"):
            return result["status"]
        return "not run" if result.get("skipped") else "passed" if result.get("passed") else "failed"

    @property
    def failures(self) -> list[dict]:
        """The tests that ran and failed (see not_run and broken_against for the ones that did not run)."""
        return [r for r in self.results if self.status(r) == "failed"]

    @property
    def not_run(self) -> list[str]:
        return [r["name"] for r in self.results if self.status(r) == "not run"]

    def passed_names(self) -> set[str]:
        return {r["name"] for r in self.results if self.status(r) == "passed"}

    def counts(self) -> tuple[int, int]:
        """(passed, ran): the tests that did not run are in `not_run`, counted in neither."""
        ran = [r for r in self.results if self.status(r) != "not run"]
        return sum(self.status(r) == "passed" for r in ran), len(ran)

    def broken_against(self, baseline_passed: set[str]) -> list[str]:
        """The tests the original passed (its passed_names()) that this run does not pass: failed, not run
        (e.g. a SkipTest raised by the candidate) or gone (e.g. a test the candidate's change stopped from
        being collected). Each is a failure of the candidate: the candidate does not choose its tests."""
        if self.error:
            return sorted(baseline_passed)
        return sorted(baseline_passed - self.passed_names())

    def describe_failure(self, limit: int = 2) -> str:
        if self.error:
            return self.error
        parts = []
        for r in self.failures[:limit]:
            error, detail = r.get("error", "").strip(), r.get("detail", "").strip()
            # The failure's own message (pytest's rewritten assert: the compared values) when the traceback lacks it.
            extra = f"\n{detail}" if detail and detail not in error else ""
            parts.append(f"Test {r['name']} ({r['suite']} tests) failed:\n{error}{extra}"
                         + (f"\nIts output:\n{r['output'].strip()}" if r.get("output", "").strip() else ""))
        return "\n\n".join(parts)


class WorkloadFailed(RuntimeError):
    """The original's own workload did not run, or one of its calls raised: its answers cannot be the
    reference of timed runs."""


WORKLOAD_TOO_SMALL = "the workload program is too small"  # how workload_check's "too small" answer starts
CALL_TIMEOUT_S = 2.0  # per differential call (generated inputs are small)


class PythonExecution:
    """Python through the in-sandbox driver: each call (and each test source) in a process of its own,
    forked from a parent that imported what the original imports and never runs candidate code."""

    differential = True

    def __init__(self, sandbox, target: Target, suite: Suite):
        self.target = target
        self.suite = suite
        self.jobs = PyJobs(sandbox, target, extra_files=suite.extra_files, tests=suite.tests)
        self.notes = list(self.jobs.notes)
        self._references: dict[tuple[str, tuple[str, ...]], list[str]] = {}

    @property
    def runner(self):
        """The sandbox these runs use (with the workspace's packages layered in): timing goes through it too."""
        return self.jobs.runner

    def module_text(self, code: str) -> str:
        return self.target.with_code(code)

    def run_tests(self, code: str, tests) -> TestRun:
        if not tests:
            return TestRun()
        specs = []
        for test in tests:
            spec = test.job()
            if test.kind == "doctest":
                # The ORIGINAL's examples: a candidate that edits or deletes its docstring changes nothing.
                spec["docstring"] = self.target.docstring
            specs.append(spec)
        report = self.jobs.run(self.module_text(code), {"mode": "tests", "tests": specs})
        if not report.get("ok"):
            self.jobs.require_importable(report)
            return TestRun(error="the code did not load: " + report.get("error", "unknown error"))
        results = report["tests"]
        for r in results:
            if r.get("import_error"):
                self.jobs.require_importable({"error": r.get("error", "")})
        return TestRun(results=results)

    def calls(self, code: str, calls: list[dict], orders: list[list[int]]) -> dict:
        """Each call ({"args": repr(tuple), "kwargs": repr(dict)} or {"expr": "f(...)"}) in a fresh process, in
        the given orders: {"ok", "passes": [{index: {r, e, m, o}}] per order, "state_changed": [...]}
        (state a call changed in its module or function), plus the driver's digests."""
        report = self.jobs.run(self.module_text(code), {"mode": "calls", "calls": calls, "orders": orders,
                                                        "records": True, "state": True,
                                                        "call_timeout_s": CALL_TIMEOUT_S})
        if not report.get("ok"):
            self.jobs.require_importable(report)
        return report

    def _workload_job(self, workload: list[str], loops: int) -> dict:
        return {"mode": "calls", "calls": [{"expr": expr} for expr in workload], "loops": loops}

    def workload_reference(self, code: str, workload: list[str]) -> list[str]:
        """The digests of `code`'s answers to each workload call (one repetition), what every timed call of a
        candidate is compared with. Raises WorkloadFailed when the workload does not run or a call raises."""
        key = (code, tuple(workload))
        if key not in self._references:
            report = self.jobs.run(self.module_text(code), self._workload_job(workload, 1))
            if not report.get("ok"):
                self.jobs.require_importable(report)
                raise WorkloadFailed(report.get("error", "the workload failed"))
            problem = timed.report_problem(report, None, 1, len(workload))
            if problem:
                raise WorkloadFailed(problem)
            self._references[key] = timed.expand(report)[0]
        return self._references[key]

    def workload_check(self, code: str, workload: list[str]) -> str | None:
        """None when the workload runs on `code` without any call raising, else why not."""
        try:
            self.workload_reference(code, workload)
        except WorkloadFailed as exc:
            return str(exc)
        return None

    def workload_program(self, code: str, workload: list[str], reference: list[str] | None = None):
        """The timed program: Program.build(n) runs the workload's calls n times, each call in a fresh process;
        program.check(result) reads the run's report and compares every call of every repetition with
        `reference` (workload_reference of the original): a different answer, a missing report or a forged
        one is a message (the candidate is rejected), None when all agree."""
        from profiling.programs import Program

        text = self.module_text(code)
        issued: dict[str, int] = {}  # nonce of each built run -> its repetitions

        def build(n: int):
            spec, nonce = self.jobs.spec(text, self._workload_job(workload, n))
            issued[nonce] = n
            return spec

        # The measurement calls check on every run's result (profiling.programs.Program.check).
        return Program(build, True, "python",
                       check=lambda result: timed.check_run(result, issued, reference, len(workload)))

    def profile(self, code: str, workload: list[str], loops: int) -> str:
        report = self.jobs.run(self.module_text(code), {"mode": "profile", "calls": [{"expr": e} for e in workload],
                                                        "loops": max(1, loops)})
        return report.get("profile", "") if report.get("ok") else ""


class HarnessExecution:
    """C++, Java, Go, Rust, JavaScript: the user's test program and workload program (differential tests by
    orchestrator/verify/checks/progdiff.py, not by calls). Timed runs make one call per process, every call's answer
    compared with the original's (orchestrator/verify/running/percall.py)."""

    differential = False

    def __init__(self, sandbox, target: Target, test_program: str | None, suite: str = "user"):
        from orchestrator.verify.running.percall import PerCallRunner

        self.sandbox = sandbox
        self.target = target
        self.test_program = test_program
        self.suite = suite  # "user" (a program the user named) or "benchmark" (the problem's own tests)
        whose = "the test program you named" if suite == "user" else "the benchmark's test program"
        self.notes = [f"{target.language}: candidates are checked by {whose}; optimize adds "
                      "differential tests from a model-written input generator"] if test_program else []
        self._runner = PerCallRunner(sandbox)
        self._references: dict[tuple[str, tuple[str, ...]], list[str]] = {}
        # For the report once the original's workload ran (e.g. that it prints nothing to compare).
        self.workload_notes: list[str] = []

    @property
    def runner(self):
        """The sandbox, with the workload program's timed samples run one call per process."""
        return self._runner

    def run_tests(self, code: str, tests) -> TestRun:
        from sandbox.harness import run_tests
        from sandbox.models import TestCase

        if not self.test_program:
            return TestRun()
        name = "tests" if self.suite == "user" else "benchmark tests"
        report = run_tests(self.target.language, [TestCase(name=name, test_program=self.test_program)],
                           source=self.target.with_code(code), sandbox=self.sandbox)
        results = []
        for t in report.tests:
            error = report.compile_output if report.compile_status.value != "ok" else (t.stderr or t.stdout)
            results.append({"suite": self.suite, "name": t.name, "passed": t.passed, "error": (error or "")[-2500:],
                            "output": t.stdout[-1500:]})
        return TestRun(results=results)

    def calls(self, code, calls, orders):  # pragma: no cover - guarded by `differential`
        raise Unsupported(f"differential calls are not available for {self.target.language}")

    def _one_call(self, code: str, workload: list[str], count: int):
        """The workload program run with `count` as its repeat count (0: its start-up, 1: one call): the file
        with the candidate in place and the user's workload program appended as its `main` (the file's own main
        gone, the workload's imports moved to the file's import section, as for the differential's driver)."""
        from orchestrator.code import append_program
        from sandbox.models import RunSpec

        source = append_program(self.target.with_code(code), workload[0], self.target.language)
        return RunSpec(language=self.target.language, source=source, args=[str(count)])

    def workload_program(self, code: str, workload: list[str], reference: list[str] | None = None):
        """The timed program: Program.build(n) is n runs of the workload program with repeat count 1, each a
        process of its own (build(0): one run with count 0, the start-up the measurement subtracts);
        program.check(result) compares every call's answer (stdout, exit status) with `reference`
        (workload_reference of the original): a different one is a message and the candidate is rejected."""
        from orchestrator.verify.running import percall
        from profiling.programs import Program

        issued: dict[str, int] = {}  # nonce of each built sample -> its calls
        start, call = self._one_call(code, workload, 0), self._one_call(code, workload, 1)

        def build(n: int):
            if n <= 0:
                return start
            nonce = secrets.token_hex(8)
            issued[nonce] = n
            return percall.calls_spec(call, n, nonce)

        return Program(build, True, self.target.language,
                       check=lambda result: percall.check_run(result, issued, reference))

    def workload_reference(self, code: str, workload: list[str]) -> list[str]:
        """The digest of `code`'s answer to the workload's call (one run, repeat count 1), what every timed
        call of a candidate is compared with. Raises WorkloadFailed when the run fails."""
        from orchestrator.verify.running import percall

        key = (code, tuple(workload))
        if key not in self._references:
            result = self._runner.run(self.workload_program(code, workload).spec(1))
            if not result.ok:
                raise WorkloadFailed(f"the workload program failed ({result.status.value}): "
                                     f"{(result.message or result.stderr or '')[-1500:]}")
            found = percall.digests(result)
            if found is None or len(found[1]) != 1:
                raise WorkloadFailed("the workload program's run reported no answer")
            self._references[key] = found[1]
            if code == self.target.code and found[1][0] == percall.SILENT:
                self.workload_notes.append(
                    "the workload program prints nothing: timed calls are compared by exit status only (print "
                    "the function's results in its main to have every timed answer compared)")
        return self._references[key]

    def workload_check(self, code: str, workload: list[str]) -> str | None:
        """None when the workload program runs on `code` and one call's work is at least a quarter of a process
        start-up (percall.TOO_SMALL_MULTIPLE), else why it cannot be measured: it fails, or it is too small to
        show a difference (the message says so and what to change)."""
        from orchestrator.verify.running import percall

        try:
            self.workload_reference(code, workload)
        except WorkloadFailed as exc:
            return str(exc)
        cost = percall.per_call_cost(self._runner, self._one_call(code, workload, 0),
                                     self._one_call(code, workload, percall.COST_CALLS))
        if cost is not None and cost.too_small():
            return (f"{WORKLOAD_TOO_SMALL} to show a difference: one call costs "
                    f"{cost.call_s * 1000:.1f} ms of CPU above the program's start-up of "
                    f"{cost.startup_s * 1000:.1f} ms, and every timed call runs in a fresh process; make one "
                    "call do more work (larger inputs in the workload's loop body)")
        return None

    def profile(self, code: str, workload: list[str], loops: int) -> str:
        return ""  # per-function profiles are Python-only for now
