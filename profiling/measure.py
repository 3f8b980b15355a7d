"""Measure A and B interleaved in one sandbox and decide whether B is better (see ``decision``).

Protocol (pyperf / criterion.rs ideas, adapted to a sandbox where every run is a fresh process):

1. warm-up: each program runs once unmeasured (container, page cache and compiler caches get warm; a
   program that fails raises :class:`MeasurementError`, one whose answers are wrong
   :class:`BehaviourMismatch` -- ``Program.check`` sees every run that makes calls);
2. start-up: each program runs ``STARTUP_RUNS`` times with repeat count 0 (interpreter, imports, no
   workload); overlapping start-ups get one pooled median for both, else each its own, but B's is never
   taken above A's: a candidate that inflates its own repeat-0 runs (an ``atexit`` that burns CPU when
   nothing was called) gains nothing; an honestly heavier start-up is spread over B's repetitions
   (conservative);
3. calibration, **per program**: each program's own repeat count N grown until its workload loop lasts
   at least ``min_sample_s`` (100 ms) of CPU time above its start-up, capped so its sample stays under a
   quarter of the wall limit. A slow original runs once per sample, not as often as the fast candidate;
4. interleaved pairs, the order inside each pair drawn at random, every sample a **fresh process**, in
   the looks of a :class:`~profiling.decision.SequentialPlan` (10, 15, 22, 32, 46, 68, 100 pairs for one
   candidate). At each
   look the paired test decides at ``alpha / k / looks``; measuring stops at the first look that is
   decided, or whose interval lies inside the +-min_effect band, or at the last look, or when the time
   budget would be passed before the next look (then the look is taken early with the pairs in hand).

Values compared: for time metrics the **cost per repetition**, ``(sample - start-up) / N``; memory and CPU
utilisation are intensive and compare as measured. Every sample keeps its whole ``Profile``; other
metrics of the same pairs are compared beside (point 7 of issue 15): a memory or CPU-utilisation win
with CPU time or wall time significantly worse is not "better" (a candidate that sleeps lowers its CPU
utilisation and raises its wall time), nor a CPU-time win with wall time significantly worse (work moved
where rusage does not see it); a time decision reports the peak-memory change.

The runner is anything with ``.run(RunSpec) -> Result`` (a warm ``sandbox.Sandbox``); it is injected so
that this module never imports the sandbox package, which itself imports ``profiling.metrics``.
"""

from __future__ import annotations

import logging
import math
import random
import time
from dataclasses import dataclass, field
from statistics import median
from typing import Any, Callable, Optional, Protocol

from profiling.batch import BatchError, batch_runner
from profiling.decision import NO_DIFFERENCE, Decision, SequentialPlan, decide, settled, side_metric
from profiling.programs import Program, as_program

log = logging.getLogger(__name__)

# metric name -> (Profile attribute, unit, what it is)
METRICS: dict[str, tuple[str, str, str]] = {
    "time": ("cpu_time_s", "s", "CPU time per repetition, user+sys of the sample's processes (kernel rusage) "
                                "above the program's start-up"),
    "cpu_time": ("cpu_time_s", "s", "CPU time per repetition, user+sys of the sample's processes (kernel rusage) "
                                    "above the program's start-up"),
    "wall_time": ("wall_time_s", "s", "wall-clock time per repetition above the program's start-up"),
    "peak_memory": ("peak_memory_bytes", "B", "peak resident set size (kernel ru_maxrss via wait4)"),
    "mean_memory": ("mean_memory_bytes", "B", "time-weighted mean resident set size (sampled every 5-20 ms)"),
    "cpu": ("cpu_utilisation", "", "CPU utilisation, CPU time / wall time (lower is better)"),
}
PER_REPETITION = {"time", "cpu_time", "wall_time"}  # extensive: divided by the repeat count
# Other metrics of the same samples: a significant worsening of a blocking one keeps "better" away.
BLOCKING_SIDES: dict[str, tuple[str, ...]] = {
    "time": ("wall_time",), "cpu_time": ("wall_time",), "wall_time": (),
    "peak_memory": ("cpu_time", "wall_time"), "mean_memory": ("cpu_time", "wall_time"),
    "cpu": ("cpu_time", "wall_time"),
}
REPORTED_SIDES: dict[str, tuple[str, ...]] = {
    "time": ("peak_memory",), "cpu_time": ("peak_memory",), "wall_time": ("cpu_time", "peak_memory"),
}
PAIRS_PER_SESSION = 5  # pairs run in one sandbox session (compiled once; cancel/budget checked between)
# Every run of A goes to seat 0, every run of B to seat 1 (profiling/batch.py): containers of their own, each
# with its own uid, in every batch and single run of the measurement.
SEATS = {"A": 0, "B": 1}
STARTUP_RUNS = 3  # repeat-0 runs per program; their median is its start-up cost
MIN_GROWTH = 1.25  # a loop just under the target grows a little, not 2x (samples stay near min_sample_s)
LOOP_FLOOR = 0.01  # a sample's loop part is never taken below 1% of the sample (start-up noise)


class Runner(Protocol):
    def run(self, spec: Any) -> Any: ...


class MeasurementError(RuntimeError):
    """A program failed, timed out or ran out of memory while being measured."""


class BehaviourMismatch(MeasurementError):
    """A measured run's answers differ from the original's (``Program.check`` said so): the candidate
    behaves differently when timed, and nothing it measured counts."""


class MeasurementCancelled(RuntimeError):
    pass


@dataclass
class Side:
    """One program as measured: its repeat count, start-up cost and every timed sample's Profile."""

    program: Program
    label: str
    repeat: int = 1
    startup_cpu: float = 0.0
    startup_wall: float = 0.0
    profiles: list = field(default_factory=list)

    def value(self, profile: Any, metric: str) -> float:
        """The compared value of one sample: cost per repetition for time metrics, else as measured."""
        attribute = METRICS[metric][0]
        raw = float(getattr(profile, attribute))
        if metric not in PER_REPETITION:
            return raw
        startup = self.startup_wall if metric == "wall_time" else self.startup_cpu
        return max(raw - startup, LOOP_FLOOR * raw) / self.repeat

    def values(self, metric: str) -> list[float]:
        return [self.value(p, metric) for p in self.profiles]


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


def _stop(cancel) -> None:
    if cancel is not None and cancel.is_set():
        raise MeasurementCancelled("measurement cancelled")


def run_on_seat(run_batch: Callable[..., list], side: Side, spec: Any) -> Any:
    """One run of ``side``'s program, in its own seat (a batch of one)."""
    try:
        return run_batch([spec], seats=[SEATS[side.label]])[0]
    except BatchError as exc:
        raise MeasurementError(f"the sandbox failed while running program {side.label}: {exc}") from exc


def measure_startup(run_batch: Callable[..., list], a: Side, b: Side, runs: int = STARTUP_RUNS) -> list[str]:
    """Each program's start-up cost (CPU and wall) from ``runs`` interleaved repeat-0 runs in one session.

    Start-ups that overlap (the same interpreter and imports, the usual case) get one pooled median, the
    same number subtracted from both: an error in it then shifts A's and B's cost per repetition alike.
    B entirely below A: each its own median (a genuinely lighter start-up). B entirely above A: B gets A's
    -- a candidate cannot buy a lower cost per repetition by making its repeat-0 runs heavier.
    """
    specs = {"A": a.program.spec(0), "B": b.program.spec(0)}
    labels = [label for _ in range(runs) for label in ("A", "B")]
    try:
        results = run_batch([specs[label] for label in labels], seats=[SEATS[label] for label in labels])
    except BatchError as exc:
        raise MeasurementError(f"the sandbox failed while measuring start-up: {exc}") from exc
    profiles = {side.label: [r.profile for label, r in zip(labels, results) if label == side.label
                             and getattr(r, "ok", False)] for side in (a, b)}
    if not profiles["A"] or not profiles["B"]:
        failed = " and ".join(label for label in ("A", "B") if not profiles[label])
        return [f"program {failed} did not run with repeat count 0: nothing subtracted as start-up"]
    notes = []
    for attr, field_name in (("cpu_time_s", "startup_cpu"), ("wall_time_s", "startup_wall")):
        xs, ys = [getattr(p, attr) for p in profiles["A"]], [getattr(p, attr) for p in profiles["B"]]
        if min(ys) > max(xs):
            mine, theirs = median(xs), median(xs)
            if attr == "cpu_time_s":
                notes.append(f"B's start-up ({median(ys) * 1000:.1f} ms CPU) is heavier than A's "
                             f"({median(xs) * 1000:.1f} ms): only A's is subtracted from B's samples")
        elif max(ys) < min(xs):
            mine, theirs = median(xs), median(ys)
        else:
            mine = theirs = median(xs + ys)
        setattr(a, field_name, mine)
        setattr(b, field_name, theirs)
    return notes


def calibrate(run_batch: Callable[..., list], sides: list[Side], first: dict[str, Any], min_sample_s: float = 0.1,
              max_loop: int = 10 ** 7, cancel=None, metric: str = "time") -> list[str]:
    """Each program's own repeat count: grown until *its* workload loop lasts at least ``min_sample_s``
    above its start-up (CPU time; wall time for the wall-time metric, so a loaded machine does not shrink
    N), capped so its sample stays under a quarter of the wall limit. ``first[label]`` is a result at
    repeat count 1 (the warm-up's) or missing. ``run_batch``: :func:`profiling.batch.batch_runner`'s (each
    program runs in its own seat). Sets ``side.repeat``."""
    notes: list[str] = []
    wall = metric == "wall_time"
    latest = dict(first)
    pending = list(sides)
    while pending:
        for side in list(pending):
            _stop(cancel)
            if side.label not in latest:
                latest[side.label] = _check(run_on_seat(run_batch, side, side.program.spec(side.repeat)),
                                            side.label, side.repeat, side.program)
            result = latest.pop(side.label)
            startup = side.startup_wall if wall else side.startup_cpu
            loop = (result.profile.wall_time_s if wall else result.profile.cpu_time_s) - startup
            if loop >= min_sample_s or side.repeat >= max_loop:
                pending.remove(side)
                continue
            wall_limit = float(side.program.spec(1).limits.wall_time_s)
            grow = max(MIN_GROWTH, 1.2 * min_sample_s / max(loop, 1e-4))
            ceiling = max(1, int(side.repeat * (wall_limit / 4) / max(result.profile.wall_time_s, 1e-4)))
            new = min(max_loop, ceiling, math.ceil(side.repeat * grow))
            if new <= side.repeat:
                notes.append(f"program {side.label}: workload under {min_sample_s * 1000:.0f} ms per sample; more "
                             f"repetitions would bring it near the {wall_limit:.0f} s wall limit")
                pending.remove(side)
                continue
            side.repeat = new
    return notes


def _sides_of(metric: str, a: Side, b: Side, *, alpha: float, min_effect: float) -> list:
    out = []
    for names, blocking in ((BLOCKING_SIDES.get(metric, ()), True), (REPORTED_SIDES.get(metric, ()), False)):
        for name in names:
            found = side_metric(name, a.values(name), b.values(name), alpha=alpha, min_effect=min_effect,
                                blocking=blocking)
            if found is not None:
                out.append(found)
    return out


def compare_programs(runner: Runner, spec_a: Any, spec_b: Any, *, metric: str = "time", budget_s: float = 60.0,
                     min_pairs: int = 6, max_pairs: int = 100, min_sample_s: float = 0.1, warmup: int = 1,
                     min_effect: float = 0.05, alpha: float = 0.05, comparisons: int = 1,
                     lower_is_better: bool = True, seed: Optional[int] = None, repeat: Optional[int] = None,
                     cancel=None, on_progress: Optional[Callable[[int, Optional[Decision]], None]] = None,
                     clock: Callable[[], float] = time.monotonic) -> Decision:
    """Measure baseline ``spec_a`` and candidate ``spec_b`` interleaved with ``runner`` and decide.

    ``spec_a`` / ``spec_b``: a :class:`profiling.programs.Program`, a ``RunSpec`` (one run per sample) or
    a callable ``repeat -> RunSpec``. ``metric``: one of :data:`METRICS` ("time" is CPU time). ``repeat``
    skips calibration with one count for both. The plan's first look is at ``min_pairs`` pairs or more (as
    many as its level needs), its last at ``max_pairs``; the first look is always reached, ``budget_s``
    bounds the later ones. ``cancel``: an Event-like object checked between sandbox sessions (at most 5
    pairs apart). ``on_progress(pairs, decision at a look or None)``. ``clock``: for simulations.
    Raises :class:`MeasurementError` when a run fails, :class:`BehaviourMismatch` when a run's check fails.
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose from {', '.join(METRICS)}")
    if min_pairs < 2:
        raise ValueError("min_pairs must be >= 2")
    start = clock()
    plan = SequentialPlan.build(alpha, comparisons, first=min_pairs, last=max(max_pairs, min_pairs))
    a, b = Side(as_program(spec_a), "A"), Side(as_program(spec_b), "B")
    run_batch = batch_runner(runner)
    first: dict[str, Any] = {}
    for _ in range(warmup):
        for side in (a, b):
            _stop(cancel)
            first[side.label] = _check(run_on_seat(run_batch, side, side.program.spec(1)), side.label, 1, side.program)
    notes: list[str] = []
    loopable = a.program.loopable and b.program.loopable
    if not loopable:
        notes.append("a program cannot repeat its workload (no repeat count): one run per sample, start-up included")
    else:
        _stop(cancel)
        notes += measure_startup(run_batch, a, b)
        if repeat is None:
            notes += calibrate(run_batch, [a, b], first, min_sample_s, cancel=cancel, metric=metric)
        else:
            a.repeat = b.repeat = repeat
    spec = {"A": a.program.spec(a.repeat), "B": b.program.spec(b.repeat)}
    side_of = {"A": a, "B": b}
    order = random.Random(seed)
    short = 0
    pairs, pair_s = 0, 0.0
    decision: Optional[Decision] = None
    for look, target in enumerate(plan.looks, 1):
        cut = False
        while pairs < target:
            _stop(cancel)
            if pairs >= plan.looks[0] and clock() - start + pair_s * (target - pairs) > budget_s:
                cut = True
                break
            k = min(PAIRS_PER_SESSION, target - pairs)
            labels = [label for _ in range(k) for label in (("A", "B") if order.random() < 0.5 else ("B", "A"))]
            chunk_start = clock()
            try:
                results = run_batch([spec[label] for label in labels], seats=[SEATS[label] for label in labels])
            except BatchError as exc:
                raise MeasurementError(f"the sandbox failed while measuring: {exc}") from exc
            for label, result in zip(labels, results):
                side = side_of[label]
                _check(result, label, side.repeat, side.program)
                side.profiles.append(result.profile)
                short += (result.profile.wall_time_s if metric == "wall_time" else result.profile.cpu_time_s) \
                    < min_sample_s
            pairs += k
            pair_s = (clock() - chunk_start) / k
            if on_progress and pairs < target:
                on_progress(pairs, None)
        if cut and decision is not None and decision.n_pairs == pairs:
            decision.stopped = "budget"
            break
        decision = decide(a.values(metric), b.values(metric), lower_is_better=lower_is_better,
                          min_effect=min_effect, alpha=alpha, comparisons=comparisons, looks=len(plan.looks),
                          metric=metric, unit=METRICS[metric][1])
        decision.look = look
        if on_progress:
            on_progress(pairs, decision)
        if settled(decision) or cut or look == len(plan.looks):
            decision.stopped = ("decided" if decision.verdict != NO_DIFFERENCE else "inside the band"
                                if settled(decision) else "budget" if cut else "last look")
            break
    assert decision is not None  # the plan has at least one look, and the first is always reached
    decision.side = _sides_of(metric, a, b, alpha=alpha, min_effect=min_effect)
    blocked = [s.describe() for s in decision.side if s.blocking and s.worse]
    if blocked and decision.better:
        decision.verdict, decision.blocked_by = NO_DIFFERENCE, "; ".join(blocked)
    if short:
        notes.append(f"{short} of {2 * pairs} samples lasted under {min_sample_s * 1000:.0f} ms")
    notes.append(f"metric: {METRICS[metric][2]}")
    notes.append(f"plan: looks at {', '.join(map(str, plan.looks))} pairs, each at alpha/k/looks = "
                 f"{plan.alpha_per_look:.3g}; stopped at look {decision.look} ({decision.stopped})")
    decision.notes = notes + decision.notes
    decision.looks = list(plan.looks)
    decision.loop_count_a, decision.loop_count_b = a.repeat, b.repeat
    decision.loop_count = min(a.repeat, b.repeat)
    attr = "startup_wall" if metric == "wall_time" else "startup_cpu"
    decision.startup_a, decision.startup_b = getattr(a, attr), getattr(b, attr)
    decision.profiles_a, decision.profiles_b = list(a.profiles), list(b.profiles)
    decision.seconds = clock() - start
    log.info("compare %s: %s (%d pairs, repeat %d/%d, %.1fs)", metric, decision.summary(), pairs, a.repeat,
             b.repeat, decision.seconds)
    return decision
