"""What a Python function needs around it in a prompt: the module's constants and helpers it uses and, for a
method, its class — the attributes `__init__` sets and the sibling methods' signatures.

A model shown `IndexedSet.index` alone, called "the function `index`", cannot know `self._items` or the
helper it calls, and invents them. This is read-only context: the model still answers with the one function.
"""

from __future__ import annotations

import ast

MAX_CHARS = 1500  # small models lose the task in long prompts; the function itself comes first
MAX_HELPER_LINES = 12  # a longer helper is shown by its signature and docstring's first line


def _segment(text: str, node: ast.AST) -> str:
    return ast.get_source_segment(text, node) or ""


def _signature(text: str, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """`def name(args) -> ret:` plus the docstring's first line as a comment."""
    lines = text.splitlines()[fn.lineno - 1: fn.body[0].lineno - 1] or [text.splitlines()[fn.lineno - 1]]
    head = " ".join(line.strip() for line in lines).split(":  #")[0]
    doc = ast.get_docstring(fn)
    first = doc.strip().splitlines()[0] if doc else ""
    return head + (f"  # {first}" if first else "") + " ..."


def _short(text: str, node: ast.AST) -> str:
    source = _segment(text, node)
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and source.count("\n") >= MAX_HELPER_LINES:
        return _signature(text, node)
    return source


def _names_used(fn: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _module_definitions(tree: ast.Module) -> dict[str, ast.stmt]:
    found: dict[str, ast.stmt] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node
    return found


def _class_outline(text: str, cls: ast.ClassDef, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """The class header, its class attributes, what `__init__` sets on self, and the other methods' signatures
    with their decorators (a @property is read as an attribute): the ones the method uses through self/cls first,
    so that a long class cut at MAX_CHARS still shows them."""
    used = {n.attr for n in ast.walk(fn) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
            and n.value.id in ("self", "cls")}
    lines = [text.splitlines()[cls.lineno - 1].strip()]
    others = []
    for node in cls.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            lines.append("    " + _segment(text, node))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name != fn.name:
            if node.name == "__init__":
                lines.append("    " + _signature(text, node))
                lines += ["        " + _segment(text, stmt) for stmt in ast.walk(node)
                          if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and any(
                              isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"
                              for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]))]
            else:
                others.append(node)
    for node in sorted(others, key=lambda n: n.name not in used):  # stable: the file's order otherwise
        lines += ["    @" + ast.unparse(d) for d in node.decorator_list]
        lines.append("    " + _signature(text, node))
    return "\n".join(lines)


def _find(tree: ast.Module, name: str, class_name: str | None):
    scope = tree.body
    if class_name:
        cls = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name), None)
        if cls is None:
            return None, None
        scope = cls.body
    fn = next((n for n in scope if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name), None)
    return fn, (cls if class_name else None)


def python_context(module_text: str, name: str, class_name: str | None = None) -> str:
    """The context block for a prompt ('' when the function needs nothing from its module)."""
    try:
        tree = ast.parse(module_text)
    except SyntaxError:
        return ""
    fn, cls = _find(tree, name, class_name)
    if fn is None:
        return ""
    parts = []
    if cls is not None:
        parts.append(_class_outline(module_text, cls, fn))
    definitions = _module_definitions(tree)
    shown = {id(cls)}
    for used_name in sorted(_names_used(fn) - {name, class_name or ""}):
        node = definitions.get(used_name)
        if node is not None and id(node) not in shown:
            shown.add(id(node))
            parts.append(_short(module_text, node))
    text = "\n\n".join(p for p in parts if p)
    return text if len(text) <= MAX_CHARS else text[:MAX_CHARS].rsplit("\n", 1)[0] + "\n# ..."
