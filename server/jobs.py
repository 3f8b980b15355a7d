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
from server.positions import span_to_client
from server.problem_extract import Extraction
from server.solution_edit import Proposal, make_proposal

logger = logging.getLogger(__name__)

KIND_TITLES = {"guide": "Guide", "solve": "Solve with guidance", "judge": "Judge"}
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

    async def run(self, kind: str, uri: str, version: int | None, target: Extraction) -> dict:
        self.loop = asyncio.get_running_loop()
        stages, solution = plan_stages(kind, target)
        job = Job(uuid.uuid4().hex[:12], kind, uri, version, target, stages, solution)
        job.request_id = self.server.protocol.msg_id  # the executeCommand id, for $/cancelRequest
        job.cancel_requested = asyncio.Event()
        self._remember(job)
        logger.info("job %s: %s on %s (%s)", job.id, kind, uri, target.title)
        try:
            await self._begin_progress(job)
            self.server.protocol.notify(
                "refactorcoder/jobStarted",
                {"jobId": job.id, "kind": kind, "uri": uri, "version": version, "token": job.token, "title": target.title},
            )
            worker = self.loop.run_in_executor(self._executor, self._work, job)
            report = await self._wait(job, worker)
            if report is not None:
                job.report = report.model_dump(mode="json")
                job.run_id = report.run_id
                job.proposal = self._client_units(make_proposal(job, report.solution_code))
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

    def _work(self, job: Job):
        """Runs in a worker thread."""
        from models.errors import Cancelled

        with self.server.pipelines.lease() as pipeline:
            if job.cancel.is_set():
                raise Cancelled("cancelled before start")
            problem = job.target.to_problem(source=f"{job.uri}::{job.target.name or job.target.title}")
            return pipeline.run(
                problem,
                stages=job.stages,
                cancel=job.cancel,
                on_stage=lambda stage: self._on_stage(job, stage),
                on_text=lambda text: self._on_text(job, text),
                solution=job.solution,
            )

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
        if isinstance(exc, RefactorCoderError):
            job.error = str(exc) or type(exc).__name__
            logger.warning("job %s failed: %s", job.id, job.error)
        else:
            job.error = f"internal error: {type(exc).__name__}: {exc}"
            logger.exception("job %s crashed", job.id)
        self.server.window_show_message(
            types.ShowMessageParams(
                type=types.MessageType.Error, message=f"RefactorCoder {KIND_TITLES[job.kind]} failed: {job.error}"
            )
        )

    def _finish(self, job: Job) -> None:
        if job.status == "done" and job.proposal is not None:
            self.server.protocol.notify("refactorcoder/solutionReady", job.proposal.notification(job.id))
        self.server.protocol.notify(
            "refactorcoder/jobFinished",
            {"jobId": job.id, "kind": job.kind, "uri": job.uri, "status": job.status, "runId": job.run_id},
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
                title=f"RefactorCoder: {KIND_TITLES[job.kind]}", message=job.target.title, cancellable=True, percentage=0
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
        if not job.progress_open:
            return  # a late callback from a worker that outlived its job
        done = job.stages.index(stage) if stage in job.stages else None
        percentage = int(100 * done / len(job.stages)) if done is not None else None
        self.server.work_done_progress.report(
            job.token, types.WorkDoneProgressReport(message=message, percentage=percentage)
        )

    def _end_progress(self, job: Job) -> None:
        if not job.progress_open:
            return
        job.progress_open = False
        self.server.work_done_progress.end(job.token, types.WorkDoneProgressEnd(message=job.status))
        self.server.work_done_progress.tokens.pop(job.token, None)

    def shutdown(self) -> None:
        self.cancel_all()
        self._executor.shutdown(wait=False, cancel_futures=True)


def _swallow_result(future: asyncio.Future) -> None:
    if not future.cancelled():
        future.exception()  # mark retrieved: a cancelled worker's Cancelled is expected
