"""One supervisor session in a container: send the payload over the exec's stdin, read the report.

Host memory stays bounded whatever the program prints: the supervisor caps each stream, and this
side stops reading (and declares the container unusable) past a hard byte budget or a deadline.
"""

from __future__ import annotations

import json
import socket
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.containers import SANDBOX_USER

# One program text: the step-isolation helpers, then the supervisor (python3 -I -S -c: no imports from files,
# so images never need rebuilding when either changes).
SUPERVISOR_SOURCE = "\n".join(Path(__file__).with_name(name).read_text()
                              for name in ("step_isolation.py", "supervisor.py"))
MARKER = b"\n@@REFACTORCODER-RESULT@@\n"
SUPERVISOR_STDERR_CAP = 64 * 1024


@dataclass
class SessionOutcome:
    report: dict | None = None
    error: str | None = None
    timed_out: bool = False
    elapsed_s: float = 0.0
    supervisor_stderr: str = ""
    usable: bool = True  # may the container go back to the pool?
    extra: dict = field(default_factory=dict)


def _raw_socket(sock):
    # docker SDK returns a SocketIO for unix sockets and an SSL-wrapped socket for TLS.
    return getattr(sock, "_sock", sock)


class ExecEnded(Exception):
    """The exec'd process is gone but the stream stays open (seen with gVisor after an OOM kill)."""


def _recv_exact(raw, n: int, deadline: float, still_running=None) -> bytes:
    data = bytearray()
    while len(data) < n:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        raw.settimeout(min(remaining, 2.0) if still_running else remaining)
        try:
            chunk = raw.recv(n - len(data))
        except (TimeoutError, socket.timeout):
            if still_running is not None and not still_running():
                raise ExecEnded from None
            continue
        if not chunk:
            if not data:
                raise EOFError
            raise ConnectionError("stream ended inside a frame")
        data += chunk
    return bytes(data)


def run_session(container, payload: dict, deadline_s: float, max_report_bytes: int) -> SessionOutcome:
    """Exec the supervisor, stream the payload in, and collect its JSON report."""
    api = container.client.api
    start = time.monotonic()
    out = SessionOutcome()
    body = json.dumps(payload).encode()
    try:
        exec_id = api.exec_create(container.id, ["python3", "-I", "-S", "-c", SUPERVISOR_SOURCE], stdin=True,
                                  stdout=True, stderr=True, tty=False, user=SANDBOX_USER, workdir="/work",
                                  environment={"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"})["Id"]
        sock = api.exec_start(exec_id, socket=True)
    except Exception as exc:
        out.error = f"exec failed: {exc}"
        out.usable = False
        out.elapsed_s = time.monotonic() - start
        return out
    raw = _raw_socket(sock)

    def still_running() -> bool:
        try:
            return bool(api.exec_inspect(exec_id).get("Running"))
        except Exception:
            return False

    stdout = bytearray()
    stderr = bytearray()
    deadline = start + deadline_s
    try:
        raw.settimeout(30)
        raw.sendall(str(len(body)).encode() + b"\n" + body)
        # Multiplexed stream: 8-byte header (stream id, 3 pad bytes, big-endian length) + data.
        while True:
            try:
                header = _recv_exact(raw, 8, deadline, still_running)
            except EOFError:
                break
            stream_id, length = struct.unpack(">BxxxL", header)
            data = _recv_exact(raw, length, deadline, still_running)
            if stream_id == 1:
                stdout += data
                if len(stdout) > max_report_bytes:
                    out.error = "supervisor report exceeded the host-side byte budget"
                    out.usable = False
                    break
            elif len(stderr) < SUPERVISOR_STDERR_CAP:
                stderr += data[: SUPERVISOR_STDERR_CAP - len(stderr)]
    except ExecEnded:
        out.usable = False
        out.error = "the supervisor ended without closing its stream"
    except (TimeoutError, socket.timeout):
        out.timed_out = True
        out.usable = False
        out.error = f"no report from the supervisor within {deadline_s:.1f}s"
    except (OSError, ConnectionError) as exc:
        out.usable = False
        out.error = f"exec stream failed: {exc}"
    finally:
        try:
            sock.close()
        except Exception:
            pass
        try:
            raw.close()
        except Exception:
            pass
    out.elapsed_s = time.monotonic() - start
    out.supervisor_stderr = stderr.decode("utf-8", "replace")
    if out.error is None:
        at = stdout.rfind(MARKER)
        if at < 0:
            out.error = "the supervisor ended without a report (killed by the program or by a limit?)"
            out.usable = False
        else:
            try:
                out.report = json.loads(stdout[at + len(MARKER):])
            except ValueError as exc:
                out.error = f"unreadable supervisor report: {exc}"
                out.usable = False
    if out.report is not None and not out.report.get("clean", False):
        out.usable = False
    if out.report is None:
        out.extra["container_state"] = container_state(container)
    return out


def container_state(container) -> dict:
    """The container's state after a failed session (OOMKilled tells a memory bomb under gVisor)."""
    try:
        container.reload()
        state = container.attrs.get("State", {})
        return {"status": state.get("Status"), "oom_killed": bool(state.get("OOMKilled")),
                "exit_code": state.get("ExitCode")}
    except Exception as exc:  # removed already (auto_remove)
        return {"status": "gone", "oom_killed": False, "error": str(exc)[:200]}
