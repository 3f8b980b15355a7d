"""The transformers backend on a tiny random Llama built here (no download): mechanics only.
Needs the optional 'hf' extra (CPU torch + transformers), which scripts/test.sh installs; under CI a
missing extra fails these tests."""

from __future__ import annotations

import threading

import pytest

from tests.conftest import require_module  # noqa: E402

pytestmark = pytest.mark.usefixtures("hf_extra")


@pytest.fixture(scope="module")
def hf_extra():
    for name in ("torch", "transformers", "tokenizers"):
        require_module(name, "install the 'hf' extra: pip install -r requirements-hf.lock")

from models.base import Options  # noqa: E402
from models.errors import Cancelled  # noqa: E402
from models.registry import ModelRegistry  # noqa: E402


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory, hf_extra):
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    torch.manual_seed(0)
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2, "<pad>": 3, "user": 4, "assistant": 5, ":": 6}
    for i in range(500):
        vocab[f"w{i}"] = len(vocab)
    raw = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    raw.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=raw, unk_token="<unk>", bos_token="<s>", eos_token="</s>",
                                        pad_token="<pad>")
    tokenizer.chat_template = ("{% for m in messages %}{{ m['role'] }} : {{ m['content'] }} {% endfor %}"
                               "{% if add_generation_prompt %}assistant : {% endif %}")
    config = LlamaConfig(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=256,
                         bos_token_id=1, eos_token_id=2, pad_token_id=3)
    path = tmp_path_factory.mktemp("tiny-llama")
    LlamaForCausalLM(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def test_generates_streams_and_counts(tiny_model_dir):
    model = ModelRegistry().get(f"hf:{tiny_model_dir}")
    pieces = []
    response = model.execute("w1 w2 w3", Options(max_tokens=12, temperature=0), on_text=pieces.append)
    assert "".join(pieces) == response.text
    assert response.usage.prompt_tokens > 3 and 0 <= response.usage.completion_tokens <= 13
    assert response.model_id == f"hf:{tiny_model_dir}"


def test_cancel_between_tokens(tiny_model_dir):
    model = ModelRegistry().get(f"hf:{tiny_model_dir}")
    cancel = threading.Event()

    def on_text(piece):
        cancel.set()

    with pytest.raises(Cancelled):
        model.execute("w1 w2", Options(max_tokens=200, temperature=0), cancel=cancel, on_text=on_text)
