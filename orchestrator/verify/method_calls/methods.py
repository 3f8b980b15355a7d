"""Calling a method of a class (`FILE::Class.method`): which kind it is, what it is called on, and the workload
expressions that call it -- `(receiver).method(args)` -- with their no-op twins and scaled forms
(orchestrator/verify/workloads/workload.py grows them like a function's calls).

The receivers themselves come from the tests (orchestrator/verify/method_calls/receivers.py) or from the workload's own
expressions; the in-sandbox driver (orchestrator/verify/running/in_sandbox/driver_child.py) evaluates a receiver in a
process of its own for every call and records the receiver's state after the call.
"""

from __future__ import annotations

import ast
import textwrap

from orchestrator.target import Target

RECEIVER_NAME = "_rc_receiver"  # the name a recipe binds its instance to (driver_child.py has the same constant)
NO_OP = "(lambda *a, **k: None)"


def method_kind(target: Target) -> str | None:
    """"instance", "class" (a classmethod or staticmethod: called on the class itself), "property" (a property's or
    cached_property's getter: read, not called) or None (not a method)."""
    if target.class_name is None or target.language != "python":
        return None
    try:
        node = function_node(target)
    except (SyntaxError, IndexError):
        return "instance"
    names = {d.id if isinstance(d, ast.Name) else d.attr if isinstance(d, ast.Attribute) else None
             for d in getattr(node, "decorator_list", [])}
    if names & {"classmethod", "staticmethod"}:
        return "class"
    return "property" if names & PROPERTIES else "instance"


PROPERTIES = {"property", "cached_property"}


def function_node(target: Target) -> ast.FunctionDef:
    """The target's def (decorators included), parsed at its own indentation."""
    return ast.parse(textwrap.dedent(target.indent + target.code)).body[0]


def class_path(target: Target) -> str:
    """`Outer.Inner` for a method of a nested class: the expression naming the class in its module."""
    return target.qualname.rsplit(".", 1)[0] if "." in target.qualname else (target.class_name or "")


def missing_receiver(target: Target) -> str:
    """What to say when no receiver is known: which instance is missing and the workload that gives one."""
    cls = class_path(target)
    return (f"no instance of {cls} found in the tests (a call {cls}(...).{target.name}(...), or x = {cls}(...) then "
            f"x.{target.name}(...)); give --workload '{cls}(...).{target.name}(...)' with the instance and the "
            "arguments to time")


def call_expr(receiver: str, name: str, call: dict) -> str:
    """The workload expression of one receiver call: `(receiver).name(*args, **kwargs)`, or a property's read
    `(receiver).name` (call["attribute"])."""
    if call.get("attribute"):
        return f"({receiver}).{name}"
    return f"({receiver}).{name}(*{call.get('args') or '()'}, **{call.get('kwargs') or '{}'})"


def _accessed(node: ast.expr, name: str) -> ast.Attribute | None:
    """The `R.name` that `node` calls (`R.name(...)`) or is (a property's read `R.name`)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == name:
        return node.func
    if isinstance(node, ast.Attribute) and node.attr == name and isinstance(node.ctx, ast.Load):
        return node
    return None


def split_call(expr: str, name: str) -> tuple[str, str] | None:
    """(receiver, the call with the receiver replaced by RECEIVER_NAME) when `expr` is a call of `.name` on
    something (or a read of it); None otherwise. The driver evaluates the two separately to see the receiver
    after the call."""
    try:
        node = ast.parse(expr.strip(), mode="eval").body
    except SyntaxError:
        return None
    access = _accessed(node, name)
    if access is None:
        return None
    receiver = ast.unparse(access.value)
    access.value = ast.Name(RECEIVER_NAME, ast.Load())
    return receiver, ast.unparse(node)


def workload_receivers(exprs: list[str], name: str) -> list[str]:
    """The receivers the workload's expressions call `.name` on."""
    found = []
    for expr in exprs:
        split = split_call(expr, name)
        if split and split[0] not in found:
            found.append(split[0])
    return found


def no_op_twin(expr: str, name: str) -> str | None:
    """`(receiver).name(args)` with the method replaced by a function that does nothing: the receiver is still
    built and the arguments evaluated (what a call costs besides the method). None when `expr` is not such a call."""
    try:
        node = ast.parse(expr.strip(), mode="eval").body
    except SyntaxError:
        return None
    access = _accessed(node, name)
    if access is None:
        return None
    args, keywords = (node.args, node.keywords) if isinstance(node, ast.Call) else ([], [])
    twin = ast.Call(ast.parse(NO_OP, mode="eval").body, [access.value, *args], keywords)
    return ast.unparse(twin)


def scaled_receiver(receiver: str, factor: int, scale_arg) -> str | None:
    """A receiver built by a constructor call (`IndexedSet(range(1000))`, `Stack([1, 2, 3])`, or the first step of
    a recipe) with its arguments grown by `factor` (`range(n)` to `range(n * factor)`, containers by
    `scale_arg(value)`); None when nothing in it grows (an argument that is not a literal or a range)."""
    try:
        node = ast.parse(receiver, mode="eval").body
    except SyntaxError:
        return None
    recipe = node
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Tuple) and node.value.elts and isinstance(
            node.value.elts[0], ast.NamedExpr):  # a recipe (receivers.recipe_text): grow its construction
        first = node.value.elts[0]
        grown = scaled_receiver(ast.unparse(first.value), factor, scale_arg)
        if grown is None:
            return None
        first.value = ast.parse(grown, mode="eval").body
        return ast.unparse(recipe)
    if not isinstance(node, ast.Call) or any(isinstance(a, ast.Starred) for a in node.args):
        return None
    grew = False
    args = []
    for arg in node.args:
        text = ast.unparse(arg)
        if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name) and arg.func.id == "range" and \
                len(arg.args) == 1 and isinstance(arg.args[0], ast.Constant) and isinstance(arg.args[0].value, int):
            text, grew = f"range({arg.args[0].value * factor})", True
        else:
            try:
                value = ast.literal_eval(arg)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                value = None
            scaled = scale_arg(value) if value is not None and not isinstance(value, (int, float, bool)) else None
            if scaled is not None and scaled != text:
                text, grew = scaled, True
        args.append(text)
    if not grew:
        return None
    keywords = [f"{k.arg}={ast.unparse(k.value)}" if k.arg else f"**{ast.unparse(k.value)}" for k in node.keywords]
    return f"{ast.unparse(node.func)}({', '.join(args + keywords)})"


def scaled_call(name: str, call: dict, scale_arg, factor: int) -> str | None:
    """A method's call ({"receiver", "args", "kwargs"[, "attribute"]}) scaled by `factor`: the receiver's constructor arguments
    (scaled_receiver) and the call's own arguments through `scale_arg(value) -> expression`, which leaves ints
    alone (an index or a key of the instance: scaled, it would name something the instance does not hold).
    None when nothing grows."""
    try:
        args = ast.literal_eval(call.get("args") or "()")
        kwargs = ast.literal_eval(call.get("kwargs") or "{}")
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        args = kwargs = None  # arguments that are expressions (the tests' `set(range(9))`): kept as they are
    scaled, grew = dict(call), False
    if args is not None:
        parts = [scale_arg(v) for v in args]
        named = {k: scale_arg(v) for k, v in kwargs.items()}
        grew = parts != [repr(v) for v in args] or named != {k: repr(v) for k, v in kwargs.items()}
        scaled["args"] = "(" + "".join(p + ", " for p in parts) + ")"
        scaled["kwargs"] = "{" + ", ".join(f"{k!r}: {v}" for k, v in named.items()) + "}"
    receiver = scaled_receiver(call["receiver"], factor, scale_arg)
    if receiver is None and not grew:
        return None
    return call_expr(receiver or call["receiver"], name, scaled)
