"""Derived images: a language image plus read-only files under one directory (for example the pure-Python
and matching compiled packages of a workspace's environment), built once per content hash.

The layer only adds files (root-owned, mode 0644/0755) under ``LAYER_ROOT``; a container of it gets
every isolation property of the language image (the root filesystem is read-only, so the added files
are too). The sandbox runs a derived image only when it carries the label of the language image it
was built from, so a RunSpec cannot name an arbitrary image.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

from sandbox.engine import get_client
from sandbox.errors import SandboxError
from sandbox.images import REPO, require_image

LAYER_ROOT = "/opt/refactorcoder-layer"
BASE_LABEL = "refactorcoder.layer.base"
MAX_LAYER_BYTES = 1 << 30


def layer_tag(language: str, name: str, digest: str) -> str:
    return f"{REPO}/{language}-{name}:{digest[:16]}"


def content_digest(files: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for path in sorted(files):
        h.update(path.encode() + b"\0" + hashlib.sha256(files[path]).digest())
    return h.hexdigest()


def build_layer(language: str, name: str, files: dict[str, bytes | Path], digest: str | None = None,
                executable: frozenset[str] = frozenset()) -> str:
    """The tag of `language`'s image plus `files` (relative paths -> bytes, or host files read when the
    layer is built) under LAYER_ROOT; built only when no image of that content exists yet. `digest`
    names the content when the caller knows it (e.g. from wheel RECORD hashes); else the bytes are
    hashed. Raises SandboxError when the build fails."""
    import docker.errors

    base = require_image(language)
    if digest is None:
        digest = content_digest({p: d if isinstance(d, bytes) else Path(d).read_bytes() for p, d in files.items()})
    tag = layer_tag(language, name, hashlib.sha256(f"{digest}\0{base}".encode()).hexdigest())
    client = get_client()
    try:
        client.images.get(tag)
        return tag
    except docker.errors.ImageNotFound:
        pass
    total = sum(len(b) if isinstance(b, bytes) else Path(b).stat().st_size for b in files.values())
    if total > MAX_LAYER_BYTES:
        raise SandboxError(f"a layer of {total >> 20} MiB is over the {MAX_LAYER_BYTES >> 20} MiB limit")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        dockerfile = f"FROM {base}\nCOPY layer {LAYER_ROOT}\n".encode()
        _add(tar, "Dockerfile", dockerfile, 0o644)
        for path, data in sorted(files.items()):
            parts = path.split("/")
            if path.startswith("/") or any(p in ("", ".", "..") for p in parts):
                raise SandboxError(f"layer file name {path!r} must be a relative path without '..'")
            if not isinstance(data, bytes):
                data = Path(data).read_bytes()
            _add(tar, f"layer/{path}", data, 0o755 if path in executable else 0o644)
    buf.seek(0)
    error = None
    for chunk in client.api.build(fileobj=buf, custom_context=True, tag=tag, rm=True, forcerm=True, decode=True,
                                  labels={BASE_LABEL: base}):
        if "error" in chunk:
            error = chunk["error"]
    if error:
        raise SandboxError(f"building the layer {tag} failed: {error}")
    return tag


def _add(tar: tarfile.TarFile, name: str, data: bytes, mode: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.uid, info.gid = len(data), mode, 0, 0
    tar.addfile(info, io.BytesIO(data))


def require_layer(language: str, image: str) -> str:
    """`image` when it is a layer built from `language`'s current image; else SandboxError."""
    import docker.errors

    base = require_image(language)
    if not image.startswith(f"{REPO}/{language}-"):
        raise SandboxError(f"{image!r} is not a sandbox layer of the {language} image")
    try:
        labels = get_client().images.get(image).labels or {}
    except docker.errors.ImageNotFound:
        raise SandboxError(f"the sandbox layer {image} is not built") from None
    if labels.get(BASE_LABEL) != base:
        raise SandboxError(f"the sandbox layer {image} was not built from {base}")
    return image
