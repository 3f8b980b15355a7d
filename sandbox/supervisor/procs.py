"""Starting one program, measuring it, and killing whatever it leaves (part of the in-container supervisor).

Standard library only, Python 3.11. Shipped with isolation.py and serve.py as one program text (see
sandbox/supervisor/__init__.py); on the host it is importable for tests and linters.

* Measurements come from ``wait4`` on the program itself. A process started by exec from the (large)
  supervisor would inherit its resident-set high-water mark into ``ru_maxrss``; so each program is
  started through ``setsid --fork`` and a tiny ``sh`` that execs it. The supervisor is a child
  subreaper, so the program (and any orphaned grandchild) is re-parented to it and reaped with exact
  rusage.
* Programs run as the seat's uid (PROGRAM_USER); the supervisor, root in the container, owns their files.
* All processes of the sandbox user except the supervisor and PID 1 are SIGKILLed after every step, so a
  daemon or a process ignoring SIGTERM cannot outlive it.
"""

import os
import select
import signal
import subprocess
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
SELF = os.getpid()
# Whether orphans are re-parented to the supervisor; serve.py sets it when it becomes a subreaper.
SPAWN_MODE = {"subreaper": True}
# The programs' uid (and gid) when the supervisor is another user: in a container it runs as root with the few
# capabilities it needs to own the program files and to start each program as the seat's uid (serve.py,
# sandbox/containers.py), so a program cannot chmod its way back into them. None: programs run as we do (tests).
PROGRAM_USER = {"uid": None}
# The program is started by `setsid --fork` (tiny, exits at once without waiting, so it never reaps
# the program; a shell that backgrounds a job may reap it itself). The forked child is a small sh
# that reports its pid on fd 3 and execs the program, so the program's rusage starts small and
# it is re-parented to this subreaper.
SPAWN = 'echo 1000 > /proc/self/oom_score_adj 2>/dev/null; echo $$ >&3; exec "$@" 3>&-'


def as_program():
    """Popen's arguments that start a process as the program's user, with no supplementary groups."""
    uid = PROGRAM_USER["uid"]
    return {} if uid is None else {"user": uid, "group": uid, "extra_groups": []}


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


def run_step(step, env, output_cap, stdin_fd=None):
    """Run one step's program to its end or its limit; its measurements, output and how it ended."""
    cwd = step["cwd"]
    # First, so that its write end gets a single-digit fd number that sh can redirect to.
    pid_r, pid_w = os.pipe()
    if pid_w > 9:
        raise RuntimeError(f"pid pipe fd {pid_w} is not a single digit")
    fin = stdin_fd if stdin_fd is not None else os.open(os.devnull, os.O_RDONLY)
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
    if SPAWN_MODE["subreaper"]:
        sh = subprocess.Popen(["setsid", "--fork", "/bin/sh", "-c",
                               SPAWN.replace("&3", f"&{pid_w}").replace("3>&-", f"{pid_w}>&-"),
                               "sh", *limits, *step["argv"]],
                              stdin=fin, stdout=out_w, stderr=err_w, pass_fds=(pid_w,), cwd=cwd, env=env,
                              **as_program())
    else:  # e.g. gVisor: no subreaper, so the program must be our own child (rusage less exact)
        sh = subprocess.Popen([*limits, *step["argv"]], stdin=fin, stdout=out_w, stderr=err_w, cwd=cwd, env=env,
                              **as_program())
        os.write(pid_w, f"{sh.pid}\n".encode())
    if stdin_fd is None:
        os.close(fin)
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
    if not SPAWN_MODE["subreaper"] and maxrss_kb * 1024 <= own_rss * 1.05:
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
