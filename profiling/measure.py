"""Measure A and B interleaved in one sandbox and decide whether B is better (see ``decision``).

Protocol (pyperf / criterion.rs ideas, adapted to a sandbox where every run is a fresh process):

1. warm-up: each program runs once unmeasured (the container, page cache and compiler caches get warm;
   a program that fails here raises :class:`MeasurementError` -- correctness is checked elsewhere);
2. calibration: one repeat count N, the same for A and B, grown until the *faster* program's workload
   loop lasts at least ``min_sample_s`` (100 ms) of CPU time on top of its process start (measured
   with N = 0), and capped so the slower one stays well inside the wall-clock limit;
3. at least ``min_pairs`` interleaved pairs, the order inside each pair drawn at random (so neither
   program always runs first, after the other's cache footprint); every sample is a **fresh process**
   (nothing a candidate caches survives into the next sample). With a real ``sandbox.Sandbox`` a few
   pairs share one supervisor session (A and B compiled once; see ``profiling.batch``);
4. while the decision is open and its interval is wider than the +-min_effect band, more pairs, until
   ``max_pairs`` or the time budget.

The runner is anything with ``.run(RunSpec) -> Result`` (a warm ``sandbox.Sandbox``); it is injected so
that this module never imports the sandbox package, which itself imports ``profiling.metrics``.
"""

from __future__ import annotations

import logging
import math
import random
import time
from typing import Any, Callable, Optional, Protocol

from profiling.batch import BatchError, batch_runner
from profiling.decision import Decision, decide, settled
from profiling.programs import Program, as_program

log = logging.getLogger(__name__)

# metric name -> (Profile attribute, unit, what it is)
METRICS: dict[str, tuple[str, str, str]] = {
    "time": ("cpu_time_s", "s", "CPU time, user+sys of the sample's processes (kernel rusage)"),
    "cpu_time": ("cpu_time_s", "s", "CPU time, user+sys of the sample's processes (kernel rusage)"),
    "wall_time": ("wall_time_s", "s", "wall-clock time of the sample's process"),
    "peak_memory": ("peak_memory_bytes", "B", "peak resident set size (kernel ru_maxrss via wait4)"),
    "mean_memory": ("mean_memory_bytes", "B", "time-weighted mean resident set size (sampled every 5-20 ms)"),
    "cpu": ("cpu_utilisation", "", "CPU utilisation, CPU time / wall time (lower is better)"),
}
DECIDE_EVERY = 10  # pairs between interim decisions once min_pairs are in
PAIRS_PER_SESSION = 5  # pairs run in one sandbox session (compiled once; cancel/budget checked between)


class Runner(Protocol):
    def run(self, spec: Any) -> Any: ...


class MeasurementError(RuntimeError):
    """A program failed, timed out or ran out of memory while being measured."""


class BehaviourMismatch(MeasurementError):
    """A measured run's answers differ from the original's (``Program.check`` said so): the candidate
    behaves differently when timed, and nothing it measured counts."""


class MeasurementCancelled(RuntimeError):
    pass


def metric_value(result: Any, metric: str) -> float:
    attribute = METRICS[metric][0]
    return float(getattr(result.profile, attribute))


def _check(result: Any, label: str, repeat: int, program: Optional[Program] = None) -> Any:
    if not getattr(result, "ok", False):
        status = getattr(getattr(result, "status", None), "value", getattr(result, "status", "?"))
        detail = (getattr(result, "message", "") or getattr(result, "stderr", "") or "")[-600:]
        raise MeasurementError(f"program {label} did not run cleanly with repeat count {repeat}: {status}"
                               + (f": {detail.strip()}" if detail.strip() else ""))
    if program is not None and program.check is not None and repeat > 0:
        problem = program.check(result)
        if problem:
            raise BehaviourMismatch(f"program {label} (repeat count {repeat}): {problem}")
    return result


def _loop_part(result: Any, base: tuple[float, float], wall: bool) -> float:
    """Seconds of a sample spent in the workload loop: CPU (or, for the wall-time metric, wall) time
    above the repeat-0 run's. CPU time, because on a loaded machine wall time swells with waiting for a
    core and would stop the calibration early."""
    if wall:
        return result.profile.wall_time_s - base[1]
    return result.profile.cpu_time_s - base[0]


def calibrate(runner: Runner, a: Program, b: Program, min_sample_s: float = 0.1, max_loop: int = 10 ** 7,
              cancel=None, metric: str = "time") -> tuple[int, list[str]]:
    """Repeat count N (the same for A and B) for which the *faster* program's workload loop lasts at
    least ``min_sample_s``: samples of >= 100 ms of work, on top of the process start.

    The start-up cost (interpreter, JIT, imports) is measured with N = 0 and subtracted, otherwise a
    node or JVM start of ~100 ms would pass the threshold with one cheap iteration and drown the
    difference between A and B. CPU time is used (wall time for the wall-time metric), so a loaded
    machine does not shrink N; a program that mostly sleeps grows N up to the wall-limit cap.
    """
    notes: list[str] = []
    if not (a.loopable and b.loopable):
        notes.append("a program cannot repeat its workload (no repeat count): one run per sample")
        return 1, notes
    wall_limit = float(a.spec(1).limits.wall_time_s)
    bases = []
    for program in (a, b):
        _stop(cancel)
        zero = runner.run(program.spec(0))
        bases.append((zero.profile.cpu_time_s, zero.profile.wall_time_s) if getattr(zero, "ok", False) else (0.0, 0.0))
    n = 1
    while True:
        _stop(cancel)
        results = [_check(runner.run(p.spec(n)), label, n, p) for p, label in ((a, "A"), (b, "B"))]
        parts = [_loop_part(r, base, metric == "wall_time") for r, base in zip(results, bases)]
        fast = min(parts)
        slow_wall = max(r.profile.wall_time_s for r in results)
        if fast >= min_sample_s or n >= max_loop:
            return n, notes
        grow = max(2.0, 1.2 * min_sample_s / max(fast, 1e-4))
        ceiling = max(1, int(n * (wall_limit / 4) / max(slow_wall, 1e-4)))  # the slower sample < limit/4
        new_n = min(max_loop, ceiling, math.ceil(n * grow))
        if new_n <= n:
            notes.append(f"workload under {min_sample_s * 1000:.0f} ms per sample: more repetitions would bring "
                         f"the slower program near the {wall_limit:.0f} s wall limit")
            return n, notes
        n = new_n


def _stop(cancel) -> None:
    if cancel is not None and cancel.is_set():
        raise MeasurementCancelled("measurement cancelled")


def compare_programs(runner: Runner, spec_a: Any, spec_b: Any, *, metric: str = "time", budget_s: float = 60.0,
                     min_pairs: int = 20, max_pairs: int = 200, min_sample_s: float = 0.1, warmup: int = 1,
                     min_effect: float = 0.05, alpha: float = 0.05, comparisons: int = 1,
                     lower_is_better: bool = True, seed: Optional[int] = None, repeat: Optional[int] = None,
                     cancel=None, on_progress: Optional[Callable[[int, Optional[Decision]], None]] = None
                     ) -> Decision:
    """Measure baseline ``spec_a`` and candidate ``spec_b`` interleaved with ``runner`` and decide.

    ``spec_a`` / ``spec_b``: a :class:`profiling.programs.Program`, a ``RunSpec`` (one run per sample) or
    a callable ``repeat -> RunSpec``. ``metric``: one of :data:`METRICS` ("time" is CPU time). ``repeat``
    skips calibration with a given count. ``min_pairs`` are always taken; ``budget_s`` bounds the extra
    pairs. ``cancel``: an Event-like object checked between sandbox sessions (at most 5 pairs apart).
    ``on_progress(pairs, interim decision or None)``.
    Raises :class:`MeasurementError` when a run fails (the programs must already be correct).
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose from {', '.join(METRICS)}")
    if min_pairs < 2:
        raise ValueError("min_pairs must be >= 2")
    start = time.monotonic()
    a, b = as_program(spec_a), as_program(spec_b)
    for _ in range(warmup):
        for program, label in ((a, "A"), (b, "B")):
            _stop(cancel)
            _check(runner.run(program.spec(1)), label, 1, program)
    notes: list[str] = []
    if repeat is None:
        repeat, notes = calibrate(runner, a, b, min_sample_s, cancel=cancel, metric=metric)
    spec = {"A": a.spec(repeat), "B": b.spec(repeat)}
    run_batch = batch_runner(runner)
    order = random.Random(seed)
    samples: dict[str, list[float]] = {"A": [], "B": []}
    short = 0
    decision: Optional[Decision] = None
    pairs, pair_s = 0, 0.0
    while True:
        _stop(cancel)
        # Pairs in this session: up to the next interim decision (every DECIDE_EVERY after min_pairs).
        due = min_pairs - pairs if pairs < min_pairs else DECIDE_EVERY - (pairs - min_pairs) % DECIDE_EVERY
        k = max(1, min(PAIRS_PER_SESSION, due, max_pairs - pairs))
        labels = [label for _ in range(k) for label in (("A", "B") if order.random() < 0.5 else ("B", "A"))]
        chunk_start = time.monotonic()
        try:
            results = run_batch([spec[label] for label in labels])
        except BatchError as exc:
            raise MeasurementError(f"the sandbox failed while measuring: {exc}") from exc
        for label, result in zip(labels, results):
            _check(result, label, repeat, a if label == "A" else b)
            samples[label].append(metric_value(result, metric))
            short += (result.profile.wall_time_s if metric == "wall_time" else result.profile.cpu_time_s) \
                < min_sample_s
        pairs += k
        pair_s = (time.monotonic() - chunk_start) / k
        if pairs < min_pairs:
            if on_progress:
                on_progress(pairs, None)
            continue
        out_of_time = time.monotonic() - start + pair_s * min(PAIRS_PER_SESSION, DECIDE_EVERY) > budget_s
        if (pairs - min_pairs) % DECIDE_EVERY == 0 or out_of_time or pairs >= max_pairs:
            decision = decide(samples["A"], samples["B"], lower_is_better=lower_is_better, min_effect=min_effect,
                              alpha=alpha, comparisons=comparisons, metric=metric, unit=METRICS[metric][1],
                              seed=seed or 0)
            if on_progress:
                on_progress(pairs, decision)
            if settled(decision) or out_of_time or pairs >= max_pairs:
                break
    if short:
        notes.append(f"{short} of {2 * pairs} samples lasted under {min_sample_s * 1000:.0f} ms")
    notes.append(f"metric: {METRICS[metric][2]}")
    decision.notes = notes + decision.notes
    decision.loop_count = repeat
    decision.seconds = time.monotonic() - start
    log.info("compare %s: %s (%d pairs, repeat %d, %.1fs)", metric, decision.summary(), pairs, repeat,
             decision.seconds)
    return decision
