"""Which test files can reach the target (orchestrator/verify/testing/imports_reach.py): only those go to the traced run
that selects the tests running it, so a repository's unrelated test files are not run to find out."""

from __future__ import annotations

from pathlib import Path

from orchestrator.verify.testing.imports_reach import files_reaching


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def _reaching(root: Path, target: str) -> list[str]:
    sources = sorted(root.rglob("*.py"))
    tests = {p: p.read_text() for p in sources if p.name.startswith("test_")}
    return sorted(p.relative_to(root).as_posix() for p in files_reaching(root, sources, tests, root / target))


def test_a_test_reaches_the_target_through_another_project_module(tmp_path):
    _write(tmp_path, {
        "pkg/__init__.py": "", "pkg/core.py": "def f():\n    return 1\n",
        "pkg/api.py": "from .core import f\n\ndef g():\n    return f()\n",
        "pkg/other.py": "import json\n",
        "tests/test_api.py": "from pkg.api import g\n\ndef test_g():\n    assert g() == 1\n",
        "tests/test_lazy.py": "def test_late():\n    from pkg import (\n        api,\n    )\n",
        "tests/test_other.py": "import pkg.other\n\ndef test_o():\n    pass\n",
    })
    assert _reaching(tmp_path, "pkg/core.py") == ["tests/test_api.py", "tests/test_lazy.py"]


def test_src_layout_and_a_test_beside_its_module(tmp_path):
    _write(tmp_path, {
        "src/lib/__init__.py": "from lib.impl import h\n", "src/lib/impl.py": "def h():\n    return 2\n",
        "tests/test_lib.py": "import lib\n",
        "examples/words.py": "def w():\n    return 3\n",
        "examples/test_words.py": "from words import w\n",  # pytest puts examples/ on sys.path
        "tests/test_unrelated.py": "import os\n",
    })
    assert _reaching(tmp_path, "src/lib/impl.py") == ["tests/test_lib.py"]
    assert _reaching(tmp_path, "examples/words.py") == ["examples/test_words.py"]
