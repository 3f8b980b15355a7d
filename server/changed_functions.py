"""`refactorcoder.optimizeChanged`: Optimize every function the working tree's git diff touches.

`git diff -U0 HEAD` (staged and unstaged changes against the last commit) gives the changed line ranges
of each file; untracked files count as wholly changed. Each function (from the tree-sitter outline)
overlapping a changed range gets its own Optimize job, one after the other (two cores: measuring two
candidates at once would only add noise to both)."""

from __future__ import annotations

import asyncio
import logging
import re
import subprocess
from pathlib import Path

from server import command_args as args_

logger = logging.getLogger(__name__)
HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
MAX_FUNCTIONS = 20


def changed_lines(root: Path) -> dict[Path, list[tuple[int, int]]]:
    """File -> changed 0-based (first, last) row ranges of the new text; untracked files: (0, huge)."""
    def git(*argv: str) -> str:
        proc = subprocess.run(["git", *argv], cwd=root, capture_output=True, text=True, timeout=30)
        if proc.returncode != 0:
            raise args_.request_failed(f"git {argv[0]} failed in {root}: {proc.stderr.strip()[:200]}")
        return proc.stdout

    top = Path(git("rev-parse", "--show-toplevel").strip())
    has_head = subprocess.run(["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=root, capture_output=True).returncode == 0
    out: dict[Path, list[tuple[int, int]]] = {}
    current: Path | None = None
    diff = git("diff", "-U0", "--no-color", "--no-ext-diff", "HEAD") if has_head else ""
    for line in diff.splitlines():
        if line.startswith("+++ "):
            name = line[4:].strip()
            current = None if name == "/dev/null" else top / name[2:] if name.startswith("b/") else top / name
        elif current is not None and (m := HUNK.match(line)):
            start, count = int(m.group(1)), int(m.group(2) or 1)
            if count == 0:  # a pure deletion: the function around the place still changed
                out.setdefault(current, []).append((max(start - 1, 0), max(start - 1, 0)))
            else:
                out.setdefault(current, []).append((start - 1, start + count - 2))
    others = git("ls-files", "--others", "--exclude-standard") if has_head else git("ls-files", "--others", "--cached",
                                                                                    "--exclude-standard")
    for name in others.splitlines():
        out.setdefault(top / name, []).append((0, 10**9))
    return out


def touched_functions(root: Path) -> list[tuple[Path, str, int]]:
    """(file, function name, header row) for every Python function a change touches (tests excluded)."""
    from source.document import Document

    found = []
    for path, ranges in sorted(changed_lines(root).items()):
        if path.suffix != ".py" or not path.is_file() or path.name.startswith("test_") or path.name.endswith("_test.py"):
            continue
        try:
            doc = Document(path.read_text(encoding="utf-8"), "python")
        except (OSError, UnicodeDecodeError):
            continue
        for fn in doc.outline():
            if fn.depth == 0 and any(a <= fn.last_row and fn.first_row <= b for a, b in ranges):
                found.append((path, fn.name, fn.name_row))
    return found[:MAX_FUNCTIONS]


async def optimize_changed(server, raw_args) -> dict:
    obj = args_.as_dict(raw_args[0]) if raw_args else None
    obj = obj or {}
    root = obj.get("root") or server.workspace.root_path
    if not root:
        raise args_.invalid("no workspace folder: pass {'root': PATH}")
    options = args_.parse_job_options([obj])
    loop = asyncio.get_running_loop()
    functions = await loop.run_in_executor(None, touched_functions, Path(root))
    results = []
    for path, name, row in functions:
        uri = path.as_uri()
        job_args = {"uri": uri, "range": {"start": {"line": row, "character": 0}, "end": {"line": row, "character": 0}},
                    "metric": options.metric, "limits": obj.get("limits") or {}}
        from server.commands import start_job

        try:
            response = await start_job(server, "optimize", [job_args])
        except Exception as exc:  # noqa: BLE001 - one function's problem must not stop the others
            results.append({"uri": uri, "function": name, "status": "failed", "error": getattr(exc, "message", str(exc))})
            continue
        report = response.get("report") or {}
        results.append({"uri": uri, "function": name, "jobId": response["jobId"], "status": response["status"],
                        "verdict": report.get("verdict", ""), "error": response.get("error")})
        if response["status"] == "cancelled":
            break
    return {"root": str(root), "functions": results}
