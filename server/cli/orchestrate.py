"""`refactorcoder fix | optimize` and `solve --run`: the generate -> fix -> refine loop from the CLI.

Human output (rich): progress per stage and attempt on stderr, then the verdict, the per-attempt table,
the diff and the judge's scores. `--json` prints the JobReport (with the accepted code). `--apply`
writes the accepted version into the file (only that function's text, only if the file is unchanged).
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import List, Optional

import typer

from server.cli import changed as changed_mode
from server.cli.common import (EXIT_CANCELLED, EXIT_MODEL_ERROR, EXIT_USAGE, ConfigOpt, _err, load_settings,
                                run_in_worker)

EXIT_NOT_ACCEPTED = 3  # ran fine, but nothing was accepted (the file stays as it is)
EXIT_CODES = (f"Exit codes: 0 accepted; {EXIT_MODEL_ERROR} a model or the sandbox failed; {EXIT_USAGE} bad arguments, "
              f"no tests or no workload; {EXIT_NOT_ACCEPTED} it ran, nothing was accepted (the file is unchanged); "
              f"{EXIT_CANCELLED} cancelled. With --json, stdout is JSON in every case (a job report, or "
              "{status: error | cancelled, error, exit_code}).")


def _orchestrate(kind: str, spec: str, *, config, as_json: bool, apply: bool, language: Optional[str],
                 tests: Optional[Path], metric: str = "time", workload: Optional[str] = None,
                 attempts: Optional[int] = None, judge: bool = True) -> None:
    from models.errors import Cancelled, RefactorCoderError
    from orchestrator.errors import OrchestratorError
    from orchestrator.target import TargetError, locate

    def fail(message: str, code: int) -> typer.Exit:
        if as_json:  # a script reading stdout gets JSON however the job ended
            sys.stdout.write(json.dumps({"kind": kind, "target": spec, "status": "cancelled" if code == EXIT_CANCELLED
                                         else "error", "error": message, "exit_code": code}, indent=2) + "\n")
        return _err(message, code)

    try:
        settings = load_settings(config)
    except typer.Exit as exc:
        raise fail("invalid settings (see the message above)", exc.exit_code) from None
    try:
        target = locate(spec, language)
    except TargetError as exc:
        raise fail(str(exc), EXIT_USAGE)
    test_program = None
    if target.language != "python" and tests is not None:
        test_program = tests.read_text(encoding="utf-8")
    if target.language != "python" and workload and Path(workload).is_file():
        workload = Path(workload).read_text(encoding="utf-8")
    console = _console()
    cancel = threading.Event()
    def on_event(event: str, data: dict) -> None:
        if as_json:
            return
        if event == "stage":
            console.print(f"[dim]… {data.get('message') or data.get('stage')}[/dim]")
        elif event == "attempt":
            console.print(f"[cyan]{data['stage']} attempt {data['number']}[/cyan] on {data['model']} …")
        elif event == "result":
            console.print(f"  → {data['status']}: tests {data['tests_passed']}/{data['tests_total']}"
                          + (f"; {data['reason'][:160]}" if data.get("reason") else ""))

    def work():
        from orchestrator.loop import Orchestrator
        from orchestrator.pipeline import Pipeline
        from orchestrator.report import JobLimits
        from orchestrator.store import open_history

        history = open_history(settings.resolved_history_path())
        pipeline = Pipeline(settings, history, notify=lambda m: typer.echo(f"refactorcoder: {m}", err=True))
        limits = JobLimits(judge=judge, **({"max_attempts": attempts} if attempts else {}))
        orch = Orchestrator(pipeline, limits=limits)
        try:
            if kind == "fix":
                return orch.fix(target, tests_path=tests if target.language == "python" else None,
                                test_program=test_program, cancel=cancel, on_event=on_event)
            elif kind == "optimize":
                return orch.optimize(target, metric=metric, workload=workload,
                                     tests_path=tests if target.language == "python" else None,
                                     test_program=test_program, cancel=cancel, on_event=on_event)
            else:
                return orch.solve(target, tests_path=tests if target.language == "python" else None,
                                  test_program=test_program, cancel=cancel, on_event=on_event)
        finally:
            orch.close()
            pipeline.close()
            history.close()

    try:
        report = run_in_worker(work, cancel, name=f"refactorcoder-{kind}",
                               cancelling="cancelling… (the file is left untouched)", join_s=30)
    except Cancelled:
        raise fail("cancelled: the file is untouched", EXIT_CANCELLED)
    except OrchestratorError as exc:
        raise fail(str(exc), EXIT_USAGE)
    except RefactorCoderError as exc:
        raise fail(str(exc), EXIT_MODEL_ERROR)
    except Exception as exc:
        from sandbox.errors import SandboxError

        if isinstance(exc, SandboxError):
            raise fail(f"sandbox: {exc}", EXIT_MODEL_ERROR)
        raise
    if apply and report.status == "accepted" and report.accepted_code:
        from orchestrator.target import FileChanged, apply as apply_code

        try:
            apply_code(target, report.accepted_code)
            report.applied = True
        except FileChanged as exc:
            report.notes.append(str(exc))
    if as_json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    else:
        print_job(console, report, apply)
    if report.status != "accepted":
        raise typer.Exit(EXIT_NOT_ACCEPTED)


def _console():
    from rich.console import Console

    return Console(stderr=True)


def _print_decision(out, label: str, d: dict) -> None:
    out.print(f"{d.get('metric')} {label}: {d['verdict']}, B/A = {d['ratio']:.3f} "
              f"[CI {d['ci_low']:.3f} – {d['ci_high']:.3f}], p = {d['p_value']:.2g}, n = {d['n_pairs']} pairs")


def print_job(console, report, apply: bool) -> None:
    from rich.panel import Panel
    from rich.syntax import Syntax
    from rich.table import Table

    out = console
    colour = {"accepted": "green", "unchanged": "yellow", "failed": "red", "cancelled": "red"}[report.status]
    out.print(f"\n[bold]{report.kind} {report.target}[/bold]" + (f"  [dim](run {report.run_id})[/dim]"
                                                                  if report.run_id else ""))
    verdict = f"[{colour}]{report.status}[/{colour}]: {report.summary}"
    out.print(verdict)
    correct = ("[green]correct[/green]" if report.correct else "[red]NOT shown correct[/red]")
    out.print(f"tests ({', '.join(report.suites) or 'none'}): {report.tests_passed}/{report.tests_total} passed — {correct}")
    if report.checks:
        out.print("checks that ran: " + " · ".join(
            f"{c['name']} {c['passed']}/{c['total']}" if c["name"] != "state" else "state guard" for c in report.checks))
    elif report.status != "accepted" and report.kind != "solve":
        out.print("[yellow]unverified[/yellow]: nothing proposed was proven by a check")
    if report.change:
        _print_decision(out, "against the original", report.change)
    if report.decision and report.decision != report.change:
        _print_decision(out, "last accepted step", report.decision)
    table = Table(title="attempts", show_lines=False)
    for column in ("#", "stage", "model", "status", "evidence / reason", "measured", "s"):
        table.add_column(column)
    for a in report.attempts:
        measured = ""
        if a.decision:
            measured = f"{a.decision['ratio']:.3f} [{a.decision['ci_low']:.3f}, {a.decision['ci_high']:.3f}]"
        table.add_row(str(a.number), a.stage, a.model, a.status, a.reason[:120] if a.reason else a.evidence,
                      measured, f"{a.seconds:.1f}")
    if report.attempts:
        out.print(table)
    if report.diff:
        out.print(Panel(Syntax(report.diff, "diff"), title="diff", title_align="left"))
    if report.judgment:
        scores = report.judgment.get("scores")
        line = (f"accuracy {scores['accuracy']}/5, clarity {scores['clarity']}/5, efficiency {scores['efficiency']}/5"
                if scores else "no readable scores")
        out.print(f"judge ({report.judgment.get('model')}): {line}" + (
            "  [dim](execution decides correctness, not the judge)[/dim]" if not report.correct else ""))
    if report.composite is not None:
        out.print(f"composite score (execution + judge): {report.composite:.2f}")
    if report.budget:
        out.print(f"budget used: {report.budget.text()}")
    for note in report.notes:
        out.print(f"[dim]note: {note}[/dim]")
    if report.status == "accepted":
        out.print("[green]written to the file[/green]" if report.applied else
                  "the file is untouched (use --apply to write the accepted version)")


TargetSpec = typer.Argument(..., help="FILE::function")
TestsOpt = typer.Option(None, "--tests", help="test file or directory (Python); a test program for other languages")
ApplyOpt = typer.Option(False, "--apply", help="write the accepted version into the file")
JsonOpt = typer.Option(False, "--json", help="print the job report as JSON (with the accepted code)")
LangOpt = typer.Option(None, "--language", "-l", help="language (default: from the file name)")
AttemptsOpt = typer.Option(None, "--attempts", min=1, max=50, help="candidates to try (default 4)")
JudgeOpt = typer.Option(True, "--judge/--no-judge", help="ask the judge for scores beside the execution verdict")


def fix(target: str = TargetSpec, tests: Optional[Path] = TestsOpt, apply: bool = ApplyOpt, as_json: bool = JsonOpt,
        config: Optional[Path] = ConfigOpt, language: Optional[str] = LangOpt, attempts: Optional[int] = AttemptsOpt,
        judge: bool = JudgeOpt):
    """Fix FILE::function until its tests pass (candidates run in the sandbox; ranked models in turn)."""
    _orchestrate("fix", target, config=config, as_json=as_json, apply=apply, language=language, tests=tests,
                 attempts=attempts, judge=judge)


def optimize(target: Optional[str] = typer.Argument(None, help="FILE::function (none with --changed)"),
             metric: str = typer.Option("time", "--metric", help="time | peak_memory | mean_memory | cpu"),
             workload: Optional[str] = typer.Option(None, "--workload", help="Python expression, e.g. 'f(list(range(1000)))'"
                                                    "; for other languages a file whose main loops N times"),
             tests: Optional[Path] = TestsOpt, apply: bool = ApplyOpt, as_json: bool = JsonOpt,
             config: Optional[Path] = ConfigOpt, language: Optional[str] = LangOpt,
             attempts: Optional[int] = AttemptsOpt, judge: bool = JudgeOpt,
             changed: bool = changed_mode.ChangedOpt, base: str = changed_mode.BaseOpt,
             report: Optional[Path] = changed_mode.ReportOpt,
             hot: Optional[int] = typer.Option(None, "--hot", min=1, max=20, help="trace the command after -- in the "
                                               "sandbox and optimize the N functions with the most own time"),
             command: Optional[List[str]] = typer.Argument(None, help="with --hot: the command to trace, after --")):
    """Make FILE::function measurably better on METRIC without changing what it does (or keep it as is)."""
    if metric not in ("time", "peak_memory", "mean_memory", "cpu"):
        raise _err(f"--metric {metric}: choose time, peak_memory, mean_memory or cpu", EXIT_USAGE)
    if hot is not None:  # server/cli/trace.py: everything positional is the command to trace
        from server.cli.trace import optimize_hot

        return optimize_hot(hot, [*([target] if target else []), *(command or [])], metric=metric, apply=apply,
                            as_json=as_json, config=config, attempts=attempts, judge=judge, report_path=report)
    if changed or report is not None:
        return changed_mode.run(target, base=base, report=report, changed=changed, metric=metric, tests=tests,
                                apply=apply, as_json=as_json, config=config, attempts=attempts, judge=judge,
                                workload=workload)
    if target is None:
        raise _err("optimize needs FILE::function (or --changed --base REF for the functions a diff touches)", EXIT_USAGE)
    _orchestrate("optimize", target, config=config, as_json=as_json, apply=apply, language=language, tests=tests,
                 metric=metric, workload=workload, attempts=attempts, judge=judge)


def solve_run(target: str, *, tests: Optional[Path], apply: bool, as_json: bool, config, language) -> None:
    """`solve TARGET --run`: generate, test in the sandbox, fix when it fails."""
    if "::" not in target:
        raise _err("solve --run needs FILE::function (a stub with its docstring); tests come from the project "
                   "or --tests", EXIT_USAGE)
    _orchestrate("solve", target, config=config, as_json=as_json, apply=apply, language=language, tests=tests)


def register(app: typer.Typer) -> None:
    app.command("fix", epilog=EXIT_CODES)(fix)
    app.command("optimize", epilog=EXIT_CODES)(optimize)
