"""What keeping the steps of one session apart costs (sandbox/supervisor/isolation.py), per run step.

A measurement session holds programs A and B (profiling/batch.py) and runs their samples as steps; before
and after each step the supervisor empties /tmp, /dev/shm, /work outside the run directory and SysV IPC,
and checks the run directory against its record (putting back what changed). The supervisor reports the
time this took for every run step (``isolation_s``: the record and seal after the builds count to the first
step). Here: two trivial programs, `--runs` samples each, interleaved, in one session; and the same with
`--files` extra program files per program (a project copied in for the Python driver). Medians in ms.

    .venv/bin/python -m benchmarks.sandbox_isolation [--runs N] [--files N] [--lang python,cpp]
"""

from __future__ import annotations

from pathlib import Path
from statistics import median
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table

from benchmarks.common import RESULTS_DIR_OPTION, benchmark_app, ms, split, start_run
from sandbox import Limits, RunSpec, Sandbox
from sandbox.languages import plan
from sandbox.runner import WORKDIR, build_payload, spec_files, step_dict

HELLO = {
    "python": 'print("hello")\n',
    "cpp": '#include <cstdio>\nint main(){ puts("hello"); }\n',
    "java": 'public class Main { public static void main(String[] a){ System.out.println("hello"); } }\n',
    "go": 'package main\nimport "fmt"\nfunc main(){ fmt.Println("hello") }\n',
    "rust": 'fn main(){ println!("hello"); }\n',
    "js": 'console.log("hello")\n',
}
app = benchmark_app(__doc__)


def session_payload(specs: list[RunSpec], runs: int) -> dict:
    """A and B built once, then `runs` interleaved samples of each (what profiling/batch.py sends)."""
    limits = specs[0].limits
    plans, steps, runs_of = [], [], []
    for number, spec in enumerate(specs):
        prefix = f"p{number}"
        p = plan(spec.language, spec_files(spec), spec.args, spec.mode, f"{WORKDIR}/{prefix}", spec.read_once)
        plans.append((f"{prefix}/", p))
        if p.build:
            steps.append(step_dict(f"{prefix}:compile", p.build, limits.compile_time_s, limits.compile_time_s,
                                   limits, prefix, build=True))
        runs_of.append((prefix, p))
    for i in range(runs):
        for prefix, p in runs_of:
            steps.append(step_dict(f"{prefix}:run{i}", p.run, limits.wall_time_s, limits.cpu_time_s, limits, prefix))
    return build_payload(plans, steps, limits)


def measure(sandbox: Sandbox, language: str, runs: int, extra_files: int) -> dict:
    files = {f"pkg/mod{i}.py" if language == "python" else f"data/f{i}.txt": "x = 1\n" * 400
             for i in range(extra_files)}
    specs = [RunSpec(language=language, source=HELLO[language], files=files, limits=Limits()) for _ in range(2)]
    payload = session_payload(specs, runs)
    outcome, warm = sandbox.session(language, specs[0].limits, payload)
    assert outcome.report is not None, outcome.error
    run_steps = [s for s in outcome.report["steps"] if "isolation_s" in s]
    assert len(run_steps) == 2 * runs and all(s["exit_code"] == 0 and not s.get("tampered") for s in run_steps)
    later = [s["isolation_s"] for s in run_steps[1:]]
    return {"warm": warm, "first_step_isolation_s": run_steps[0]["isolation_s"],
            "step_isolation_s": median(later), "step_isolation_max_s": max(later),
            "session_s": outcome.elapsed_s, "programs_s": sum(s["wall_s"] for s in outcome.report["steps"]),
            "run_steps": len(run_steps), "files_sent": 2 * (1 + extra_files)}


@app.command()
def main(runs: int = typer.Option(20, "--runs", min=2, help="samples of each of A and B in the session"),
         files: int = typer.Option(200, "--files", min=0, help="extra program files per program, ~2.4 KB each"),
         lang: Optional[List[str]] = typer.Option(None, "--lang", help=f"of {', '.join(HELLO)} (default python,cpp)"),
         results_dir: Path = RESULTS_DIR_OPTION) -> None:
    """What keeping the steps of one session apart costs, per run step."""
    languages = split(lang, ["python", "cpp"])
    run = start_run("sandbox_isolation", {"runs": runs, "files": files, "lang": languages},
                    results_dir=results_dir, docker=True)
    rows = {}
    with Sandbox(pool_size=1) as sandbox:
        for language in languages:
            sandbox.warm(language, count=1)
            for extra in (0, files):
                rows[f"{language}+{extra}"] = measure(sandbox, language, runs, extra)
    table = Table(title="Isolation between the steps of one session (ms)")
    for col in ("language", "files sent (A+B)", "run steps", "first step (record + seal)", "per later step (median)",
                "per later step (max)"):
        table.add_column(col, justify="right" if col != "language" else "left")
    for key, r in rows.items():
        table.add_row(key.split("+")[0], str(r["files_sent"]), str(r["run_steps"]),
                      ms(r["first_step_isolation_s"]), ms(r["step_isolation_s"]), ms(r["step_isolation_max_s"]))
    Console(width=150).print(table)
    Console().print(f"written {run.save({'results': rows})}")


if __name__ == "__main__":
    app()
