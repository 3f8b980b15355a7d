"""Shared fixtures for the model layer: scripted fake models, the embedded GGUF, free ports."""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from models.base import Deadline, Model, Options, Response  # noqa: E402
from models.types import Usage  # noqa: E402


class FakeModel(Model):
    """Plays a script, one entry per call: a str (answered, streamed word by word), an Exception
    (raised), or ("hang", seconds) (streams nothing and waits, checking cancel/timeout like a backend)."""

    def __init__(self, model_id: str, script: list, *, provider: str | None = None, keyed: bool = True,
                 token_delay: float = 0.0):
        self.model_id = model_id
        self.script = list(script)
        self.provider = provider
        self._keyed = keyed
        self.token_delay = token_delay
        self.calls: list[list[dict]] = []

    def keyed(self) -> bool:
        return self._keyed

    def _execute(self, messages, options: Options, *, stream, deadline: Deadline, on_text) -> Response:
        self.calls.append(messages)
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(step, BaseException):
            raise step
        if isinstance(step, tuple) and step[0] == "hang":
            end = time.monotonic() + step[1]
            while time.monotonic() < end:
                deadline.check()
                time.sleep(0.01)
            return Response(model_id=self.model_id, text="late")
        words = step.split(" ")
        for i, word in enumerate(words):
            deadline.check()
            if self.token_delay:
                time.sleep(self.token_delay)
            if on_text:
                on_text(word if i == 0 else " " + word)
        return Response(model_id=self.model_id, text=step,
                        usage=Usage(prompt_tokens=10, completion_tokens=len(words), cost_usd=0.001))


@pytest.fixture
def fake_model():
    return FakeModel


@pytest.fixture(scope="session")
def gguf_path(tiny_gguf):
    """The model of the mechanics tests (backend, litellm server): SmolLM2, alias `tiny`."""
    return tiny_gguf


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def no_cloud_keys(monkeypatch):
    from models.keys import PROVIDER_KEY_ENV

    for name in PROVIDER_KEY_ENV.values():
        monkeypatch.delenv(name, raising=False)


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.1) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(interval)
    return False


__all__ = ["FakeModel", "free_port", "wait_for", "threading"]


class CancelAfter:
    """An on_text callback that records streamed pieces and sets `event` once `n` have arrived."""

    def __init__(self, n: int):
        self.n = n
        self.event = threading.Event()
        self.pieces: list[str] = []

    def __call__(self, piece: str) -> None:
        self.pieces.append(piece)
        if len(self.pieces) == self.n:
            self.event.set()
