"""Every HumanEval-X problem of the six languages: `declaration + canonical_solution` yields the
entry-point function, found by name at its header, its span holding the whole solution."""

from __future__ import annotations

import gzip
import json
import os
import re
from pathlib import Path

import pytest

from source import languages
from source.document import Document

DATA = Path(__file__).resolve().parents[2] / "evaluation" / "data" / "humaneval-x"  # shipped with the project
# The entry point's header: the last line of the declaration that looks like one (declarations of a few
# problems define helpers first, or open the body with an import).
HEADER = {
    "python": r"^def\s+(\w+)\s*\(",
    "cpp": r"^(?!#|using|\s*(?:for|if|while|return|switch|else)\b)[\w:<>, *&]+?\b(\w+)\s*\(",
    "java": r"^\s+public\s[^=]*?\b(\w+)\s*\(",
    "go": r"^func\s+(\w+)",
    "rust": r"^(?:pub\s+)?fn\s+(\w+)",
    "javascript": r"^(?:const\s+(\w+)\s*=|function\s+(\w+))",
}


def _records(key: str) -> list[dict]:
    path = DATA / f"humaneval_{key}.jsonl.gz"
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"HumanEval-X data missing: {path}")
        pytest.skip(f"HumanEval-X data missing: {path}")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.mark.parametrize("lang", languages.LANGUAGES, ids=lambda lang: lang.id)
def test_every_declaration_plus_solution_yields_the_entry_point(lang):
    records = _records(lang.sandbox)
    assert len(records) == 164
    failures = []
    for record in records:
        declaration = record["declaration"]
        header = [line for line in declaration.splitlines() if re.search(HEADER[lang.id], line)][-1]
        name = next(g for g in re.search(HEADER[lang.id], header).groups() if g)
        text = declaration + record["canonical_solution"]
        lines = text.splitlines()
        header_row = max(i for i, line in enumerate(lines) if line == header)
        doc = Document(text, lang.id)
        found = [fn for fn in doc.outline() if fn.name == name]
        at_header = [fn for fn in found if fn.name_row == header_row]
        if len(at_header) != 1 or len(found) != 1:
            failures.append((record["task_id"], name, [(f.name, f.name_row) for f in doc.outline()]))
            continue
        fn = at_header[0]
        body_rows = [i for i in range(header_row + 1, len(lines)) if lines[i].strip()]
        last_line = lines[fn.last_row].strip()
        ok = fn.first_row <= header_row and (not body_rows or body_rows[0] <= fn.last_row)
        ok = ok and (lang.id == "python" or last_line.endswith("}"))
        # The cursor anywhere in the body resolves to it.
        if body_rows:
            inner = doc.function_at(body_rows[0], len(lines[body_rows[0]]) - 1)
            ok = ok and inner is not None and inner.qualified_name.split(".")[0] in (name, "Solution")
        if not ok:
            failures.append((record["task_id"], name, fn.first_row, fn.last_row))
    assert not failures, failures[:10]
