"""`refactorcoder` command line: the language server (`lsp`), headless Guide/Solve/Judge runs,
the run history, and the sandbox sub-commands (`sandbox`, `run`) when that package is present.

Heavy modules (litellm, llama.cpp, docker, pydantic models) are imported inside the commands so
`refactorcoder --help` and LSP start-up stay fast.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(
    name="refactorcoder",
    help="Guide, solve and judge code with local and cloud LLMs; also a language server.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

from server.cli.common import (  # noqa: E402,F401  (shared with the command modules of this package)
    EXIT_CANCELLED, EXIT_MODEL_ERROR, EXIT_USAGE, ConfigOpt, JsonOpt, LanguageOpt, TargetArg, _err, load_settings,
    run_in_worker)


def run_stages(target: str, kind: str, as_json: bool, config: Optional[Path], language: Optional[str]) -> None:
    from server.cli.targets import TargetError, resolve_target
    from orchestrator.plans import plan_stages

    settings = load_settings(config)
    try:
        extraction, source = resolve_target(target, language)
    except TargetError as exc:
        raise _err(str(exc), EXIT_USAGE)
    stages, solution = plan_stages(kind, extraction) if kind != "pipeline" else (("guide", "solve", "judge"), None)
    report = _run_with_ctrl_c(settings, extraction.to_problem(source=source), stages, solution, quiet=as_json)
    if as_json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    else:
        from rich.console import Console

        from server.cli.render import print_report

        print_report(Console(), report)


def _run_with_ctrl_c(settings, problem, stages, solution, quiet: bool):
    """Run the pipeline in a worker thread so Ctrl-C cancels it cleanly (between tokens) instead of killing it."""
    from models.errors import Cancelled, RefactorCoderError
    from server.lsp.pipeline_holder import default_pipeline_factory, factory_from_env

    cancel = threading.Event()

    def say(message: str) -> None:
        typer.echo(f"refactorcoder: {message}", err=True)

    def work():
        pipeline = (factory_from_env() or default_pipeline_factory)(settings, say)
        try:
            return pipeline.run(
                problem, stages=stages, cancel=cancel, solution=solution,
                on_stage=None if quiet else (lambda stage: say(f"{stage}…")),
            )
        finally:
            pipeline.close()
            if getattr(pipeline, "history", None) is not None:
                pipeline.history.close()

    try:
        return run_in_worker(work, cancel, name="refactorcoder-cli", cancelling="cancelling…", join_s=10)
    except Cancelled:
        raise _err("cancelled", EXIT_CANCELLED)
    except RefactorCoderError as exc:
        raise _err(str(exc), EXIT_MODEL_ERROR)


@app.command()
def lsp(tcp: Optional[str] = typer.Option(None, "--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio")):
    """Start the language server (stdio by default)."""
    from server.lsp.main import serve

    if tcp is not None and (":" not in tcp or not tcp.rpartition(":")[2].isdigit()):
        raise _err("--tcp wants HOST:PORT, e.g. 127.0.0.1:2087", EXIT_USAGE)
    serve(tcp)


@app.command()
def guide(target: str = TargetArg, as_json: bool = JsonOpt, config: Optional[Path] = ConfigOpt, language: Optional[str] = LanguageOpt):
    """Guidance for the problem at TARGET (no code written)."""
    run_stages(target, "guide", as_json, config, language)


@app.command()
def solve(target: str = TargetArg, as_json: bool = JsonOpt, config: Optional[Path] = ConfigOpt, language: Optional[str] = LanguageOpt,
          run: bool = typer.Option(False, "--run", help="run the solution's tests in the sandbox and fix it until they pass"),
          tests: Optional[Path] = typer.Option(None, "--tests", help="with --run: test file or directory"),
          apply: bool = typer.Option(False, "--apply", help="with --run: write the accepted version into the file")):
    """Guide, then solve with that guidance (--run: prove it in the sandbox, fixing until the tests pass)."""
    if run:
        from server.cli.orchestrate import solve_run

        return solve_run(target, tests=tests, apply=apply, as_json=as_json, config=config, language=language)
    run_stages(target, "solve", as_json, config, language)


@app.command()
def judge(target: str = TargetArg, as_json: bool = JsonOpt, config: Optional[Path] = ConfigOpt, language: Optional[str] = LanguageOpt):
    """Judge the code at TARGET against its problem text (or, with no code there, guide -> solve -> judge)."""
    run_stages(target, "judge", as_json, config, language)


@app.command()
def pipeline(target: str = TargetArg, as_json: bool = JsonOpt, config: Optional[Path] = ConfigOpt, language: Optional[str] = LanguageOpt):
    """Guide -> solve -> judge: prints the guidance, the solution and the judge's scores."""
    run_stages(target, "pipeline", as_json, config, language)


@app.command()
def history(
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="how many runs to list"),
    export: Optional[str] = typer.Option(None, "--export", metavar="FILE|-", help="write runs with calls and judgments as JSON"),
    run: Optional[int] = typer.Option(None, "--run", help="only this run id"),
    as_json: bool = typer.Option(False, "--json", help="list as JSON"),
    config: Optional[Path] = ConfigOpt,
):
    """List past runs, or export them as JSON."""
    from models.history import History

    path = load_settings(config).resolved_history_path()
    if not path.exists():
        rows: list = []
    else:
        with History(path) as store:
            if export is not None or run is not None:
                rows = store.export(run)
            else:
                rows = store.list_runs(limit)
    if run is not None and not rows:
        raise _err(f"no run {run} in {path}", EXIT_MODEL_ERROR)
    if export is not None or run is not None:
        text = json.dumps(rows, indent=2, default=str) + "\n"
        if export in (None, "-"):
            sys.stdout.write(text)
        else:
            Path(export).write_text(text, encoding="utf-8")
            typer.echo(f"exported {len(rows)} run(s) to {export}", err=True)
    elif as_json:
        sys.stdout.write(json.dumps(rows, indent=2, default=str) + "\n")
    else:
        from rich.console import Console

        from server.cli.render import print_runs

        print_runs(Console(), rows)


from server.cli.compare import compare_command  # noqa: E402  (imports only typer at module level)

app.command("compare")(compare_command)


def _mount_sandbox() -> None:
    """`refactorcoder sandbox build|check` and `refactorcoder run`, from the sandbox package when it is there."""
    import importlib.util

    try:
        if importlib.util.find_spec("sandbox.cli") is None:
            return
        from sandbox.cli import run_command, sandbox_app
    except Exception as exc:  # a broken or half-written sandbox must not take the whole CLI down
        typer.echo(f"refactorcoder: sandbox commands unavailable ({type(exc).__name__}: {exc})", err=True)
        return
    app.add_typer(sandbox_app, name="sandbox")
    app.command("run")(run_command)


def _wants_sandbox(argv: list[str]) -> bool:
    """Importing the sandbox package costs ~0.5 s: only for its own commands and the top-level help."""
    command = next((a for a in argv[1:] if not a.startswith("-")), None)
    return command in (None, "sandbox", "run")


# Commands that live in their own modules (each imports only typer and server.cli.common at module level).
from server import mcp_server  # noqa: E402
from server.cli import evaluate, model_commands, orchestrate, trace  # noqa: E402

for _module in (orchestrate, evaluate, model_commands, mcp_server, trace):
    _module.register(app)


def main() -> None:
    if _wants_sandbox(sys.argv):
        _mount_sandbox()
    app()
