"""The `refactorcoder` CLI with the fake pipeline (in-process via typer's runner), plus the
console script's start-up speed and the LSP stdout guard in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from server.cli import app
from server.cli.targets import TargetError, resolve_target

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "two_sum.py"


@pytest.fixture
def fake(monkeypatch, tmp_path):
    monkeypatch.setenv("REFACTORCODER_PIPELINE_FACTORY", "tests.server.fake_pipeline:make_pipeline")
    monkeypatch.setenv("REFACTORCODER_FAKE_DELAY_S", "0")
    monkeypatch.setenv("REFACTORCODER_HOME", str(tmp_path))
    return tmp_path


def test_targets():
    ex, source = resolve_target(f"{EXAMPLE}::two_sum")
    assert ex.name == "two_sum" and source.endswith("::two_sum")
    ex, _ = resolve_target(str(EXAMPLE))
    assert ex.name == "two_sum"
    ex, source = resolve_target("Reverse a string in place.")
    assert ex.code is None and ex.title == "Reverse a string in place." and source == "cli"
    with pytest.raises(TargetError, match="no function 'nope'.*two_sum"):
        resolve_target(f"{EXAMPLE}::nope")
    with pytest.raises(TargetError, match="no such file"):
        resolve_target("missing/file.py")


def test_pipeline_json(fake):
    result = CliRunner().invoke(app, ["pipeline", f"{EXAMPLE}::two_sum", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["guidance"] and report["solution_code"] and report["judgment"]["scores"]["accuracy"] == 4


def test_judge_existing_code_only_runs_judge(fake):
    result = CliRunner().invoke(app, ["judge", f"{EXAMPLE}::is_palindrome", "--json"])
    report = json.loads(result.stdout)
    assert report["guidance"] is None and report["solution"] is None and report["judgment"]
    assert "cleaned" in report["solution_code"]


def test_human_output_and_config(fake, tmp_path):
    config = tmp_path / "rc.toml"
    config.write_text('[refactorcoder]\n[refactorcoder.guide]\nmax_tokens = 5\n')
    result = CliRunner().invoke(app, ["solve", "Reverse a string.", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "Guidance" in result.stdout and "Solution" in result.stdout


def test_bad_config_and_target_exit_2(fake, tmp_path):
    config = tmp_path / "rc.json"
    config.write_text('{"guide": {"max_tokens": -3}}')
    result = CliRunner().invoke(app, ["guide", "x", "--config", str(config)])
    assert result.exit_code == 2 and "max_tokens" in result.output
    assert CliRunner().invoke(app, ["guide", "nope.py"]).exit_code == 2


def test_model_error_exit_1(fake):
    result = CliRunner().invoke(app, ["guide", "FAIL please"])
    assert result.exit_code == 1 and "all models failed" in result.output


def test_history_list_and_export(tmp_path, monkeypatch):
    from models.history import History
    from models.types import Problem

    db = tmp_path / "h.db"
    with History(db) as history:
        run_id = history.start_run("guide", Problem(title="T"))
        history.finish_run(run_id, "ok")
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"history_path": str(db)}))
    listed = CliRunner().invoke(app, ["history", "--config", str(config), "--json"])
    assert json.loads(listed.stdout)[0]["id"] == run_id
    exported = CliRunner().invoke(app, ["history", "--config", str(config), "--export", "-", "--run", str(run_id)])
    assert json.loads(exported.stdout)[0]["problem"]["title"] == "T"
    out = tmp_path / "all.json"
    CliRunner().invoke(app, ["history", "--config", str(config), "--export", str(out)])
    assert len(json.loads(out.read_text())) == 1
    missing = CliRunner().invoke(app, ["history", "--config", str(config), "--run", "999"])
    assert missing.exit_code == 1


def test_help_imports_nothing_heavy():
    code = (
        "import sys, time; t=time.perf_counter(); sys.argv=['refactorcoder','--help'];\n"
        "from server.cli import main\ntry: main()\nexcept SystemExit: pass\n"
        "heavy=[m for m in ('litellm','llama_cpp','docker') if m in sys.modules]; print('HEAVY', heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert "HEAVY []" in out.stdout


def test_lsp_stdout_is_protocol_only():
    """A print() in the server process must not reach stdout in stdio mode."""
    code = (
        "import sys; sys.argv=['refactorcoder','lsp'];\n"
        "import server.lsp.main as m\n"
        "orig = m._guard\n"
        "def guard():\n"
        "    out = orig(); print('stray print'); import os; os.write(1, b'stray fd write\\n'); return out\n"
        "m._guard = guard\n"
        "from server.cli import main; main()"
    )
    request = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "shutdown"})
    exit_msg = json.dumps({"jsonrpc": "2.0", "method": "exit"})
    payload = "".join(f"Content-Length: {len(m)}\r\n\r\n{m}" for m in (request, exit_msg)).encode()
    out = subprocess.run([sys.executable, "-c", code], input=payload, capture_output=True, cwd=REPO, timeout=60)
    assert out.stdout.startswith(b"Content-Length:"), out.stdout[:200]
    assert b"stray" not in out.stdout and b"stray print" in out.stderr and b"stray fd write" in out.stderr


def test_lsp_over_tcp():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "lsp", "--tcp", f"127.0.0.1:{port}"], cwd=REPO,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = socket.create_connection(("127.0.0.1", port), timeout=30)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}, "processId": None}})
        conn.sendall(f"Content-Length: {len(body)}\r\n\r\n{body}".encode())
        data = b""
        while b'"result"' not in data or not data.rstrip().endswith(b"}"):
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        conn.close()
        assert b'"codeActionProvider"' in data and b"refactorcoder.guide" in data
    finally:
        proc.terminate()
        proc.wait(10)


def test_sandbox_commands_mounted_when_present():
    pytest.importorskip("sandbox.cli")
    out = subprocess.run([sys.executable, "-m", "server.cli", "--help"], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert " run " in out.stdout and " sandbox " in out.stdout
    out = subprocess.run([sys.executable, "-m", "server.cli", "run", "--help"], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert "--lang" in out.stdout and "--stdin" in out.stdout
