"""Throughput of trivial runs per second through the warm pool.

    .venv/bin/python -m benchmarks.sandbox_throughput [--runs N] [--workers 1,2,4] [--lang python]
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table

from benchmarks.common import RESULTS_DIR_OPTION, benchmark_app, split, start_run
from sandbox import RunSpec, Sandbox

TRIVIAL = {"python": 'print("hello")\n', "js": 'console.log("hello")\n'}
app = benchmark_app(__doc__)


def measure(language: str, workers: int, runs: int) -> dict:
    with Sandbox(pool_size=workers) as sandbox:
        sandbox.warm(language, count=workers)
        spec = RunSpec(language=language, source=TRIVIAL[language])
        sandbox.run(spec)  # first-use costs (image metadata, imports) out of the measurement
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(lambda _: sandbox.run(spec), range(runs)))
        elapsed = time.perf_counter() - start
    ok = sum(r.ok for r in results)
    return {"language": language, "workers": workers, "runs": runs, "ok": ok, "elapsed_s": elapsed,
            "runs_per_s": runs / elapsed, "all_warm": all(r.warm for r in results)}


@app.command()
def main(runs: int = typer.Option(100, "--runs", min=1, help="runs per configuration"),
         workers: Optional[List[str]] = typer.Option(None, "--workers", help="pool sizes (= threads; default 1,2,4)"),
         lang: Optional[List[str]] = typer.Option(None, "--lang", help=f"of {', '.join(TRIVIAL)} (default python)"),
         results_dir: Path = RESULTS_DIR_OPTION) -> None:
    """Throughput of trivial runs per second through the warm pool."""
    options = {"runs": runs, "workers": split(workers, [1, 2, 4], int), "lang": split(lang, ["python"])}
    run = start_run("sandbox_throughput", options, results_dir=results_dir, docker=True)
    rows = [measure(language, w, runs) for language in options["lang"] for w in options["workers"]]
    table = Table(title="Sandbox throughput (trivial program, warm pool)")
    for col in ("language", "workers (= pool size)", "runs", "ok", "seconds", "runs/s"):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(r["language"], str(r["workers"]), str(r["runs"]), str(r["ok"]), f"{r['elapsed_s']:.2f}",
                      f"{r['runs_per_s']:.1f}")
    console = Console(width=150)
    console.print(table)
    console.print(f"written {run.save({'results': rows})}")


if __name__ == "__main__":
    app()
