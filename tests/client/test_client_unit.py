"""The extension's unit tests (node's test runner over the pure TypeScript helpers), run from pytest."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

EXT = Path(__file__).resolve().parents[2] / "client-vscode"


def test_npm_unit_tests():
    if not shutil.which("npm"):
        pytest.skip("npm not installed")
    if not (EXT / "node_modules" / "typescript").exists():
        pytest.skip("client-vscode/node_modules missing: run `npm ci` in client-vscode")
    proc = subprocess.run(["npm", "test", "--silent"], cwd=EXT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "# fail 0" in proc.stdout
