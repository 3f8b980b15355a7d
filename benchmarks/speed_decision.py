"""The speed decision's error rates on real sandbox runs (issue 8, "Deciding 'better', honestly").

* false "better" rate: A/A pairs -- the same program as baseline and candidate (target <= 1%);
* detection rate at 10% and 25% real slowdowns: one program does 10% (25%) more work in its loop; half
  the trials put the slower one as the baseline (the right answer is "better"), half as the candidate
  ("worse"); a trial counts as detected only when the verdict is the right one (targets >= 80%, >= 95%);
* seconds to a verdict (warm-up, calibration and all pairs included).

Each decision is a full ``profiling.compare_programs`` in one warm Sandbox: calibrated repeat count,
>= 20 randomised interleaved pairs, fresh process per sample, more pairs within ``--budget-s``.

    .venv/bin/python -m benchmarks.speed_decision [--aa 100] [--detect 40] [--budget-s 20]
        [--min-sample-ms 100] [--resume benchmarks/results/speed_decision/FILE.json] [--label default]

On the shared 2-core VM the README's figures used ``--detect 24 --min-sample-ms 50 --budget-s 15`` (a
shorter workload per sample than the library's 100 ms default, to fit 148 decisions in an hour).
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from statistics import median
from types import SimpleNamespace
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from benchmarks.common import RESULTS_DIR_OPTION, benchmark_app, start_run
from profiling import BETTER, WORSE, compare_programs, python_workload
from sandbox import Sandbox

WORK = """\
def work(n):
    s = 0
    for i in range(n):
        s += i * i % 7
    return s
"""
BASE_N = 20_000  # ~2 ms per call: the calibration loops it ~50 times per 100 ms sample
app = benchmark_app(__doc__)


def program(scale: float):
    return python_workload(WORK, f"work({round(BASE_N * scale)})")


def trial(sandbox, a_scale: float, b_scale: float, args, seed: int) -> dict:
    start = time.monotonic()
    d = compare_programs(sandbox, program(a_scale), program(b_scale), metric=args.metric, budget_s=args.budget_s,
                         min_pairs=args.min_pairs, min_sample_s=args.min_sample_ms / 1000, seed=seed)
    return {"a": a_scale, "b": b_scale, "verdict": d.verdict, "ratio": d.ratio, "ci": [d.ci_low, d.ci_high],
            "p": d.p_value, "n_pairs": d.n_pairs, "loop": d.loop_count, "seconds": time.monotonic() - start}


def summarise(rows: dict[str, list[dict]]) -> dict:
    summary = {}
    for name, results in rows.items():
        if not results:
            continue
        if name == "A/A":
            hits = sum(r["verdict"] == BETTER for r in results)
            what = 'false "better"'
        else:
            hits = sum(r["verdict"] == (BETTER if r["a"] > r["b"] else WORSE) for r in results)
            what = "detected"
        secs = [r["seconds"] for r in results]
        summary[name] = {"trials": len(results), "hits": hits, "rate": hits / len(results), "what": what,
                         "false_worse": sum(r["verdict"] == WORSE for r in results) if name == "A/A" else None,
                         "wrong_direction": None if name == "A/A" else sum(
                             r["verdict"] == (WORSE if r["a"] > r["b"] else BETTER) for r in results),
                         "median_seconds": median(secs), "max_seconds": max(secs),
                         "median_pairs": median(r["n_pairs"] for r in results),
                         "median_ratio": median(r["ratio"] if r["a"] <= r["b"] else 1 / r["ratio"] for r in results)}
    return summary


def wait_for_engine(console, limit_s: float = 1800) -> None:
    from sandbox.engine import get_client

    end = time.monotonic() + limit_s
    while True:
        try:
            get_client().ping()  # the client is cached: ping, so a stopped engine is noticed
            return
        except Exception as exc:  # SandboxUnavailable, or the cached client's connection errors
            if time.monotonic() > end:
                raise
            console.print(f"[dim]engine not reachable yet ({str(exc)[:80]}…)")
            time.sleep(15)


@app.command()
def main(aa: int = typer.Option(100, "--aa", min=0, help="A/A decisions"),
         detect: int = typer.Option(40, "--detect", min=0, help="decisions per slowdown (10%, 25%)"),
         budget_s: float = typer.Option(20.0, "--budget-s", help="time budget per decision"),
         min_pairs: int = typer.Option(20, "--min-pairs"),
         min_sample_ms: float = typer.Option(100.0, "--min-sample-ms"),
         metric: str = typer.Option("time", "--metric"),
         seed: int = typer.Option(2026, "--seed"),
         resume: Optional[Path] = typer.Option(None, "--resume", help="continue the trials saved in this results file "
                                                                      "(same settings); the run writes a new file"),
         label: Optional[str] = typer.Option(None, "--label", help="a tag kept in the results, e.g. `default`"),
         results_dir: Path = RESULTS_DIR_OPTION) -> None:
    """The speed decision's false-"better" and detection rates on real sandbox runs."""
    settings = {"aa": aa, "detect": detect, "budget_s": budget_s, "min_pairs": min_pairs,
                "min_sample_ms": min_sample_ms, "metric": metric, "seed": seed}
    args = SimpleNamespace(**settings)
    console = Console(stderr=True)
    rng = random.Random(args.seed)
    wait_for_engine(console)
    rows: dict[str, list[dict]] = {"A/A": [], "10% slowdown": [], "25% slowdown": []}
    plan = [("A/A", 1.0, 1.0)] * args.aa
    for name, slow in (("10% slowdown", 1.10), ("25% slowdown", 1.25)):
        plan += [(name, slow, 1.0), (name, 1.0, slow)] * (args.detect // 2)
    rng.shuffle(plan)  # conditions interleaved in time: the machine's load hits them alike
    seeds = [rng.randrange(2 ** 31) for _ in plan]
    done, previous_s = 0, 0.0
    if resume is not None:
        old = json.loads(resume.read_text())
        saved = old.get("options") or old.get("args") or {}  # "args": files written before benchmarks.common
        if {k: saved.get(k) for k in settings} != settings:
            raise SystemExit("--resume: the saved run used other settings")
        rows = old["trials"]
        done, previous_s = sum(len(v) for v in rows.values()), old["total_seconds"]
        console.print(f"resuming after {done} trials")
    run = start_run("speed_decision", {**settings, "resume": str(resume) if resume else None, "label": label},
                    results_dir=results_dir, docker=True)
    start = time.monotonic() - previous_s
    sandbox = Sandbox(pool_size=1)
    try:
        for i in range(done, len(plan)):
            name, a_scale, b_scale = plan[i]
            for attempt in range(3):
                try:
                    row = trial(sandbox, a_scale, b_scale, args, seeds[i])
                    break
                except Exception as exc:  # e.g. the engine restarted under us (docker/requests errors too)
                    console.print(f"[yellow]trial {i + 1} failed ({exc}); waiting for the engine, retrying")
                    try:
                        sandbox.close()
                    except Exception:
                        pass
                    wait_for_engine(console)
                    sandbox = Sandbox(pool_size=1)
            else:
                raise SystemExit(f"trial {i + 1} failed three times")
            rows[name].append(row)
            console.print(f"[{i + 1}/{len(plan)}] {name:<13} A={a_scale} B={b_scale}: {row['verdict']:<25} "
                          f"ratio {row['ratio']:.3f} [{row['ci'][0]:.3f}, {row['ci'][1]:.3f}] p={row['p']:.2g} "
                          f"n={row['n_pairs']} {row['seconds']:.1f}s")
            # Written after every trial, so an interrupted run still leaves its figures (and --resume works).
            run.save({"summary": summarise(rows), "total_seconds": time.monotonic() - start, "trials": rows},
                     complete=False)
    finally:
        sandbox.close()
    summary = summarise(rows)
    table = Table(title=f"speed decision ({args.metric}, min {args.min_pairs} pairs, budget {args.budget_s:.0f} s)")
    for col in ("condition", "trials", "rate", "median B/A (slow/fast)", "median pairs", "median s", "max s"):
        table.add_column(col)
    for name, s in summary.items():
        table.add_row(name, str(s["trials"]), f"{s['what']} {s['hits']}/{s['trials']} ({s['rate']:.0%})",
                      f"{s['median_ratio']:.3f}", f"{s['median_pairs']:.0f}", f"{s['median_seconds']:.1f}",
                      f"{s['max_seconds']:.1f}")
    Console().print(table)
    path = run.save({"summary": summary, "total_seconds": time.monotonic() - start, "trials": rows})
    console.print(f"results in {path}")


if __name__ == "__main__":
    app()
