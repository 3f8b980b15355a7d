"""compare_programs and the loopable programs against a scripted runner (unit tests; the real sandbox is
exercised in test_compare_docker.py)."""

from __future__ import annotations

import random
import threading

import pytest

from profiling import (BETTER, NO_DIFFERENCE, MeasurementCancelled, MeasurementError, compare_programs, fixed,
                       program_for_source, python_workload, repeat_arg)
from profiling.metrics import Profile
from sandbox.models import Limits, Result, RunSpec, Status


class ScriptedRunner:
    """Fake sandbox: a sample of program P with repeat count n lasts startup + n * per_iter[P] (+ noise)."""

    def __init__(self, per_iter: dict[str, float], startup=0.02, noise=0.01, fail: str | None = None, seed=0):
        self.per_iter, self.startup, self.noise, self.fail = per_iter, startup, noise, fail
        self.rng = random.Random(seed)
        self.log: list[tuple[str, int]] = []

    def run(self, spec: RunSpec) -> Result:
        name = spec.files["program.py"] if "program.py" in spec.files else spec.source
        n = int(spec.args[-1]) if spec.args else 1
        self.log.append((name, n))
        if name == self.fail:
            return Result(status=Status.TIMEOUT, message="the program exceeded its wall-clock time limit")
        t = (self.startup + n * self.per_iter[name]) * self.rng.lognormvariate(0, self.noise)
        return Result(status=Status.OK, profile=Profile(wall_time_s=t * 1.02, cpu_time_s=t,
                                                        peak_memory_bytes=10_000_000, mean_memory_bytes=8_000_000))


def py(name: str):
    return program_for_source("python", name)


def test_calibration_reaches_100ms_with_one_count_for_both_and_interleaves():
    runner = ScriptedRunner({"a": 0.001, "b": 0.0007})
    d = compare_programs(runner, py("a"), py("b"), seed=1)
    measured = runner.log[2:]  # after the warm-up
    counts = {n for _, n in measured[-2 * d.n_pairs:]}
    assert counts == {d.loop_count}
    assert 0.0007 * d.loop_count >= 0.1  # the faster workload loop lasts >= 100 ms beyond the process start
    assert d.n_pairs >= 20
    pairs = [tuple(name for name, _ in measured[-2 * d.n_pairs:][i:i + 2]) for i in range(0, 2 * d.n_pairs, 2)]
    assert set(pairs) == {("a", "b"), ("b", "a")}  # randomised order inside the pairs
    assert d.verdict == BETTER and d.ratio < 0.8


def test_same_program_twice_settles_on_no_difference():
    runner = ScriptedRunner({"a": 0.001})
    d = compare_programs(runner, py("a"), py("a"), seed=2)
    assert d.verdict == NO_DIFFERENCE
    assert any("CPU time" in note for note in d.notes)


def test_more_pairs_while_the_interval_is_wide_within_budget():
    runner = ScriptedRunner({"a": 0.001, "b": 0.00096}, noise=0.08)
    d = compare_programs(runner, py("a"), py("b"), seed=3, max_pairs=80, budget_s=3600)
    assert d.n_pairs > 20


def test_budget_bounds_extra_pairs_but_min_pairs_are_always_taken():
    runner = ScriptedRunner({"a": 0.001, "b": 0.00096}, noise=0.08)
    d = compare_programs(runner, py("a"), py("b"), seed=3, budget_s=0.0)
    assert d.n_pairs == 20


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
    runner = ScriptedRunner({"x": 0.0, "y": 0.0})
    d = compare_programs(runner, RunSpec(language="cpp", source="x"), RunSpec(language="cpp", source="y"), seed=4)
    assert d.loop_count == 1
    assert any("cannot repeat" in note for note in d.notes)
    assert any("under 100 ms" in note for note in d.notes)


def test_memory_metric_and_unknown_metric():
    runner = ScriptedRunner({"a": 0.001})
    d = compare_programs(runner, py("a"), py("a"), metric="peak_memory", repeat=10)
    assert d.samples_a[0] == 10_000_000 and d.unit == "B" and d.loop_count == 10
    with pytest.raises(ValueError, match="unknown metric"):
        compare_programs(runner, py("a"), py("a"), metric="speed")


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


def test_a_program_whose_check_fails_raises_behaviour_mismatch():
    from profiling import BehaviourMismatch, Program

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
