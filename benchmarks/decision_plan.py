"""The sequential speed decision's error rates, power and time to a verdict (issue 15, "Numbers").

Simulated part (no Docker, minutes): every trial is a whole ``profiling.compare_programs`` -- warm-up,
start-up runs, per-program calibration, the planned looks -- against a simulated sandbox on a simulated
clock. Each run costs ``--overhead-ms`` (the sandbox's per-run cost) plus its own wall time. A sample of
program P with repeat count n uses ``(startup + n * cost_P) * noise`` seconds of CPU, where the noise is

* lognormal, ``--noise`` (default 6%: the CPU-time CV of a warm Python sandbox run on the 2-core VM,
  docs/benchmarks.md "Repeatability");
* slow drift: the machine's speed follows a sine of +-``--drift`` (10%) with a period of 1-3 minutes;
* load spikes: with probability ``--spike-p`` (5%) a sample's wall time is multiplied by 1.3-3x and its CPU
  time by the square root of that (a neighbour's load costs caches and frequency, not only waiting).

Scenarios: A/A (the same program twice), B 3% faster (must not be called "better": the claim is >= 5%),
B 10%, 25% and 2x faster, and an O(n^2) -> O(n) pair (50 ms vs 0.5 ms a call). A is 2 ms a call, start-up
15 ms of CPU.

Real part (``--real N``, needs Docker): N decisions of an O(n^2) list de-duplication against its set-based
O(n) rewrite, ``python_workload`` programs through ``compare_programs`` in one warm sandbox.

    .venv/bin/python -m benchmarks.decision_plan [--trials 400] [--overhead-ms 100,20] [--budget-s 120]
        [--comparisons 1] [--real 0]
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from types import SimpleNamespace
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table

from benchmarks.common import RESULTS_DIR_OPTION, benchmark_app, split, start_run
from profiling import BETTER, WORSE, Program, compare_programs
from profiling.metrics import Profile

app = benchmark_app(__doc__)
A_COST = 0.002  # CPU seconds per call of the baseline
STARTUP = 0.015  # CPU seconds of a Python process start with its imports
# name -> (A's cost per call, B's cost per call)
SCENARIOS = {"A/A": (A_COST, A_COST), "3% faster": (A_COST, 0.97 * A_COST), "10% faster": (A_COST, 0.90 * A_COST),
             "25% faster": (A_COST, 0.75 * A_COST), "2x faster": (A_COST, 0.5 * A_COST),
             "O(n^2) -> O(n)": (0.05, 0.0005)}
TARGETS = {"A/A": 'false "better" <= 1%', "3% faster": '"better" <= 2.5%', "10% faster": "power >= 80% in <= 120 s",
           "25% faster": "power >= 95% in <= 60 s", "2x faster": "decided in <= 15 s",
           "O(n^2) -> O(n)": "decided in <= 15 s"}


@dataclass
class SimResult:
    profile: Profile
    ok: bool = True


class SimulatedSandbox:
    """A runner on a simulated clock with the noise model of the module docstring."""

    def __init__(self, rng: random.Random, *, noise: float, drift: float, spike_p: float, overhead_s: float):
        self.rng, self.noise, self.drift, self.spike_p, self.overhead_s = rng, noise, drift, spike_p, overhead_s
        self.now = 0.0
        self.period = rng.uniform(60.0, 180.0)
        self.phase = rng.uniform(0.0, 2 * math.pi)

    def clock(self) -> float:
        return self.now

    def run(self, spec: SimpleNamespace) -> SimResult:
        speed = 1.0 + self.drift * math.sin(2 * math.pi * self.now / self.period + self.phase)
        cpu = (STARTUP + spec.repeat * spec.cost) * speed * self.rng.lognormvariate(0.0, self.noise)
        wall = cpu * 1.02
        if self.rng.random() < self.spike_p:
            factor = self.rng.uniform(1.3, 3.0)
            cpu, wall = cpu * math.sqrt(factor), wall * factor
        self.now += self.overhead_s + wall
        return SimResult(Profile(wall_time_s=wall, cpu_time_s=cpu, user_time_s=cpu, peak_memory_bytes=10_000_000,
                                 mean_memory_bytes=8_000_000))


def simulated_program(cost: float) -> Program:
    limits = SimpleNamespace(wall_time_s=10.0)
    return Program(lambda n: SimpleNamespace(repeat=n, cost=cost, limits=limits), True, f"{cost * 1000:g} ms")


def simulate(name: str, trials: int, overhead_s: float, args, seed: int) -> list[dict]:
    cost_a, cost_b = SCENARIOS[name]
    rows = []
    for i in range(trials):
        rng = random.Random(seed * 1_000_003 + i)
        box = SimulatedSandbox(rng, noise=args.noise, drift=args.drift, spike_p=args.spike_p, overhead_s=overhead_s)
        d = compare_programs(box, simulated_program(cost_a), simulated_program(cost_b), budget_s=args.budget_s,
                             comparisons=args.comparisons, max_pairs=args.max_pairs, seed=rng.randrange(2 ** 31),
                             clock=box.clock)
        rows.append({"verdict": d.verdict, "ratio": d.ratio, "ci": [d.ci_low, d.ci_high], "p": d.p_value,
                     "n_pairs": d.n_pairs, "look": d.look, "stopped": d.stopped, "seconds": d.seconds,
                     "loops": [d.loop_count_a, d.loop_count_b]})
    return rows


def clopper_pearson(hits: int, n: int) -> tuple[float, float]:
    from scipy.stats import beta

    low = 0.0 if hits == 0 else float(beta.ppf(0.025, hits, n - hits + 1))
    high = 1.0 if hits == n else float(beta.ppf(0.975, hits + 1, n - hits))
    return low, high


def summarise(rows: list[dict]) -> dict:
    secs = sorted(r["seconds"] for r in rows)
    better = sum(r["verdict"] == BETTER for r in rows)
    return {"trials": len(rows), "better": better, "better_rate": better / len(rows),
            "better_interval": clopper_pearson(better, len(rows)), "worse": sum(r["verdict"] == WORSE for r in rows),
            "median_seconds": median(secs), "p95_seconds": secs[min(len(secs) - 1, math.ceil(0.95 * len(secs)) - 1)],
            "max_seconds": secs[-1], "median_pairs": median(r["n_pairs"] for r in rows),
            "median_ratio": median(r["ratio"] for r in rows if math.isfinite(r["ratio"]))}


WORK = """\
def dedupe(xs):
    out = []
    for x in xs:
        if x not in out:
            out.append(x)
    return out
"""
WORK_FAST = """\
def dedupe(xs):
    seen, out = set(), []
    for x in xs:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out
"""
REAL_WORKLOAD = "dedupe(list(range(5000)) * 2)"  # O(n^2): ~0.1-0.2 s a call; O(n): ~1 ms


def real_runs(count: int, console: Console) -> list[dict]:
    from profiling import python_workload
    from sandbox import Sandbox

    rows = []
    with Sandbox(pool_size=1) as sandbox:
        for i in range(count):
            slow, fast = python_workload(WORK, REAL_WORKLOAD), python_workload(WORK_FAST, REAL_WORKLOAD)
            d = compare_programs(sandbox, slow, fast, seed=i)
            rows.append({"verdict": d.verdict, "ratio": d.ratio, "ci": [d.ci_low, d.ci_high], "n_pairs": d.n_pairs,
                         "seconds": d.seconds, "loops": [d.loop_count_a, d.loop_count_b],
                         "per_call_s": [d.median_a, d.median_b], "stopped": d.stopped})
            console.print(f"real {i + 1}/{count}: {d.summary()} in {d.seconds:.1f} s, loops "
                          f"{d.loop_count_a}/{d.loop_count_b}")
    return rows


@app.command()
def main(trials: int = typer.Option(400, "--trials", min=0, help="simulated decisions per scenario"),
         overhead_ms: Optional[List[str]] = typer.Option(None, "--overhead-ms", help="per-run sandbox cost(s), ms "
                                                         "(default 100,20: today's warm run, issue 15's target)"),
         budget_s: float = typer.Option(120.0, "--budget-s", help="time budget of one decision"),
         comparisons: int = typer.Option(1, "--comparisons", min=1, help="k: candidates compared in the job"),
         max_pairs: int = typer.Option(100, "--max-pairs", min=2, help="the plan's last look (compare_programs)"),
         noise: float = typer.Option(0.06, "--noise"), drift: float = typer.Option(0.10, "--drift"),
         spike_p: float = typer.Option(0.05, "--spike-p"),
         scenario: Optional[List[str]] = typer.Option(None, "--scenario", help="default: all"),
         real: int = typer.Option(0, "--real", min=0, help="real-sandbox O(n^2) -> O(n) decisions (Docker)"),
         seed: int = typer.Option(2026, "--seed"), results_dir: Path = RESULTS_DIR_OPTION) -> None:
    """Error rates, power and seconds to a verdict of the sequential speed decision."""
    overheads = split(overhead_ms, [100.0, 20.0], float)
    names = split(scenario, list(SCENARIOS))
    options = {"trials": trials, "overhead_ms": overheads, "budget_s": budget_s, "comparisons": comparisons,
               "max_pairs": max_pairs,
               "noise": noise, "drift": drift, "spike_p": spike_p, "scenarios": names, "real": real, "seed": seed}
    args = SimpleNamespace(**options)
    console = Console(stderr=True)
    run = start_run("decision_plan", options, results_dir=results_dir, docker=real > 0)
    start = time.monotonic()
    results: dict = {"simulated": {}, "real": []}
    for overhead in overheads if trials else []:
        key = f"{overhead:g} ms per run"
        results["simulated"][key] = {}
        for number, name in enumerate(names):
            rows = simulate(name, trials, overhead / 1000, args, seed + number)
            results["simulated"][key][name] = {"summary": summarise(rows), "trials": rows}
            s = results["simulated"][key][name]["summary"]
            console.print(f"{key}, {name}: better {s['better']}/{s['trials']}, median {s['median_seconds']:.1f} s")
            run.save({**results, "total_seconds": time.monotonic() - start}, complete=False)
    if real:
        results["real"] = real_runs(real, console)
    for key, scenarios in results["simulated"].items():
        table = Table(title=f"sequential decision, simulated ({key}, noise {noise:.0%}, budget {budget_s:g} s, "
                            f"k = {comparisons})")
        for col in ("scenario", '"better"', "95% interval", "worse", "median pairs", "s median", "s p95", "s max",
                    "target"):
            table.add_column(col)
        for name, data in scenarios.items():
            s = data["summary"]
            low, high = s["better_interval"]
            table.add_row(name, f"{s['better']}/{s['trials']} ({s['better_rate']:.1%})", f"{low:.1%}-{high:.1%}",
                          str(s["worse"]), f"{s['median_pairs']:g}", f"{s['median_seconds']:.1f}",
                          f"{s['p95_seconds']:.1f}", f"{s['max_seconds']:.1f}", TARGETS[name])
        Console().print(table)
    path = run.save({**results, "total_seconds": time.monotonic() - start})
    console.print(f"results in {path}")


if __name__ == "__main__":
    app()
