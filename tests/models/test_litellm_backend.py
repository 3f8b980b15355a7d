"""The litellm path against real HTTP servers on loopback: llama-cpp-python's OpenAI-compatible server
running the embedded GGUF, plus tiny stdlib servers that fail (HTTP 500 / 401) or stall past the timeout.
litellm itself is never patched."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from models.base import Options
from models.errors import Cancelled, ModelError
from models.history import History
from models.litellm_backend import LiteLLMModel
from orchestrator.pipeline import Pipeline
from models.registry import ModelRegistry
from models.settings import Settings
from models.types import Problem

from tests.conftest import require_module

from .conftest import CancelAfter, free_port, wait_for

pytestmark = [pytest.mark.llama, pytest.mark.slow]
PROBLEM = Problem(title="Add two numbers", description="Write add(a, b) returning the sum.", language="python")


@pytest.fixture(scope="module")
def llama_server(gguf_path, tmp_path_factory):
    require_module("llama_cpp.server", "pip install 'llama-cpp-python[server]' (in requirements.lock)")
    port = free_port()
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    log_file = open(log_path, "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf_path), "--model_alias", "smol",
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--verbose", "False"],
        stdout=log_file, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"

    def up():
        try:
            with urllib.request.urlopen(base + "/models", timeout=1) as r:
                return r.status == 200
        except OSError:
            return proc.poll() is not None  # stop waiting if it died

    try:
        assert wait_for(up, timeout=120), "llama-cpp server did not start"
        assert proc.poll() is None, log_path.read_text(errors="replace")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log_file.close()


class _Stub(ThreadingHTTPServer):
    daemon_threads = True


def _stub_server(behaviour):
    """A loopback server; `behaviour(handler)` answers each POST. Records hits and auth headers."""
    hits: list[str | None] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output quiet
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            hits.append(self.headers.get("Authorization"))
            try:
                behaviour(self)
            except (BrokenPipeError, ConnectionResetError):
                pass

    server = _Stub(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/v1", hits


def _reply(handler, status, body):
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


@pytest.fixture
def failing_server():
    server, base, hits = _stub_server(lambda h: _reply(h, 500, {"error": {"message": "boom", "type": "server_error"}}))
    yield base, hits
    server.shutdown()


@pytest.fixture
def unauthorized_server():
    server, base, hits = _stub_server(lambda h: _reply(h, 401, {"error": {"message": "bad key", "type": "auth"}}))
    yield base, hits
    server.shutdown()


@pytest.fixture
def stalling_server():
    def stall(h):
        time.sleep(30)
        _reply(h, 500, {"error": {"message": "too late"}})

    server, base, hits = _stub_server(stall)
    yield base, hits
    server.shutdown()


def test_streaming_against_real_server(llama_server):
    model = LiteLLMModel("openai/smol", api_base=llama_server)
    pieces = []
    response = model.execute("Write a Python function add(a, b).", Options(max_tokens=30, temperature=0, timeout_s=60),
                             on_text=pieces.append)
    assert response.text and "".join(pieces) == response.text and len(pieces) > 3
    assert response.usage.prompt_tokens > 0 and response.usage.completion_tokens > 0
    assert response.usage.cost_usd is None  # an unpriced self-hosted model: unknown, not zero


def test_non_streaming_against_real_server(llama_server):
    model = LiteLLMModel("openai/smol", api_base=llama_server)
    pieces = []
    response = model.execute("Say hello.", Options(max_tokens=10, timeout_s=60), stream=False, on_text=pieces.append)
    assert response.text and pieces == [response.text] and response.usage.completion_tokens > 0


def test_cancel_mid_stream(llama_server):
    model = LiteLLMModel("openai/smol", api_base=llama_server)
    stop = CancelAfter(3)
    with pytest.raises(Cancelled):
        model.execute("Tell a long story.", Options(max_tokens=300, timeout_s=60), cancel=stop.event, on_text=stop)
    assert len(stop.pieces) == 3


def _pipeline(tmp_path, solve: dict, llama_server, **kw):
    registry = ModelRegistry(key_file=kw.pop("key_file", None))
    registry.register("smol-server", LiteLLMModel("openai/smol", api_base=llama_server))
    settings = Settings.from_dict({"solve": {"max_tokens": 40, "temperature": 0, **solve}, **kw})
    pipeline = Pipeline(settings, History(tmp_path / "h.db"), registry=registry)
    return pipeline


def test_http_500_is_retried_then_falls_back(tmp_path, failing_server, llama_server):
    base, hits = failing_server
    p = _pipeline(tmp_path, {"model": "openai/broken", "api_base": base, "retries": 2, "backoff_s": 0.05,
                             "fallbacks": ["smol-server"]}, llama_server)
    result = p.solve(PROBLEM, None)
    assert len(hits) == 3  # 1 try + 2 retries, and litellm/openai did no hidden retries of their own
    assert result.model_id == "smol-server" and result.fell_back and result.attempts == 4 and result.text
    calls = p.history.export()[0]["calls"]
    assert [c["model_id"] for c in calls] == ["openai/broken"] * 3 + ["smol-server"]
    assert all("RetryableModelError" in c["error"] for c in calls[:3])


def test_timeout_is_retried_then_falls_back(tmp_path, stalling_server, llama_server):
    base, hits = stalling_server
    # The stage timeout applies to the fallback's call too: generous enough for a busy 2-core machine.
    p = _pipeline(tmp_path, {"model": "openai/slow", "api_base": base, "retries": 1, "backoff_s": 0, "timeout_s": 8,
                             "max_tokens": 5, "fallbacks": ["smol-server"]}, llama_server)
    started = time.monotonic()
    result = p.solve(PROBLEM, None)
    assert result.model_id == "smol-server" and len(hits) == 2
    assert time.monotonic() - started < 120
    calls = p.history.export()[0]["calls"]
    assert [c["model_id"] for c in calls[:2]] == ["openai/slow"] * 2
    assert all(c["error"].startswith("ModelTimeout") for c in calls[:2])
    assert calls[-1]["model_id"] == "smol-server" and calls[-1]["error"] is None


def test_auth_failure_is_not_retried(tmp_path, unauthorized_server, llama_server):
    base, hits = unauthorized_server
    p = _pipeline(tmp_path, {"model": "openai/locked", "api_base": base, "retries": 3, "backoff_s": 0.01,
                             "fallbacks": ["smol-server"]}, llama_server)
    assert p.solve(PROBLEM, None).model_id == "smol-server"
    assert len(hits) == 1


def test_every_model_failing(failing_server):
    base, hits = failing_server
    registry = ModelRegistry()
    settings = Settings.from_dict({"guide": {"model": "openai/broken", "api_base": base, "retries": 0, "fallbacks": []}})
    with pytest.raises(ModelError, match="every model failed"):
        Pipeline(settings, registry=registry).guide(PROBLEM)


def test_key_read_from_key_file_at_call_time_never_logged_or_stored(tmp_path, unauthorized_server, monkeypatch,
                                                                     caplog):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    base, hits = unauthorized_server
    key_file = tmp_path / "keys"
    secret = "sk-file-secret-0123456789"
    model = LiteLLMModel("openai/gpt-test", api_base=base, key_file=str(key_file))
    key_file.write_text(f"OPENAI_API_KEY={secret}\n")  # written after the model was made: read at call time
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ModelError) as info:
        model.execute("hi", Options(max_tokens=5, timeout_s=10))
    assert hits == [f"Bearer {secret}"]
    assert secret not in str(info.value) and secret not in caplog.text
    assert secret not in repr(model.__dict__)


def test_litellm_failures_print_nothing_to_stdout(failing_server):
    """litellm likes to print help banners on errors; stdout is the server's JSON-RPC channel."""
    base, _ = failing_server
    code = (
        "from models.litellm_backend import LiteLLMModel; from models.base import Options\n"
        "from models.errors import ModelError\n"
        f"m = LiteLLMModel('openai/x', api_base={base!r})\n"
        "try:\n    m.execute('hi', Options(max_tokens=3, timeout_s=10))\nexcept ModelError as e:\n"
        "    import sys; sys.stderr.write('failed as expected')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
                         capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr.decode()
    assert b"failed as expected" in out.stderr
    assert out.stdout == b""
