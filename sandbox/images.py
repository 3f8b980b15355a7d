"""Offline image builds: a debootstrapped Debian base, then one Dockerfile layer per language.

There is no registry to pull from, so the base image is made with ``debootstrap`` from Debian's
package mirror and ``docker import``. Each language image is ``sandbox/images/<lang>/Dockerfile``
built ``FROM`` that base (the same Dockerfiles build against ``debian:bookworm-slim`` for users who
have a registry). Every tag carries a hash of its recipe, so a build is a no-op unless a recipe
changed.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterable

from sandbox.engine import get_client
from sandbox.errors import ImageMissing, SandboxError
from source import languages

IMAGES_DIR = Path(__file__).with_name("images")
LANGUAGES = languages.SANDBOX_KEYS  # one image per language of the table (source/languages.py)
REPO = "refactorcoder-sandbox"
RECIPE_LABEL = "refactorcoder.recipe"
SUITE = "bookworm"
BASE_PACKAGES = ("python3",)  # the in-container supervisor is a Python script
DEFAULT_MIRROR = "http://deb.debian.org/debian"
BUILD_ORDER = ("rust", "go", "java", "cpp", "js", "python")  # slowest first: shortest total build

# progress(event, language, message): event is "start", "log", "done", "skip" or "error".
Progress = Callable[[str, str, str], None]


def _sha(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()


def base_recipe_hash() -> str:
    return _sha("debootstrap", SUITE, "minbase", ",".join(BASE_PACKAGES), "v1")


def language_recipe_hash(language: str) -> str:
    dockerfile = (IMAGES_DIR / language / "Dockerfile").read_bytes()
    return _sha(base_recipe_hash(), language, dockerfile)


def base_tag() -> str:
    return f"{REPO}/base:{base_recipe_hash()[:16]}"


def image_tag(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; expected one of {', '.join(LANGUAGES)}")
    return f"{REPO}/{language}:{language_recipe_hash(language)[:16]}"


def _image_exists(tag: str) -> bool:
    import docker.errors

    try:
        get_client().images.get(tag)
        return True
    except docker.errors.ImageNotFound:
        return False


def require_image(language: str) -> str:
    """The tag of the language's image; raises ImageMissing if it has not been built."""
    tag = image_tag(language)
    if not _image_exists(tag):
        raise ImageMissing(language, tag)
    return tag


def missing_images(languages: Iterable[str] = LANGUAGES) -> list[str]:
    return [lang for lang in languages if not _image_exists(image_tag(lang))]


def debian_mirror() -> str:
    """The host's Debian mirror (deb822 ``URIs:`` or sources.list), overridable by an env var."""
    env = os.environ.get("REFACTORCODER_DEBIAN_MIRROR")
    if env:
        return env
    deb822 = Path("/etc/apt/sources.list.d/debian.sources")
    if deb822.exists():
        for line in deb822.read_text().splitlines():
            if line.startswith("URIs:") and "security" not in line:
                return line.split(None, 1)[1].strip().split()[0]
    legacy = Path("/etc/apt/sources.list")
    if legacy.exists():
        for line in legacy.read_text().splitlines():
            m = re.match(r"deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+bookworm\s", line)
            if m:
                return m.group(1)
    return DEFAULT_MIRROR


def _build_base(progress: Progress) -> None:
    tag = base_tag()
    if _image_exists(tag):
        progress("skip", "base", f"{tag} is up to date")
        return
    if shutil.which("debootstrap") is None:
        raise SandboxError("debootstrap is not installed (apt-get install -y debootstrap); it is needed to "
                           "build the base image without a registry")
    progress("start", "base", f"debootstrap {SUITE} (minbase + {', '.join(BASE_PACKAGES)})")
    with tempfile.TemporaryDirectory(prefix="refactorcoder-rootfs-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        cmd = ["debootstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}", SUITE,
               str(rootfs), debian_mirror()]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        tail: list[str] = []
        for line in proc.stdout:
            tail = (tail + [line.rstrip()])[-20:]
            progress("log", "base", line.rstrip())
        if proc.wait() != 0:
            raise SandboxError("debootstrap failed:\n" + "\n".join(tail))
        progress("log", "base", "docker import")
        # Stream the rootfs as a tar straight into the engine (works for remote DOCKER_HOST too).
        tar_path = Path(tmp) / "rootfs.tar"
        subprocess.run(["tar", "-C", str(rootfs), "-cf", str(tar_path), "."], check=True)
        get_client().api.import_image_from_file(
                str(tar_path), repository=tag.split(":")[0], tag=tag.split(":")[1],
                changes=[f"LABEL {RECIPE_LABEL}={base_recipe_hash()}", "ENV LANG=C.UTF-8",
                         "CMD [\"/bin/sh\"]"])
    if not _image_exists(tag):
        raise SandboxError(f"docker import did not produce {tag}")
    progress("done", "base", tag)


def _build_language(language: str, progress: Progress, force: bool = False) -> None:
    tag = image_tag(language)
    if not force and _image_exists(tag):
        progress("skip", language, f"{tag} is up to date")
        return
    progress("start", language, f"docker build {tag}")
    api = get_client().api
    error = None
    for chunk in api.build(path=str(IMAGES_DIR / language), tag=tag, buildargs={"BASE": base_tag()},
                           labels={RECIPE_LABEL: language_recipe_hash(language)}, rm=True, forcerm=True,
                           decode=True):
        if "error" in chunk:
            error = chunk["error"]
        text = (chunk.get("stream") or chunk.get("status") or "").strip()
        if text:
            progress("log", language, text)
    if error or not _image_exists(tag):
        raise SandboxError(f"building the {language} image failed: {error}")
    get_client().api.tag(tag, f"{REPO}/{language}", "latest")
    _remove_stale(f"{REPO}/{language}", keep=tag)
    progress("done", language, tag)


def _remove_stale(repository: str, keep: str) -> None:
    """Untag images of older recipes so that rebuilds do not pile up on disk."""
    client = get_client()
    for image in client.images.list(name=repository):
        for t in image.tags:
            if t != keep and not t.endswith(":latest") and t.startswith(repository + ":"):
                try:
                    client.images.remove(t)
                except Exception:  # in use by a running container: leave it for next time
                    pass


def build_images(languages: Iterable[str] = LANGUAGES, progress: Progress | None = None,
                 force: bool = False, parallel: int = 3) -> dict[str, str]:
    """Build the base and the requested language images; returns {language: status}.

    Language layers build in parallel: they mostly wait on package downloads and dpkg.
    """
    progress = progress or (lambda event, lang, msg: None)
    langs = list(dict.fromkeys(languages))
    for lang in langs:
        image_tag(lang)  # validates the name
    statuses: dict[str, str] = {}
    lock = threading.Lock()

    def record(event: str, lang: str, msg: str) -> None:
        with lock:
            if event in ("done", "skip", "error"):
                statuses[lang] = event
            progress(event, lang, msg)

    if force or any(not _image_exists(image_tag(lang)) for lang in langs):
        _build_base(record)
    errors: list[str] = []

    def one(lang: str) -> None:
        try:
            _build_language(lang, record, force)
        except Exception as exc:  # report every language, then fail
            record("error", lang, str(exc))
            errors.append(f"{lang}: {exc}")

    slowest_first = sorted(langs, key=lambda lang: BUILD_ORDER.index(lang))
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        list(pool.map(one, slowest_first))
    if errors:
        raise SandboxError("image build failed: " + "; ".join(errors))
    return statuses


def dockerfile_context(language: str) -> bytes:
    """The Dockerfile as a tar (for callers that build against a remote engine themselves)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.add(IMAGES_DIR / language / "Dockerfile", arcname="Dockerfile")
    return buf.getvalue()
