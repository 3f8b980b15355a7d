"""Run a suite: create or resume a run, dispatch the unfinished items, write each result as it arrives.

Three ways to execute items, one database writer (this process):
* ``workers=1``: in this process, one after the other;
* ``workers=N``: a local process pool (spawned processes, each with its own WorkerContext);
* ``ray="local"`` or ``ray="ADDRESS"``: every item a Ray task (``num_cpus=1``), on whichever node has a free
  CPU; model calls and sandbox runs happen on that node (its own models and Docker engine). Ray lives in
  evaluation/ray_cluster.py (code shipped to the nodes, a check per node first) and is imported only then.

Resuming: a run is named (``--run-name``); items already recorded with a status other than "error" are never
dispatched again. A kill loses at most the items in flight.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import logging
import multiprocessing
import os
import platform
import time
import traceback
from datetime import datetime, timezone
from typing import Callable

from evaluation.context import WorkerContext, process_context
from evaluation.store import EvalStore
from evaluation.suite import Item, get_suite

log = logging.getLogger(__name__)


class EvalError(Exception):
    """A usage or set-up problem (unknown suite, Ray missing, run/suite mismatch): the message says what to do."""


def execute_item(suite_name: str, item: dict, options: dict, ctx: WorkerContext | None = None) -> dict:
    """Run one item; never raises (an exception becomes a status 'error' result that resuming retries)."""
    ctx = ctx or process_context()
    started = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    it = Item(**item)
    base = {"key": it.key, "item_id": it.item_id, "model": it.model, "variant": it.variant, "grp": it.group,
            "worker": ctx.worker, "started": started}
    t0 = time.monotonic()
    try:
        result = get_suite(suite_name).run_item(it, ctx)
    except Exception as exc:
        log.warning("item %s failed: %s", it.key, exc)
        result = {"status": "error", "error": f"{type(exc).__name__}: {exc}",
                  "metrics": {"traceback": traceback.format_exc(limit=4)[-2000:]}}
    result = {**base, **result}
    result.setdefault("latency", {})
    result["latency"].setdefault("item", time.monotonic() - t0)
    return result


def machine() -> dict:
    return {"host": platform.node(), "cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform()}


def _dispatch_ray(address: str, workers: int, suite_name: str, items: list[dict], options: dict, on_result):
    from evaluation.ray_cluster import dispatch  # Ray is optional: imported only for --ray

    dispatch(address, workers, suite_name, items, options, on_result)


def _dispatch_pool(workers: int, suite_name: str, items: list[dict], options: dict, on_result):
    context = multiprocessing.get_context("spawn")  # no fork of a process that may hold threads and models
    with cf.ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(execute_item, suite_name, item, options) for item in items]
        try:
            for future in cf.as_completed(futures):
                on_result(future.result())
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def run_suite(suite_name: str, options: dict, store: EvalStore, *, run_name: str | None = None, workers: int = 1,
              ray: str | None = None, ctx: WorkerContext | None = None, progress: bool = True,
              on_result: Callable[[dict], None] | None = None) -> int:
    """Run (or resume) ``run_name``; returns its run id."""
    try:
        suite = get_suite(suite_name)
    except KeyError as exc:
        raise EvalError(str(exc.args[0])) from exc
    options = {**options, "suite": suite_name}
    if not options.get("models") and suite.uses_models:
        options["models"] = list(suite.default_models)
    run_name = run_name or f"{suite_name}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    existing = store.find_run(run_name)
    if existing is not None:
        if existing["suite"] != suite_name:
            raise EvalError(f"run {run_name!r} is a {existing['suite']} run, not {suite_name}: pick another --run-name")
        run_id = existing["id"]
        merged = {**existing["options"], **{k: v for k, v in options.items() if v is not None}}
        with store.conn:
            store.db["eval_runs"].update(run_id, {"options": json.dumps(merged, sort_keys=True)})
        options = merged
        store.set_status(run_id, "running")
    else:
        run_id = store.create_run(run_name, suite_name, options, machine())
    items = suite.items(options)
    done = store.finished_keys(run_id)
    pending = [i.to_dict() for i in items if i.key not in done]
    log.info("run %s (%s): %d items, %d finished before, %d to do", run_name, run_id, len(items),
             len(items) - len(pending), len(pending))

    bar = _Progress(suite_name, len(items), len(items) - len(pending), enabled=progress)
    errors = 0

    def record(result: dict) -> None:
        nonlocal errors
        store.record(run_id, result)
        errors += result.get("status") == "error"
        bar.advance(result)
        if on_result is not None:
            on_result(result)

    try:
        with bar:
            if ray:
                _dispatch_ray(ray, workers if workers > 1 else 2, suite_name, pending, options, record)
            elif workers > 1:
                _dispatch_pool(workers, suite_name, pending, options, record)
            else:
                own = ctx is None
                ctx = ctx or WorkerContext()
                try:
                    for item in pending:
                        record(execute_item(suite_name, item, options, ctx))
                finally:
                    if own:
                        ctx.close()
    except BaseException:
        store.set_status(run_id, "interrupted")
        raise
    store.set_status(run_id, "finished" if not errors else "finished with errors")
    return run_id


class _Progress:
    """A rich progress bar with ETA on stderr (items per second from this session's items only)."""

    def __init__(self, suite: str, total: int, already: int, enabled: bool):
        self.enabled = enabled and total > 0
        self.passed = 0
        if self.enabled:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)

            self.progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TextColumn("{task.fields[note]}"), TimeElapsedColumn(), TextColumn("ETA"),
                                     TimeRemainingColumn(), console=Console(stderr=True))
            self.task = self.progress.add_task(suite, total=total, completed=already, note="")

    def __enter__(self):
        if self.enabled:
            self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        if self.enabled:
            self.progress.__exit__(*exc)

    def advance(self, result: dict) -> None:
        if not self.enabled:
            return
        self.passed += bool((result.get("metrics") or {}).get("correct"))
        note = f"correct {self.passed}" + (" [red]error[/red]" if result.get("status") == "error" else "")
        self.progress.update(self.task, advance=1, note=note)
