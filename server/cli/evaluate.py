"""`refactorcoder eval SUITE ...` (run or resume a suite) and `refactorcoder eval report RUN` (tables, charts).

    refactorcoder eval humaneval-x --models local --langs python --limit 40 --run-name he-py
    refactorcoder eval refactorcoderqa-mcq --data ../shared/data --limit 40 --workers 2
    refactorcoder eval humanevalpack-fix --ray local            # items as Ray tasks on a local cluster
    refactorcoder eval report he-py --format md --out docs/eval  # Markdown + PNG charts
    refactorcoder eval list                                     # suites and past runs

Only typer at import time: the evaluation package (and sqlite-utils, rich, Ray, matplotlib) load inside.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import List, Optional

import typer

EXIT_FAILED, EXIT_USAGE = 1, 2


def _split(values: Optional[List[str]]) -> list[str] | None:
    if not values:
        return None
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"refactorcoder eval: {message}", err=True)
    return typer.Exit(code)


def eval_command(
    suite: str = typer.Argument(..., help="suite name, or `report` / `list`"),
    run: Optional[str] = typer.Argument(None, help="with `report`: the run's name or id"),
    models: Optional[List[str]] = typer.Option(None, "--models", "-m", help="model ids (repeat or comma-separate)"),
    langs: Optional[List[str]] = typer.Option(None, "--langs", help="languages: python,cpp,java,go,rust,js"),
    variants: Optional[List[str]] = typer.Option(None, "--variants", help="suite variants, e.g. direct,guide-solve"),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="first N items per language/split"),
    items: Optional[List[str]] = typer.Option(None, "--items", help="only these item ids (e.g. Python/10, a task name)"),
    workers: int = typer.Option(1, "--workers", "-j", min=1, help="local worker processes"),
    run_name: Optional[str] = typer.Option(None, "--run-name", help="name of the run (same name = resume)"),
    data: Optional[Path] = typer.Option(None, "--data", help="data folder (RefactorCoderQA is read from here)"),
    ray: Optional[str] = typer.Option(None, "--ray", metavar="ADDRESS|local", help="run items as Ray tasks"),
    db: Optional[Path] = typer.Option(None, "--db", help="evaluation database (default $REFACTORCODER_HOME/eval.db)"),
    fmt: str = typer.Option("md", "--format", help="report format: md, csv or json"),
    out: Optional[Path] = typer.Option(None, "--out", help="report: folder for the PNG charts (md only)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar"),
):
    """Run (or resume) an evaluation suite; `eval report RUN` renders a run; `eval list` shows suites and runs."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    from evaluation.store import EvalStore, default_db_path

    store = EvalStore(db or default_db_path())
    try:
        if suite == "report":
            if not run:
                raise _fail("usage: refactorcoder eval report RUN [--format md|csv|json] [--out DIR]", EXIT_USAGE)
            _report(store, run, fmt, out)
        elif suite == "list":
            _list(store)
        else:
            _run(store, suite, models, langs, variants, limit, workers, run_name, data, ray, quiet, items)
    finally:
        store.close()


def _run(store, suite, models, langs, variants, limit, workers, run_name, data, ray, quiet, items=None) -> None:
    from evaluation.data import DataError
    from evaluation.runner import EvalError, run_suite

    options = {"models": _split(models), "langs": _split(langs), "variants": _split(variants), "limit": limit,
               "items": _split(items), "data": str(data.resolve()) if data else None}
    try:
        run_id = run_suite(suite, options, store, run_name=run_name, workers=workers, ray=ray, progress=not quiet)
    except (EvalError, DataError, ValueError) as exc:
        raise _fail(str(exc), EXIT_USAGE)
    except KeyboardInterrupt:
        raise _fail("interrupted: run again with the same --run-name to resume", 130)
    meta = store.find_run(run_id)
    from evaluation.report import build, markdown_table

    _, rows, report = build(store, run_id)
    for table in report.tables[:1]:
        typer.echo(markdown_table(table))
    errors = sum(r["status"] == "error" for r in rows)
    typer.echo(f"\nrun {meta['name']} (id {run_id}): {len(rows)} items, {errors} errors; "
               f"`refactorcoder eval report {meta['name']}` for all tables and charts", err=True)
    if errors:
        raise typer.Exit(EXIT_FAILED)


def _report(store, run: str, fmt: str, out: Optional[Path]) -> None:
    from evaluation import report as rep

    try:
        meta, rows, report = rep.build(store, run)
    except KeyError as exc:
        raise _fail(str(exc.args[0]), EXIT_USAGE)
    if fmt == "csv":
        sys.stdout.write(rep.to_csv(rows))
    elif fmt == "json":
        sys.stdout.write(rep.to_json(meta, rows, report) + "\n")
    elif fmt == "md":
        folder = out or Path("eval-reports") / meta["name"]
        try:
            charts = rep.render_charts(report, folder)
        except RuntimeError as exc:  # matplotlib missing: tables still come out
            typer.echo(f"refactorcoder eval: no charts ({exc})", err=True)
            charts = {}
        sys.stdout.write(rep.to_markdown(meta, rows, report, charts) + "\n")
        if charts:
            typer.echo(f"charts in {folder}", err=True)
    else:
        raise _fail(f"unknown --format {fmt!r}: md, csv or json", EXIT_USAGE)


def _list(store) -> None:
    from evaluation.suite import get_suite, suite_names

    typer.echo("suites:")
    for name in suite_names():
        typer.echo(f"  {name:<24} {get_suite(name).description}")
    runs = store.list_runs()
    typer.echo("runs:" if runs else "runs: none yet")
    for r in runs:
        typer.echo(f"  {r['id']:>4} {r['name']:<32} {r['suite']:<22} {r['status']:<22} {r['items']} items")


def register(app: typer.Typer) -> None:
    app.command("eval", context_settings={"allow_interspersed_args": True})(eval_command)
