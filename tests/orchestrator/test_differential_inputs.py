"""Differential inputs (orchestrator/verify/checks/differential.py, shapes.py) and the Python behaviour guard's
bookkeeping (orchestrator/verify/checks/behaviour.py): every parameter is filled (keyword-only ones and ones with
defaults too) with values of the type its hint, default, the tests' calls and the workload say; a parameter
with no evidence gets several types; large inputs reach the workload's sizes; the workload's own calls are
compared; the original's answers are computed once. No sandbox: a recorded execution stands in for it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from orchestrator.target import locate_text
from orchestrator.verify.checks import differential as diff
from orchestrator.verify.checks.behaviour import PythonBehaviour


def _target(source: str, name: str):
    return locate_text(Path("m.py"), source, name, "python")


def _values(calls: list[dict]) -> list[tuple[tuple, dict]]:
    return [(ast.literal_eval(c["args"]), ast.literal_eval(c["kwargs"])) for c in calls]


def test_keyword_only_parameters_are_typed_from_hints_and_defaults():
    t = _target("def f(xs: list[int], *, limit: int = 5, name='a', key=None):\n    return xs\n", "f")
    calls = _values(diff.generate_inputs(t, [], n=40))
    limits = [kw["limit"] for _, kw in calls if "limit" in kw]
    names = [kw["name"] for _, kw in calls if "name" in kw]
    assert limits and all(isinstance(v, int) and not isinstance(v, bool) for v in limits)
    assert names and all(isinstance(v, str) for v in names)  # the default's type
    assert any("limit" not in kw for _, kw in calls)  # sometimes left at its default
    assert all("key" not in kw for _, kw in calls)  # key=None says nothing: never invented
    assert all(isinstance(args[0], list) for args, _ in calls)


def test_a_default_value_types_a_positional_parameter_passed_by_keyword_after_a_gap():
    t = _target("def g(xs, start=0, reverse=False):\n    return xs\n", "g")
    calls = _values(diff.generate_inputs(t, [], n=60))
    reverse = [kw.get("reverse", args[2] if len(args) > 2 else None) for args, kw in calls]
    assert any(r is not None for r in reverse) and all(r is None or isinstance(r, bool) for r in reverse)
    # `start` left at its default while `reverse` is given: reverse goes by keyword
    assert any(len(args) == 1 and "reverse" in kw for args, kw in calls)


def test_an_unannotated_parameter_without_evidence_gets_several_types():
    t = _target("def h(a):\n    return a\n", "h")
    kinds = {type(args[0]).__name__ for args, _ in _values(diff.generate_inputs(t, [], n=40))}
    assert len(kinds) >= 4 and "int" in kinds and ({"str", "list"} & kinds), kinds


def test_test_calls_type_parameters_by_position_and_keyword():
    t = _target("def f(a, b, *, sep):\n    return a\n", "f")
    seen = [{"args": "('xy', 3)", "kwargs": "{'sep': '-'}"}]
    calls = _values(diff.generate_inputs(t, seen, n=30))
    assert calls[0] == (("xy", 3), {"sep": "-"})
    assert all(isinstance(args[0], str) and isinstance(kw["sep"], str) for args, kw in calls)
    assert all(isinstance(args[1], int) for args, _ in calls)


def test_large_inputs_reach_the_workloads_sizes():
    t = _target("def f(xs: list[int], k: int) -> int:\n    return len(xs) + k\n", "f")
    seen = [{"args": "([1, 2, 3], 2)", "kwargs": "{}"}]
    plain = _values(diff.generate_inputs(t, seen, n=20))
    assert max(len(args[0]) for args, _ in plain) >= 300  # without a workload: LARGE_SIZES
    grown = _values(diff.generate_inputs(t, seen, n=20, workload=["f([1, 2, 3] * 1000, 2)"]))
    sizes = sorted(len(args[0]) for args, _ in grown)
    assert 3000 in sizes and sizes[-1] == 6000
    spread = ["f([x + 3 * i for i in range(1000) for x in [1, 2, 3]], 2)"]  # a grown workload's spread form
    assert max(len(args[0]) for args, _ in _values(diff.generate_inputs(t, seen, n=20, workload=spread))) == 6000
    # many equal values in some large lists (narrow), mostly distinct ones in others (wide)
    large = [args[0] for args, _ in grown if len(args[0]) >= 3000]
    assert min(len(set(xs)) for xs in large) < 100 < max(len(set(xs)) for xs in large)


def test_ints_beyond_the_tests_range_for_a_function_of_ints():
    t = _target("def fib(n: int) -> int:\n    return n\n", "fib")
    ints = [args[0] for args, _ in _values(diff.generate_inputs(t, [{"args": "(5,)", "kwargs": "{}"}], n=20))]
    assert max(ints) >= 1000 and min(ints) < -10


def test_workload_calls_give_types_to_unannotated_parameters():
    t = _target("def f(text, width):\n    return text\n", "f")
    calls = _values(diff.generate_inputs(t, [], n=20, workload=["f(*('hello world ' * 50, 7), **{})"]))
    assert all(isinstance(args[0], str) and isinstance(args[1], int) for args, _ in calls)
    assert max(len(args[0]) for args, _ in calls) >= 600


def test_var_positional_and_positional_only_parameters():
    t = _target("def f(a, b=1, /, *rest: int):\n    return a\n", "f")
    calls = _values(diff.generate_inputs(t, [], n=50))
    assert all(not kw for _, kw in calls)  # positional-only: never by keyword
    assert any(len(args) > 2 and all(isinstance(v, int) for v in args[2:]) for args, _ in calls)


def test_inputs_are_literals_and_deterministic():
    t = _target("def f(xs: list[float], d: dict[str, int], s: set[int], p: tuple[int, str]):\n    return 1\n", "f")
    first = diff.generate_inputs(t, [], n=30)
    assert first == diff.generate_inputs(t, [], n=30)
    for c in first:
        assert repr(ast.literal_eval(c["args"])) == c["args"]


class RecordedCalls:
    """Answers `calls` as the driver would (each call's answer: its index); the original times out on call 1.
    Records what ran."""

    differential = True

    def __init__(self, original: str):
        self.original = original
        self.runs: list[tuple[str, list[dict], list[list[int]]]] = []

    def calls(self, code, calls, orders):
        self.runs.append((code, calls, orders))
        passes = []
        for order in orders:
            answers = {}
            for i in order:
                timeout = code == self.original and i == 1
                answers[str(i)] = {"r": None if timeout else i, "e": "timeout" if timeout else None, "m": None,
                                   "o": ""}
            passes.append(answers)
        return {"ok": True, "passes": passes, "state_changed": []}


def test_behaviour_compares_the_workload_calls_and_computes_the_original_once():
    target = _target("def f(xs: list[int]) -> int:\n    return len(xs)\n", "f")
    exe = RecordedCalls(target.code)
    guard = PythonBehaviour(exe, target, [{"args": "([1, 2],)", "kwargs": "{}"}], 10)
    before = guard.inputs()
    guard.use_workload(["f([1, 2] * 5000)"])
    assert guard.calls()[-1] == {"expr": "f([1, 2] * 5000)"} and guard.calls()[:-1] == guard.inputs()
    size = lambda calls: max(len(ast.literal_eval(c["args"])[0]) for c in calls)  # noqa: E731
    assert size(guard.inputs()) >= 10000 > size(before)  # regenerated at the workload's size
    candidate = "def f(xs):\n    return len(xs)\n"
    for _ in range(2):
        check = guard.check(candidate)
        assert check.agrees and check.compared == len(guard.calls()) - 1 and check.differing == 0
    assert sum(code == target.code for code, _, _ in exe.runs) == 1  # the original's answers: once
    candidate_orders = [orders for code, _, orders in exe.runs if code == candidate]
    assert len(candidate_orders) == 4 and all(1 not in order for orders in candidate_orders for order in orders)


def test_a_method_without_a_receiver_has_no_calls_and_says_which_instance_is_missing():
    source = "class Box:\n    def area(self, w: int) -> int:\n        return w\n"
    target = locate_text(Path("m.py"), source, "Box.area", "python")
    guard = PythonBehaviour(RecordedCalls(target.code), target, [], 10)
    assert guard.available and "no instance of Box" in guard.missing_receiver and "Box(...).area(" in guard.missing_receiver
    assert guard.inputs() == [] and guard.calls() == [] and guard.check("x") is None
    guard.use_workload(["Box().area(3)"])  # the workload's receiver serves the generated arguments
    assert guard.missing_receiver is None and guard.inputs()
    assert all(c["receiver"] == "Box()" for c in guard.inputs()) and guard.calls()[-1] == {"expr": "Box().area(3)"}


# -- the real sandbox: candidates that only the new inputs catch ------------------------------------------

ORIGINALS = '''def total(xs: list[int]) -> int:
    return sum(xs)


def scale(xs, *, factor: int = 2):
    return [x * factor for x in xs]


def double(v):
    return v + v
'''
# Each is right on every input the old generator made (ints in [-10, 25], lists of <= 30 items, positional
# parameters only) and wrong elsewhere.
CHEATS = {
    "total": [
        "def total(xs: list[int]) -> int:\n    return sum(xs) if len(xs) <= 200 else 0\n",  # large inputs
        # only the workload's own input: its calls are compared too
        "def total(xs: list[int]) -> int:\n    return 0 if xs[:4] == [7, 1, 7, 1] and len(xs) == 180 else sum(xs)\n",
    ],
    "scale": ["def scale(xs, *, factor: int = 2):\n    return [x * 2 for x in xs]\n"],  # keyword-only ignored
    "double": ["def double(v):\n    return v << 1\n"],  # ints only (no evidence: several types tried)
}
HONEST = {
    "total": "def total(xs: list[int]) -> int:\n    out = 0\n    for x in xs:\n        out += x\n    return out\n",
    "scale": "def scale(xs, *, factor: int = 2):\n    return [factor * x for x in xs]\n",
    "double": "def double(v):\n    return 2 * v\n",
}


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CHEATS))
def test_sandbox_differential_catches_what_only_the_new_inputs_show(py_sandbox, tmp_path, name):
    from orchestrator.target import locate
    from orchestrator.verify.running.execution import PythonExecution
    from orchestrator.verify.testing.testsuite import Suite

    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "m.py").write_text(ORIGINALS)
    target = locate(f"{tmp_path}/m.py::{name}")
    seen = {"total": [{"args": "([1, 2, 3],)", "kwargs": "{}"}], "scale": [{"args": "([1, 2],)", "kwargs": "{}"}],
            "double": []}[name]
    exe = PythonExecution(py_sandbox, target, Suite(seen_calls=seen))
    guard = PythonBehaviour(exe, target, seen, 30, workload=["total([7, 1] * 90)"] if name == "total" else None)
    assert guard.oracle().get("ok"), guard.oracle()
    for cheat in CHEATS[name]:
        check = guard.check(cheat)
        assert not check.agrees and check.differing > 0 and check.reason, (cheat, check)
    honest = guard.check(HONEST[name])
    assert honest.agrees and not honest.state and honest.compared >= 20, honest
