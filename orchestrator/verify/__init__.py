"""The verification engine: a candidate in, a typed verdict with its evidence out.

Everything that decides whether a candidate may replace the original lives here, and code outside this package
imports it from here (the names below), never from the rooms:

  engine.py       the one entry: Verifier.verify(code, label) -> Verdict
  verdict.py      the typed outcome (Verdict, Check) and its evidence
  novelty.py      duplicates of the original or an earlier candidate, rejected before anything runs
  testing/        which tests judge a function (testsuite, imports_reach) and what a failing test's call returned
  running/        running candidates in the sandbox, per language (execution, pyjobs, timed, percall) and the
                  in-sandbox Python driver (running/in_sandbox/, shipped as text, never run on the host)
  checks/         the differential and state checks against the original (behaviour, differential, shapes; progdiff
                  for the other languages)
  method_calls/   calling a method of a class: its kind and the receivers the tests call it on
  workloads/      what a timed run calls: the workload's arguments, growing it, traced inputs

The measured decision itself is profiling.compare_programs. The search loop (orchestrator/loop.py, refine.py) only
calls the engine. Names are resolved when first used, so importing this package loads no room: each room is
imported where its name is first needed (what the rooms import, e.g. hypothesis, stays off the import path of code
that does not use it).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# name -> the module that defines it
_HOME = {
    "Verifier": "engine",
    "Verdict": "verdict", "Check": "verdict",
    "Suite": "testing.testsuite", "TestSource": "testing.testsuite", "discover": "testing.testsuite",
    "select_by_coverage": "testing.testsuite", "designed_tests": "testing.testsuite",
    "with_values": "testing.failure_values",
    "TestRun": "running.execution", "PythonExecution": "running.execution", "HarnessExecution": "running.execution",
    "WORKLOAD_TOO_SMALL": "running.execution",
    "project_files": "running.pyjobs",
    "PythonBehaviour": "checks.behaviour", "ProgramDifferential": "checks.progdiff",
    "grow_workload": "workloads.workload",
    "traced_workload": "workloads.traced", "add_replay_tests": "workloads.traced",
}
__all__ = sorted(_HOME)


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # the same names, for type checkers and editors
    from orchestrator.verify.checks.behaviour import PythonBehaviour
    from orchestrator.verify.checks.progdiff import ProgramDifferential
    from orchestrator.verify.engine import Verifier
    from orchestrator.verify.running.execution import WORKLOAD_TOO_SMALL, HarnessExecution, PythonExecution, TestRun
    from orchestrator.verify.running.pyjobs import project_files
    from orchestrator.verify.testing.failure_values import with_values
    from orchestrator.verify.testing.testsuite import Suite, TestSource, designed_tests, discover, select_by_coverage
    from orchestrator.verify.verdict import Check, Verdict
    from orchestrator.verify.workloads.traced import add_replay_tests, traced_workload
    from orchestrator.verify.workloads.workload import grow_workload
