"""Optional backend for local Hugging Face models through transformers (`hf:<path-or-id>`).

transformers and torch are imported only when such a model is used; without them the registry reports
a clear ModelError. Generation runs in a worker thread feeding a TextIteratorStreamer so that we can
check cancel/timeout between tokens; a StoppingCriteria stops the worker at the next token.
"""

from __future__ import annotations

import logging
import threading

from models.base import Deadline, Message, Model, Options, Response, TextCallback
from models.errors import Cancelled, ModelError
from models.types import Usage

log = logging.getLogger(__name__)

_cache: dict[str, tuple] = {}
_cache_lock = threading.Lock()


def transformers_available() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(name) is not None for name in ("transformers", "torch"))


def _load(name: str):
    with _cache_lock:
        if name not in _cache:
            try:
                from transformers import AutoModelForCausalLM, AutoTokenizer
            except ImportError as exc:
                raise ModelError("hf: models need transformers and torch (pip install 'refactorcoder[hf]')") from exc
            try:
                tokenizer = AutoTokenizer.from_pretrained(name)
                model = AutoModelForCausalLM.from_pretrained(name)
            except Exception as exc:
                raise ModelError(f"could not load Hugging Face model {name}: {exc}") from exc
            model.eval()
            _cache[name] = (tokenizer, model, threading.Lock())
        return _cache[name]


class TransformersModel(Model):
    def __init__(self, name: str):
        self.name = name
        self.model_id = f"hf:{name}"

    def _execute(self, messages: list[Message], options: Options, *, stream: bool, deadline: Deadline,
                 on_text: TextCallback | None) -> Response:
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        tokenizer, model, lock = _load(self.name)
        stop_now = threading.Event()

        class _Stop(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs):
                return stop_now.is_set()

        if getattr(tokenizer, "chat_template", None):
            input_ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                                      return_dict=False)
        else:
            input_ids = tokenizer("\n\n".join(m["content"] for m in messages), return_tensors="pt").input_ids
        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=0.1)
        kwargs = dict(input_ids=input_ids, max_new_tokens=options.max_tokens, streamer=streamer,
                      stopping_criteria=StoppingCriteriaList([_Stop()]),
                      pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id)
        if options.temperature > 0:
            kwargs.update(do_sample=True, temperature=options.temperature)
        else:
            kwargs.update(do_sample=False)
        errors: list[BaseException] = []

        def work():
            try:
                model.generate(**kwargs)
            except BaseException as exc:  # reported to the caller below
                errors.append(exc)
                streamer.end()

        while not lock.acquire(timeout=0.05):
            deadline.check()
        parts: list[str] = []
        try:
            worker = threading.Thread(target=work, name="hf-generate", daemon=True)
            worker.start()
            import queue

            while True:
                try:
                    piece = next(iter(streamer))
                except StopIteration:
                    break
                except queue.Empty:
                    piece = ""
                try:
                    deadline.check()
                except (Cancelled, ModelError):
                    stop_now.set()
                    worker.join()
                    raise
                if piece:
                    parts.append(piece)
                    if on_text is not None:
                        on_text(piece)
            worker.join()
        finally:
            lock.release()
        if errors:
            raise ModelError(f"{self.model_id} failed: {errors[0]}")
        text = "".join(parts)
        return Response(model_id=self.model_id, text=text, usage=Usage(
            prompt_tokens=int(input_ids.shape[-1]), completion_tokens=len(tokenizer(text).input_ids)))
