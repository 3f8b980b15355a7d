"""What a prompt carries around the function (orchestrator.prompt_context): the module's constants and helpers
it uses, and for a method its class's attributes and sibling signatures -- nothing it does not use."""

from __future__ import annotations

from orchestrator import prompts
from orchestrator.prompt_context import python_context

MODULE = '''import re

LIMIT = 100
UNUSED = "never shown"
_WORD = re.compile(r"\\w+")


def _clean(word: str) -> str:
    """Lower-case, without punctuation."""
    return word.strip(".,").lower()


def other():
    return UNUSED


def top_words(text: str) -> list[str]:
    words = [_clean(w) for w in _WORD.findall(text)]
    return sorted(set(words))[:LIMIT]


class IndexedSet:
    """A set that remembers insertion order."""

    kind = "indexed"

    def __init__(self, items=()):
        self._items = []
        self._index = {}
        for item in items:
            self.add(item)

    def add(self, item) -> None:
        """Append unless present."""
        if item not in self._index:
            self._index[item] = len(self._items)
            self._items.append(item)

    def index(self, item) -> int:
        return self._items.index(item)
'''


def test_a_function_gets_the_constants_and_helpers_it_uses_and_nothing_else():
    context = python_context(MODULE, "top_words")
    assert "LIMIT = 100" in context and "_WORD = re.compile" in context and "def _clean(word: str)" in context
    assert "UNUSED" not in context and "def other" not in context and "class IndexedSet" not in context
    assert "def top_words" not in context  # the function itself is the prompt's code, not its context


def test_a_method_gets_its_class_attributes_init_and_sibling_signatures():
    context = python_context(MODULE, "index", "IndexedSet")
    assert context.startswith("class IndexedSet:")
    assert "self._items = []" in context and "self._index = {}" in context and 'kind = "indexed"' in context
    assert "def add(self, item) -> None:  # Append unless present. ..." in context
    assert "self._index[item] = len(self._items)" not in context  # siblings by signature, not body
    assert "def index" not in context


def test_nothing_needed_means_no_context_block_in_the_prompt():
    assert python_context("def f(x):\n    return x + 1\n", "f") == ""
    plain = prompts.fix_messages("python", "f", "def f(x):\n    return x\n", "", "boom")[1]["content"]
    assert "What the code around" not in plain
    with_context = prompts.refine_messages("python", "index", "def index(self, item): ...", "", "time", "", "",
                                           context=python_context(MODULE, "index", "IndexedSet"))[1]["content"]
    assert "What the code around `index` defines" in with_context and "self._items = []" in with_context
