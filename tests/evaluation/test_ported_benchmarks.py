"""What the removed one-off benchmarks measured, now in the suites: the leetcode suite's `classifier` variant
(was benchmarks/category_accuracy.py), refactorcoderqa-mcq's `guide-solve-judge` variant (was
benchmarks/refactorcoderqa_latency.py) and humaneval-x's cost table (was benchmarks/generate_fix.py)."""

from __future__ import annotations

import pytest

from evaluation import category_accuracy
from evaluation.suites.humaneval import cost_table
from tests.evaluation.test_suites_scripted import run

JUDGED = ('```python\nprint(1)\n```\n{"accuracy": 4, "clarity": 5, "efficiency": 3, "strengths": ["s"], '
          '"weaknesses": [], "feedback": "f"}')


def test_split_is_the_shipped_examples_hash_split():
    problems = category_accuracy.load()
    train = [p for p in problems if category_accuracy.is_train(p["task_id"])]
    # the README's figures: 392 problems with one of the ten categories, 188 train / 204 test
    assert (len(problems), len(train)) == (392, 188)
    assert all(p["tags"] for p in problems)


def test_classifier_variant_without_the_embedder(tmp_path, monkeypatch):
    # Unit test: the embedder "cannot load", so only the data-free methods run (the real MiniLM comparison
    # is test_classifier_variant_with_the_real_embedder).
    from orchestrator import categories

    monkeypatch.setattr(categories, "embedding_unavailable", lambda: "ImportError: pretend")
    rows, report, model = run(tmp_path, "leetcode", {"variants": ["classifier"], "limit": 2}, lambda _: "unused")
    assert len(rows) == 1 and rows[0]["model"] is None and model.calls == 0
    table = report.tables[0]
    assert table.title.startswith("Category classifier vs LeetCode tags, by method")
    cells = {row[0]: row for row in table.rows}
    assert cells["always the train half's commonest tag"][1] == "70.6% (144/204)"
    assert cells["keywords (the fallback)"][1] == "84.3% (172/204)"
    assert "188 train / 204 test" in table.note and "unavailable" in table.note
    assert report.summary["classifier"]["keywords"] == pytest.approx(0.8431)


@pytest.fixture
def real_embedder():
    from orchestrator import categories
    from tests.conftest import require_real_part

    require_real_part(categories.embedding_unavailable())
    yield categories.embedder()
    categories.fit()


@pytest.mark.slow
def test_classifier_variant_with_the_real_embedder(tmp_path, real_embedder):
    from orchestrator import categories

    rows, report, _ = run(tmp_path, "leetcode", {"variants": ["classifier"]}, lambda _: "unused")
    results = rows[0]["metrics"]["classifier"]
    # the README's figures on the test half: blend 87.3%, neighbours alone 93.6%, descriptions alone 71.1%
    assert results["embedding"]["test"]["accuracy"] == pytest.approx(0.8725)
    assert results["embedding_neighbours_only"]["test"]["accuracy"] == pytest.approx(0.9363)
    assert results["embedding_descriptions_only"]["test"]["accuracy"] == pytest.approx(0.7108)
    assert categories.NEIGHBOUR_WEIGHT == 0.3 and categories._index[1] is not None  # left as classify() uses it


def test_mcq_guide_solve_judge_latency_per_domain(tmp_path, qa_data):
    rows, report, model = run(tmp_path, "refactorcoderqa-mcq",
                              {"variants": ["guide-solve-judge"], "limit": 5, "data": str(qa_data)}, lambda _: JUDGED)
    assert model.calls == 15  # guide, solve, judge per question
    assert sorted(r["grp"] for r in rows) == ["DS", "DS", "ML", "NLP", "SE"]  # round robin over the domains
    table = report.tables[-1]
    assert table.columns == ["model", "domain", "guide", "solve", "judge", "n"]
    assert [row[1] for row in table.rows] == ["DS", "ML", "NLP", "SE", "all"] and table.rows[-1][-1] == 5
    assert all(r["latency"].keys() >= {"guide", "solve", "judge"} for r in rows)
    assert "judge scores readable 5/5" in table.note and "code block 5/5" in table.note


def test_mcq_rejects_an_unknown_variant(tmp_path):
    from evaluation.suite import get_suite

    with pytest.raises(ValueError, match="guide-solve-judge"):
        get_suite("refactorcoderqa-mcq").items({"models": ["m"], "variants": ["nope"], "data": str(tmp_path)})


def test_humaneval_cost_table_counts_calls_and_seconds_per_solved():
    def row(variant, correct, calls, seconds, first=None):
        metrics = {"correct": correct, "model_calls": calls}
        if first is not None:
            metrics["first_attempt_passed"] = first
        return {"status": "ok", "model": "m", "variant": variant, "metrics": metrics, "latency": {"item": seconds}}

    rows = [row("one-shot", True, 1, 10), row("one-shot", False, 1, 20),
            row("pipeline", True, 1, 10, True), row("pipeline", True, 4, 50, False)]
    examples = [row("examples", True, 1, 10), row("examples", True, 3, 30), row("examples", False, 4, 40)]
    for r, tokens, first_correct in zip(examples, (300, 900, 1200), (True, False, False)):
        r["metrics"].update(tokens=tokens, first_attempt_correct=first_correct, first_attempt_passed=True)
    table = cost_table(examples + rows)
    assert table.rows == [# the hidden tests' verdict on the first attempt, not the examples' (which passed all three)
                          ["m", "examples", "0.67", "2/3", 8, "4.00", "1,200", "40.0", "1/3"],
                          ["m", "one-shot", "0.50", "1/2", 2, "2.00", "—", "30.0", "—"],
                          ["m", "pipeline", "1.00", "2/2", 5, "2.50", "—", "30.0", "1/2"]]
