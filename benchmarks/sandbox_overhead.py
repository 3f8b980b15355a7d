"""Per-run overhead of the sandbox against the same trivial program as a bare host process.

For each language: the host baseline (the program run directly on the host with the host's
toolchain, compiled beforehand), a cold sandbox run (new container each time) and a warm one
(pooled container: one request to its resident supervisor). Overhead = sandbox call wall time -
compile time - host baseline. Where the host lacks the toolchain, the baseline is the program's own wall
time measured inside the sandbox. Warm runs alternate with host runs, and the paired overhead is the
median of (warm run - the host run just before it): a busy machine's drift hits both alike.

    .venv/bin/python -m benchmarks.sandbox_overhead [--cold N] [--warm N] [--host N] [--lang python,cpp,...]
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table

from benchmarks.common import RESULTS_DIR_OPTION, benchmark_app, ms, split, start_run
from profiling import profile_host_process
from sandbox import RunSpec, Sandbox

HELLO = {
    "python": 'print("hello")\n',
    "cpp": '#include <cstdio>\nint main(){ puts("hello"); }\n',
    "java": 'public class Main { public static void main(String[] a){ System.out.println("hello"); } }\n',
    "go": 'package main\nimport "fmt"\nfunc main(){ fmt.Println("hello") }\n',
    "rust": 'fn main(){ println!("hello"); }\n',
    "js": 'console.log("hello")\n',
}
FILE = {"python": "main.py", "cpp": "main.cpp", "java": "Main.java", "go": "main.go", "rust": "main.rs",
        "js": "main.js"}
app = benchmark_app(__doc__)


def host_command(language: str, workdir: Path) -> list[str] | None:
    """Prepare the program on the host; the argv of a bare run, or None without a toolchain."""
    src = workdir / FILE[language]
    src.write_text(HELLO[language])
    if language == "python":
        return ["/usr/bin/python3", str(src)] if Path("/usr/bin/python3").exists() else None
    if language == "js":
        return [shutil.which("node"), str(src)] if shutil.which("node") else None
    if language == "cpp" and shutil.which("g++"):
        subprocess.run(["g++", "-O2", "-o", str(workdir / "main"), str(src)], check=True)
        return [str(workdir / "main")]
    if language == "java" and shutil.which("javac") and shutil.which("java"):
        subprocess.run(["javac", "-d", str(workdir), str(src)], check=True)
        return ["java", "-XX:+UseSerialGC", "-cp", str(workdir), "Main"]
    if language == "rust" and shutil.which("rustc"):
        subprocess.run(["rustc", "-O", "-o", str(workdir / "main"), str(src)], check=True)
        return [str(workdir / "main")]
    if language == "go" and shutil.which("go"):
        subprocess.run(["go", "build", "-o", str(workdir / "main"), str(src)], check=True, cwd=workdir)
        return [str(workdir / "main")]
    return None


def sandbox_runs(sandbox: Sandbox, language: str, n: int) -> list[dict]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        r = sandbox.run(RunSpec(language=language, source=HELLO[language]))
        total = time.perf_counter() - start
        assert r.ok and r.stdout.strip() == "hello", (r.status, r.message, r.stderr[-500:])
        compile_s = r.compile.profile.wall_time_s if r.compile else 0.0
        out.append({"total_s": total, "compile_s": compile_s, "program_s": r.profile.wall_time_s, "warm": r.warm})
    return out


@app.command()
def main(cold: int = typer.Option(5, "--cold", min=1, help="cold runs (a new container each) per language"),
         warm: int = typer.Option(10, "--warm", min=1, help="warm runs (pooled container) per language"),
         host: int = typer.Option(10, "--host", min=0, help="bare host runs per language (the baseline)"),
         lang: Optional[List[str]] = typer.Option(None, "--lang", help=f"of {', '.join(HELLO)} (default all)"),
         results_dir: Path = RESULTS_DIR_OPTION) -> None:
    """Per-run overhead of the sandbox against the same trivial program as a bare host process."""
    languages = split(lang, list(HELLO))
    run = start_run("sandbox_overhead", {"cold": cold, "warm": warm, "host": host, "lang": languages},
                    results_dir=results_dir, docker=True)
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for language in languages:
            work = Path(tmp) / language
            work.mkdir()
            argv = host_command(language, work)
            host_runs = [profile_host_process(argv)[1].wall_time_s for _ in range(host)] if argv else []
            with Sandbox(pool_size=0) as cold_box:
                cold_runs = sandbox_runs(cold_box, language, cold)
            with Sandbox(pool_size=1) as warm_box:
                warm_box.warm(language, count=1)
                sandbox_runs(warm_box, language, 2)  # the first request also waits for the supervisor to start
                warm_runs, paired = [], []
                for _ in range(warm):
                    bare = profile_host_process(argv)[1].wall_time_s if argv else None
                    sample = sandbox_runs(warm_box, language, 1)[0]
                    warm_runs.append(sample)
                    if bare is not None:
                        host_runs.append(bare)
                        paired.append(sample["total_s"] - sample["compile_s"] - bare)
            assert all(r["warm"] for r in warm_runs)
            program = median(r["program_s"] for r in warm_runs)
            baseline = median(host_runs) if host_runs else program
            rows[language] = {
                "host_baseline_s": baseline, "baseline_source": "host process" if host_runs else "in-sandbox program",
                "cold_total_s": median(r["total_s"] for r in cold_runs),
                "warm_total_s": median(r["total_s"] for r in warm_runs),
                "compile_s": median(r["compile_s"] for r in warm_runs),
                "program_in_sandbox_s": program,
                "cold_overhead_s": median(r["total_s"] - r["compile_s"] for r in cold_runs) - baseline,
                "warm_overhead_s": median(r["total_s"] - r["compile_s"] for r in warm_runs) - baseline,
                "warm_overhead_paired_s": median(paired) if paired else None,
                "runs": {"host": host_runs, "cold": cold_runs, "warm": warm_runs},
            }
    table = Table(title="Sandbox per-run overhead (medians, ms)")
    for col in ("language", "bare host", "in sandbox", "compile", "cold total", "warm total",
                "cold overhead", "warm overhead", "warm overhead (paired)"):
        table.add_column(col, justify="right" if col != "language" else "left")
    for language, r in rows.items():
        table.add_row(language, ms(r["host_baseline_s"]) + ("" if r["baseline_source"] == "host process" else "*"),
                      ms(r["program_in_sandbox_s"]), ms(r["compile_s"]), ms(r["cold_total_s"]),
                      ms(r["warm_total_s"]), ms(r["cold_overhead_s"]), ms(r["warm_overhead_s"]),
                      ms(r["warm_overhead_paired_s"]) if r["warm_overhead_paired_s"] is not None else "–")
    console = Console(width=150)
    console.print(table)
    console.print("* no host toolchain: baseline is the program's wall time measured inside the sandbox")
    console.print(f"written {run.save({'results': rows})}")


if __name__ == "__main__":
    app()
