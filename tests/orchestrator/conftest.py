"""Fixtures for the orchestrator: a scripted OpenAI-compatible endpoint on loopback (real HTTP, reached
through litellm, which is not patched) and the Python sandbox (Docker). Under CI=true a missing engine
or image fails the test instead of skipping it."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from tests.conftest import require_real_part  # noqa: E402
from tests.scripted_endpoint import ScriptedEndpoint  # noqa: E402


@pytest.fixture
def endpoint():
    server = ScriptedEndpoint()
    yield server
    server.close()


def _python_sandbox_problem() -> str | None:
    try:
        from sandbox.engine import get_client
        from sandbox.errors import SandboxUnavailable
        from sandbox.images import missing_images

        try:
            get_client()
        except SandboxUnavailable as exc:
            return str(exc)
        if missing_images(["python"]):
            return "the python sandbox image is missing (run `refactorcoder sandbox build -l python`)"
    except Exception as exc:  # noqa: BLE001
        return f"sandbox unavailable: {exc}"
    return None


@pytest.fixture(scope="session")
def py_sandbox():
    require_real_part(_python_sandbox_problem())
    from sandbox import Sandbox

    with Sandbox(pool_size=2) as sb:
        yield sb


@pytest.fixture
def cpp_sandbox(py_sandbox):
    """The warm sandbox, after checking that the C++ image is there too."""
    from sandbox.images import missing_images

    require_real_part("the cpp sandbox image is missing" if missing_images(["cpp"]) else None)
    return py_sandbox
