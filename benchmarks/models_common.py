"""Helpers shared by the model-layer benchmarks: machine facts, dataset loading, result files."""

from __future__ import annotations

import gzip
import json
import os
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from source import languages  # noqa: E402 - after the path set-up above

RESULTS = ROOT / "benchmarks" / "results"
DATA = ROOT.parent / "shared" / "data" / "refactorcoderqa"
# The SE domain's categories are programming languages: the table's id where it knows one, else the
# category itself (C: named as given in the prompt); the other domains' problems are Python.


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import llama_cpp

    return {
        "date_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "cpu": cpu, "cores": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
        "llama_cpp_python": llama_cpp.__version__, "load_avg_at_start": os.getloadavg(),
    }


def load_problems(n: int, split: str = "test") -> list[dict]:
    """`n` problems spread over the four domains (round robin, in id order), from the All test split."""
    from models.types import Problem

    path = DATA / "refactorcoderqa_all_split_val_test.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    by_domain: dict[str, list[dict]] = {}
    for row in sorted(rows, key=lambda r: r["id"]):
        if row["split"] == split:
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
        known = languages.lookup(row["category"])
        language = (known.id if known else row["category"]) if row["domain"] == "SE" else "python"
        out.append({"id": row["id"], "domain": row["domain"], "category": row["category"],
                    "problem": Problem(title=row["instruction"], description=row["input"], language=language,
                                       source=row["id"])})
    return out


def write_result(name: str, payload: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return path
