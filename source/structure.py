"""Functions in a syntax tree: which nodes are named definitions, their exact spans (decorators,
attributes and template heads included; the doc comment above kept apart), names, parameters, types,
the problem text (comment block above and docstring), nesting and enclosing classes.

Rows are 0-based; columns and offsets are UTF-8 bytes, as tree-sitter counts them. Callers that speak
characters (LSP, `str` indices) convert through `source.document.Document`."""

from __future__ import annotations

import inspect
import re
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache

import tree_sitter as ts

from source import languages
from source.grammars import Grammar
from source.signature import signature as _signature

_NAMED_VALUE_PARENTS = {  # parent type of an anonymous function value -> field holding its name
    "variable_declarator": "name", "pair": "key", "field_definition": "property", "assignment_expression": "left",
    "assignment": "left", "init_declarator": "declarator", "let_declaration": "pattern",
    "short_var_declaration": "left", "var_spec": "name", "const_spec": "name",
}
# Languages whose function values bound to a name count as named functions (`const add = (a, b) => ...`).
_BOUND_VALUE_LANGUAGES = {"javascript"}


@dataclass(frozen=True)
class Param:
    name: str
    type: str | None = None
    default: str | None = None


@dataclass(frozen=True)
class Container:
    kind: str  # node type: class_definition, impl_item, namespace_definition, ...
    name: str
    header: str  # the container's text up to its body, e.g. "class Box:" or "impl<T> Stack<T>"
    start_byte: int
    body_start_byte: int


@dataclass(frozen=True)
class Function:
    language: str
    name: str
    qualified_name: str  # enclosing classes and functions joined by "." (C++ `A::f` definitions too)
    kind: str  # "function", "method" or "constructor"
    start_byte: int  # the definition: decorators, annotations, attributes and template heads included
    end_byte: int
    first_row: int
    last_row: int
    name_start_byte: int
    name_end_byte: int
    name_row: int  # the header line, where results are shown
    doc_start_byte: int  # start of the comment block above (== start_byte when there is none)
    doc_first_row: int | None  # first row of that comment block; None when there is none
    comment: str  # the comment block above, markers removed
    docstring: str  # Python's docstring; "" elsewhere
    params: tuple[Param, ...]
    return_type: str | None
    type_parameters: str | None  # generics / template parameters, as written
    depth: int  # how many functions enclose this one
    parent: str | None  # qualified name of the enclosing function, for nested ones
    enclosing: tuple[Container, ...]  # classes/impls/namespaces around it, outermost first
    has_error: bool  # the definition contains a syntax error (its span is tree-sitter's best recovery)

    @property
    def problem(self) -> str:
        """The text that states the problem: the comment above, then the docstring."""
        return "\n\n".join(p for p in (self.comment, self.docstring) if p)

    @property
    def extent(self) -> tuple[int, int]:
        """Byte range of the doc comment and the definition together."""
        return self.doc_start_byte, self.end_byte


# The bytes the nodes index into. A tree that has been edited but not yet re-parsed (see
# Document: edits that cannot move a function's bounds wait for the next quiet moment) has node
# ranges that fit the current text while `Node.text` is gone, so text is always sliced from here.
SOURCE: ContextVar[bytes | None] = ContextVar("source", default=None)


def node_bytes(node: ts.Node) -> bytes:
    source = SOURCE.get()
    if source is None:
        return node.text or b""
    return source[node.start_byte:node.end_byte]


def _text(node: ts.Node | None) -> str:
    return node_bytes(node).decode("utf-8", "replace") if node is not None else ""


# ----------------------------------------------------------------------------------------------------------------
# Which nodes are named functions


def definition(node: ts.Node, grammar: Grammar) -> tuple[ts.Node, ts.Node, ts.Node] | None:
    """(function node, outer node that sets the span, name node) when `node` is a named function
    definition (or a wrapper around one, like a decorated definition); else None."""
    if node.type in grammar.wrappers:
        inner = node.child_by_field_name("definition") or node.child_by_field_name("declaration")
        if inner is None:
            inner = next((c for c in reversed(node.named_children) if c.type not in grammar.comments), None)
        if inner is None or inner.type in grammar.wrappers and inner is node:
            return None
        found = definition(inner, grammar)
        return (found[0], _outermost_wrapper(found[0], grammar), found[2]) if found else None
    if node.type in grammar.functions:
        name = _name_node(node, grammar)
        if name is None or node.child_by_field_name("body") is None:
            return None  # a declaration without a body (prototype, interface method) is not a definition
        return node, _outermost_wrapper(node, grammar), name
    if node.type in grammar.anonymous and grammar.language in _BOUND_VALUE_LANGUAGES:
        bound = _bound_name(node)
        if bound is not None:
            name, statement = bound
            return node, _outermost_wrapper(statement, grammar), name
    if node.type in _NAMED_VALUE_PARENTS and grammar.language in _BOUND_VALUE_LANGUAGES:
        value = node.child_by_field_name("value") or node.child_by_field_name("right")
        if value is not None and value.type in grammar.anonymous:
            return definition(value, grammar)
    if node.type in ("lexical_declaration", "variable_declaration", "expression_statement") and node.named_child_count == 1:
        return definition(node.named_children[0], grammar)
    return None


def _outermost_wrapper(node: ts.Node, grammar: Grammar) -> ts.Node:
    while node.parent is not None and node.parent.type in grammar.wrappers:
        node = node.parent
    return node


def _bound_name(value: ts.Node) -> tuple[ts.Node, ts.Node] | None:
    """`const f = () => {}`, `o = {f: function () {}}`, `static f = () => 1`, `exports.f = function () {}`:
    the name node and the statement that holds the binding."""
    parent = value.parent
    if parent is None or parent.type not in _NAMED_VALUE_PARENTS:
        return None
    if (parent.child_by_field_name("value") or parent.child_by_field_name("right")) != value:
        return None
    name = parent.child_by_field_name(_NAMED_VALUE_PARENTS[parent.type])
    if name is None:
        return None
    if name.type == "member_expression":
        name = name.child_by_field_name("property")
    if name is None or name.type not in ("identifier", "property_identifier", "private_property_identifier", "string"):
        return None
    statement = parent
    if parent.type == "variable_declarator" and parent.parent is not None and parent.parent.named_child_count == 1:
        statement = parent.parent  # `const f = ...;` whole, when it declares only f
    elif parent.type == "assignment_expression" and parent.parent is not None and parent.parent.type == "expression_statement":
        statement = parent.parent
    return name, statement


_DECLARATOR_WRAPPERS = {"pointer_declarator", "reference_declarator", "parenthesized_declarator", "attributed_declarator"}


def _name_node(node: ts.Node, grammar: Grammar) -> ts.Node | None:
    if grammar.language != "cpp":
        return node.child_by_field_name("name")
    declarator = node.child_by_field_name("declarator")
    while declarator is not None and declarator.type in _DECLARATOR_WRAPPERS:
        declarator = declarator.child_by_field_name("declarator") or (
            declarator.named_children[-1] if declarator.named_children else None
        )
    if declarator is None or declarator.type != "function_declarator":
        return None
    name = declarator.child_by_field_name("declarator")
    while name is not None and name.type in ("qualified_identifier", "template_function"):
        name = name.child_by_field_name("name")
    return name


def function_name(name_node: ts.Node) -> str:
    if name_node.type == "string":
        return _text(name_node).strip("'\"`")
    return " ".join(_text(name_node).split())  # `operator <`, `~P`


# ----------------------------------------------------------------------------------------------------------------
# Building a Function


def build(fn: ts.Node, outer: ts.Node, name_node: ts.Node, source: bytes, grammar: Grammar,
          line_start) -> Function:
    """`line_start(row)` is the byte offset where `row` begins (the document keeps that table)."""
    token = SOURCE.set(source)
    try:
        return _build(fn, outer, name_node, source, grammar, line_start)
    finally:
        SOURCE.reset(token)


def _build(fn: ts.Node, outer: ts.Node, name_node: ts.Node, source: bytes, grammar: Grammar, line_start) -> Function:
    start = outer
    prev = outer.prev_named_sibling
    while prev is not None and prev.type in grammar.attributes and _adjacent(prev, start):
        start = prev  # Rust `#[...]` lines belong to the function
        prev = prev.prev_named_sibling
    comment, doc_first_row, doc_start = _comment_above(start, source, grammar, line_start)
    enclosing, functions = _ancestors(outer, grammar)
    name = function_name(name_node)
    qualified_name = ".".join([*_scope_names(outer, grammar), *_cpp_scope(fn, grammar), name])
    kind = _kind(fn, outer, name, enclosing, grammar)
    params, return_type, type_parameters = _signature(fn, grammar)
    return Function(
        language=grammar.language, name=name, qualified_name=qualified_name, kind=kind,
        start_byte=start.start_byte, end_byte=outer.end_byte, first_row=start.start_point.row,
        last_row=outer.end_point.row - (1 if outer.end_point.column == 0 and outer.end_point.row > start.start_point.row else 0),
        name_start_byte=name_node.start_byte, name_end_byte=name_node.end_byte,
        name_row=_header_row(fn, name_node), doc_start_byte=doc_start if doc_first_row is not None else start.start_byte,
        doc_first_row=doc_first_row, comment=comment, docstring=_docstring(fn, grammar), params=params,
        return_type=return_type, type_parameters=type_parameters, depth=len(functions),
        parent=functions[-1] if functions else None, enclosing=tuple(enclosing), has_error=outer.has_error,
    )


def _header_row(fn: ts.Node, name_node: ts.Node) -> int:
    """The row of the `def`/signature: the name's row (after decorators and annotations)."""
    return name_node.start_point.row if name_node.start_byte >= fn.start_byte else fn.start_point.row


def _adjacent(upper: ts.Node, lower: ts.Node) -> bool:
    return lower.start_point.row - upper.end_point.row <= 1


def _comment_above(node: ts.Node, source: bytes, grammar: Grammar, line_start) -> tuple[str, int | None, int]:
    """The contiguous comment lines right above `node` (no blank line between, each starting its line)."""
    lang = languages.get(grammar.language)
    block: list[ts.Node] = []
    prev = node.prev_sibling
    lower_row = node.start_point.row
    while prev is not None and prev.type in grammar.comments and lower_row - prev.end_point.row <= 1:
        row_start = line_start(prev.start_point.row)
        if source[row_start:prev.start_byte].strip():
            break  # a trailing comment of the code before
        block.append(prev)
        lower_row = prev.start_point.row
        prev = prev.prev_sibling
    if not block:
        return "", None, node.start_byte
    block.reverse()
    lines = []
    for c in block:
        lines.extend(_text(c).splitlines())
    return strip_comment_markers(lines, lang), block[0].start_point.row, line_start(block[0].start_point.row)


_QUOTES = ('"""', "'''")  # a docstring selected as a problem


@lru_cache(maxsize=None)
def _marker_patterns(lang: languages.Language | None) -> tuple[re.Pattern, re.Pattern]:
    """(leading marker, trailing marker) for a language's comment syntax from the table; every
    language's markers when the language is not known."""
    table = [lang] if lang is not None else list(languages.LANGUAGES)
    lead = {re.escape(x.line_comment) + "+!?" for x in table}  # `//`, `///`, `//!`, `#`, `##`
    tail = set()
    for x in table:
        if x.block_comment:
            opener, closer = x.block_comment
            lead |= {re.escape(opener[0]) + re.escape(opener[1:]) + "+!?", re.escape(closer[0]) + "+" + re.escape(closer[1:]),
                     re.escape(closer[0]) + "+(?!" + re.escape(closer[1:]) + ")"}  # `/**`, `*/`, ` * ` continuation lines
            tail.add(re.escape(closer[0]) + "+" + re.escape(closer[1:]))
    lead |= {re.escape(q) for q in _QUOTES}
    tail |= {re.escape(q) for q in _QUOTES}
    return (re.compile(r"^\s*(?:" + "|".join(sorted(lead, key=len, reverse=True)) + r")\s?"),
            re.compile(r"\s*(?:" + "|".join(sorted(tail)) + r")\s*$"))


def strip_comment_markers(lines: list[str], lang: languages.Language | None = None) -> str:
    """Comment (or docstring) lines -> plain text, markers removed, blank edges trimmed."""
    lead, tail = _marker_patterns(lang)
    out = [tail.sub("", lead.sub("", line.rstrip())) for line in lines]
    return "\n".join(out).strip()


def _docstring(fn: ts.Node, grammar: Grammar) -> str:
    if grammar.language != "python":
        return ""
    body = fn.child_by_field_name("body")
    first = body.named_children[0] if body is not None and body.named_children else None
    if first is None or first.type != "expression_statement" or first.named_child_count != 1:
        return ""
    string = first.named_children[0]
    if string.type != "string":
        return ""
    content = "".join(_text(c) for c in string.named_children if c.type == "string_content")
    return inspect.cleandoc(content).strip()


def _ancestors(node: ts.Node, grammar: Grammar) -> tuple[list[Container], list[str]]:
    """Containers around `node` (outermost first), and the qualified names of the enclosing functions
    (outermost first; each with the classes and functions around it)."""
    containers: list[Container] = []
    chain: list[tuple[str, bool]] = []  # (name, is a function), innermost first
    parent = node.parent
    while parent is not None:
        if parent.type in grammar.containers:
            body = parent.child_by_field_name("body")
            body_start = body.start_byte if body is not None else parent.end_byte
            name = _text(parent.child_by_field_name("name") or parent.child_by_field_name("type"))
            header = node_bytes(parent)[: body_start - parent.start_byte].decode("utf-8", "replace").rstrip()
            containers.append(Container(parent.type, name, header, parent.start_byte, body_start))
            chain.append((name, False))
        elif parent.type in grammar.functions or parent.type in grammar.anonymous:
            found = definition(parent, grammar)
            if found is not None and found[0] == parent:
                chain.append((function_name(found[2]), True))
        parent = parent.parent
    containers.reverse()
    chain.reverse()
    functions = [".".join(n for n, _ in chain[: i + 1]) for i, (_, is_fn) in enumerate(chain) if is_fn]
    return containers, functions


def _scope_names(node: ts.Node, grammar: Grammar) -> list[str]:
    names = []
    parent = node.parent
    while parent is not None:
        if parent.type in grammar.containers:
            names.append(_text(parent.child_by_field_name("name") or parent.child_by_field_name("type")))
        elif parent.type in grammar.functions or parent.type in grammar.anonymous:
            found = definition(parent, grammar)
            if found is not None and found[0] == parent:
                names.append(function_name(found[2]))
        parent = parent.parent
    return names[::-1]


def _cpp_scope(fn: ts.Node, grammar: Grammar) -> list[str]:
    """`int P::area(...)` is P's method though defined outside P."""
    if grammar.language != "cpp":
        return []
    declarator = fn.child_by_field_name("declarator")
    while declarator is not None and declarator.type != "function_declarator":
        declarator = declarator.child_by_field_name("declarator")
    name = declarator.child_by_field_name("declarator") if declarator is not None else None
    scope = []
    while name is not None and name.type == "qualified_identifier":
        part = name.child_by_field_name("scope")
        if part is not None:
            scope.append(_text(part))
        name = name.child_by_field_name("name")
    return scope


def _kind(fn: ts.Node, outer: ts.Node, name: str, enclosing: list[Container], grammar: Grammar) -> str:
    if fn.type in ("constructor_declaration", "compact_constructor_declaration"):
        return "constructor"
    if fn.type == "method_definition" or (grammar.language == "go" and fn.type == "method_declaration"):
        return "constructor" if name == "constructor" else "method"
    if not enclosing or enclosing[-1].kind in ("namespace_definition", "mod_item"):
        return "function"
    parent = outer.parent  # a method is directly in the class body, not nested in another function
    container = enclosing[-1]
    if parent is not None and container.start_byte in (parent.start_byte, getattr(parent.parent, "start_byte", -1)):
        return "constructor" if name in ("__init__", container.name) else "method"
    return "function"
