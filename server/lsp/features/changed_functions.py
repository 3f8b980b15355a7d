"""`refactorcoder.optimizeChanged`: Optimize every function the working tree's git diff touches.

`git diff -U0 HEAD` (staged and unstaged changes against the last commit) gives the changed line ranges
of each file; untracked files count as wholly changed (orchestrator.changes, shared with the CLI's PR
mode). Each function (from the tree-sitter outline) overlapping a changed range gets its own Optimize
job, one after the other (two cores: measuring two candidates at once would only add noise to both)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from orchestrator.changes import ChangesError, changes
from orchestrator.changes import touched_functions as functions_in
from server.lsp import command_args as args_

logger = logging.getLogger(__name__)
MAX_FUNCTIONS = 20


def touched_functions(root: Path) -> list[tuple[Path, str, int]]:
    """(file, function name, header row) for every Python function a change against HEAD touches (tests excluded);
    the git and outline work is orchestrator.changes' (shared with the CLI's `optimize --changed`)."""
    try:
        changed = changes(root, "HEAD")
    except ChangesError as exc:
        raise args_.request_failed(str(exc)) from None
    return [(f.path, f.qualname, f.name_row) for f in functions_in(changed)][:MAX_FUNCTIONS]


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
        from server.lsp.features.commands import start_job

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
