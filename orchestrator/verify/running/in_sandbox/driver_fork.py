"""One call in a process of its own, for the in-sandbox driver (standard library only; shipped as rc_driver_fork.py and
loaded by the driver, orchestrator/verify/running/in_sandbox/driver.py, before any candidate code exists).

run_child() forks; the child runs the call's work behind the guard (driver_guard.py) with fd 1/2 on a capture pipe
and every other descriptor closed but the result pipe; the parent waits (a deadline, or a deadline since the last
result line), kills what the call left, removes the files it left and System V IPC objects, and reads the result
pipe into an Outcome: only lines carrying the process's token are the checking code's.
"""

import json
import os
import select
import signal
import sys
import time

CHILD_OUTPUT_CAP = 256 * 1024 * 1024  # what one call may send back before it is stopped

# Set by the driver's main() (use()) before the first call: SIGCHLD wakes select() through WAKE_R; the driver's
# import finder, guard and isolation helpers, and the writable areas swept after every call.
WAKE_R = -1
IMPORTS = GUARD = ISOLATION = AREAS = None


def use(wake_r, imports, guard, isolation, areas):
    global WAKE_R, IMPORTS, GUARD, ISOLATION, AREAS
    WAKE_R, IMPORTS, GUARD, ISOLATION, AREAS = wake_r, imports, guard, isolation, areas


class Outcome:
    """What a call's process sent back, how it ended, and its CPU time (wait4: the kernel's accounting).
    Only lines carrying the process's token are the checking code's; any other line on the result pipe was
    written by someone else (`forged`)."""

    def __init__(self, data, token, status, timed_out, diag, cpu_s):
        self.status, self.timed_out, self.diag, self.cpu_s = status, timed_out, diag, cpu_s
        self.events, self.forged = [], 0
        prefix = (token + " ").encode()
        lines = data.split(b"\n")
        if lines[-1].startswith(prefix) or prefix.startswith(lines[-1]):
            lines.pop()  # the checking code's last line, cut short by the end of its process: never forged
        for line in lines:
            if not line:
                continue
            if not line.startswith(prefix):
                self.forged += 1
                continue
            try:
                event = json.loads(line[len(prefix):])
            except ValueError:
                self.forged += 1
                continue
            if isinstance(event, dict):
                self.events.append(event)

    def lines(self):
        return self.events

    def tampering(self):
        """What the call's process reported as tampering, and lines nobody but the candidate wrote."""
        found = [str(e["tampered"]) for e in self.events if e.get("tampered")]
        if self.forged:
            found.append("wrote %d line(s) to the driver's result pipe itself (forged results)" % self.forged)
        return "; ".join(dict.fromkeys(found)) or None

    def why(self):
        """How the process ended, when it did not say (killed, exited, crashed)."""
        if self.timed_out:
            return "timed out"
        if self.status is not None and os.WIFSIGNALED(self.status):
            return "killed by signal %d" % os.WTERMSIG(self.status)
        code = os.WEXITSTATUS(self.status) if self.status is not None else None
        return "its process ended (exit status %s)" % code


def _in_child(work, res_w, cap_w, token, guarded):
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.dup2(cap_w, 1)
        os.dup2(cap_w, 2)
        os.closerange(3, res_w)  # the report's descriptor, the other pipes, the wakeup fd
        os.closerange(res_w + 1, max(res_w + 2, os.sysconf("SC_OPEN_MAX")))
        IMPORTS.in_parent = False
        emit = GUARD.emitter(res_w, token)
        if guarded:
            GUARD.enter()
        GUARD.run(work, emit)
    except BaseException:  # noqa: B036 - nothing may escape into the parent's code
        try:
            os.write(2, b"the driver's call process failed before its checks ran")
        except BaseException:  # noqa: B036
            pass
    finally:
        os._exit(0)


def run_child(work, deadline_s, progress=False, guarded=True):
    """Fork; the child runs work(emit) behind the guard (driver_guard.py; `guarded` False: profiling only). Waits (deadline_s since the start, or since the last result line
    when `progress`), then clears everything the call left. Returns an Outcome."""
    res_r, res_w = os.pipe()
    cap_r, cap_w = os.pipe()
    token = os.urandom(16).hex()  # this process's alone: the checking code's lines carry it
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _in_child(work, res_w, cap_w, token, guarded)
    os.close(res_w)
    os.close(cap_w)
    data, diag = bytearray(), bytearray()
    open_fds = [res_r, cap_r]
    status, timed_out = None, False
    deadline = time.monotonic() + deadline_s if deadline_s else None
    while status is None:
        wait = max(0.0, deadline - time.monotonic()) if deadline is not None else None
        ready, _, _ = select.select(open_fds + [WAKE_R], [], [], wait)
        for fd in ready:
            chunk = os.read(fd, 1 << 16)
            if fd == WAKE_R:
                continue
            if not chunk:
                open_fds.remove(fd)
            elif fd == res_r:
                data += chunk
                if progress and deadline is not None:
                    deadline = time.monotonic() + deadline_s
            else:
                diag = (diag + chunk)[-8000:]
        done, st, usage = os.wait4(pid, os.WNOHANG)
        if done:
            status = st
        elif (deadline is not None and time.monotonic() >= deadline) or len(data) > CHILD_OUTPUT_CAP:
            timed_out = len(data) <= CHILD_OUTPUT_CAP
            os.kill(pid, signal.SIGKILL)
            _, status, usage = os.wait4(pid, 0)
    ISOLATION.kill_leftovers()
    end = time.monotonic() + 1.0
    while open_fds and time.monotonic() < end:  # what the call wrote just before it ended
        ready, _, _ = select.select(open_fds, [], [], 0.05)
        for fd in ready:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                open_fds.remove(fd)
            elif fd == res_r:
                data += chunk
            else:
                diag = (diag + chunk)[-8000:]
    for fd in (res_r, cap_r):
        os.close(fd)
    AREAS.sweep()
    ISOLATION.clear_ipc()
    return Outcome(bytes(data), token, status, timed_out, diag.decode("utf-8", "replace"),
                   usage.ru_utime + usage.ru_stime)
