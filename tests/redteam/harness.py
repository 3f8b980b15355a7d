"""One red-team job through the real loop: the candidate's project on disk, settings whose every stage
is the scripted endpoint (litellm over loopback HTTP), the real sandbox, and limits that keep a job short
(one attempt, no judge, no designed tests, a small measurement budget)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from models.settings import Settings
from orchestrator.loop import Orchestrator
from orchestrator.pipeline import Pipeline
from orchestrator.report import Attempt, JobLimits, JobReport
from orchestrator.store import open_history
from orchestrator.target import locate
from tests.redteam.corpus import Candidate

MODEL = "redteam"
LIMITS = dict(max_attempts=1, judge=False, design_tests=False, guide=False, differential_inputs=30,
              decision_budget_s=12, min_pairs=6, wall_time_s=240)


def orchestrator(tmp_path: Path, endpoint, sandbox) -> Orchestrator:
    stage = {"model": f"openai/{MODEL}", "api_base": endpoint.base, "fallbacks": [], "retries": 0, "timeout_s": 30}
    settings = Settings.from_dict({"fix": stage, "refine": stage, "solve": stage, "judge": stage})
    pipeline = Pipeline(settings, open_history(tmp_path / "history.db"))
    orch = Orchestrator(pipeline, sandbox, limits=JobLimits(**LIMITS))
    orch.ranking = None  # one model: nothing to rank
    return orch


def run_candidate(candidate: Candidate, tmp_path: Path, endpoint, sandbox, answer: str | None = None) -> JobReport:
    """The candidate's job, the endpoint answering `answer` (default: the candidate's own answer)."""
    module, tests = candidate.project.write(tmp_path / "project")
    endpoint.scripts[MODEL] = [*candidate.project.preamble, answer if answer is not None else candidate.answer]
    orch = orchestrator(tmp_path, endpoint, sandbox)
    target = locate(candidate.project.spec(module))
    if candidate.job == "fix":
        return orch.fix(target, tests_path=tests)
    if candidate.project.language != "python":
        return orch.optimize(target, metric=candidate.metric, workload=candidate.project.workload,
                             test_program=candidate.project.tests)
    return orch.optimize(target, metric=candidate.metric, workload=candidate.project.workload, tests_path=tests)


def only_attempt(report: JobReport) -> Attempt | None:
    return report.attempts[0] if len(report.attempts) == 1 else None


def describe(candidate: Candidate, report: JobReport) -> str:
    """Everything the lead needs to see which guard held or failed."""
    attempt = only_attempt(report)
    lines = [f"{candidate.id}: {candidate.cheat}", f"job {report.status}: {report.summary}"]
    if attempt is None:
        lines.append(f"{len(report.attempts)} attempts (expected exactly 1); notes: {report.notes}")
    else:
        ratio = (attempt.decision or {}).get("ratio")
        lines.append(f"attempt {attempt.status}: {attempt.reason[:400]}")
        lines.append(f"evidence: {getattr(attempt, 'evidence', '') or '-'}; tests {attempt.tests_passed}/{attempt.tests_total}; "
                     f"differential: {attempt.differential}; state: {attempt.state}; ratio: {ratio}")
    if report.notes:
        lines.append("notes: " + " | ".join(report.notes)[:600])
    return "\n".join(lines)


def record_outcome(candidate: Candidate, report: JobReport) -> None:
    """With REDTEAM_OUTCOMES=FILE, one JSON line per candidate: the table of which guards hold."""
    path = os.environ.get("REDTEAM_OUTCOMES")
    if not path:
        return
    attempt = only_attempt(report)
    row = {"id": candidate.id, "job": report.status, "attempt": attempt.status if attempt else None,
           "reason": (attempt.reason if attempt else report.summary)[:300],
           "evidence": getattr(attempt, "evidence", "") if attempt else "",
           "ratio": ((attempt.decision or {}).get("ratio") if attempt else None), "seconds": report.seconds}
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(row) + "\n")
