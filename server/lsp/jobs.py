"""Background model jobs: one per guide/solve/judge command.

Each job runs the blocking Pipeline in a thread executor (so other requests keep being served,
and several jobs can run at once), reports work-done progress under a fresh server-created token
(begin -> report per stage -> end, the end always sent in `finally`), and stops when the client
sends `$/cancelRequest` for the executeCommand request, `window/workDoneProgress/cancel` for the
token, or `refactorcoder.cancel {jobId}`: all three set the job's threading.Event, which the model
layer checks between stages and tokens.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from lsprotocol import types

from orchestrator.plans import plan_stages  # noqa: F401 - re-exported for older callers
from server.lsp.positions import span_to_client
from server.problem_extract import Extraction
from server.lsp.solution_edit import Proposal, make_proposal

logger = logging.getLogger(__name__)

KIND_TITLES = {"guide": "Guide", "solve": "Solve with guidance", "judge": "Judge", "fix": "Fix with tests",
               "optimize": "Optimize", "optimizeChanged": "Optimize changed functions"}
CANCEL_GRACE_S = 3.0  # after a cancel, how long we wait for the worker to stop before answering anyway
MAX_FINISHED_JOBS = 200
PROGRESS_CREATE_TIMEOUT_S = 10.0  # a client that never answers window/workDoneProgress/create must not stall jobs
TEXT_REPORT_INTERVAL_S = 0.5  # streamed-text progress reports, at most this often


@dataclass
class Job:
    id: str
    kind: str
    uri: str
    version: int | None
    target: Extraction
    stages: tuple[str, ...]
    solution: str | None = None  # existing code to judge (judge-only runs)
    cancel: threading.Event = field(default_factory=threading.Event)
    request_id: Any = None
    token: str | None = None
    status: str = "running"  # running | done | cancelled | failed
    report: dict | None = None
    run_id: int | None = None
    error: str | None = None
    proposal: Proposal | None = None
    progress_open: bool = False
    stage: str | None = None  # the stage running now (for streamed-text progress)
    streamed_chars: int = 0
    last_text_report: float = 0.0
    cancel_requested: asyncio.Event | None = None
    runner: Any = None  # how the work is done: PipelineRunner (guide/solve/judge) or server.lsp.verify_jobs runners
    last_progress: dict = field(default_factory=dict)
    applied: bool = False

    def response(self) -> dict:
        out = {"jobId": self.id, "runId": self.run_id, "status": self.status, "report": self.report}
        if self.error:
            out["error"] = self.error
        return out


class JobManager:
    def __init__(self, server, max_workers: int = 4):
        self.server = server
        self.loop: asyncio.AbstractEventLoop | None = None
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="refactorcoder-job")
        self._jobs: dict[str, Job] = {}
        self.listeners: list[Callable[[Job], None]] = []  # called in the event loop when a job finishes

    # -- lookup and cancellation (all called on the event loop) --------------------------------------------

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def find_by_run_id(self, run_id: int) -> Job | None:
        return next((j for j in reversed(self._jobs.values()) if j.run_id == run_id), None)

    def cancel(self, job_id: str) -> bool:
        job = self._jobs.get(job_id)
        if job is None or job.status != "running":
            return False
        job.cancel.set()
        if job.cancel_requested is not None:
            job.cancel_requested.set()
        logger.info("job %s (%s) cancel requested", job.id, job.kind)
        return True

    def cancel_by_request_id(self, msg_id) -> bool:
        job = next((j for j in self._jobs.values() if j.status == "running" and j.request_id == msg_id), None)
        return self.cancel(job.id) if job else False

    def cancel_by_token(self, token) -> bool:
        job = next((j for j in self._jobs.values() if j.status == "running" and j.token == token), None)
        return self.cancel(job.id) if job else False

    def cancel_all(self) -> None:
        for job in list(self._jobs.values()):
            self.cancel(job.id)

    # -- running ---------------------------------------------------------------------------------------------

    async def run(self, kind: str, uri: str, version: int | None, target: Extraction, runner=None) -> dict:
        self.loop = asyncio.get_running_loop()
        runner = runner or PipelineRunner()
        stages, solution = runner.plan(kind, target)
        job = Job(uuid.uuid4().hex[:12], kind, uri, version, target, stages, solution, runner=runner)
        job.request_id = self.server.protocol.msg_id  # the executeCommand id, for $/cancelRequest
        job.cancel_requested = asyncio.Event()
        self._remember(job)
        logger.info("job %s: %s on %s (%s)", job.id, kind, uri, target.label)
        try:
            await self._begin_progress(job)
            self.server.protocol.notify(
                "refactorcoder/jobStarted",
                {"jobId": job.id, "kind": kind, "uri": uri, "version": version, "token": job.token, "title": target.title,
                 "label": target.label},
            )
            worker = self.loop.run_in_executor(self._executor, job.runner.work, self, job)
            report = await self._wait(job, worker)
            if report is not None:
                job.report = report
                job.run_id = report.get("run_id")
                job.proposal = self._client_units(job.runner.proposal(self, job))
                # What the result was computed on (and the verified new text): lenses and hovers show it
                # only while the function's text is one of these.
                job.report["result_texts"] = [t for t in (job.target.code, job.proposal.new_text if (
                    job.proposal is not None and job.runner.verified(job)) else None) if t]
                job.status = "done"
        except asyncio.CancelledError:
            job.cancel.set()  # server shutting down: stop the worker, answer nothing more
            job.status = "cancelled"
            raise
        except Exception as exc:  # noqa: BLE001 - every failure becomes a status, never a dead server
            self._fail(job, exc)
        finally:
            self._end_progress(job)
            self._finish(job)
        return job.response()

    async def _wait(self, job: Job, worker: asyncio.Future):
        """The worker's report, or None when cancelled (answering within CANCEL_GRACE_S of the cancel)."""
        from models.errors import Cancelled

        cancel_wait = asyncio.ensure_future(job.cancel_requested.wait())
        try:
            await asyncio.wait({worker, cancel_wait}, return_when=asyncio.FIRST_COMPLETED)
            if not worker.done():
                await asyncio.wait({worker}, timeout=CANCEL_GRACE_S)
            if not worker.done():
                job.status = "cancelled"
                worker.add_done_callback(_swallow_result)  # it stops at its next cancel check
                return None
            try:
                report = worker.result()
            except Cancelled:
                job.status = "cancelled"
                return None
            if job.cancel.is_set():
                job.status = "cancelled"  # finished before noticing: the user still asked to stop
                return None
            return report
        finally:
            cancel_wait.cancel()

    def _client_units(self, proposal: Proposal | None) -> Proposal | None:
        """Proposal ranges go out in the client's position encoding (the document is unchanged when it
        matters: a proposal is only ever applied to the version it was computed on)."""
        doc = self.server.workspace.text_documents.get(proposal.uri) if proposal else None
        if doc is None or doc.version != proposal.version:
            return proposal
        return replace(proposal, span=span_to_client(doc, proposal.span))

    def _fail(self, job: Job, exc: Exception) -> None:
        from models.errors import RefactorCoderError

        job.status = "failed"
        if job.runner.expected_error(exc):
            job.error = str(exc) or type(exc).__name__
            logger.warning("job %s failed: %s", job.id, job.error)
        elif isinstance(exc, RefactorCoderError):
            job.error = str(exc) or type(exc).__name__
            logger.warning("job %s failed: %s", job.id, job.error)
        else:
            job.error = f"internal error: {type(exc).__name__}: {exc}"
            logger.exception("job %s crashed", job.id)
        expected = job.runner.expected_error(exc)
        self.server.window_show_message(
            types.ShowMessageParams(
                type=types.MessageType.Warning if expected else types.MessageType.Error,
                message=f"RefactorCoder {KIND_TITLES.get(job.kind, job.kind)} failed: {job.error}",
            )
        )

    def _finish(self, job: Job) -> None:
        if job.status == "done" and job.proposal is not None:
            self.server.protocol.notify("refactorcoder/solutionReady", job.proposal.notification(job.id))
        self.server.protocol.notify(
            "refactorcoder/jobFinished",
            {"jobId": job.id, "kind": job.kind, "uri": job.uri, "status": job.status, "runId": job.run_id,
             "summary": (job.report or {}).get("summary") or job.error or "", "verdict": (job.report or {}).get("verdict")},
        )
        for listener in self.listeners:
            try:
                listener(job)
            except Exception:
                logger.exception("job listener failed")

    def _remember(self, job: Job) -> None:
        self._jobs[job.id] = job
        while len(self._jobs) > MAX_FINISHED_JOBS:
            oldest = next((k for k, j in self._jobs.items() if j.status != "running"), None)
            if oldest is None:
                break
            del self._jobs[oldest]

    # -- progress ---------------------------------------------------------------------------------------------

    async def _begin_progress(self, job: Job) -> None:
        if not self.server.client_supports("window", "work_done_progress"):
            return
        if (getattr(self.server, "client_options", None) or {}).get("jobProgress") == "notifications":
            return  # the client draws its own progress (with Cancel) from refactorcoder/jobProgress
        token = f"refactorcoder/{job.id}/{uuid.uuid4().hex[:8]}"
        try:
            await asyncio.wait_for(self.server.work_done_progress.create_async(token), PROGRESS_CREATE_TIMEOUT_S)
        except Exception as exc:  # the client refused or never answered: run without progress
            logger.info("progress not created for job %s: %s", job.id, exc)
            return
        job.token = token
        job.progress_open = True
        self.server.work_done_progress.begin(
            token,
            types.WorkDoneProgressBegin(
                title=f"RefactorCoder: {KIND_TITLES.get(job.kind, job.kind)}", message=job.target.label, cancellable=True, percentage=0
            ),
        )

    def _on_stage(self, job: Job, stage: str) -> None:
        """Worker thread: a stage starts."""
        job.stage, job.streamed_chars, job.last_text_report = stage, 0, time.monotonic()
        self.server.call_in_loop(self._report, job, f"{stage}…", stage)

    def _on_text(self, job: Job, text: str) -> None:
        """Worker thread: streamed model output; a throttled progress report so long stages visibly move."""
        job.streamed_chars += len(text or "")
        now = time.monotonic()
        if now - job.last_text_report >= TEXT_REPORT_INTERVAL_S:
            job.last_text_report = now
            self.server.call_in_loop(self._report, job, f"{job.stage}… {job.streamed_chars} characters", job.stage)

    def _report(self, job: Job, message: str, stage: str | None) -> None:
        done = job.stages.index(stage) if stage in job.stages else None
        percentage = int(100 * done / len(job.stages)) if done is not None else None
        self.progress(job, message, percentage, stage=stage)

    def progress(self, job: Job, message: str, percentage: int | None = None, **detail) -> None:
        """Event loop: one progress step, as a work-done report and as `refactorcoder/jobProgress`."""
        if job.status != "running":
            return  # a late callback from a worker that outlived its job
        job.last_progress = {"jobId": job.id, "kind": job.kind, "message": message, "percentage": percentage,
                             **{k: v for k, v in detail.items() if v is not None}}
        self.server.protocol.notify("refactorcoder/jobProgress", job.last_progress)
        if job.progress_open:
            self.server.work_done_progress.report(
                job.token, types.WorkDoneProgressReport(message=message, percentage=percentage)
            )

    def progress_threadsafe(self, job: Job, message: str, percentage: int | None = None, **detail) -> None:
        self.server.call_in_loop(lambda: self.progress(job, message, percentage, **detail))

    def _end_progress(self, job: Job) -> None:
        if not job.progress_open:
            return
        job.progress_open = False
        self.server.work_done_progress.end(job.token, types.WorkDoneProgressEnd(message=job.status))
        self.server.work_done_progress.tokens.pop(job.token, None)

    def shutdown(self) -> None:
        self.cancel_all()
        self._executor.shutdown(wait=False, cancel_futures=True)


class PipelineRunner:
    """Guide / Solve / Judge on the model pipeline (no execution)."""

    def plan(self, kind: str, target: Extraction):
        return plan_stages(kind, target)

    def work(self, manager: JobManager, job: Job) -> dict:
        """Runs in a worker thread."""
        from models.errors import Cancelled

        with manager.server.pipelines.lease() as pipeline:
            if job.cancel.is_set():
                raise Cancelled("cancelled before start")
            problem = job.target.to_problem(source=f"{job.uri}::{job.target.name or job.target.title}")
            report = pipeline.run(
                problem,
                stages=job.stages,
                cancel=job.cancel,
                on_stage=lambda stage: manager._on_stage(job, stage),
                on_text=lambda text: manager._on_text(job, text),
                solution=job.solution,
            )
        out = report.model_dump(mode="json")
        if "solve" in job.stages and not (report.solution_code or "").strip():
            out["summary"] = "the model answered without a code block: nothing to propose (see the report)"
        return out

    def proposal(self, manager: JobManager, job: Job) -> Proposal | None:
        return make_proposal(job, (job.report or {}).get("solution_code"))

    def verified(self, job: Job) -> bool:
        return False

    def expected_error(self, exc: Exception) -> bool:
        return False


def _swallow_result(future: asyncio.Future) -> None:
    if not future.cancelled():
        future.exception()  # mark retrieved: a cancelled worker's Cancelled is expected
