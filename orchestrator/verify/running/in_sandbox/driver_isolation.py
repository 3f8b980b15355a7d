"""The in-sandbox driver's isolation between calls (standard library only; shipped as rc_driver_isolation.py
and loaded by the driver, orchestrator/verify/running/in_sandbox/driver.py, before any candidate code exists).

harden() makes the driver non-dumpable (a process of the same uid cannot read its memory or open its
descriptors through /proc) and a child subreaper (what a call leaves running is re-parented to the driver).
After each call: kill_leftovers() kills and reaps every process below the driver, Areas.sweep() removes
what the call left in the writable areas and notes files that were there before and changed ("tampered"),
clear_ipc() deletes System V IPC objects (they outlive every process).
"""

import ctypes
import os
import shutil
import signal
import stat
import time

PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 4, 36
WRITABLE_AREAS = ("/work", "/tmp", "/dev/shm")
LIBC = ctypes.CDLL(None, use_errno=True)
SUBREAPER = False  # set by harden(): whether orphans are re-parented to the driver


def harden():
    """No other process of this uid may read the driver's memory or descriptors (/proc/<pid>/mem, fd);
    every process a call leaves behind becomes the driver's to kill and reap."""
    global SUBREAPER
    LIBC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    SUBREAPER = LIBC.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def _signature(st):
    if stat.S_ISDIR(st.st_mode):  # entries come and go (and are removed); the directory itself must stay
        return ("dir", st.st_ino, st.st_mode)
    return ("file", st.st_ino, st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def scan(roots):
    found = {}
    todo = list(roots)
    while todo:
        top = todo.pop()
        try:
            entries = list(os.scandir(top))
        except OSError:
            continue
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            found[entry.path] = _signature(st)
            if stat.S_ISDIR(st.st_mode):
                todo.append(entry.path)
    return found


def remove(path):
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            for root, dirs, _ in os.walk(path):  # a call may have taken its own permissions away
                for d in dirs:
                    try:
                        os.chmod(os.path.join(root, d), stat.S_IRWXU)
                    except OSError:
                        pass
            os.chmod(path, stat.S_IRWXU)
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
    except OSError:
        pass


class Areas:
    """The writable areas as they were before the first call; sweep() puts them back after each one."""

    def __init__(self):
        self.before = scan(WRITABLE_AREAS)
        self.tampered = []  # files that were there before and a call changed: sticky

    def sweep(self):
        now = scan(WRITABLE_AREAS)
        for path, sig in self.before.items():
            if now.get(path) != sig and path not in self.tampered:
                self.tampered.append(path)
        new = sorted(p for p in now if p not in self.before)
        for path in new:
            if os.path.dirname(path) not in now or os.path.dirname(path) in self.before:
                remove(path)


def descendants():
    """Every process below the driver (orphans are re-parented here: the driver is a subreaper); without a
    subreaper, every other process of this uid that is not an ancestor."""
    parents = {}
    uid = os.getuid()
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open("/proc/%s/stat" % name, "rb") as fh:
                    parents[int(name)] = int(fh.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    me = os.getpid()
    if not SUBREAPER:
        ancestors, pid = set(), me
        while pid in parents and pid not in ancestors:
            ancestors.add(pid)
            pid = parents[pid]
        return [p for p in parents if p not in ancestors and p != 1 and _owned(p, uid)]
    below, todo = [], [me]
    while todo:
        pid = todo.pop()
        kids = [p for p, parent in parents.items() if parent == pid]
        below += kids
        todo += kids
    return below


def _owned(pid, uid):
    try:
        return os.stat("/proc/%d" % pid).st_uid == uid
    except OSError:
        return False


def reap_all():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def kill_leftovers(deadline_s=3.0):
    if SUBREAPER:
        try:
            os.waitpid(-1, os.WNOHANG)  # a child (running or not yet reaped): look closer
        except ChildProcessError:
            return  # no child at all, so nothing below either (orphans would be our children)
    end = time.monotonic() + deadline_s
    while True:
        pids = descendants()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        reap_all()
        if not pids or time.monotonic() > end:
            return
        time.sleep(0.001)


def clear_ipc():
    """System V shared memory, queues and semaphores a call created (they outlive every process)."""
    for kind, ctl in (("shm", LIBC.shmctl), ("msg", LIBC.msgctl), ("sem", LIBC.semctl)):
        try:
            fd = os.open("/proc/sysvipc/" + kind, os.O_RDONLY)
        except OSError:
            continue
        try:
            rows = os.read(fd, 1 << 20).splitlines()[1:]
        finally:
            os.close(fd)
        for row in rows:
            try:
                ident = int(row.split()[1])
            except (IndexError, ValueError):
                continue
            ctl(ident, 0, 0) if kind == "sem" else ctl(ident, 0, None)  # IPC_RMID
