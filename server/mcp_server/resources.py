"""Past runs: the `history` and `report` tools and the `refactorcoder://runs/{run_id}` resources.

A finished job leaves its report as `reports/run-<id>.json` beside the history database — the same files the
language server writes (server/reports/archive.py), so a run started from the editor can be cited by an agent and the
other way round. A run without such a file (older, or a plain guide/solve run) is answered from the
history database (its calls, candidates, tests and decisions).
"""

from __future__ import annotations

from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError

from server.mcp_server.schemas import HistoryResult, ReportResult, RunSummary
from server.reports import archive

RUN_URI = "refactorcoder://runs/{run_id}"


def run_uri(run_id: int | None) -> str | None:
    return None if run_id is None else RUN_URI.format(run_id=run_id)


def save(settings, *, run_id: int | None, kind: str, status: str, title: str, function: str | None,
         report: dict) -> None:
    """Keep a finished job's report where the editor's history view and `report` find it."""
    if run_id is None:
        return
    archive.write(settings, run_id, {"runId": run_id, "jobId": f"mcp-{run_id}", "kind": kind, "status": status,
                                     "uri": None, "title": title, "function": function, "report": report})


def history(settings, limit: int, root: str | None) -> HistoryResult:
    runs = archive.history_runs(settings, limit, root)
    return HistoryResult(runs=[RunSummary(run_id=r["runId"], report_uri=run_uri(r["runId"]), kind=r.get("kind"),
                                          status=r.get("status"), created=r.get("created"),
                                          source=r.get("source") or "", function=r.get("function"),
                                          verdict=r.get("verdict") or "", scores=r.get("scores"),
                                          has_report=bool(r.get("hasReport")))
                               for r in runs])


def report(settings, run_id: int) -> ReportResult | None:
    saved = archive.load(settings, run_id)
    if saved is not None:
        return ReportResult(run_id=run_id, report_uri=run_uri(run_id), kind=saved.get("kind"),
                            status=saved.get("status"), report=saved.get("report") or {})
    return _from_history(settings, run_id)


def _from_history(settings, run_id: int) -> ReportResult | None:
    from orchestrator.store import RunStore, has_store, open_history

    path = settings.resolved_history_path()
    if not path.exists():
        return None
    history = open_history(path)
    try:
        rows = history.export(run_id)
        if not rows:
            return None
        run = rows[0]
        if has_store(history):
            store = RunStore(history)
            for table in ("candidates", "test_results", "decisions"):
                run[table] = store.rows(table, run_id)
    finally:
        history.close()
    return ReportResult(run_id=run_id, report_uri=run_uri(run_id), kind=run.get("kind"), status=run.get("status"),
                        report={"history": run})


def report_or_tool_error(settings, run_id: int) -> ReportResult:
    found = report(settings, run_id)
    if found is None:
        raise ToolError(f"no run {run_id} in {settings.resolved_history_path()}: call `history` for the run ids")
    return found


def report_text(settings, run_id: str) -> str:
    """The resource's body: the report as JSON."""
    if not run_id.isdigit():
        raise ResourceNotFoundError(f"refactorcoder://runs/{run_id}: a run id is a number")
    found = report(settings, int(run_id))
    if found is None:
        raise ResourceNotFoundError(f"no run {run_id} in the history")
    return found.model_dump_json(indent=1)
