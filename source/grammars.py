"""Per-language knowledge of the tree-sitter grammars: which nodes are named function definitions,
what wraps them (decorators, templates, `export`), which nodes are classes, comments, imports.

Parsers are created once per language and thread (a tree-sitter Parser is not thread-safe)."""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass
from functools import lru_cache

import tree_sitter as ts

from source import languages


@dataclass(frozen=True)
class Grammar:
    language: str  # LSP languageId
    functions: frozenset[str]  # definitions with a name and a body
    anonymous: frozenset[str]  # function values (lambdas, closures, arrows): named only by what they are bound to
    wrappers: frozenset[str]  # nodes around a definition that belong to its span
    containers: frozenset[str]  # classes, structs, impls, namespaces, modules
    comments: frozenset[str]
    attributes: frozenset[str]  # siblings right before a definition that belong to its span (Rust #[...])
    imports: frozenset[str]  # top-level statements a function may need to run on its own
    strings: frozenset[str]


_C_COMMENTS = frozenset({"comment"})

GRAMMARS: dict[str, Grammar] = {
    "python": Grammar(
        "python", frozenset({"function_definition"}), frozenset({"lambda"}), frozenset({"decorated_definition"}),
        frozenset({"class_definition"}), _C_COMMENTS, frozenset(),
        frozenset({"import_statement", "import_from_statement", "future_import_statement"}),
        frozenset({"string", "concatenated_string"}),
    ),
    "cpp": Grammar(
        "cpp", frozenset({"function_definition"}), frozenset({"lambda_expression"}), frozenset({"template_declaration"}),
        frozenset({"class_specifier", "struct_specifier", "union_specifier", "namespace_definition"}), _C_COMMENTS,
        frozenset(), frozenset({"preproc_include", "using_declaration", "alias_declaration", "namespace_alias_definition"}),
        frozenset({"string_literal", "raw_string_literal", "char_literal", "concatenated_string"}),
    ),
    "java": Grammar(
        "java", frozenset({"method_declaration", "constructor_declaration", "compact_constructor_declaration"}),
        frozenset({"lambda_expression"}), frozenset(),
        frozenset({"class_declaration", "interface_declaration", "enum_declaration", "record_declaration"}),
        frozenset({"line_comment", "block_comment"}), frozenset(), frozenset({"import_declaration"}),
        frozenset({"string_literal", "character_literal"}),
    ),
    "go": Grammar(
        "go", frozenset({"function_declaration", "method_declaration"}), frozenset({"func_literal"}), frozenset(),
        frozenset(), _C_COMMENTS, frozenset(), frozenset({"package_clause", "import_declaration"}),
        frozenset({"interpreted_string_literal", "raw_string_literal", "rune_literal"}),
    ),
    "rust": Grammar(
        "rust", frozenset({"function_item"}), frozenset({"closure_expression"}), frozenset(),
        frozenset({"impl_item", "trait_item", "mod_item"}), frozenset({"line_comment", "block_comment"}),
        frozenset({"attribute_item"}), frozenset({"use_declaration", "extern_crate_declaration"}),
        frozenset({"string_literal", "raw_string_literal", "char_literal"}),
    ),
    "javascript": Grammar(
        "javascript", frozenset({"function_declaration", "generator_function_declaration", "method_definition"}),
        frozenset({"arrow_function", "function_expression", "function", "generator_function"}),
        frozenset({"export_statement"}), frozenset({"class_declaration", "class"}), _C_COMMENTS, frozenset(),
        frozenset({"import_statement"}), frozenset({"string", "template_string"}),
    ),
}
assert set(GRAMMARS) == set(languages.IDS), "every language of the table needs a grammar spec"


@lru_cache(maxsize=None)
def ts_language(language: str) -> ts.Language:
    module = importlib.import_module(languages.get(language).grammar)
    return ts.Language(module.language())


_local = threading.local()


def parser(language: str) -> ts.Parser:
    """This thread's parser for `language`."""
    parsers = getattr(_local, "parsers", None)
    if parsers is None:
        parsers = _local.parsers = {}
    p = parsers.get(language)
    if p is None:
        p = parsers[language] = ts.Parser(ts_language(language))
    return p


@lru_cache(maxsize=None)
def definitions_query(language: str) -> ts.Query:
    """Matches every node that is (or may become, for JavaScript's bound function values) a definition."""
    g = GRAMMARS[language]
    lang = ts_language(language)
    kinds = g.functions | g.wrappers | g.containers | (g.anonymous if language == "javascript" else frozenset())
    known = sorted(k for k in kinds if lang.id_for_node_kind(k, True) is not None)
    return ts.Query(lang, "[" + " ".join(f"({k})" for k in known) + "] @definition")


def contains_definition(node: ts.Node, language: str) -> bool:
    """Does the subtree under `node` hold a function, class or wrapper definition?"""
    cursor = ts.QueryCursor(definitions_query(language))
    cursor.set_byte_range(node.start_byte, node.end_byte)
    return any(found for found in cursor.captures(node).values())


def supported(language: str | None) -> bool:
    return language in GRAMMARS
