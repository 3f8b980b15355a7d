"""Each suite end to end on 2 items with a real embedded model (`tiny` where only the mechanics matter,
`local` = Qwen2.5-Coder-0.5B for HumanEval-X) and the real Docker sandbox for the execution suites."""

from __future__ import annotations

import pytest

from evaluation.context import WorkerContext
from evaluation.report import build, render_charts, to_csv, to_json, to_markdown
from evaluation.runner import run_suite
from evaluation.store import EvalStore

pytestmark = pytest.mark.slow


def run(tmp_path, suite, options, sandbox=None):
    store = EvalStore(tmp_path / "eval.db")
    ctx = WorkerContext(sandbox=sandbox)
    run_id = run_suite(suite, options, store, run_name="t", ctx=ctx, progress=False)
    meta, rows, report = build(store, run_id)
    store.close()
    assert {r["status"] for r in rows} == {"ok"}, [r["error"] for r in rows]
    return meta, rows, report


def check_report(tmp_path, meta, rows, report):
    md = to_markdown(meta, rows, report, render_charts(report, tmp_path / "charts"))
    assert md.count("|---") >= 1 and "![" in md
    for chart in report.charts:
        assert (tmp_path / "charts" / chart.filename).read_bytes()[:4] == b"\x89PNG"
    assert to_csv(rows).count("\n") == len(rows) + 1 and '"items"' in to_json(meta, rows, report)


def test_mcq_direct_and_guide_solve(tmp_path, tiny_gguf, qa_data):
    meta, rows, report = run(tmp_path, "refactorcoderqa-mcq", {"models": ["tiny"], "limit": 2, "data": str(qa_data)})
    assert sorted(r["variant"] for r in rows) == ["direct", "direct", "guide-solve", "guide-solve"]
    for r in rows:
        assert r["prompt"] and r["answer"] is not None and r["expected"] in "ABCD"
        assert r["metrics"]["correct"] == (r["metrics"]["letter"] == r["expected"])
        assert r["latency"]["solve"] > 0 and (("guide" in r["latency"]) == (r["variant"] == "guide-solve"))
    assert "RefactorCoder-MoE (paper)" in to_markdown(meta, rows, report)
    check_report(tmp_path, meta, rows, report)


def test_judge_against_humans(tmp_path, tiny_gguf, qa_data):
    meta, rows, report = run(tmp_path, "refactorcoderqa-judge", {"models": ["tiny"], "limit": 2, "data": str(qa_data)})
    assert len(rows) == 2 and all(r["latency"]["judge"] > 0 for r in rows)
    assert all(r["metrics"]["human"]["accuracy"] is not None for r in rows)
    labels = [row[0] for row in report.tables[0].rows]
    assert labels == ["tiny (ours)", "GPT-4o JudgeLLM (paper's scores)"]
    check_report(tmp_path, meta, rows, report)


def test_humaneval_x_one_shot_python(tmp_path, local_gguf, docker_sandbox):
    meta, rows, report = run(tmp_path, "humaneval-x", {"models": ["local"], "langs": ["python"], "limit": 2},
                             docker_sandbox)
    assert [r["item_id"] for r in rows] == ["Python/0", "Python/1"]
    for r in rows:
        assert isinstance(r["test_result"]["passed"], bool) and r["metrics"]["correct"] == r["test_result"]["passed"]
        assert r["latency"]["solve"] > 0 and r["latency"]["sandbox"] > 0
    assert report.tables[0].rows[-1][0].startswith("PerfOrch")
    check_report(tmp_path, meta, rows, report)


def test_humanevalpack_fix(tmp_path, tiny_gguf, docker_sandbox):
    meta, rows, report = run(tmp_path, "humanevalpack-fix", {"models": ["tiny"], "langs": ["python"], "limit": 2},
                             docker_sandbox)
    assert len(rows) == 2 and all("fix" in r["latency"] for r in rows)
    assert all(r["metrics"]["bug_type"] for r in rows)
    check_report(tmp_path, meta, rows, report)


@pytest.mark.parametrize("language", ["python", "cpp", "java", "go", "rust", "js"])
def test_answer_assembly_canonical_passes_buggy_fails(language, docker_sandbox):
    """The candidate builder, fed the reference solution written as a model writes it (whole function,
    with the prompt's includes repeated), passes; the hand-inserted bug fails."""
    from evaluation.humaneval_code import canonical_answer, run_answer_code
    from sandbox.humaneval import load
    from sandbox.models import Limits

    record = load(language)[0]
    limits = Limits(wall_time_s=60, cpu_time_s=60)
    good = run_answer_code(record, language, canonical_answer(record, language), sandbox=docker_sandbox, limits=limits)
    assert good.all_passed, (good.compile_output, good.tests[0].stderr if good.tests else good.message)
    bad = run_answer_code(record, language, canonical_answer(record, language, buggy=True), sandbox=docker_sandbox,
                          limits=limits)
    assert not bad.all_passed


def test_humaneval_x_generate_fix_pipeline(tmp_path, local_gguf, docker_sandbox):
    """The pipeline variant goes through orchestrator.loop.Orchestrator.solve (generate -> fix)."""
    meta, rows, report = run(tmp_path, "humaneval-x", {"models": ["local"], "langs": ["python"], "limit": 1,
                                                       "variants": ["pipeline"]}, docker_sandbox)
    assert rows[0]["variant"] == "pipeline" and rows[0]["test_result"]["attempts"] >= 1
    assert rows[0]["test_result"]["status"] in ("accepted", "failed", "unchanged")


@pytest.mark.parametrize("suite,options", [
    ("leetcode", {"limit": 2}),
    ("refine", {"langs": ["python"], "limit": 2, "min_pairs": 6, "budget_s": 5}),
    ("enamel", {"limit": 2}),
])
def test_execution_suites_with_the_embedded_model(tmp_path, tiny_gguf, docker_sandbox, suite, options):
    meta, rows, report = run(tmp_path, suite, {"models": ["tiny"], **options}, docker_sandbox)
    assert len(rows) == 2 and all(r["answer"] is not None for r in rows)
    stage = "refine" if suite == "refine" else "solve"
    assert all(r["latency"][stage] > 0 for r in rows)
    check_report(tmp_path, meta, rows, report)
