"""Human (rich) rendering of RunReports and history rows for the CLI. --json bypasses this."""

from __future__ import annotations

from rich.console import Console
from rich.markdown import Markdown
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table

from server.reports.markdown import scores_line


def _model_line(stage) -> str:
    line = f"model {stage.model_id}, {stage.duration_s:.1f}s"
    if stage.fell_back:
        line += ", fallback"
    return line + "".join(f"; {note}" for note in stage.notes)


def print_report(console: Console, report) -> None:
    problem = report.problem
    console.print(f"[bold]{problem.title}[/bold]" + (f"  [dim](run {report.run_id})[/dim]" if report.run_id else ""))
    if report.guidance:
        console.print(Panel(Markdown(report.guidance.text.strip() or "(empty)"), title="Guidance",
                            subtitle=_model_line(report.guidance), title_align="left"))
    if report.solution:
        body = (
            Syntax(report.solution_code.rstrip(), problem.language or "text", line_numbers=False)
            if report.solution_code
            else Markdown(report.solution.text.strip() or "(empty)")
        )
        console.print(Panel(body, title="Solution (unverified)", subtitle=_model_line(report.solution),
                            title_align="left"))
        console.print("[yellow]unverified[/yellow]: nothing ran this code; `refactorcoder solve FILE::function --run` "
                      "tests it in the sandbox and fixes it when a test fails")
    if report.judgment:
        print_judgment(console, report.judgment)
        if not report.verified:
            console.print("[dim]the judge's opinion, not a test result: nothing here was run[/dim]")
    for note in report.notes:
        console.print(f"[dim]note: {note}[/dim]")


def print_judgment(console: Console, judgment) -> None:
    table = Table(title="Judgment", title_justify="left", show_header=True)
    for name in ("accuracy", "clarity", "efficiency"):
        table.add_column(name, justify="center")
    if judgment.scores:
        table.add_row(*(str(getattr(judgment.scores, n)) for n in ("accuracy", "clarity", "efficiency")))
    else:
        table.add_row("no score", "no score", "no score")
    console.print(table)
    for label, items in (("Strengths", judgment.strengths), ("Weaknesses", judgment.weaknesses)):
        for item in items:
            console.print(f"  [green]+[/green] {item}" if label == "Strengths" else f"  [red]-[/red] {item}")
    if judgment.feedback:
        console.print(f"[bold]Feedback:[/bold] {judgment.feedback}")
    console.print(f"[dim]{_model_line(judgment.raw)}[/dim]")


def print_runs(console: Console, rows: list[dict]) -> None:
    table = Table(title="RefactorCoder runs (newest first)", title_justify="left")
    for column in ("id", "kind", "status", "created", "problem", "scores"):
        table.add_column(column)
    for row in rows:
        problem = row.get("problem") or {}
        scores = {k: row.get(k) for k in ("accuracy", "clarity", "efficiency") if row.get(k) is not None}
        table.add_row(
            str(row.get("id")), str(row.get("kind")), str(row.get("status")), str(row.get("created", ""))[:19],
            str(problem.get("title", ""))[:50], scores_line({"scores": scores} if scores else None),
        )
    console.print(table)
