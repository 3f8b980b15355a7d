"""`fix` candidates for a project whose tests run under real pytest (projects.FIX_FIXTURE imports pytest): still
buggy (cheats_fix.BUGGY_LOOP_REWRITTEN), they make pytest report the failing tests as passed, or not run. The
candidate's module is imported in the same process as pytest (orchestrator/verify/running/in_sandbox/driver_pytest.py).
"""

from tests.redteam.cheats_fix import BUGGY_LOOP_REWRITTEN
from tests.redteam.cheats_timing import answer

# Rebinds pytest's own runner function so that every phase's report says "passed".
# (Its function uses the patch's result, so the loop keeps the module-level code that makes it.)
PATCHES_PYTEST_REPORTING = answer('''
import _pytest.runner


def _patch_pytest():
    real = _pytest.runner.call_and_report

    def always_passed(item, when, log=True, **kwargs):
        report = real(item, when, log, **kwargs)
        report.outcome = "passed"
        report.longrepr = None
        return report

    _pytest.runner.call_and_report = always_passed
    return True


_PATCHED = _patch_pytest()


def count_pairs(nums: list[int], k: int) -> int:
    """Number of index pairs i < j with nums[i] + nums[j] == k."""
    assert _PATCHED
''' + BUGGY_LOOP_REWRITTEN)

# Skips (pytest.skip, from the code under test) exactly the inputs where the bug shows.
PYTEST_SKIP = answer('''
import pytest


def count_pairs(nums: list[int], k: int) -> int:
    """Number of index pairs i < j with nums[i] + nums[j] == k."""
    if any(2 * x == k for x in nums):
        pytest.skip("inputs with a value of k / 2 are not supported yet")
''' + BUGGY_LOOP_REWRITTEN)
