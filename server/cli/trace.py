"""`refactorcoder trace -- COMMAND` and `refactorcoder optimize --hot N -- COMMAND` (issue 17, points 3-4).

    refactorcoder trace -- pytest tests/            # per project function: calls, own/cumulative time, inputs
    refactorcoder trace --json -- python script.py  # the trace as JSON on stdout (logs on stderr)
    refactorcoder optimize --hot 3 -- pytest tests/ # optimize the 3 functions with the most own time
    refactorcoder optimize --hot 3 --apply -- python bench.py

The command runs in the Python sandbox (orchestrator/trace), never on the host; the trace is written to
`.refactorcoder/trace.json` under the project, where optimize finds the traced inputs of a function.
Only typer at import time.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import List, Optional

import typer

from server.cli.common import EXIT_CANCELLED, EXIT_MODEL_ERROR, EXIT_USAGE, _err, load_settings, run_in_worker

EXIT_NOT_ACCEPTED = 3  # as optimize: it ran, nothing was accepted


def _root(root: Optional[Path]) -> Path:
    from orchestrator.target import project_root

    if root is not None:
        if not root.is_dir():
            raise _err(f"--root {root}: not a directory", EXIT_USAGE)
        return root.resolve()
    return project_root(Path.cwd().resolve() / "_")  # the nearest project marker above the current directory


def _fail(message: str, code: int, as_json: bool) -> typer.Exit:
    if as_json:
        sys.stdout.write(json.dumps({"status": "error", "error": message, "exit_code": code}, indent=2) + "\n")
    return _err(message, code)


def _trace(root: Path, command: list[str], timeout: float, as_json: bool, exact: bool | None = None):
    """The Trace of `command` in the sandbox (its own sandbox when none is given); usage errors exit 2."""
    from orchestrator.trace.run import TraceError, trace_command

    cancel = threading.Event()  # Ctrl-C: the command is stopped in the sandbox

    def work():
        from sandbox import Sandbox

        with Sandbox(pool_size=1) as own:
            return trace_command(root, command, own, timeout_s=timeout, exact=exact, cwd=Path.cwd(), cancel=cancel)

    try:
        return run_in_worker(work, cancel, name="refactorcoder-trace", cancelling="cancelling the trace…",
                             join_s=10)
    except TraceError as exc:
        raise _fail(str(exc), EXIT_USAGE, as_json)
    except Exception as exc:
        from sandbox.errors import SandboxError

        if isinstance(exc, SandboxError):
            raise _fail(f"sandbox: {exc}", EXIT_MODEL_ERROR, as_json)
        raise


def print_trace(console, trace, limit: int = 20) -> None:
    from rich.table import Table

    from orchestrator.trace.hot import table_rows

    timer = "cProfile" if trace.timer == "cprofile" else f"{trace.clock_samples} clock samples"
    table = Table(title=f"{' '.join(trace.command)}: {trace.wall_s:.2f} s traced in the sandbox ({timer}), exit "
                        f"status {trace.exit_code}")
    for column in ("#", "function", "calls", "own ms", "cumulative ms", "own share", "inputs sampled"):
        table.add_column(column, justify="right" if column in ("calls", "own ms", "cumulative ms", "own share")
                         else "left", overflow="fold")
    for row in table_rows(trace.functions, limit):
        table.add_row(*row)
    console.print(table)
    if len(trace.functions) > limit:
        console.print(f"[dim]… {len(trace.functions) - limit} more in the trace file[/dim]")
    for note in trace.notes:
        console.print(f"[dim]note: {note}[/dim]")


def trace_command(
    command: List[str] = typer.Argument(..., help="the command to trace, after --: python SCRIPT, python -m MODULE "
                                        "or pytest ARGS (run in the sandbox)"),
    root: Optional[Path] = typer.Option(None, "--root", help="the project (default: the nearest project marker "
                                        "above the current directory)"),
    out: Optional[Path] = typer.Option(None, "--out", help="where to write the trace (default "
                                       "ROOT/.refactorcoder/trace.json, where optimize reads it)"),
    timeout: float = typer.Option(300.0, "--timeout", min=1, max=600, help="seconds the command may run"),
    as_json: bool = typer.Option(False, "--json", help="print the trace as JSON on stdout (nothing else there)"),
    exact: Optional[bool] = typer.Option(None, "--exact/--sampling", help="--exact: cProfile, exact calls and times "
                                         "of every function at 1.5-3x the untraced time; --sampling: a clock "
                                         "sampling the stack every ms of CPU (~1.1x). Default: the clock, and "
                                         "cProfile again for a command under ~0.4 s of CPU", show_default=False),
):
    """Run COMMAND in the sandbox with a tracer: per project function, calls, own and cumulative time, and a
    sample of real inputs with the original's answers (optimize's default workload and replay tests)."""
    from orchestrator.trace.model import save, trace_path

    project = _root(root)
    trace = _trace(project, list(command), timeout, as_json, exact)
    path = save(trace, out.resolve() if out else trace_path(project))
    if as_json:
        sys.stdout.write(trace.model_dump_json(indent=1) + "\n")
        return
    from rich.console import Console

    console = Console()
    print_trace(console, trace)
    console.print(f"trace written to {path}")
    if trace.output_tail.strip() and trace.exit_code != 0:
        console.print(f"[dim]the command's output (last lines):\n{trace.output_tail[-2000:]}[/dim]")


def optimize_hot(hot: int, command: list[str], *, metric: str, apply: bool, as_json: bool, config, attempts,
                 judge: bool, root: Optional[Path] = None, report_path: Optional[Path] = None) -> None:
    """`optimize --hot N -- COMMAND` (called from server/cli/orchestrate.py's optimize). The report goes to
    `report_path` (Markdown; its JSON beside it) or ROOT/.refactorcoder/hot-report.md."""
    from models.errors import Cancelled
    from orchestrator.trace import hot as hot_module

    if not command:
        raise _fail("--hot N needs the command to trace after --, e.g. `optimize --hot 3 -- pytest tests/`",
                    EXIT_USAGE, as_json)
    settings = load_settings(config)
    project = _root(root)
    console = _stderr_console()
    cancel = threading.Event()

    def progress(event: str, data: dict) -> None:
        if as_json:
            return
        if event == "stage":
            console.print(f"[dim]  … {data.get('message') or data.get('stage')}[/dim]")
        elif event == "result":
            console.print(f"    → {data['status']}" + (f": {data['reason'][:160]}" if data.get("reason") else ""))

    def work():
        from sandbox import Sandbox

        from orchestrator.loop import Orchestrator
        from orchestrator.pipeline import Pipeline
        from orchestrator.report import JobLimits
        from orchestrator.store import open_history
        from orchestrator.target import locate
        from orchestrator.trace.run import trace_command as run_trace

        with Sandbox(pool_size=2) as sandbox:
            if not as_json:
                console.print(f"[dim]… tracing `{' '.join(command)}` in the sandbox[/dim]")
            trace = run_trace(project, command, sandbox, cwd=Path.cwd(), cancel=cancel)
            if not as_json:
                print_trace(console, trace, limit=max(hot, 10))
            history = open_history(settings.resolved_history_path())
            pipeline = Pipeline(settings, history, notify=lambda m: typer.echo(f"refactorcoder: {m}", err=True))
            limits = JobLimits(judge=judge, **({"max_attempts": attempts} if attempts else {}))
            orch = Orchestrator(pipeline, sandbox, limits=limits)
            try:
                return hot_module.optimize_hot(
                    project, trace, hot,
                    lambda spec: orch.optimize(locate(spec), metric=metric, cancel=cancel, on_event=progress),
                    metric=metric, on_function=None if as_json else (
                        lambda f: console.print(f"[cyan]optimizing #{f.rank} {f.target}[/cyan] "
                                                f"({f.own_s * 1000:.1f} ms own time traced) …")))
            finally:
                orch.close()
                pipeline.close()
                history.close()

    from orchestrator.trace.run import TraceError
    from sandbox.errors import SandboxError

    try:
        report = run_in_worker(work, cancel, name="refactorcoder-hot", cancelling="cancelling… (files untouched)",
                               join_s=30)
    except Cancelled:
        raise _fail("cancelled: the files are untouched", EXIT_CANCELLED, as_json)
    except TraceError as exc:
        raise _fail(str(exc), EXIT_USAGE, as_json)
    except SandboxError as exc:
        raise _fail(f"sandbox: {exc}", EXIT_MODEL_ERROR, as_json)
    md_path = report_path.resolve() if report_path else project / ".refactorcoder" / hot_module.HOT_MD
    if apply:
        hot_module.apply_accepted(report)
    chart = _chart(report, md_path.parent)
    report.chart = chart.name if chart is not None else None
    json_path = hot_module.write(report, md_path)
    if as_json:
        sys.stdout.write(report.model_dump_json(indent=1) + "\n")
    else:
        for f in report.functions:
            speed = f", {f.speedup:.2f}× faster" if f.speedup else ""
            console.print(f"#{f.rank} {f.target}: {f.status}{speed}{' (applied)' if f.applied else ''} — "
                          f"{f.summary[:200]}")
        console.print(f"report: {md_path} and {json_path}" + (f"; chart {chart}" if chart else ""))
        if report.accepted and not apply:
            console.print("the files are untouched (use --apply to write the accepted versions)")
    if not report.accepted:
        raise typer.Exit(EXIT_NOT_ACCEPTED)


def _chart(report, folder: Path) -> Optional[Path]:
    """Own-time share of each hot function (PNG beside the report) when matplotlib is there."""
    try:
        from evaluation.charts import render
        from evaluation.suite import Chart

        groups = [f"#{f.rank} {f.target.rsplit('::', 1)[-1]}" for f in report.functions]
        data = {"groups": groups, "ylabel": "share of traced own time",
                "series": {"own time": {g: f.own_share for g, f in zip(groups, report.functions)}}}
        return render(Chart("bars", "hot functions: own time (traced)", "hot-functions.png", data), folder)
    except Exception:  # noqa: BLE001 - the report stands without its chart (e.g. no matplotlib)
        return None


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def register(app: typer.Typer) -> None:
    app.command("trace", context_settings={"allow_interspersed_args": False})(trace_command)
