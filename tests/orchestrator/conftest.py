"""Fixtures for the orchestrator: a scripted OpenAI-compatible endpoint on loopback (real HTTP, reached
through litellm, which is not patched) and the Python sandbox (Docker). Under CI=true a missing engine
or image fails the test instead of skipping it."""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from tests.conftest import require_real_part  # noqa: E402


class ScriptedEndpoint:
    """Answers /v1/chat/completions by the request's model name: each model plays its list of answers
    in order (the last one repeats). Streams SSE chunks when asked to, like a real server."""

    def __init__(self):
        self.scripts: dict[str, list[str]] = {}
        self.requests: list[dict] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                endpoint.requests.append(body)
                model = body.get("model", "")
                script = endpoint.scripts.get(model) or endpoint.scripts.get("*") or ["(no script)"]
                text = script.pop(0) if len(script) > 1 else script[0]
                try:
                    if body.get("stream"):
                        self._stream(model, text)
                    else:
                        self._json(model, text)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _json(self, model, text):
                data = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": model,
                                   "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                                "finish_reason": "stop"}],
                                   "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, model, text):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                pieces = [text[i:i + 40] for i in range(0, len(text), 40)] or [""]
                for piece in pieces:
                    chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": model,
                             "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                end = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": model,
                       "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                       "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}}
                self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())
                self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def prompts_to(self, model: str) -> list[str]:
        return [m["content"] for r in self.requests if r.get("model") == model for m in r["messages"]]

    def close(self):
        self.server.shutdown()


@pytest.fixture
def endpoint():
    server = ScriptedEndpoint()
    yield server
    server.close()


def _python_sandbox_problem() -> str | None:
    try:
        from sandbox.engine import get_client
        from sandbox.errors import SandboxUnavailable
        from sandbox.images import missing_images

        try:
            get_client()
        except SandboxUnavailable as exc:
            return str(exc)
        if missing_images(["python"]):
            return "the python sandbox image is missing (run `refactorcoder sandbox build -l python`)"
    except Exception as exc:  # noqa: BLE001
        return f"sandbox unavailable: {exc}"
    return None


@pytest.fixture(scope="session")
def py_sandbox():
    require_real_part(_python_sandbox_problem())
    from sandbox import Sandbox

    with Sandbox(pool_size=2) as sb:
        yield sb
