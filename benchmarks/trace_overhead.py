"""What `refactorcoder trace` costs the traced command (issue 17: ≤ 3× its untraced time in the sandbox).

The project is real code: copies of three pure-Python standard-library modules under project names
(difflib as `textdiff.py`, fractions as `fracs.py`, textwrap as `wrapping.py`), so the tracer sees them as the
project's own files, plus a script and a pytest file that use them:

* `difflib`: SequenceMatcher ratios and unified diffs of generated texts (mid-sized functions, loops);
* `fractions`: sums and products of Fractions (many tiny dunder calls: the tracer's worst case);
* `textwrap`: wrapping and filling paragraphs (regex-heavy, few calls);
* `pytest`: the three workloads as tests, run by the sandbox image's pytest (`pytest -q tests`).

Each command runs in the Python sandbox through the same tracer program three ways, interleaved, `--pairs`
times: without its instruments (`traced=False`), with the default sampling clock (a SIGPROF handler every ms of
CPU, the sampler's wrappers counting calls) and with cProfile (`--exact`). The figure is
the command's own time inside the sandbox (taken around the command only: the container and the interpreter's
start are the same for both), wall and CPU, median of the per-pair ratios traced/untraced. On a loaded machine
the CPU ratio is the steadier one (a pair's wall time also holds the time other processes took the core).

    .venv/bin/python -m benchmarks.trace_overhead [--pairs 5] [--only difflib,fractions]
    .venv/bin/python -m benchmarks.trace_overhead --project DIR --command "python -m pytest -q tests" --timers sampling
"""

from __future__ import annotations

import difflib
import fractions
import tempfile
import textwrap
from pathlib import Path
from statistics import median
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table

from benchmarks.common import RESULTS_DIR_OPTION, benchmark_app, split, start_run

app = benchmark_app(__doc__)

SCRIPTS = {
    "difflib": '''import random
from textdiff import SequenceMatcher, unified_diff

random.seed(1)
words = ["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta"]
def text(n):
    return [" ".join(random.choice(words) for _ in range(8)) for _ in range(n)]
total = 0.0
for i in range(300):
    a = text(120)
    b = [line if random.random() < 0.8 else line[::-1] for line in a]
    total += SequenceMatcher(None, a, b).ratio()
    total += len(list(unified_diff(a, b, lineterm="")))
print(round(total, 3))
''',
    "fractions": '''from fracs import Fraction

acc = Fraction(0)
for n in range(1, 40000):
    acc += Fraction(1, n) * Fraction(n % 7 + 1, n % 5 + 2)
    if n % 100 == 0:
        acc = Fraction(acc.numerator % 10**12, acc.denominator % 10**12 + 1)
print(acc)
''',
    "textwrap": '''from wrapping import dedent, fill, wrap

para = "The quick brown fox jumps over the lazy dog, again and again and again. " * 40
count = 0
for width in list(range(20, 120)) * 4:
    count += len(wrap(para, width)) + len(fill(para, width // 2 + 10))
    count += len(dedent("    a\\n    b\\n" * 20))
print(count)
''',
}
TESTS = '''import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def test_difflib():
    runpy.run_path(str(ROOT / "run_difflib.py"))

def test_fractions():
    runpy.run_path(str(ROOT / "run_fractions.py"))

def test_textwrap():
    runpy.run_path(str(ROOT / "run_textwrap.py"))
'''
COMMANDS = {"difflib": ["python", "run_difflib.py"], "fractions": ["python", "run_fractions.py"],
            "textwrap": ["python", "run_textwrap.py"], "pytest": ["pytest", "-q", "tests"]}


def build_project(root: Path) -> Path:
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'traced-bench'\n")
    for module, name in ((difflib, "textdiff"), (fractions, "fracs"), (textwrap, "wrapping")):
        (root / f"{name}.py").write_text(Path(module.__file__).read_text(encoding="utf-8"), encoding="utf-8")
    for name, text in SCRIPTS.items():
        (root / f"run_{name}.py").write_text(text)
    (root / "tests" / "test_workloads.py").write_text(TESTS)
    return root


@app.command()
def main(pairs: int = typer.Option(5, "--pairs", min=1, help="traced/untraced pairs per command"),
         only: Optional[List[str]] = typer.Option(None, "--only", help="commands: difflib, fractions, textwrap, pytest"),
         project: Optional[Path] = typer.Option(None, "--project", help="trace this project instead (e.g. an "
                                                "unpacked sdist), running --command in it"),
         command_text: str = typer.Option("python -m pytest -q tests", "--command", help="with --project"),
         timers: Optional[List[str]] = typer.Option(None, "--timers", help="sampling, cprofile (default both)"),
         results_dir: Path = RESULTS_DIR_OPTION) -> None:
    from sandbox import Sandbox

    from orchestrator.trace.run import trace_command

    commands = {project.name: command_text.split()} if project else {n: COMMANDS[n] for n in split(only, list(COMMANDS))}
    chosen = split(timers, ["sampling", "cprofile"])
    run = start_run("trace_overhead", {"pairs": pairs, "commands": commands, "project": project, "timers": chosen},
                    results_dir=results_dir, docker=True)
    rows = {}
    with tempfile.TemporaryDirectory() as tmp, Sandbox(pool_size=1) as sandbox:
        root = project.resolve() if project else build_project(Path(tmp) / "proj")
        for name, command in commands.items():
            trace_command(root, command, sandbox, traced=False)  # warm: the container and the page cache
            runs = {timer: [] for timer in ["untraced", *chosen]}  # (wall, cpu) per run, interleaved
            functions = samples = clock = 0
            for _ in range(pairs):
                for timer in runs:
                    got = trace_command(root, command, sandbox, traced=timer != "untraced",
                                        exact=timer == "cprofile")
                    if got.exit_code:
                        raise typer.Exit(f"{name}: the command failed in the sandbox: {got.output_tail[-800:]}")
                    runs[timer].append((got.wall_s, got.cpu_s))
                    if timer == "sampling":
                        functions, clock = len(got.functions), got.clock_samples
                        samples = sum(len(f.samples) for f in got.functions)
            row = {"command": " ".join(command), "runs": runs, "functions": functions, "samples": samples,
                   "clock_samples": clock}
            for timer in chosen:
                for i, what in ((0, "wall"), (1, "cpu")):
                    ratios = [t[i] / p[i] for t, p in zip(runs[timer], runs["untraced"])]
                    row[f"{timer}_{what}_ratios"] = ratios
                    row[f"{timer}_{what}_median"] = median(ratios)
                    row[f"{timer}_{what}_max"] = max(ratios)
            rows[name] = row
            run.save({"results": rows}, complete=False)
    path = run.save({"results": rows})
    table = Table(title=f"tracing overhead in the sandbox: traced / untraced, median (max) of {pairs} runs each")
    for column in ("command", "untraced s", "clock: wall", "clock: CPU", "cProfile: wall", "cProfile: CPU",
                   "functions", "inputs", "clock samples"):
        table.add_column(column, overflow="fold")
    for row in rows.values():
        cells = [f"{row[f'{t}_{w}_median']:.2f}× ({row[f'{t}_{w}_max']:.2f}×)" if f"{t}_{w}_median" in row else "-"
                 for t in ("sampling", "cprofile") for w in ("wall", "cpu")]
        table.add_row(row["command"], f"{median(w for w, _ in row['runs']['untraced']):.3f}", *cells,
                      str(row["functions"]), str(row["samples"]), str(row["clock_samples"]))
    Console().print(table)
    Console().print(f"results: {path}")


if __name__ == "__main__":
    app()
