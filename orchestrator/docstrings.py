"""The original's docstring on every Python candidate.

Models are told to leave the docstring out (a re-typed 25-line docstring costs the answer's token budget
and gets cut), and whatever docstring a candidate has is replaced by the original's: the user's documentation
stays as written, and the doctests that judge candidates are the original's anyway (orchestrator.verify).
"""

from __future__ import annotations

import ast


def _function(tree: ast.AST, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    return next((node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                 and node.name == name), None)


def _docstring_node(fn) -> ast.Expr | None:
    first = fn.body[0] if fn.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return first
    return None


def keep_docstring(code: str, name: str, original: str) -> str:
    """`code` with the original function's docstring in place of its own (or added when it has none)."""
    try:
        fn, ofn = _function(ast.parse(code), name), _function(ast.parse(original), name)
    except SyntaxError:
        return code
    if fn is None or ofn is None or (doc := _docstring_node(ofn)) is None or not fn.body:
        return code
    original_lines = original.splitlines()
    indent_of = lambda line: line[: len(line) - len(line.lstrip())]  # noqa: E731 - one use
    source = original_lines[doc.lineno - 1: doc.end_lineno]
    if doc.col_offset != len(indent_of(source[0])) or doc.end_lineno == ofn.lineno:
        return code  # a docstring sharing its line with other code: left alone
    lines = code.splitlines()
    first = fn.body[0]
    if first.lineno == fn.lineno:
        return code  # a one-line function (`def f(): return 1`): no body lines to put it above
    body_indent = indent_of(lines[first.lineno - 1])
    old_indent = indent_of(source[0])
    moved = [body_indent + line[len(old_indent):] if line.startswith(old_indent) else line for line in source]
    own = _docstring_node(fn)
    start, end = (own.lineno - 1, own.end_lineno) if own is not None else (first.lineno - 1, first.lineno - 1)
    out = "\n".join(lines[:start] + moved + lines[end:])
    try:
        ast.parse(out)
    except SyntaxError:
        return code
    return out + ("\n" if code.endswith("\n") else "")
