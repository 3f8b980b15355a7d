"""API keys: resolved at call time from the environment or the user's key file.

Keys are never stored in Settings, never written to the history database and never logged:
callers get the value, pass it straight to the provider client and drop it.
"""

from __future__ import annotations

import os
from pathlib import Path

# litellm provider prefix -> environment variable holding its key. Providers absent from this map
# (ollama, bedrock, vertex_ai, ...) either need no key or use other credentials: we treat them as keyed
# and let the provider client report a problem.
PROVIDER_KEY_ENV: dict[str, str] = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "gemini": "GEMINI_API_KEY",
    "groq": "GROQ_API_KEY",
    "mistral": "MISTRAL_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
    "cohere": "COHERE_API_KEY",
    "together_ai": "TOGETHERAI_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
    "fireworks_ai": "FIREWORKS_AI_API_KEY",
    "xai": "XAI_API_KEY",
    "azure": "AZURE_API_KEY",
    "perplexity": "PERPLEXITYAI_API_KEY",
    "huggingface": "HF_TOKEN",
}


def provider_of(model_id: str) -> str:
    """'openai/gpt-4o-mini' -> 'openai'; a bare litellm name like 'gpt-4o' -> 'openai'
    (litellm routes bare names there too); 'claude-...' -> 'anthropic'."""
    if "/" in model_id:
        return model_id.split("/", 1)[0].lower()
    if model_id.startswith("claude"):
        return "anthropic"
    return "openai"


def _read_key_file(path: str | os.PathLike) -> dict[str, str]:
    """NAME=value lines; '#' comments, blank lines, an optional 'export ' prefix and quotes allowed."""
    values: dict[str, str] = {}
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8")
    except OSError:
        return values
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        name, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        if value:
            values[name.strip()] = value
    return values


def env_var_for(provider: str) -> str | None:
    return PROVIDER_KEY_ENV.get(provider)


def resolve_key(provider: str, key_file: str | None = None) -> str | None:
    """The key for `provider`, from the environment first, then the key file; None when neither has it
    or when the provider has no known key variable."""
    name = PROVIDER_KEY_ENV.get(provider)
    if name is None:
        return None
    value = os.environ.get(name)
    if value:
        return value
    if key_file:
        return _read_key_file(key_file).get(name)
    return None


def needs_key(provider: str) -> bool:
    return provider in PROVIDER_KEY_ENV
