"""Parameters, return type and type parameters of a function node, per grammar."""

from __future__ import annotations

import tree_sitter as ts

from source.grammars import Grammar

_SKIP = {"comment", "line_comment", "block_comment", "(", ")", ","}


def _text(node: ts.Node | None) -> str | None:
    if node is None:
        return None
    from source.structure import node_bytes

    return " ".join(node_bytes(node).decode("utf-8", "replace").split())


def signature(fn: ts.Node, grammar: Grammar):
    """(params, return type, type parameters) as written in the source."""
    from source.structure import Param

    lang = grammar.language
    params_node = fn.child_by_field_name("parameters")
    if lang == "cpp":
        declarator = fn.child_by_field_name("declarator")
        while declarator is not None and declarator.type != "function_declarator":
            declarator = declarator.child_by_field_name("declarator")
        params_node = declarator.child_by_field_name("parameters") if declarator is not None else None
    params: list[Param] = []
    for child in params_node.named_children if params_node is not None else []:
        if child.type in _SKIP:
            continue
        params.extend(Param(*p) for p in _param(child, lang))
    return tuple(params), _return_type(fn, lang), _type_parameters(fn, lang)


def _param(node: ts.Node, lang: str) -> list[tuple[str, str | None, str | None]]:
    t = node.type
    if lang == "python":
        if t == "identifier":
            return [(_text(node), None, None)]
        if t in ("list_splat_pattern", "dictionary_splat_pattern", "keyword_separator", "positional_separator"):
            return [(_text(node), None, None)]
        name = node.child_by_field_name("name") or next(
            (c for c in node.named_children if c.type in ("identifier", "list_splat_pattern", "dictionary_splat_pattern")), None)
        return [(_text(name) or _text(node), _text(node.child_by_field_name("type")), _text(node.child_by_field_name("value")))]
    if lang == "cpp":
        declarator = node.child_by_field_name("declarator")
        name = declarator
        while name is not None and name.type not in ("identifier", "field_identifier"):
            inner = name.child_by_field_name("declarator")
            name = inner if inner is not None else next((c for c in name.named_children if c.type == "identifier"), None)
        type_text = _text(node.child_by_field_name("type"))
        if declarator is not None and name is not None and declarator != name:
            # `const vector<int>& xs`: the reference/pointer belongs to the type
            prefix = _text(declarator)[: name.start_byte - declarator.start_byte].strip()
            type_text = f"{type_text}{prefix}" if prefix else type_text
        qualifiers = " ".join(_text(c) for c in node.named_children if c.type == "type_qualifier")
        if qualifiers and type_text:
            type_text = f"{qualifiers} {type_text}"
        return [(_text(name) or "", type_text, _text(node.child_by_field_name("default_value")))]
    if lang == "java":
        if t == "spread_parameter":
            declarator = next((c for c in node.named_children if c.type == "variable_declarator"), None)
            type_node = next((c for c in node.named_children if c.type != "variable_declarator"), None)
            name = declarator.child_by_field_name("name") if declarator is not None else None
            return [(_text(name) or "", f"{_text(type_node)}...", None)]
        return [(_text(node.child_by_field_name("name")) or _text(node), _text(node.child_by_field_name("type")), None)]
    if lang == "go":
        type_text = _text(node.child_by_field_name("type"))
        names = [c for c in node.children_by_field_name("name")]
        if not names:
            return [("", type_text, None)]
        return [(_text(n), type_text, None) for n in names]
    if lang == "rust":
        if t == "self_parameter":
            return [(_text(node), None, None)]
        return [(_text(node.child_by_field_name("pattern")) or _text(node), _text(node.child_by_field_name("type")), None)]
    # javascript
    if t == "assignment_pattern":
        return [(_text(node.child_by_field_name("left")), None, _text(node.child_by_field_name("right")))]
    return [(_text(node), None, None)]


def _return_type(fn: ts.Node, lang: str) -> str | None:
    if lang in ("python", "rust"):
        return _text(fn.child_by_field_name("return_type"))
    if lang in ("cpp", "java"):
        return _text(fn.child_by_field_name("type"))
    if lang == "go":
        return _text(fn.child_by_field_name("result"))
    return None


def _type_parameters(fn: ts.Node, lang: str) -> str | None:
    if lang == "cpp":
        parent = fn.parent
        return _text(parent.child_by_field_name("parameters")) if parent is not None and parent.type == "template_declaration" else None
    return _text(fn.child_by_field_name("type_parameters"))
