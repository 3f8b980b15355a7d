"""`refactorcoder compare A B`: is program B measurably better than program A? (the decision alone)

A and B run interleaved in one warm sandbox (``profiling.compare_programs``); the answer is "better",
"worse" or "no significant difference", with the ratio (Hodges-Lehmann), its interval at the plan's level, the
paired test's p and the number of pairs. Only typer is imported at module level (the CLI's start-up stays fast).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Optional

import typer

EXIT_MEASUREMENT, EXIT_USAGE = 1, 2
EXTENSIONS = {".py": "python", ".cpp": "cpp", ".cc": "cpp", ".cxx": "cpp", ".java": "java", ".go": "go",
              ".rs": "rust", ".js": "js", ".mjs": "js"}
METRIC_CHOICES = ("time", "wall_time", "peak_memory", "mean_memory", "cpu")


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"refactorcoder: {message}", err=True)
    return typer.Exit(code)


def _read_target(target: str, lang: Optional[str]) -> tuple[str, str, Optional[str], str]:
    """(language, source, function or None, file name) of FILE or FILE::function."""
    path_text, _, function = target.partition("::")
    path = Path(path_text)
    if not path.is_file():
        raise _fail(f"{path_text}: no such file", EXIT_USAGE)
    language = lang or EXTENSIONS.get(path.suffix.lower())
    if language is None:
        raise _fail(f"cannot tell the language of {path.name}; pass --lang", EXIT_USAGE)
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"cannot read {path_text}: {exc}", EXIT_USAGE)
    return language, source, function or None, path.name


def _check_python(source: str, function: Optional[str], name: str) -> None:
    try:
        tree = ast.parse(source, filename=name)
    except SyntaxError as exc:
        raise _fail(f"{name} does not parse: {exc.msg} (line {exc.lineno})", EXIT_USAGE)
    if function and not any(isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                            and node.name == function for node in tree.body):
        raise _fail(f"{name} has no top-level function {function!r}", EXIT_USAGE)


def _fmt(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value * 1000:.2f} ms"
    if unit == "B":
        return f"{value / 2 ** 20:.2f} MiB"
    return f"{value:.3f}"


def print_decision(console, decision, label_a: str, label_b: str) -> None:
    from rich.table import Table

    colour = {"better": "green", "worse": "red"}.get(decision.verdict, "yellow")
    table = Table(title=f"{label_b} vs {label_a} ({decision.metric})", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    table.add_row("verdict", f"[bold {colour}]{decision.verdict}[/]")
    table.add_row("median A / B", f"{_fmt(decision.median_a, decision.unit)} / {_fmt(decision.median_b, decision.unit)}")
    change = "less" if decision.ratio <= 1 else "more"
    table.add_row("ratio B/A", f"{decision.ratio:.3f}  (B: {abs(1 - decision.ratio):.1%} {change})")
    table.add_row(f"{100 * decision.confidence:.3g}% interval", f"[{decision.ci_low:.3f}, {decision.ci_high:.3f}]  "
                  f"(minimum effect ±{decision.min_effect:.0%})")
    table.add_row(f"p ({decision.test})", f"{decision.p_value:.3g}  (alpha/k/looks = {decision.alpha_adjusted:.3g}, "
                                            f"look {decision.look} of {len(decision.looks)})")
    table.add_row("pairs", f"{decision.n_pairs} interleaved, workload ×{decision.loop_count_a} (A) / "
                           f"×{decision.loop_count_b} (B) per sample; stopped: {decision.stopped}")
    table.add_row("seconds", f"{decision.seconds:.1f}")
    console.print(table)
    for note in decision.notes:
        console.print(f"[dim]· {note}")


def compare_command(
    a: str = typer.Argument(..., metavar="A", help="baseline: FILE (or FILE::function with --workload)"),
    b: str = typer.Argument(..., metavar="B", help="candidate: FILE (or FILE::function with --workload)"),
    metric: str = typer.Option("time", "--metric", "-m", help="time (CPU seconds) | wall_time | peak_memory | "
                               "mean_memory | cpu (utilisation); lower is better for all"),
    lang: Optional[str] = typer.Option(None, "--lang", "-l", help="language of A and B (default: file extension)"),
    as_json: bool = typer.Option(False, "--json", help="print the Decision as JSON on stdout"),
    budget_s: float = typer.Option(60.0, "--budget-s", min=0, help="time budget for extra pairs (s)"),
    workload: Optional[str] = typer.Option(None, "--workload", help="Python: expression timed in the module's "
                                           "namespace, e.g. 'two_sum(list(range(5000)), 9997)'"),
    setup: str = typer.Option("", "--setup", help="Python: statements run once per process before the workload"),
    self_looping: bool = typer.Option(False, "--self-looping", help="the programs repeat their work N times, N "
                                      "given as their last argument (the way for C++, Java, Go, Rust)"),
    stdin: Optional[Path] = typer.Option(None, "--stdin", exists=True, dir_okay=False, help="input for both programs"),
    min_pairs: int = typer.Option(6, "--min-pairs", min=2, help="interleaved pairs before a look may decide"),
    max_pairs: int = typer.Option(100, "--max-pairs", min=2, help="interleaved pairs at most (the last planned look)"),
    min_effect: float = typer.Option(0.05, "--min-effect", min=0.0, max=0.99, help="smallest change called a change"),
    alpha: float = typer.Option(0.05, "--alpha", min=1e-6, max=0.5, help="significance level of the rank test"),
    comparisons: int = typer.Option(1, "--comparisons", min=1, help="candidates compared in the same job (Bonferroni)"),
    wall_time: float = typer.Option(10.0, "--wall-time", help="wall-clock limit per run in seconds"),
    memory_mb: int = typer.Option(512, "--memory-mb", help="memory limit per run"),
    seed: Optional[int] = typer.Option(None, "--seed", help="seed of the pair order (default: random)"),
) -> None:
    """Is B measurably better than A? Runs both interleaved in the sandbox; prints verdict, ratio, interval, p, n."""
    if metric not in METRIC_CHOICES:
        raise _fail(f"--metric must be one of {', '.join(METRIC_CHOICES)}", EXIT_USAGE)
    if lang is not None:
        from sandbox.models import LANGUAGE_ALIASES

        lang = LANGUAGE_ALIASES.get(lang.lower(), lang.lower())
        if lang not in EXTENSIONS.values():
            raise _fail(f"unknown language {lang!r}", EXIT_USAGE)
    lang_a, src_a, fn_a, name_a = _read_target(a, lang)
    lang_b, src_b, fn_b, name_b = _read_target(b, lang)
    if lang_a != lang_b:
        raise _fail(f"A is {lang_a} but B is {lang_b}: compare programs of one language", EXIT_USAGE)
    if (fn_a or fn_b) and workload is None:
        raise _fail("FILE::function needs --workload EXPR, the call to time (e.g. --workload "
                    f"'{fn_a or fn_b}(...)')", EXIT_USAGE)
    if workload is not None and lang_a != "python":
        raise _fail("--workload is for Python; for other languages use --self-looping programs", EXIT_USAGE)
    if lang_a == "python":
        _check_python(src_a, fn_a, name_a)
        _check_python(src_b, fn_b, name_b)
    from profiling import MeasurementCancelled, MeasurementError, compare_programs, program_for_source
    from sandbox import Limits, Sandbox, SandboxError, SandboxUnavailable

    limits = Limits(wall_time_s=wall_time, cpu_time_s=wall_time, memory_mb=memory_mb)
    stdin_text = stdin.read_text() if stdin else None
    try:
        programs = [program_for_source(lang_a, src, workload=workload, setup=setup, self_looping=self_looping,
                                       stdin=stdin_text, limits=limits, label=label)
                    for src, label in ((src_a, a), (src_b, b))]
    except (SyntaxError, ValueError) as exc:
        raise _fail(f"bad workload or setup: {exc}", EXIT_USAGE)
    from rich.console import Console

    err = Console(stderr=True)
    try:
        with Sandbox(pool_size=1) as sandbox, err.status("warming up and calibrating…") as status:
            def progress(pairs: int, decision) -> None:
                status.update(f"{pairs} pairs measured" + (f" — {decision.verdict} so far" if decision else ""))

            decision = compare_programs(sandbox, programs[0], programs[1], metric=metric, budget_s=budget_s,
                                        min_pairs=min_pairs, max_pairs=max(max_pairs, min_pairs),
                                        min_effect=min_effect, alpha=alpha, comparisons=comparisons, seed=seed,
                                        on_progress=None if as_json else progress)
    except SandboxUnavailable as exc:
        raise _fail(str(exc), EXIT_USAGE)
    except (MeasurementError, SandboxError) as exc:
        raise _fail(str(exc), EXIT_MEASUREMENT)
    except (KeyboardInterrupt, MeasurementCancelled):
        raise _fail("cancelled", 130)
    if as_json:
        sys.stdout.write(decision.model_dump_json(indent=2) + "\n")
    else:
        print_decision(Console(), decision, a, b)
