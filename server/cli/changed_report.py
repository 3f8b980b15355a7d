"""The report of `optimize --changed` (server/cli/changed.py): its typed payload (what --json prints) and its
Markdown (what a pull request's comment shows): a summary table first, then per function its verdict, its tests
and checks, the measured change against the original with its interval, and the verified change as a patch block."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, Field

from orchestrator.report import JobReport

MARKER = "<!-- refactorcoder-changed-report -->"  # lets the workflow find and update its own comment

Outcome = Literal["verified change", "no verified change", "skipped", "error", "not run"]


class FunctionResult(BaseModel):
    target: str  # repository-relative FILE::function
    outcome: Outcome
    reason: str = ""  # why skipped / error / not run
    patch: str = ""  # the verified change as a unified diff of the file (git apply from the repository's top)
    applied: bool = False
    job: Optional[JobReport] = None  # as `optimize FILE::function --json` prints it


class ChangedReport(BaseModel):
    kind: Literal["changed"] = "changed"
    status: Literal["verified change", "no verified change", "no changed functions", "error", "cancelled"]
    exit_code: int
    repository: str
    base: str  # as given
    compared_to: str  # the commit the diff was taken against (merge base of base and HEAD)
    head: str  # HEAD's commit (the working tree may add uncommitted edits)
    metric: str
    functions: list[FunctionResult] = Field(default_factory=list)
    not_optimized: list[str] = Field(default_factory=list)  # changed, past MAX_FUNCTIONS
    seconds: float = 0.0


_ICONS = {"verified change": "✅", "no verified change": "➖", "skipped": "⏭️", "error": "❌", "not run": "⏹️"}


def _short(sha: str) -> str:
    return sha[:12] if sha else "(none)"


def _measured(change: dict | None) -> str:
    if not change:
        return "—"
    level = f" at {change['confidence'] * 100:.4g}%" if change.get("confidence") else ""
    return (f"{change['verdict']}: B/A = {change['ratio']:.3f} [{change['ci_low']:.3f} – {change['ci_high']:.3f}"
            f"{level}], p = {change['p_value']:.2g}, n = {change['n_pairs']} pairs")


def _fenced(body: str, language: str) -> str:
    fence = "```"
    while fence in body:  # a patch that itself holds a fence gets a longer one
        fence += "`"
    return f"{fence}{language}\n{body if body.endswith(chr(10)) else body + chr(10)}{fence}\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(report: ChangedReport) -> str:
    lines = [MARKER, "## RefactorCoder: changed functions", ""]
    if report.compared_to:
        lines.append(f"Compared the working tree at `{_short(report.head)}` with `{_short(report.compared_to)}` "
                     f"(the merge base of `{report.base}` and HEAD); metric: {report.metric.replace('_', ' ')}.")
    else:
        lines.append(f"A repository without commits: every file is new; metric: {report.metric.replace('_', ' ')}.")
    lines.append("")
    if not report.functions:
        lines += ["**No changed Python functions**: nothing to optimize (test files are never optimized).", ""]
        return "\n".join(lines)
    counts = {o: sum(f.outcome == o for f in report.functions) for o in _ICONS}
    lines.append("**" + " · ".join(f"{n} {o}" for o, n in counts.items() if n) + "**"
                 + (" — no verified change: the code stays as it is." if not counts["verified change"] else ""))
    lines += ["", "| function | verdict | tests | measured against the original (B/A, interval) |",
              "|---|---|---|---|"]
    for f in report.functions:
        tests = f"{f.job.tests_passed}/{f.job.tests_total}" if f.job else "—"
        lines.append(f"| `{_cell(f.target)}` | {_ICONS[f.outcome]} {f.outcome} | {tests} | "
                     f"{_cell(_measured(f.job.change if f.job else None))} |")
    lines.append("")
    for f in report.functions:
        lines += _section(f)
    if report.not_optimized:
        lines += [f"Not optimized (past the first {len(report.functions)} changed functions): "
                  + ", ".join(f"`{t}`" for t in report.not_optimized), ""]
    lines.append(f"<sub>{report.seconds:.0f} s · exit code {report.exit_code}</sub>")
    return "\n".join(lines) + "\n"


def _section(f: FunctionResult) -> list[str]:
    job = f.job
    out = [f"### `{f.target}`: {f.outcome}", ""]
    if job is not None and job.summary:
        out.append(job.summary)
    if f.reason and (job is None or f.reason != job.summary):
        out.append(f.reason)
    if job is not None:
        out.append("")
        out.append(f"- tests ({', '.join(job.suites) or 'none'}): {job.tests_passed}/{job.tests_total} passed"
                   + ("" if job.correct else " — not shown correct"))
        if job.checks:
            out.append("- checks: " + " · ".join(
                "state guard" if c["name"] == "state" else f"{c['name']} {c['passed']}/{c['total']}" for c in job.checks))
        if job.change:
            out.append(f"- {job.change.get('metric') or 'measured'} against the original: {_measured(job.change)}")
        out.append(f"- attempts: {len(job.attempts)}" + (f" · run {job.run_id}" if job.run_id is not None else ""))
    if f.patch:
        out += ["", "Verified change (apply from the repository's top with `git apply`)"
                + (": applied to the working tree." if f.applied else ":"), "", _fenced(f.patch, "diff").rstrip("\n")]
    out.append("")
    return out
