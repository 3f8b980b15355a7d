"""Sessions with the in-container supervisor: payloads in over an attached exec stream, reports out.

A pooled container keeps one resident supervisor (sandbox/supervisor/) and the host keeps its exec's stream
open: every session is one request on it, so a warm run pays neither a ``docker exec`` nor an interpreter
start. The supervisor still runs every program as a fresh process and wipes everything after each session.

Host memory stays bounded whatever the program prints: the supervisor caps each stream, and this side stops
reading (and declares the container unusable) past a hard byte budget or a deadline.
"""

from __future__ import annotations

import json
import socket
import struct
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sandbox.containers import seat_uid
from sandbox.supervisor import MARKER, SOURCE

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
    # Interleaved sessions: per request of run steps, its time on the host minus the steps' own wall and isolation
    # time (the round trip, spawning and reporting: what running A and B in two containers adds per request).
    request_overheads_s: list[float] = field(default_factory=list)


def _raw_socket(sock):
    # docker SDK returns a SocketIO for unix sockets and an SSL-wrapped socket for TLS.
    return getattr(sock, "_sock", sock)


class ExecEnded(Exception):
    """The exec'd process is gone but the stream stays open (seen with gVisor after an OOM kill)."""


class RunCancelled(Exception):
    """The caller's cancel event was set while waiting for a report."""


ENGINE_POLL_S = 2.0  # while waiting for a report, how often the engine is asked whether the supervisor still runs
CANCEL_POLL_S = 0.25  # how soon a set cancel event is seen while a program runs


def _recv_exact(raw, n: int, deadline: float, still_running=None, poll_s: float = ENGINE_POLL_S) -> bytes:
    data = bytearray()
    while len(data) < n:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        raw.settimeout(min(remaining, poll_s) if still_running else remaining)
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


class SupervisorStream:
    """One resident supervisor in a container, reached over its exec's attached stream.

    Not thread-safe: the pool hands a container (and so its stream) to one caller at a time. After any
    failure the stream is `broken` and the container must be discarded (the supervisor may be in any state).
    """

    def __init__(self, container, api, exec_id: str, sock):
        self.container, self.api, self.exec_id = container, api, exec_id
        self._sock = sock
        self._raw = _raw_socket(sock)
        self._stdout = bytearray()  # stdout bytes received and not yet taken as a report
        self.broken = False
        self.sessions = 0

    @classmethod
    def start(cls, container, seat: int = 0) -> "SupervisorStream":
        """Exec the supervisor in `container` and keep its stream; raises what the engine raised. It runs as
        root with the container's few capabilities (SUPERVISOR_CAPS) and starts every program as the seat's
        uid, so that program files belong to the supervisor, not to the program."""
        api = container.client.api
        exec_id = api.exec_create(container.id, ["python3", "-I", "-S", "-c", SOURCE, str(seat_uid(seat))],
                                  stdin=True, stdout=True, stderr=True, tty=False, user="0:0", workdir="/work",
                                  environment={"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"})["Id"]
        return cls(container, api, exec_id, api.exec_start(exec_id, socket=True))

    def _still_running(self) -> bool:
        try:
            return bool(self.api.exec_inspect(self.exec_id).get("Running"))
        except Exception:
            return False

    def _take_report(self) -> bytes | None:
        at = self._stdout.find(MARKER)
        if at < 0:
            return None
        newline = self._stdout.find(b"\n", at + len(MARKER))
        if newline < 0:
            return None
        length = int(self._stdout[at + len(MARKER):newline])
        end = newline + 1 + length
        if len(self._stdout) < end:
            return None
        body = bytes(self._stdout[newline + 1:end])
        del self._stdout[:end]
        return body

    def request(self, payload: dict, deadline_s: float, max_report_bytes: int,
                cancel=None) -> SessionOutcome:
        """One session: send `payload`, wait for its report. `cancel` (a threading.Event): once set, stop waiting
        and give the container up (``extra["cancelled"]``; the pool removes it, and with it the program)."""
        start = time.monotonic()
        out = SessionOutcome()
        if self.broken:
            out.error, out.usable = "the supervisor's stream is broken", False
            return out
        body = json.dumps(payload).encode()
        raw = self._raw
        stderr = bytearray()
        deadline = start + deadline_s
        report = None
        still_running, poll_s = self._still_running, ENGINE_POLL_S
        if cancel is not None:
            asked = {"at": 0.0, "running": True}

            def still_running():  # the event at every poll; the engine no more often than without one
                if cancel.is_set():
                    raise RunCancelled
                if time.monotonic() - asked["at"] >= ENGINE_POLL_S:
                    asked.update(at=time.monotonic(), running=self._still_running())
                return asked["running"]
            poll_s = CANCEL_POLL_S
        try:
            raw.settimeout(30)
            raw.sendall(str(len(body)).encode() + b"\n" + body)
            # Multiplexed stream: 8-byte header (stream id, 3 pad bytes, big-endian length) + data.
            while report is None:
                try:
                    header = _recv_exact(raw, 8, deadline, still_running, poll_s)
                except EOFError:
                    out.error = "the supervisor ended without a report (killed by a limit?)"
                    break
                stream_id, length = struct.unpack(">BxxxL", header)
                data = _recv_exact(raw, length, deadline, still_running, poll_s)
                if stream_id == 1:
                    self._stdout += data
                    if len(self._stdout) > max_report_bytes:
                        out.error = "supervisor report exceeded the host-side byte budget"
                        break
                    report = self._take_report()
                elif len(stderr) < SUPERVISOR_STDERR_CAP:
                    stderr += data[: SUPERVISOR_STDERR_CAP - len(stderr)]
        except ExecEnded:
            out.error = "the supervisor ended without closing its stream"
        except RunCancelled:
            out.error = "cancelled: the run was stopped and its container removed"
            out.extra["cancelled"] = True
        except (TimeoutError, socket.timeout):
            out.timed_out = True
            out.error = f"no report from the supervisor within {deadline_s:.1f}s"
        except (OSError, ConnectionError, ValueError) as exc:
            out.error = f"exec stream failed: {exc}"
        out.elapsed_s = time.monotonic() - start
        out.supervisor_stderr = stderr.decode("utf-8", "replace")
        if report is not None:
            try:
                out.report = json.loads(report)
            except ValueError as exc:
                out.error = f"unreadable supervisor report: {exc}"
        self.sessions += 1
        if out.report is None:
            out.usable = False
            out.extra["container_state"] = container_state(self.container)
        elif not out.report.get("clean", False):
            out.usable = False
        if not out.usable:
            self.broken = True
        return out

    def close(self) -> None:
        """End the stream (the supervisor exits at the end of its stdin)."""
        self.broken = True
        for closable in (self._sock, self._raw):
            try:
                closable.close()
            except Exception:
                pass


def container_state(container) -> dict:
    """The container's state after a failed session (OOMKilled tells a memory bomb under gVisor)."""
    try:
        container.reload()
        state = container.attrs.get("State", {})
        return {"status": state.get("Status"), "oom_killed": bool(state.get("OOMKilled")),
                "exit_code": state.get("ExitCode")}
    except Exception as exc:  # removed already (auto_remove)
        return {"status": "gone", "oom_killed": False, "error": str(exc)[:200]}


def interleave(streams: list[SupervisorStream], payload: dict, deadline_of,
               report_budget) -> tuple[SessionOutcome, list[bool]]:
    """A payload of several programs (``programs``: one payload each, ``steps``: every step, each naming its
    ``program``), program i's steps run by ``streams[i]`` (a container of its own), in the payload's order.

    Each program's session is opened with its leading builds (all programs at once: nothing is timed there);
    then the steps go out in order, one request at a time, consecutive steps of one program as one request, so
    A's and B's samples alternate exactly as listed; then every session is closed (everything killed, every
    writable area wiped). A step's ``requires`` (a global index) is renumbered to its program's own session.
    Returns the outcome, whose report lists every step's result in the payload's order as a one-container
    session's does (cut at the first step that did not report), and per stream whether its container may be
    pooled again. ``deadline_of(steps)`` and ``report_budget(n_steps)`` size each request."""
    steps = payload["steps"]
    owner = [step["program"] for step in steps]
    local: list[int] = []  # a step's index within its own program's session
    sent_count = [0] * len(streams)
    for number in owner:
        local.append(sent_count[number])
        sent_count[number] += 1
    requests: list[tuple[int, list[int]]] = []  # (program, global step indices), in order
    opening: dict[int, list[int]] = {number: [] for number in range(len(streams))}
    started_running: set[int] = set()
    for index, step in enumerate(steps):
        number = owner[index]
        if step.get("build") and number not in started_running:
            opening[number].append(index)
            continue
        started_running.add(number)
        if requests and requests[-1][0] == number:
            requests[-1][1].append(index)
        else:
            requests.append((number, [index]))

    def body(index: int) -> dict:
        step = {k: v for k, v in steps[index].items() if k != "program"}
        if step.get("requires") is not None:
            step["requires"] = local[step["requires"]]
        return step

    start = time.monotonic()
    results: list = [None] * len(steps)
    out = SessionOutcome()
    usable = [True] * len(streams)
    stderr: list[str] = []
    no_report = False  # a supervisor ended or stalled: as for a one-container session, there is no report

    def send(number: int, request: dict, indices: list[int]) -> bool:
        nonlocal no_report
        sent = [body(i) for i in indices]
        asked = time.monotonic()
        answer = streams[number].request(dict(request, steps=sent), deadline_of(sent), report_budget(len(sent)))
        if request.get("op") == "steps" and answer.report is not None:
            work = sum(r.get("wall_s", 0.0) + r.get("isolation_s", 0.0) for r in answer.report.get("steps") or [])
            out.request_overheads_s.append(time.monotonic() - asked - work)
        if answer.supervisor_stderr:
            stderr.append(answer.supervisor_stderr)
        usable[number] = usable[number] and answer.usable
        if answer.report is None:
            no_report = True
            out.error, out.timed_out = answer.error, answer.timed_out
            out.extra.update(answer.extra)
            return False
        for index, result in zip(indices, answer.report.get("steps") or []):
            results[index] = result
        if answer.report.get("error"):  # the supervisor closed that session itself
            out.error = answer.report["error"]
            return False
        return True

    # The openings (files written, builds run: nothing timed) go out at once, one thread per container.
    with ThreadPoolExecutor(max_workers=len(streams)) as pool:
        going = all(list(pool.map(lambda number: send(number, dict(payload["programs"][number], op="open"),
                                                      opening[number]), range(len(streams)))))
    for number, indices in requests if going else ():
        if not send(number, {"op": "steps"}, indices):
            break
    for number, stream in enumerate(streams):
        if not stream.broken:
            closing = stream.request({"op": "close", "steps": []}, deadline_of([]), report_budget(0))
            usable[number] = usable[number] and closing.usable
    done = []
    for result in results:
        if result is None:
            break
        done.append(result)
    out.report = None if no_report else {"steps": done, "error": out.error, "clean": all(usable)}
    out.usable = all(usable)
    out.elapsed_s = time.monotonic() - start
    out.supervisor_stderr = "".join(stderr)[-SUPERVISOR_STDERR_CAP:]
    return out, usable
