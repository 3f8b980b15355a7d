"""RunReport (JSON dict) -> Markdown, for hovers, `refactorcoder/report` and the CLI."""

from __future__ import annotations

import json


def scores_line(judgment: dict | None) -> str:
    """ "accuracy 4 · clarity 3 · efficiency 4", or "no score" when the judge gave none."""
    scores = (judgment or {}).get("scores")
    if not scores:
        return "no score"
    return " · ".join(f"{name} {scores[name]}" for name in ("accuracy", "clarity", "efficiency") if name in scores)


def judgment_markdown(judgment: dict) -> str:
    parts = [f"**Scores:** {scores_line(judgment)}"]
    for label, key in (("Strengths", "strengths"), ("Weaknesses", "weaknesses")):
        items = judgment.get(key) or []
        if items:
            parts.append(f"**{label}:**\n" + "\n".join(f"- {item}" for item in items))
    if judgment.get("feedback"):
        parts.append(f"**Feedback:** {judgment['feedback']}")
    return "\n\n".join(parts)


def report_markdown(report: dict, *, guidance: dict | None = None, judgment: dict | None = None) -> str:
    problem = report.get("problem") or {}
    language = problem.get("language") or ""
    out = [f"# RefactorCoder: {problem.get('title', 'report')}"]
    if report.get("run_id") is not None:
        out.append(f"_run {report['run_id']}_")
    if problem.get("description"):
        out.append("## Problem\n\n" + problem["description"])
    guidance = report.get("guidance") or guidance
    if guidance:
        out.append("## Guidance\n\n" + guidance.get("text", "").strip() + _model_note(guidance))
    solution = report.get("solution")
    if report.get("solution_code"):
        out.append(f"## Solution\n\n```{language}\n{report['solution_code'].rstrip()}\n```" + _model_note(solution))
    elif solution:
        out.append("## Solution\n\n" + solution.get("text", "").strip() + _model_note(solution))
    judgment = report.get("judgment") or judgment
    if judgment:
        out.append("## Judgment\n\n" + judgment_markdown(judgment) + _model_note(judgment.get("raw")))
    return "\n\n".join(out) + "\n"


def history_markdown(rows: list[dict], run_id: int) -> str:
    body = json.dumps(rows, indent=2, default=str)
    return f"# RefactorCoder run {run_id}\n\n```json\n{body}\n```\n"


def _model_note(stage: dict | None) -> str:
    if not stage:
        return ""
    note = f"\n\n_model: {stage.get('model_id', '?')}"
    if stage.get("fell_back"):
        note += " (fallback)"
    for remark in stage.get("notes") or []:
        note += f"; {remark}"
    return note + "_"
