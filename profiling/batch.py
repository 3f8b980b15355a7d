"""Several timed runs in one sandbox session: compile A and B once, then run them interleaved.

Every run is still its own fresh process (one supervisor step each), in the same container with the
same limits; what a batch saves is a session per run and, for C++/Java/Go/Rust, recompiling the program
for every sample. Program i's files are in /work/run/p<i>; the supervisor keeps the programs apart in time
(sandbox/supervisor/isolation.py): their files are read-only to every run, and before and after each run
/tmp, /dev/shm and SysV IPC are emptied and the run directory is checked and put back as the builds left
it. A run that changed a program file (the other program's or its own) fails with "modified files it does
not own", which stops the measurement of that candidate.

Used when the runner is a ``sandbox.Sandbox`` (it has ``.session``); any other runner (a fake, a
remote sandbox) gets one ``.run`` per spec. The sandbox's payload helpers are imported lazily.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

log = logging.getLogger(__name__)


class BatchError(RuntimeError):
    """The session itself failed (no report): raised with the sandbox's message."""


def batch_runner(runner: Any) -> Callable[[list], list]:
    """``run_batch(specs) -> results`` for ``runner``: one session per batch when it is possible."""
    if not hasattr(runner, "session"):
        return lambda specs: [runner.run(spec) for spec in specs]
    try:
        from sandbox.languages import plan
        from sandbox.runner import WORKDIR, build_payload, result_from_report, spec_files, step_dict
    except ImportError:  # pragma: no cover - a sandbox without these helpers: fall back to single runs
        return lambda specs: [runner.run(spec) for spec in specs]

    def run_batch(specs: list) -> list:
        distinct: list = []
        for spec in specs:
            if not any(spec is s for s in distinct):
                distinct.append(spec)
        first = distinct[0]
        if any(s.language != first.language or s.limits != first.limits for s in distinct):
            return [runner.run(spec) for spec in specs]  # different containers: no shared session
        limits = first.limits
        plans, steps, where = [], [], []  # where[i]: (compile step index or None) for distinct[i]
        for number, spec in enumerate(distinct):
            prefix = f"p{number}"
            p = plan(spec.language, spec_files(spec), spec.args, spec.mode, f"{WORKDIR}/{prefix}",
                     getattr(spec, "read_once", ()))
            plans.append((f"{prefix}/", p))
            build_at = None
            if p.build:
                build_at = len(steps)
                steps.append(step_dict(f"{prefix}:compile", p.build, limits.compile_time_s, limits.compile_time_s,
                                       limits, prefix, build=True))
            where.append((prefix, p, build_at))
        run_at = []
        for i, spec in enumerate(specs):
            number = next(n for n, s in enumerate(distinct) if s is spec)
            prefix, p, build_at = where[number]
            run_at.append((number, len(steps)))
            steps.append(step_dict(f"{prefix}:run{i}", p.run, limits.wall_time_s, limits.cpu_time_s, limits, prefix,
                                   stdin=spec.stdin, requires=build_at))
        outcome, _ = runner.session(first.language, limits, build_payload(plans, steps, limits))
        if outcome.report is None:
            raise BatchError(outcome.error or "the sandbox session ended without a report")
        raw = outcome.report.get("steps", [])
        results = []
        for number, at in run_at:
            build_at = where[number][2]
            chosen = ([raw[build_at]] if build_at is not None and build_at < len(raw) else []) + \
                     ([raw[at]] if at < len(raw) else [])
            report = {"steps": chosen, "error": outcome.report.get("error")}
            results.append(result_from_report(report, distinct[number], build_at is not None))
        return results

    return run_batch
