"""The one table of the languages RefactorCoder supports end to end: parsed in the editor, named in
prompts, read back from fenced answers, run in the sandbox. Every other place that needs a language
list (server, models, sandbox, benchmarks, the VS Code client) reads it from here.

`id` is the LSP languageId (what editors send); `sandbox` is the key of the sandbox image and of the
HumanEval-X data files (JavaScript is "js" there).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    id: str  # LSP languageId
    name: str  # display name, also used in prompts ("write it in C++")
    suffixes: tuple[str, ...]  # file suffixes, lower case, the usual one first
    grammar: str  # module of the tree-sitter grammar wheel
    sandbox: str  # sandbox image / runner key; also the HumanEval-X file key
    fence: str  # the code-fence tag models are asked to use
    fence_aliases: tuple[str, ...]  # further tags accepted when reading a model's answer
    aliases: tuple[str, ...]  # other names people type (--lang c++, golang, node)
    line_comment: str
    block_comment: tuple[str, str] | None

    @property
    def names(self) -> tuple[str, ...]:
        """Every name that means this language, lower case."""
        return tuple(dict.fromkeys((self.id, self.sandbox, self.fence, *self.aliases)))

    @property
    def fence_tags(self) -> frozenset[str]:
        return frozenset((self.fence, *self.fence_aliases))


LANGUAGES: tuple[Language, ...] = (
    Language("python", "Python", (".py", ".pyw"), "tree_sitter_python", "python", "python",
             ("py", "python3", "py3"), ("py", "python3", "py3"), "#", None),
    Language("cpp", "C++", (".cpp", ".cc", ".cxx", ".hpp", ".hh", ".hxx"), "tree_sitter_cpp", "cpp", "cpp",
             ("c++", "cxx", "cc"), ("c++", "cxx", "cc"), "//", ("/*", "*/")),
    Language("java", "Java", (".java",), "tree_sitter_java", "java", "java", (), (), "//", ("/*", "*/")),
    Language("go", "Go", (".go",), "tree_sitter_go", "go", "go", ("golang",), ("golang",), "//", ("/*", "*/")),
    Language("rust", "Rust", (".rs",), "tree_sitter_rust", "rust", "rust", ("rs",), ("rs",), "//", ("/*", "*/")),
    Language("javascript", "JavaScript", (".js", ".mjs", ".cjs", ".jsx"), "tree_sitter_javascript", "js", "javascript",
             ("js", "node", "jsx", "nodejs"), ("js", "node", "nodejs", "jsx"), "//", ("/*", "*/")),
)

IDS: tuple[str, ...] = tuple(lang.id for lang in LANGUAGES)
SANDBOX_KEYS: tuple[str, ...] = tuple(lang.sandbox for lang in LANGUAGES)
# Documents that are problems in prose, not code: a whole .txt/.md file can be a problem statement.
TEXT_SUFFIXES = {".txt": "plaintext", ".md": "markdown"}

_BY_ID = {lang.id: lang for lang in LANGUAGES}
_BY_NAME = {name: lang for lang in LANGUAGES for name in lang.names}
_BY_SUFFIX = {suffix: lang for lang in LANGUAGES for suffix in lang.suffixes}


def get(language_id: str) -> Language:
    """The language of an LSP languageId; KeyError for one we do not support."""
    return _BY_ID[language_id]


def lookup(name: str | None) -> Language | None:
    """Any name of a language (languageId, sandbox key, fence tag, alias; any case), or None."""
    return _BY_NAME.get((name or "").strip().lower())


def for_path(path: str) -> Language | None:
    """The language of a file name by its suffix, or None."""
    dot = path.rfind(".")
    return _BY_SUFFIX.get(path[dot:].lower()) if dot >= 0 else None


def language_id_for_path(path: str) -> str:
    """The languageId an editor would give the file: a code language, "plaintext"/"markdown", else "plaintext"."""
    lang = for_path(path)
    if lang is not None:
        return lang.id
    dot = path.rfind(".")
    return TEXT_SUFFIXES.get(path[dot:].lower(), "plaintext") if dot >= 0 else "plaintext"


def all_suffixes() -> tuple[str, ...]:
    """Suffixes of every file the tools accept as a target (code and prose)."""
    return tuple(_BY_SUFFIX) + tuple(TEXT_SUFFIXES)
