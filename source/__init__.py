"""Source structure from real parsers (tree-sitter): the language table, functions with exact spans,
their problem text and context, and documents that stay parsed across edits. No pygls here: the
language server, the orchestrator, models/ and sandbox/ all build on it."""

from source.document import Anchor, Document
from source.languages import LANGUAGES, Language
from source.structure import Container, Function, Param

__all__ = ["Anchor", "Container", "Document", "Function", "LANGUAGES", "Language", "Param"]
