"""workspace/executeCommand handlers: refactorcoder.guide|solve|judge|fix|optimize (background jobs),
refactorcoder.optimizeChanged, refactorcoder.cancel and refactorcoder.applySolution. Handlers stay thin:
validate, resolve the target, hand over to the JobManager or the guarded edit."""

from __future__ import annotations

import logging

from lsprotocol import types

from server.lsp import command_args as args_
from server.lsp.positions import span_from_client, span_to_client
from server.lsp.solution_edit import (STALE_MESSAGE, changed_message, is_current, locate_original, uri_to_path,
                                  workspace_edit, write_on_disk)

logger = logging.getLogger(__name__)

GUIDE, SOLVE, JUDGE = "refactorcoder.guide", "refactorcoder.solve", "refactorcoder.judge"
FIX, OPTIMIZE, OPTIMIZE_CHANGED = "refactorcoder.fix", "refactorcoder.optimize", "refactorcoder.optimizeChanged"
CANCEL, APPLY = "refactorcoder.cancel", "refactorcoder.applySolution"
JOB_COMMANDS = {GUIDE: "guide", SOLVE: "solve", JUDGE: "judge", FIX: "fix", OPTIMIZE: "optimize"}


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
    return await server.jobs.run(kind, doc.uri, doc.version, target, runner=_runner(server, kind, doc, target, raw_args))


def _runner(server, kind: str, doc, target, raw_args):
    """None (the model pipeline) for guide/solve; the orchestrator for fix/optimize, and for judge when
    the function can be run (a Python function in a file, and the real pipeline)."""
    from server.lsp.verify_jobs import JobOptions, OrchestratorRunner, target_from_document

    if kind in ("guide", "solve") or (kind == "judge" and not _judge_executes(server, target)):
        return None
    options = args_.parse_job_options(raw_args)
    from orchestrator.errors import OrchestratorError

    try:
        orch_target = target_from_document(doc.uri, doc.source, target)
    except OrchestratorError as exc:
        if kind == "judge":
            return None  # not runnable here: the judge alone
        raise args_.invalid(str(exc))
    return OrchestratorRunner(kind, JobOptions(options.metric, options.workload, options.limits), orch_target,
                              server.sandboxes)


def _judge_executes(server, target) -> bool:
    import os

    from server.lsp.pipeline_holder import FACTORY_ENV

    if os.environ.get(FACTORY_ENV) or (getattr(server, "client_options", None) or {}).get("judgeExecutes") is False:
        return False  # a test's fake pipeline cannot drive the orchestrator
    return target.code is not None and target.name is not None and target.language == "python"


async def apply_solution(server, raw_args) -> dict:
    parsed = args_.parse_apply(raw_args)
    if isinstance(parsed, str):
        job = server.jobs.get(parsed)
        if job is None:
            raise args_.invalid(f"unknown jobId {parsed!r}")
        if job.proposal is None:
            raise args_.request_failed(f"job {parsed} has no solution to apply (status: {job.status})")
        return await apply_proposal(server, job)
    # explicit edits come in client units already
    uri, version, span, new_text = parsed.uri, parsed.version, parsed.span, parsed.new_text
    doc = open_document(server, uri)
    if not is_current(version, doc.version):
        logger.info("refused to apply a solution to %s: computed on v%s, document is v%s", uri, version, doc.version)
        raise args_.request_failed(STALE_MESSAGE)
    result = await server.workspace_apply_edit_async(
        types.ApplyWorkspaceEditParams(edit=workspace_edit(uri, version, span, new_text), label="RefactorCoder solution")
    )
    return {"applied": bool(result.applied), "failureReason": result.failure_reason}


async def apply_proposal(server, job) -> dict:
    """Apply a job's proposal while the function's text is what it was computed from: in the editor when
    the document is open (whatever its version), else in the file on disk. Refusals keep the proposal."""
    proposal = job.proposal
    doc = server.workspace.text_documents.get(job.uri)
    if doc is not None:
        span = locate_original(doc.source, proposal)
        if span is None:
            logger.info("refused to apply job %s to %s: %s changed", job.id, job.uri, proposal.name or "the target")
            raise args_.request_failed(changed_message(proposal))
        result = await server.workspace_apply_edit_async(
            types.ApplyWorkspaceEditParams(edit=workspace_edit(job.uri, doc.version, span_to_client(doc, span),
                                                               proposal.new_text), label="RefactorCoder solution")
        )
        if result.applied:
            _applied(job)
        return {"applied": bool(result.applied), "failureReason": result.failure_reason, "where": "editor"}
    path = uri_to_path(job.uri)
    try:
        text = path.read_text(encoding="utf-8") if path is not None else None
    except OSError as exc:
        raise args_.request_failed(f"{job.uri} is not open and cannot be read ({exc.__class__.__name__})")
    if text is None:
        raise args_.request_failed(f"{job.uri} is not open and not a file")
    span = locate_original(text, proposal)
    if span is None:
        logger.info("refused to apply job %s to %s on disk: %s changed", job.id, path, proposal.name or "the target")
        raise args_.request_failed(changed_message(proposal) + " (checked the file on disk)")
    try:
        write_on_disk(path, text, span, proposal.new_text, job.target.language)
    except SyntaxError as exc:
        raise args_.request_failed(f"not applied: the file would not parse with the proposal (line {exc.lineno})")
    _applied(job)
    return {"applied": True, "failureReason": None, "where": "disk"}


def _applied(job) -> None:
    job.applied = True
    if job.report is not None:
        job.report["applied"] = True
        job.report["failing_tests"] = []  # they described the replaced code


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

    @server.command(OPTIMIZE_CHANGED)
    async def optimize_changed(ls, *raw_args):
        from server.lsp.features.changed_functions import optimize_changed as run_changed

        return await run_changed(ls, raw_args)

    @server.feature(types.WINDOW_WORK_DONE_PROGRESS_CANCEL)
    def on_progress_cancel(ls, params: types.WorkDoneProgressCancelParams):
        ls.jobs.cancel_by_token(params.token)

    @server.feature(types.SHUTDOWN)
    def on_shutdown(ls, params):
        ls.jobs.shutdown()
        ls.sandboxes.close()  # the model pipeline is left to process exit: a worker may still be inside it


def _job_handler(kind: str):
    async def handler(ls, *raw_args):
        return await start_job(ls, kind, raw_args)

    handler.__name__ = f"refactorcoder_{kind}"
    return handler
