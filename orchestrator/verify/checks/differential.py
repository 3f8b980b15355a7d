"""Differential tests against the original (Python): the candidate must match the original's return value,
exception type, argument mutation and stdout on every input where the original finishes.

Inputs: the calls the user's tests make, a few large inputs as big as the workload's (lists and strings of
hundreds to thousands of items, ints far outside the tests' range), and hypothesis examples (deterministic).
Every parameter is filled -- keyword-only ones and ones with defaults too (sometimes left at the default) --
with values of the type that the evidence says: its type hint, its default value's type, the values the tests'
literal calls and the workload's calls pass for it. A parameter with no evidence at all gets a mix of types,
not ints only: a candidate that only handles what the tests happen to pass is caught. The workload's own calls
are compared too (orchestrator/verify/checks/behaviour.py adds them).

Also the state guard: a candidate whose answers depend on earlier calls (same inputs, different order,
one process vs a fresh one) or whose calls change state kept between calls (default arguments, function
attributes, functools caches, closures, module globals) is rejected -- caching across the benchmark's
loop is how models game timing (GSO).

The inputs never reach a model: prompts only say how many inputs differed.
"""

from __future__ import annotations

import ast
import logging
import random
from dataclasses import dataclass, field

from orchestrator.target import Target
from orchestrator.verify.method_calls.methods import function_node
from orchestrator.verify.checks.shapes import Shape, large_value, merge, shape_of_hint, shape_of_value, small_value, strategy
from orchestrator.verify.workloads.workload_args import sample_of, target_calls

log = logging.getLogger(__name__)

N_GENERATED = 40
MAX_CALLS = 80
N_LARGE = 4  # large inputs per function: the sizes the workload uses, else LARGE_SIZES
LARGE_SIZES = (300, 2000, 500, 1000)  # items, when the workload's sizes are unknown
MAX_LARGE = 20_000
WIDE_INTS = (1000, 10 ** 6, -(10 ** 4), 2 ** 40)  # ints of a function without sized parameters, large inputs
OMIT = object()  # a parameter left at its default


# -- parameters and their evidence ---------------------------------------------------------------------


@dataclass
class Param:
    name: str
    kind: str  # positional_only, positional, keyword_only, var_positional
    hint: ast.expr | None = None
    has_default: bool = False
    default: object = OMIT  # the default's value when it is a literal
    shape: Shape | None = None  # from the hint, the default and the values seen
    seen: list = field(default_factory=list)  # values the tests' and the workload's calls pass
    size: int = 0  # the largest len the workload passes

    @property
    def only_default(self) -> bool:
        """Nothing to generate: leave it at its default (e.g. key=None, or key=len)."""
        return self.has_default and not self.seen and (self.shape is None or self.shape.kind == "none")


def parameters(target: Target) -> list[Param]:
    """Every parameter (self/cls of a method dropped; **kwargs left out: the tests' calls carry those)."""
    node = function_node(target)
    a = node.args
    positional = [*a.posonlyargs, *a.args]
    defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    out = [Param(arg.arg, "positional_only" if i < len(a.posonlyargs) else "positional", arg.annotation,
                 default is not None, *_literal(default)) for i, (arg, default) in enumerate(zip(positional, defaults))]
    if target.class_name and out and out[0].name in ("self", "cls"):
        out = out[1:]
    if a.vararg is not None:
        out.append(Param(a.vararg.arg, "var_positional", a.vararg.annotation))
    out += [Param(arg.arg, "keyword_only", arg.annotation, default is not None, *_literal(default))
            for arg, default in zip(a.kwonlyargs, a.kw_defaults)]
    return out


def _literal(node: ast.expr | None) -> tuple:
    if node is None:
        return (OMIT,)
    try:
        return (ast.literal_eval(node),)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return (OMIT,)


def _bind(params: list[Param], positional: list, keywords: dict) -> dict[str, list]:
    """Which parameter each value of a call goes to (extra positional values go to *args)."""
    by_name: dict[str, list] = {p.name: [] for p in params}
    slots = [p for p in params if p.kind in ("positional_only", "positional")]
    star = next((p for p in params if p.kind == "var_positional"), None)
    for i, value in enumerate(positional):
        if i < len(slots):
            by_name[slots[i].name].append(value)
        elif star is not None:
            by_name[star.name].append(value)
    for key, value in keywords.items():
        if key in by_name:
            by_name[key].append(value)
    return by_name


def evidence(target: Target, seen_calls: list[dict], workload: list[str] | None = None) -> list[Param]:
    """The parameters with their shapes: hint, default value, the tests' literal calls, the workload's calls."""
    params = parameters(target)
    bound: dict[str, list] = {p.name: [] for p in params}
    sizes: dict[str, int] = {p.name: 0 for p in params}
    for call in seen_calls:
        if "args" not in call:
            continue
        try:
            args, kwargs = ast.literal_eval(call["args"]), ast.literal_eval(call.get("kwargs") or "{}")
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            continue
        for name, values in _bind(params, list(args), dict(kwargs)).items():
            bound[name] += values
    for call in target_calls(workload or [], target.name):
        samples = [sample_of(n) for n in call.positional]
        named = {k: sample_of(n) for k, n in call.keywords.items()}
        for name, values in _bind(params, samples, named).items():
            for sample in values:
                if sample is not None:
                    bound[name].append(sample.value)
                    sizes[name] = max(sizes[name], sample.size or 0)
    for p in params:
        p.seen, p.size = bound[p.name], sizes[p.name]
        shape = shape_of_hint(p.hint)
        if p.default is not OMIT and p.default is not None:
            shape = merge(shape, shape_of_value(p.default))
        for value in p.seen[:50]:
            shape = merge(shape, shape_of_value(value))
        p.shape = shape
    return params


def _scalar(shape: Shape | None, rng: random.Random, index: int, wide: bool):
    """A scalar argument of a large input: the tests' kind of value, or (for a function without sized
    parameters) ints far outside the tests' range."""
    if shape is not None and shape.kind == "union":
        shape = next((o for o in shape.items if o.kind == "int"), rng.choice(shape.items))
    if wide and (shape is None or shape.kind in ("int", "any")):
        low, high = (shape.low, shape.high) if shape is not None and shape.kind == "int" else (-10, 25)
        magnitude = max(abs(int(low)), abs(int(high)))
        value = 2 * magnitude if magnitude > 25 and index % 2 == 0 else WIDE_INTS[index % len(WIDE_INTS)]
        return abs(value) if low >= 0 else value
    return small_value(shape, rng, 25, True)


def large_inputs(params: list[Param], count: int = N_LARGE) -> list[tuple[list, dict]]:
    """`count` calls with large values: containers and strings of the workload's sizes (else LARGE_SIZES)."""
    # Grown: the parameters the call cannot do without, and any the workload passes large values to; an
    # optional one (sep=",") stays at its default.
    sized = [p for p in params if not p.only_default and p.kind != "var_positional" and (
        p.shape is None or p.shape.sized) and (not p.has_default or p.size)]
    out = []
    for index in range(count):
        rng = random.Random(7919 * (index + 1))
        values = {}
        for p in params:
            if p.only_default or p.kind == "var_positional" or (p.has_default and p not in sized and sized):
                values[p.name] = OMIT
            elif p in sized:
                size = p.size * (1 + index % 2) if p.size else LARGE_SIZES[index % len(LARGE_SIZES)]
                values[p.name] = large_value(p.shape, rng, min(MAX_LARGE, max(size, 1)), narrow=index % 2 == 1)
            else:
                values[p.name] = _scalar(p.shape, rng, index, wide=not sized)
        out.append(_assemble(params, values, []))
    return out


N_TINY = 40  # collision-rich small inputs per function


def _tiny_value(shape: Shape | None, rng: random.Random, index: int):
    """A value of `shape` from a tiny domain: ints in [-2, 6], strings over "ab", 0-6 items."""
    if shape is not None and shape.kind == "union":
        shape = shape.items[index % len(shape.items)]
    kind = shape.kind if shape is not None else "int"
    if kind == "bool":
        return index % 2 == 1
    if kind == "none":
        return None
    if kind == "float":
        return float(rng.randint(-2, 6)) / 2
    if kind in ("int", "any"):
        return rng.randint(-2, 6)
    if kind == "str":
        return "".join(rng.choice(shape.alphabet or "ab") for _ in range(rng.randint(0, 5)))
    if kind in ("list", "tuplevar", "set"):
        items = [_tiny_value(shape.items[0] if shape.items else None, rng, index) for _ in range(rng.randint(0, 6))]
        return set(items) if kind == "set" else tuple(items) if kind == "tuplevar" else items
    if kind == "tuple":
        return tuple(_tiny_value(item, rng, index) for item in shape.items)
    if kind == "dict" and len(shape.items) == 2:
        return {_tiny_value(shape.items[0], rng, index): _tiny_value(shape.items[1], rng, index)
                for _ in range(rng.randint(0, 4))}
    return large_value(shape, rng, rng.randint(0, 6), narrow=True)


def tiny_inputs(params: list[Param], count: int = N_TINY) -> list[tuple[list, dict]]:
    """`count` calls from tiny domains (ints in [-2, 6], strings over "ab", containers of 0-6 such items),
    every flag both ways, an optional parameter given on every other call. Where a hypothesis example spreads
    over the whole range, these make the coincidences behaviour hides behind: equal items, sums that match, a
    flag that is on (a candidate that ignores `distinct=True` differs only on a list holding a matching pair)."""
    out = []
    for index in range(count):
        rng = random.Random(104729 * (index + 1))
        values = {}
        for number, p in enumerate(params):
            if p.only_default or p.kind == "var_positional" or (p.has_default and (index >> number) % 2 == 0
                                                                 and index % 3 == 0):
                values[p.name] = OMIT
            else:
                values[p.name] = _tiny_value(p.shape, rng, index + number)
        out.append(_assemble(params, values, []))
    return out


def _assemble(params: list[Param], values: dict, extra: list) -> tuple[list, dict]:
    """(args, kwargs): positional values in order until the first one left at its default, then by keyword
    (a positional-only one after a gap stays at its default); *args only when every positional is given."""
    args, kwargs, gap = [], {}, False
    for p in params:
        value = values.get(p.name, OMIT)
        if p.kind in ("positional_only", "positional"):
            if value is OMIT:
                gap = True
            elif not gap:
                args.append(value)
            elif p.kind == "positional":
                kwargs[p.name] = value
        elif p.kind == "keyword_only" and value is not OMIT:
            kwargs[p.name] = value
    if not gap:
        args += extra
    return args, kwargs


def generate_inputs(target: Target, seen_calls: list[dict], n: int = N_GENERATED,
                    workload: list[str] | None = None) -> list[dict]:
    """Literal calls ({"args": repr(tuple), "kwargs": repr(dict)}): the tests' calls first, then N_LARGE large
    ones, then `n` hypothesis examples (deterministic: derandomized). `workload`: the workload's expressions,
    read for the types and sizes of what they pass."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    # A method's calls keep their receiver (orchestrator/verify/method_calls/receivers.py); generated ones get theirs from
    # orchestrator/verify/checks/behaviour.py.
    calls = [{"args": c["args"], "kwargs": c.get("kwargs") or "{}", **({"receiver": c["receiver"]} if "receiver" in c
                                                                     else {})}
             for c in seen_calls if "args" in c][:MAX_CALLS // 2]
    params = evidence(target, seen_calls, workload)

    def add(args, kwargs) -> None:
        call = {"args": repr(tuple(args)), "kwargs": repr(dict(kwargs))}
        try:
            if repr(ast.literal_eval(call["args"])) != call["args"] or repr(
                    ast.literal_eval(call["kwargs"])) != call["kwargs"]:
                return  # e.g. nan/inf: not a literal that survives the trip into the sandbox
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return
        if call not in calls and len(calls) < MAX_CALLS:
            calls.append(call)

    if not params:
        return calls or [{"args": "()", "kwargs": "{}"}]
    if n > 0:
        for args, kwargs in large_inputs(params) + tiny_inputs(params):
            add(args, kwargs)
    fixed = [p for p in params if p.kind != "var_positional"]
    star = next((p for p in params if p.kind == "var_positional"), None)
    per_param = []
    for p in fixed:
        typed = strategy(p.shape, st) if not p.only_default else None
        if p.seen:
            from_seen = st.sampled_from([repr(v) for v in p.seen[:30]]).map(ast.literal_eval)
            typed = from_seen if typed is None else st.one_of(typed, from_seen)
        per_param.append(st.one_of(st.just(OMIT), typed) if p.has_default and typed is not None
                         else st.just(OMIT) if typed is None else typed)
    extra = st.just([])
    if star is not None:
        element = strategy(star.shape, st)
        if star.seen:
            element = st.one_of(element, st.sampled_from([repr(v) for v in star.seen[:30]]).map(ast.literal_eval))
        extra = st.lists(element, max_size=3)
    examples: list = []

    @settings(max_examples=max(n, 1), database=None, derandomize=True, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(st.tuples(*per_param), extra)
    def collect(values, more):
        examples.append(_assemble(params, {p.name: v for p, v in zip(fixed, values)}, list(more)))

    if n > 0:
        collect()
    for args, kwargs in examples:
        add(args, kwargs)
    return calls or [{"args": "()", "kwargs": "{}"}]

@dataclass
class Comparison:
    compared: int = 0
    mismatches: list[tuple[int, str]] = field(default_factory=list)  # (input index, what differed)

    @property
    def passed(self) -> bool:
        return not self.mismatches

    def summary(self) -> str:
        if self.passed:
            return f"same behaviour as the original on {self.compared} inputs"
        kinds = sorted({kind for _, kind in self.mismatches})
        return f"differs from the original on {len(self.mismatches)} of {self.compared} inputs ({', '.join(kinds)})"


def _differs(a: dict, b: dict) -> str | None:
    if a.get("e") != b.get("e"):
        return "exception"
    if a.get("r") != b.get("r"):
        return "return value"
    if a.get("m") != b.get("m"):
        return "argument mutation"
    if a.get("o") != b.get("o"):
        return "stdout"
    if a.get("s") != b.get("s"):  # a method's receiver after the call (orchestrator/verify/method_calls/receivers.py)
        return "receiver state"
    return None


def compare(oracle: dict[str, dict], candidate: dict[str, dict]) -> Comparison:
    """Per-input comparison; inputs on which the original timed out are not compared."""
    out = Comparison()
    for index, expected in oracle.items():
        if expected.get("e") == "timeout" or index not in candidate:
            continue
        out.compared += 1
        what = _differs(expected, candidate[index])
        if what:
            out.mismatches.append((int(index), what))
    return out


def state_problems(same_process: list[dict[str, dict]], fresh: dict[str, dict], changed: list[str],
                   original_changed: list[str]) -> list[str]:
    """Why the candidate's answers depend on state kept between calls (empty when they do not)."""
    problems = []
    first = same_process[0]
    for other in [*same_process[1:], fresh]:
        # A call that ran out of time in one pass has no answer to compare (a loaded machine, not state).
        differing = [i for i in first if i in other and "timeout" not in (first[i].get("e"), other[i].get("e"))
                     and _differs(first[i], other[i])]
        if differing:
            problems.append(f"answers change when the same inputs are repeated or reordered ({len(differing)} inputs)")
            break
    kept = [c for c in changed if c not in original_changed]
    if kept:
        problems.append("calls change state kept between calls: " + ", ".join(kept))
    return problems
