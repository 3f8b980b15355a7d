"""Connection to the Docker engine (local socket or DOCKER_HOST) through the docker SDK."""

from __future__ import annotations

import functools
import os
import shutil
import threading

from sandbox.errors import SandboxUnavailable

_lock = threading.Lock()
_client = None


def get_client(timeout: int = 120):
    """A shared docker SDK client; raises SandboxUnavailable with start-up instructions if unreachable."""
    global _client
    with _lock:
        if _client is not None:
            return _client
        try:
            import docker
        except ImportError as exc:  # pragma: no cover - dependency declared in pyproject
            raise SandboxUnavailable("the docker SDK (python package `docker`) is not installed") from exc
        try:
            client = docker.from_env(timeout=timeout)
            client.ping()
        except Exception as exc:  # DockerException, requests errors, FileNotFoundError on the socket
            where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
            raise SandboxUnavailable(f"the Docker engine at {where} is not reachable ({exc.__class__.__name__}: "
                                     f"{str(exc)[:200]})") from exc
        _client = client
        return client


def reset_client() -> None:
    """Forget the cached client (tests that simulate an unreachable engine)."""
    global _client
    with _lock:
        _client = None


@functools.lru_cache(maxsize=1)
def available_runtimes() -> frozenset[str]:
    try:
        return frozenset(get_client().info().get("Runtimes", {}).keys())
    except SandboxUnavailable:
        return frozenset()


def resolve_runtime(requested: str | None) -> str | None:
    """The OCI runtime to use. ``None``/"runc" means the default; "runsc" (gVisor) must be registered.

    Requested isolation is never dropped silently: asking for gVisor when it is not configured is an error.
    ``REFACTORCODER_SANDBOX_RUNTIME`` sets the default.
    """
    requested = requested or os.environ.get("REFACTORCODER_SANDBOX_RUNTIME") or None
    if requested in (None, "", "runc", "default"):
        return None
    if requested not in available_runtimes():
        hint = " (runsc is installed; register it in /etc/docker/daemon.json, see docs/sandbox.md)" \
            if shutil.which("runsc") else " (apt-get install runsc)"
        raise SandboxUnavailable(f"container runtime {requested!r} is not registered with the engine{hint}",
                                 "Run `REFACTORCODER_GVISOR=1 scripts/ensure-docker.sh` to configure gVisor.")
    return requested
