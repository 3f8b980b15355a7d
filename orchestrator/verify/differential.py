"""Differential tests against the original (Python): inputs from hypothesis strategies built from the
signature and type hints, plus the inputs the user's tests use; the candidate must match the original's
return value, exception type, argument mutation and stdout on every input where the original finishes.

Also the state guard: a candidate whose answers depend on earlier calls (same inputs, different order,
one process vs a fresh one) or whose calls change state kept between calls (default arguments, function
attributes, functools caches, closures, module globals) is rejected -- caching across the benchmark's
loop is how models game timing (GSO).

The inputs never reach a model: prompts only say how many inputs differed.
"""

from __future__ import annotations

import ast
import logging
from dataclasses import dataclass, field

from orchestrator.target import Target

log = logging.getLogger(__name__)

N_GENERATED = 40
MAX_CALLS = 80


def _params(target: Target) -> list[tuple[str, ast.expr | None, bool]]:
    """(name, annotation, has default) of the positional parameters (self/cls dropped)."""
    node = ast.parse(target.code.lstrip()).body[0]
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    defaults = [False] * (len(positional) - len(args.defaults)) + [True] * len(args.defaults)
    out = [(a.arg, a.annotation, d) for a, d in zip(positional, defaults)]
    if target.class_name and out and out[0][0] in ("self", "cls"):
        out = out[1:]
    return out


def _from_value(value, st):
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        # A narrow range too, so that equal values and sums that match (collisions) actually occur.
        return st.one_of(st.integers(-4, 6), st.integers(min(-10, value), max(25, value)))
    if isinstance(value, float):
        return st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
    if isinstance(value, str):
        alphabet = st.sampled_from(sorted(set(value))) if value and len(set(value)) < 6 else st.characters(
            min_codepoint=32, max_codepoint=126)
        return st.text(alphabet, max_size=max(12, len(value) + 4))
    if isinstance(value, bytes):
        return st.binary(max_size=16)
    if value is None:
        return st.none()
    if isinstance(value, (list, tuple, set)):
        inner = _from_value(next(iter(value)), st) if value else st.integers(-20, 20)
        if isinstance(value, tuple) and value and len({type(v) for v in value}) > 1:
            return st.tuples(*[_from_value(v, st) for v in value])
        size = max(8, min(30, len(value) + 5))
        if isinstance(value, set):
            return st.sets(inner, max_size=size)
        lists = st.lists(inner, max_size=size)
        return lists.map(tuple) if isinstance(value, tuple) else lists
    if isinstance(value, dict):
        if not value:
            return st.dictionaries(st.text(max_size=4), st.integers(-20, 20), max_size=6)
        k, v = next(iter(value.items()))
        return st.dictionaries(_from_value(k, st), _from_value(v, st), max_size=8)
    return st.just(value)


def _from_annotation(node: ast.expr | None, st):
    """A strategy for simple hints (int, float, str, bool, list[X], tuple[...], dict[K, V], set[X],
    Optional[X], X | None); None when the hint says nothing usable."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):  # "list[int]" as a string
        try:
            node = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        parts = [_from_annotation(node.left, st), _from_annotation(node.right, st)]
        parts = [p for p in parts if p is not None]
        return st.one_of(*parts) if parts else None
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
    simple = {"int": st.one_of(st.integers(-4, 6), st.integers(-10, 25)), "float": st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False),
              "str": st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12), "bool": st.booleans(),
              "bytes": st.binary(max_size=16), "None": st.none()}
    if name in simple:
        return simple[name]
    if isinstance(node, ast.Constant) and node.value is None:
        return st.none()
    if isinstance(node, ast.Subscript):
        outer = node.value.id if isinstance(node.value, ast.Name) else getattr(node.value, "attr", "")
        inner = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        subs = [_from_annotation(i, st) for i in inner]
        if outer in ("list", "List", "Sequence", "Iterable") and subs[0] is not None:
            return st.lists(subs[0], max_size=20)
        if outer in ("set", "Set", "frozenset", "FrozenSet") and subs[0] is not None:
            return st.sets(subs[0], max_size=12)
        if outer in ("tuple", "Tuple") and all(s is not None for s in subs):
            if len(inner) == 2 and isinstance(inner[1], ast.Constant) and inner[1].value is Ellipsis:
                return st.lists(subs[0], max_size=10).map(tuple)
            return st.tuples(*subs)
        if outer in ("dict", "Dict", "Mapping") and len(subs) == 2 and all(s is not None for s in subs):
            return st.dictionaries(subs[0], subs[1], max_size=8)
        if outer == "Optional" and subs[0] is not None:
            return st.one_of(st.none(), subs[0])
    return None


def generate_inputs(target: Target, seen_calls: list[dict], n: int = N_GENERATED) -> list[dict]:
    """Seen inputs first, then `n` hypothesis examples (deterministic: derandomized)."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    calls = [dict(c) for c in seen_calls][:MAX_CALLS // 2]
    params = [p for p in _params(target)]
    seen_args = [ast.literal_eval(c["args"]) for c in seen_calls]
    strategies = []
    for i, (name, annotation, has_default) in enumerate(params):
        values = [a[i] for a in seen_args if len(a) > i]
        strategy = _from_annotation(annotation, st)
        if values:
            from_seen = st.one_of(st.sampled_from([repr(v) for v in values]).map(ast.literal_eval),
                                  *[_from_value(v, st) for v in values[:3]])
            strategy = from_seen if strategy is None else st.one_of(strategy, from_seen)
        if strategy is None:
            if has_default:
                break  # leave it (and the rest) at their defaults
            strategy = st.integers(-10, 25)
        strategies.append(strategy)
    if not strategies:
        return calls or [{"args": "()", "kwargs": "{}"}]
    examples: list[tuple] = []

    @settings(max_examples=n, database=None, derandomize=True, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(st.tuples(*strategies))
    def collect(args):
        examples.append(args)

    collect()
    for args in examples:
        call = {"args": repr(tuple(args)), "kwargs": "{}"}
        try:
            if repr(ast.literal_eval(call["args"])) != call["args"]:
                continue  # e.g. nan/inf: not a literal that survives the trip into the sandbox
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            continue
        if call not in calls:
            calls.append(call)
        if len(calls) >= MAX_CALLS:
            break
    return calls


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
        differing = [i for i in first if i in other and _differs(first[i], other[i])]
        if differing:
            problems.append(f"answers change when the same inputs are repeated or reordered ({len(differing)} inputs)")
            break
    kept = [c for c in changed if c not in original_changed]
    if kept:
        problems.append("calls change state kept between calls: " + ", ".join(kept))
    return problems
