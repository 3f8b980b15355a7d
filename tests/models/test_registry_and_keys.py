"""Model ids, aliases, key resolution, settings, prompts."""

from __future__ import annotations

import pytest

from models import prompts
from models.errors import ModelError, SettingsError
from models.keys import provider_of, resolve_key
from models.litellm_backend import LiteLLMModel
from models.registry import ModelRegistry
from models.settings import Settings
from models.types import Problem

from .conftest import FakeModel


def test_registry_spellings(tmp_path):
    registry = ModelRegistry()
    cloud = registry.get("openai/gpt-4o-mini")
    assert isinstance(cloud, LiteLLMModel) and cloud.provider == "openai" and cloud.api_base is None
    compat = registry.get("openai/smol", api_base="http://127.0.0.1:1/v1")
    assert compat.api_base == "http://127.0.0.1:1/v1" and compat is not cloud
    assert registry.get("openai/gpt-4o-mini") is cloud  # instances are reused
    assert registry.get("ollama/llama3").provider == "ollama"
    assert registry.get(f"gguf:{tmp_path}/m.gguf").model_id == f"gguf:{tmp_path}/m.gguf"
    assert registry.get("hf:some/model").model_id == "hf:some/model"
    with pytest.raises(ModelError, match="unknown model"):
        registry.get("gpt4")
    with pytest.raises(ModelError):
        registry.get("gguf:")


def test_local_alias_honours_local_model_path(tmp_path):
    registry = ModelRegistry(local_model_path=str(tmp_path / "other.gguf"))
    model = registry.get("local")
    assert model.model_id == "local" and model.path.endswith("other.gguf")


def test_reports_name_the_real_model_file(tmp_path):
    gguf = tmp_path / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    registry = ModelRegistry(local_model_path=str(gguf))
    assert registry.describe("local") == "local (qwen2.5-coder-1.5b-instruct-q4_k_m.gguf)"
    assert registry.describe(f"gguf:{gguf}") == "gguf:qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    assert registry.describe("openai/gpt-4o-mini") == "openai/gpt-4o-mini"


def test_register_overrides_alias():
    registry = ModelRegistry()
    fake = FakeModel("x", ["hi"])
    registry.register("local", fake)
    assert registry.get("local") is fake
    registry.register("lazy", lambda: FakeModel("lazy", ["ok"]))
    assert registry.get("lazy") is registry.get("lazy")


def test_provider_of():
    assert provider_of("openai/gpt-4o-mini") == "openai"
    assert provider_of("anthropic/claude-3-5-sonnet") == "anthropic"
    assert provider_of("claude-3-haiku") == "anthropic"
    assert provider_of("gpt-4o") == "openai"


def test_key_resolution_env_first_then_file(tmp_path, monkeypatch):
    key_file = tmp_path / "keys"
    key_file.write_text('# comment\n\nANTHROPIC_API_KEY="from-file"\nOPENAI_API_KEY=file-openai\nbroken line\n')
    monkeypatch.setenv("OPENAI_API_KEY", "from-env")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert resolve_key("openai", str(key_file)) == "from-env"
    assert resolve_key("anthropic", str(key_file)) == "from-file"
    assert resolve_key("anthropic", str(tmp_path / "missing")) is None
    assert resolve_key("ollama", str(key_file)) is None


def test_settings_stage_lookup_and_errors():
    s = Settings.from_dict({"solve": {"model": "openai/gpt-4o-mini"}})
    assert s.stage_settings("fix").model == "openai/gpt-4o-mini"
    assert s.stage_settings("judge").temperature == 0.0
    with pytest.raises(SettingsError, match="guide.retries"):
        Settings.from_dict({"guide": {"retries": -1}})
    with pytest.raises(SettingsError):
        Settings.from_dict({"api_key": "sk-x"})  # keys are not settings
    with pytest.raises(SettingsError):
        s.stage_settings("deploy")


def test_prompts_follow_the_paper_and_truncate():
    problem = Problem(title="T", description="D" * 20000, code="x = 1", language="cpp")
    guide = prompts.guide_messages(problem)[-1]["content"]
    assert "Objective: Generate a structured methodology" in guide and "Avoid providing the final code" in guide
    assert "characters omitted" in guide and len(guide) < 8000 and "```cpp\nx = 1\n```" in guide
    solve = prompts.solve_messages(problem, "step 1")[-1]["content"]
    assert "GuideLLM Response: step 1" in solve and "```cpp" in solve and "C++" in solve
    assert "GuideLLM Response" not in prompts.solve_messages(problem, None)[-1]["content"]
    judge = prompts.judge_messages(problem, "step 1", "answer")[-1]["content"]
    assert "SolverLLM Response: answer" in judge and "Scores: Accuracy = N, Clarity = N, Efficiency = N" in judge
    assert "1 to 5" in judge and "Strengths:" in judge and "Weaknesses:" in judge
    retry = prompts.judge_retry_messages(prompts.judge_messages(problem, None, "a"), "meh")
    assert len(retry) == 2 and retry[-1]["role"] == "user" and "Scores: Accuracy = N" in retry[-1]["content"]
    assert retry[-1]["content"].endswith(prompts.JUDGE_REMINDER)


def test_transformers_backend_if_installed():
    from models.hf_backend import transformers_available

    from tests.conftest import require_real_part

    require_real_part(None if transformers_available() else
                      "transformers/torch not installed (the 'hf' extra: pip install -r requirements-hf.lock)")
    model = ModelRegistry().get("hf:/nonexistent/model/dir")
    with pytest.raises(ModelError):
        model.execute("hi")


def test_cost_from_litellm_price_table_when_priced():
    """litellm's bundled price table prices known models; unknown (self-hosted) ones stay None, not 0."""
    from models.litellm_backend import load_litellm

    litellm = load_litellm()

    def response(model):
        return litellm.ModelResponse(
            model=model, choices=[{"message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop", "index": 0}],
            usage={"prompt_tokens": 1000, "completion_tokens": 500, "total_tokens": 1500})

    priced = LiteLLMModel("openai/gpt-4o-mini")._usage(litellm, response("gpt-4o-mini"))
    assert priced.prompt_tokens == 1000 and priced.completion_tokens == 500 and priced.cost_usd > 0
    assert LiteLLMModel("openai/smol")._usage(litellm, response("smol")).cost_usd is None
