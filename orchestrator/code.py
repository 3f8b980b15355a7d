"""Code structure for the loop, from the tree-sitter `source` package, for every language alike:
the top-level imports of a text, merging a candidate's new imports into a file's import section, and
cutting the target function (plus what it needs) out of a model's answer.

Language keys here are the sandbox's ("js"); `source` speaks LSP ids ("javascript").
"""

from __future__ import annotations

import re
import textwrap

from source import languages
from source.document import Document
from source.structure import Function

# Top-level statements that bind a name a function may use (constants, `#define`, type aliases).
_DECLARATIONS = {
    "python": {"expression_statement"},
    "cpp": {"declaration", "preproc_def", "type_definition", "alias_declaration"},
    "java": {"field_declaration"},
    "go": {"const_declaration", "var_declaration", "type_declaration"},
    "rust": {"const_item", "static_item", "type_item", "struct_item", "enum_item"},
    "javascript": {"lexical_declaration", "variable_declaration"},
}
# Containers whose definitions a candidate may bring along (helper types), by language.
_TYPES = {
    "python": {"class_definition"},
    "cpp": {"class_specifier", "struct_specifier"},
    "java": set(),  # a Java answer's class is a wrapper: its methods are taken out of it
    "go": {"type_declaration"},
    "rust": {"struct_item", "enum_item", "impl_item", "trait_item"},
    "javascript": {"class_declaration"},
}
_NAME_FIELDS = ("name", "left", "declarator", "pattern", "type")
_IDENTIFIERS = {"identifier", "type_identifier", "field_identifier", "property_identifier"}


def lang_id(language: str) -> str:
    found = languages.lookup(language)
    if found is None:
        raise ValueError(f"unknown language {language!r}")
    return found.id


def document(text: str, language: str) -> Document:
    return Document(text, lang_id(language))


def _text(doc: Document, node) -> str:
    return doc.source[node.start_byte:node.end_byte].decode("utf-8", "replace")


def char_offset(doc: Document, byte: int) -> int:
    head = doc.source[:byte]
    return len(head) if head.isascii() else len(head.decode("utf-8", "replace"))


def _norm(text: str) -> str:
    return " ".join(text.split())


# -- imports ------------------------------------------------------------------------------------------

def import_nodes(doc: Document) -> list:
    """Top-level import statements (JavaScript's `const x = require(...)` too); Go's package clause excluded."""
    from source.context import _is_require

    if doc.tree is None:
        return []
    kinds = doc.grammar.imports - {"package_clause"}
    return [n for n in doc.tree.root_node.named_children
            if n.type in kinds or (doc.language == "javascript" and _is_require(n))]


def _go_specs(doc: Document, node) -> list[str]:
    specs = []
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "import_spec":
            specs.append(_norm(_text(doc, n)))
        else:
            stack.extend(n.named_children)
    return sorted(specs)


def import_keys(doc: Document) -> set[str]:
    keys = set()
    for node in import_nodes(doc):
        keys.update(_go_specs(doc, node) if doc.language == "go" else [_norm(_text(doc, node))])
    return keys


def split_imports(code: str, language: str) -> tuple[list[str], str]:
    """(import statements, the rest) of a candidate: its top-level imports come out (Go's package clause
    is dropped); everything else stays as written."""
    doc = document(code, language)
    nodes = import_nodes(doc)
    package = [n for n in (doc.tree.root_node.named_children if doc.tree else []) if n.type == "package_clause"]
    if not nodes and not package:
        return [], code
    cut = sorted(nodes + package, key=lambda n: n.start_byte)
    imports: list[str] = []
    for node in nodes:
        if doc.language == "go":
            imports += [f"import {spec}" for spec in _go_specs(doc, node)]
        else:
            imports.append(_text(doc, node).strip())
    out, at = [], 0
    for node in cut:
        start, end = doc.owned_span(node.start_byte, node.end_byte)
        out.append(doc.source[at:start])
        at = end
    out.append(doc.source[at:])
    rest = b"".join(out).decode("utf-8", "replace")
    return imports, textwrap.dedent(re.sub(r"\n{3,}", "\n\n", rest)).strip("\n")


def import_insertion(doc: Document) -> tuple[int, str]:
    """Where new imports go in a file (a byte offset at the start of a line) and the prefix they need."""
    nodes = import_nodes(doc)
    root = doc.tree.root_node if doc.tree is not None else None
    if nodes:
        last = nodes[-1]
    else:
        heads = [n for n in (root.named_children if root is not None else []) if n.type in (
            "package_clause", "package_declaration")] if root is not None else []
        if doc.language == "python" and root is not None and root.named_children:
            first = root.named_children[0]
            if first.type == "expression_statement" and first.named_children and first.named_children[0].type == "string":
                heads = [first]  # after the module docstring
        if not heads:
            return 0, ""
        last = heads[-1]
    _, end = doc.owned_span(last.start_byte, last.end_byte)
    if end < len(doc.source) and doc.source[end:end + 1] == b"\n":
        return end + 1, "" if nodes else "\n"
    return end, "\n"


def new_imports(file_text: str, imports: list[str], language: str) -> list[str]:
    """The candidate's imports that the file does not have yet (Go: compared spec by spec)."""
    doc = document(file_text, language)
    have = import_keys(doc)
    out = []
    for statement in imports:
        if statement.startswith("from __future__"):
            continue  # only valid first in a module: a candidate's own is dropped rather than misplaced
        key = _norm(statement)
        if language in ("go", "golang"):
            key = _norm(statement.removeprefix("import"))
        if key not in have and statement not in out:
            out.append(statement)
    return out


def _go_import_name(doc: Document, spec) -> str | None:
    """The name a Go import binds, when it is certain: an explicit name, or a standard-library path's last
    element (outside the standard library a package's name need not match its path)."""
    name = spec.child_by_field_name("name")
    if name is not None:
        return _text(doc, name)
    path = _text(doc, spec.child_by_field_name("path")).strip('"`')
    return path.rsplit("/", 1)[-1] if "." not in path.split("/", 1)[0] else None


def complete_go_imports(text: str) -> str:
    """`text` with the imports Go needs and no others: standard-library packages the code uses
    (`strings.Fields`) but does not import are added, imports nothing uses are dropped -- a small goimports.
    Small models often forget an import; Go will not compile a file either way."""
    from sandbox.humaneval import GO_STD  # name -> path of the packages HumanEval-style code uses

    doc = document(text, "go")
    bound = set()
    for decl in import_nodes(doc):
        stack = [decl]
        while stack:
            n = stack.pop()
            if n.type == "import_spec":
                bound.add(_go_import_name(doc, n))
            else:
                stack.extend(n.named_children)
    missing = [path for name, path in GO_STD.items()
               if "." not in path.split("/", 1)[0] and name != "testing" and name not in bound
               and re.search(rf"(?<![\w.]){name}\.[A-Z]", text)]
    if missing:
        at_byte, prefix = import_insertion(doc)
        at = char_offset(doc, at_byte)
        text = text[:at] + prefix + "\n".join(f'import "{path}"' for path in missing) + "\n" + text[at:]
    return prune_go_imports(text)


def prune_go_imports(text: str) -> str:
    """`text` without the imports nothing in it uses. Go refuses to compile a file with an unused import, so
    a candidate that no longer needs a package the original used could never pass; only imports whose name
    is certain (:func:`_go_import_name`) are dropped, `_` and `.` imports stay."""
    doc = document(text, "go")
    decls = import_nodes(doc)
    if not decls:
        return text
    spans = [doc.owned_span(n.start_byte, n.end_byte) for n in decls]
    rest, at = [], 0
    for start, end in spans:
        rest.append(doc.source[at:start])
        at = end
    rest.append(doc.source[at:])
    body = b"".join(rest).decode("utf-8", "replace")
    cuts = []
    for decl, span in zip(decls, spans):
        specs = []
        stack = [decl]
        while stack:
            n = stack.pop()
            specs += [n] if n.type == "import_spec" else []
            stack.extend(c for c in n.named_children if n.type != "import_spec")
        unused = [s for s in specs if (name := _go_import_name(doc, s)) not in (None, "_", ".")
                  and not re.search(rf"(?<![\w.]){re.escape(name)}\s*\.", body)]
        if len(unused) == len(specs) and unused:
            cuts.append(span)
        else:
            cuts += [doc.owned_span(s.start_byte, s.end_byte) for s in unused]
    if not cuts:
        return text
    out, at = [], 0
    for start, end in sorted(cuts):
        out.append(doc.source[at:start])
        at = end + 1 if doc.source[end:end + 1] == b"\n" else end
    out.append(doc.source[at:])
    return b"".join(out).decode("utf-8", "replace")


# -- a model's answer -------------------------------------------------------------------------------

def _declared_name(doc: Document, node) -> str | None:
    """The name a top-level declaration binds (`MOD = 10**9 + 7`, `const int MOD = 7;`, `#define N 5`)."""
    stack = [node]
    for _ in range(8):
        if not stack:
            return None
        n = stack.pop(0)
        if n.type in _IDENTIFIERS and n.child_count == 0:
            return _text(doc, n)
        for field in _NAME_FIELDS:
            child = n.child_by_field_name(field)
            if child is not None:
                stack.append(child)
        stack.extend(c for c in n.named_children if c.type in (
            "assignment", "init_declarator", "variable_declarator", "const_spec", "var_spec", "type_spec"))
    return None


def defined_names(text: str | None, language: str) -> set[str]:
    """Names of the functions, types and top-level constants a file defines already."""
    if not text:
        return set()
    doc = document(text, language)
    names = {f.name for f in doc.outline()}
    if doc.tree is not None:
        for node in doc.tree.root_node.named_children:
            name = _declared_name(doc, node)
            if name:
                names.add(name)
    return names


def pick(functions: list[Function], wanted: str) -> Function | None:
    """The function a spec names: `f`, `Class.f` (or C++ `A::f`); a free function before a method, an
    outer one before a nested one."""
    parts = wanted.replace("::", ".").split(".")
    found = [f for f in functions if f.name == parts[-1]
             and (len(parts) == 1 or f.qualified_name == ".".join(parts) or f.qualified_name.endswith("." + ".".join(parts)))]
    found.sort(key=lambda f: (f.depth, f.kind != "function", f.has_error, f.start_byte))
    return found[0] if found else None


def function_from_answer(code: str, language: str, name: str, module_text: str | None) -> tuple[str | None, str]:
    """The function `name` from a model's code, with the imports, helper functions, helper types and
    constants it brings that the module lacks; example usage (`print(f(3))`, `main`, `console.log`) is
    dropped. Returns (code, reason when there is none)."""
    code = textwrap.dedent(code)
    doc = document(code, language)
    functions = doc.outline()
    target = pick(functions, name)
    if target is None:
        return None, f"the answer has no function named {name}"
    if target.has_error:
        where = _syntax_error(doc, target, language)
        if where:
            return None, f"the answer's function {name} does not parse ({where})"
    existing = defined_names(module_text, language)
    module_doc = document(module_text, language) if module_text else None
    have_imports = import_keys(module_doc) if module_doc is not None else set()
    keep: list[tuple[int, int]] = []  # byte spans in source order

    def span(start: int, end: int) -> tuple[int, int]:
        return doc.owned_span(start, end)

    for node in import_nodes(doc):
        keys = _go_specs(doc, node) if doc.language == "go" else [_norm(_text(doc, node))]
        if any(k not in have_imports for k in keys):
            keep.append(span(node.start_byte, node.end_byte))
    home = target.enclosing[-1].start_byte if target.enclosing and target.kind != "function" else None
    for f in functions:
        if f is target or f.depth or f.name in existing or f.name == "main" or f.name == name:
            continue
        same_home = (f.enclosing[-1].start_byte if f.enclosing and f.kind != "function" else None) == home
        if same_home:  # a helper beside the target (free functions, or methods of the answer's wrapper class)
            keep.append(span(f.start_byte, f.end_byte))
    keep.append(span(target.start_byte, target.end_byte))
    body_text = "\n".join(doc.text_between(*s) for s in keep)
    if doc.tree is not None and home is None:
        for node in doc.tree.root_node.named_children:
            kept = _helper_statement(doc, node, language, existing, target, body_text)
            if kept:
                keep.append(span(node.start_byte, node.end_byte))
    keep = sorted(set(keep))
    pieces = [textwrap.dedent(doc.text_between(*s)).strip("\n") for s in keep]
    return "\n\n".join(p for p in pieces if p).strip("\n"), ""


def _syntax_error(doc: Document, target: Function, language: str) -> str:
    """Where the function's syntax error is ("line 7: '(' was never closed"), not the line it starts on; "" when
    Python itself compiles what tree-sitter could not (its grammar lags behind the language): the extraction goes
    on and the candidate's own parse check has the last word."""
    if language == "python":
        try:
            compile(textwrap.dedent(doc.text_between(target.start_byte, target.end_byte)), "<answer>", "exec")
        except SyntaxError as exc:
            return f"line {target.first_row + (exc.lineno or 1)}: {exc.msg}"
        return ""
    node, found = (doc.tree.root_node if doc.tree is not None else None), None
    while node is not None and found is None:  # down the branch that holds the first error inside the function
        if node.is_error or node.is_missing:
            found = node
        node = next((child for child in node.children
                     if (child.has_error or child.is_error or child.is_missing)
                     and child.end_byte > target.start_byte and child.start_byte < target.end_byte), None)
    row = found.start_point[0] if found is not None else target.first_row
    return f"line {row + 1}: " + ("a missing token" if found is not None and found.is_missing else "a syntax error")


def _helper_statement(doc: Document, node, language: str, existing: set[str], target: Function, uses: str) -> bool:
    """A top-level constant or helper type the kept code refers to and the module does not define."""
    lid = doc.language
    if node.start_byte <= target.start_byte < node.end_byte:
        return False
    if node.type not in _DECLARATIONS.get(lid, set()) | _TYPES.get(lid, set()):
        return False
    if lid == "python" and node.type == "expression_statement" and not (
            node.named_children and node.named_children[0].type == "assignment"):
        return False  # `print(f(3))`: example usage, dropped
    declared = _declared_name(doc, node)
    if not declared or declared in existing or declared == "main":
        return False
    return re.search(rf"\b{re.escape(declared)}\b", uses) is not None


# -- programs built around a function -------------------------------------------------------------------

def without_main(text: str, language: str) -> str:
    """`text` with its `main` function(s) removed (C++, Go, Rust free `main`; Java's `static void main`)."""
    doc = document(text, language)
    spans = [doc.owned_span(f.start_byte, f.end_byte) for f in doc.outline()
             if f.name == "main" and f.depth == 0 and (f.kind == "function" or doc.language == "java")]
    out, at = [], 0
    for start, end in sorted(spans):
        out.append(doc.source[at:start])
        at = end
    out.append(doc.source[at:])
    return b"".join(out).decode("utf-8", "replace")


def append_program(file_text: str, program: str, language: str) -> str:
    """`program` (a driver with its own main) after the file, its main gone; the driver's imports that the
    file lacks go to the file's import section."""
    base = without_main(file_text, language)
    imports, body = split_imports(textwrap.dedent(program), language)
    added = new_imports(base, imports, language)
    if added:
        doc = document(base, language)
        at_byte, prefix = import_insertion(doc)
        at = char_offset(doc, at_byte)
        base = base[:at] + prefix + "\n".join(added) + "\n" + base[at:]
    return base.rstrip("\n") + "\n\n" + body.strip("\n") + "\n"
