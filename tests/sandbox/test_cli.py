"""The typer commands: `run`, `sandbox build`, `sandbox check` (mounted by the main CLI)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from sandbox.cli import main_app, run_command, sandbox_app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_contract_objects():
    assert isinstance(sandbox_app, typer.Typer)
    names = {c.name or c.callback.__name__ for c in sandbox_app.registered_commands}
    assert {"build", "check"} <= names
    assert callable(run_command)
    app = typer.Typer()
    app.command("run")(run_command)
    app.add_typer(sandbox_app, name="sandbox")
    assert runner.invoke(app, ["run", "--help"]).exit_code == 0


def test_module_entry_point_help():
    out = subprocess.run([sys.executable, "-m", "sandbox.cli", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0
    assert "run" in out.stdout and "sandbox" in out.stdout


def test_unknown_extension_needs_lang(tmp_path):
    src = tmp_path / "prog.txt"
    src.write_text("print(1)")
    result = runner.invoke(main_app(), ["run", str(src)])
    assert result.exit_code != 0


@pytest.mark.docker
def test_run_json_with_stdin(tmp_path):
    src = tmp_path / "echo.py"
    src.write_text("import sys\nprint(sys.stdin.read().upper(), end='')\n")
    data = tmp_path / "in.txt"
    data.write_text("hello")
    result = runner.invoke(main_app(), ["run", "--lang", "python", str(src), "--stdin", str(data), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["status"] == "ok"
    assert payload["stdout"] == "HELLO"
    assert set(payload["profile"]) >= {"wall_time_s", "cpu_time_s", "peak_memory_bytes", "mean_memory_bytes",
                                       "cpu_utilisation"}


@pytest.mark.docker
def test_run_human_output_and_failure_exit_code(tmp_path):
    src = tmp_path / "main.cpp"
    src.write_text("#include <cstdio>\nint main(){ puts(\"out\"); return 3; }\n")
    result = runner.invoke(main_app(), ["run", str(src)])
    assert result.exit_code == 1
    assert "out" in result.stdout
    assert "failed" in result.output and "exit=3" in result.output


@pytest.mark.docker
def test_build_is_a_fast_no_op_when_recipes_are_unchanged():
    start = time.monotonic()
    result = runner.invoke(main_app(), ["sandbox", "build"])
    assert result.exit_code == 0, result.output
    assert time.monotonic() - start < 2.0


@pytest.mark.docker
def test_check_reports_ready():
    result = runner.invoke(main_app(), ["sandbox", "check", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["ready"] is True
    assert len(payload["checks"]) >= 25
