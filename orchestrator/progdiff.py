"""Differential tests for C++, Java, Go, Rust and JavaScript (issue 8): a model-written input generator --
a driver program that calls the function on literal inputs and prints each result -- is run in the
sandbox with the original; its output is the oracle every candidate must reproduce.

The driver is written once per job, kept only when it compiles and runs cleanly on the original, and
never shown to the models that write candidates (their feedback says only "behaved differently on some
inputs"). The driver replaces the file's own `main` (code.append_program).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from orchestrator import code as code_module
from orchestrator import prompts

log = logging.getLogger(__name__)


@dataclass
class ProgramCheck:
    passed: bool
    lines: int
    summary: str


class ProgramDifferential:
    def __init__(self, job):
        self.job = job
        self.driver: str | None = None
        self.oracle: list[str] | None = None
        self.why_not: str | None = None

    @property
    def ready(self) -> bool:
        return self.oracle is not None

    def program(self, candidate: str) -> str:
        target = self.job.target
        return code_module.append_program(target.with_code(candidate), self.driver or "", target.language)

    def _run(self, candidate: str):
        from sandbox.models import Limits, RunSpec

        spec = RunSpec(language=self.job.target.language, source=self.program(candidate),
                       limits=Limits(wall_time_s=20, cpu_time_s=20, compile_time_s=120))
        return self.job.exe.runner.run(spec)

    def prepare(self, model: str) -> bool:
        """Ask `model` for the driver and run it on the original; False (with `why_not`) when unusable."""
        job, target = self.job, self.job.target
        job.event("stage", stage="differential", message="writing test inputs and running them on the original")
        answer, _ = job.ask("refine", model, prompts.input_driver_messages(
            target.language, target.name, target.code, job.problem_text, target.class_name))
        from models.parsing import extract_code

        driver = extract_code(answer, target.language)
        if not driver:
            self.why_not = "the input generator's answer had no code block"
            return False
        self.driver = driver
        result = self._run(target.code)
        if not result.ok or not result.stdout.strip():
            detail = (result.compile.stderr if result.compile is not None and result.compile.stderr else result.stderr)
            self.why_not = (f"the model-written input generator did not run cleanly on the original "
                            f"({result.status.value}): {(detail or result.message or '').strip()[-300:]}")
            self.driver = None
            return False
        self.oracle = result.stdout.rstrip("\n").splitlines()
        return True

    def check(self, candidate: str) -> ProgramCheck:
        result = self._run(candidate)
        n = len(self.oracle or [])
        if not result.ok:
            return ProgramCheck(False, n, f"differential (model-written inputs): the candidate "
                                          f"{'did not compile' if result.status.value == 'compile_error' else 'failed'} "
                                          f"({result.status.value})")
        got = result.stdout.rstrip("\n").splitlines()
        wrong = [i for i in range(max(n, len(got))) if i >= n or i >= len(got) or got[i] != self.oracle[i]]
        if wrong:
            return ProgramCheck(False, n, f"differential (model-written inputs): {len(wrong)} of {n} output lines "
                                          f"differ from the original's (first at line {wrong[0] + 1})")
        return ProgramCheck(True, n, f"differential (model-written inputs): all {n} output lines agree")
