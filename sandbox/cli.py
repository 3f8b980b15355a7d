"""Command line: ``refactorcoder sandbox build|check`` and ``refactorcoder run``.

The lead mounts ``sandbox_app`` and ``run_command`` into the main CLI; ``python -m sandbox.cli``
offers the same commands standalone.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table

from sandbox.errors import SandboxError, SandboxUnavailable
from sandbox.images import LANGUAGES
from source import languages

sandbox_app = typer.Typer(help="Build and check the Docker sandbox that runs model-written code.",
                          no_args_is_help=True)
console = Console(stderr=True)

EXTENSIONS = {suffix: lang.sandbox for lang in languages.LANGUAGES for suffix in lang.suffixes}


@sandbox_app.command("build")
def build_command(
    lang: Optional[List[str]] = typer.Option(None, "--lang", "-l", help="language(s) to build; default all"),
    force: bool = typer.Option(False, "--force", help="rebuild even when the recipe is unchanged"),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="print the build log"),
) -> None:
    """Build the sandbox images offline (debootstrap base + per-language layers); cached by recipe hash."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from sandbox.images import build_images

    languages = [_language(x) for x in (lang or LANGUAGES)]
    start = time.monotonic()
    with Progress(SpinnerColumn(), TextColumn("[bold]{task.fields[lang]:<7}"), BarColumn(bar_width=None),
                  TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=False) as bar:
        tasks: dict[str, int] = {}

        def progress(event: str, language: str, message: str) -> None:
            if language not in tasks:
                tasks[language] = bar.add_task(message[:70], lang=language, total=1)
            task = tasks[language]
            if event in ("done", "skip"):
                bar.update(task, completed=1, description=("cached " if event == "skip" else "built ") + message)
            elif event == "error":
                bar.update(task, description=f"[red]failed: {message[:200]}")
            else:
                bar.update(task, description=message[:70])
            if verbose and event == "log":
                bar.console.print(f"[dim]{language}: {message}")

        try:
            build_images(languages, progress=progress, force=force)
        except SandboxUnavailable as exc:
            console.print(f"[red]{exc}")
            raise typer.Exit(2)
        except SandboxError as exc:
            console.print(f"[red]{exc}")
            raise typer.Exit(1)
    console.print(f"images ready for {', '.join(languages)} in {time.monotonic() - start:.1f}s")


@sandbox_app.command("check")
def check_command(
    lang: Optional[List[str]] = typer.Option(None, "--lang", "-l", help="also run hello-world in these languages"),
    runtime: Optional[str] = typer.Option(None, "--runtime", help="OCI runtime to check (runc, runsc)"),
    json_output: bool = typer.Option(False, "--json", help="print the checks as JSON"),
) -> None:
    """Start-up self-test: refuses to report ready unless every isolation property holds."""
    from sandbox.selfcheck import run_checks

    try:
        checks = run_checks(languages=[_language(x) for x in (lang or ["python"])], runtime=runtime)
    except SandboxUnavailable as exc:
        console.print(f"[red]not ready: {exc}")
        raise typer.Exit(2)
    ready = all(c.ok for c in checks)
    if json_output:
        print(json.dumps({"ready": ready, "checks": [c.__dict__ for c in checks]}, indent=2))
    else:
        table = Table(title="sandbox self-test")
        table.add_column("property")
        table.add_column("ok")
        table.add_column("detail", overflow="fold")
        for c in checks:
            table.add_row(c.name, "[green]yes" if c.ok else "[red]NO", c.detail)
        Console().print(table)
        Console().print("[bold green]ready" if ready else "[bold red]NOT READY: isolation does not hold")
    raise typer.Exit(0 if ready else 1)


def _language(value: str) -> str:
    from sandbox.models import LANGUAGE_ALIASES

    value = LANGUAGE_ALIASES.get(value.lower(), value.lower())
    if value not in LANGUAGES:
        raise typer.BadParameter(f"unknown language {value!r}; choose from {', '.join(LANGUAGES)}")
    return value


def run_command(
    lang: Optional[str] = typer.Option(None, "--lang", "-l", help="python, cpp, java, go, rust or js "
                                       "(default: from the file extension)"),
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="source file to run"),
    stdin: Optional[Path] = typer.Option(None, "--stdin", exists=True, dir_okay=False, help="file fed to stdin"),
    json_output: bool = typer.Option(False, "--json", help="print the Result as JSON"),
    wall_time: float = typer.Option(10.0, "--wall-time", help="wall-clock limit in seconds"),
    memory_mb: int = typer.Option(512, "--memory-mb", help="memory limit (swap is the same: no swap)"),
    runtime: Optional[str] = typer.Option(None, "--runtime", help="OCI runtime: runc (default) or runsc"),
    arg: Optional[List[str]] = typer.Option(None, "--arg", help="argument passed to the program (repeatable)"),
) -> None:
    """Run FILE in the sandbox and print its output, status and profile."""
    from sandbox.models import Limits, RunSpec, Status
    from sandbox.pool import run

    language = _language(lang) if lang else EXTENSIONS.get(file.suffix.lower())
    if language is None:
        raise typer.BadParameter(f"cannot tell the language of {file.name}; pass --lang")
    name = file.name
    spec_kwargs = {}
    if language == "java" or (language == "go" and name.endswith("_test.go")):
        spec_kwargs["files"] = {name: file.read_text()}
    else:
        spec_kwargs["source"] = file.read_text()
    limits = Limits(wall_time_s=wall_time, cpu_time_s=wall_time, memory_mb=memory_mb, runtime=runtime)
    spec = RunSpec(language=language, stdin=stdin.read_text() if stdin else None, args=arg or [], limits=limits,
                   **spec_kwargs)
    try:
        result = run(spec)
    except SandboxUnavailable as exc:
        console.print(f"[red]{exc}")
        raise typer.Exit(2)
    if json_output:
        print(result.model_dump_json(indent=2))
    else:
        if result.compile is not None and result.phase == "compile":
            sys.stdout.write(result.compile.stdout)
            sys.stderr.write(result.compile.stderr)
        else:
            sys.stdout.write(result.stdout)
            sys.stderr.write(result.stderr)
        p = result.profile
        colour = "green" if result.status == Status.OK else "red"
        console.print(
            f"[{colour}]{result.status.value}[/] exit={result.exit_code} wall={p.wall_time_s * 1000:.1f}ms "
            f"cpu={p.cpu_time_s * 1000:.1f}ms peak={p.peak_memory_bytes / 2**20:.1f}MiB "
            f"mean={p.mean_memory_bytes / 2**20:.1f}MiB util={p.cpu_utilisation:.2f}"
            + (" [yellow](output truncated)" if result.stdout_truncated or result.stderr_truncated else "")
            + (f" — {result.message}" if result.message else ""))
    raise typer.Exit(0 if result.status == Status.OK else 1)


def main_app() -> typer.Typer:
    """A standalone app with `run` and `sandbox` (what the main CLI mounts)."""
    app = typer.Typer(help="RefactorCoder sandbox", no_args_is_help=True)
    app.command("run")(run_command)
    app.add_typer(sandbox_app, name="sandbox")
    return app


if __name__ == "__main__":
    main_app()()
