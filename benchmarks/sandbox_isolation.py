"""What keeping A and B apart costs, per run step.

A measurement runs A and B (profiling/batch.py) each in a container of its own (its seat, with its own uid;
sandbox/pool.py), their samples interleaved by the host step by step over the two supervisors' streams
(sandbox/session.py, ``interleave``). Inside a container, before and after each step the supervisor empties
/tmp, /dev/shm, /work outside the run directory and SysV IPC, and checks the run directory against its record
(putting back what changed); it reports the time this took for every run step (``isolation_s``: the record
and seal after the builds count to the first step). Here: two trivial programs, `--runs` samples each,
interleaved, and the same with `--files` extra program files per program (a project copied in for the
Python driver), both ways: in two containers (``seats``, what a measurement does now) and in one container
and one session (``one``, how it was done before). "host per step" is the session's wall time on the host
minus every step's own wall time and isolation time, per run step: what the round trips, spawning and
reporting cost, opening and closing included; "per request" (two containers) is each request of run steps'
time on the host minus its steps' own wall and isolation time: a step's round trip. Medians in ms.

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


def seats_payload(payload: dict, runs_of: int = 2) -> dict:
    """The same programs and steps as a payload of several programs: p<i> in seat i (what profiling/batch.py
    sends now)."""
    programs = []
    for number in range(runs_of):
        prefix = f"p{number}/"
        program = {key: payload[key] for key in ("workdir", "env", "output_cap")}
        program.update(seat=number, files={k: v for k, v in payload["files"].items() if k.startswith(prefix)},
                       copy_dirs=[pair for pair in payload["copy_dirs"] if f"/{prefix}" in pair[1]],
                       read_once=[f for f in payload["read_once"] if f.startswith(prefix)],
                       build_only=[f for f in payload["build_only"] if f.startswith(prefix)])
        programs.append(program)
    steps = [dict(step, program=int(step["cwd"][1:]), requires=None) for step in payload["steps"]]
    return {"programs": programs, "steps": steps}


def measure(sandbox: Sandbox, language: str, runs: int, extra_files: int, seats: bool) -> dict:
    files = {f"pkg/mod{i}.py" if language == "python" else f"data/f{i}.txt": "x = 1\n" * 400
             for i in range(extra_files)}
    specs = [RunSpec(language=language, source=HELLO[language], files=files, limits=Limits()) for _ in range(2)]
    payload = session_payload(specs, runs)
    if seats:
        payload = seats_payload(payload)
    outcome, warm = sandbox.session(language, specs[0].limits, payload)
    assert outcome.report is not None, outcome.error
    steps = outcome.report["steps"]
    run_steps = [s for s in steps if "isolation_s" in s]
    assert len(run_steps) == 2 * runs and all(s["exit_code"] == 0 and not s.get("tampered") for s in run_steps)
    later = [s["isolation_s"] for s in run_steps[1:]]
    builds = [s["wall_s"] for s in steps if "isolation_s" not in s]
    # In two containers the builds run at once (the longer one is waited for); in one, one after the other.
    build_s = (max(builds, default=0.0) if seats else sum(builds))
    host = outcome.elapsed_s - build_s - sum(s["wall_s"] + s["isolation_s"] for s in run_steps)
    return {"warm": warm, "containers": 2 if seats else 1, "first_step_isolation_s": run_steps[0]["isolation_s"],
            "step_isolation_s": median(later), "step_isolation_max_s": max(later),
            "session_s": outcome.elapsed_s, "programs_s": sum(s["wall_s"] for s in steps),
            "host_per_step_s": host / len(run_steps), "run_steps": len(run_steps),
            "request_overhead_s": median(outcome.request_overheads_s) if outcome.request_overheads_s else None,
            "files_sent": 2 * (1 + extra_files)}


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
            sandbox.warm(language, count=1, seats=2)
            for extra in (0, files):
                for seats in (True, False, True, False):  # alternated: a drift of the machine hits both alike
                    key = f"{language}+{extra}+{'seats' if seats else 'one'}"
                    found = measure(sandbox, language, runs, extra, seats)
                    rows.setdefault(key, []).append(found)
    rows = {key: dict(found[-1], host_per_step_s=median(f["host_per_step_s"] for f in found),
                      session_s=median(f["session_s"] for f in found),
                      request_overhead_s=median(f["request_overhead_s"] for f in found) if found[0]["containers"] > 1
                      else None, repeats=found) for key, found in rows.items()}
    table = Table(title="Keeping A and B apart (ms)")
    for col in ("language", "files sent (A+B)", "containers", "run steps", "first step (record + seal)",
                "per later step (median)", "per later step (max)", "host per step", "per request", "session"):
        table.add_column(col, justify="right" if col != "language" else "left")
    for key, r in rows.items():
        table.add_row(key.split("+")[0], str(r["files_sent"]), str(r["containers"]), str(r["run_steps"]),
                      ms(r["first_step_isolation_s"]), ms(r["step_isolation_s"]), ms(r["step_isolation_max_s"]),
                      ms(r["host_per_step_s"]),
                      ms(r["request_overhead_s"]) if r["request_overhead_s"] is not None else "–", ms(r["session_s"]))
    Console(width=150).print(table)
    Console().print(f"written {run.save({'results': rows})}")


if __name__ == "__main__":
    app()
