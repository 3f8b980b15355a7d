"""Run and profile untrusted, model-written code in hardened Docker containers.

Public API::

    from sandbox import RunSpec, Limits, run, Sandbox, run_tests
    result = run(RunSpec(language="python", source="print(42)"))
    with Sandbox() as sb:                     # warm pool: no container start-up per run
        result = sb.run(RunSpec(language="cpp", source=code, stdin="1 2\n"))

This package never imports the language server (pygls).
"""

from profiling.metrics import Profile
from sandbox.errors import ImageMissing, SandboxError, SandboxUnavailable
from sandbox.harness import run_tests
from sandbox.images import LANGUAGES, build_images
from sandbox.models import (Limits, Result, RunSpec, Status, StepResult, TestCase, TestOutcome, TestReport)
from sandbox.pool import Sandbox, run

__all__ = [
    "LANGUAGES", "ImageMissing", "Limits", "Profile", "Result", "RunSpec", "Sandbox", "SandboxError",
    "SandboxUnavailable", "Status", "StepResult", "TestCase", "TestOutcome", "TestReport", "build_images",
    "run", "run_tests",
]
