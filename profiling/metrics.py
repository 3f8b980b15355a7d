"""Single-run performance measurements (PerfOrch's four metrics) and small statistics over runs.

The sandbox fills a :class:`Profile` for every program it runs; benchmarks and later orchestration
stages aggregate them with :func:`summarize`.
"""

from __future__ import annotations

import math
import os
import subprocess
import time
from statistics import mean, pstdev
from typing import Sequence

from pydantic import BaseModel, Field, computed_field


class Profile(BaseModel):
    """Resource use of one program run.

    ``peak_memory_bytes`` comes from the kernel's accounting (``ru_maxrss`` of the process tree as
    reported by ``wait4``); ``mean_memory_bytes`` is the time-weighted mean of the resident set size
    of all processes of the run, sampled every few milliseconds while it ran.
    """

    wall_time_s: float = Field(0.0, description="elapsed time from start to exit of the program")
    cpu_time_s: float = Field(0.0, description="user + system CPU time of all processes of the run")
    user_time_s: float = 0.0
    sys_time_s: float = 0.0
    peak_memory_bytes: int = Field(0, description="peak resident set size (kernel accounting)")
    mean_memory_bytes: int = Field(0, description="time-weighted mean resident set size (sampled)")
    memory_samples: int = Field(0, description="number of memory samples behind the mean")

    @computed_field  # serialised with the rest, so JSON consumers get all four metrics
    @property
    def cpu_utilisation(self) -> float:
        """CPU time / wall time (can exceed 1.0 for multi-threaded programs)."""
        return self.cpu_time_s / self.wall_time_s if self.wall_time_s > 0 else 0.0


class Summary(BaseModel):
    n: int
    mean: float
    stdev: float
    cv: float = Field(description="coefficient of variation (stdev / mean)")
    minimum: float
    maximum: float
    median: float


def summarize(values: Sequence[float]) -> Summary:
    """Mean, population stdev, coefficient of variation, min/max/median of ``values``."""
    vals = sorted(float(v) for v in values)
    if not vals:
        return Summary(n=0, mean=0.0, stdev=0.0, cv=0.0, minimum=0.0, maximum=0.0, median=0.0)
    m = mean(vals)
    sd = pstdev(vals) if len(vals) > 1 else 0.0
    mid = len(vals) // 2
    median = vals[mid] if len(vals) % 2 else (vals[mid - 1] + vals[mid]) / 2
    return Summary(n=len(vals), mean=m, stdev=sd, cv=(sd / m if m else math.nan),
                   minimum=vals[0], maximum=vals[-1], median=median)


def profile_host_process(argv: Sequence[str], stdin: bytes | None = None,
                         cwd: str | None = None) -> tuple[int, Profile]:
    """Run ``argv`` as a bare host process and profile it (baseline for the sandbox overhead benchmark).

    Only for trusted programs (benchmarks); untrusted code must go through the sandbox.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(list(argv), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, cwd=cwd)
    if stdin:
        proc.stdin.write(stdin)
    proc.stdin.close()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    rss = usage.ru_maxrss * 1024
    return proc.returncode, Profile(
        wall_time_s=wall, cpu_time_s=usage.ru_utime + usage.ru_stime, user_time_s=usage.ru_utime,
        sys_time_s=usage.ru_stime, peak_memory_bytes=rss, mean_memory_bytes=0, memory_samples=0)


__all__ = ["Profile", "Summary", "summarize", "profile_host_process"]
