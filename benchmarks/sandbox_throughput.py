"""Throughput of trivial runs per second through the warm pool.

    .venv/bin/python benchmarks/sandbox_throughput.py [--runs N] [--workers 1 2] [--lang python]
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

from sandbox_common import machine, write_result
from rich.console import Console
from rich.table import Table

from sandbox import RunSpec, Sandbox

TRIVIAL = {"python": 'print("hello")\n', "js": 'console.log("hello")\n'}


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2, 4])
    parser.add_argument("--lang", nargs="*", default=["python"])
    args = parser.parse_args()
    rows = [measure(lang, w, args.runs) for lang in args.lang for w in args.workers]
    table = Table(title="Sandbox throughput (trivial program, warm pool)")
    for col in ("language", "workers (= pool size)", "runs", "ok", "seconds", "runs/s"):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(r["language"], str(r["workers"]), str(r["runs"]), str(r["ok"]), f"{r['elapsed_s']:.2f}",
                      f"{r['runs_per_s']:.1f}")
    console = Console(width=150)
    console.print(table)
    path = write_result("sandbox_throughput", {"machine": machine(), "args": vars(args), "results": rows})
    console.print(f"written {path}")


if __name__ == "__main__":
    main()
