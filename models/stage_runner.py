"""Runs one stage's model call with the stage's policy: timeout, retries with exponential backoff,
then the fallback list; candidates without a cloud key are skipped in favour of the local model.
Every attempt (failed ones too) is logged to history, so a run's history shows exactly what happened.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from models.base import Message, Model, Options, TextCallback
from models.errors import Cancelled, ModelError, ModelTimeout, RetryableModelError
from models.history import History
from models.registry import ModelRegistry
from models.settings import LOCAL_MODEL_ALIAS, StageSettings
from models.types import StageResult, Usage

log = logging.getLogger(__name__)

Sleeper = Callable[[float, threading.Event | None], None]


def interruptible_sleep(seconds: float, cancel: threading.Event | None) -> None:
    if cancel is None:
        time.sleep(seconds)
    elif cancel.wait(seconds):
        raise Cancelled("cancelled while waiting to retry")


def candidate_ids(stage: StageSettings) -> list[str]:
    seen: list[str] = []
    for model_id in [stage.model, *stage.fallbacks]:
        if model_id not in seen:
            seen.append(model_id)
    return seen


@dataclass
class StageOutcome:
    result: StageResult
    call_id: int | None  # history row of the call that answered
    skipped_for_key: list[str] = field(default_factory=list)  # providers skipped for a missing key


class StageRunner:
    def __init__(self, registry: ModelRegistry, history: History | None, *, sleep: Sleeper = interruptible_sleep):
        self.registry = registry
        self.history = history
        self.sleep = sleep

    def model_for(self, stage: StageSettings, model_id: str) -> Model:
        # api_base belongs to the configured first choice (an OpenAI-compatible endpoint), not to fallbacks.
        return self.registry.get(model_id, api_base=stage.api_base if model_id == stage.model else None)

    def run(self, stage_name: str, stage: StageSettings, messages: list[Message], *, run_id: int | None,
            cancel: threading.Event | None, on_text: TextCallback | None, attempt_offset: int = 0) -> StageOutcome:
        chain = candidate_ids(stage)
        options = Options(temperature=stage.temperature, max_tokens=stage.max_tokens, timeout_s=stage.timeout_s,
                          seed=stage.seed)
        attempts = attempt_offset
        errors: list[str] = []
        notes: list[str] = []
        skipped: list[str] = []
        emitted = [False]
        total_duration = 0.0

        def stream(piece: str) -> None:
            emitted[0] = True
            if on_text is not None:
                on_text(piece)

        index = 0
        while index < len(chain):
            model_id = chain[index]
            index += 1
            try:
                model = self.model_for(stage, model_id)
            except ModelError as exc:
                errors.append(str(exc))
                log.warning("%s: %s", stage_name, exc)
                continue
            if not model.keyed():
                provider = model.provider or model_id
                skipped.append(provider)
                notes.append(f"no API key for {provider}: {stage_name} ran on the local model")
                if LOCAL_MODEL_ALIAS not in chain[index:]:
                    chain.append(LOCAL_MODEL_ALIAS)  # "skip straight to the local model"
                chain[index:] = sorted(chain[index:], key=lambda m: m != LOCAL_MODEL_ALIAS)
                continue
            for attempt in range(1, stage.retries + 2):
                if cancel is not None and cancel.is_set():
                    raise Cancelled(f"cancelled before {stage_name}")
                attempts += 1
                if emitted[0] and on_text is not None:
                    # The client already shows a failed attempt's partial text: mark where the new one starts.
                    on_text(f"\n\n[{stage_name}: attempt {attempts} on {model_id}]\n\n")
                    emitted[0] = False
                started = time.monotonic()
                try:
                    response = model.execute(messages, options, stream=True, cancel=cancel, on_text=stream)
                except Cancelled:
                    self._log(run_id, stage_name, model_id, messages, None, attempts, "cancelled", started)
                    raise
                except Exception as exc:  # any backend failure: record it, then retry or fall back
                    total_duration += time.monotonic() - started
                    self._log(run_id, stage_name, model_id, messages, None, attempts, f"{type(exc).__name__}: {exc}", started)
                    errors.append(f"{model_id} attempt {attempt}: {exc}")
                    log.warning("%s on %s, attempt %d failed: %s", stage_name, model_id, attempt, exc)
                    retryable = isinstance(exc, (RetryableModelError, ModelTimeout)) or not isinstance(exc, ModelError)
                    if not retryable or attempt > stage.retries:
                        break
                    self.sleep(stage.backoff_s * (2 ** (attempt - 1)), cancel)
                    continue
                total_duration += response.duration_s
                call_id = self._log(run_id, stage_name, model_id, messages, response, attempts, None, started)
                fell_back = model_id != stage.model
                if fell_back and not skipped:
                    notes.append(f"{stage_name} answered by fallback {model_id}")
                result = StageResult(stage=stage_name, model_id=model_id, text=response.text, usage=response.usage,
                                     duration_s=total_duration, attempts=attempts - attempt_offset,
                                     fell_back=fell_back, notes=notes, finish_reason=response.finish_reason)
                return StageOutcome(result=result, call_id=call_id, skipped_for_key=skipped)
        raise ModelError(f"{stage_name}: every model failed ({'; '.join(errors) or 'no usable model'})")

    def _log(self, run_id, stage_name, model_id, messages, response, attempt, error, started) -> int | None:
        if self.history is None:
            return None
        usage = response.usage if response is not None else Usage()
        return self.history.log_call(
            run_id, stage_name, model_id, messages, response.text if response is not None else None,
            prompt_tokens=usage.prompt_tokens if response is not None else None,
            completion_tokens=usage.completion_tokens if response is not None else None,
            cost_usd=usage.cost_usd, duration_s=round(time.monotonic() - started, 4), attempt=attempt, error=error)
