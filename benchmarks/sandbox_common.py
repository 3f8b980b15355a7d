"""Shared helpers of the sandbox benchmarks: machine description, result files, tables."""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "benchmarks" / "results"


def machine() -> dict:
    from sandbox.engine import get_client

    info = get_client().info()
    model = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "cpu_model": model,
        "cpus": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "kernel": platform.release(),
        "docker": info.get("ServerVersion"),
        "cgroup": f"v{info.get('CgroupVersion')} ({info.get('CgroupDriver')})",
        "storage": info.get("Driver"),
        "runtime": info.get("DefaultRuntime"),
        "load_average_at_start": os.getloadavg(),
    }


def write_result(name: str, payload: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=str))
    return path


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"
