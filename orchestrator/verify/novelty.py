"""Duplicates are rejected before anything runs: a candidate that is the original, or an earlier candidate,
up to docstrings, comments, formatting and the names of local variables.

Small models often answer with the original itself (verbatim or with a no-op edit): measuring such a
candidate costs a minute and ends "no significant difference". The key compared is:
  Python   the ast (docstrings dropped; comments and layout never reach it) with each function's local
           variables and parameters renamed by order of first appearance -- unless the function can see its
           locals by name (locals(), vars(), eval, exec), then without renaming;
  others   the tree-sitter tokens (leaves) without comments; whitespace never reaches them.
A text that does not parse is keyed by its whitespace-normalised text (it fails the tests anyway).
"""

from __future__ import annotations

import ast
import hashlib
import textwrap

ORIGINAL = "the original"
_SEES_LOCALS = {"locals", "vars", "eval", "exec", "dir"}
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_SCOPES = (*_FUNCTIONS, ast.ClassDef)


def _drop_docstrings(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(
                    body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]


def _inside(scope: ast.AST) -> list[ast.AST]:
    """What runs in a scope's own namespace: a function's or class's body (its defaults, decorators and
    annotations run in the enclosing scope)."""
    if isinstance(scope, ast.Lambda):
        return [scope.body]
    return list(scope.body)


def _outside(scope: ast.AST) -> list[ast.AST]:
    """The parts of a nested function or class that the enclosing scope evaluates."""
    parts = [*getattr(scope, "decorator_list", []), *getattr(scope, "bases", []),
             *[k.value for k in getattr(scope, "keywords", [])]]
    args = getattr(scope, "args", None)
    if isinstance(args, ast.arguments):
        parts += [*args.defaults, *[d for d in args.kw_defaults if d is not None]]
        parts += [a.annotation for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg)
                  if a is not None and a.annotation is not None]
    if getattr(scope, "returns", None) is not None:
        parts.append(scope.returns)
    return parts


def _own_nodes(scope: ast.AST):
    """The nodes of a scope in a fixed order, nested functions and classes yielded but not entered (only
    their outside parts). Comprehensions count as part of the scope (renamed alike)."""
    stack = list(reversed(_inside(scope)))
    while stack:
        node = stack.pop()
        yield node
        children = _outside(node) if isinstance(node, _SCOPES) else list(ast.iter_child_nodes(node))
        stack.extend(reversed(children))


def _locals_of(fn: ast.AST) -> set[str] | None:
    """The names local to a function (parameters and every name it binds, not global/nonlocal ones); None
    when the function can reach its locals by name."""
    names: set[str] = set()
    declared: set[str] = set()
    args = fn.args
    names |= {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg)
              if a is not None}
    for node in _own_nodes(fn):
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, (ast.Store, ast.Del)):
                names.add(node.id)
            elif node.id in _SEES_LOCALS:
                return None
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            declared |= set(node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names.add(node.rest)
    return names - declared


class _Renamer:
    """Renames each function's locals to ·<depth>.<n> by order of first appearance, so two functions that
    differ only in those names get the same tree. Free names resolve to the enclosing function's mapping;
    globals, builtins, attributes and keyword-argument names keep their names."""

    def __init__(self):
        self.ok = True

    def function(self, fn: ast.AST, outer: dict[str, str], depth: int) -> None:
        local = _locals_of(fn)
        if local is None:
            self.ok = False
            return
        mapping = dict(outer)
        order: list[str] = []
        args = fn.args
        for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
            if a is not None and a.arg not in order:
                order.append(a.arg)
        for node in _own_nodes(fn):
            name = _bound_name(node)
            if name in local and name not in order:
                order.append(name)
        for number, name in enumerate(order):
            mapping[name] = f"·{depth}.{number}"  # not an identifier: never a name the code uses
        for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
            if a is not None:
                a.arg = mapping[a.arg]
        self.body(fn, mapping, depth)

    def body(self, scope: ast.AST, mapping: dict[str, str], depth: int) -> None:
        for node in _own_nodes(scope):
            if isinstance(node, ast.Name) and node.id in mapping:
                node.id = mapping[node.id]
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                node.names = [mapping.get(n, n) for n in node.names]
            elif isinstance(node, ast.ExceptHandler) and node.name in mapping:
                node.name = mapping[node.name]
            elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name in mapping:
                node.name = mapping[node.name]
            elif isinstance(node, ast.alias) and node.asname is None and node.name in mapping:
                node.asname = mapping[node.name]
            elif isinstance(node, ast.alias) and node.asname in mapping:
                node.asname = mapping[node.asname]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in mapping:
                node.name = mapping[node.name]
            if isinstance(node, _FUNCTIONS):
                self.function(node, mapping, depth + 1)
            elif isinstance(node, ast.ClassDef):
                # a class body's names are attributes (its API): not renamed; its methods' locals are
                self.body(node, {k: v for k, v in mapping.items()}, depth + 1)


def _bound_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name
    if isinstance(node, ast.ExceptHandler):
        return node.name
    if isinstance(node, ast.alias):
        return (node.asname or node.name).split(".")[0]
    if isinstance(node, (ast.MatchAs, ast.MatchStar)):
        return node.name
    return None


def python_key(code: str, rename: bool = True) -> str:
    """The normalised syntax tree of Python code (a ValueError when it does not parse)."""
    try:
        tree = ast.parse(textwrap.dedent(code).strip("\n"))
    except SyntaxError as exc:
        raise ValueError(str(exc)) from None
    _drop_docstrings(tree)
    if rename:
        renamer = _Renamer()
        for node in tree.body:
            if isinstance(node, _FUNCTIONS):
                renamer.function(node, {}, 0)
            elif isinstance(node, ast.ClassDef):
                renamer.body(node, {}, 0)
        if not renamer.ok:
            return python_key(code, rename=False)
    return ast.dump(tree, annotate_fields=False, include_attributes=False)


def token_key(code: str, language: str) -> str:
    """The tree-sitter leaves of `code` (type and text), comments left out."""
    from orchestrator.code import document

    doc = document(code, language)
    if doc.tree is None:
        raise ValueError(f"no grammar for {language}")
    comments = doc.grammar.comments
    tokens: list[str] = []
    stack = [doc.tree.root_node]
    while stack:
        node = stack.pop()
        if node.type in comments:
            continue
        if node.child_count == 0:
            tokens.append(f"{node.type}\x1f{doc.source[node.start_byte:node.end_byte].decode('utf-8', 'replace')}")
        else:
            stack.extend(reversed(node.children))
    return "\x1e".join(tokens)


def normalised(code: str, language: str) -> str:
    """The key two candidates are compared by (see the module's docstring)."""
    try:
        return python_key(code) if language == "python" else token_key(code, language)
    except (ValueError, RecursionError, MemoryError):
        return " ".join(code.split())


class Novelty:
    """The keys of the original and of every candidate seen: `duplicate_of(code)` names the one a candidate
    repeats ("the original", "attempt 2"), None when it is new; `add(code, label)` records a candidate."""

    def __init__(self, original_code: str, language: str):
        self.language = language
        self._seen: dict[str, str] = {}
        self.add(original_code, ORIGINAL)

    def _key(self, code: str) -> str:
        return hashlib.sha256(normalised(code, self.language).encode()).hexdigest()

    def duplicate_of(self, code: str) -> str | None:
        return self._seen.get(self._key(code))

    def add(self, code: str, label: str) -> None:
        self._seen.setdefault(self._key(code), label)
