"""Fixtures for the sandbox tests.

Tests marked ``docker`` need a reachable engine and the built images. Without them they are skipped
with the reason, except when the environment variable CI is set: then they fail, so that CI cannot
go green without actually exercising the sandbox.
"""

from __future__ import annotations

import os
import re

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


def _fail_or_skip() -> None:
    problem = _engine_problem()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but the sandbox is unavailable: {problem}")
        pytest.skip(f"sandbox unavailable: {problem}")


@pytest.fixture(autouse=True)
def _require_docker(request):
    if request.node.get_closest_marker("docker") is not None:
        _fail_or_skip()


@pytest.fixture(scope="session")
def sandbox():
    _fail_or_skip()  # session fixtures run before the autouse check above
    from sandbox import Sandbox

    with Sandbox(pool_size=1) as sb:
        yield sb


def _container_of(pid: int) -> str | None:
    try:
        text = open(f"/proc/{pid}/cgroup").read()
    except OSError:
        return None
    match = re.search(r"[0-9a-f]{64}", text)
    return match.group(0) if match else ""


def stray_sandbox_processes() -> list[list[str]]:
    """Host processes of a sandbox uid (any seat's) that are neither the idle `sleep` of a container nor its resident
    supervisor, and that belong to this test session's containers or to no live container at all (escaped)."""
    from sandbox.containers import LABEL, SEAT_UIDS
    from sandbox.engine import get_client
    from sandbox.supervisor import SOURCE

    containers = get_client().containers.list(filters={"label": f"{LABEL}=1"})
    live = {c.id for c in containers}
    mine = {c.id for c in containers if (c.labels or {}).get("refactorcoder.owner.pid") == str(os.getpid())}
    out = []
    for proc in psutil.process_iter(["uids", "cmdline"]):
        try:
            if not proc.info["uids"] or proc.info["uids"].real not in SEAT_UIDS:
                continue
            cmd = proc.info["cmdline"] or []
            if cmd[:1] == ["sleep"] and len(cmd) == 2:
                continue  # PID 1 of an idle sandbox container
            if cmd == ["python3", "-I", "-S", "-c", SOURCE]:
                continue  # the container's resident supervisor (sandbox/session.py)
            cid = _container_of(proc.pid)
            if cid is None:
                continue  # exited meanwhile
            if cid in mine or (cid not in live and cid != ""):
                out.append(cmd)
        except psutil.Error:
            continue
    return out


@pytest.fixture
def host_unaffected(sandbox):
    """Asserts after the test that no sandbox process survived and pooled containers are idle."""
    yield
    from sandbox.containers import own_containers

    leftovers = stray_sandbox_processes()
    assert leftovers == [], f"sandbox processes outlived their run on the host: {leftovers}"
    for container in own_containers():
        procs = container.top().get("Processes") or []
        commands = [row[-1] for row in procs]
        assert all(cmd.startswith(("sleep", "python3 -I -S -c")) for cmd in commands), \
            f"pooled container not idle: {commands}"
        assert sum(cmd.startswith("python3") for cmd in commands) <= 1, f"more than one supervisor: {commands}"
