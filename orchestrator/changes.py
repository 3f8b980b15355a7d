"""Which functions a change touches, from git: the rows a diff adds or edits, mapped onto each file's
tree-sitter outline. Used by the editor's "Optimize changed functions" (against HEAD) and by the
CLI's PR mode (`optimize --changed --base REF`, against the merge base of REF and HEAD, as a pull
request's diff is).

The diff is taken against the working tree, so uncommitted edits count; untracked files (not ignored)
count as wholly changed. Test files are never selected: they are what judges a change, not its subject."""

from __future__ import annotations

import codecs
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from orchestrator.errors import OrchestratorError

HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
WHOLE_FILE = (0, 10**9)
GIT_TIMEOUT_S = 60


class ChangesError(OrchestratorError):
    """git could not say what changed (not a repository, an unknown ref, git missing): the message says which."""


@dataclass(frozen=True)
class ChangedFunction:
    path: Path  # absolute
    qualname: str  # `name`, or `Class.method` for methods
    name_row: int  # 0-based row of the header line

    @property
    def spec(self) -> str:
        """FILE::function, as the CLI's commands take it."""
        return f"{self.path}::{self.qualname}"


@dataclass(frozen=True)
class Changes:
    root: Path  # the repository's top level
    base: str  # the ref as given
    compared_to: str  # the commit the diff was taken against (the merge base, or HEAD's commit)
    lines: dict[Path, list[tuple[int, int]]]  # file -> changed 0-based (first, last) rows of its new text


def git(root: Path, *argv: str) -> str:
    try:
        proc = subprocess.run(["git", "-c", "core.quotePath=false", *argv], cwd=root, capture_output=True, text=True,
                              timeout=GIT_TIMEOUT_S)
    except FileNotFoundError:
        raise ChangesError("git is not installed (the changed functions come from git)") from None
    except subprocess.TimeoutExpired:
        raise ChangesError(f"git {argv[0]} took over {GIT_TIMEOUT_S} s in {root}") from None
    if proc.returncode != 0:
        raise ChangesError(f"git {argv[0]} failed in {root}: {proc.stderr.strip()[:300]}")
    return proc.stdout


def _has_commit(root: Path, ref: str) -> bool:
    proc = subprocess.run(["git", "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"],
                          cwd=root, capture_output=True, text=True, timeout=GIT_TIMEOUT_S)
    return proc.returncode == 0


def repository_root(where: Path) -> Path:
    try:
        return Path(git(where, "rev-parse", "--show-toplevel").strip())
    except ChangesError:
        raise ChangesError(f"{where} is not inside a git repository (--changed compares git commits)") from None


def _diff_path(name: str, top: Path) -> Path | None:
    """The new side's path from a `+++ ` line: `b/x.py`, `"b/caf\\303\\251.py"` (git's C quoting) or /dev/null."""
    name = name.rstrip("\t")
    if name == "/dev/null":
        return None
    if name.startswith('"') and name.endswith('"'):
        name = codecs.escape_decode(name[1:-1].encode("utf-8"))[0].decode("utf-8", "replace")
    return top / (name[2:] if name.startswith("b/") else name)


def parse_diff(diff: str, top: Path) -> dict[Path, list[tuple[int, int]]]:
    """File -> changed (first, last) 0-based rows of the new text, from `git diff -U0` output."""
    out: dict[Path, list[tuple[int, int]]] = {}
    current: Path | None = None
    for line in diff.splitlines():
        if line.startswith("+++ "):
            current = _diff_path(line[4:], top)
        elif current is not None and (m := HUNK.match(line)):
            start, count = int(m.group(1)), int(m.group(2) or 1)
            if count == 0:  # a pure deletion: the function around the place still changed
                out.setdefault(current, []).append((max(start - 1, 0), max(start - 1, 0)))
            else:
                out.setdefault(current, []).append((start - 1, start + count - 2))
    return out


def changes(where: Path, base: str = "HEAD", *, merge_base: bool = False) -> Changes:
    """What changed in the working tree of the repository holding `where`, against `base` -- or, with
    `merge_base`, against the merge base of `base` and HEAD (a pull request's own changes, not what
    landed on the base branch since it forked)."""
    top = repository_root(where)
    has_head = _has_commit(top, "HEAD")
    if not has_head and base == "HEAD":  # a repository without commits: everything is new
        names = git(top, "ls-files", "--others", "--cached", "--exclude-standard")
        return Changes(top, base, "", {top / n: [WHOLE_FILE] for n in names.splitlines()})
    if not _has_commit(top, base):
        raise ChangesError(f"--base {base}: no such commit in {top} (a shallow CI checkout may lack it: "
                           "fetch it, e.g. actions/checkout with fetch-depth: 0)")
    against = git(top, "rev-parse", "--verify", "--end-of-options", f"{base}^{{commit}}").strip()
    if merge_base and has_head:
        try:
            against = git(top, "merge-base", against, "HEAD").strip()
        except ChangesError:
            raise ChangesError(f"--base {base} and HEAD share no history in {top}: nothing to compare") from None
    lines = parse_diff(git(top, "diff", "-U0", "--no-color", "--no-ext-diff", against, "--"), top)
    for name in git(top, "ls-files", "--others", "--exclude-standard").splitlines():
        lines.setdefault(top / name, []).append(WHOLE_FILE)
    return Changes(top, base, against, lines)


def is_test_file(path: Path) -> bool:
    return path.name.startswith("test_") or path.name.endswith("_test.py") or path.name == "conftest.py"


def touched_functions(changed: Changes) -> list[ChangedFunction]:
    """Every Python function or method (not nested in another function) that a change touches, file by file
    in path order; test files, files that are gone and files that are not UTF-8 are left out."""
    from source.document import Document

    found = []
    for path, ranges in sorted(changed.lines.items()):
        if path.suffix != ".py" or not path.is_file() or is_test_file(path):
            continue
        try:
            doc = Document(path.read_text(encoding="utf-8"), "python")
        except (OSError, UnicodeDecodeError):
            continue
        for fn in doc.outline():
            if fn.depth == 0 and any(a <= fn.last_row and fn.first_row <= b for a, b in ranges):
                found.append(ChangedFunction(path, fn.qualified_name, fn.name_row))
    return found
