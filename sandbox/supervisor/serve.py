"""The in-container supervisor's protocol and sessions (last part of its program text).

Standard library only, Python 3.11. procs.py and isolation.py precede this file in the program text that
the host sends as ``python3 -I -S -c <text>`` (so images never need rebuilding when it changes); it runs as
root in the container, with only the capabilities sandbox/containers.py lists: enough to own the program
files and to start each program as the seat's unprivileged uid (its argument). Its first act empties the
capability bounding set, so nothing it starts can ever hold a capability.

Resident: one supervisor is started per pooled container and serves one session after another over the
same exec stream, so a warm run costs no ``docker exec`` and no interpreter start. Every session still runs
each program as a fresh process, kills everything after each step and wipes every writable area at its end.

Protocol: stdin carries requests ``<decimal length>\n<JSON payload>``, one after another; stdout carries one
report per request, ``MARKER <decimal length>\n<JSON report>``. End of stdin ends the supervisor. A request
without ``op`` is a whole session (files written, every step run, everything killed and wiped). A measurement
of several programs gives each program a container of its own (sandbox/pool.py) and drives each program's
session step by step, so that the host can interleave A's and B's samples across containers:
``{"op": "open", ...files, build steps}`` writes the files and runs the builds; ``{"op": "steps", "steps": [...]}``
runs run steps; ``{"op": "close"}`` kills everything and wipes every writable area. Every op reports
``{"steps": [...], "error": ..., "clean": ...}``.

The supervisor marks itself non-dumpable and runs as another uid than the programs, so a program can neither
open /proc/<pid>/fd of the supervisor (to forge a report or inject a request), nor read or write its memory,
nor signal it. Were it killed, the stream would end: the host then discards the container.
"""

import ctypes
import json
import os
import resource
import shutil
import signal
import sys
import time

if __name__ != "__main__":  # on the host (tests, linters); in the container the parts share one namespace
    from sandbox.supervisor.isolation import RunDirGuard, clear_scratch, hand_over, step_clock, wipe_all
    from sandbox.supervisor.procs import PROGRAM_USER, SPAWN_MODE, kill_everything, run_step

MARKER = b"\n@@REFACTORCODER-RESULT@@\n"
PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_CHILD_SUBREAPER = 4, 24, 36


def empty_bounding_set(libc):
    """No capability can ever be regained by anything we start (the programs run as another uid, which
    already leaves them none; this also empties what an exec could give them). Needs CAP_SETPCAP."""
    try:
        with open("/proc/sys/kernel/cap_last_cap") as fh:
            last = int(fh.read())
    except OSError:  # gVisor has no such file: every possible number (an unknown one answers EINVAL)
        last = 63
    for cap in range(last + 1):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() != 22:  # EINVAL: unknown cap
            raise OSError(ctypes.get_errno(), f"cannot drop capability {cap} from the bounding set")


def harden_self(program_uid=None):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    if program_uid is not None and program_uid != os.geteuid():
        PROGRAM_USER["uid"] = program_uid
        empty_bounding_set(libc)
    SPAWN_MODE["subreaper"] = libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    # Inherited by every program: no core dumps, no POSIX message queues (they would outlive a run
    # in the container's IPC namespace and cannot be listed without mounting mqueue).
    for name in ("RLIMIT_CORE", "RLIMIT_MSGQUEUE"):
        try:
            resource.setrlimit(getattr(resource, name), (0, 0))
        except (ValueError, OSError):
            pass  # not supported (gVisor): the run still proceeds
    signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes select() through set_wakeup_fd
    os.umask(0o077)


def read_request(stream):
    """The next payload, or None at the end of the stream."""
    line = stream.readline()
    if not line:
        return None
    n = int(line)
    data = stream.read(n)
    if len(data) != n:
        raise EOFError("payload truncated")
    return json.loads(data)


def write_report(stream, report):
    body = json.dumps(report).encode()
    stream.write(MARKER + str(len(body)).encode() + b"\n" + body)
    stream.flush()


def stdin_fd(text):
    """The step's stdin as an anonymous in-memory file: nothing of it lies where a program could read it."""
    data = text.encode("utf-8")
    try:
        fd = os.memfd_create("stdin", os.MFD_CLOEXEC)
    except (AttributeError, OSError):  # no memfd (an old gVisor): an unlinked file in /tmp
        path = f"/tmp/.stdin-{os.urandom(8).hex()}"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        os.unlink(path)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def write_files(root, payload):
    os.makedirs(root, exist_ok=True)
    for src, dst in payload.get("copy_dirs", []):
        if os.path.isdir(src):
            shutil.copytree(src, dst, dirs_exist_ok=True)
    for rel, content in payload["files"].items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(content)


class Session:
    """One payload's run directory, from its files written to everything wiped: the steps of one program (of
    a measurement's container) or of all the payload's programs (a whole-session request)."""

    def __init__(self, payload):
        self.root = payload["workdir"]
        self.env, self.output_cap = dict(payload["env"]), payload["output_cap"]
        self.read_once, self.build_only = payload.get("read_once", ()), payload.get("build_only", ())
        self.guard = None
        self.failed = set()  # indices (counted over the session's requests) of steps that failed
        self.count = 0
        write_files(self.root, payload)
        hand_over(self.root)  # the builds run as the program's uid; the guard takes the files back after them

    def run(self, steps):
        """Every step in order; a run step starts from the run directory as the builds left it."""
        results = []
        for step in steps:
            index, self.count = self.count, self.count + 1
            result = self.run_one(step)
            results.append(result)
            if result.get("skipped") or result["exit_code"] != 0 or result.get("tampered"):
                self.failed.add(index)
        return results

    def run_one(self, step):
        name = step.get("name", "")
        if step.get("requires") is not None and step["requires"] in self.failed:
            return {"name": name, "skipped": True}
        if step.get("build"):
            if self.guard is not None:  # a later build writes its output next to its sources
                self.guard.release()
                self.guard = None
            return run_program(self.root, step, self.env, self.output_cap)
        started = time.monotonic()
        if self.guard is None:  # recorded and sealed once, after the builds (its cost counts to this step)
            self.guard = RunDirGuard(self.root, self.read_once, self.build_only)
        if self.guard.poisoned:
            return {"name": name, "skipped": True, "isolation": self.guard.poisoned}
        return run_isolated(self.guard, self.root, step, self.env, self.output_cap, started)


def run_isolated(guard, root, step, env, output_cap, started):
    """A run step between two clean states: scratch areas emptied before and after, the run directory checked
    and put back after; a change the step may not make fails it ("tampered")."""
    left = clear_scratch(keep=root)
    since_ns = step_clock()
    isolation_s = time.monotonic() - started
    result = run_program(root, step, env, output_cap)
    started = time.monotonic()
    changes = guard.check_and_restore(since_ns, step.get("cwd", ""))
    left += clear_scratch(keep=root)
    changes += [f"{path}: could not be removed" for path in left]
    if changes:  # its result must not count: program files are read-only to it
        result["tampered"] = changes[:20]
    result["isolation_s"] = isolation_s + time.monotonic() - started  # what keeping steps apart cost
    return result


def run_program(root, step, env, output_cap):
    step = dict(step, cwd=os.path.join(root, step.get("cwd", "")))
    fin = stdin_fd(step["stdin"]) if step.get("stdin") is not None else None
    try:
        return run_step(step, env, output_cap, fin)
    finally:
        if fin is not None:
            os.close(fin)


def close_session():
    """Everything of the session killed and every writable area wiped: what the next session may rely on."""
    clean = kill_everything()
    left = wipe_all()
    return {"steps": [], "error": None, "clean": clean and not left, "left_behind": left}


def serve(payload, open_session):
    """(report, the session left open) for one request; `open_session` is the one a former "open" left."""
    op = payload.get("op")
    if op == "steps":
        if open_session is None:
            return {"steps": [], "error": "no open session", "clean": close_session()["clean"]}, None
        try:
            return {"steps": open_session.run(payload["steps"]), "error": None, "clean": True}, open_session
        except Exception as exc:  # the host discards the session: nothing of it may carry over
            return dict(close_session(), error=f"{exc.__class__.__name__}: {exc}"), None
    if op == "close":
        return close_session(), None
    if open_session is not None:  # a new session never inherits an unclosed one
        close_session()
    results, error, session = [], None, None
    try:
        session = Session(payload)
        results = session.run(payload["steps"])
    except Exception as exc:  # report instead of dying silently: the host maps it to sandbox_error
        error = f"{exc.__class__.__name__}: {exc}"
    if op == "open" and error is None:
        return {"steps": results, "error": None, "clean": True}, session
    return dict(close_session(), steps=results, error=error), None


def main():
    # argv[1]: the programs' uid, when the supervisor runs as root in the container (sandbox/session.py)
    harden_self(int(sys.argv[1]) if len(sys.argv) > 1 else None)
    requests, reports = sys.stdin.buffer, sys.stdout.buffer
    session = None
    while True:
        payload = read_request(requests)
        if payload is None:
            return
        report, session = serve(payload, session)
        write_report(reports, report)


if __name__ == "__main__":
    main()
