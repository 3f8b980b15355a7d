"""Growing a workload built from the tests' tiny inputs (orchestrator/verify/workloads/workload.py): how call arguments
scale, how a workload's calls are read, the growing ladder against a modelled sandbox, and in the real
sandbox an O(n^2) function grown until measurable and a constant-time one reported "too small"."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestrator.verify.workloads.workload import (FACTORS, WorkloadPlan, grow_workload, no_op_twin, sample_of, scaled_call,
                                          scaled_workload, target_calls)


def _run(expr: str, name: str = "f"):
    """What the function receives from a workload expression."""
    return eval(expr, {name: lambda *a, **k: (a, k)})  # noqa: S307 - the test's own expressions


# -- scaling call arguments -------------------------------------------------------------------------------


def test_lists_strings_and_tuples_are_repeated():
    call = {"args": "([1, 2, 3], 'ab', (4,), 7)", "kwargs": "{'sep': '-'}"}
    expr = scaled_call("f", call, 100)
    args, kwargs = _run(expr)
    assert args == ([1, 2, 3] * 100, "ab" * 100, (4,) * 100, 7) and kwargs == {"sep": "-" * 100}
    assert len(expr) < 80  # an expression, not a written-out literal


def test_spread_copies_have_distinct_values_and_keep_order():
    call = {"args": "([1, 3, 5], {2, 4}, {1: 'a', 2: 'b'}, [(0, 1), (1, 2)], ['x', 'y'])", "kwargs": "{}"}
    (xs, s, d, pairs, words), _ = _run(scaled_call("f", call, 10, spread=True))
    assert len(xs) == 30 and xs == sorted(xs) and len(set(xs)) == 30  # a sorted input stays sorted
    assert len(s) == 20 and len(d) == 20 and list(d.values())[:2] == ["a", "b"]
    assert len(set(pairs)) == 20 and all(b - a == 1 for a, b in pairs)
    assert len(set(words)) == 20
    assert "range(10)" in scaled_call("f", call, 10, spread=True)  # built by a comprehension: cheap to compile


def test_a_call_of_ints_only_scales_its_positive_ints():
    assert _run(scaled_call("f", {"args": "(10, -3, True)", "kwargs": "{}"}, 100)) == ((1000, -3, True), {})
    # beside a container, ints are left alone (they may be indices or counts into it)
    assert _run(scaled_call("f", {"args": "([1, 2], 1)", "kwargs": "{}"}, 10))[0][1] == 1


def test_nothing_to_scale_is_none_and_a_workload_keeps_calls_that_cannot_grow():
    assert scaled_call("f", {"args": "(None, 2.5, '')", "kwargs": "{}"}, 10) is None
    calls = [{"args": "([1],)", "kwargs": "{}"}, {"args": "(None,)", "kwargs": "{}"}]
    exprs = scaled_workload("f", calls, 10)
    assert exprs[0] == "f([1] * 10)" and exprs[1] == "f(*(None,), **{})"
    assert scaled_workload("f", calls[1:], 10) is None


def test_no_op_twin_builds_the_same_arguments_without_the_function():
    expr = "f([x + 3 * i for i in range(10) for x in [1, 2, 3]], k=2)"
    twin = no_op_twin(expr, "f")
    assert twin == "(lambda *a, **k: None)" + expr[1:] and eval(twin) is None  # noqa: S307


def test_workload_calls_are_read_with_their_sizes():
    exprs = ["f(*([1, 2, 3] * 100, 'ab'), **{'k': 5})", "g(1) + f(list(range(5000)), x=[0] * 7)", "f(data)"]
    calls = target_calls(exprs, "f")
    assert len(calls) == 3
    first = [sample_of(n) for n in calls[0].positional]
    assert (first[0].value, first[0].size) == ([1, 2, 3], 300) and first[1].value == "ab"
    assert sample_of(calls[0].keywords["k"]).value == 5
    assert sample_of(calls[1].positional[0]).size == 5000 and sample_of(calls[1].keywords["x"]).size == 7
    assert sample_of(calls[2].positional[0]) is None  # a name: unknown
    spread = scaled_call("f", {"args": "([1, 5], {2: 'a'}, {3})", "kwargs": "{}"}, 50, spread=True)
    read = [sample_of(n) for n in target_calls([spread], "f")[0].positional]
    assert [(r.value, r.size) for r in read] == [([1, 5], 100), ({2: "a"}, 50), ({3}, 50)]
    assert sample_of(ast.parse("f(*range(3))", mode="eval").body.args[0]) is None


# -- the ladder against a modelled sandbox ---------------------------------------------------------------


@dataclass
class _Profile:
    cpu_time_s: float


@dataclass
class _Result:
    ok: bool
    profile: _Profile


class ModelledSandbox:
    """A PythonExecution whose runs cost: start-up + loops * sum over calls of (fixed per-call cost + the
    modelled work of the call); the work is `model(*args)` for calls of `name`, nothing for the no-op twin.
    A call the model raises on fails the run."""

    def __init__(self, name, model, start=0.08, per_call=0.004):
        self.name, self.model, self.start, self.per_call = name, model, start, per_call
        self.runs: list[tuple[list[str], int]] = []

    @property
    def runner(self):
        return self

    def workload_program(self, code, exprs):
        return type("P", (), {"spec": lambda _self, loops: (list(exprs), loops)})()

    def run(self, spec):
        exprs, loops = spec
        self.runs.append(spec)
        try:
            work = sum(self.per_call + (eval(e, {self.name: self.model}) or 0.0) for e in exprs)  # noqa: S307
        except Exception:  # noqa: BLE001 - the original fails on this input
            return _Result(False, _Profile(self.start))
        return _Result(True, _Profile(self.start + loops * work))


SEEN = [{"args": "([1, 2, 1, 3],)", "kwargs": "{}"}, {"args": "([5, 5],)", "kwargs": "{}"}]


def test_a_quadratic_function_is_grown_until_measurable():
    exe = ModelledSandbox("f", lambda xs: len(xs) ** 2 * 1e-8)
    plan = grow_workload(exe, "code", "f", SEEN, [])
    assert plan.measurable and plan.factor == 1000 and plan.message is None
    assert plan.description == "the inputs your tests use, scaled ×1000 (copies shifted to distinct values)"
    assert plan.seconds_per_call == pytest.approx((4000 ** 2 + 2000 ** 2) * 1e-8 / 2, rel=0.01)
    assert _run(plan.exprs[0])[0][0][:6] == [1, 2, 1, 3, 4, 5]


def test_a_constant_time_function_is_too_small_and_says_how_to_give_a_workload():
    exe = ModelledSandbox("f", lambda xs: 1e-6)
    plan = grow_workload(exe, "code", "f", SEEN, [])
    assert not plan.measurable and plan.factor == 1000  # stopped: the cost does not grow with the size
    assert "too small" in plan.message and '--workload "f(...)"' in plan.message
    assert all(spec[0] != scaled_workload("f", SEEN, FACTORS[-1], True) for spec in exe.runs)


def test_an_already_measurable_workload_is_kept_as_it_is():
    exe = ModelledSandbox("f", lambda xs: 0.05)
    plan = grow_workload(exe, "code", "f", SEEN, [])
    assert plan == WorkloadPlan(plan.exprs, "the inputs your tests use", True, 1, plan.seconds_per_call,
                                plan.needed_per_call)
    assert plan.exprs == ["f(*([1, 2, 1, 3],), **{})", "f(*([5, 5],), **{})"]


def test_a_form_the_original_fails_on_falls_back_to_repetition():
    def digits_only(xs):
        if any(x > 9 for x in xs):
            raise ValueError("digits only")
        return len(xs) ** 2 * 1e-8

    plan = grow_workload(ModelledSandbox("f", digits_only), "code", "f", SEEN, [])
    assert plan.measurable and "shifted" not in plan.description and plan.exprs[0] == "f([1, 2, 1, 3] * 1000)"


def test_an_overshooting_factor_steps_back_to_one_in_between():
    plan = grow_workload(ModelledSandbox("f", lambda xs: len(xs) ** 3 * 1e-10), "code", "f", SEEN, [])
    # ×100: 6.4 ms of work per pass (too little); ×1000: 6.4 s (too costly); ×316 in between: ~0.2 s
    assert plan.measurable and plan.factor == 316


def test_generated_inputs_when_the_tests_call_nothing():
    plan = grow_workload(ModelledSandbox("f", lambda xs: 0.05), "code", "f", [],
                         [{"args": "([1, 2],)", "kwargs": "{}"}])
    assert plan.measurable and plan.description == "generated inputs"
    empty = grow_workload(ModelledSandbox("f", lambda xs: 0.05), "code", "f", [], [])
    assert not empty.measurable and "--workload" in empty.message


# -- the real sandbox -------------------------------------------------------------------------------------

QUADRATIC = '''def dedupe(xs):
    """The distinct items of xs in first-seen order."""
    seen = []
    for x in xs:
        if x not in seen:
            seen.append(x)
    return seen


def first(xs):
    return xs[0] if xs else None
'''
TESTS = '''from m import dedupe, first


def test_dedupe():
    assert dedupe([1, 2, 1, 3]) == [1, 2, 3]
    assert dedupe([5, 5]) == [5]


def test_first():
    assert first([4, 5, 6]) == 4
'''


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "m.py").write_text(QUADRATIC)
    (tmp_path / "test_m.py").write_text(TESTS)
    return tmp_path


def _execution(sandbox, project: Path, name: str):
    from orchestrator.target import locate
    from orchestrator.verify.running.execution import PythonExecution
    from orchestrator.verify.testing.testsuite import discover

    target = locate(f"{project}/m.py::{name}")
    suite = discover(target)
    return target, suite, PythonExecution(sandbox, target, suite)


@pytest.mark.docker
@pytest.mark.slow
def test_sandbox_grows_the_tests_tiny_inputs_of_a_quadratic_function(py_sandbox, project):
    target, suite, exe = _execution(py_sandbox, project, "dedupe")
    assert len(suite.seen_calls) == 2
    # The product caps growing at GROWTH_BUDGET_S; this test is about where growing ends, not how fast it gets
    # there on a shared machine (at a load average of ~7 the ×1000 step came after 43 s).
    plan = grow_workload(exe, target.code, "dedupe", suite.seen_calls, [], budget_s=180.0)
    assert plan.measurable, plan
    assert plan.factor >= 100 and "scaled" in plan.description and plan.seconds_per_call >= plan.needed_per_call
    assert exe.workload_check(target.code, plan.exprs) is None  # the grown workload runs, answers compared


@pytest.mark.docker
@pytest.mark.slow
def test_sandbox_reports_a_constant_time_function_as_too_small(py_sandbox, project):
    target, suite, exe = _execution(py_sandbox, project, "first")
    plan = grow_workload(exe, target.code, "first", suite.seen_calls, [])
    assert not plan.measurable
    assert "too small" in plan.message and '--workload "first(...)"' in plan.message
