"""Past runs' reports, kept as files: each finished job with a run id leaves its report as
`reports/run-<id>.json` beside the history database, so a past run's report survives the session (the
database keeps the calls, candidates, tests and decisions; the file keeps the assembled view of them).
The language server (the report and history views), the MCP server (`history`, `report`, the
`refactorcoder://runs/{run_id}` resources) and the files they write are the same; no pygls here."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from urllib.parse import unquote, urlparse

logger = logging.getLogger(__name__)

JOB_OUTCOMES = ("accepted", "unchanged", "failed", "cancelled")


def reports_dir(settings) -> Path:
    return settings.resolved_history_path().parent / "reports"


def write(settings, run_id: int, payload: dict) -> None:
    """Keep a finished run's report payload (`runId`, `jobId`, `kind`, `status`, `uri`, `title`, `function`,
    `report`) as `reports/run-<run_id>.json`, written whole or not at all."""
    folder = reports_dir(settings)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".run-{run_id}.json.tmp"
        tmp.write_text(json.dumps(payload, default=str), encoding="utf-8")
        tmp.replace(folder / f"run-{run_id}.json")
    except OSError as exc:
        logger.info("report of run %s not kept: %s", run_id, exc)


def save(settings, job) -> None:
    """A language-server job's report (jobs.Job), when it has a run id and a report."""
    if job.run_id is None or not job.report:
        return
    write(settings, job.run_id, {"runId": job.run_id, "jobId": job.id, "kind": job.kind, "status": job.status,
                                 "uri": job.uri, "title": job.target.title, "function": job.target.name,
                                 "report": job.report})


def load(settings, run_id: int) -> dict | None:
    path = reports_dir(settings) / f"run-{run_id}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def from_history(settings, run_id: int) -> dict | None:
    """A run from before reports were kept: what the database has (calls, judgment), in the report's shape."""
    from models.history import History

    path = settings.resolved_history_path()
    if not path.exists():
        return None
    with History(path) as history:
        rows = history.export(run_id)
    if not rows:
        return None
    run = rows[0] if isinstance(rows[0], dict) else {}
    return {"runId": run_id, "kind": run.get("kind", "run"), "status": run.get("status", ""), "report": {"history": rows}}


def history_runs(settings, limit: int, root: str | None) -> list[dict]:
    """The newest `limit` runs (only those whose source lies under `root`, when given), each with what its
    saved report adds (function, verdict, outcome)."""
    from models.history import History

    path = settings.resolved_history_path()
    if not path.exists():
        return []
    with History(path) as history:
        runs = history.list_runs(limit * 4 if root else limit)
    out = []
    for run in runs:
        source = run.get("source") or ""
        if root and not _in_root(source, root):
            continue
        saved = load(settings, run["id"]) or {}
        report = saved.get("report") or {}
        scores = [run.get(k) for k in ("accuracy", "clarity", "efficiency")]
        out.append({"runId": run["id"], "kind": saved.get("kind") or run.get("kind"), "status": run.get("status"),
                    "created": run.get("created"), "source": source, "function": saved.get("function"),
                    "verdict": report.get("verdict") or report.get("summary") or "",
                    # Fix / Optimize: what the job came to (accepted / unchanged / failed / cancelled), not only
                    # whether the run itself ended cleanly.
                    "outcome": report.get("status") if report.get("status") in JOB_OUTCOMES else "",
                    "scores": scores if any(s is not None for s in scores) else None, "hasReport": bool(saved)})
        if len(out) >= limit:
            break
    return out


def _in_root(source: str, root: str) -> bool:
    path = source.split("::", 1)[0]
    if path.startswith("file:"):
        path = unquote(urlparse(path).path)
    root = unquote(urlparse(root).path) if root.startswith("file:") else root
    return path.startswith(root.rstrip("/") + "/")
