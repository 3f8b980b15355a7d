"""Suites with a scripted model (a fake: it answers from the item's own reference solution or a fixed letter)
so that the scoring, measuring and aggregation paths are checked against known outcomes; the executions run
in the real Docker sandbox. The real-model runs are in test_suites_e2e.py."""

from __future__ import annotations

import re

import pytest

from evaluation.context import WorkerContext
from evaluation.report import build
from evaluation.runner import run_suite
from evaluation.store import EvalStore
from models.base import Model, Response
from models.registry import ModelRegistry


class ScriptedModel(Model):
    def __init__(self, answer):
        self.model_id = "scripted"
        self.answer = answer  # messages -> text
        self.calls = 0

    def _execute(self, messages, options, *, stream, deadline, on_text):
        self.calls += 1
        return Response(model_id=self.model_id, text=self.answer(messages[-1]["content"]))


def run(tmp_path, suite, options, answer, sandbox=None):
    registry = ModelRegistry()
    model = ScriptedModel(answer)
    registry.register("scripted", model)
    store = EvalStore(tmp_path / "eval.db")
    run_id = run_suite(suite, {**options, "models": ["scripted"]}, store, run_name="s",
                       ctx=WorkerContext(registry=registry, sandbox=sandbox), progress=False)
    meta, rows, report = build(store, run_id)
    store.close()
    assert {r["status"] for r in rows} == {"ok"}, [r["error"] for r in rows]
    return rows, report, model


def test_mcq_accuracy_of_always_b(tmp_path, qa_data):
    rows, report, model = run(tmp_path, "refactorcoderqa-mcq", {"limit": 12, "data": str(qa_data),
                                                               "variants": ["direct"]}, lambda _: "B")
    expected = sum(r["expected"] == "B" for r in rows) / 12
    overall = report.tables[0].rows[0][-1]
    assert overall == f"{100 * expected:.1f}% (12)" and model.calls == 12
    assert report.tables[0].rows[-1][0] == "RefactorCoder-MoE (paper)"


def fenced(code: str, lang: str = "python") -> str:
    return f"Here it is:\n```{lang}\n{code}\n```\n"


def test_humaneval_x_reference_answers_pass(tmp_path, docker_sandbox):
    from evaluation.humaneval_code import canonical_answer
    from sandbox.humaneval import load

    answers = {}
    for lang, fence in (("python", "python"), ("js", "javascript")):
        for record in load(lang)[:2]:
            answers[record["entry_point"]] = fenced(canonical_answer(record, lang), fence)

    def answer(prompt):
        return next(text for name, text in answers.items() if f"`{name}`" in prompt)

    rows, report, _ = run(tmp_path, "humaneval-x", {"langs": ["python", "js"], "limit": 2}, answer, docker_sandbox)
    assert len(rows) == 4 and all(r["metrics"]["correct"] for r in rows)
    assert report.tables[0].rows[0][-1] == "100.0% (4)"


def test_humanevalpack_fix_with_the_canonical_fix(tmp_path, docker_sandbox):
    from evaluation.humaneval_code import canonical_answer
    from sandbox.humaneval import load

    records = load("python")[:2]

    def answer(prompt):
        record = next(r for r in records if f"`{r['entry_point']}`" in prompt)
        return fenced(canonical_answer(record, "python"))

    rows, report, _ = run(tmp_path, "humanevalpack-fix", {"langs": ["python"], "limit": 2}, answer, docker_sandbox)
    assert all(r["metrics"]["correct"] for r in rows) and report.tables[0].rows[0][-1] == "100.0% (2)"


@pytest.mark.parametrize("language", ["python", "js", "cpp"])
def test_refine_measures_with_the_product_statistics(tmp_path, docker_sandbox, language):
    from evaluation.humaneval_code import canonical_answer
    from sandbox.humaneval import load

    record = load(language)[0]

    rows, report, _ = run(tmp_path, "refine", {"langs": [language], "limit": 1, "min_pairs": 6, "budget_s": 5},
                          lambda _: fenced(canonical_answer(record, language), language), docker_sandbox)
    metrics, profile = rows[0]["metrics"], rows[0]["profile"]
    assert metrics["verdict"] in ("better", "worse", "no significant difference")
    assert profile["n_pairs"] >= 6 and profile["metric"] == "time" and len(profile["samples_a"]) >= 6
    assert rows[0]["latency"]["profile"] > 0 and rows[0]["latency"]["refine"] >= 0
    assert report.tables[0].rows[0][3] in ("0/1", "1/1")
    if language == "python":  # the canonical solution against itself: the behaviour guards agree
        assert rows[0]["test_result"]["differential"].startswith("same behaviour as the original")
    else:  # optimize has no per-function profile for the other languages
        assert "profile of a typical run" not in rows[0]["prompt"]


SORTS_ITS_ARGUMENT = """from typing import List


def has_close_elements(numbers: List[float], threshold: float) -> bool:
    numbers.sort()  # passes HumanEval's tests, but the caller's list comes back sorted
    return any(b - a < threshold for a, b in zip(numbers, numbers[1:]))
"""


def test_refine_rejects_what_the_product_rejects_before_measuring(tmp_path, docker_sandbox):
    """A candidate that passes the benchmark's tests but mutates its argument is rejected by the product's
    differential tests (orchestrator.verify.checks.behaviour), so the suite never counts it as an improvement."""
    rows, report, _ = run(tmp_path, "refine", {"langs": ["python"], "limit": 1, "min_pairs": 6, "budget_s": 5},
                          lambda _: fenced(SORTS_ITS_ARGUMENT), docker_sandbox)
    row = rows[0]
    assert row["metrics"]["verdict"] == "rejected" and "argument mutation" in row["test_result"]["rejected"]
    assert row["test_result"]["passed"] and "profile" not in row["latency"]
    assert "(profile of a typical run):" in row["prompt"] and "has_close_elements" in row["prompt"]  # as optimize
    assert report.tables[0].rows[0][3] == "0/1" and report.tables[0].rows[0][6] == 1


def test_leetcode_reference_completions_pass(tmp_path, docker_sandbox):
    from evaluation.suites.leetcode import problems

    by_id = {p["task_id"]: p for p in problems({})}

    def answer(prompt):
        task = re.search(r"LeetCode: (\S+)", prompt).group(1)
        return fenced(by_id[task]["completion"])

    rows, report, _ = run(tmp_path, "leetcode", {"limit": 2}, answer, docker_sandbox)
    assert all(r["metrics"]["correct"] for r in rows), [r["test_result"] for r in rows]
    assert all(r["metrics"]["tags"] for r in rows)
    assert report.tables[1].title.startswith("Category classifier")


def test_enamel_reference_solution_scores(tmp_path, docker_sandbox):
    from evaluation import data
    from evaluation.suites.enamel import computable

    first = next(r for r in data.load("enamel", "enamel.jsonl.gz") if computable(r))
    prompt = first["prompt"]
    header = prompt[prompt.rfind(f"def {first['entry_point']}"):]
    rows, report, _ = run(tmp_path, "enamel", {"limit": 1},
                          lambda _: fenced(header.rstrip("\n") + "\n" + first["reference_solution"]), docker_sandbox)
    assert rows[0]["metrics"]["correct"] and rows[0]["metrics"]["eff"] > 0, rows[0]["test_result"]
    assert report.tables[0].rows[0][2] == "100.0%"
