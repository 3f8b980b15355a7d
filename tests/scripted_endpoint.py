"""A scripted OpenAI-compatible endpoint on loopback: real HTTP, reached through litellm (which is never patched),
answering /v1/chat/completions with chosen text. Used by the orchestrator and evaluation tests (as the
`endpoint` fixture) and by the real VS Code run (as a process: `python -m tests.scripted_endpoint`).

Each model name plays its list of answers in order; the last one repeats. A key `MODEL@TEXT` is a script of its
own for the requests to MODEL whose messages contain TEXT (e.g. `refiner@def shout`: the answers about one
function). `*` answers any model without a script. The first answer of a key in `slow_first` waits that many
seconds (time to press Cancel on a running job). Streams SSE chunks when the request asks for a stream. With
`chars_per_token` set, an answer longer than the request's max_tokens (at that many characters a token) is cut
there and ends with finish_reason "length", as a real server's would.

    python -m tests.scripted_endpoint --port-file FILE --script FILE.json [--slow-first MODEL=SECONDS]
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

USAGE = {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}


class ScriptedEndpoint:
    def __init__(self, scripts: dict[str, list[str]] | None = None, slow_first: dict[str, float] | None = None):
        self.scripts: dict[str, list[str]] = {k: list(v) for k, v in (scripts or {}).items()}
        self.slow_first = dict(slow_first or {})
        self.chars_per_token: float | None = None
        self.requests: list[dict] = []
        self._answered: dict[str, int] = {}
        self._lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                model = body.get("model", "")
                text = endpoint._answer(body)
                finish = "stop"
                room = body.get("max_tokens") or body.get("max_completion_tokens")
                if endpoint.chars_per_token and room and len(text) > room * endpoint.chars_per_token:
                    text, finish = text[: int(room * endpoint.chars_per_token)], "length"
                try:
                    if body.get("stream"):
                        self._stream(model, text, finish)
                    else:
                        self._json(model, text, finish)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _json(self, model, text, finish):
                data = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": model,
                                   "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                                "finish_reason": finish}], "usage": USAGE}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, model, text, finish):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for piece in [text[i:i + 40] for i in range(0, len(text), 40)] or [""]:
                    chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": model,
                             "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                end = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": model,
                       "choices": [{"index": 0, "delta": {}, "finish_reason": finish}], "usage": USAGE}
                self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())
                self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _answer(self, body: dict) -> str:
        model = body.get("model", "")
        said = "\n".join(str(m.get("content", "")) for m in body.get("messages") or [])
        with self._lock:
            self.requests.append(body)
            key = next((k for k in self.scripts if k.startswith(f"{model}@") and k.split("@", 1)[1] in said), model)
            script = self.scripts.get(key) or self.scripts.get("*") or ["(no script)"]
            text = script.pop(0) if len(script) > 1 else script[0]
            first = self._answered.get(key, 0) == 0
            self._answered[key] = self._answered.get(key, 0) + 1
        if first and key in self.slow_first:
            time.sleep(self.slow_first[key])
        return text

    def prompts_to(self, model: str) -> list[str]:
        return [m["content"] for r in self.requests if r.get("model") == model for m in r["messages"]]

    def close(self) -> None:
        self.server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description="a scripted OpenAI-compatible endpoint on loopback")
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--script", required=True)
    parser.add_argument("--slow-first", action="append", default=[])
    args = parser.parse_args()
    slow = {k: float(v) for k, v in (item.split("=", 1) for item in args.slow_first)}
    endpoint = ScriptedEndpoint(json.loads(Path(args.script).read_text()), slow)
    Path(args.port_file).write_text(str(endpoint.port))
    threading.Event().wait()  # serve until killed


if __name__ == "__main__":
    main()
