"""The trace file (`.refactorcoder/trace.json` under the project): what `refactorcoder trace -- COMMAND`
recorded in the sandbox, per project function.

Samples are pickles (base64 text) taken in the sandbox from the user's own run. The host never unpickles
them: they are data here, unpickled only inside a sandbox (orchestrator/verify/workloads/traced.py builds the
replays). A trace is the user's own program's output, so it is validated like any untrusted input
(types, sizes) when read.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel, Field

TRACE_DIR = ".refactorcoder"
TRACE_FILE = "trace.json"
TRACE_VERSION = 1


class TracedCall(BaseModel):
    """One sampled call: its inputs and the original's answer, as pickles (base64), never unpickled here."""

    args: str = Field(max_length=200_000, description="pickle of (args tuple, kwargs dict) taken at the call")
    output: str | None = Field(None, max_length=200_000, description="pickle of the return value (None: not "
                               "picklable, too large, raised, or a generator)")
    raised: str | None = Field(None, max_length=200, description="the exception type the call raised")
    after: str | None = Field(None, max_length=200_000, description="pickle of (args, kwargs) after the call, "
                              "when the call changed them (self included)")
    generator: bool = False


class FunctionTrace(BaseModel):
    path: str = Field(description="file relative to the project root (posix)")
    qualname: str
    line: int
    calls: int | None = Field(description="calls (None: not counted, e.g. a nested or decorated function under "
                              "the sampling clock)")
    primitive_calls: int | None = None
    own_s: float = Field(description="seconds in the function itself (and the C functions it calls), traced: CPU "
                         "time estimated by the sampling clock, or cProfile's tottime with --exact")
    cumulative_s: float = Field(description="seconds in it and what it calls, traced (cProfile's cumtime with --exact)")
    samples: list[TracedCall] = Field(default_factory=list, max_length=64)
    unsampled: str | None = Field(None, description="why no inputs were sampled")

    @property
    def target(self) -> str:
        return f"{self.path}::{self.qualname}"

    @property
    def replayable(self) -> list[TracedCall]:
        """The samples a replay can call (a raised call is a replay test, not a workload call)."""
        return [s for s in self.samples if s.raised is None]


class Trace(BaseModel):
    version: int = TRACE_VERSION
    command: list[str]
    root: str = Field(description="the project root on the host when it was traced")
    created: str = Field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    exit_code: int
    wall_s: float = Field(description="the command's wall time in the sandbox, traced")
    cpu_s: float
    timer: str = Field("sampling", description="sampling (a SIGPROF clock every ms of CPU; calls counted by the "
                       "sampler's wrappers) or cprofile (--exact: deterministic, slower)")
    clock_samples: int = 0
    functions: list[FunctionTrace] = Field(default_factory=list, description="by own time, most first")
    output_tail: str = ""
    notes: list[str] = Field(default_factory=list)

    @property
    def created_at(self) -> float:
        """`created` as POSIX time (0 when unreadable)."""
        try:
            return datetime.fromisoformat(self.created).timestamp()
        except ValueError:
            return 0.0

    def find(self, path: str, qualname: str) -> FunctionTrace | None:
        return next((f for f in self.functions if f.path == path and f.qualname == qualname), None)

    def hot(self, n: int) -> list[FunctionTrace]:
        """The n functions with the most own time that a job can target (named, not nested)."""
        ranked = sorted((f for f in self.functions if "<" not in f.qualname), key=lambda f: -f.own_s)
        return ranked[:n]


def trace_path(root: Path) -> Path:
    return root / TRACE_DIR / TRACE_FILE


def save(trace: Trace, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(trace.model_dump_json(indent=1), encoding="utf-8")
    tmp.replace(path)
    return path


def load(path: Path) -> Trace | None:
    """The trace at `path`, or None when there is none or it is not a trace of this version."""
    try:
        trace = Trace.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return trace if trace.version == TRACE_VERSION else None
