"""Python workloads: what a workload's calls pass to the target, and growing a workload built from the tests'
tiny inputs until the original's cost per call can be measured.

A default workload (orchestrator/refine.py `workload_calls`) repeats the calls the tests make, and tests use
tiny inputs: more-itertools' `unique_everseen` got two calls of a few items each, and a correct O(n) rewrite of
an O(n^2) original was judged "no significant difference". `grow_workload` scales the calls' list, str, tuple,
dict and set arguments by 10, 100, 1000, ... (expressions the driver evaluates, e.g. `f([1, 2, 3] * 100)`)
until the original's own CPU time per call is well above what a timed call costs besides the function (see
"Measurable" below), and says plainly when no size could be measured. A scaled input is checked like any
other: every timed call's answer is compared with the original's on the same input.
"""

from __future__ import annotations

import ast
import logging
import math
import statistics
import time
from dataclasses import dataclass, field

from orchestrator.verify.method_calls import methods
from orchestrator.verify.workloads.workload_args import CallArguments, Sample, sample_of, size_of as _size, target_calls  # noqa: F401

log = logging.getLogger(__name__)

# Measurable: the original's own CPU time per pass -- a pass's cost minus that of its no-op twin (the same
# calls with the function replaced by `lambda *a, **k: None`: the fork per call, compiling and building the
# arguments, the driver's bookkeeping; ~2-5 ms per call) -- is at least OVERHEAD_MULTIPLE times the twin's,
# and at least MIN_CALL_S per call. Then the function is >= 2/3 of what is timed: a 2x gain shows as >= 1.5x
# and a 25% one as >= 17%, instead of drowning in the per-call cost (two calls of a few items: 0.01 ms of
# work beside ~4 ms of fixed cost per call, "no significant difference").
MIN_CALL_S = 1e-3
OVERHEAD_MULTIPLE = 2.0
NOISE_S = 0.05  # CPU-time noise of a sandbox run's start-up (seen: ±10-25 ms on a loaded 2-core machine)
SAMPLE_S = 0.3  # the passes of a timing run last about this long, so that NOISE_S is ~10% of them
FLOOR_CALL_S = 2e-3  # a timed call costs at least about this much (fork): bounds the passes of a timing run
MAX_LOOPS = 1000
START_S = 0.08  # CPU seconds of a run's start-up (seen: 0.07-0.1), to guess a pass's cost from one run
MAX_PASS_S = 2.0  # a grown workload whose pass costs more makes every sample slow: step back to a smaller factor
GROWTH_BUDGET_S = 30.0  # wall-clock cap on the growing (a step is 4 sandbox runs: two for a form, two for its twin)
FACTORS = (10, 100, 1000, 10000)
MAX_ITEMS = 1_000_000  # items of one scaled argument (memory: the sandbox has 512 MB)
MAX_CALLS = 40


# -- scaling calls ----------------------------------------------------------------------------------------


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _span(numbers: list) -> int:
    """The distance between copies so that shifted copies never share a value."""
    return math.ceil(max(numbers) - min(numbers)) + 1


def _spread_expr(value, factor: int) -> str | None:
    """An expression for `factor` shifted copies of a container, one after the other (distinct values where
    the original had distinct ones; a sorted list stays sorted), built by a comprehension: a literal of
    thousands of items costs more to compile, per call, than most functions take to run. Numbers are moved
    by copy * span, strings get the copy's number appended, tuples of numbers are moved item by item; None
    for any other container."""
    k = f"range({factor})"
    if isinstance(value, dict):
        keys, values = list(value), list(value.values())
        if all(_is_number(x) for x in keys):
            span = _span(keys + [v for v in values if _is_number(v)])
            key = f"k + {span} * i"
            val = f"v + {span} * i" if all(_is_number(v) for v in values) else "v"
        elif all(isinstance(x, str) for x in keys):
            key, val = "k + str(i)", "v"
        else:
            return None
        return f"{{{key}: {val} for i in {k} for k, v in {value!r}.items()}}"
    if not isinstance(value, (list, tuple, set)) or not value:
        return None
    items = list(value)
    if all(_is_number(x) for x in items):
        item = f"x + {_span(items)} * i"
    elif all(isinstance(x, str) for x in items):
        item = "x + str(i)"
    elif all(isinstance(x, tuple) and x and all(_is_number(v) for v in x) for x in items):
        item = f"tuple(v + {_span([v for x in items for v in x])} * i for v in x)"
    else:
        return None
    source = repr(tuple(items)) if isinstance(value, set) else repr(value)
    body = f"{item} for i in {k} for x in {source}"
    return f"[{body}]" if isinstance(value, list) else f"{{{body}}}" if isinstance(value, set) else f"tuple({body})"


def _scaled_arg(value, factor: int, spread: bool, ints: bool) -> str:
    """The expression for one argument of a call scaled by `factor` (its repr when it cannot scale)."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return repr(value * factor) if ints and value > 0 else repr(value)
    size = _size(value)
    if not size or size * factor > MAX_ITEMS:
        return repr(value)
    if spread and _spread_expr(value, factor):
        return _spread_expr(value, factor)
    if isinstance(value, (list, tuple, str, bytes)):
        return f"{value!r} * {factor}"
    return repr(value)


def _is_sized(value) -> bool:
    return _size(value) is not None and not isinstance(value, frozenset) and len(value) > 0


def scaled_call(name: str, call: dict, factor: int, spread: bool = False) -> str | None:
    if "receiver" in call:  # a method's: never its ints (an index or a key the instance holds)
        return methods.scaled_call(name, call, lambda value: _scaled_arg(value, factor, spread, False), factor)
    return _scaled_function_call(name, call, factor, spread)


def _scaled_function_call(name: str, call: dict, factor: int, spread: bool = False) -> str | None:
    """A workload expression calling `name` with a literal call's arguments ({"args", "kwargs"} as repr
    text) scaled by `factor`: lists, tuples, strings and bytes repeated (`[1, 2] * 10`), or with
    `spread`, lists, tuples, sets and dicts made of shifted copies (see _spread_expr); a call whose
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
    """The workload expression of a literal call, as orchestrator/refine.py `workload_calls` writes it (a method's
    call on its receiver: `(receiver).name(*args, **kwargs)`)."""
    if "receiver" in call:
        return methods.call_expr(call["receiver"], name, call)
    return f"{name}(*{call['args']}, **{call['kwargs']})"


# -- growing ----------------------------------------------------------------------------------------------


@dataclass
class WorkloadPlan:
    """The workload to time and what is known about it."""

    exprs: list[str]
    description: str  # "the inputs your tests use, scaled ×100"
    measurable: bool  # the original's own cost per call reached needed_per_call
    factor: int = 1
    seconds_per_call: float | None = None  # the original's own CPU time per call at this size (None: not measured)
    needed_per_call: float | None = None  # what "measurable" asked of it (MIN_CALL_S or more)
    message: str | None = None  # when not measurable: that the workload is too small, and how to give one

    @property
    def note(self) -> str:
        """One line for the report."""
        cost = f", {self.seconds_per_call * 1000:.2g} ms of the original's CPU per call" \
            if self.seconds_per_call is not None else ""
        return f"workload: {len(self.exprs)} calls from {self.description}{cost} (not shown to the models)"


NO_OP = methods.NO_OP


def no_op_twin(expr: str, name: str) -> str:
    """The same call with `name` replaced by a function that does nothing (what a call costs besides it); for a
    method's `(receiver).name(...)`, the receiver is still built (methods.no_op_twin)."""
    if expr.startswith(name + "("):
        return NO_OP + expr[len(name):]
    return methods.no_op_twin(expr, name) or "None"


class _Timer:
    """CPU seconds per pass of a workload on the original, in the sandbox. A run's start-up costs ~0.1 s give
    or take NOISE_S, so a pass is timed by two runs (1 and L passes, L making ~SAMPLE_S) differenced: start-up
    cancels out."""

    def __init__(self, exe, code: str, name: str, budget_s: float):
        self.exe, self.code, self.name = exe, code, name
        self.deadline = time.monotonic() + budget_s

    def out_of_time(self) -> bool:
        return time.monotonic() > self.deadline

    def _cpu(self, exprs: list[str], loops: int) -> float | None:
        result = self.exe.runner.run(self.exe.workload_program(self.code, exprs).spec(loops))
        return result.profile.cpu_time_s if getattr(result, "ok", False) else None

    def per_pass(self, exprs: list[str]) -> tuple[str, float | None]:
        """("ok", CPU seconds per pass) | ("fails", None) | ("too costly", None): over MAX_PASS_S a pass."""
        one = self._cpu(exprs, 1)
        if one is None:
            return "fails", None
        if one > MAX_PASS_S + START_S + 2 * NOISE_S:
            return "too costly", None
        # one pass, roughly: what one run costs above its start-up, unless that may be the start-up's noise
        above = one - START_S
        guess = above if above > 2 * NOISE_S else len(exprs) * FLOOR_CALL_S
        loops = max(2, min(MAX_LOOPS, math.ceil(SAMPLE_S / guess)))
        more = self._cpu(exprs, loops)
        if more is None:
            return "fails", None
        cost = max(0.0, (more - one) / (loops - 1))
        return ("too costly", None) if cost > MAX_PASS_S else ("ok", cost)

    def own(self, exprs: list[str]) -> tuple[str, float | None, float | None]:
        """(status, the function's own CPU seconds per pass, the no-op twin's)."""
        status, cost = self.per_pass(exprs)
        if status != "ok":
            return status, None, None
        twin_status, fixed = self.per_pass([no_op_twin(e, self.name) for e in exprs])
        if twin_status != "ok" or fixed is None:
            return "fails", None, None
        return "ok", max(0.0, cost - fixed), fixed


def grow_workload(exe, original_code: str, name: str, seen_calls: list[dict], generated: list[dict], *,
                  min_call_s: float = MIN_CALL_S, budget_s: float = GROWTH_BUDGET_S) -> WorkloadPlan:
    """The default workload for timing `name`: the calls the tests make (else the generated inputs), scaled
    ×10, ×100, ... until the original's own CPU time per pass (minus its no-op twin's) is OVERHEAD_MULTIPLE
    times the twin's and at least `min_call_s` per call.

    At each factor the spread form is tried first (shifted copies with distinct values: a sorted input stays
    sorted, a dedup or a membership test gets real work; strings repeated), then the repeated one
    (`[1, 2, 3] * 100`), keeping the first the original runs. A factor whose pass costs more than MAX_PASS_S
    is stepped back (geometric mean with the previous factor) once; growing stops when the cost does not grow
    with the size (a constant-time function) and after `budget_s`. When no size is measurable, `measurable`
    is False and `message` says the workload is too small and how to give one. `exe` is a PythonExecution
    (its `runner` and `workload_program(code, exprs).spec(loops)`)."""
    target = getattr(exe, "target", None)
    hint = f"{name}(...)"
    method = target is not None and methods.method_kind(target)
    if method:  # calls on the tests' receivers (methods.py)
        seen_calls, generated = _method_calls(exe, target, generated)
        hint = f"{methods.class_path(target)}(...).{name}(...)"
    source = "the inputs your tests use" if seen_calls else "generated inputs"
    calls = [c for c in (seen_calls or generated) if "args" in c][:MAX_CALLS]
    if method:
        calls = _returning(exe, original_code, calls, target, hint)
    base = [plain_call(name, c) for c in calls]
    if not base:
        return WorkloadPlan([], source, False, message=_too_small(hint, source, None, 1, min_call_s))
    timer = _Timer(exe, original_code, name, budget_s)
    n = len(base)

    def plan(exprs, own, fixed, factor, spread) -> WorkloadPlan:
        need = max(n * min_call_s, OVERHEAD_MULTIPLE * fixed)
        log.info("workload ×%d%s: own %.3f ms per pass, fixed %.3f ms, need %.3f ms", factor,
                 " spread" if spread else "", own * 1000, fixed * 1000, need * 1000)
        description = source if factor == 1 else _scaled_description(source, factor, spread)
        return WorkloadPlan(exprs, description, own >= need, factor, own / n, need / n)

    status, own, fixed = timer.own(base)
    if status == "fails":
        why = exe.workload_check(original_code, base) if hasattr(exe, "workload_check") else None
        return WorkloadPlan(base, source, False, message="the workload fails on the original" + (
            f": {why}" if why else ""))
    if status == "too costly":
        return WorkloadPlan(base, source, True)
    best = plan(base, own, fixed, 1, False)
    previous = best
    for factor in FACTORS:
        if best.measurable or timer.out_of_time():
            break
        chosen = _first_form(name, calls, factor, timer)
        if chosen is None and factor > previous.factor * 3:  # too costly or failing: one step in between
            factor = round(math.sqrt(previous.factor * factor))
            chosen = _first_form(name, calls, factor, timer)
        if chosen is None:
            break
        best = plan(*chosen[:3], factor, chosen[3])
        if not best.measurable and factor >= 1000 and \
                best.seconds_per_call < 2 * previous.seconds_per_call + min_call_s / 10:
            break  # the cost does not grow with the inputs' size (constant time): larger inputs will not help
        previous = best
    if not best.measurable:
        best.message = _too_small(hint, source, best.seconds_per_call, best.factor, best.needed_per_call or min_call_s)
    return best


def _returning(exe, original_code: str, calls: list[dict], target, hint: str) -> list[dict]:
    """The calls on which the original returns (one sandbox run of them all). A receiver rebuilt from a test is
    the test's instance only as far as its recipe goes (orchestrator/verify/method_calls/receivers.py): a call that raises on it
    would make the whole workload fail; it is left out of the workload (the differential still compares it)."""
    report = exe.calls(original_code, calls, [list(range(len(calls)))]) if calls else {}
    if not report.get("ok"):
        return calls
    answers = report["passes"][0]
    kept = [c for i, c in enumerate(calls) if answers.get(str(i), {}).get("e") is None]
    if calls and not kept:
        from orchestrator.errors import NoTests

        raise NoTests(f"every call of {target.qualname} the tests make raises on the original when replayed on an "
                      f"instance rebuilt from the tests: give --workload '{hint}' with the instance and arguments to time")
    return kept


def _method_calls(exe, target, generated: list[dict]) -> tuple[list[dict], list[dict]]:
    """(the tests' calls on their receivers, the generated calls on them) for a method; raises NoTests saying
    which instance is missing when the tests build none."""
    from orchestrator.errors import NoTests
    from orchestrator.verify.method_calls import receivers

    found = receivers.find(target, getattr(exe, "suite", None))
    generated = [c for c in generated if "receiver" in c]
    if not found.calls and not generated:
        raise NoTests(methods.missing_receiver(target))
    if methods.method_kind(target) == "property":
        return [{**c, "attribute": True} for c in found.calls], generated
    return found.calls, generated


def _first_form(name: str, calls: list[dict], factor: int, timer: _Timer) -> tuple | None:
    """(exprs, own cost per pass, the no-op twin's, spread?) of the first form at `factor` (spread, then
    repeated) that the original runs within MAX_PASS_S; None when no form grows or none runs."""
    tried = []
    for spread in (True, False):
        exprs = scaled_workload(name, calls, factor, spread)
        if exprs is None or exprs in tried:
            continue
        tried.append(exprs)
        status, own, fixed = timer.own(exprs)
        if status == "ok":
            return exprs, own, fixed, spread
    return None


def _scaled_description(source: str, factor: int, spread: bool) -> str:
    how = " (copies shifted to distinct values)" if spread else ""
    return f"{source}, scaled ×{factor}{how}"


def _too_small(hint: str, source: str, seconds_per_call: float | None, factor: int, min_call_s: float) -> str:
    scaled = f", scaled up to ×{factor}" if factor > 1 else ""
    cost = f" costs the original only {seconds_per_call * 1000:.2g} ms of its own CPU time per call" \
        if seconds_per_call is not None else " could not be measured"
    return (f"the workload ({source}{scaled}){cost}: too small to show a difference (a measurement needs "
            f"≥ {min_call_s * 1000:.2g} ms per call here, twice what a timed call costs besides the function). "
            f"Give a workload that does real work: --workload \"{hint}\" with inputs of the size you care about")
