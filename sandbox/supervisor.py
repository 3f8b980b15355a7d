"""In-container supervisor: runs one session's steps (compile, run, tests) and reports measurements.

This file is sent to the container as ``python3 -I -S -c <source>`` (so images never need rebuilding
when it changes) and runs as the unprivileged sandbox user. Standard library only, Python 3.11.

Protocol: stdin carries ``<decimal length>\\n<JSON payload>``; stdout carries ``MARKER + <JSON result>``.

Why it is built this way:
* Measurements come from ``wait4`` on the program itself. A process started by exec from this (large)
  Python process would inherit its resident-set high-water mark into ``ru_maxrss``; so each program is
  started through ``setsid --fork`` and a tiny ``sh`` that execs it. The supervisor is a child
  subreaper, so the program (and any orphaned grandchild) is re-parented here and reaped with exact
  rusage.
* All processes of the sandbox user except this one and PID 1 are SIGKILLed after every step, so a
  daemon or a process ignoring SIGTERM cannot outlive it; then the writable areas and SysV IPC are
  wiped, and the supervisor reports whether the container is clean enough to be pooled again.
* The supervisor marks itself non-dumpable, so the program (same uid) cannot open /proc/<pid>/fd of
  the supervisor and forge its report.
"""

import ctypes
import json
import os
import resource
import select
import shutil
import signal
import stat
import subprocess
import sys
import time

try:  # on the host (tests, linters); in the container step_isolation.py's text precedes this file's (session.py)
    from sandbox.step_isolation import RunDirRecord, clear_scratch, foreign_changes
except ImportError:
    pass

MARKER = "\n@@REFACTORCODER-RESULT@@\n"
PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 4, 36
WIPE_DIRS = ("/work", "/tmp", "/dev/shm")
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
SELF = os.getpid()
SUBREAPER = True  # set in main(): whether orphans are re-parented to the supervisor
# The program is started by `setsid --fork` (tiny, exits at once without waiting, so it never reaps
# the program; a shell that backgrounds a job may reap it itself). The forked child is a small sh
# that reports its pid on fd 3 and execs the program, so the program's rusage starts small and
# it is re-parented to this subreaper.
SPAWN = 'echo 1000 > /proc/self/oom_score_adj 2>/dev/null; echo $$ >&3; exec "$@" 3>&-'


def read_payload():
    raw = sys.stdin.buffer
    n = int(raw.readline())
    data = b""
    while len(data) < n:
        chunk = raw.read(n - len(data))
        if not chunk:
            raise EOFError("payload truncated")
        data += chunk
    return json.loads(data)


def other_pids():
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            pid = int(name)
            if pid != SELF and pid != 1:
                out.append(pid)
    return out


def sample_processes():
    """(sum of resident set sizes in bytes, sum of CPU seconds) over live processes of the run."""
    rss = 0
    ticks = 0
    for pid in other_pids():
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
            rss += int(fields[21]) * PAGE  # rss (pages)
        except (OSError, IndexError, ValueError):
            continue  # exited meanwhile
    return rss, ticks / CLK_TCK


def describe_processes():
    """(pid, command, state, CPU ticks) of the run's processes, for the report when a limit hits."""
    out = []
    for pid in other_pids()[:20]:
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                head, tail = fh.read().rsplit(b")", 1)
            fields = tail.split()
            out.append([pid, head.split(b"(", 1)[1].decode("latin-1"), fields[0].decode(),
                        int(fields[11]) + int(fields[12])])
        except (OSError, IndexError, ValueError):
            continue
    return out


def sample_self_rss():
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def oom_kills():
    try:
        with open("/sys/fs/cgroup/memory/memory.oom_control") as fh:
            for line in fh:
                if line.startswith("oom_kill "):
                    return int(line.split()[1])
    except OSError:
        pass
    try:  # cgroup v2
        with open("/sys/fs/cgroup/memory.events") as fh:
            for line in fh:
                if line.startswith("oom_kill "):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def kill_everything(collect=None, deadline_s=3.0):
    """SIGKILL every process of this uid except us and PID 1, and reap; True if none is left."""
    end = time.monotonic() + deadline_s
    while True:
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        reap_all(collect)
        left = [p for p in other_pids() if not is_zombie_of_other(p)]
        if not left:
            return True
        if time.monotonic() > end:
            return False
        time.sleep(0.002)


def is_zombie_of_other(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except OSError:
        return True


def reap_all(collect=None):
    while True:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if collect is not None:
            collect(pid, status, usage)


def run_step(step, env, output_cap):
    cwd = step["cwd"]
    # First, so that its write end gets a single-digit fd number that sh can redirect to.
    pid_r, pid_w = os.pipe()
    if pid_w > 9:
        raise RuntimeError(f"pid pipe fd {pid_w} is not a single digit")
    stdin_path = step.get("stdin_path")
    fin = open(stdin_path, "rb") if stdin_path else open(os.devnull, "rb")
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    # RLIMIT_CPU is a per-process backstop above the limit; the sampled total (all processes) is
    # what normally stops the program, so that the supervisor knows why it ended.
    cpu_soft = int(step["cpu_s"] + 0.999) + 1
    limits = ["prlimit", f"--cpu={cpu_soft}:{cpu_soft + 1}", f"--fsize={step['fsize']}",
              f"--nofile={step.get('nofile', 1024)}", "--"]
    oom_before = oom_kills()
    own_rss = sample_self_rss()
    t0 = time.monotonic()
    if SUBREAPER:
        sh = subprocess.Popen(["setsid", "--fork", "/bin/sh", "-c",
                               SPAWN.replace("&3", f"&{pid_w}").replace("3>&-", f"{pid_w}>&-"),
                               "sh", *limits, *step["argv"]],
                              stdin=fin, stdout=out_w, stderr=err_w, pass_fds=(pid_w,), cwd=cwd, env=env)
    else:  # e.g. gVisor: no subreaper, so the program must be our own child (rusage less exact)
        sh = subprocess.Popen([*limits, *step["argv"]], stdin=fin, stdout=out_w, stderr=err_w, cwd=cwd, env=env)
        os.write(pid_w, f"{sh.pid}\n".encode())
    fin.close()
    for fd in (out_w, err_w, pid_w):
        os.close(fd)
    pid_text = b""
    while not pid_text.endswith(b"\n"):
        ready, _, _ = select.select([pid_r], [], [], 5.0)
        chunk = os.read(pid_r, 64) if ready else b""
        if not chunk:
            break
        pid_text += chunk
    os.close(pid_r)
    prog = int(pid_text or b"0") or None

    bufs = {out_r: bytearray(), err_r: bytearray()}
    seen = {out_r: 0, err_r: 0}
    open_fds = [out_r, err_r]
    state = {"main": None, "end": None, "orphans_cpu": 0.0, "orphans_rss": 0}
    reason = None
    mem_area = 0.0  # integral of rss over time since the first sample, for the time-weighted mean
    samples = 0
    peak_sampled = 0
    first_t = last_t = t0
    last_rss = 0

    def absorb(fd):
        """Read what fd has: count every byte, keep at most output_cap of them; forget fd at EOF."""
        chunk = os.read(fd, 65536)
        if not chunk:
            open_fds.remove(fd)
            return
        seen[fd] += len(chunk)
        bufs[fd] += chunk[:max(0, output_cap - len(bufs[fd]))]

    def collect(pid, status, usage):
        if pid == prog:
            state["main"] = (status, usage)
            state["end"] = time.monotonic()
        elif pid != sh.pid:
            state["orphans_cpu"] += usage.ru_utime + usage.ru_stime
            state["orphans_rss"] = max(state["orphans_rss"], usage.ru_maxrss)

    if prog is None:
        reason = "spawn_failed"
    while prog is not None and state["main"] is None:
        now = time.monotonic()
        elapsed = now - t0
        interval = 0.005 if elapsed < 1.0 else 0.02
        ready, _, _ = select.select(open_fds + [wake_r], [], [], interval)
        for fd in ready:
            if fd == wake_r:
                os.read(wake_r, 512)
                continue
            absorb(fd)
            if seen[fd] > output_cap and reason is None:
                reason = "output_limit"
        reap_all(collect)
        if state["main"] is not None:
            break
        now = time.monotonic()
        rss, cpu = sample_processes()
        if rss:
            if samples:
                mem_area += last_rss * (now - last_t)  # each sample holds until the next one
            else:
                first_t = now
            samples += 1
            peak_sampled = max(peak_sampled, rss)
            last_rss = rss
            last_t = now
        if reason is None and now - t0 > step["wall_s"]:
            reason = "timeout"
        if reason is None and cpu + state["orphans_cpu"] > step["cpu_s"]:
            reason = "cpu_limit"
        if reason is not None:
            state["end"] = time.monotonic()
            state["diag"] = {"elapsed_s": round(now - t0, 3), "cpu_sampled_s": round(cpu, 3), "prog": prog,
                             "procs": describe_processes()}
            kill_everything(collect)
            break
    end = state["end"] or time.monotonic()
    if samples:
        mem_area += last_rss * max(0.0, end - last_t)
    sampled_span = end - first_t
    # Whatever the program left running (daemons, stragglers) dies with the step.
    clean = kill_everything(collect)
    drain_deadline = time.monotonic() + 1.0
    while open_fds and time.monotonic() < drain_deadline:
        ready, _, _ = select.select(open_fds, [], [], 0.05)
        for fd in ready:
            absorb(fd)
    for fd in (out_r, err_r, wake_r, wake_w):
        try:
            os.close(fd)
        except OSError:
            pass
    signal.set_wakeup_fd(-1)
    status, usage = state["main"] if state["main"] else (None, None)
    exit_code = sig = None
    if status is not None:
        if os.WIFEXITED(status):
            exit_code = os.WEXITSTATUS(status)
        elif os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
    user = (usage.ru_utime if usage else 0.0)
    system = (usage.ru_stime if usage else 0.0)
    maxrss_kb = max(usage.ru_maxrss if usage else 0, state["orphans_rss"])
    if not SUBREAPER and maxrss_kb * 1024 <= own_rss * 1.05:
        # Forked straight from this process: ru_maxrss may be our own size, not the program's.
        maxrss_kb = peak_sampled // 1024
    wall = end - t0
    return {
        "name": step.get("name", ""),
        "exit_code": exit_code, "signal": sig, "reason": reason,
        "oom_killed": oom_kills() > oom_before,
        "stdout": bufs[out_r].decode("utf-8", "replace"), "stderr": bufs[err_r].decode("utf-8", "replace"),
        "stdout_bytes": seen[out_r], "stderr_bytes": seen[err_r],
        "stdout_truncated": seen[out_r] > output_cap, "stderr_truncated": seen[err_r] > output_cap,
        "wall_s": wall, "user_s": user + state["orphans_cpu"], "sys_s": system,
        "peak_rss_bytes": maxrss_kb * 1024, "peak_sampled_bytes": peak_sampled,
        "mean_rss_bytes": (int(mem_area / sampled_span) if samples > 1 and sampled_span > 0
                           else (last_rss if samples else maxrss_kb * 1024)),
        "samples": samples, "clean": clean, "diag": state.get("diag"),
    }


def make_writable(path):
    """Give the owner rwx on every directory below path (a program may chmod 000 its own dirs)."""
    for root, dirs, _ in os.walk(path):
        for d in dirs:
            p = os.path.join(root, d)
            try:
                if not os.path.islink(p):
                    os.chmod(p, stat.S_IRWXU)
            except OSError:
                pass


def wipe():
    """Empty every writable area; returns the list of things that could not be removed."""
    left = []
    for top in WIPE_DIRS:
        try:
            entries = os.listdir(top)
        except OSError:
            continue
        for name in entries:
            p = os.path.join(top, name)
            try:
                if os.path.isdir(p) and not os.path.islink(p):
                    os.chmod(p, stat.S_IRWXU)
                    make_writable(p)
                    shutil.rmtree(p)
                else:
                    os.unlink(p)
            except OSError:
                pass
            if os.path.lexists(p):
                left.append(p)
    if sysv_objects():  # only then pay for a subprocess
        subprocess.run(["ipcrm", "--all"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        left += [f"sysv-{kind}" for kind in sysv_objects()]
    return left


def sysv_objects():
    kinds = []
    for kind in ("shm", "msg", "sem"):
        try:
            with open(f"/proc/sysvipc/{kind}") as fh:
                if len(fh.read().splitlines()) > 1:
                    kinds.append(kind)
        except OSError:
            pass
    return kinds


def main():
    payload = read_payload()
    global SUBREAPER
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    SUBREAPER = libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    # Inherited by every program: no core dumps, no POSIX message queues (they would outlive a run
    # in the container's IPC namespace and cannot be listed without mounting mqueue).
    for name in ("RLIMIT_CORE", "RLIMIT_MSGQUEUE"):
        try:
            resource.setrlimit(getattr(resource, name), (0, 0))
        except (ValueError, OSError):
            pass  # not supported (gVisor): the run still proceeds
    signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes select() through set_wakeup_fd
    os.umask(0o077)
    root = payload["workdir"]
    results = []
    error = None
    try:
        os.makedirs(root, exist_ok=True)
        for src, dst in payload.get("copy_dirs", []):
            if os.path.isdir(src):
                shutil.copytree(src, dst, dirs_exist_ok=True)
        for rel, content in payload["files"].items():
            path = os.path.join(root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(content)
        env = dict(payload["env"])
        failed = set()
        record = None  # the run directory after the builds: every run step starts from it (step_isolation)
        for index, step in enumerate(payload["steps"]):
            if step.get("requires") is not None and step["requires"] in failed:
                failed.add(index)
                results.append({"name": step.get("name", ""), "skipped": True})
                continue
            own_dir = step.get("cwd", "")
            if step.get("build"):
                record = None
            elif record is None:
                record = RunDirRecord(root)
            step = dict(step, cwd=os.path.join(root, own_dir))
            if step.get("stdin") is not None:
                step["stdin_path"] = os.path.join(root, f".stdin-{index}")
                with open(step["stdin_path"], "w", encoding="utf-8") as fh:
                    fh.write(step["stdin"])
            result = run_step(step, env, payload["output_cap"])
            if not step.get("build"):
                clear_scratch()
                foreign = foreign_changes(record.restore(), own_dir)
                if foreign:  # it wrote another program's files: its result must not count
                    result["reason"] = result["reason"] or "tampered"
                    result["tampered"] = foreign[:20]
                if not record.complete:
                    result["isolation"] = "program files over the record cap: not restored between steps"
            results.append(result)
            if result["exit_code"] != 0 or result.get("tampered"):
                failed.add(index)
    except Exception as exc:  # report instead of dying silently: the host maps it to sandbox_error
        error = f"{exc.__class__.__name__}: {exc}"
    clean = kill_everything()
    left = wipe()
    report = {"steps": results, "error": error, "clean": clean and not left,
              "left_behind": left}
    sys.stdout.write(MARKER + json.dumps(report))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
