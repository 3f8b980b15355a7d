"""The MCP server object: tools, resources and transports, built on the SDK's high-level `MCPServer` API."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from pydantic import Field

from server.mcp_server import resources, tool_jobs, tool_sandbox
from server.mcp_server.paths import fixed_roots
from server.mcp_server.schemas import READ_ONLY, HistoryResult, ReportResult
from server.mcp_server.state import ServerState

log = logging.getLogger(__name__)

INSTRUCTIONS = """RefactorCoder verifies code changes before you claim them. `fix` and `optimize` run model-written
candidates in a hardened sandbox and accept one only with evidence (tests with names, differential and state
checks, a paired speed/memory measurement with its interval); `compare` measures two programs; `run` runs one
with its profile; `judge` gives a model's scores (unverified). Each job's report is the resource
refactorcoder://runs/ID (cite it). Files must lie inside the workspace roots; or pass code as text."""


def build(settings, roots: list[Path] | None = None) -> MCPServer:
    state = ServerState(settings=settings, fixed_roots=fixed_roots(roots or []))
    server = MCPServer("refactorcoder", title="RefactorCoder", instructions=INSTRUCTIONS, version=_version(),
                       log_level="WARNING")
    tool_jobs.register(server, state)
    tool_sandbox.register(server, state)

    @server.tool(annotations=READ_ONLY, title="Past runs, newest first")
    async def history(limit: Annotated[int, Field(ge=1, le=500, description="how many runs")] = 20,
                      root: Annotated[str | None, Field(description="only runs on files under this folder")] = None,
                      ctx: Context = None) -> HistoryResult:
        """Past runs (fix, optimize, judge, editor jobs) with their verdicts and report URIs."""
        return await _off_loop(lambda: resources.history(state.settings, limit, root))

    @server.tool(annotations=READ_ONLY, title="A past run's full report")
    async def report(run_id: Annotated[int, Field(ge=1, description="the run's id (from a result or `history`)")],
                     ctx: Context = None) -> ReportResult:
        """A past run's full report: attempts, tests, checks, decisions with their samples, the judge."""
        return await _off_loop(lambda: resources.report_or_tool_error(state.settings, run_id))

    @server.resource(resources.RUN_URI, name="run report", mime_type="application/json")
    async def run_report(run_id: str) -> str:
        """A run's report (JSON), to cite: refactorcoder://runs/ID."""
        return await _off_loop(lambda: resources.report_text(state.settings, run_id))

    return server


async def _off_loop(fn):
    import anyio.to_thread

    return await anyio.to_thread.run_sync(fn)


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("refactorcoder")
    except Exception:  # a source checkout without metadata
        return "0"


def serve(settings, *, roots: list[Path], transport: str, host: str, port: int) -> None:
    """Run until the client goes away (stdio) or the process is stopped (HTTP)."""
    server = build(settings, roots)
    if transport == "stdio":
        server.run("stdio")
    else:
        # On a loopback host the SDK turns DNS-rebinding protection on (Host and Origin must be loopback).
        print(f"refactorcoder: MCP over streamable HTTP on http://{host}:{port}/mcp", file=sys.stderr, flush=True)
        server.run("streamable-http", host=host, port=port)
