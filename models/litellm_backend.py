"""Backend for every litellm provider string (openai/..., anthropic/..., ollama/..., or any
OpenAI-compatible endpoint through `api_base`).

litellm is imported lazily (≈2.4 s) and told to use its bundled cost map so nothing reaches the
internet at import. Keys are resolved at call time and handed straight to litellm; never stored.
"""

from __future__ import annotations

import logging
import os
import threading

from models.base import Deadline, Message, Model, Options, Response, TextCallback
from models.errors import Cancelled, ModelError, ModelTimeout, RetryableModelError
from models.keys import needs_key, provider_of, resolve_key
from models.types import Usage

log = logging.getLogger(__name__)

_import_lock = threading.Lock()
_litellm = None


def load_litellm():
    """Import litellm once, quietly (its import-time chatter must not reach stdout)."""
    global _litellm
    if _litellm is None:
        with _import_lock:
            if _litellm is None:
                os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
                import litellm

                litellm.suppress_debug_info = True
                litellm.drop_params = True  # providers that lack e.g. `seed` ignore it instead of failing
                _litellm = litellm
    return _litellm


class LiteLLMModel(Model):
    def __init__(self, model_id: str, *, api_base: str | None = None, key_file: str | None = None):
        self.model_id = model_id
        self.api_base = api_base
        self.key_file = key_file
        self.provider = provider_of(model_id)

    def keyed(self) -> bool:
        # An explicit api_base is a self-hosted/compatible endpoint: it may need no key at all.
        if self.api_base or not needs_key(self.provider):
            return True
        return resolve_key(self.provider, self.key_file) is not None

    def _execute(self, messages: list[Message], options: Options, *, stream: bool, deadline: Deadline,
                 on_text: TextCallback | None) -> Response:
        litellm = load_litellm()
        kwargs: dict = dict(
            model=self.model_id,
            messages=messages,
            temperature=options.temperature,
            max_tokens=options.max_tokens,
            stream=stream,
            num_retries=0,  # retries and backoff are ours (models/stage_runner.py)
            max_retries=0,
        )
        if options.timeout_s:
            kwargs["timeout"] = deadline.remaining() or options.timeout_s
        if options.stop:
            kwargs["stop"] = options.stop
        if options.seed is not None:
            kwargs["seed"] = options.seed
        if self.api_base:
            kwargs["api_base"] = self.api_base
        key = resolve_key(self.provider, self.key_file)
        if key is None and self.api_base:
            key = "none"  # OpenAI-compatible servers often accept anything; the client insists on one
        if key is not None:
            kwargs["api_key"] = key
        if stream:
            kwargs["stream_options"] = {"include_usage": True}
        try:
            if stream:
                return self._stream(litellm, kwargs, messages, deadline, on_text)
            raw = litellm.completion(**kwargs)
            text = raw.choices[0].message.content or ""
            if on_text and text:
                on_text(text)
            return Response(model_id=self.model_id, text=text, usage=self._usage(litellm, raw),
                            finish_reason=raw.choices[0].finish_reason)
        except (Cancelled, ModelError):
            raise
        except Exception as exc:  # litellm maps provider errors onto its own exception classes
            raise _translate(litellm, self.model_id, exc, secret=key) from None

    def _stream(self, litellm, kwargs, messages, deadline: Deadline, on_text) -> Response:
        chunks = []
        parts: list[str] = []
        finish = None
        stream = litellm.completion(**kwargs)
        try:
            for chunk in stream:
                deadline.check()
                chunks.append(chunk)
                if chunk.choices:
                    choice = chunk.choices[0]
                    delta = getattr(choice.delta, "content", None)
                    if delta:
                        parts.append(delta)
                        if on_text:
                            on_text(delta)
                    finish = choice.finish_reason or finish
        finally:
            close = getattr(stream, "close", None)
            if close is not None and deadline.cancel is not None and deadline.cancel.is_set():
                try:
                    close()
                except Exception:  # closing a half-read HTTP stream may fail; nothing to recover
                    pass
        usage = Usage()
        try:
            built = litellm.stream_chunk_builder(chunks, messages=messages)
            usage = self._usage(litellm, built)
        except Exception:
            log.debug("could not rebuild usage from %d chunks", len(chunks), exc_info=True)
        return Response(model_id=self.model_id, text="".join(parts), usage=usage, finish_reason=finish)

    def _usage(self, litellm, raw) -> Usage:
        u = getattr(raw, "usage", None)
        usage = Usage(
            prompt_tokens=int(getattr(u, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(u, "completion_tokens", 0) or 0),
        )
        try:
            cost = litellm.completion_cost(completion_response=raw)
            usage.cost_usd = float(cost) if cost else None
        except Exception:  # unpriced model (local server, custom alias): cost unknown, not zero
            usage.cost_usd = None
        return usage


def _translate(litellm, model_id: str, exc: Exception, *, secret: str | None) -> ModelError:
    # `from None` above and the redaction here: provider errors sometimes echo the key back.
    exceptions = litellm.exceptions
    name = type(exc).__name__
    # A read timeout in the middle of a stream reaches us wrapped (MidStreamFallbackError/APIConnectionError).
    if isinstance(exc, getattr(exceptions, "Timeout", ())) or "Timeout" in name or "timed out" in str(exc).lower():
        return ModelTimeout(f"{model_id} timed out: {_short(exc, secret)}")
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and status in (400, 401, 403, 404, 422):
        return ModelError(f"{model_id} refused the request ({status}): {_short(exc, secret)}")
    return RetryableModelError(f"{model_id} failed: {_short(exc, secret)}")


def _short(exc: Exception, secret: str | None, limit: int = 300) -> str:
    text = str(exc).replace("\n", " ")
    if secret and secret != "none":
        text = text.replace(secret, "[redacted]")
    return text if len(text) <= limit else text[:limit] + "…"
