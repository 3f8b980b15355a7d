"""compare_programs and the loopable programs against a scripted runner (unit tests; the real sandbox is
exercised in test_compare_docker.py)."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

import pytest

from profiling import (BETTER, NO_DIFFERENCE, BehaviourMismatch, MeasurementCancelled, MeasurementError, Program,
                       compare_programs, fixed, program_for_source, python_workload, repeat_arg)
from profiling.metrics import Profile
from sandbox.models import Limits, Result, RunSpec, Status


@dataclass
class Behaviour:
    """How a scripted program spends a sample of repeat count n."""

    per_iter: float  # CPU seconds per repetition
    startup: float = 0.02  # CPU seconds of the process start
    idle_per_iter: float = 0.0  # seconds asleep per repetition (wall time, no CPU)
    memory: int = 10_000_000
    startup_burn_when_idle: float = 0.0  # extra CPU only in repeat-0 runs (an atexit that burns when uncalled)


class ScriptedRunner:
    """Fake sandbox: a sample of program P with repeat count n uses startup + n * per_iter CPU seconds
    (lognormal noise), its wall time adds the sleeping."""

    def __init__(self, programs: dict[str, Behaviour | float], noise=0.01, fail: str | None = None, seed=0):
        self.programs = {k: v if isinstance(v, Behaviour) else Behaviour(v) for k, v in programs.items()}
        self.noise, self.fail = noise, fail
        self.rng = random.Random(seed)
        self.log: list[tuple[str, int]] = []

    def run(self, spec: RunSpec) -> Result:
        name = spec.files["program.py"] if "program.py" in spec.files else spec.source
        n = int(spec.args[-1]) if spec.args else 1
        self.log.append((name, n))
        if name == self.fail:
            return Result(status=Status.TIMEOUT, message="the program exceeded its wall-clock time limit")
        p = self.programs[name]
        cpu = (p.startup + n * p.per_iter + (p.startup_burn_when_idle if n == 0 else 0.0)) \
            * self.rng.lognormvariate(0, self.noise)
        wall = cpu * 1.02 + n * p.idle_per_iter
        return Result(status=Status.OK, profile=Profile(wall_time_s=wall, cpu_time_s=cpu, peak_memory_bytes=p.memory,
                                                        mean_memory_bytes=int(p.memory * 0.8)))

    def timed(self, name: str) -> list[int]:
        return [n for who, n in self.log if who == name]


def py(name: str):
    return program_for_source("python", name)


def test_each_program_gets_its_own_repeat_count_and_cost_per_repetition_is_compared():
    # An O(n^2) original at 50 ms a call and an O(n) rewrite at 0.5 ms: the original must not be run as
    # often as the rewrite (the old shared count made its samples 100x longer).
    runner = ScriptedRunner({"slow": 0.05, "fast": 0.0005})
    d = compare_programs(runner, py("slow"), py("fast"), seed=1)
    assert d.loop_count_a <= 4 and d.loop_count_b >= 200
    assert 0.05 * d.loop_count_a >= 0.1 and 0.0005 * d.loop_count_b >= 0.1  # each loop >= 100 ms of work
    assert 0.0005 * d.loop_count_b < 0.2  # and not much more
    assert max(runner.timed("slow")) == d.loop_count_a  # never run at the fast one's count
    assert d.samples_a[0] == pytest.approx(0.05, rel=0.2) and d.samples_b[0] == pytest.approx(0.0005, rel=0.2)
    assert d.verdict == BETTER and d.ratio == pytest.approx(0.01, rel=0.1)
    assert d.look == 1 and d.n_pairs == d.looks[0] <= 12 and d.stopped == "decided"  # large effect: first look
    assert len(d.profiles_a) == len(d.profiles_b) == d.n_pairs
    timed = [(name, n) for name, n in runner.log if (name, n) in {("slow", d.loop_count_a), ("fast", d.loop_count_b)}]
    pairs = {tuple(name for name, _ in timed[-2 * d.n_pairs:][i:i + 2]) for i in range(0, 2 * d.n_pairs, 2)}
    assert pairs == {("slow", "fast"), ("fast", "slow")}  # interleaved, random order inside the pairs


def test_same_program_twice_stops_early_with_no_significant_difference():
    runner = ScriptedRunner({"a": 0.001})
    d = compare_programs(runner, py("a"), py("a"), seed=2)
    assert d.verdict == NO_DIFFERENCE
    assert d.stopped == "inside the band" and d.look == 1
    assert any("CPU time" in note for note in d.notes)


def test_more_looks_while_the_interval_is_wide_within_budget():
    runner = ScriptedRunner({"a": 0.001, "b": 0.00096}, noise=0.08)
    d = compare_programs(runner, py("a"), py("b"), seed=3, budget_s=3600)
    assert d.look > 1 and d.n_pairs == d.looks[d.look - 1]


def test_budget_bounds_later_looks_but_the_first_is_always_taken():
    runner = ScriptedRunner({"a": 0.001, "b": 0.00096}, noise=0.08)
    d = compare_programs(runner, py("a"), py("b"), seed=3, budget_s=0.0)
    assert d.n_pairs == d.looks[0] and d.stopped == "budget"


def test_a_failing_program_raises_with_its_message():
    runner = ScriptedRunner({"a": 0.001}, fail="b")
    with pytest.raises(MeasurementError, match="program B.*timeout.*wall-clock"):
        compare_programs(runner, py("a"), py("b"))


def test_cancel_stops_between_runs():
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(MeasurementCancelled):
        compare_programs(ScriptedRunner({"a": 0.001}), py("a"), py("a"), cancel=cancel)


def test_fixed_programs_are_not_calibrated_and_say_so():
    runner = ScriptedRunner({"x": Behaviour(0.0, startup=0.01), "y": Behaviour(0.0, startup=0.01)})
    d = compare_programs(runner, RunSpec(language="cpp", source="x"), RunSpec(language="cpp", source="y"), seed=4)
    assert d.loop_count == d.loop_count_a == d.loop_count_b == 1
    assert d.startup_a == d.startup_b == 0.0  # nothing subtracted: a fixed program has no repeat-0 run
    assert any("cannot repeat" in note for note in d.notes)
    assert any("under 100 ms" in note for note in d.notes)


def test_memory_metric_and_unknown_metric():
    runner = ScriptedRunner({"a": 0.001})
    d = compare_programs(runner, py("a"), py("a"), metric="peak_memory", repeat=10)
    assert d.samples_a[0] == 10_000_000 and d.unit == "B" and d.loop_count == 10
    with pytest.raises(ValueError, match="unknown metric"):
        compare_programs(runner, py("a"), py("a"), metric="speed")


def test_a_sleeping_candidate_does_not_win_cpu_utilisation():
    # Same work, but B sleeps as long as it computes: its CPU utilisation halves (a "win" on the metric),
    # its wall time per repetition doubles. Point 7 of issue 15: it must not be called better.
    runner = ScriptedRunner({"a": 0.002, "sleepy": Behaviour(0.002, idle_per_iter=0.002)}, seed=5)
    d = compare_programs(runner, py("a"), py("sleepy"), metric="cpu", seed=5)
    assert d.ratio < 0.6  # the metric alone says "much better"
    assert d.verdict != BETTER
    assert d.blocked_by and "wall time" in d.blocked_by and "slower" in d.blocked_by
    wall = next(s for s in d.side if s.metric == "wall_time")
    assert wall.blocking and wall.worse and wall.ratio == pytest.approx(2.0, rel=0.1)
    assert "not better: wall time" in d.summary()


def test_a_memory_win_that_costs_time_is_blocked_and_an_honest_one_is_not():
    runner = ScriptedRunner({"a": 0.002, "lean_but_slow": Behaviour(0.003, memory=5_000_000),
                             "lean": Behaviour(0.002, memory=5_000_000)}, seed=6)
    slow = compare_programs(runner, py("a"), py("lean_but_slow"), metric="peak_memory", seed=6)
    assert slow.verdict == NO_DIFFERENCE and "cpu time" in slow.blocked_by
    honest = compare_programs(runner, py("a"), py("lean"), metric="peak_memory", seed=6)
    assert honest.verdict == BETTER and honest.blocked_by is None


def test_a_time_decision_reports_the_peak_memory_change():
    runner = ScriptedRunner({"a": 0.002, "b": Behaviour(0.001, memory=30_000_000)}, seed=7)
    d = compare_programs(runner, py("a"), py("b"), seed=7)
    assert d.verdict == BETTER  # memory is reported, not blocking, for a time decision
    memory = next(s for s in d.side if s.metric == "peak_memory")
    assert not memory.blocking and memory.ratio == pytest.approx(3.0)


def test_a_candidate_that_inflates_its_repeat_0_run_gains_nothing():
    # An atexit hook that burns 0.5 s of CPU when the function was never called: with B's own start-up
    # subtracted, its samples would look ~0.5 s cheaper than they are. B's start-up is capped at A's.
    runner = ScriptedRunner({"a": 0.002, "cheat": Behaviour(0.002, startup_burn_when_idle=0.5)}, seed=8)
    d = compare_programs(runner, py("a"), py("cheat"), seed=8)
    assert d.verdict != BETTER, d.summary()
    assert d.startup_b <= d.startup_a
    assert any("heavier than A's" in note for note in d.notes)


def test_a_program_whose_check_fails_raises_behaviour_mismatch():
    runner = ScriptedRunner({"a": 0.001, "b": 0.0005})
    seen: list[int] = []

    def wrong_when_timed(result):
        seen.append(1)
        return "call 3 returned 0, the original returned 42" if len(seen) > 2 else None

    honest = py("a")
    cheat = Program(py("b").build, True, "b", check=wrong_when_timed)
    with pytest.raises(BehaviourMismatch, match="program B.*returned 0"):
        compare_programs(runner, honest, cheat, seed=1)
    assert issubclass(BehaviourMismatch, MeasurementError)


def test_the_check_sees_every_run_that_makes_calls():
    runner = ScriptedRunner({"a": 0.001, "b": 0.0005})
    checked: list[int] = []

    def program(name):
        inner = py(name)

        def build(n):
            spec = inner.spec(n)
            return spec

        return Program(build, True, name, check=lambda result: checked.append(1) or None)

    d = compare_programs(runner, program("a"), program("b"), seed=9)
    calls = sum(1 for _, n in runner.log if n > 0)
    assert len(checked) == calls >= 2 * d.n_pairs + 2  # warm-up, calibration and every timed sample


def test_program_builders():
    prog = python_workload("def f(n):\n    return sum(range(n))\n", "f(1000)")
    spec = prog.spec(7)
    assert list(spec.files)[0] == "main.py" and spec.args == ["7"]
    assert "candidate.py" in spec.files and "f(1000)" in spec.files["main.py"]
    with pytest.raises(SyntaxError):
        python_workload("x = 1", "f(")
    base = RunSpec(language="go", source="package main", args=["--size", "9"], limits=Limits(wall_time_s=5))
    looped = repeat_arg(base).spec(40)
    assert looped.args == ["--size", "9", "40"] and looped.limits.wall_time_s == 5
    assert fixed(base).spec(40) is base and not fixed(base).loopable
    assert program_for_source("js", "console.log(1)").spec(3).files["program.js"] == "console.log(1)"
    assert not program_for_source("rust", "fn main(){}").loopable
    assert program_for_source("rust", "fn main(){}", self_looping=True).spec(5).args == ["5"]
    with pytest.raises(ValueError, match="Python only"):
        program_for_source("cpp", "int main(){}", workload="f()")
