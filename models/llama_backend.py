"""In-process llama.cpp backend (llama-cpp-python) for any GGUF file.

One Llama per GGUF path (and context size), loaded once and shared; a lock per instance because a Llama context is not
thread-safe and several jobs may run at once (they queue on the lock, still cancellable). The prompt is
rendered with the model's own chat template, measured in tokens and shrunk to fit the context before
generation; tokens are streamed one by one with cancel/timeout checked between them.
verbose=False everywhere: stdout belongs to the language server's JSON-RPC stream.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from models.base import Deadline, Message, Model, Options, Response, TextCallback
from models.errors import ModelError
from models.types import Usage

log = logging.getLogger(__name__)

DEFAULT_N_CTX = int(os.environ.get("REFACTORCODER_N_CTX", "8192"))

# llama-cpp-python's chat default is 1.0 (off); small models such as SmolLM2 then loop on one list
# forever. 1.1 is llama.cpp's long-standing CLI default.
REPEAT_PENALTY = 1.1

@dataclass
class _Loaded:
    llm: object  # llama_cpp.Llama
    lock: threading.Lock
    formatter: object | None  # Jinja2ChatFormatter from the GGUF's template, None -> llama's chat handler
    n_ctx: int


_cache: dict[tuple[str, int], _Loaded] = {}  # (path, n_ctx) -> model
_cache_lock = threading.Lock()
_load_locks: dict[tuple[str, int], threading.Lock] = {}


@atexit.register
def _close_cached_models() -> None:
    # Llama.__del__ during interpreter shutdown finds llama.cpp's bindings already torn down and prints a
    # TypeError traceback per model; closing them while the interpreter is intact avoids that noise.
    with _cache_lock:
        loaded_models = list(_cache.values())
        _cache.clear()
    for loaded in loaded_models:
        try:
            loaded.llm.close()
        except Exception:  # best effort at exit
            pass


def _load(path: str, n_ctx: int) -> _Loaded:
    key = (path, n_ctx)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
        load_lock = _load_locks.setdefault(key, threading.Lock())
    with load_lock:  # loading takes a while: hold only this model's lock, not the whole cache
        if key in _cache:
            return _cache[key]
        try:
            import llama_cpp
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        except ImportError as exc:
            raise ModelError("llama-cpp-python is not installed: pip install llama-cpp-python") from exc
        if not Path(path).is_file():
            raise ModelError(f"GGUF model not found: {path}")
        # Half the cores (llama.cpp's own default): on a busy 2-core machine 2 threads ran 20-30x slower
        # than 1 (spinning threads starved by the other jobs); override with REFACTORCODER_LLAMA_THREADS.
        threads = int(os.environ.get("REFACTORCODER_LLAMA_THREADS", "0")) or max(1, (os.cpu_count() or 2) // 2)
        try:
            llm = llama_cpp.Llama(model_path=path, n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads,
                                  verbose=False)
        except Exception as exc:  # bad file, unsupported architecture, out of memory
            raise ModelError(f"could not load GGUF {path}: {exc}") from exc
        formatter = None
        template = llm.metadata.get("tokenizer.chat_template")
        if template:
            eos, bos = llm.token_eos(), llm.token_bos()
            formatter = Jinja2ChatFormatter(
                template=template,
                eos_token=llm._model.token_get_text(eos) if eos != -1 else "",
                bos_token=llm._model.token_get_text(bos) if bos != -1 else "",
                stop_token_ids=[eos],
            )
        usable = min(llm.n_ctx(), llm._model.n_ctx_train() or llm.n_ctx())
        loaded = _Loaded(llm=llm, lock=threading.Lock(), formatter=formatter, n_ctx=usable)
        log.info("loaded %s (n_ctx %d, %d threads)", path, usable, threads)
        with _cache_lock:
            _cache[key] = loaded
        return loaded


def unload_all() -> None:
    """Free every cached model (tests, shutdown)."""
    with _cache_lock:
        items = list(_cache.values())
        _cache.clear()
    for item in items:
        with item.lock:
            item.llm.close()


class LlamaCppModel(Model):
    def __init__(self, path: str | os.PathLike, *, model_id: str | None = None, n_ctx: int = DEFAULT_N_CTX):
        self.path = str(Path(path).expanduser().resolve())
        self.model_id = model_id or f"gguf:{self.path}"
        self.n_ctx = n_ctx

    def _render(self, loaded: _Loaded, messages: list[Message], max_tokens: int):
        """Prompt tokens that fit n_ctx with room for `max_tokens`; the longest message is cut in the middle
        as often as needed (the system prompt and the instruction at the end survive)."""
        llm = loaded.llm
        budget = max(256, loaded.n_ctx - max_tokens - 8)
        messages = [dict(m) for m in messages]
        for _ in range(6):
            if loaded.formatter is not None:
                result = loaded.formatter(messages=messages)
                tokens = llm.tokenize(result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True)
                stop = result.stop
            else:
                result, stop = None, None
                tokens = llm.tokenize("\n".join(m["content"] for m in messages).encode("utf-8"), special=True)
            if len(tokens) <= budget:
                return tokens, stop, messages
            longest = max(range(len(messages)), key=lambda i: len(messages[i]["content"]))
            content = messages[longest]["content"]
            keep = int(len(content) * budget / len(tokens) * 0.9)
            head, tail = content[: keep * 2 // 3], content[len(content) - keep // 3 :]
            messages[longest]["content"] = f"{head}\n… [input truncated to fit the model's context] …\n{tail}"
            log.info("%s: prompt of %d tokens over budget %d, truncated", self.model_id, len(tokens), budget)
        raise ModelError(f"{self.model_id}: prompt does not fit the {loaded.n_ctx}-token context")

    def _execute(self, messages: list[Message], options: Options, *, stream: bool, deadline: Deadline,
                 on_text: TextCallback | None) -> Response:
        loaded = _load(self.path, self.n_ctx)
        max_tokens = min(options.max_tokens, max(16, loaded.n_ctx // 2))
        # Queue for the instance, still honouring cancel and the timeout while waiting.
        while not loaded.lock.acquire(timeout=0.05):
            deadline.check()
        try:
            deadline.check()
            tokens, template_stop, messages = self._render(loaded, messages, max_tokens)
            stop = list(options.stop or [])
            if isinstance(template_stop, str):
                stop.append(template_stop)
            elif template_stop:
                stop.extend(template_stop)
            kwargs = dict(max_tokens=max_tokens, temperature=options.temperature, stop=stop or None,
                          stream=True, repeat_penalty=REPEAT_PENALTY)
            if options.seed is not None:
                kwargs["seed"] = options.seed
            # A prompt that shares a prefix with the previous one reuses its KV cache, and the reused part was
            # computed in other batch shapes: the logits differ in the last bits and a temperature-0 answer can
            # change between two identical calls. Start from an empty cache so a job repeats exactly.
            loaded.llm.reset()
            if loaded.formatter is not None:
                chunks = loaded.llm.create_completion(prompt=tokens, **kwargs)
                text_of = lambda c: c["choices"][0].get("text") or ""
            else:
                chunks = loaded.llm.create_chat_completion(messages=messages, **kwargs)
                text_of = lambda c: c["choices"][0].get("delta", {}).get("content") or ""
            parts: list[str] = []
            finish = None
            try:
                # Always stream internally: it is what lets cancel and timeouts act between tokens.
                for chunk in chunks:
                    deadline.check()
                    piece = text_of(chunk)
                    if piece:
                        parts.append(piece)
                        if on_text is not None and stream:
                            on_text(piece)
                    finish = chunk["choices"][0].get("finish_reason") or finish
            finally:
                chunks.close()  # stops generation now if we left the loop early
            text = "".join(parts)
            completion_tokens = len(loaded.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)) if text else 0
        finally:
            loaded.lock.release()
        if on_text is not None and not stream and text:
            on_text(text)
        return Response(model_id=self.model_id, text=text, finish_reason=finish,
                        usage=Usage(prompt_tokens=len(tokens), completion_tokens=completion_tokens, cost_usd=None))
