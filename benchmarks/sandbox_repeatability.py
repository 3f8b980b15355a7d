"""Repeatability: coefficient of variation of wall and CPU time over repeated runs of a ~100 ms
CPU-bound program in the warm pool (target: CV of CPU time <= 3 %).

    .venv/bin/python -m benchmarks.sandbox_repeatability [--runs 20] [--lang cpp,java,python]
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table

from benchmarks.common import RESULTS_DIR_OPTION, benchmark_app, ms, split, start_run
from profiling import summarize
from sandbox import RunSpec, Sandbox

# Loop counts calibrated to roughly 100 ms of CPU on a 2-core EPYC VM.
PROGRAMS = {
    "cpp": ("#include <cstdio>\nint main(){ volatile unsigned long s = 0; "
            "for (unsigned long i = 0; i < 220000000UL; ++i) s += i * i; printf(\"%lu\\n\", s); }\n"),
    "python": "s = 0\nfor i in range(1_800_000):\n    s += i * i\nprint(s)\n",
    "java": ("public class Main { public static void main(String[] a) { long s = 0; "
             "for (long i = 0; i < 80_000_000L; i++) s += i * i ^ (s >>> 3); System.out.println(s); } }\n"),
}
app = benchmark_app(__doc__)


def host_cpu_times(language: str, runs: int) -> list[float] | None:
    """CPU time of the same program run as a bare host process, interleaved in the same minutes, so the
    sandbox's variation can be told apart from the machine's own (a VM's neighbours move both); run right
    after the sandbox runs of the same language."""
    work = Path(tempfile.mkdtemp(prefix="rc-repeat-"))
    if language == "cpp" and shutil.which("g++"):
        (work / "main.cpp").write_text(PROGRAMS["cpp"])
        subprocess.run(["g++", "-std=c++17", "-O2", "-o", "main", "main.cpp"], cwd=work, check=True)
        command = ["./main"]
    elif language == "python" and Path("/usr/bin/python3").exists():
        (work / "main.py").write_text(PROGRAMS["python"])
        command = ["/usr/bin/python3", "main.py"]
    elif language == "java" and shutil.which("javac"):
        (work / "Main.java").write_text(PROGRAMS["java"])
        subprocess.run(["javac", "Main.java"], cwd=work, check=True)
        command = ["java", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "Main"]
    else:
        return None
    times = []
    for _ in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(command, cwd=work, check=True, stdout=subprocess.DEVNULL)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    shutil.rmtree(work, ignore_errors=True)
    return times[1:]  # the first run warms the page cache, as in the sandbox


@app.command()
def main(runs: int = typer.Option(20, "--runs", min=2, help="warm runs per language (and bare host runs)"),
         lang: Optional[List[str]] = typer.Option(None, "--lang",
                                                  help=f"of {', '.join(PROGRAMS)} (default cpp,python)"),
         results_dir: Path = RESULTS_DIR_OPTION) -> None:
    """CV of wall and CPU time over repeated warm runs of a ~100 ms CPU-bound program (target CPU CV <= 3%)."""
    languages = split(lang, ["cpp", "python"])
    run = start_run("sandbox_repeatability", {"runs": runs, "lang": languages}, results_dir=results_dir,
                    docker=True)
    rows = {}
    with Sandbox(pool_size=1) as sandbox:
        for language in languages:
            spec = RunSpec(language=language, source=PROGRAMS[language])
            sandbox.run(spec)  # warm-up: container start, page cache
            results = [sandbox.run(spec) for _ in range(runs)]
            assert all(r.ok for r in results), [r.message for r in results if not r.ok]
            wall = summarize([r.profile.wall_time_s for r in results])
            cpu = summarize([r.profile.cpu_time_s for r in results])
            peak = summarize([r.profile.peak_memory_bytes for r in results])
            host = host_cpu_times(language, runs)
            rows[language] = {"wall": wall.model_dump(), "cpu": cpu.model_dump(), "peak_memory": peak.model_dump(),
                              "host_cpu": summarize(host).model_dump() if host else None,
                              "cpu_cv_target_met": cpu.cv <= 0.03}
    table = Table(title=f"Repeatability over {runs} warm runs of a ~100 ms CPU-bound program")
    for col in ("language", "wall mean ms", "wall CV", "CPU mean ms", "CPU CV", "peak mem CV", "host CPU CV",
                "CPU CV <= 3%"):
        table.add_column(col, justify="right")
    for language, r in rows.items():
        table.add_row(language, ms(r["wall"]["mean"]), f"{r['wall']['cv'] * 100:.2f}%", ms(r["cpu"]["mean"]),
                      f"{r['cpu']['cv'] * 100:.2f}%", f"{r['peak_memory']['cv'] * 100:.2f}%",
                      f"{r['host_cpu']['cv'] * 100:.2f}%" if r["host_cpu"] else "n/a",
                      "yes" if r["cpu_cv_target_met"] else "no")
    console = Console(width=150)
    console.print(table)
    console.print(f"written {run.save({'results': rows})}")


if __name__ == "__main__":
    app()
