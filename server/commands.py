"""workspace/executeCommand handlers: refactorcoder.guide|solve|judge (background jobs),
refactorcoder.cancel and refactorcoder.applySolution. Handlers stay thin: validate, resolve the
target, hand over to the JobManager or the version-guarded edit."""

from __future__ import annotations

import logging

from lsprotocol import types

from server import command_args as args_
from server.positions import span_from_client
from server.solution_edit import STALE_MESSAGE, is_current, workspace_edit

logger = logging.getLogger(__name__)

GUIDE, SOLVE, JUDGE = "refactorcoder.guide", "refactorcoder.solve", "refactorcoder.judge"
CANCEL, APPLY = "refactorcoder.cancel", "refactorcoder.applySolution"
JOB_COMMANDS = {GUIDE: "guide", SOLVE: "solve", JUDGE: "judge"}


def open_document(server, uri: str):
    """The server's copy of the document (open in the editor, else read from disk)."""
    if uri in server.workspace.text_documents:
        return server.workspace.text_documents[uri]
    doc = server.workspace.get_text_document(uri)
    try:
        doc.source  # noqa: B018 - reading it is the check
    except (OSError, ValueError) as exc:
        raise args_.invalid(f"document {uri} is not open and cannot be read ({exc.__class__.__name__})")
    return doc


async def start_job(server, kind: str, raw_args) -> dict:
    target_args = args_.parse_target(raw_args, f"refactorcoder.{kind}")
    doc = open_document(server, target_args.uri)
    if target_args.version is not None and doc.version is not None and target_args.version != doc.version:
        raise args_.request_failed(
            f"document version {target_args.version} is stale (now {doc.version}); ask for code actions again"
        )
    args_.check_range_in_document(target_args.span, doc.lines)
    target = server.doc_cache.extract(doc, span_from_client(doc, target_args.span.start, target_args.span.end))
    if target is None:
        raise args_.invalid("no function, selection or problem comment at the given range")
    return await server.jobs.run(kind, doc.uri, doc.version, target)


async def apply_solution(server, raw_args) -> dict:
    parsed = args_.parse_apply(raw_args)
    if isinstance(parsed, str):
        job = server.jobs.get(parsed)
        if job is None:
            raise args_.invalid(f"unknown jobId {parsed!r}")
        if job.proposal is None:
            raise args_.request_failed(f"job {parsed} has no solution to apply (status: {job.status})")
        uri, version, span, new_text = job.uri, job.proposal.version, job.proposal.span, job.proposal.new_text
    else:  # explicit edits come in client units already
        uri, version, span, new_text = parsed.uri, parsed.version, parsed.span, parsed.new_text
    doc = open_document(server, uri)
    if not is_current(version, doc.version):
        logger.info("refused to apply a solution to %s: computed on v%s, document is v%s", uri, version, doc.version)
        raise args_.request_failed(STALE_MESSAGE)
    result = await server.workspace_apply_edit_async(
        types.ApplyWorkspaceEditParams(edit=workspace_edit(uri, version, span, new_text), label="RefactorCoder solution")
    )
    return {"applied": bool(result.applied), "failureReason": result.failure_reason}


def setup(server) -> None:
    for command, kind in JOB_COMMANDS.items():
        server.command(command)(_job_handler(kind))

    @server.command(CANCEL)
    def cancel(ls, *raw_args):
        job_id = args_.parse_job_id(raw_args, CANCEL)
        if ls.jobs.get(job_id) is None:
            raise args_.invalid(f"unknown jobId {job_id!r}")
        return {"jobId": job_id, "cancelled": ls.jobs.cancel(job_id)}

    @server.command(APPLY)
    async def apply(ls, *raw_args):
        return await apply_solution(ls, raw_args)

    @server.feature(types.WINDOW_WORK_DONE_PROGRESS_CANCEL)
    def on_progress_cancel(ls, params: types.WorkDoneProgressCancelParams):
        ls.jobs.cancel_by_token(params.token)

    @server.feature(types.SHUTDOWN)
    def on_shutdown(ls, params):
        ls.jobs.shutdown()  # the model pipeline is left to process exit: a worker may still be inside it


def _job_handler(kind: str):
    async def handler(ls, *raw_args):
        return await start_job(ls, kind, raw_args)

    handler.__name__ = f"refactorcoder_{kind}"
    return handler
