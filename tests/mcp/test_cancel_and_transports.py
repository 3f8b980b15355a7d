"""Cancellation mid-job (the client's `notifications/cancelled` stops the job at its next check and the
server keeps serving), streamable HTTP on loopback, and one call on the embedded local model."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import anyio
import pytest

from tests.mcp.conftest import REPO, mcp_session, write_config
from tests.orchestrator.test_loop_scripted import BUGGY, CORRECT, _project


def _run_status(tmp_path, run_id: int) -> str | None:
    from models.history import History

    with History(tmp_path / "home" / "history.db") as history:
        rows = history.export(run_id)
    return rows[0]["status"] if rows else None


@pytest.mark.docker
@pytest.mark.slow
async def test_cancelling_a_fix_stops_the_job_and_the_server_keeps_serving(tmp_path, endpoint, sandbox_ready):
    path = _project(tmp_path, BUGGY)
    # Every answer is the bug again in other words (a duplicate is rejected without a run), so an uncancelled
    # job would ask for all three attempts; the first answer is held back long enough to cancel during it.
    endpoint.scripts["slow"] = ["```python\n" + BUGGY.replace("    total = 0", "    total = 0  # again") + "```"]
    endpoint.slow_first = {"slow": 4.0}
    attempt_started = anyio.Event()

    async def on_progress(value, total, message):
        if message and "attempt 1" in message:
            attempt_started.set()

    async with mcp_session(tmp_path, config=write_config(tmp_path, endpoint, model="slow"),
                           roots=[path.parent]) as session:
        async with anyio.create_task_group() as tasks:
            async def call():
                await session.call_tool("fix", {"file": "pairs.py", "function": "count_pairs",
                                                "budget": {"max_attempts": 3}}, progress_callback=on_progress)
                raise AssertionError("the call finished although it was cancelled")

            tasks.start_soon(call)
            with anyio.fail_after(120):
                await attempt_started.wait()
                # "attempt 1" is said before the model is asked: cancel once the held-back request has arrived
                while not [r for r in endpoint.requests if r.get("model") == "slow"]:
                    await anyio.sleep(0.05)
            tasks.cancel_scope.cancel()  # the SDK sends notifications/cancelled for the abandoned request
        ran = (await session.call_tool("run", {"code": "print(6 * 7)", "language": "python"})).structured_content
        assert ran["stdout"] == "42\n"  # still serving, while the cancelled job winds down
        runs = (await session.call_tool("history", {"limit": 1})).structured_content["runs"]
        run_id = runs[0]["run_id"]
        deadline = time.monotonic() + 60
        while _run_status(tmp_path, run_id) == "running" and time.monotonic() < deadline:
            await anyio.sleep(0.5)
        assert _run_status(tmp_path, run_id) == "cancelled"
        asked = [r for r in endpoint.requests if r.get("model") == "slow"]
        assert len(asked) == 1, f"the job went on after the cancellation: {len(asked)} model calls"
        assert not [r for r in endpoint.requests if r.get("model") == "judge"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_streamable_http_on_loopback(tmp_path):
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    port = _free_port()
    env = dict(os.environ, REFACTORCODER_HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO))
    with open(tmp_path / "server.err", "w") as errlog:
        process = subprocess.Popen([sys.executable, "-m", "server", "mcp", "--http", "--port", str(port),
                                    "--root", str(tmp_path)], env=env, cwd=REPO, stdout=subprocess.PIPE,
                                   stderr=errlog)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert process.poll() is None, (tmp_path / "server.err").read_text()
                assert time.monotonic() < deadline, "the HTTP server did not start"
                await anyio.sleep(0.2)
        async with streamable_http_client(f"http://127.0.0.1:{port}/mcp") as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                assert len((await session.list_tools()).tools) == 7
                history = await session.call_tool("history", {"limit": 3})
                assert history.structured_content == {"runs": []}
                outside = await session.call_tool("run", {"file": "/etc/passwd"})
                assert outside.is_error and "outside the workspace roots" in outside.content[0].text
        import httpx

        # DNS-rebinding protection: a page on another origin cannot drive the loopback server
        answer = httpx.post(f"http://127.0.0.1:{port}/mcp", headers={"Host": "evil.example", "Content-Type":
                                                                     "application/json"}, content="{}")
        assert answer.status_code in (403, 421), answer.status_code
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert process.stdout.read() == b""  # over HTTP stdout carries nothing; logs are on stderr


@pytest.mark.llama
@pytest.mark.slow
async def test_judge_on_the_embedded_local_model(tmp_path, local_gguf):
    stage = {"model": "local", "fallbacks": [], "temperature": 0.0, "max_tokens": 120, "retries": 0}
    config = tmp_path / "cfg.json"
    config.write_text(json.dumps({"judge": stage}))
    async with mcp_session(tmp_path, config=config, roots=[tmp_path]) as session:
        judged = await session.call_tool("judge", {"code": CORRECT, "problem": "count index pairs summing to k"})
        assert not judged.is_error, judged.content
        j = judged.structured_content
        assert j["model"] == "local" and j["verdict"] == "unverified" and j["run_id"]
        assert j["scores"] is None or set(j["scores"]) == {"accuracy", "clarity", "efficiency"}
        report = json.loads((await session.read_resource(j["report_uri"])).contents[0].text)
        assert report["report"]["judgment"]["raw"]["model_id"] == "local"
