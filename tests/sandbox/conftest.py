"""Fixtures for the sandbox tests.

Tests marked ``docker`` need a reachable engine and the built images. Without them they are skipped
with the reason, except when the environment variable CI is set: then they fail, so that CI cannot
go green without actually exercising the sandbox.
"""

from __future__ import annotations

import os

import psutil
import pytest

from sandbox.errors import SandboxUnavailable

_state: dict = {}


def _engine_problem() -> str | None:
    if "problem" not in _state:
        try:
            from sandbox.engine import get_client
            from sandbox.images import missing_images

            get_client()
            missing = missing_images()
            _state["problem"] = (f"sandbox images missing for {', '.join(missing)} "
                                 "(run `refactorcoder sandbox build`)") if missing else None
        except SandboxUnavailable as exc:
            _state["problem"] = str(exc)
    return _state["problem"]


@pytest.fixture(autouse=True)
def _require_docker(request):
    if request.node.get_closest_marker("docker") is None:
        return
    problem = _engine_problem()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but the sandbox is unavailable: {problem}")
        pytest.skip(f"sandbox unavailable: {problem}")


@pytest.fixture(scope="session")
def sandbox():
    if _engine_problem():
        pytest.skip("sandbox unavailable")
    from sandbox import Sandbox

    with Sandbox(pool_size=1) as sb:
        yield sb


def nobody_processes() -> list[psutil.Process]:
    """Host processes running as the sandbox uid, other than pooled containers' idle `sleep`."""
    out = []
    for proc in psutil.process_iter(["uids", "cmdline"]):
        try:
            if proc.info["uids"] and proc.info["uids"].real == 65534:
                cmd = proc.info["cmdline"] or []
                if cmd[:1] == ["sleep"] and len(cmd) == 2:
                    continue  # PID 1 of an idle sandbox container
                out.append(proc)
        except psutil.Error:
            continue
    return out


@pytest.fixture
def host_unaffected(sandbox):
    """Asserts after the test that no sandbox process survived and pooled containers are idle."""
    yield
    from sandbox.containers import own_containers

    leftovers = [p.info["cmdline"] for p in nobody_processes()]
    assert leftovers == [], f"sandbox processes outlived their run on the host: {leftovers}"
    for container in own_containers():
        procs = container.top().get("Processes") or []
        commands = [row[-1] for row in procs]
        assert all(cmd.startswith("sleep") for cmd in commands), f"pooled container not idle: {commands}"
