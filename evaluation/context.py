"""What a worker keeps between items: one Pipeline per model (loaded GGUFs stay cached by llama.cpp's backend),
one warm Sandbox, and the helpers every suite uses to call a stage and time it.

One context per process: the serial runner's, each pool worker's, each Ray worker's (module-global, so a Ray
worker process that runs many tasks loads its model once).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

log = logging.getLogger(__name__)


class WorkerContext:
    def __init__(self, *, registry=None, sandbox=None):
        self._registry = registry  # tests pass a registry holding fake models
        self._pipelines: dict[tuple, object] = {}
        self._sandbox = sandbox
        self._own_sandbox = sandbox is None
        self._lock = threading.Lock()
        self.worker = f"{socket.gethostname()}:{os.getpid()}"

    def settings(self, model: str, max_tokens: int = 384, temperature: float = 0.0):
        from models.settings import Settings

        stage = {"model": model, "fallbacks": [], "retries": 0, "timeout_s": 900, "max_tokens": max_tokens,
                 "temperature": temperature}
        return Settings.from_dict({"guide": stage, "solve": stage, "judge": stage})

    def pipeline(self, model: str, max_tokens: int = 384):
        key = (model, max_tokens)
        with self._lock:
            if key not in self._pipelines:
                from models.registry import ModelRegistry
                from orchestrator.pipeline import Pipeline

                settings = self.settings(model, max_tokens)
                registry = self._registry or ModelRegistry(local_model_path=settings.local_model_path)
                self._registry = registry  # one registry: a model loads once for every max_tokens
                self._pipelines[key] = Pipeline(settings, None, registry=registry)
            return self._pipelines[key]

    def ask(self, model: str, messages, *, stage: str = "solve", max_tokens: int = 384):
        """One model call with the stage's policy; returns the StageResult (text, duration_s, usage)."""
        pipe = self.pipeline(model, max_tokens)
        settings = pipe.settings.stage_settings(stage if stage in ("guide", "solve", "judge") else "solve")
        return pipe.runner.run(stage, settings, messages, run_id=None, cancel=None, on_text=None).result

    def sandbox(self):
        with self._lock:
            if self._sandbox is None:
                from sandbox.pool import Sandbox

                self._sandbox = Sandbox(pool_size=1)
            return self._sandbox

    def close(self) -> None:
        if self._own_sandbox and self._sandbox is not None:
            try:
                self._sandbox.close()
            except Exception:  # closing must never hide the run's own outcome
                log.exception("closing the sandbox failed")
            self._sandbox = None


class Timer:
    """``with timer("solve"): ...`` adds the block's wall time to ``timer.latency["solve"]``."""

    def __init__(self):
        self.latency: dict[str, float] = {}

    def __call__(self, stage: str):
        timer = self

        class _Block:
            def __enter__(self):
                self.started = time.monotonic()

            def __exit__(self, *exc):
                timer.latency[stage] = timer.latency.get(stage, 0.0) + time.monotonic() - self.started

        return _Block()

    def add(self, stage: str, seconds: float) -> None:
        self.latency[stage] = self.latency.get(stage, 0.0) + seconds


_CONTEXT: WorkerContext | None = None


def process_context() -> WorkerContext:
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = WorkerContext()
    return _CONTEXT
