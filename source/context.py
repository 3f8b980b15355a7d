"""What a function needs to run on its own: the file's imports (and Go's package clause) and the
classes / impls / namespaces around it, assembled into a standalone source when asked."""

from __future__ import annotations

from dataclasses import dataclass

from source.document import Document
from source.structure import Container, Function

_CLOSE_WITH_SEMICOLON = {"class_specifier", "struct_specifier", "union_specifier"}  # C++ `struct P { ... };`


@dataclass(frozen=True)
class Context:
    imports: tuple[str, ...]  # top-level import statements as written, in file order
    enclosing: tuple[Container, ...]  # outermost first

    def standalone(self, code: str, language: str) -> str:
        """`code` (the function's text, whole lines) wrapped in its enclosing classes, after the imports."""
        wrapped = code
        for container in reversed(self.enclosing):
            if language == "python":
                wrapped = f"{container.header}\n{wrapped}"
            else:
                close = "};" if container.kind in _CLOSE_WITH_SEMICOLON else "}"
                wrapped = f"{container.header} {{\n{wrapped}\n{close}"
        head = "\n".join(self.imports)
        return f"{head}\n\n{wrapped}\n" if head else f"{wrapped}\n"


def imports(doc: Document) -> tuple[str, ...]:
    """Top-level imports; JavaScript's `const x = require(...)` counts too."""
    if doc.tree is None:
        return ()
    doc.settle()  # Node.text needs a tree that is not waiting for edits
    kinds = doc.grammar.imports
    found = []
    for node in doc.tree.root_node.named_children:
        if node.type in kinds or (doc.language == "javascript" and _is_require(node)):
            found.append(node.text.decode("utf-8", "replace").strip())
    return tuple(found)


def _is_require(node) -> bool:
    if node.type not in ("lexical_declaration", "variable_declaration"):
        return False
    for declarator in node.named_children:
        value = declarator.child_by_field_name("value")
        if value is not None and value.type == "call_expression":
            callee = value.child_by_field_name("function")
            if callee is not None and callee.text == b"require":
                return True
    return False


def context(doc: Document, fn: Function) -> Context:
    return Context(imports(doc), fn.enclosing)


def standalone_source(doc: Document, fn: Function) -> str:
    """The function with its imports and enclosing classes: something a compiler or interpreter can load."""
    code = doc.text_between(*doc.owned_span(fn.start_byte, fn.end_byte))
    return context(doc, fn).standalone(code, doc.language)
