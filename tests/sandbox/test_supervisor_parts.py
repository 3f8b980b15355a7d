"""The supervisor's parts on the host: one program text without name clashes, and the run-directory guard."""

from __future__ import annotations

import ast
import os
from pathlib import Path

from sandbox.supervisor import PARTS, SOURCE
from sandbox.supervisor.isolation import RunDirGuard, _file_fingerprint, hand_over, step_clock
from sandbox.supervisor.procs import PROGRAM_USER

HERE = Path(__file__).resolve().parents[2] / "sandbox" / "supervisor"


def _top_level_names(text: str) -> set[str]:
    names = set()
    for node in ast.parse(text).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def test_the_parts_make_one_program_without_clashes():
    compile(SOURCE, "<supervisor>", "exec")
    seen: dict[str, str] = {}
    for part in PARTS:
        for name in _top_level_names((HERE / part).read_text()):
            assert name not in seen, f"{name} is defined in {seen.get(name)} and {part}: one namespace in the container"
            seen[name] = part
    assert SOURCE.rstrip().endswith('main()')  # serve.py last: its entry point runs after every part is defined


def test_a_rewrite_in_the_clock_tick_of_the_seal_is_caught(tmp_path):
    """Same size, modification time put back: only the change time could tell, and a coarse clock (tmpfs in
    the container) may give the rewrite the very tick the guard sealed the file in, so that its fingerprint
    does not change at all. Simulated here by taking the rewritten file's fingerprint as the recorded one."""
    root = tmp_path / "run"
    root.mkdir()
    target = root / "a.txt"
    target.write_text("AAAA")
    guard = RunDirGuard(str(root))
    before = os.lstat(target)
    with open(target, "r+b") as fh:
        fh.write(b"BBBB")
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.lstat(target)
    guard.files["a.txt"].fp = _file_fingerprint(after)  # what the coarse clock would have left
    since = after.st_ctime_ns  # the step began in that same tick
    assert guard.check_and_restore(since, ".") == ["a.txt: content changed"]
    assert target.read_text() == "AAAA"
    # A file last written in an earlier tick than the step's start needs no content comparison.
    assert guard.check_and_restore(step_clock(str(tmp_path)) + 1, ".") == []


def test_the_guard_puts_back_what_a_step_changed(tmp_path):
    root = tmp_path / "run"
    (root / "p0" / "pkg").mkdir(parents=True)
    (root / "p1").mkdir()
    (root / "p0" / "main.py").write_text("print(1)")
    (root / "p0" / "pkg" / "mod.py").write_text("X = 1")
    (root / "p1" / "main.py").write_text("print(2)")
    (root / "p1" / "job.json").write_text("{}")
    guard = RunDirGuard(str(root), read_once=["p1/job.json"])
    assert oct(os.stat(root / "p0").st_mode & 0o777) == "0o555"
    assert oct(os.stat(root / "p1").st_mode & 0o777) == "0o755"  # holds a read-once file
    assert oct(os.stat(root / "p0" / "main.py").st_mode & 0o777) == "0o444"
    since = step_clock(str(tmp_path))
    (root / "p1" / "job.json").unlink()
    (root / "p1" / "scratch").write_text("own writable folder")
    assert guard.check_and_restore(since, "p1") == []  # the step's own read-once file, its own folder
    assert (root / "p1" / "job.json").read_text() == "{}" and not (root / "p1" / "scratch").exists()
    since = step_clock(str(tmp_path))
    (root / "p0" / "pkg" / "mod.py").unlink()
    (root / "p0" / "pkg" / "new.py").write_text("")
    (root / "p1" / "job.json").unlink()
    os.chmod(root / "p0", 0)
    changes = guard.check_and_restore(since, "p1")
    assert sorted(changes) == ["p0/pkg/mod.py: removed", "p0/pkg/new.py: added",
                               "p0: directory mode changed to 0o0"]
    assert sorted(os.listdir(root / "p0" / "pkg")) == ["mod.py"] and (root / "p0" / "pkg" / "mod.py").read_text() == "X = 1"
    assert oct(os.stat(root / "p0").st_mode & 0o777) == "0o555"
    since = step_clock(str(tmp_path))
    (root / "p1" / "job.json").unlink()
    assert guard.check_and_restore(since, "p0") == ["p1/job.json: removed"]  # not p0's own read-once file


def test_sealed_program_files_belong_to_the_supervisor_and_a_read_once_file_to_the_program(tmp_path, monkeypatch):
    """In the container the supervisor is root and the program another uid (as here: the suite runs as root)."""
    program = 65530
    monkeypatch.setitem(PROGRAM_USER, "uid", program)
    root = tmp_path / "run"
    (root / "p0" / "pkg").mkdir(parents=True)
    (root / "p0" / "main.py").write_text("print(1)")
    (root / "p0" / "pkg" / "mod.py").write_text("X = 1")
    (root / "p0" / "job.json").write_text("{}")
    hand_over(str(root))  # the builds run as the program and write here
    every = [root, *root.rglob("*")]
    assert {os.lstat(path).st_uid for path in every} == {program}
    guard = RunDirGuard(str(root), read_once=["p0/job.json"])
    me = os.geteuid()
    assert {path.name: os.lstat(path).st_uid for path in every} == {
        "run": me, "p0": me, "pkg": me, "main.py": me, "mod.py": me, "job.json": program}
    assert oct(os.stat(root / "p0").st_mode & 0o7777) == "0o1777"  # writable, but only for what it owns
    assert oct(os.stat(root / "p0" / "pkg").st_mode & 0o7777) == "0o555"
    since = step_clock(str(tmp_path))
    (root / "p0" / "job.json").unlink()
    assert guard.check_and_restore(since, "p0") == []
    assert os.lstat(root / "p0" / "job.json").st_uid == program  # put back as the program's
    guard.release()  # a later build: the program's again
    assert {os.lstat(path).st_uid for path in every} == {program}


def test_removing_a_tree_never_changes_what_a_link_in_it_points_to(tmp_path):
    """A program leaves /tmp/x/link -> its own (sealed) program directory: wiping /tmp must not chmod that."""
    from sandbox.supervisor.isolation import _remove

    sealed = tmp_path / "run"
    sealed.mkdir()
    os.chmod(sealed, 0o555)
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "link").symlink_to(sealed, target_is_directory=True)
    _remove(str(tmp_path / "x"))
    assert not (tmp_path / "x").exists()
    assert oct(os.stat(sealed).st_mode & 0o777) == "0o555"
