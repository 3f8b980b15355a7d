"""refactorcoder.optimizeChanged's selection: the functions a real `git diff HEAD` (and untracked files) touch."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from server.lsp.features.changed_functions import touched_functions

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")


def _git(root, *args):
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t", "HOME": str(root), "PATH": "/usr/bin:/bin"})


def test_touched_functions_from_the_working_tree_diff(tmp_path):
    (tmp_path / "mod.py").write_text("def a():\n    return 1\n\n\ndef b():\n    return 2\n\n\ndef c():\n    return 3\n")
    (tmp_path / "test_mod.py").write_text("def test_a():\n    assert True\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "init")
    (tmp_path / "mod.py").write_text("def a():\n    return 1\n\n\ndef b():\n    return 22\n\n\ndef c():\n    return 3\n")
    (tmp_path / "test_mod.py").write_text("def test_a():\n    assert 1\n")  # tests are never optimized
    (tmp_path / "new.py").write_text("def fresh(x):\n    return x\n")  # untracked: wholly changed
    found = {(p.name, name, row) for p, name, row in touched_functions(tmp_path)}
    assert found == {("mod.py", "b", 4), ("new.py", "fresh", 0)}
