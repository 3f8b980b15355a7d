"""One model Pipeline per settings generation, created lazily in a worker thread (building it
imports litellm/llama.cpp, seconds of work that must never block the event loop).

When settings change, jobs already running keep the pipeline they started with; it is closed
once the last of them releases it.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from contextlib import contextmanager
from typing import Any, Callable

logger = logging.getLogger(__name__)

# (settings, notify) -> object with the orchestrator.pipeline.Pipeline interface
PipelineFactory = Callable[[Any, Callable[[str], None]], Any]

FACTORY_ENV = "REFACTORCODER_PIPELINE_FACTORY"  # "module:function", used by tests to inject a fake


def default_pipeline_factory(settings, notify):
    from orchestrator.pipeline import Pipeline
    from orchestrator.store import open_history

    path = settings.resolved_history_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return Pipeline(settings, open_history(path), notify=notify)  # with the orchestrator's tables


def factory_from_env() -> PipelineFactory | None:
    spec = os.environ.get(FACTORY_ENV)
    if not spec:
        return None
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr or "make_pipeline")


class PipelineHolder:
    def __init__(self, factory: PipelineFactory | None, notify: Callable[[str], None]):
        self._factory = factory or factory_from_env() or default_pipeline_factory
        self._notify = notify
        self._lock = threading.Lock()
        self._settings = None
        self._generation = 0
        self._current: tuple[int, Any] | None = None  # (generation, pipeline)
        self._users: dict[int, int] = {}  # generation -> running jobs
        self._retired: dict[int, Any] = {}

    @property
    def settings(self):
        if self._settings is None:
            from models.settings import Settings

            self._settings = Settings()
        return self._settings

    def reset(self, settings) -> None:
        """New settings: the next job gets a fresh pipeline; the old one closes when idle."""
        with self._lock:
            self._settings = settings
            self._generation += 1
            if self._current is not None:
                generation, pipeline = self._current
                self._current = None
                self._retire(generation, pipeline)

    @contextmanager
    def lease(self):
        """Borrow the current pipeline for one job (call from a worker thread)."""
        with self._lock:
            if self._current is None or self._current[0] != self._generation:
                self._current = (self._generation, self._factory(self.settings, self._notify))
            generation, pipeline = self._current
            self._users[generation] = self._users.get(generation, 0) + 1
        try:
            yield pipeline
        finally:
            with self._lock:
                self._users[generation] -= 1
                if self._users[generation] == 0 and generation in self._retired:
                    _close(self._retired.pop(generation))

    def _retire(self, generation: int, pipeline) -> None:
        if self._users.get(generation, 0) == 0:
            _close(pipeline)
        else:
            self._retired[generation] = pipeline

    def close(self) -> None:
        with self._lock:
            if self._current is not None:
                _close(self._current[1])
                self._current = None


def _close(pipeline) -> None:
    try:
        pipeline.close()
        history = getattr(pipeline, "history", None)  # the Pipeline leaves its History to its owner: us
        if history is not None:
            history.close()
    except Exception:  # closing must never take the server down
        logger.exception("closing a model pipeline failed")
