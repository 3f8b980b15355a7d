"""Per-run overhead of the sandbox against the same trivial program as a bare host process.

For each language: the host baseline (the program run directly on the host with the host's
toolchain, compiled beforehand), a cold sandbox run (new container each time) and a warm one
(pooled container). Overhead = sandbox call wall time - compile time - host baseline. Where the host
lacks the toolchain, the baseline is the program's own wall time measured inside the sandbox.

    .venv/bin/python benchmarks/sandbox_overhead.py [--cold N] [--warm N] [--lang L ...]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from statistics import median

from sandbox_common import machine, ms, write_result
from rich.console import Console
from rich.table import Table

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cold", type=int, default=5)
    parser.add_argument("--warm", type=int, default=10)
    parser.add_argument("--host", type=int, default=10)
    parser.add_argument("--lang", nargs="*", default=list(HELLO))
    args = parser.parse_args()
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for language in args.lang:
            work = Path(tmp) / language
            work.mkdir()
            argv = host_command(language, work)
            host = [profile_host_process(argv)[1].wall_time_s for _ in range(args.host)] if argv else []
            with Sandbox(pool_size=0) as cold_box:
                cold = sandbox_runs(cold_box, language, args.cold)
            with Sandbox(pool_size=1) as warm_box:
                warm_box.warm(language, count=1)
                warm = sandbox_runs(warm_box, language, args.warm)
            assert all(r["warm"] for r in warm)
            program = median(r["program_s"] for r in warm)
            baseline = median(host) if host else program
            rows[language] = {
                "host_baseline_s": baseline, "baseline_source": "host process" if host else "in-sandbox program",
                "cold_total_s": median(r["total_s"] for r in cold),
                "warm_total_s": median(r["total_s"] for r in warm),
                "compile_s": median(r["compile_s"] for r in warm),
                "program_in_sandbox_s": program,
                "cold_overhead_s": median(r["total_s"] - r["compile_s"] for r in cold) - baseline,
                "warm_overhead_s": median(r["total_s"] - r["compile_s"] for r in warm) - baseline,
                "runs": {"host": host, "cold": cold, "warm": warm},
            }
    table = Table(title="Sandbox per-run overhead (medians, ms)")
    for col in ("language", "bare host", "in sandbox", "compile", "cold total", "warm total",
                "cold overhead", "warm overhead"):
        table.add_column(col, justify="right" if col != "language" else "left")
    for language, r in rows.items():
        table.add_row(language, ms(r["host_baseline_s"]) + ("" if r["baseline_source"] == "host process" else "*"),
                      ms(r["program_in_sandbox_s"]), ms(r["compile_s"]), ms(r["cold_total_s"]),
                      ms(r["warm_total_s"]), ms(r["cold_overhead_s"]), ms(r["warm_overhead_s"]))
    console = Console(width=150)
    console.print(table)
    console.print("* no host toolchain: baseline is the program's wall time measured inside the sandbox")
    path = write_result("sandbox_overhead", {"machine": machine(), "args": vars(args), "results": rows})
    console.print(f"written {path}")


if __name__ == "__main__":
    main()
