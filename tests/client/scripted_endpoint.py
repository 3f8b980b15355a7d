"""A scripted OpenAI-compatible endpoint on loopback for the VS Code run (real HTTP, reached by the real server
through litellm): each model name plays its answers in order (the last repeats). A key `MODEL@TEXT` is a script of
its own for the requests to MODEL whose messages contain TEXT (e.g. `refiner@def shout`: the answers about one
function), with its own count. The first answer of a key listed in --slow-first waits that many seconds (time to
press Cancel on a running job).

    python tests/client/scripted_endpoint.py --port-file FILE --script FILE.json [--slow-first MODEL=SECONDS]
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def serve(scripts: dict[str, list[str]], slow_first: dict[str, float]) -> ThreadingHTTPServer:
    lock = threading.Lock()
    seen: dict[str, int] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            model = body.get("model", "")
            said = "\n".join(str(m.get("content", "")) for m in body.get("messages") or [])
            key = next((k for k in scripts if k.startswith(f"{model}@") and k.split("@", 1)[1] in said), model)
            with lock:
                n = seen.get(key, 0)
                seen[key] = n + 1
                script = scripts.get(key) or scripts.get("*") or ["(no script)"]
                text = script[min(n, len(script) - 1)]
            if n == 0 and key in slow_first:
                time.sleep(slow_first[key])
            chunks = [text[i:i + 40] for i in range(0, len(text), 40)] or [""]
            try:
                if body.get("stream"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.end_headers()
                    for piece in chunks:
                        chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": model,
                                 "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    end = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": model,
                           "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                           "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}}
                    self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())
                    return
                data = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": model,
                                   "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                                "finish_reason": "stop"}],
                                   "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    return server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--script", required=True)
    parser.add_argument("--slow-first", action="append", default=[])
    args = parser.parse_args()
    scripts = json.loads(Path(args.script).read_text())
    slow = {k: float(v) for k, v in (item.split("=", 1) for item in args.slow_first)}
    server = serve(scripts, slow)
    Path(args.port_file).write_text(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
