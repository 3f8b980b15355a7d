"""`refactorcoder optimize --hot N -- COMMAND`: trace the command in the sandbox, rank the project's functions
by own time, optimize the top N (each with its traced inputs as workload and replay tests,
orchestrator/verify/workloads/traced.py), and write one report (Markdown + JSON) with each verified change as a patch.

`apply_accepted` writes the accepted changes: each only if its function's text is still exactly what its job
read (several functions of one file are applied one after the other, each against the file as it is then).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from pydantic import BaseModel, Field

from orchestrator.report import JobReport
from orchestrator.trace.model import FunctionTrace, Trace, save, trace_path

log = logging.getLogger(__name__)
HOT_MD = "hot-report.md"  # under ROOT/.refactorcoder unless --report names another file


class HotFunction(BaseModel):
    target: str  # path::qualname from the project root
    rank: int
    calls: int | None
    own_s: float
    cumulative_s: float
    own_share: float = Field(description="its own time over all project functions' own time, traced")
    samples: int
    status: str = "not run"  # a job's status (accepted | unchanged | failed | cancelled), or error
    summary: str = ""
    speedup: float | None = None  # the original's metric over the accepted version's (change vs original)
    patch: str = ""  # the verified change as a unified diff (accepted only)
    applied: bool = False
    report: JobReport | None = None


class HotReport(BaseModel):
    command: list[str]
    root: str
    traced_at: str
    trace_wall_s: float
    exit_code: int
    metric: str
    functions: list[HotFunction] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    chart: str | None = None  # a PNG of the own-time shares beside the Markdown report (file name)

    @property
    def accepted(self) -> list[HotFunction]:
        return [f for f in self.functions if f.status == "accepted" and f.report and f.report.accepted_code]


def ranked(trace: Trace, n: int) -> list[HotFunction]:
    total = sum(f.own_s for f in trace.functions) or 1.0
    return [HotFunction(target=f.target, rank=i, calls=f.calls, own_s=f.own_s, cumulative_s=f.cumulative_s,
                        own_share=f.own_s / total, samples=len(f.samples))
            for i, f in enumerate(trace.hot(n), 1)]


def optimize_hot(root: Path, trace: Trace, n: int, optimize: Callable[[str], JobReport], *, metric: str = "time",
                 on_function: Callable[[HotFunction], None] | None = None) -> HotReport:
    """Optimize the n hottest functions of `trace` (saved first where the jobs read it) with `optimize(spec)`, a
    job per function (e.g. Orchestrator.optimize on orchestrator.target.locate(spec)); one report."""
    save(trace, trace_path(root))
    report = HotReport(command=trace.command, root=str(root), traced_at=trace.created, trace_wall_s=trace.wall_s,
                       exit_code=trace.exit_code, metric=metric, functions=ranked(trace, n), notes=list(trace.notes))
    if not report.functions:
        report.notes.append("the trace found no function of the project (files under the project root, tests aside)")
    for hot in report.functions:
        if on_function is not None:
            on_function(hot)
        try:
            job = optimize(str(root / hot.target))
        except Exception as exc:  # noqa: BLE001 - one function's failure is its row, the others still run
            if type(exc).__name__ == "Cancelled":
                raise
            log.warning("optimizing %s failed: %s", hot.target, exc)
            hot.status, hot.summary = "error", str(exc)[:600]
            continue
        hot.report, hot.status, hot.summary = job, job.status, job.summary
        if job.status == "accepted":
            hot.patch = job.diff
            change = job.change or job.decision or {}
            ratio = change.get("ratio")
            hot.speedup = 1.0 / ratio if ratio else None
    return report


def apply_accepted(report: HotReport) -> None:
    """Write every accepted change whose function is still what its job read; a refusal is a note."""
    from orchestrator.target import FileChanged, TargetError, apply, locate

    for hot in report.accepted:
        job = hot.report
        try:
            current = locate(str(Path(report.root) / hot.target))
            if current.code != job.original_code:
                raise FileChanged(f"{hot.target} changed since it was optimized: not applied")
            apply(current, job.accepted_code)
            hot.applied = job.applied = True
        except (FileChanged, TargetError) as exc:
            report.notes.append(str(exc))


def markdown(report: HotReport) -> str:
    lines = [f"# Hot functions of `{' '.join(report.command)}`", "",
             f"Traced in the sandbox at {report.traced_at} ({report.trace_wall_s:.2f} s traced, exit status "
             f"{report.exit_code}); project `{report.root}`; metric: {report.metric}. Ranked by own time.", "",
             "| # | function | calls | own ms | cumulative ms | own share | inputs | result | speed-up |",
             "|---|---|---|---|---|---|---|---|---|"]
    for f in report.functions:
        speed = f"{f.speedup:.2f}×" if f.speedup else ""
        lines.append(f"| {f.rank} | `{f.target}` | {'?' if f.calls is None else f.calls} | {f.own_s * 1000:.1f} | {f.cumulative_s * 1000:.1f} | "
                     f"{100 * f.own_share:.0f}% | {f.samples} | {f.status}{' (applied)' if f.applied else ''} | "
                     f"{speed} |")
    if report.chart:
        lines += ["", f"![own time of each function, traced]({report.chart})"]
    for f in report.functions:
        lines += ["", f"## {f.rank}. `{f.target}`: {f.status}", "", f.summary or "(no summary)"]
        if f.report is not None:
            lines += [f"- {c['name']}: {c['passed']}/{c['total']}" for c in f.report.checks]
            lines += [f"- note: {n}" for n in f.report.notes]
        if f.patch:
            lines += ["", "```diff", f.patch.rstrip("\n"), "```"]
    if report.notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in report.notes]
    return "\n".join(lines) + "\n"


def write(report: HotReport, md_path: Path) -> Path:
    """The Markdown report at `md_path` and the JSON one beside it (same name, .json); returns the JSON's path."""
    md_path.parent.mkdir(parents=True, exist_ok=True)
    json_path = md_path.with_suffix(".json")
    json_path.write_text(report.model_dump_json(indent=1), encoding="utf-8")
    md_path.write_text(markdown(report), encoding="utf-8")
    return json_path


def table_rows(functions: list[FunctionTrace], limit: int = 20) -> list[tuple[str, ...]]:
    """Rows of the terminal table of a trace: rank, function, calls, own ms, cumulative ms, inputs sampled."""
    total = sum(f.own_s for f in functions) or 1.0
    return [(str(i), f.target, "?" if f.calls is None else str(f.calls), f"{f.own_s * 1000:.2f}", f"{f.cumulative_s * 1000:.2f}",
             f"{100 * f.own_s / total:.0f}%", str(len(f.samples)) if f.samples else f"0 ({f.unsampled or '-'})")
            for i, f in enumerate(functions[:limit], 1)]
