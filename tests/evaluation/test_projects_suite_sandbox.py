"""One case of the projects suite, mechanics variant, in the real Docker sandbox: inflection 0.5.1 fetched by pip
(only that project; pinned, hash required), its `ordinal` given the case's bug, the product's Job finds the
project's tests and really runs them under pytest in the sandbox, and one fails. The same case with its patch
made a no-op (the bug gone) is not counted as working: the check the mechanics exist for."""

from __future__ import annotations

import dataclasses

import pytest

from evaluation.suites.project_cases import load_projects, unpacked
from evaluation.suites.projects import run_case
from tests.conftest import require_real_part

pytestmark = [pytest.mark.docker]
CASE = "inflection-ordinal-fix"


@pytest.fixture(scope="module")
def case():
    project = next(p for p in load_projects() if p.name == "inflection")
    try:
        unpacked(project)  # pip download into the projects cache unless it is there
    except Exception as exc:  # noqa: BLE001 - no registry here: a missing real part (fails under CI)
        require_real_part(f"could not fetch {project.sdist}: {exc}")
    return next(c for c in project.cases if c.id == CASE)


def test_the_bug_is_caught_by_the_projects_own_tests_run_by_pytest_in_the_sandbox(case, docker_sandbox):
    result = run_case(case, "mechanics", docker_sandbox)
    m = result["mechanics"]
    assert m["ok"], m
    assert m["target_resolved"] and m["sandbox_ok"] and m["runner"] == "pytest"
    assert "test_inflection.py" in m["tests_found"]
    assert m["tests_ran"] > 30 and m["tests_failed"] >= 1, m  # parametrized cases, each a test of its own


def test_the_same_case_without_its_bug_is_not_counted(case, docker_sandbox):
    no_bug = dataclasses.replace(case, replace=case.find)
    m = run_case(no_bug, "mechanics", docker_sandbox)["mechanics"]
    assert not m["ok"] and m["problem"] == "no selected test fails on the injected bug", m
    assert m["tests_ran"] > 30 and m["tests_failed"] == 0
