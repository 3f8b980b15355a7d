"""`refactorcoder optimize --changed --base REF --report FILE.md`: PR mode, for CI.

The Python functions a pull request changes (git: the working tree against the merge base of REF and
HEAD, orchestrator.changes) are optimized one after the other by the usual loop (Orchestrator.optimize,
tests found as for `optimize FILE::function`), and one report says, per function: the verdict, the tests,
the measured change with its interval, and the verified change as a patch (`git apply`-able, paths from
the repository's top). Markdown goes to --report (what docs/github-action/ comments on the pull request),
the same payload as JSON on stdout with --json
(server/cli/changed_report.py).

Exit codes: 0 when every function ran, whatever the verdicts ("no verified change" is a normal outcome; so
is a function without tests, reported as skipped); 2 for bad arguments or a --base git cannot resolve; 1
when a model or the sandbox failed on some function (the report still lists every function); 130 when
cancelled (the report lists what finished)."""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from pathlib import Path
from typing import Optional

import typer

from server.cli.common import EXIT_CANCELLED, EXIT_MODEL_ERROR, EXIT_USAGE, _err, load_settings, run_in_worker

ChangedOpt = typer.Option(False, "--changed", help="optimize every Python function changed since --base (PR mode; "
                                                   "exit 0 whatever the verdicts, non-zero only for errors)")
BaseOpt = typer.Option("HEAD", "--base", help="with --changed: the git ref the changes are taken against "
                                              "(their merge base with HEAD), e.g. origin/main")
ReportOpt = typer.Option(None, "--report", help="with --changed or --hot: write the Markdown report to this file")

logger = logging.getLogger(__name__)
MAX_FUNCTIONS = 20  # a CI job's time is bounded: the rest are listed as not optimized

def run(target: Optional[str], *, base: str, report: Optional[Path], changed: bool, metric: str,
        tests: Optional[Path], apply: bool, as_json: bool, config, attempts: Optional[int], judge: bool,
        workload: Optional[str] = None) -> None:
    def fail(message: str, code: int) -> typer.Exit:
        if as_json:
            sys.stdout.write(json.dumps({"kind": "changed", "status": "error", "error": message, "exit_code": code},
                                        indent=2) + "\n")
        return _err(message, code)

    if not changed:
        raise fail("--report goes with --changed (one report for the changed functions)", EXIT_USAGE)
    if target is not None:
        raise fail(f"--changed finds the functions itself: drop {target!r}", EXIT_USAGE)
    if workload is not None:
        raise fail("--workload is one function's: with --changed each function's tests are its workload", EXIT_USAGE)
    try:
        settings = load_settings(config)
    except typer.Exit as exc:
        raise fail("invalid settings (see the message above)", exc.exit_code) from None
    from orchestrator.changes import ChangesError, changes, git, touched_functions
    from server.cli.changed_report import ChangedReport

    started = time.monotonic()
    try:
        found = changes(Path.cwd(), base, merge_base=True)
        head = git(found.root, "rev-parse", "--verify", "--quiet", "HEAD").strip() if found.compared_to else ""
    except ChangesError as exc:
        raise fail(str(exc), EXIT_USAGE) from None
    functions = touched_functions(found)
    result = ChangedReport(status="no changed functions", exit_code=0, repository=str(found.root), base=base,
                           compared_to=found.compared_to, head=head, metric=metric,
                           not_optimized=[_relative(f.spec, found.root) for f in functions[MAX_FUNCTIONS:]])
    if functions:
        _optimize_each(result, functions[:MAX_FUNCTIONS], settings=settings, root=found.root, metric=metric,
                       tests=tests, apply=apply, attempts=attempts, judge=judge, quiet=as_json)
    result.seconds = round(time.monotonic() - started, 1)
    _finish(result, report=report, as_json=as_json)


def _relative(spec: str, root: Path) -> str:
    file, _, function = spec.partition("::")
    try:
        return f"{Path(file).relative_to(root).as_posix()}::{function}"
    except ValueError:
        return spec


def _optimize_each(result, functions, *, settings, root: Path, metric: str, tests: Optional[Path],
                   apply: bool, attempts: Optional[int], judge: bool, quiet: bool) -> None:
    """One Optimize job per function, in order; one function's failure is recorded and the next one runs."""
    from models.errors import Cancelled, RefactorCoderError
    from orchestrator.errors import OrchestratorError
    from orchestrator.report import unified_diff
    from orchestrator.target import FileChanged, TargetError, apply as apply_code, locate
    from sandbox.errors import SandboxError
    from server.cli.changed_report import FunctionResult

    console = _console()
    cancel = threading.Event()
    result.functions = [FunctionResult(target=_relative(f.spec, root), outcome="not run",
                                       reason="cancelled before it ran") for f in functions]

    def on_event(event: str, data: dict) -> None:
        if not quiet and event == "result":
            console.print(f"  → {data['status']}: tests {data['tests_passed']}/{data['tests_total']}")

    def work() -> None:
        from orchestrator.loop import Orchestrator
        from orchestrator.pipeline import Pipeline
        from orchestrator.report import JobLimits
        from orchestrator.store import open_history

        history = open_history(settings.resolved_history_path())
        pipeline = Pipeline(settings, history, notify=lambda m: typer.echo(f"refactorcoder: {m}", err=True))
        orch = Orchestrator(pipeline, limits=JobLimits(judge=judge, **({"max_attempts": attempts} if attempts else {})))
        try:
            for number, (function, entry) in enumerate(zip(functions, result.functions), 1):
                if not quiet:
                    console.print(f"[bold]{number}/{len(functions)} optimize {entry.target}[/bold]")
                entry.reason = ""
                try:
                    target = locate(function.spec)  # read now: an earlier --apply may have changed the file
                    job = orch.optimize(target, metric=metric, tests_path=tests, cancel=cancel, on_event=on_event)
                except Cancelled:
                    entry.reason = "cancelled while it ran"
                    raise
                except OrchestratorError as exc:  # no tests, no workload, does not parse: a normal case
                    entry.outcome, entry.reason = "skipped", str(exc)
                    continue
                except RefactorCoderError as exc:
                    entry.outcome, entry.reason = "error", f"models: {exc}"
                    continue
                except SandboxError as exc:
                    entry.outcome, entry.reason = "error", f"sandbox: {exc}"
                    continue
                except Exception as exc:  # noqa: BLE001 - a bug met on one function: the others still run
                    logger.exception("optimize %s failed", entry.target)
                    entry.outcome, entry.reason = "error", f"{type(exc).__name__}: {exc}"
                    continue
                entry.job = job
                if job.status == "accepted" and job.accepted_code:
                    entry.outcome = "verified change"
                    entry.patch = unified_diff(target.text, target.with_code(job.accepted_code),
                                               target.path.relative_to(root).as_posix())
                    if apply:
                        try:
                            apply_code(target, job.accepted_code)
                            entry.applied = True
                        except (FileChanged, TargetError) as exc:
                            entry.reason = str(exc)
                else:
                    entry.outcome = "no verified change"
                    entry.reason = job.summary
        finally:
            orch.close()
            pipeline.close()
            history.close()

    try:
        run_in_worker(work, cancel, name="refactorcoder-changed", cancelling="cancelling… (files are left untouched)",
                      join_s=30)
    except Cancelled:
        result.status, result.exit_code = "cancelled", EXIT_CANCELLED
        return
    except typer.Exit as exc:  # Ctrl-C: run_in_worker waited for the job to stop
        result.status, result.exit_code = "cancelled", exc.exit_code
        return
    outcomes = [f.outcome for f in result.functions]
    result.exit_code = EXIT_MODEL_ERROR if "error" in outcomes else 0
    result.status = ("error" if "error" in outcomes else
                     "verified change" if "verified change" in outcomes else "no verified change")


def _finish(result, *, report: Optional[Path], as_json: bool) -> None:
    from server.cli.changed_report import markdown

    text = markdown(result)
    if report is not None:
        try:
            report.parent.mkdir(parents=True, exist_ok=True)
            report.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise _err(f"cannot write the report to {report}: {exc.strerror}", EXIT_MODEL_ERROR)
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    elif report is None:
        sys.stdout.write(text)
    verified = sum(f.outcome == "verified change" for f in result.functions)
    typer.echo(f"refactorcoder: {len(result.functions)} changed function(s), {verified} verified change(s)"
               + (f"; report in {report}" if report is not None else ""), err=True)
    if result.exit_code:
        raise typer.Exit(result.exit_code)


def _console():
    from rich.console import Console

    return Console(stderr=True)
