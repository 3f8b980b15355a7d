"""Long jobs: a blocking library call in a worker thread, its events as MCP progress notifications, and the
client's cancellation (`notifications/cancelled`) turned into the job's own cancel event.

The orchestrator, the measurement and the pipeline all take a `threading.Event` and check it between steps
(a model call, a sandbox session, at most five measured pairs). When the client cancels, the SDK cancels the
tool's task; `run_job` then sets the event and waits for the worker to stop at its next check, so no sandbox
container or half-written history row is left behind. The worker is never abandoned, except by `run_blocking`
for a single sandbox run (`run`), which its own wall-time limit ends.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

import anyio
import anyio.from_thread
import anyio.to_thread

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Step:
    """One progress notification: `progress` grows by one per step; `message` says what happens now."""

    message: str


Emit = Callable[[str], None]


async def run_job(ctx, work: Callable[[threading.Event, Emit], T], *, first: str = "starting") -> T:
    """Run `work(cancel, emit)` in a worker thread; forward each `emit(message)` as a progress notification."""
    cancel = threading.Event()
    send, receive = anyio.create_memory_object_stream[Step](math.inf)
    outcome: dict[str, Any] = {}

    def emit(message: str) -> None:
        try:
            anyio.from_thread.run_sync(send.send_nowait, Step(message))
        except Exception:  # the request is over (cancelled): progress has nobody to go to
            pass

    def worker() -> None:
        try:
            outcome["result"] = work(cancel, emit)
        except BaseException as exc:  # handed back to the request's task
            outcome["error"] = exc
        finally:
            anyio.from_thread.run_sync(send.close)

    async def forward() -> None:
        count = 0
        try:
            await _progress(ctx, count, first)
            async with receive:
                async for step in receive:
                    count += 1
                    await _progress(ctx, count, step.message)
        except anyio.get_cancelled_exc_class():
            # The client cancelled: the worker's wait below is shielded until it returns, so this task is the
            # one that hears it. The job sees the event at its next check and stops (raising Cancelled).
            cancel.set()
            raise

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(forward)
        await anyio.to_thread.run_sync(worker)  # not abandoned: the cancel event stops it
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


async def run_blocking(fn: Callable[[], T]) -> T:
    """A call that cannot check an event (one sandbox run, bounded by its own wall-time limit): on
    cancellation the request answers at once and the call finishes in the background."""
    return await anyio.to_thread.run_sync(fn, abandon_on_cancel=True)


async def _progress(ctx, count: int, message: str) -> None:
    try:
        await ctx.report_progress(count, None, message)
    except Exception as exc:  # a closed stream must not fail the job
        log.debug("progress not sent: %s", exc)
