"""What a failing test's call returned: the input, expected and actual values that a fix prompt needs.

A bare `assert median([1, 2, 3, 4]) == 2.5` run outside pytest's assertion rewriting fails with a bare
AssertionError: the model sees the call and the expected value but not what the code answered, and guesses. Here the
asserted call is read from the failure's traceback and made again, in the sandbox, on the code that failed, so the
feedback can say "median([1, 2, 3, 4]) returned 3; the test expects 2.5". Failures that already carry their values
(pytest's rewritten asserts, unittest's `3 != 2.5`) are left as they are.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

CALLS_AT_MOST = 3  # failing tests whose call is made again, per feedback
VALUE_CHARS = 300  # a value's repr in the feedback at most


@dataclass(frozen=True)
class AssertedCall:
    test: str
    call: str  # the expression that calls the target, as written in the test
    expected: str  # the other side, as written, or "a true value" / "a false value"


def asserted_call(test: str, error: str, name: str) -> AssertedCall | None:
    """The call of `name` in the failing `assert` of a bare AssertionError's traceback, or None."""
    lines = [ln.strip() for ln in (error or "").strip().splitlines()]
    if not lines or lines[-1] != "AssertionError":
        return None  # a message of its own (unittest, pytest, assert ..., "msg"): the values are there already
    source = next((ln for ln in reversed(lines) if ln.startswith("assert ")), None)
    try:
        node = ast.parse(source).body[0] if source else None
    except SyntaxError:  # an assert that spans lines
        return None
    if not isinstance(node, ast.Assert):
        return None
    test_expr = node.test
    if isinstance(test_expr, ast.Compare) and len(test_expr.ops) == 1 and isinstance(test_expr.ops[0], ast.Eq):
        left, right = test_expr.left, test_expr.comparators[0]
        if _calls(left, name):
            return AssertedCall(test, ast.unparse(left), ast.unparse(right))
        if _calls(right, name):
            return AssertedCall(test, ast.unparse(right), ast.unparse(left))
        return None
    if isinstance(test_expr, ast.UnaryOp) and isinstance(test_expr.op, ast.Not) and _calls(test_expr.operand, name):
        return AssertedCall(test, ast.unparse(test_expr.operand), "a false value")
    if _calls(test_expr, name) and isinstance(test_expr, ast.Call):
        return AssertedCall(test, ast.unparse(test_expr), "a true value")
    return None


def _calls(node: ast.AST, name: str) -> bool:
    """`node` is a call of the module-level function `name` (a method needs its receiver: not made again)."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name


def with_values(exe, code: str, name: str, results: list[dict]) -> str:
    """Lines "In test_x: f(...) returned A; the test expects B." for the failing tests among `results` whose
    asserted call can be made again on `code` ('' when none can). `exe` is a PythonExecution."""
    asked = [c for c in (asserted_call(r["name"], r.get("error", ""), name) for r in results if not r.get("passed"))
             if c is not None][:CALLS_AT_MOST]
    if not asked:
        return ""
    try:
        report = exe.calls(code, [{"expr": c.call} for c in asked], [list(range(len(asked)))])
    except Exception:  # noqa: BLE001 - the values are a help for the prompt, never a reason to stop the job
        return ""
    answers = (report.get("passes") or [{}])[0] if report.get("ok") else {}
    lines = []
    for i, asked_call in enumerate(asked):
        answer = answers.get(str(i)) or answers.get(i)
        if not answer:
            continue
        if answer.get("e"):
            got = f"raised {answer['e']}" + (f": {answer['m']}" if answer.get("m") else "")
        else:
            got = "returned " + _shown(answer.get("r"))
        lines.append(f"In {asked_call.test}: {asked_call.call} {got}; the test expects {asked_call.expected}.")
    return "\n".join(lines)


def _shown(value) -> str:
    text = display(value)
    return text if len(text) <= VALUE_CHARS else text[:VALUE_CHARS] + "…"


def display(value) -> str:
    """Python-like text of a value in the driver's normalised form (in_sandbox/driver_child.norm)."""
    if isinstance(value, str):
        for prefix in ("float:", "complex:"):
            if value.startswith(prefix):
                return value[len(prefix):]
        return repr(value)
    if isinstance(value, list) and value and value[0] in ("list", "tuple"):
        items = ", ".join(display(v) for v in value[1:])
        return f"[{items}]" if value[0] == "list" else f"({items}{',' if len(value) == 2 else ''})"
    if isinstance(value, dict):
        if "__set__" in value:
            return "{" + ", ".join(display(v) for v in value["__set__"]) + "}" if value["__set__"] else "set()"
        if "__dict__" in value:
            return "{" + ", ".join(f"{display(k)}: {display(v)}" for k, v in value["__dict__"]) + "}"
        if "__iter__" in value:
            return "an iterator yielding [" + ", ".join(display(v) for v in value["__iter__"]) + "]"
        if "repr" in value:
            return value["repr"]
        if "__type__" in value:
            attrs = ", ".join(f"{k}={display(v)}" for k, v in value.get("attrs", []))
            return f"{value['__type__']}({attrs})"
    return repr(value)
