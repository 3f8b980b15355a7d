"""What a workload's calls pass to the target, read without running them: the argument expressions of every call
of the target in the workload's expressions, and a literal sample standing for each argument with its size
(`[1, 2] * 500` is the list [1, 2], 1000 items). The differential inputs take their types and sizes from these
(orchestrator/verify/checks/differential.py); growing a workload (orchestrator/verify/workloads/workload.py) writes such calls."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field


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


def size_of(value) -> int | None:
    return len(value) if isinstance(value, (list, tuple, str, bytes, dict, set, frozenset)) else None


def sample_of(node: ast.expr) -> Sample | None:
    """What a workload argument is, read without running it: a literal, a literal repeated (`[0, 1] * 100`,
    `100 * "ab"`), `range(n)` / `list(range(n))` / `tuple(range(n))`, a comprehension over those (a scaled
    call's spread form); None for anything else."""
    try:
        value = ast.literal_eval(node)
        return Sample(value, size_of(value))
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        pass
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        for seq, times in ((node.left, node.right), (node.right, node.left)):
            inner = sample_of(seq)
            count = sample_of(times)
            if inner and count and inner.size is not None and isinstance(count.value, int):
                return Sample(inner.value, inner.size * max(0, count.value))
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
        return _comprehension_sample(node)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id in ("list", "tuple") and len(node.args) == 1 and not node.keywords:
            inner = sample_of(node.args[0])
            if inner is not None and isinstance(inner.value, (list, tuple)):
                return Sample(list(inner.value) if node.func.id == "list" else tuple(inner.value), inner.size)
        if node.func.id == "range" and 1 <= len(node.args) <= 3 and not node.keywords:
            bounds = [sample_of(a) for a in node.args]
            if all(b is not None and isinstance(b.value, int) for b in bounds):
                span = range(*[b.value for b in bounds])
                return Sample(list(span[:8]) + ([span[-1]] if len(span) > 8 else []), len(span))
    return None


def _comprehension_sample(node) -> Sample | None:
    """A comprehension over ranges and literals (what the spread form of a scaled call is, see _spread_expr):
    its size is the product of its loops' sizes, its sample the innermost literal (items as they are)."""
    size, inner = 1, None
    for loop in node.generators:
        source = loop.iter
        if isinstance(source, ast.Call) and isinstance(source.func, ast.Attribute) and source.func.attr == "items":
            source = source.func.value
        found = sample_of(source)
        if found is None or found.size is None or loop.ifs:
            return None
        size, inner = size * found.size, found.value
    if isinstance(node, ast.DictComp):
        return Sample(inner, size) if isinstance(inner, dict) else None
    items = list(inner)
    return Sample(set(items) if isinstance(node, ast.SetComp) else items, size)
