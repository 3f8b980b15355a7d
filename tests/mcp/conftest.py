"""A real MCP client (the SDK's own `ClientSession`) over a real stdio subprocess (`python -m server mcp`), the
scripted OpenAI-compatible endpoint as every model, and the real sandbox. Under CI=true a missing Docker
engine or image fails the test (tests/conftest.py)."""

from __future__ import annotations

import json
import os
import sys
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from tests.conftest import require_real_part  # noqa: E402
from tests.orchestrator.conftest import _python_sandbox_problem  # noqa: E402
from tests.scripted_endpoint import ScriptedEndpoint  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def endpoint():
    server = ScriptedEndpoint()
    yield server
    server.close()


@pytest.fixture(scope="session")
def sandbox_ready():
    require_real_part(_python_sandbox_problem())


def write_config(tmp_path: Path, endpoint, model: str = "good", **overrides) -> Path:
    """Every stage on the scripted endpoint (`MODEL` plays `endpoint.scripts[MODEL]`), the judge on `judge`."""
    stage = {"model": f"openai/{model}", "api_base": endpoint.base, "fallbacks": [], "retries": 0, "timeout_s": 60}
    data = {"fix": stage, "refine": stage, "solve": stage, "guide": stage,
            "judge": {**stage, "model": "openai/judge"}, **overrides}
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps(data))
    return path


@asynccontextmanager
async def mcp_session(tmp_path: Path, *, config: Path | None = None, roots: list[Path] | None = None,
                      server_args: tuple[str, ...] = ()):
    """`python -m server mcp` as a client starts it; `roots`: what the client declares (None: no roots
    capability). Yields the initialised ClientSession; the server's stderr goes to tmp_path/server.err."""
    from mcp import ClientSession, StdioServerParameters, types
    from mcp.client.stdio import stdio_client

    env = dict(os.environ, REFACTORCODER_HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO))
    args = ["-m", "server", "mcp", *(["--config", str(config)] if config else []), *server_args]
    params = StdioServerParameters(command=sys.executable, args=args, env=env, cwd=str(REPO))

    async def list_roots(_context) -> types.ListRootsResult:
        return types.ListRootsResult(roots=[types.Root(uri=root.resolve().as_uri()) for root in roots or []])

    with open(tmp_path / "server.err", "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write, list_roots_callback=list_roots if roots is not None else None,
                                     read_timeout_seconds=300) as session:
                await session.initialize()
                yield session


def error_text(result) -> str:
    assert result.is_error, f"expected a tool error, got {result.structured_content}"
    return result.content[0].text
