"""Python workloads: what a workload's calls pass to the target, and growing a workload built from the tests'
tiny inputs until the original's cost per call can be measured.

A default workload (orchestrator/refine.py `workload_calls`) repeats the calls the tests make, and tests use
tiny inputs: more-itertools' `unique_everseen` got two calls of a few items each, and a correct O(n) rewrite of
an O(n^2) original was judged "no significant difference". `grow_workload` scales the calls' list, str, tuple,
dict and set arguments by 10, 100, 1000, ... (expressions the driver evaluates, e.g. `f([1, 2, 3] * 100)`)
until one pass of the workload costs the original at least MIN_CALL_S of CPU per call, and says plainly when
no size could be measured. A scaled input is checked like any other: every timed call's answer is compared
with the original's on the same input.
"""

from __future__ import annotations

import ast
import logging
import math
import time
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

# Measurable: at least 1 ms of the original's CPU time per call. A timed sample also pays per-call costs
# that are not the function's (starting each call from a fresh state, normalising and comparing the answer:
# ~0.1-0.5 ms) and a process start of a few ms of noise; with >= 1 ms of real work per call the function's
# own time is most of what is timed, so a 2x gain still shows as >= 1.5x, and the calibrated repeat count
# stays small enough for a verdict in seconds.
MIN_CALL_S = 1e-3
MAX_PASS_S = 2.0  # a grown workload whose pass costs more makes every sample slow: step back to a smaller factor
GROWTH_BUDGET_S = 30.0  # wall-clock cap on the growing (each step is one or two sandbox runs)
FACTORS = (10, 100, 1000, 10000)
MAX_ITEMS = 1_000_000  # items of one scaled argument (memory: the sandbox has 512 MB)
MAX_LITERAL_CHARS = 200_000  # a spread (distinct-valued) argument is written out as a literal up to this size
MAX_CALLS = 40


# -- reading a workload's calls -------------------------------------------------------------------------


@dataclass
class CallArguments:
    """The argument expressions of one call to the target in a workload expression."""

    positional: list[ast.expr] = field(default_factory=list)
    keywords: dict[str, ast.expr] = field(default_factory=dict)


def target_calls(exprs: list[str], name: str) -> list[CallArguments]:
    """Every call of `name` (or `x.name`) in the workload expressions, with `*(literal tuple)` and
    `**{literal dict}` unpacked; positions after an unpackable `*args` are unknown and left out."""
    found = []
    for text in exprs:
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            callee = node.func
            called = callee.id if isinstance(callee, ast.Name) else callee.attr if isinstance(
                callee, ast.Attribute) else None
            if called != name:
                continue
            call = CallArguments()
            for arg in node.args:
                if isinstance(arg, ast.Starred):
                    if isinstance(arg.value, (ast.Tuple, ast.List)):
                        call.positional += arg.value.elts
                        continue
                    break
                call.positional.append(arg)
            for kw in node.keywords:
                if kw.arg is not None:
                    call.keywords[kw.arg] = kw.value
                elif isinstance(kw.value, ast.Dict) and all(isinstance(k, ast.Constant) and isinstance(k.value, str)
                                                            for k in kw.value.keys):
                    call.keywords.update({k.value: v for k, v in zip(kw.value.keys, kw.value.values)})
            found.append(call)
    return found


@dataclass
class Sample:
    """A literal standing for an argument (for `[1, 2] * 500` the list [1, 2]) and the argument's size (len)."""

    value: object
    size: int | None


def _size(value) -> int | None:
    return len(value) if isinstance(value, (list, tuple, str, bytes, dict, set, frozenset)) else None


def sample_of(node: ast.expr) -> Sample | None:
    """What a workload argument is, read without running it: a literal, a literal repeated (`[0, 1] * 100`,
    `100 * "ab"`), `range(n)` / `list(range(n))` / `tuple(range(n))`; None for anything else."""
    try:
        value = ast.literal_eval(node)
        return Sample(value, _size(value))
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        pass
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        for seq, times in ((node.left, node.right), (node.right, node.left)):
            inner = sample_of(seq)
            count = sample_of(times)
            if inner and count and inner.size is not None and isinstance(count.value, int):
                return Sample(inner.value, inner.size * max(0, count.value))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id in ("list", "tuple") and len(node.args) == 1 and not node.keywords:
            inner = sample_of(node.args[0])
            if inner is not None and isinstance(inner.value, list):
                return Sample(inner.value if node.func.id == "list" else tuple(inner.value), inner.size)
        if node.func.id == "range" and 1 <= len(node.args) <= 3 and not node.keywords:
            bounds = [sample_of(a) for a in node.args]
            if all(b is not None and isinstance(b.value, int) for b in bounds):
                span = range(*[b.value for b in bounds])
                return Sample(list(span[:8]) + ([span[-1]] if len(span) > 8 else []), len(span))
    return None


# -- scaling calls ----------------------------------------------------------------------------------------


def _numbers(value, out: list) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        out.append(value)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for v in value:
            _numbers(v, out)
    elif isinstance(value, dict):
        for k, v in value.items():
            _numbers(k, out)
            _numbers(v, out)


def _shift(value, copy: int, span):
    """Copy number `copy` of a value, moved so that copies do not overlap: numbers + copy * span, strings
    with the copy's number appended (copy 0 is the value itself)."""
    if copy == 0 or value is None or isinstance(value, (bool, bytes)):
        return value
    if isinstance(value, (int, float)):
        return value + copy * span
    if isinstance(value, str):
        return f"{value}{copy}"
    if isinstance(value, tuple):
        return tuple(_shift(v, copy, span) for v in value)
    if isinstance(value, list):
        return [_shift(v, copy, span) for v in value]
    if isinstance(value, set):
        return {_shift(v, copy, span) for v in value}
    if isinstance(value, dict):
        return {_shift(k, copy, span): _shift(v, copy, span) for k, v in value.items()}
    return value


def _spread(value, factor: int):
    """`factor` shifted copies of a container, one after the other: distinct values where the original had
    distinct ones (a sorted list stays sorted, a set or dict grows). None when it cannot grow that way."""
    numbers: list = []
    _numbers(value, numbers)
    span = (max(numbers) - min(numbers) + 1) if numbers else 1
    if isinstance(span, float):
        span = math.ceil(span)
    if isinstance(value, (list, tuple)):
        items = [_shift(v, c, span) for c in range(factor) for v in value]
        grown = items if isinstance(value, list) else tuple(items)
    elif isinstance(value, set):
        grown = {_shift(v, c, span) for c in range(factor) for v in value}
    elif isinstance(value, dict):
        grown = {_shift(k, c, span): _shift(v, c, span) for c in range(factor) for k, v in value.items()}
    else:
        return None
    return grown if len(grown) == len(value) * factor else None


def _scaled_arg(value, factor: int, spread: bool, ints: bool) -> str:
    """The expression for one argument of a call scaled by `factor` (unchanged when it cannot scale)."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return repr(value * factor) if ints and value > 0 else repr(value)
    size = _size(value)
    if not size or size * factor > MAX_ITEMS:
        return repr(value)
    if spread and isinstance(value, (list, tuple, set, dict)):
        # a literal costs nothing to rebuild per call; written out only while its text stays small
        if len(repr(value)) * factor <= MAX_LITERAL_CHARS:
            grown = _spread(value, factor)
            if grown is not None:
                return repr(grown)
        return repr(value)
    if isinstance(value, (list, tuple, str, bytes)):
        return f"{value!r} * {factor}"
    return repr(value)


def _is_sized(value) -> bool:
    return _size(value) is not None and not isinstance(value, frozenset) and len(value) > 0


def scaled_call(name: str, call: dict, factor: int, spread: bool = False) -> str | None:
    """A workload expression calling `name` with a literal call's arguments ({"args", "kwargs"} as repr
    text) scaled by `factor`: lists, tuples, strings and bytes repeated (`[1, 2] * 10`), or with
    `spread`, lists, tuples, sets and dicts made of shifted copies with distinct values; a call whose
    arguments hold no container or string scales its positive ints instead (`count_primes(10)` -> 100).
    None when nothing in the call can grow this way."""
    args = ast.literal_eval(call.get("args") or "()")
    kwargs = ast.literal_eval(call.get("kwargs") or "{}")
    values = [*args, *kwargs.values()]
    ints = not any(_is_sized(v) for v in values)
    parts = [_scaled_arg(v, factor, spread, ints) for v in args]
    named = {k: _scaled_arg(v, factor, spread, ints) for k, v in kwargs.items()}
    if parts == [repr(v) for v in args] and named == {k: repr(v) for k, v in kwargs.items()}:
        return None
    if all(k.isidentifier() for k in named):
        text = ", ".join([*parts, *(f"{k}={v}" for k, v in named.items())])
    else:
        text = ", ".join([*parts, "**{" + ", ".join(f"{k!r}: {v}" for k, v in named.items()) + "}"])
    return f"{name}({text})"


def scaled_workload(name: str, calls: list[dict], factor: int, spread: bool = False) -> list[str] | None:
    """Every call scaled (a call that cannot grow stays as it is); None when none of them grows."""
    exprs, grew = [], False
    for call in calls:
        scaled = scaled_call(name, call, factor, spread) if factor > 1 else None
        grew = grew or scaled is not None
        exprs.append(scaled or plain_call(name, call))
    return exprs if grew or factor == 1 else None


def plain_call(name: str, call: dict) -> str:
    """The workload expression of a literal call, as orchestrator/refine.py `workload_calls` writes it."""
    return f"{name}(*{call['args']}, **{call['kwargs']})"


# -- growing ----------------------------------------------------------------------------------------------


@dataclass
class WorkloadPlan:
    """The workload to time and what is known about it."""

    exprs: list[str]
    description: str  # "the inputs your tests use, scaled ×100"
    measurable: bool  # the original's cost per call reached MIN_CALL_S
    factor: int = 1
    seconds_per_call: float | None = None  # the original's CPU time per call at this size (None: not measured)
    message: str | None = None  # when not measurable: that the workload is too small, and how to give one

    @property
    def note(self) -> str:
        """One line for the report."""
        cost = f", {self.seconds_per_call * 1000:.2f} ms per call" if self.seconds_per_call is not None else ""
        return f"workload: {len(self.exprs)} calls from {self.description}{cost} (not shown to the models)"


class _Timer:
    """CPU time of one pass of a workload on the original, in the sandbox (process start subtracted)."""

    def __init__(self, exe, code: str, budget_s: float):
        self.exe, self.code = exe, code
        self.deadline = time.monotonic() + budget_s
        self.start_cpu: float | None = None

    def out_of_time(self) -> bool:
        return time.monotonic() > self.deadline

    def _cpu(self, exprs: list[str], loops: int) -> float | None:
        result = self.exe.runner.run(self.exe.workload_program(self.code, exprs).spec(loops))
        return result.profile.cpu_time_s if getattr(result, "ok", False) else None

    def rough(self, exprs: list[str]) -> float | None:
        """One pass above the start-up run's CPU time; None when the original fails on it. An overestimate
        (compiling a large literal counts), which is safe for "too small"."""
        if self.start_cpu is None:
            self.start_cpu = self._cpu(exprs, 0) or 0.0
        one = self._cpu(exprs, 1)
        return None if one is None else max(0.0, one - self.start_cpu)

    def exact(self, exprs: list[str], rough: float) -> float | None:
        """The difference of two runs (1 and 1 + m passes): start-up and compilation cancel out."""
        extra = max(2, min(20, math.ceil(0.05 / max(rough, 1e-4))))
        one, more = self._cpu(exprs, 1), self._cpu(exprs, 1 + extra)
        return None if one is None or more is None else max(0.0, (more - one) / extra)


def grow_workload(exe, original_code: str, name: str, seen_calls: list[dict], generated: list[dict], *,
                  min_call_s: float = MIN_CALL_S, budget_s: float = GROWTH_BUDGET_S) -> WorkloadPlan:
    """The default workload for timing `name`: the calls the tests make (else the generated inputs), scaled
    ×10, ×100, ... until one pass costs the original at least `min_call_s` of CPU per call in the sandbox.

    At each factor two forms are tried where both apply, repeated (`[1, 2, 3] * 100`) and spread (shifted
    copies with distinct values, which keeps a sorted input sorted and gives a dedup or a membership test
    real work), and the costlier one is kept. A form the original fails on is skipped; a factor whose pass
    costs more than MAX_PASS_S is halved back (geometric mean with the previous factor) once. The whole
    search is bounded by `budget_s`. When no size is measurable, `measurable` is False and `message` says
    the workload is too small and how to give one. `exe` is a PythonExecution (its `runner` and
    `workload_program(code, exprs).spec(loops)`)."""
    source = "the inputs your tests use" if seen_calls else "generated inputs"
    calls = [c for c in (seen_calls or generated) if "args" in c][:MAX_CALLS]
    base = [plain_call(name, c) for c in calls]
    if not base:
        return WorkloadPlan([], source, False, message=_too_small(name, source, None, 1, min_call_s))
    timer = _Timer(exe, original_code, budget_s)
    per_call = lambda seconds: seconds / len(base)  # noqa: E731
    threshold = min_call_s * len(base)

    def measure(exprs: list[str]) -> tuple[str, float | None]:
        """("ok" | "fails" | "too costly", exact cost per pass when ok and measurable)."""
        rough = timer.rough(exprs)
        if rough is None:
            return "fails", None
        if rough > MAX_PASS_S:
            return "too costly", rough
        if rough < threshold / 2:
            return "ok", rough
        return "ok", timer.exact(exprs, rough)

    best = WorkloadPlan(base, source, False, 1)
    status, cost = measure(base)
    if status == "fails":
        return WorkloadPlan(base, source, False, message="the workload fails on the original")
    best.seconds_per_call = per_call(cost)
    if cost >= threshold:
        best.measurable = True
        return best
    previous = 1
    for factor in FACTORS:
        if timer.out_of_time():
            break
        chosen = _best_form(name, calls, factor, measure)
        if chosen is None and factor > previous * 3:  # too costly or failing: one step in between
            factor = round(math.sqrt(previous * factor))
            chosen = _best_form(name, calls, factor, measure)
        if chosen is None:
            break
        exprs, cost, spread = chosen
        best = WorkloadPlan(exprs, _scaled_description(source, factor, spread), cost >= threshold, factor,
                            per_call(cost))
        if best.measurable:
            return best
        previous = factor
    best.message = _too_small(name, source, best.seconds_per_call, best.factor, min_call_s)
    return best


def _best_form(name: str, calls: list[dict], factor: int, measure) -> tuple[list[str], float, bool] | None:
    """(exprs, cost per pass, spread?) of the costlier form at `factor` that the original runs within
    MAX_PASS_S; None when no form grows or none runs."""
    found, tried = [], []
    for spread in (False, True):
        exprs = scaled_workload(name, calls, factor, spread)
        if exprs is None or exprs in tried:
            continue
        tried.append(exprs)
        status, cost = measure(exprs)
        if status == "ok" and cost is not None:
            found.append((exprs, cost, spread))
    return max(found, key=lambda f: f[1]) if found else None


def _scaled_description(source: str, factor: int, spread: bool) -> str:
    how = " (copies shifted to distinct values)" if spread else ""
    return f"{source}, scaled ×{factor}{how}"


def _too_small(name: str, source: str, seconds_per_call: float | None, factor: int, min_call_s: float) -> str:
    scaled = f", scaled up to ×{factor}," if factor > 1 else ""
    cost = f" costs the original only {seconds_per_call * 1000:.3f} ms per call" if seconds_per_call is not None \
        else " could not be measured"
    return (f"the workload ({source}{scaled}){cost}: too small to show a difference (a measurement needs "
            f"≥ {min_call_s * 1000:g} ms per call). Give a workload that does real work, e.g. "
            f"--workload \"{name}(...)\" with inputs of the size you care about")
