"""Nothing a step writes survives into another step of the same session (shipped with the supervisor).

A measurement runs the baseline A and the candidate B as steps of one supervisor session: same container,
same uid, A's files in /work/run/p0, B's in /work/run/p1. A same-uid program cannot be denied write access to
files it could chmod back, so isolation is done in time instead of space: after the build steps the whole
run directory is recorded (every file's bytes and mode, every directory), and after every run step

* /tmp and /dev/shm are emptied and SysV IPC objects removed,
* everything under the run directory that is not a recorded path is removed,
* every recorded file that was changed, removed or re-moded is written back from the record,

so the next step — the other program's sample or the same program's next one — starts from exactly the
state after the build. A step that changed a recorded file outside its own directory (B rewriting A's
program, or the other way round) is reported as tampering: its result fails. Changes inside its own
directory (a driver deleting its job file, __pycache__) are undone without blame.

Standard library only, Python 3.11; sandbox/session.py sends this file's source before supervisor.py's.
"""

import os
import shutil
import stat
import subprocess

RECORD_CAP = 256 * 1024 * 1024  # bytes of program files kept to restore from (a few MB in practice)
SCRATCH_DIRS = ("/tmp", "/dev/shm")


def _fingerprint(st):
    # ctime cannot be set by the program (utime sets mtime only), so an unchanged ctime means untouched bytes.
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, stat.S_IMODE(st.st_mode))


class RunDirRecord:
    """The run directory as the build left it, and the means to put it back."""

    def __init__(self, root):
        self.root = root
        self.dirs = {}  # rel -> mode
        self.files = {}  # rel -> [mode, bytes, fingerprint]
        self.complete = True
        total = 0
        for here, dirnames, filenames in os.walk(root):
            rel_here = os.path.relpath(here, root)
            self.dirs[rel_here] = stat.S_IMODE(os.stat(here).st_mode)
            for name in filenames:
                path = os.path.join(here, name)
                st = os.lstat(path)
                if not stat.S_ISREG(st.st_mode):
                    continue
                total += st.st_size
                if total > RECORD_CAP:
                    self.complete = False
                    return
                with open(path, "rb") as fh:
                    data = fh.read()
                self.files[os.path.relpath(path, root)] = [stat.S_IMODE(st.st_mode), data, _fingerprint(os.stat(path))]

    def restore(self):
        """Put the run directory back; returns the recorded paths that had been changed or removed."""
        changed = []
        for here, dirnames, filenames in os.walk(self.root, topdown=False):
            for name in filenames + dirnames:
                path = os.path.join(here, name)
                rel = os.path.relpath(path, self.root)
                if rel in self.files or rel in self.dirs:
                    if rel in self.files and os.path.islink(path):
                        os.unlink(path)  # a link where a file was: put the file back below
                    continue
                _remove(path)
        for rel in sorted(self.dirs, key=len):
            path = os.path.join(self.root, rel)
            if not os.path.isdir(path) or os.path.islink(path):
                _remove(path)
                os.makedirs(path, exist_ok=True)
                changed.append(rel)
            os.chmod(path, self.dirs[rel])
        for rel, entry in self.files.items():
            path = os.path.join(self.root, rel)
            try:
                now = _fingerprint(os.lstat(path))
            except OSError:
                now = None
            if now == entry[2]:
                continue
            changed.append(rel)
            _remove(path)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, entry[0])
            with os.fdopen(fd, "wb") as fh:
                fh.write(entry[1])
            os.chmod(path, entry[0])
            entry[2] = _fingerprint(os.stat(path))
        return changed


def _remove(path):
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            for here, dirnames, _ in os.walk(path):
                for d in dirnames:
                    try:
                        os.chmod(os.path.join(here, d), stat.S_IRWXU)
                    except OSError:
                        pass
            os.chmod(path, stat.S_IRWXU)
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
    except FileNotFoundError:
        pass


def clear_scratch():
    """Empty /tmp and /dev/shm and remove SysV IPC objects (what a step could leave for a later one)."""
    for top in SCRATCH_DIRS:
        try:
            names = os.listdir(top)
        except OSError:
            continue
        for name in names:
            _remove(os.path.join(top, name))
    for kind in ("shm", "msg", "sem"):
        try:
            with open(f"/proc/sysvipc/{kind}") as fh:
                if len(fh.read().splitlines()) > 1:
                    subprocess.run(["ipcrm", "--all"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    return
        except OSError:
            pass


def foreign_changes(changed, step_cwd_rel):
    """The changed recorded paths that lie outside the step's own directory (its program's files)."""
    own = step_cwd_rel.strip("/")
    if own in ("", "."):
        return []  # a single-program session: every file is the step's own
    return [rel for rel in changed if rel != own and not rel.startswith(own + "/")]
