"""The projects suite's case files (evaluation/suites/projects/*.toml): at least five pinned projects with a
license and a sha256, at least twenty cases of both kinds, every patch applying once inside its target in the
pinned sources (fetched by pip when the cache lacks them; a failed fetch fails under CI), and
the suite's items and tables. No sandbox here: tests/evaluation/test_projects_suite_sandbox.py runs a case."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evaluation.suites.project_cases import (CASES_DIR, Case, CaseError, load_projects, patched_text, sdist_path,
                                             sha256_of, unpacked)
from evaluation.suites.projects import ProjectsSuite
from tests.conftest import require_real_part


def test_at_least_five_pinned_projects_and_twenty_cases_of_both_kinds():
    projects = load_projects()
    cases = [c for p in projects for c in p.cases]
    assert len(projects) >= 5 and len(cases) >= 20, (len(projects), len(cases))
    kinds = [c.kind for c in cases]
    assert kinds.count("fix") >= 12 and kinds.count("optimize") >= 8, kinds
    source = (CASES_DIR / "SOURCE.md").read_text()
    for p in projects:
        assert re.fullmatch(r"[0-9a-f]{64}", p.sha256) and p.sdist.endswith(".tar.gz"), p.name
        assert p.license and f"| {p.name} | {p.version} | {p.license} " in source, p.name
        assert p.cases, p.name
    for c in cases:
        if c.kind == "optimize":
            assert c.trace[-1].endswith(".py") and c.bench.strip(), c.id


def test_a_case_file_with_a_missing_field_a_bad_kind_or_a_repeated_id_is_refused(tmp_path):
    head = ("[project]\nname = 'p'\nversion = '1'\nsdist = 'p-1.tar.gz'\nsha256 = '0'\nlicense = 'MIT'\n"
            "license_file = 'LICENSE'\nurl = ''\n")
    case = "[[case]]\nid = 'a'\nkind = 'fix'\ntarget = 'm.py::f'\nfind = 'x'\nreplace = 'y'\nwhy = ''\n"
    (tmp_path / "p.toml").write_text(head + case.replace("find = 'x'\n", ""))
    with pytest.raises(ValueError, match="case 1 lacks find"):
        load_projects(tmp_path)
    (tmp_path / "p.toml").write_text(head + case.replace("'fix'", "'speed'"))
    with pytest.raises(ValueError, match="kind"):
        load_projects(tmp_path)
    (tmp_path / "p.toml").write_text(head + case.replace("'fix'", "'optimize'"))
    with pytest.raises(ValueError, match="needs `trace` and `bench`"):
        load_projects(tmp_path)
    (tmp_path / "p.toml").write_text(head + case + case)
    with pytest.raises(ValueError, match="'a' repeats"):
        load_projects(tmp_path)


MODULE = "def f(x):\n    return x + 1\n\n\ndef g(x):\n    return x + 1\n"


def _case(find: str, replace: str = "return x - 1", function: str = "f") -> Case:
    return Case(id="c", project="p", kind="fix", target=f"m.py::{function}", find=find, replace=replace, why="")


def test_a_patch_applies_once_inside_its_target_and_nowhere_else():
    assert patched_text(_case("return x + 1"), MODULE) == MODULE.replace("return x + 1", "return x - 1", 1)
    assert patched_text(_case("return x + 1", function="g"), MODULE).endswith("return x - 1\n")
    with pytest.raises(CaseError, match="occurs 0 times in f"):
        patched_text(_case("return x * 2"), MODULE)
    with pytest.raises(CaseError, match="occurs 0 times in f"):
        patched_text(_case("def g(x):"), MODULE)  # in the file, not in the target
    with pytest.raises(CaseError, match="no function 'h'"):
        patched_text(_case("return x + 1", function="h"), MODULE)


def test_every_patch_applies_to_the_pinned_sources_and_the_sdists_match_their_hashes():
    """Fast once the cache holds the sources (setup: scripts/fetch_eval_projects.py); a missing one is fetched
    here by pip (pinned, hash required), and a fetch that fails is a missing real part (fails under CI)."""
    for p in load_projects():
        try:
            root = unpacked(p)
        except Exception as exc:  # noqa: BLE001 - no registry here
            require_real_part(f"{p.sdist} is not in the projects cache and pip could not fetch it: {exc}")
        if sdist_path(p).is_file():
            assert sha256_of(sdist_path(p)) == p.sha256, p.sdist
        assert (root / p.license_file).is_file(), p.name
        for c in p.cases:
            path = root / c.file
            original = path.read_text(encoding="utf-8")
            assert patched_text(c, original) != original, c.id


def test_items_one_per_case_and_variant_and_no_model_for_the_mechanics():
    suite = ProjectsSuite()
    cases = [c.id for p in load_projects() for c in p.cases]
    items = suite.items({"variants": ["mechanics"], "models": ["local"]})
    assert [i.item_id for i in items] == cases and {i.model for i in items} == {None}
    items = suite.items({"variants": ["model"], "models": ["local", "m2"], "cases": cases[:2]})
    assert [(i.model, i.item_id) for i in items] == [(m, c) for m in ("local", "m2") for c in cases[:2]]
    with pytest.raises(ValueError, match="variants mechanics, model"):
        suite.items({"variants": ["fast"]})


def _mech_row(case: str, kind: str, ok: bool, problem: str = "") -> dict:
    mechanics = {"target_resolved": True, "tests_found": ["t.py"], "runner": "pytest", "tests_ran": 3,
                 "tests_failed": 1 if kind == "fix" else 0, "tests_not_run": 0, "sandbox_ok": ok,
                 "traced_samples": 4 if kind == "optimize" else None, "workload": "", "ok": ok, "problem": problem}
    return {"status": "ok", "variant": "mechanics", "item_id": case, "grp": kind, "model": None,
            "metrics": {"mechanics": mechanics, "wall_s": 12.0}}


def test_the_mechanics_table_counts_the_cases_that_worked_and_says_why_the_others_did_not():
    rows = [_mech_row("a", "fix", True), _mech_row("b", "optimize", True), _mech_row("c", "fix", False, "sandbox: x")]
    report = ProjectsSuite().aggregate(rows, {})
    assert report.tables[0].rows == [[3, 2, "66.7%"]]
    assert report.tables[1].rows[2][-2] == "sandbox: x" and report.summary["mechanics"] == pytest.approx(2 / 3)


def test_the_fetch_script_names_an_unknown_project(capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location("fetch", Path(__file__).parents[2] / "scripts" /
                                                  "fetch_eval_projects.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["no-such-project"]) == 2
    assert "no such project: no-such-project" in capsys.readouterr().err
