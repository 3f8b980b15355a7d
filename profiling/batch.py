"""Several timed runs in one sandbox session: compile A and B once, then run them interleaved.

Every run is still its own fresh process (one supervisor step), with the same limits; what a batch saves is
a session per run and, for C++/Java/Go/Rust, recompiling the program for every sample. The batch is one
payload of several programs: each program runs in a container of its own, its **seat** (sandbox/pool.py),
as the seat's own uid, and the sandbox interleaves their steps across the containers in the batch's order,
one after another. So A and B share no uid, no process namespace and no writable area, and neither can
read the other's files. Inside its container, a program's files (in /work/run/p<seat>) are read-only to its
runs, and before and after each run /tmp, /dev/shm and SysV IPC are emptied and the run directory is checked
and put back as the build left it (sandbox/supervisor/isolation.py): a run that changed one of its program
files fails with "modified files it does not own", which stops the measurement of that candidate.

``run_batch(specs, seats)``: ``seats[i]`` is the seat of ``specs[i]``'s program (default: programs in order of
first appearance get seats 0, 1, ...); a measurement gives A seat 0 and B seat 1 in every batch and single
run, so that B never runs as A's uid. Used when the runner is a ``sandbox.Sandbox`` (it has ``.session``);
any other runner (a fake, a remote sandbox) gets one ``.run`` per spec. The sandbox's payload helpers are
imported lazily.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Optional

log = logging.getLogger(__name__)


class BatchError(RuntimeError):
    """The session itself failed (no report): raised with the sandbox's message."""


def batch_runner(runner: Any) -> Callable[..., list]:
    """``run_batch(specs, seats=None) -> results`` for ``runner``: one session per batch when it is possible."""
    if not hasattr(runner, "session"):
        return lambda specs, seats=None: [runner.run(spec) for spec in specs]
    try:
        from sandbox.languages import plan
        from sandbox.runner import WORKDIR, build_payload, result_from_report, spec_files, step_dict
    except ImportError:  # pragma: no cover - a sandbox without these helpers: fall back to single runs
        return lambda specs, seats=None: [runner.run(spec) for spec in specs]

    def run_batch(specs: list, seats: Optional[list[int]] = None) -> list:
        distinct: list = []
        seat_of: list[int] = []
        for at, spec in enumerate(specs):
            if not any(spec is s for s in distinct):
                distinct.append(spec)
                seat_of.append(seats[at] if seats is not None else len(seat_of))
        if len(set(seat_of)) != len(seat_of):
            raise ValueError(f"two programs of one batch share a seat: {seat_of}")
        first = distinct[0]
        if any(s.language != first.language or s.limits != first.limits for s in distinct):
            return [runner.run(spec) for spec in specs]  # different containers: no shared session
        limits = first.limits
        programs, steps, where = [], [], []  # where[i]: (compile step index or None) for distinct[i]
        for number, spec in enumerate(distinct):
            prefix = f"p{seat_of[number]}"  # one name per seat: A's files are in p0, B's in p1, in every batch
            p = plan(spec.language, spec_files(spec), spec.args, spec.mode, f"{WORKDIR}/{prefix}",
                     getattr(spec, "read_once", ()))
            programs.append(dict(build_payload([(f"{prefix}/", p)], [], limits), seat=seat_of[number]))
            build_at = None
            if p.build:
                build_at = len(steps)
                steps.append(dict(step_dict(f"{prefix}:compile", p.build, limits.compile_time_s,
                                            limits.compile_time_s, limits, prefix, build=True), program=number))
            where.append((prefix, p, build_at))
        run_at = []
        for i, spec in enumerate(specs):
            number = next(n for n, s in enumerate(distinct) if s is spec)
            prefix, p, build_at = where[number]
            run_at.append((number, len(steps)))
            steps.append(dict(step_dict(f"{prefix}:run{i}", p.run, limits.wall_time_s, limits.cpu_time_s, limits,
                                        prefix, stdin=spec.stdin, requires=build_at), program=number))
        outcome, _ = runner.session(first.language, limits, {"programs": programs, "steps": steps})
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
