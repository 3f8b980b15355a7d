"""One language table: every other list of languages in the project is derived from it or held equal
to it here (the VS Code client's TypeScript list and activation events included)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from source import languages
from source.grammars import GRAMMARS, ts_language

ROOT = Path(__file__).resolve().parents[2]


def test_table_ids_names_and_lookups():
    assert languages.IDS == ("python", "cpp", "java", "go", "rust", "javascript")
    assert languages.SANDBOX_KEYS == ("python", "cpp", "java", "go", "rust", "js")
    assert languages.lookup("JS").id == languages.lookup("node").id == "javascript"
    assert languages.lookup("c++").id == "cpp" and languages.lookup("golang").id == "go" and languages.lookup("c") is None
    assert languages.for_path("a/b/Main.JAVA").id == "java" and languages.for_path("x.ts") is None
    assert languages.language_id_for_path("notes.md") == "markdown" and languages.language_id_for_path("x.c") == "plaintext"


def test_every_language_has_a_loadable_grammar_and_spec():
    for lang in languages.LANGUAGES:
        assert lang.id in GRAMMARS
        assert ts_language(lang.id).node_kind_count > 0


def test_vscode_client_advertises_exactly_the_table():
    client = (ROOT / "client-vscode" / "src" / "client.ts").read_text()
    listed = re.search(r"export const LANGUAGES = \[([^\]]*)\]", client).group(1)
    assert tuple(re.findall(r"'([^']+)'", listed)) == languages.IDS
    package = json.loads((ROOT / "client-vscode" / "package.json").read_text())
    events = [e.split(":", 1)[1] for e in package.get("activationEvents", []) if e.startswith("onLanguage:")]
    assert tuple(events) == languages.IDS


def test_sandbox_and_models_read_the_table():
    from models.parsing import extract_code
    from models.prompts import language_names
    from sandbox import images
    from sandbox.cli import EXTENSIONS
    from sandbox.humaneval import DATA_LANG
    from sandbox.languages import main_file
    from sandbox.models import LANGUAGE_ALIASES, RunSpec

    assert images.LANGUAGES == languages.SANDBOX_KEYS and set(images.BUILD_ORDER) == set(languages.SANDBOX_KEYS)
    assert set(DATA_LANG) == set(languages.SANDBOX_KEYS) and EXTENSIONS[".mjs"] == "js"
    assert [main_file(k) for k in languages.SANDBOX_KEYS] == ["main.py", "main.cpp", "Main.java", "main.go", "main.rs", "main.js"]
    assert LANGUAGE_ALIASES["javascript"] == "js" and RunSpec(language="c++", source="int main(){}").language == "cpp"
    assert language_names("cpp") == ("C++", "cpp") and language_names("javascript") == ("JavaScript", "javascript")
    assert language_names("c") == ("C", "c")
    assert extract_code("```js\nlet x = 1;\n```\n```python\nx = 1\n```", "javascript") == "let x = 1;\n"
