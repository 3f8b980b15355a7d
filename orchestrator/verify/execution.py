"""What the loop asks of the sandbox, per language: run the tests, call with inputs, time, profile.

PythonExecution drives orchestrator/verify/driver.py (user tests, doctests, benchmark and designed
tests, differential calls, workload, cProfile). HarnessExecution is for the other languages: a test
program the user names (combined with the candidate file by sandbox.harness's rules) and a workload
program that loops N times itself (N as its last argument); their differential tests are a
model-written input generator (orchestrator/verify/progdiff.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from orchestrator.errors import Unsupported
from orchestrator.verify.pyjobs import PyJobs
from orchestrator.target import Target
from orchestrator.verify.testsuite import Suite


@dataclass
class TestRun:
    __test__ = False
    results: list[dict] = field(default_factory=list)  # {suite, name, passed, error, output, skipped?}
    error: str | None = None  # the code did not even load

    @property
    def failures(self) -> list[dict]:
        return [r for r in self.results if not r.get("passed")]

    def passed_names(self) -> set[str]:
        return {r["name"] for r in self.results if r.get("passed") and not r.get("skipped")}

    def counts(self) -> tuple[int, int]:
        real = [r for r in self.results if not r.get("skipped")]
        return sum(bool(r.get("passed")) for r in real), len(real)

    def describe_failure(self, limit: int = 2) -> str:
        if self.error:
            return self.error
        parts = []
        for r in self.failures[:limit]:
            parts.append(f"Test {r['name']} ({r['suite']} tests) failed:\n{r.get('error', '').strip()}"
                         + (f"\nIts output:\n{r['output'].strip()}" if r.get("output", "").strip() else ""))
        return "\n\n".join(parts)


class PythonExecution:
    differential = True

    def __init__(self, sandbox, target: Target, suite: Suite):
        self.target = target
        self.suite = suite
        self.jobs = PyJobs(sandbox, target, extra_files=suite.extra_files, tests=suite.tests)
        self.notes = list(self.jobs.notes)

    @property
    def runner(self):
        """The sandbox these runs use (with the workspace's packages layered in): timing goes through it too."""
        return self.jobs.runner

    def module_text(self, code: str) -> str:
        return self.target.with_code(code)

    def run_tests(self, code: str, tests) -> TestRun:
        if not tests:
            return TestRun()
        report = self.jobs.run(self.module_text(code), {"mode": "tests", "tests": [t.job() for t in tests]})
        if not report.get("ok"):
            self.jobs.require_importable(report)
            return TestRun(error="the code did not load: " + report.get("error", "unknown error"))
        results = report["tests"]
        for r in results:
            if r.get("import_error"):
                self.jobs.require_importable({"error": r.get("error", "")})
        return TestRun(results=results)

    def calls(self, code: str, calls: list[dict], orders: list[list[int]]) -> dict:
        report = self.jobs.run(self.module_text(code), {"mode": "calls", "calls": calls, "orders": orders})
        if not report.get("ok"):
            self.jobs.require_importable(report)
        return report

    def workload_program(self, code: str, workload: list[str]):
        from profiling.programs import Program

        text = self.module_text(code)
        return Program(lambda n: self.jobs.spec(text, {"mode": "workload", "workload": workload, "loops": n})[0],
                       True, "python")

    def workload_check(self, code: str, workload: list[str]) -> str | None:
        report = self.jobs.run(self.module_text(code), {"mode": "workload", "workload": workload, "loops": 1})
        if report.get("ok"):
            return None
        self.jobs.require_importable(report)
        return report.get("error", "the workload failed")

    def profile(self, code: str, workload: list[str], loops: int) -> str:
        report = self.jobs.run(self.module_text(code), {"mode": "profile", "workload": workload,
                                                        "loops": max(1, loops)})
        return report.get("profile", "") if report.get("ok") else ""


class HarnessExecution:
    """C++, Java, Go, Rust, JavaScript: the user's test program and workload program (differential tests by
    orchestrator/verify/progdiff.py, not by calls)."""

    differential = False

    def __init__(self, sandbox, target: Target, test_program: str | None, suite: str = "user"):
        self.sandbox = sandbox
        self.target = target
        self.test_program = test_program
        self.suite = suite  # "user" (a program the user named) or "benchmark" (the problem's own tests)
        whose = "the test program you named" if suite == "user" else "the benchmark's test program"
        self.notes = [f"{target.language}: candidates are checked by {whose}; optimize adds "
                      "differential tests from a model-written input generator"] if test_program else []

    @property
    def runner(self):
        return self.sandbox

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

    def workload_program(self, code: str, workload: list[str]):
        from profiling.programs import repeat_arg
        from sandbox.models import RunSpec

        source = self.target.with_code(code) + "\n" + workload[0]
        return repeat_arg(RunSpec(language=self.target.language, source=source))

    def workload_check(self, code: str, workload: list[str]) -> str | None:
        result = self.sandbox.run(self.workload_program(code, workload).spec(1))
        return None if result.ok else f"the workload program failed ({result.status.value}): {result.stderr[-1500:]}"

    def profile(self, code: str, workload: list[str], loops: int) -> str:
        return ""  # per-function profiles are Python-only for now
