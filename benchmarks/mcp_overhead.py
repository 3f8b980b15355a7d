"""The MCP server's own costs (issue 18): how soon tool listing answers after start, and what the server adds to
a `run` call over the library call that the CLI's `refactorcoder run` makes (sandbox.pool.run: a fresh container
per run, the same for both).

* start-up: the server spawned as a client spawns it (`python -m server mcp`, stdio, the SDK's ClientSession);
  per start, the time to the `initialize` answer, then the first `tools/list` and the median of 10 more.
* run overhead: pairs, interleaved: the library call in this process, then the MCP `run` tool on the same code
  (round trip through the stdio server); paired overhead = median of (MCP - library). A fresh container's
  start varies by hundreds of ms on a busy machine, so the server's own share is also taken directly: the
  round trip minus the sandbox call's wall time measured inside the server (`seconds` of the result). The CLI's whole
  process (`python -m server run FILE --json`, interpreter start and imports included) is timed for context.

    .venv/bin/python -m benchmarks.mcp_overhead [--starts 5] [--pairs 20] [--cli 5]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median, quantiles

import anyio
import typer
from rich.console import Console
from rich.table import Table

from benchmarks.common import RESULTS_DIR_OPTION, ROOT, benchmark_app, ms, start_run

app = benchmark_app(__doc__)
PROGRAM = "print(sum(range(1000)))\n"


def _params(home: Path, root: Path):
    from mcp import StdioServerParameters

    env = dict(os.environ, REFACTORCODER_HOME=str(home), PYTHONPATH=str(ROOT))
    return StdioServerParameters(command=sys.executable, args=["-m", "server", "mcp", "--root", str(root)],
                                 env=env, cwd=str(ROOT))


async def _start_once(home: Path, root: Path, errlog) -> dict:
    from mcp import ClientSession
    from mcp.client.stdio import stdio_client

    t0 = time.perf_counter()
    async with stdio_client(_params(home, root), errlog=errlog) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            initialized = time.perf_counter() - t0
            t1 = time.perf_counter()
            tools = await session.list_tools()
            first = time.perf_counter() - t1
            again = []
            for _ in range(10):
                t = time.perf_counter()
                await session.list_tools()
                again.append(time.perf_counter() - t)
    assert len(tools.tools) == 7
    return {"initialize_s": initialized, "first_list_s": first, "list_median_s": median(again)}


async def _run_pairs(home: Path, root: Path, pairs: int, errlog) -> list[dict]:
    from mcp import ClientSession
    from mcp.client.stdio import stdio_client
    from sandbox.models import RunSpec
    from sandbox.pool import run as run_in_sandbox

    (root / "prog.py").write_text(PROGRAM)
    out = []
    async with stdio_client(_params(home, root), errlog=errlog) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            await session.call_tool("run", {"file": "prog.py"})  # first call: the server's lazy imports
            run_in_sandbox(RunSpec(language="python", source=PROGRAM))
            for _ in range(pairs):
                t = time.perf_counter()
                lib = run_in_sandbox(RunSpec(language="python", source=PROGRAM))
                lib_s = time.perf_counter() - t
                t = time.perf_counter()
                answer = await session.call_tool("run", {"file": "prog.py"})
                mcp_s = time.perf_counter() - t
                assert lib.ok and answer.structured_content["stdout"] == "499500\n", answer.content
                in_server = answer.structured_content["seconds"]
                out.append({"library_s": lib_s, "mcp_s": mcp_s, "overhead_s": mcp_s - lib_s,
                            "sandbox_in_server_s": in_server, "server_own_s": mcp_s - in_server})
    return out


def _cli_runs(root: Path, n: int, home: Path) -> list[float]:
    env = dict(os.environ, REFACTORCODER_HOME=str(home))
    times = []
    for _ in range(n):
        t = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "server", "run", str(root / "prog.py"), "--json"], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=120)
        times.append(time.perf_counter() - t)
        assert done.returncode == 0, done.stderr
    return times


@app.command()
def main(starts: int = typer.Option(5, "--starts", min=1, help="server starts (listing latency)"),
         pairs: int = typer.Option(20, "--pairs", min=1, help="interleaved library / MCP `run` pairs"),
         cli: int = typer.Option(5, "--cli", min=0, help="whole `refactorcoder run` processes, for context"),
         results_dir: Path = RESULTS_DIR_OPTION) -> None:
    """How soon tool listing answers after start; the MCP server's overhead on `run` over the CLI's call."""
    run = start_run("mcp_overhead", {"starts": starts, "pairs": pairs, "cli": cli}, results_dir=results_dir,
                    docker=True)
    with tempfile.TemporaryDirectory() as tmp, open(Path(tmp) / "server.err", "w") as errlog:
        home, root = Path(tmp) / "home", Path(tmp) / "ws"
        root.mkdir()
        start_rows = [anyio.run(_start_once, home, root, errlog) for _ in range(starts)]
        pair_rows = anyio.run(_run_pairs, home, root, pairs, errlog)
        cli_times = _cli_runs(root, cli, home) if cli else []
    overheads = [p["overhead_s"] for p in pair_rows]
    quartiles = quantiles(overheads, n=4) if len(overheads) > 1 else [overheads[0]] * 3
    summary = {
        "initialize_median_s": median(r["initialize_s"] for r in start_rows),
        "first_list_median_s": median(r["first_list_s"] for r in start_rows),
        "first_list_max_s": max(r["first_list_s"] for r in start_rows),
        "list_median_s": median(r["list_median_s"] for r in start_rows),
        "library_run_median_s": median(p["library_s"] for p in pair_rows),
        "mcp_run_median_s": median(p["mcp_s"] for p in pair_rows),
        "run_overhead_median_s": median(overheads), "run_overhead_q1_s": quartiles[0],
        "run_overhead_q3_s": quartiles[2],
        "server_own_median_s": median(p["server_own_s"] for p in pair_rows),
        "server_own_max_s": max(p["server_own_s"] for p in pair_rows),
        "cli_process_median_s": median(cli_times) if cli_times else None,
    }
    table = Table(title="MCP server costs (ms)")
    table.add_column("what")
    table.add_column("ms", justify="right")
    for key, value in summary.items():
        table.add_row(key.removesuffix("_s"), ms(value) if value is not None else "–")
    console = Console(width=120)
    console.print(table)
    console.print(f"written {run.save({'summary': summary, 'starts': start_rows, 'pairs': pair_rows, 'cli_s': cli_times})}")


if __name__ == "__main__":
    app()
