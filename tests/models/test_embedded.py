"""The embedded model's assembly: chunk wheels -> one verified GGUF, or a clear error and no file."""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import replace

import pytest

from models import embedded
from models.errors import ModelError


def make_wheels(tmp_path, chunks: list[bytes]):
    wheels = []
    for n, data in enumerate(chunks, start=1):
        wheel = tmp_path / f"fake_part{n}-0.9.0-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as zf:
            zf.writestr(f"fake_part{n}/data/part{n:02d}.bin", data)
        wheels.append(wheel)
    return wheels


def spec(chunks: list[bytes]) -> embedded.ChunkedGGUF:
    whole = b"".join(chunks)
    return replace(embedded.QWEN_CODER_05B, filename="m.gguf", size=len(whole),
                   sha256=hashlib.sha256(whole).hexdigest(),
                   parts=tuple(f"fake-part{n}==0.9.0" for n in range(1, len(chunks) + 1)),
                   member="fake_part{n}/data/part{n:02d}.bin")


def test_assembles_chunks_in_order_and_verifies(tmp_path):
    chunks = [b"GGUF" + b"a" * 1000, b"b" * 77, b"c" * 5]
    out = embedded.assemble(spec(chunks), make_wheels(tmp_path, chunks), tmp_path / "models" / "m.gguf")
    assert out.read_bytes() == b"".join(chunks)
    assert not list(out.parent.glob("*.partial"))


def test_checksum_mismatch_is_a_clear_error_and_leaves_no_file(tmp_path):
    chunks = [b"one", b"two"]
    wheels = make_wheels(tmp_path, [b"one", b"tw0"])  # a damaged chunk of the same size
    dest = tmp_path / "models" / "m.gguf"
    with pytest.raises(ModelError, match="checksum mismatch.*was not installed"):
        embedded.assemble(spec(chunks), wheels, dest)
    assert not dest.exists() and not list(dest.parent.glob("*"))


def test_wrong_chunk_order_is_caught(tmp_path):
    chunks = [b"first", b"second"]
    wheels = make_wheels(tmp_path, chunks)
    with pytest.raises(ModelError, match="no chunk"):
        embedded.assemble(spec(chunks), list(reversed(wheels)), tmp_path / "m.gguf")


def test_a_damaged_install_is_never_used(tmp_path, monkeypatch):
    monkeypatch.setenv("REFACTORCODER_MODEL_DIR", str(tmp_path))
    model = replace(embedded.QWEN_CODER_05B, filename="damaged-test.gguf")
    (tmp_path / model.filename).write_bytes(b"GGUF truncated")
    with pytest.raises(ModelError, match="damaged"):
        embedded.find(model)


def test_missing_model_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("REFACTORCODER_MODEL_DIR", str(tmp_path))
    model = replace(embedded.QWEN_CODER_05B, filename="absent-test.gguf")
    with pytest.raises(ModelError, match="scripts/setup.sh"):
        embedded.require(model)


def test_installed_default_is_the_verified_qwen(local_gguf):
    """The real file set-up assembled: right size and GGUF magic (the full sha256 was checked at install)."""
    assert local_gguf.stat().st_size == embedded.QWEN_CODER_05B.size
    assert local_gguf.read_bytes()[:4] == b"GGUF"
