"""benchmarks/ is a package run from the repository root (`python -m benchmarks.NAME`): every module imports, has
the one CLI shape with a working --help, edits no sys.path, and the shared results writer never replaces a run's
file. The measurements themselves are not run here (minutes each)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchmarks.common import reserve, start_run

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = sorted(p.stem for p in (ROOT / "benchmarks").glob("*.py") if p.stem not in ("__init__", "common"))


def test_the_benchmarks_are_the_ones_kept():
    assert BENCHMARKS == ["codeaction_after_edit", "codeaction_latency", "decision_plan", "mcp_overhead", "models_overhead",
                          "sandbox_isolation", "sandbox_overhead", "sandbox_repeatability", "sandbox_throughput",
                          "speed_decision", "trace_overhead", "trivial_lsp_server"]


@pytest.mark.parametrize("name", BENCHMARKS)
def test_every_benchmark_imports_and_answers_help(name):
    module = importlib.import_module(f"benchmarks.{name}")
    result = CliRunner().invoke(module.app, ["--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output and "--help" in result.output


def test_python_dash_m_from_the_repository_root():
    done = subprocess.run([sys.executable, "-m", "benchmarks.sandbox_throughput", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "--results-dir" in done.stdout


def test_no_benchmark_edits_sys_path():
    for path in (ROOT / "benchmarks").glob("*.py"):
        assert "sys.path" not in path.read_text(), path.name


def test_two_runs_write_two_files_and_neither_is_replaced(tmp_path):
    first = start_run("demo", {"n": 1, "out": tmp_path}, results_dir=tmp_path)
    second = start_run("demo", {"n": 2}, results_dir=tmp_path)
    first.save({"results": [1]})
    second.save({"results": [2]})
    files = sorted((tmp_path / "demo").glob("*.json"))
    assert len(files) == 2 and {first.path, second.path} == set(files)
    one, two = (json.loads(p.read_text()) for p in (first.path, second.path))
    assert (one["results"], two["results"]) == ([1], [2])
    assert one["options"] == {"n": 1, "out": str(tmp_path)} and one["complete"] is True
    assert one["machine"].keys() >= {"cpu", "cores", "python", "load_avg_at_start", "load_avg_at_end", "date_utc"}
    assert first.path.name.endswith("Z.json") or first.path.name.endswith("Z-2.json")


def test_same_second_gets_a_new_name(tmp_path):
    when = datetime(2026, 11, 21, 12, 0, 0, tzinfo=timezone.utc)
    a = reserve(tmp_path, when)
    a.write_text("kept")
    b = reserve(tmp_path, when)
    assert (a.name, b.name) == ("20261121T120000Z.json", "20261121T120000Z-2.json")
    assert a.read_text() == "kept"


def test_an_unfinished_run_says_so(tmp_path):
    run = start_run("demo", {}, results_dir=tmp_path)
    run.save({"trials": [1]}, complete=False)
    saved = json.loads(run.path.read_text())
    assert saved["complete"] is False and saved["finished_utc"] is None and saved["trials"] == [1]
