"""What every benchmark shares: one CLI shape (typer, like `refactorcoder`), the machine's facts, and one
results writer.

Run from the repository root, e.g. ``.venv/bin/python -m benchmarks.sandbox_throughput --help``.

Every run writes its own file, ``benchmarks/results/NAME/<UTC timestamp>.json``, reserved when the run
starts (exclusive create), so no run ever replaces another's figures; a long run may rewrite *its own* file
as it goes (``Run.save``), so an interrupted run still leaves what it measured. The file carries the
benchmark's options and the machine: CPU model, cores, memory, kernel, Python, load average at the start
and at the end, and the Docker engine (sandbox benchmarks) or llama-cpp-python (model benchmarks).
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import List, Optional

import typer

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network fetch when models/ imports litellm

RESULTS_DIR_OPTION = typer.Option(RESULTS, "--results-dir", help="results root: the run writes NAME/<UTC time>.json "
                                                                 "under it", show_default=False)


def benchmark_app(doc: str | None) -> typer.Typer:
    """The one CLI shape: a single command whose help is the module's docstring."""
    return typer.Typer(add_completion=False, help=doc, pretty_exceptions_enable=False,
                       context_settings={"help_option_names": ["-h", "--help"]})


def split(values: Optional[List[str]], default: list | None = None, cast=str) -> list:
    """List options are given repeated (``--lang cpp --lang java``) or comma-separated (``--lang cpp,java``)."""
    if not values:
        return list(default or [])
    return [cast(v.strip()) for value in values for v in str(value).split(",") if v.strip()]


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def docker_facts() -> dict:
    from sandbox.engine import get_client

    info = get_client().info()
    return {"docker": info.get("ServerVersion"), "cgroup": f"v{info.get('CgroupVersion')} ({info.get('CgroupDriver')})",
            "storage": info.get("Driver"), "runtime": info.get("DefaultRuntime")}


def machine(*, docker: bool = False, llama: bool = False) -> dict:
    """Facts of this machine now; ``docker``/``llama`` add the engine's or llama-cpp-python's version."""
    facts = {
        "date_utc": now_utc().isoformat(timespec="seconds"), "cpu": cpu_model(), "cores": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "platform": platform.platform(), "kernel": platform.release(), "python": platform.python_version(),
        "load_avg_at_start": os.getloadavg(),
    }
    if docker:
        facts.update(docker_facts())
    if llama:
        from importlib.metadata import version

        facts["llama_cpp_python"] = version("llama-cpp-python")
    return facts


def reserve(folder: Path, when: datetime) -> Path:
    """A new file named by ``when`` (UTC) in ``folder``; never one that exists (-2, -3, ... on a clash)."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = when.strftime("%Y%m%dT%H%M%SZ")
    for n in range(1, 10_000):
        path = folder / (f"{stem}.json" if n == 1 else f"{stem}-{n}.json")
        try:
            with open(path, "x", encoding="utf-8"):
                return path
        except FileExistsError:
            continue
    raise RuntimeError(f"no free results file name for {stem} in {folder}")


@dataclass
class Run:
    """One benchmark run's results file. ``save`` rewrites only this run's own file."""

    name: str
    path: Path
    options: dict
    machine: dict
    started: str
    extra: dict = field(default_factory=dict)

    def save(self, payload: dict, *, complete: bool = True) -> Path:
        doc = {"benchmark": self.name, "started_utc": self.started,
               "finished_utc": now_utc().isoformat(timespec="seconds") if complete else None, "complete": complete,
               "options": self.options, "machine": {**self.machine, "load_avg_at_end": os.getloadavg()},
               **self.extra, **payload}
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)  # a reader never sees half a file
        return self.path


def start_run(name: str, options: dict, *, results_dir: Path | None = None, docker: bool = False,
              llama: bool = False) -> Run:
    """Reserve ``results_dir/name/<UTC now>.json`` and note the machine (load average at the start)."""
    when = now_utc()
    info = machine(docker=docker, llama=llama)
    path = reserve(Path(results_dir or RESULTS) / name, when)
    run = Run(name, path, {k: (str(v) if isinstance(v, Path) else v) for k, v in options.items()}, info,
              when.isoformat(timespec="seconds"))
    run.save({}, complete=False)
    return run


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


# --- RefactorCoderQA problems for the model benchmarks -------------------------------------------------

def load_problems(n: int, split_name: str = "test", data: str | os.PathLike | None = None) -> list[dict]:
    """`n` problems spread over the four domains (round robin, in id order), from the All test split.
    RefactorCoderQA is never shipped: read from ``data`` / $REFACTORCODER_EVAL_DATA / ../shared/data, as
    ``refactorcoder eval`` does (evaluation.data)."""
    from evaluation import data as eval_data
    from models.types import Problem
    from source import languages

    rows = eval_data.load(eval_data.QA_FOLDER, "refactorcoderqa_all_split_val_test.jsonl.gz", data,
                          required=("id", "domain", "split", "category", "instruction", "input"))
    by_domain: dict[str, list[dict]] = {}
    for row in sorted(rows, key=lambda r: r["id"]):
        if row["split"] == split_name:
            by_domain.setdefault(row["domain"], []).append(row)
    picked: list[dict] = []
    domains = sorted(by_domain)
    i = 0
    while len(picked) < n:
        domain = domains[i % len(domains)]
        picked.append(by_domain[domain][i // len(domains)])
        i += 1
    out = []
    for row in picked:
        # The SE domain's categories are programming languages: the table's id where it knows one, else the
        # category itself (C: named as given in the prompt); the other domains' problems are Python.
        known = languages.lookup(row["category"])
        language = (known.id if known else row["category"]) if row["domain"] == "SE" else "python"
        out.append({"id": row["id"], "domain": row["domain"], "category": row["category"],
                    "problem": Problem(title=row["instruction"], description=row["input"], language=language,
                                       source=row["id"])})
    return out
