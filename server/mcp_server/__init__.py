"""`refactorcoder mcp`: RefactorCoder as a Model Context Protocol server, so coding agents (Claude Code, Cursor,
Copilot agent mode, Continue, Cline) get a *verified* answer: tools `fix`, `optimize`, `compare`, `run`,
`judge`, `history`, `report`, and each run's report as the resource `refactorcoder://runs/ID`.

SDK: the official Python SDK, PyPI `mcp` pinned at 2.3.0 (requirements.lock), and its high-level API of
generation 2, `mcp.server.MCPServer` (what v1 called FastMCP). Why that one: it derives each tool's input
schema from the typed signature and its output schema from the pydantic return type, so the schemas the
agent sees are the code's own types (no hand-written JSON Schema to drift, as the low-level `Server` would
need); it turns a raised `ToolError` into an `isError` result while the server keeps running; and it gives
`Context.report_progress` and the client's cancellation as scope cancellation, which is all the long jobs
need. Nothing here needs the low-level API.

Layout, one concern per module: app.py (the server object, resources, transports), tool_jobs.py (fix, optimize,
judge), tool_sandbox.py (run, compare), evidence.py (a job's report -> its structured result), resources.py
(history, reports, refactorcoder://runs/ID), progress.py (worker threads, progress notifications,
cancellation), paths.py (confinement to the workspace roots), targets.py (arguments -> the function to work
on), schemas.py (typed results), state.py. stdout carries the protocol alone: while serving, the SDK's stdio
transport points fd 1 at stderr (a stray print or a C library's output cannot corrupt the stream); logs go to
stderr.

Only typer is imported here: `register` keeps `refactorcoder --help` fast; the SDK loads when `mcp` runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer


def mcp_command(
    root: Optional[List[Path]] = typer.Option(None, "--root", help="workspace folder the tools may read (repeat "
                                              "for more); default: the roots the client declares"),
    http: bool = typer.Option(False, "--http", help="streamable HTTP instead of stdio"),
    host: str = typer.Option("127.0.0.1", "--host", help="with --http: the address to listen on (loopback "
                             "by default; anything else exposes the tools to the network)"),
    port: int = typer.Option(8765, "--port", min=1, max=65535, help="with --http: the port"),
    config: Optional[Path] = typer.Option(None, "--config", help="JSON or TOML file with the `refactorcoder` "
                                          "settings section (models, history path)"),
) -> None:
    """Serve the tools to coding agents over MCP (stdio; --http for streamable HTTP on loopback)."""
    import logging
    import sys

    from server.cli.common import EXIT_USAGE, _err, load_settings

    logging.basicConfig(stream=sys.stderr, level=logging.WARNING,
                        format="refactorcoder-mcp %(levelname)s %(name)s: %(message)s")
    for folder in root or []:
        if not folder.expanduser().is_dir():
            raise _err(f"--root {folder}: no such folder", EXIT_USAGE)
    if http and host not in ("127.0.0.1", "localhost", "::1"):
        typer.echo(f"refactorcoder: warning: --host {host} serves the tools beyond this machine, without "
                   "authentication or DNS-rebinding protection", err=True)
    settings = load_settings(config)
    from server.mcp_server.app import serve

    serve(settings, roots=list(root or []), transport="http" if http else "stdio", host=host, port=port)


def register(app: typer.Typer) -> None:
    app.command("mcp")(mcp_command)
