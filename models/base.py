"""The one small model interface every backend implements.

A Model turns a prompt (a string or chat messages) into a Response, streaming text to `on_text` as it
arrives and checking `cancel` (and the Options deadline) between tokens, so that a user's cancel or a
stage timeout stops generation within one token.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, ClassVar, Sequence

from pydantic import BaseModel, ConfigDict, Field

from models.errors import Cancelled, ModelTimeout
from models.types import Usage

Message = dict  # {"role": "system"|"user"|"assistant", "content": str}
PromptLike = str | Sequence[Message]
TextCallback = Callable[[str], None]


class Options(BaseModel):
    """Generation options common to every backend. Backends may subclass to add their own."""

    model_config = ConfigDict(extra="forbid")

    temperature: float = Field(default=0.2, ge=0, le=2)
    max_tokens: int = Field(default=384, ge=1, le=32768)
    timeout_s: float | None = Field(default=None, gt=0)  # whole-call limit, enforced between tokens too
    stop: list[str] | None = None
    seed: int | None = None


class Response(BaseModel):
    model_id: str
    text: str
    usage: Usage = Field(default_factory=Usage)
    duration_s: float = 0.0
    finish_reason: str | None = None  # "stop", "length", ...


def as_messages(prompt: PromptLike) -> list[Message]:
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}]
    return [dict(m) for m in prompt]


class Deadline:
    """Checks cancel and the timeout together; backends call `check()` between tokens."""

    def __init__(self, model_id: str, timeout_s: float | None, cancel: threading.Event | None):
        self.model_id = model_id
        self.timeout_s = timeout_s
        self.cancel = cancel
        self.started = time.monotonic()
        self.expires = self.started + timeout_s if timeout_s else None

    def remaining(self) -> float | None:
        return None if self.expires is None else max(0.0, self.expires - time.monotonic())

    def check(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled(f"cancelled while {self.model_id} was generating")
        if self.expires is not None and time.monotonic() >= self.expires:
            raise ModelTimeout(f"{self.model_id} exceeded its {self.timeout_s:g}s timeout")


class Model:
    """Base class. Subclasses set `model_id` and implement `_execute`.

    `provider` is the litellm provider prefix for cloud models (used to look up keys) and None for
    local backends; `keyed` says whether the model can be called without a missing cloud key.
    """

    model_id: str = ""
    Options: ClassVar[type[Options]] = Options
    provider: str | None = None

    def keyed(self) -> bool:
        return True

    def execute(
        self,
        prompt: PromptLike,
        options: Options | None = None,
        *,
        stream: bool = True,
        cancel: threading.Event | None = None,
        on_text: TextCallback | None = None,
    ) -> Response:
        options = options or self.Options()
        deadline = Deadline(self.model_id, options.timeout_s, cancel)
        deadline.check()
        started = time.monotonic()
        response = self._execute(as_messages(prompt), options, stream=stream, deadline=deadline, on_text=on_text)
        response.duration_s = time.monotonic() - started
        return response

    def _execute(
        self,
        messages: list[Message],
        options: Options,
        *,
        stream: bool,
        deadline: Deadline,
        on_text: TextCallback | None,
    ) -> Response:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.model_id}>"
