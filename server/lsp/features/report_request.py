"""Custom request `refactorcoder/report`: `{uri, position?}` or `{runId}` -> `{markdown}`,
which the VS Code client shows as a virtual document."""

from __future__ import annotations

import asyncio
import logging

from server.lsp import command_args as args_
from server.reports.markdown import history_markdown, report_markdown

logger = logging.getLogger(__name__)

REPORT_REQUEST = "refactorcoder/report"


def report_for_position(server, uri: str, position: tuple[int, int] | None) -> str:
    from server.lsp.features.report_data import entry_at

    entry = entry_at(server, uri, position)
    if entry is None:
        return "# RefactorCoder\n\nNo report yet for this place: run Guide, Solve or Judge first.\n"
    return report_markdown(entry.report, guidance=entry.guidance, judgment=entry.judgment)


async def report_for_run(server, run_id: int) -> str:
    job = server.jobs.find_by_run_id(run_id)
    if job is not None and job.report:
        return report_markdown(job.report)
    settings = server.pipelines.settings
    rows = await asyncio.get_running_loop().run_in_executor(None, _export_run, settings, run_id)
    if not rows:
        raise args_.request_failed(f"no run {run_id} in the history")
    return history_markdown(rows, run_id)


def _export_run(settings, run_id: int) -> list[dict]:
    from models.history import History

    path = settings.resolved_history_path()
    if not path.exists():
        return []
    with History(path) as history:
        return history.export(run_id)


def setup(server) -> None:
    @server.feature(REPORT_REQUEST)
    async def on_report(ls, params):
        obj = args_.as_dict(params)
        if obj is None:
            raise args_.invalid("refactorcoder/report takes {uri, position?} or {runId}")
        if "runId" in obj:
            run_id = obj["runId"]
            if isinstance(run_id, str) and run_id.isdigit():
                run_id = int(run_id)  # clients that keep ids as strings
            if not isinstance(run_id, int) or isinstance(run_id, bool):
                raise args_.invalid(f"'runId' must be an integer, got {run_id!r}")
            return {"markdown": await report_for_run(ls, run_id)}
        uri = args_.parse_uri(obj)
        position = args_.parse_position(obj["position"], "position") if obj.get("position") is not None else None
        return {"markdown": report_for_position(ls, uri, position)}
