"""Nothing a step writes survives into another step, and no program can change its files (part of the
in-container supervisor).

Standard library only, Python 3.11. Shipped with procs.py and serve.py as one program text (see
sandbox/supervisor/__init__.py); on the host it is importable for tests and linters.

A measurement runs the baseline A and the candidate B each in a container of its own, as its own uid
(sandbox/pool.py): they share nothing writable. Inside a container, one program's samples are steps of one
supervisor session: its files in /work/run/p<seat>, one /tmp. The supervisor runs as root (with only the
capabilities listed in sandbox/containers.py) and each program as the seat's uid (procs.PROGRAM_USER), so
that program files can belong to someone else than the program. The builds run as the program's uid in a
run directory it owns; after them a RunDirGuard records the run directory (every directory; every file's
bytes, mode and fingerprint) and seals it: every file and directory owned by the supervisor, files 0444
(0555 when executable), directories 0555. The program can neither write nor chmod them. Around every run
step

* /tmp, /dev/shm, /work outside the run directory and SysV IPC objects are emptied (clear_scratch), and
* the run directory is checked against the record and put back (RunDirGuard.check_and_restore): what was
  added is removed, what was changed, removed, re-moded or replaced is rewritten from the record,

so the next step (the same program's next sample) starts from exactly the state the builds left. Any such
change is returned, and the supervisor fails the step with it. With programs and supervisor apart, only a
writable directory can change (see below); when they share a uid (the supervisor's tests on the host), a
program could chmod its way back into its files, and the check is what catches it.
The only exception is a "read-once" file of the step's own program (a job description its trusted driver
deletes after reading, so that the code it runs cannot read it): the file belongs to the program, so that
removing it is possible and expected; its directory stays writable, sticky (1777: the program can remove only
what it owns), and what the step writes there is removed without blame.

Detection does not trust timestamps alone: file timestamps may come from a coarse clock (kernel and file
system dependent), so a file the guard wrote moments before a step could be rewritten in the same clock tick
without any visible change to its fingerprint. step_clock() reads the file system's clock just before the step starts; a file whose recorded
change time is not older than that is compared by content.
"""

import hashlib
import os
import shutil
import stat
import subprocess

if __name__ != "__main__":  # on the host (tests, linters); in the container the parts share one namespace
    from sandbox.supervisor.procs import PROGRAM_USER, as_program

RECORD_CAP = 64 * 1024 * 1024  # bytes of program files kept to restore from; the rest only by digest
SCRATCH_DIRS = ("/tmp", "/dev/shm", "/work")


def _remove(path):
    """Remove a file, link or whole tree, whatever modes the program left on it."""
    try:
        st = os.lstat(path)
    except OSError:
        return
    try:
        if stat.S_ISDIR(st.st_mode):
            os.chmod(path, stat.S_IRWXU)
            for here, dirnames, _ in os.walk(path):
                for name in dirnames:
                    inner = os.path.join(here, name)
                    if os.path.islink(inner):  # os.walk lists a link to a directory there: chmod would follow it
                        continue
                    try:
                        os.chmod(inner, stat.S_IRWXU)
                    except OSError:
                        pass
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
    except OSError:
        pass


def clear_ipc():
    """Remove SysV IPC objects (they outlive every process); only then pay for a subprocess."""
    if sysv_objects():
        # as the program: removing another user's IPC object would take CAP_SYS_ADMIN, which we do not have
        subprocess.run(["ipcrm", "--all"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **as_program())
    return [f"sysv-{kind}" for kind in sysv_objects()]


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


def clear_scratch(keep=None):
    """Empty /tmp, /dev/shm and /work except the path `keep` (the run directory), and SysV IPC.
    Returns what could not be removed."""
    left = []
    for top in SCRATCH_DIRS:
        try:
            names = os.listdir(top)
        except OSError:
            continue
        for name in names:
            path = os.path.join(top, name)
            if keep is not None and path == keep:
                continue
            _remove(path)
            if os.path.lexists(path):
                left.append(path)
    return left + clear_ipc()


def wipe_all():
    """End of a session: every writable area emptied. Returns what could not be removed."""
    return clear_scratch(keep=None)


def step_clock(where="/work"):
    """The file system's current (coarse) time, read by creating a file: what a step changes from now on gets
    a change time at least this."""
    path = os.path.join(where, f".clock-{os.urandom(8).hex()}")
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW, 0o600)
    try:
        return os.fstat(fd).st_ctime_ns
    finally:
        os.close(fd)
        os.unlink(path)


def _give(path, uid):
    """`path` (never followed if a link) owned by `uid`; None: left as it is (programs and supervisor share a
    uid)."""
    if uid is not None:
        os.lchown(path, uid, uid)


def hand_over(root):
    """Every file and directory under `root` owned by the program (its builds write there)."""
    uid = PROGRAM_USER["uid"]
    if uid is None:
        return
    _give(root, uid)
    for here, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            _give(os.path.join(here, name), uid)


def _keeper():
    """Who owns sealed program files: the supervisor, when the programs run as another uid."""
    return None if PROGRAM_USER["uid"] is None else os.geteuid()


def _join(rel, name):
    return name if rel == "." else f"{rel}/{name}"


def _within(rel, own):
    return own == "." or rel == own or rel.startswith(own + "/")


def _lstat(path):
    try:
        return os.lstat(path)
    except OSError:
        return None


def _file_fingerprint(st):
    # The change time cannot be set by the program (utime sets the modification time and bumps it).
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, stat.S_IMODE(st.st_mode))


def _digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.digest()


class _File:
    __slots__ = ("mode", "sealed", "data", "digest", "fp", "link", "owner")

    def __init__(self, mode, data, digest, link=None, owner=None):
        self.mode = mode  # as the build left it
        self.owner = owner  # uid it is sealed as (None: unchanged)
        self.sealed = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH  # 0444, plus x for executables
        if mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH):
            self.sealed |= stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH
        self.data, self.digest, self.link = data, digest, link
        self.fp = None


class _Dir:
    __slots__ = ("mode", "sealed", "children", "ino")

    def __init__(self, mode, children, writable):
        self.mode = mode
        if writable:  # sticky when the program is not its owner: it may remove only its own files there
            self.sealed = 0o755 if PROGRAM_USER["uid"] is None else 0o1777
        else:
            self.sealed = 0o555
        self.children = children
        self.ino = None


class RunDirGuard:
    """The run directory as the builds left it, sealed read-only; checks and restores it around run steps."""

    def __init__(self, root, read_once=(), build_only=()):
        self.root = root
        for rel in build_only:  # what only the builds needed (a compiler cache) is not part of the programs
            _remove(os.path.join(root, rel))
        self.read_once = set(read_once)
        self.dirs = {}  # rel -> _Dir ("." is the root), parents before children
        self.files = {}  # rel -> _File (regular files and symbolic links)
        self.poisoned = None  # why the directory could not be put back (a changed file past the record cap)
        self._kept = 0
        self._record(".")
        self.seal()

    def _path(self, rel):
        return self.root if rel == "." else os.path.join(self.root, rel)

    def _record(self, rel):
        path = self._path(rel)
        names = sorted(os.listdir(path))
        writable = any(os.path.dirname(f) == ("" if rel == "." else rel) for f in self.read_once)
        self.dirs[rel] = _Dir(stat.S_IMODE(os.lstat(path).st_mode), set(names), writable)
        subdirs = []
        for name in names:
            child = _join(rel, name)
            st = os.lstat(os.path.join(path, name))
            if stat.S_ISDIR(st.st_mode):
                subdirs.append(child)
            elif stat.S_ISLNK(st.st_mode):
                self.files[child] = _File(0o777, None, None, link=os.readlink(os.path.join(path, name)),
                                          owner=self._owner_of(child))
            elif stat.S_ISREG(st.st_mode):
                data = digest = None
                if self._kept + st.st_size <= RECORD_CAP:
                    with open(os.path.join(path, name), "rb") as fh:
                        data = fh.read()
                    self._kept += len(data)
                else:
                    digest = _digest(os.path.join(path, name))
                self.files[child] = _File(stat.S_IMODE(st.st_mode), data, digest, owner=self._owner_of(child))
            else:  # a fifo or socket left by a build: not a program file
                _remove(os.path.join(path, name))
                self.dirs[rel].children.discard(name)
        for child in subdirs:
            self._record(child)

    def _owner_of(self, rel):
        # a read-once file stays the program's, so that its driver can remove it from the sticky directory
        return PROGRAM_USER["uid"] if rel in self.read_once else _keeper()

    def seal(self):
        """Program files owned by the supervisor and read-only; fingerprints as they are now."""
        keeper = _keeper()
        for rel, f in self.files.items():
            path = self._path(rel)
            _give(path, f.owner)
            if f.link is None:
                os.chmod(path, f.sealed)
            f.fp = _file_fingerprint(os.lstat(path))
        for rel in reversed(list(self.dirs)):
            d = self.dirs[rel]
            path = self._path(rel)
            _give(path, keeper)
            os.chmod(path, d.sealed)
            d.ino = os.lstat(path).st_ino

    def release(self):
        """Owners and modes back as the builds left them (a later build step writes here); the guard is done."""
        for rel in self.dirs:
            _chmod(self._path(rel), self.dirs[rel].mode)
        for rel, f in self.files.items():
            if f.link is None:
                _chmod(self._path(rel), f.mode)
        hand_over(self.root)

    def _unlock(self):
        """Every recorded directory a real, writable directory again (parents first)."""
        for rel in self.dirs:
            path = self._path(rel)
            st = _lstat(path)
            if st is None or not stat.S_ISDIR(st.st_mode):
                _remove(path)
                os.mkdir(path, 0o700)
            os.chmod(path, stat.S_IRWXU)

    def check_and_restore(self, since_ns, own_dir):
        """After a run step: put the directory back; returns the changes the step made that it may not make
        (anything but removing its own read-once files and writing in its own writable directory)."""
        own = own_dir.strip("/") or "."
        changes = []
        for rel, d in self.dirs.items():
            st = _lstat(self._path(rel))
            if st is None or not stat.S_ISDIR(st.st_mode) or st.st_ino != d.ino:
                changes.append(f"{rel}: directory replaced or removed")
            elif stat.S_IMODE(st.st_mode) != d.sealed:
                changes.append(f"{rel}: directory mode changed to {oct(stat.S_IMODE(st.st_mode))}")
        unlocked = bool(changes)
        if unlocked:  # a directory the program closed (chmod 000) must be listed too
            self._unlock()
        extras, stale = [], []
        for rel, d in self.dirs.items():
            try:
                names = os.listdir(self._path(rel))
            except OSError:
                names = []
            for name in names:
                if name in d.children:
                    continue
                child = _join(rel, name)
                extras.append(child)
                if not (d.sealed & stat.S_IWUSR and _within(rel, own)):
                    changes.append(f"{child}: added")
        for rel, f in self.files.items():
            problem = self._file_problem(rel, f, since_ns)
            if problem is None:
                continue
            stale.append(rel)
            if not (problem == "removed" and rel in self.read_once and _within(rel, own)):
                changes.append(f"{rel}: {problem}")
        if (extras or stale) and not unlocked:
            self._unlock()
            unlocked = True
        for rel in extras:
            _remove(self._path(rel))
        for rel in stale:
            self._rewrite(rel)
        if unlocked:
            self.seal()
        return changes

    def _file_problem(self, rel, f, since_ns):
        st = _lstat(self._path(rel))
        if st is None:
            return "removed"
        if f.link is not None:
            return None if stat.S_ISLNK(st.st_mode) and _file_fingerprint(st) == f.fp else "link replaced"
        if not stat.S_ISREG(st.st_mode):
            return "replaced"
        now = _file_fingerprint(st)
        if now != f.fp:
            if not self._same_content(rel, f):
                return "content changed"
            if stat.S_IMODE(st.st_mode) != f.sealed:
                return f"mode changed to {oct(stat.S_IMODE(st.st_mode))}"
            return "rewritten"
        if f.fp[3] >= since_ns and not self._same_content(rel, f):  # sealed or restored in the step's clock tick
            return "content changed"
        return None

    def _same_content(self, rel, f):
        path = self._path(rel)
        try:
            if f.data is not None:
                with open(path, "rb") as fh:
                    return fh.read(len(f.data) + 1) == f.data
            return _digest(path) == f.digest
        except OSError:
            return False

    def _rewrite(self, rel):
        f = self.files[rel]
        path = self._path(rel)
        _remove(path)
        if f.link is not None:
            os.symlink(f.link, path)
        elif f.data is None:
            self.poisoned = f"{rel} was changed and is too large to restore (record cap {RECORD_CAP >> 20} MiB)"
            self.files.pop(rel)  # gone: nothing later may run against it
            self.dirs[os.path.dirname(rel) or "."].children.discard(os.path.basename(rel))
        else:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(f.data)


def _chmod(path, mode):
    try:
        os.chmod(path, mode)
    except OSError:
        pass
