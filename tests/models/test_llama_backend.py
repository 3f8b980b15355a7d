"""The llama.cpp backend on the real SmolLM2-135M GGUF (alias `tiny`: fast, mechanics only)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from models.base import Options
from models.errors import Cancelled, ModelError, ModelTimeout
from models.registry import ModelRegistry
from .conftest import CancelAfter

pytestmark = pytest.mark.llama
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def local(gguf_path):
    from models.llama_backend import LlamaCppModel

    return LlamaCppModel(gguf_path)


def test_streams_token_by_token_with_usage(local):
    pieces = []
    response = local.execute("Write a Python function add(a, b).", Options(max_tokens=40, temperature=0),
                             on_text=pieces.append)
    assert response.text and "".join(pieces) == response.text
    assert len(pieces) >= 10  # many small pieces, not one blob
    assert response.usage.prompt_tokens > 10 and 1 <= response.usage.completion_tokens <= 42
    assert response.usage.cost_usd is None and response.duration_s > 0
    assert response.finish_reason in ("stop", "length")


def test_deterministic_at_temperature_zero(local):
    a = local.execute("Name three colours.", Options(max_tokens=20, temperature=0, seed=1))
    b = local.execute("Name three colours.", Options(max_tokens=20, temperature=0, seed=1))
    assert a.text == b.text


def test_cancel_stops_within_a_token(local):
    stop = CancelAfter(3)
    with pytest.raises(Cancelled):
        local.execute("Tell me a long story about a dragon.", Options(max_tokens=300), cancel=stop.event, on_text=stop)
    assert len(stop.pieces) == 3


def test_timeout_between_tokens(local):
    started = time.monotonic()
    with pytest.raises(ModelTimeout):
        local.execute("Tell me a long story about a dragon.", Options(max_tokens=2000, timeout_s=0.3))
    assert time.monotonic() - started < 2


def test_model_is_cached_per_path_and_registry_aliases(gguf_path):
    from models import llama_backend

    registry = ModelRegistry()
    local = registry.get("tiny")
    by_path = registry.get(f"gguf:{gguf_path}")
    assert local.model_id == "tiny" and by_path.model_id == f"gguf:{Path(gguf_path).resolve()}"
    assert local.path == by_path.path
    local.execute("hi", Options(max_tokens=2))
    by_path.execute("hi", Options(max_tokens=2))
    assert [key[0] for key in llama_backend._cache].count(local.path) == 1


def test_concurrent_jobs_serialise_on_the_instance_lock(local):
    results, errors = [], []

    def job(n):
        try:
            results.append(local.execute(f"Count to {n}.", Options(max_tokens=15, temperature=0)).text)
        except Exception as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=job, args=(n,)) for n in range(2, 6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 4 and all(results)


def test_cancel_while_queued_behind_another_job(local):
    from models import llama_backend

    loaded = llama_backend._cache[(local.path, local.n_ctx)]
    cancel = threading.Event()
    with loaded.lock:  # another job holds the model
        threading.Timer(0.2, cancel.set).start()
        with pytest.raises(Cancelled):
            local.execute("hi", Options(max_tokens=5), cancel=cancel)


def test_long_input_is_truncated_to_fit(gguf_path):
    from models.llama_backend import LlamaCppModel, _load

    small = LlamaCppModel(gguf_path, n_ctx=512)  # a small context keeps prompt evaluation quick on CPU
    loaded = _load(small.path, small.n_ctx)
    huge = "def f(x):\n    return x + 1\n" * 3000  # ≈ 40k tokens, far beyond n_ctx
    response = small.execute([{"role": "system", "content": "Be brief."},
                              {"role": "user", "content": huge + "\nWhat does f do?"}], Options(max_tokens=10))
    assert response.usage.prompt_tokens <= loaded.n_ctx - 10


def test_missing_gguf_is_a_model_error(tmp_path):
    model = ModelRegistry().get(f"gguf:{tmp_path / 'nope.gguf'}")
    with pytest.raises(ModelError, match="not found"):
        model.execute("hi", Options(max_tokens=2))


def test_nothing_reaches_stdout(gguf_path):
    """stdout is the language server's JSON-RPC channel: loading and generating must not write to it."""
    code = (
        "from models.registry import ModelRegistry; from models.base import Options\n"
        "m = ModelRegistry().get('local'); r = m.execute('Say hi.', Options(max_tokens=8))\n"
        "import sys; sys.stderr.write('generated %d chars' % len(r.text))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr.decode()
    assert out.stdout == b""
    assert b"generated" in out.stderr
