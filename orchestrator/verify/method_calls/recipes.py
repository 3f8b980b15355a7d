"""Reading one test file for a method's receivers (orchestrator/verify/method_calls/receivers.py gathers the files): which
instance each call `x.method(...)` is made on, as an expression the sandbox can rebuild -- the construction,
then the test's own changes to the instance before the call (a recipe) -- and which calls have arguments that
can be replayed. See receivers.py for the rules; this module is the walk over a function's statements."""

from __future__ import annotations

import ast
import builtins
import copy
import functools
from dataclasses import dataclass, field

from orchestrator.target import Target
from orchestrator.verify.method_calls.methods import RECEIVER_NAME, class_path, method_kind

MAX_RECIPE_STEPS = 12
MAX_RECEIVERS = 12
MAX_TEXT = 2000  # a receiver or argument expression longer than this is left out (a data dump, not a recipe)
_BUILTINS = frozenset(dir(builtins))


@dataclass
class MethodCalls:
    """What the tests say about calling a method: its receivers and the calls with portable arguments."""

    receivers: list[str] = field(default_factory=list)  # distinct receiver expressions, in order of appearance
    calls: list[dict] = field(default_factory=list)  # {"receiver", "args", "kwargs"}: expressions (text)


def module_names(target: Target) -> set[str]:
    """The names the target module binds at its top level (what a receiver expression may use); read once per
    module text."""
    return set(_module_names(target.text))


@functools.lru_cache(maxsize=8)
def _factories(text: str, cls: str) -> frozenset[str]:
    """The module's top-level functions with a `return cls(...)`."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return frozenset()
    return frozenset(fn.name for fn in tree.body if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
        isinstance(n, ast.Return) and isinstance(n.value, ast.Call) and ast.unparse(n.value.func) == cls
        for n in ast.walk(fn)))


@functools.lru_cache(maxsize=8)
def _module_names(text: str) -> frozenset[str]:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return frozenset()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            for t in node.targets if isinstance(node, ast.Assign) else [node.target]:
                names.update(n.id for n in ast.walk(t) if isinstance(n, ast.Name))
    return frozenset(names)


class Reader:
    """One test file's receivers of the target method (see the module's docstring)."""

    def __init__(self, target: Target, tree: ast.Module, found: MethodCalls):
        self.target, self.found = target, found
        self.name, self.cls = target.name, class_path(target)
        self.kind = method_kind(target)
        self.allowed = module_names(target) | _BUILTINS
        self.aliases: dict[str, str] = {}  # a name the test imported a module name under -> that name
        self.module_aliases: set[str] = set()  # names the test binds the target module itself to
        self.globals: dict[str, ast.expr] = {}  # the test module's portable top-level values
        self._imports(tree)
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                value = self.portable(node.value, {})
                if value is not None:
                    self.globals[node.targets[0].id] = value

    def _imports(self, tree: ast.Module) -> None:
        module = self.target.module
        last = module.rsplit(".", 1)[-1]
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.rsplit(".", 1)[-1] == last:
                for alias in node.names:  # from pkg.mod import X as Y: Y is the module's X
                    if alias.asname and alias.name in self.allowed:
                        self.aliases[alias.asname] = alias.name
            elif isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    if alias.name == last:  # from pkg import mod [as m]
                        self.module_aliases.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == module or alias.name.endswith("." + last) or alias.name == last:
                        self.module_aliases.add(alias.asname or alias.name)

    # -- expressions
    def portable(self, node: ast.expr, local: dict[str, ast.expr]) -> ast.expr | None:
        """`node` with the test's own values inlined and `mod.X` read as `X`; None when some name in it is not
        the module's, a builtin or such a value."""
        bound = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        bound |= {a.arg for n in ast.walk(node) if isinstance(n, ast.Lambda) for a in ast.walk(n.args)
                  if isinstance(a, ast.arg)}
        reader = self

        class Inline(ast.NodeTransformer):
            ok = True

            def visit_Attribute(self, n):
                if isinstance(n.value, ast.Name) and n.value.id in reader.module_aliases and n.attr in reader.allowed:
                    return ast.copy_location(ast.Name(n.attr, ast.Load()), n)
                return self.generic_visit(n)

            def visit_Name(self, n):
                if not isinstance(n.ctx, ast.Load) or n.id in bound:
                    return n
                if n.id in local:
                    return local[n.id]
                if n.id in reader.globals:
                    return reader.globals[n.id]
                if n.id in reader.aliases:
                    return ast.copy_location(ast.Name(reader.aliases[n.id], ast.Load()), n)
                if n.id in reader.allowed and n.id not in reader.module_aliases:
                    return n
                self.ok = False
                return n

            def visit_Await(self, n):
                self.ok = False
                return n

            visit_Yield = visit_YieldFrom = visit_NamedExpr = visit_Await

        inliner = Inline()
        out = inliner.visit(_copy(node))
        if not inliner.ok:
            return None
        return out if len(ast.unparse(out)) <= MAX_TEXT else None

    def constructs(self, node: ast.expr) -> bool:
        """`Class(...)`, `Class.something(...)` (an alternative constructor) or `factory(...)`, a function of the
        module that returns `Class(...)` (boltons' `complement(...)` for `_ComplementSet`), after inlining."""
        if not isinstance(node, ast.Call):
            return False
        func = ast.unparse(node.func)
        return func == self.cls or func in _factories(self.target.text, self.cls) or (
            func.startswith(self.cls + ".") and func.count(".") == self.cls.count(".") + 1
            and not func.endswith("." + self.name))

    # -- statements
    def read_function(self, fn: ast.FunctionDef, start: dict[str, list[ast.expr]]) -> dict[str, list[ast.expr]]:
        """Walk a function's body; returns its recipes at the end (setUp's are the start of each test's)."""
        recipes = {k: list(v) for k, v in start.items()}  # receiver key ("x", "self.x") -> [construct, steps...]
        values: dict[str, ast.expr] = {}  # local names bound to portable expressions (not receivers)
        self._block(fn.body, recipes, values, nested=False)
        return recipes

    def _block(self, body: list[ast.stmt], recipes, values, nested: bool) -> None:
        for stmt in body:
            self._calls_in(stmt, recipes, values)
            if isinstance(stmt, (ast.For, ast.AsyncFor, ast.While, ast.If, ast.With, ast.AsyncWith, ast.Try)):
                inner = {k: list(v) for k, v in recipes.items()}
                for part in ("body", "orelse", "finalbody"):
                    self._block(getattr(stmt, part, []) or [], inner, dict(values), nested=True)
                for handler in getattr(stmt, "handlers", []) or []:
                    self._block(handler.body, inner, dict(values), nested=True)
                for key in list(recipes):  # changed inside: its state afterwards is unknown
                    if inner.get(key) != recipes[key]:
                        recipes.pop(key)
                for key in set(values) & _stored(stmt):
                    values.pop(key)
                continue
            self._effect(stmt, recipes, values)

    def _effect(self, stmt: ast.stmt, recipes, values) -> None:
        """What a simple statement does to the recipes and values."""
        scope = _scope(recipes, values)
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            key = key_of(stmt.targets[0])
            value = self.portable(stmt.value, scope)
            for stored in _stored(stmt):
                values.pop(stored, None)
            if key is None:
                return
            recipes.pop(key, None)
            if value is not None and self.constructs(value):
                recipes[key] = [value]
            elif value is not None and isinstance(stmt.targets[0], ast.Name):
                values[key] = value
            return
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and isinstance(stmt.value.func, ast.Attribute):
            key = key_of(stmt.value.func.value)
            if key in recipes:
                step = self._step(stmt.value, scope)
                if step is None or len(recipes[key]) > MAX_RECIPE_STEPS:
                    recipes.pop(key)
                else:
                    recipes[key].append(step)
            return
        if isinstance(stmt, ast.AugAssign):
            key = key_of(stmt.target)
            if key in recipes:
                value = self.portable(stmt.value, scope)
                if value is None:
                    recipes.pop(key)
                else:
                    recipes[key].append(ast.AugAssign(ast.Name(RECEIVER_NAME, ast.Store()), stmt.op, value))
            return
        for stored in _stored(stmt):  # any other binding: what it holds is unknown
            recipes.pop(stored, None)
            values.pop(stored, None)

    def _step(self, call: ast.Call, values) -> ast.expr | None:
        """A method call on the receiver, with the receiver as RECEIVER_NAME (None: arguments not portable)."""
        rest = ast.Call(ast.Constant(None), call.args, call.keywords)
        portable = self.portable(rest, values)
        if portable is None:
            return None
        return ast.Call(ast.Attribute(ast.Name(RECEIVER_NAME, ast.Load()), call.func.attr, ast.Load()),
                        portable.args, portable.keywords)

    def _calls_in(self, stmt: ast.stmt, recipes, values) -> None:
        """Record every `.name(...)` call in the statement (not in nested blocks) whose receiver is known (for a
        property, every read `.name`)."""
        for node in _walk_shallow(stmt):
            if self.kind == "property":
                if not (isinstance(node, ast.Attribute) and node.attr == self.name and isinstance(node.ctx, ast.Load)):
                    continue
                access, call = node, ast.Call(node, [], [])
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == self.name:
                access, call = node.func, node
            else:
                continue
            receiver = self._receiver(access.value, recipes, _scope(recipes, values))
            if receiver is not None:
                self._add(receiver, call, _scope(recipes, values))

    def _receiver(self, node: ast.expr, recipes, values) -> str | None:
        key = key_of(node)
        if key in recipes:
            return recipe_text(recipes[key])
        value = self.portable(node, values)
        if value is None:
            return None
        if self.kind == "class" and ast.unparse(value) == self.cls:
            return self.cls
        return ast.unparse(value) if self.constructs(value) else None

    def _add(self, receiver: str, call: ast.Call, values) -> None:
        if receiver not in self.found.receivers and len(self.found.receivers) < MAX_RECEIVERS:
            self.found.receivers.append(receiver)
        if receiver not in self.found.receivers or any(isinstance(a, ast.Starred) for a in call.args) or any(
                k.arg is None for k in call.keywords):
            return
        args = [self.portable(a, values) for a in call.args]
        kwargs = {k.arg: self.portable(k.value, values) for k in call.keywords}
        if any(a is None for a in args) or any(v is None for v in kwargs.values()):
            return
        entry = {"receiver": receiver, "args": _tuple_text(args),
                 "kwargs": "{" + ", ".join(f"{k!r}: {ast.unparse(v)}" for k, v in kwargs.items()) + "}"}
        if entry not in self.found.calls:
            self.found.calls.append(entry)


IN_PLACE = {ast.Add: "iadd", ast.Sub: "isub", ast.Mult: "imul", ast.MatMult: "imatmul", ast.Div: "itruediv",
            ast.FloorDiv: "ifloordiv", ast.Mod: "imod", ast.Pow: "ipow", ast.LShift: "ilshift", ast.RShift: "irshift",
            ast.BitOr: "ior", ast.BitXor: "ixor", ast.BitAnd: "iand"}


def recipe_text(steps: list[ast.AST]) -> str:
    """The receiver expression: the construction alone, or the walrus recipe replaying the test's changes."""
    if len(steps) == 1:
        return ast.unparse(steps[0])
    parts = [f"({RECEIVER_NAME} := {ast.unparse(steps[0])})"]
    for step in steps[1:]:
        if isinstance(step, ast.AugAssign):  # x op= v as an expression: operator's in-place function, which
            # falls back to the plain operator as Python's statement does
            function = IN_PLACE[type(step.op)]
            parts.append(f"({RECEIVER_NAME} := __import__('operator').{function}({RECEIVER_NAME}, "
                         f"{ast.unparse(step.value)}))")
        else:
            parts.append(ast.unparse(step))
    return "(" + ", ".join(parts + [RECEIVER_NAME]) + ")[-1]"


def _tuple_text(args: list[ast.expr]) -> str:
    if not args:
        return "()"
    return "(" + ", ".join(ast.unparse(a) for a in args) + ("," if len(args) == 1 else "") + ")"


def _copy(node: ast.AST) -> ast.AST:
    return copy.deepcopy(node)


def _scope(recipes: dict[str, list], values: dict[str, ast.expr]) -> dict[str, ast.expr]:
    """What a portable expression may inline: the test's values, and the instances still as constructed (a
    recipe of one step; one with steps would need a name of its own inside another's recipe)."""
    return {**values, **{k: r[0] for k, r in recipes.items() if len(r) == 1 and "." not in k}}


def key_of(node: ast.expr) -> str | None:
    """`x` or `self.x`: what a recipe is kept under."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
        return f"{node.value.id}.{node.attr}"
    return None


def _stored(stmt: ast.AST) -> set[str]:
    out = set()
    for n in ast.walk(stmt):
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            out.add(n.id)
        elif isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store) and key_of(n):
            out.add(key_of(n))
    return out


def _walk_shallow(stmt: ast.stmt):
    """The nodes of a statement, without descending into the bodies of nested blocks or definitions."""
    todo = [stmt]
    while todo:
        node = todo.pop()
        yield node
        for name, value in ast.iter_fields(node):
            if node is stmt and name in ("body", "orelse", "finalbody", "handlers"):
                continue
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)) and node is not stmt:
                break
            items = value if isinstance(value, list) else [value]
            todo.extend(reversed([v for v in items if isinstance(v, ast.AST)]))
