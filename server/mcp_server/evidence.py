"""A finished job's report (orchestrator.report.JobReport) -> the tool's structured result: the verdict, the
measurement against the original, the tests with their names, the checks that ran, the diff.

The test names come from the run store: the rows of the candidate whose code the report stands for (the
accepted one, else the original's baseline run).
"""

from __future__ import annotations

from server.mcp_server.resources import run_uri
from server.mcp_server.schemas import AttemptSummary, Check, JobResult, Measurement, Tests


def measurement(decision: dict | None) -> Measurement | None:
    if not decision:
        return None
    return Measurement(metric=decision.get("metric") or "", verdict=decision.get("verdict") or "",
                       ratio=decision["ratio"], ci_low=decision["ci_low"], ci_high=decision["ci_high"],
                       confidence=decision.get("confidence"), p_value=decision.get("p_value"),
                       n_pairs=decision.get("n_pairs") or 0)


def _reported_candidate(report, candidates: list[dict]) -> int | None:
    """The store's id of the code the report stands for."""
    if report.status == "accepted":
        accepted = [a for a in report.attempts if a.status == "accepted" and a.candidate_id is not None]
        if accepted:
            return accepted[-1].candidate_id
    baseline = [c["id"] for c in candidates if c.get("status") == "baseline"]
    return baseline[0] if baseline else None


def tests_of(report, test_rows: list[dict], candidates: list[dict]) -> Tests:
    chosen = _reported_candidate(report, candidates)
    rows = [r for r in test_rows if r["candidate_id"] == chosen and r["suite"] not in
            ("differential", "state", "timed")]
    ran = [r for r in rows if r.get("status") != "not run"]
    return Tests(passed=report.tests_passed, total=report.tests_total, suites=list(report.suites),
                 passed_names=[r["name"] for r in ran if r["passed"]],
                 failed_names=[r["name"] for r in ran if not r["passed"]])


def job_result(report, test_rows: list[dict], candidates: list[dict]) -> JobResult:
    verdict = report.status if report.verified else "unverified"
    return JobResult(
        run_id=report.run_id, report_uri=run_uri(report.run_id), kind=report.kind, target=report.target,
        language=report.language, status=report.status, verdict=verdict, verified=report.verified,
        correct=report.correct, summary=report.summary, tests=tests_of(report, test_rows, candidates),
        checks=[Check(name=c.get("name", ""), passed=c.get("passed") or 0, total=c.get("total") or 0)
                for c in report.checks],
        measurement=measurement(report.change or report.decision), diff=report.diff,
        accepted_code=report.accepted_code,
        attempts=[AttemptSummary(number=a.number, stage=a.stage, model=a.model, status=a.status,
                                 evidence=a.evidence, reason=a.reason[:500]) for a in report.attempts],
        judgment=report.judgment, notes=list(report.notes), model_calls=report.model_calls, seconds=report.seconds)
