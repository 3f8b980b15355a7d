"""A job's report -> the tool's structured result: 'unverified' whenever no check ran on the reported code,
and the test names are those of the candidate the report stands for."""

from __future__ import annotations

from orchestrator.report import Attempt, JobReport
from server.mcp_server.evidence import job_result

ROWS = [  # the run store's test rows: the original's (candidate 1) and the accepted attempt's (candidate 2)
    {"candidate_id": 1, "suite": "user", "name": "test_a", "passed": 0, "status": None},
    {"candidate_id": 1, "suite": "user", "name": "test_b", "passed": 1, "status": None},
    {"candidate_id": 2, "suite": "user", "name": "test_a", "passed": 1, "status": None},
    {"candidate_id": 2, "suite": "user", "name": "test_b", "passed": 1, "status": None},
    {"candidate_id": 2, "suite": "user", "name": "test_c", "passed": 0, "status": "not run"},
    {"candidate_id": 2, "suite": "differential", "name": "differential", "passed": 1, "status": None},
]
CANDIDATES = [{"id": 1, "status": "baseline"}, {"id": 2, "status": "accepted"}]


def test_nothing_checked_reads_unverified_whatever_the_status():
    report = JobReport(kind="optimize", target="m.py::f", language="python", status="unchanged", verified=False,
                       summary="no candidate was better")
    result = job_result(report, [], [])
    assert result.verdict == "unverified" and not result.verified and result.measurement is None
    assert job_result(report.model_copy(update={"verified": True}), [], []).verdict == "unchanged"


def test_accepted_names_the_accepted_candidates_tests_and_the_measurement():
    decision = {"metric": "time", "verdict": "better", "ratio": 0.4, "ci_low": 0.35, "ci_high": 0.45,
                "confidence": 0.99, "p_value": 0.001, "n_pairs": 10}
    report = JobReport(kind="optimize", target="m.py::f", language="python", status="accepted", verified=True,
                       correct=True, tests_passed=2, tests_total=2, suites=["user"], change=decision,
                       checks=[{"name": "tests", "passed": 2, "total": 2}],
                       attempts=[Attempt(stage="refine", number=1, model="m", candidate_id=2, status="accepted")])
    result = job_result(report, ROWS, CANDIDATES)
    assert result.verdict == "accepted"
    assert result.tests.passed_names == ["test_a", "test_b"] and result.tests.failed_names == []
    assert result.measurement.ratio == 0.4 and result.measurement.ci_high == 0.45
    failed = job_result(report.model_copy(update={"status": "failed", "change": None}), ROWS, CANDIDATES)
    assert failed.tests.failed_names == ["test_a"] and failed.tests.passed_names == ["test_b"]  # the original's
