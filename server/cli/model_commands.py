"""`refactorcoder models profile` and `refactorcoder models rank`: the ranking memory from the command line.

`profile` seeds the memory the way PerfOrch profiled its models (generate on HumanEval-X, fix on
HumanEvalPack's buggy solutions, refine on the canonical solutions), running every candidate in the
Docker sandbox (evaluation/seeding.py). `rank` prints what the memory holds. Only typer is imported at
module level (the CLI's start-up stays fast).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

EXIT_FAILED, EXIT_USAGE, EXIT_CANCELLED = 1, 2, 130

models_app = typer.Typer(help="The model pool's ranking memory: seed it from benchmarks (profile), print it (rank).",
                         no_args_is_help=True)


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"refactorcoder: {message}", err=True)
    return typer.Exit(code)


def _split(value: Optional[str]) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _settings(config: Optional[Path]):
    from server.cli.common import load_settings

    return load_settings(config)


def _pool(settings) -> list[str]:
    """Every model the settings name for generate (solve), fix and refine, in their order."""
    from models.stage_runner import candidate_ids

    seen: list[str] = []
    for stage in ("solve", "fix", "refine"):
        for model in candidate_ids(settings.stage_settings(stage)):
            if model not in seen:
                seen.append(model)
    return seen


@models_app.command("profile")
def profile(
    limit: Optional[int] = typer.Option(5, "--limit", "-n", min=1, help="problems per language (from --start)"),
    start: int = typer.Option(0, "--start", min=0, help="first problem index"),
    models: Optional[str] = typer.Option(None, "--models", help="comma-separated model ids (default: the settings' pool)"),
    langs: str = typer.Option("python", "--langs", help="comma-separated: python,cpp,java,go,rust,js"),
    stages: str = typer.Option("generate,fix,refine", "--stages", help="comma-separated: generate,fix,refine"),
    metric: str = typer.Option("time", "--metric", help="refine metric: time|peak_memory|mean_memory|cpu"),
    refine_budget: float = typer.Option(30.0, "--refine-budget", min=1, help="seconds per speed decision (beyond 20 pairs)"),
    as_json: bool = typer.Option(False, "--json", help="print every outcome as JSON on stdout"),
    config: Optional[Path] = typer.Option(None, "--config", help="JSON or TOML settings file"),
):
    """Seed the ranking memory: run each model of the pool on HumanEval-X / HumanEvalPack in the sandbox."""
    from orchestrator.ranking import METRICS
    from evaluation.seeding import REFINE_LANGUAGES, STAGES, SeedPlan
    from evaluation.suites.humaneval import LANGUAGES

    settings = _settings(config)
    pool = _split(models) or _pool(settings)
    languages, stage_list = _split(langs), _split(stages)
    for lang in languages:
        if lang not in LANGUAGES:
            raise _fail(f"unknown language {lang!r}: use {', '.join(LANGUAGES)}", EXIT_USAGE)
    for stage in stage_list:
        if stage not in STAGES:
            raise _fail(f"unknown stage {stage!r}: use {', '.join(STAGES)}", EXIT_USAGE)
    if metric not in METRICS:
        raise _fail(f"unknown metric {metric!r}: use {', '.join(METRICS)}", EXIT_USAGE)
    if "refine" in stage_list and not set(languages) & set(REFINE_LANGUAGES):
        typer.echo(f"refactorcoder: refine is seeded for {', '.join(REFINE_LANGUAGES)} only", err=True)
    plan = SeedPlan(models=pool, languages=languages, stages=stage_list, limit=limit, start=start, metric=metric,
                    refine_budget_s=refine_budget)
    outcomes = _run_profile(settings, plan, quiet=as_json)
    if as_json:
        sys.stdout.write(json.dumps([o.as_dict() for o in outcomes], indent=2) + "\n")
        return
    _print_rank(settings, stage=None, language=None, category=None, metric=None, models=pool, languages=languages)


def _run_profile(settings, plan, quiet: bool):
    import threading

    from rich.console import Console

    from sandbox.errors import SandboxUnavailable

    from orchestrator.ranking import RankingMemory
    from evaluation.seeding import Seeder
    from orchestrator.store import open_history

    err = Console(stderr=True)
    cancel = threading.Event()

    def show(o) -> None:
        mark = "[green]ok[/]" if o.success else "[red]no[/]"
        gain = f" {o.improvement:+.1f}%" if o.improvement is not None else ""
        err.print(f"{o.stage:<8} {o.language:<6} {o.task_id:<14} {o.category or '-':<13} {o.model:<24} "
                  f"{mark}{gain} {o.seconds:6.1f}s  [dim]{o.detail}[/]", highlight=False)

    from evaluation.context import WorkerContext

    path = settings.resolved_history_path()
    ctx = WorkerContext()
    try:
        with open_history(path) as history:
            seeder = Seeder(RankingMemory(history), ctx, on_outcome=None if quiet else show, cancel=cancel)
            if not quiet:
                err.print(f"profiling {', '.join(plan.models)} on {', '.join(plan.languages)} "
                          f"({', '.join(plan.stages)}; {plan.limit} problem(s) each) -> {path}", highlight=False)
            try:
                return seeder.run(plan)
            except KeyboardInterrupt:
                cancel.set()
                raise _fail("cancelled (the outcomes so far are kept)", EXIT_CANCELLED)
    except SandboxUnavailable as exc:
        raise _fail(f"the sandbox is unavailable: {exc}", EXIT_FAILED)
    finally:
        ctx.close()


@models_app.command("rank")
def rank(
    stage: Optional[str] = typer.Option(None, "--stage", help="generate|fix|refine"),
    language: Optional[str] = typer.Option(None, "--language", "-l"),
    category: Optional[str] = typer.Option(None, "--category"),
    metric: Optional[str] = typer.Option(None, "--metric", help="refine metric"),
    as_json: bool = typer.Option(False, "--json", help="print the rows as JSON on stdout"),
    config: Optional[Path] = typer.Option(None, "--config", help="JSON or TOML settings file"),
):
    """Print the ranking memory: attempts, successes and pass@1 / fix@1 / accepted-refinement rates."""
    from orchestrator.ranking import STAGES

    if stage is not None and stage not in STAGES:
        raise _fail(f"unknown stage {stage!r}: use {', '.join(STAGES)}", EXIT_USAGE)
    settings = _settings(config)
    if as_json:
        sys.stdout.write(json.dumps(_rows(settings, stage, language, category, metric), indent=2) + "\n")
        return
    _print_rank(settings, stage, language, category, metric)


def _rows(settings, stage, language, category, metric) -> list[dict]:
    from orchestrator.ranking import RankingMemory
    from orchestrator.store import open_history

    path = settings.resolved_history_path()
    if not path.exists():
        return []
    with open_history(path) as history:
        return RankingMemory(history).table(stage, language, category, metric)


def _print_rank(settings, stage, language, category, metric, models=None, languages=None) -> None:
    from rich.console import Console
    from rich.table import Table

    rows = _rows(settings, stage, language, category, metric)
    if models:
        rows = [r for r in rows if r["model"] in models and (not languages or r["language"] in languages)]
    console = Console()
    if not rows:
        console.print("the ranking memory is empty: run `refactorcoder models profile` (or fix/optimize some code)")
        return
    table = Table(title=f"Ranking memory ({settings.resolved_history_path()})")
    for name, justify in (("stage", "left"), ("language", "left"), ("category", "left"), ("metric", "left"),
                          ("model", "left"), ("attempts", "right"), ("successes", "right"),
                          ("rate", "right"), ("median gain", "right")):
        table.add_column(name, justify=justify)
    label = {"generate": "pass@1", "fix": "fix@1", "refine": "refine@1"}
    for r in rows:
        rate = f"{r['rate']:.1f}% {label[r['stage']]}" if r["rate"] is not None else "-"
        gain = r.get("median_improvement")
        table.add_row(r["stage"], r["language"], r["category"] or "-", r["metric"] or "-", r["model"],
                      str(r["attempts"]), str(r["successes"]), rate, f"{gain:.1f}%" if gain is not None else "-")
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")
