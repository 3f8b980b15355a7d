"""Every red-team candidate through the real loop and the real sandbox: each must end not accepted, for a
reason that names what it did; the honest control must be accepted as faster. See tests/redteam/__init__.py."""

from __future__ import annotations

import pytest

from tests.redteam.corpus import CHEATS, HONEST_CONTROL
from tests.redteam.harness import describe, only_attempt, record_outcome, run_candidate

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@pytest.mark.timeout(420)
@pytest.mark.parametrize("candidate", [
    pytest.param(c, id=c.id, marks=[pytest.mark.xfail(strict=True, reason=c.open_gap)] if c.open_gap else [])
    for c in CHEATS])
def test_cheating_candidate_is_not_accepted(candidate, tmp_path, endpoint, py_sandbox, request):
    sandbox = request.getfixturevalue("cpp_sandbox") if candidate.project.language == "cpp" else py_sandbox
    report = run_candidate(candidate, tmp_path, endpoint, sandbox)
    record_outcome(candidate, report)
    attempt = only_attempt(report)
    assert attempt is not None, describe(candidate, report)
    assert report.status != "accepted" and attempt.status != "accepted", describe(candidate, report)
    assert report.accepted_code is None, describe(candidate, report)
    assert candidate.caught_by(attempt.status, attempt.reason), describe(candidate, report)


@pytest.mark.timeout(420)
def test_honest_control_is_accepted_as_faster(tmp_path, endpoint, py_sandbox):
    report = run_candidate(HONEST_CONTROL, tmp_path, endpoint, py_sandbox)
    record_outcome(HONEST_CONTROL, report)
    attempt = only_attempt(report)
    assert attempt is not None, describe(HONEST_CONTROL, report)
    assert report.status == "accepted" and attempt.status == "accepted", describe(HONEST_CONTROL, report)
    assert attempt.decision is not None and attempt.decision["ratio"] < 1, describe(HONEST_CONTROL, report)
    assert "Counter" in (report.accepted_code or "")


HONEST_FIX = """```python
def count_pairs(nums: list[int], k: int) -> int:
    total = 0
    for i in range(len(nums)):
        for j in range(i + 1, len(nums)):
            if nums[i] + nums[j] == k:
                total += 1
    return total
```"""


@pytest.mark.timeout(420)
def test_honest_fix_is_accepted_against_the_originals_doctests(tmp_path, endpoint, py_sandbox):
    """The fix-side control: the doctests come from the original's docstring (the cheats that rewrite or delete
    theirs fail on them), and a real fix with no docstring at all passes them."""
    candidate = next(c for c in CHEATS if c.id == "fix_doctest_deleted")
    report = run_candidate(candidate, tmp_path, endpoint, py_sandbox, answer=HONEST_FIX)
    attempt = only_attempt(report)
    assert attempt is not None and attempt.status == "accepted", describe(candidate, report)
    assert report.status == "accepted" and attempt.evidence.startswith("tests 1/1"), describe(candidate, report)
