"""The data behind the client's report view and history view (the views draw it; nothing is rendered here).

* `refactorcoder/jobReport` `{jobId}` | `{runId}` | `{uri, position?}` -> `{"runId", "jobId", "kind", "status",
  "report"}`: the job's full report JSON (attempts, tests, judge, decisions with their timed samples, four-metric
  measurements). `{uri, position}` is the latest result of the function there (what a result lens opens), with the
  guidance and judgment of earlier runs on it; `status` "empty" when there is none yet. A lens sends `jobId`,
  `runId` and `uri` together: the first one still known answers (jobs leave memory after a while).
* `refactorcoder/history` `{limit?, root?}` -> `{"runs": [...]}`: past runs of this workspace, newest first.

Each finished job with a run id also leaves its report as `reports/run-<id>.json` beside the history
database (server/reports/archive.py, which the MCP server reads too)."""

from __future__ import annotations

import asyncio

from server.lsp import command_args as args_
from server.lsp.positions import span_from_client
from server.reports import archive

JOB_REPORT_REQUEST = "refactorcoder/jobReport"
HISTORY_REQUEST = "refactorcoder/history"


def job_payload(job) -> dict:
    return {"runId": job.run_id, "jobId": job.id, "kind": job.kind, "status": job.status, "uri": job.uri,
            "title": job.target.title, "function": job.target.name, "report": job.report or {}, "error": job.error}


EMPTY_TEXT = "No result for this function yet: run Judge, Fix with tests or Optimize (or Guide / Solve) on it first."


def entry_at(server, uri: str, position: tuple[int, int] | None):
    """The stored result of the function at `position` (None: the document's latest result)."""
    entries = server.results.for_uri(uri)
    if not entries:
        return None
    if position is None:
        return server.results.latest(uri)
    try:
        doc = server.workspace.get_text_document(uri)
        target = server.doc_cache.extract(doc, span_from_client(doc, position, position))
    except OSError:  # neither open nor on disk
        return None
    return entries.get(target.key) if target else None


def entry_payload(server, uri: str, entry) -> dict:
    """A stored result in jobReport's shape: its latest job's report plus the guidance / judgment that earlier
    runs on the same function left (a Guide after a Judge must not hide the scores)."""
    if entry is None:
        return {"runId": None, "jobId": None, "kind": "report", "status": "empty", "uri": uri, "report": {},
                "error": EMPTY_TEXT}
    report = dict(entry.report or {})
    for key, value in (("guidance", entry.guidance), ("judgment", entry.judgment)):
        if value and not report.get(key):
            report[key] = value
    job = server.jobs.get(entry.job_ids[-1]) if entry.job_ids else None
    if job is not None:
        return {**job_payload(job), "report": report}
    return {"runId": report.get("run_id"), "jobId": entry.job_ids[-1] if entry.job_ids else None,
            "kind": report.get("kind") or "report", "status": "done", "uri": uri, "title": entry.title,
            "function": entry.name, "report": report, "error": None}


def setup(server) -> None:
    def on_job_finished(job) -> None:
        if job.run_id is not None and job.report:
            server.jobs.loop.run_in_executor(None, archive.save, server.pipelines.settings, job)

    server.jobs.listeners.append(on_job_finished)

    @server.feature(JOB_REPORT_REQUEST)
    async def on_job_report(ls, params):
        obj = args_.as_dict(params)
        if obj is None or not any(obj.get(k) is not None for k in ("jobId", "runId", "uri")):
            raise args_.invalid("refactorcoder/jobReport takes {jobId}, {runId} or {uri, position?}")
        if obj.get("jobId"):
            job = ls.jobs.get(str(obj["jobId"]))
            if job is not None:
                return job_payload(job)
            if obj.get("runId") is None and not obj.get("uri"):
                raise args_.invalid(f"unknown jobId {obj['jobId']!r}")
        if obj.get("runId") is None:
            uri = args_.parse_uri(obj)
            position = args_.parse_position(obj["position"], "position") if obj.get("position") is not None else None
            return entry_payload(ls, uri, entry_at(ls, uri, position))
        run_id = obj["runId"]
        if isinstance(run_id, str) and run_id.isdigit():
            run_id = int(run_id)
        if not isinstance(run_id, int) or isinstance(run_id, bool):
            raise args_.invalid(f"'runId' must be an integer, got {run_id!r}")
        job = ls.jobs.find_by_run_id(run_id)
        if job is not None and job.report:
            return job_payload(job)
        loop = asyncio.get_running_loop()
        found = await loop.run_in_executor(None, archive.load, ls.pipelines.settings, run_id)
        found = found or await loop.run_in_executor(None, archive.from_history, ls.pipelines.settings, run_id)
        if found is None:
            raise args_.request_failed(f"no run {run_id} in the history")
        return found

    @server.feature(HISTORY_REQUEST)
    async def on_history(ls, params):
        obj = args_.as_dict(params) or {}
        limit = obj.get("limit", 50)
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 500:
            raise args_.invalid("'limit' must be an integer 1..500")
        root = obj.get("root") or ls.workspace.root_path
        runs = await asyncio.get_running_loop().run_in_executor(None, archive.history_runs, ls.pipelines.settings, limit, root)
        return {"runs": runs}
