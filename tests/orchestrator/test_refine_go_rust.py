"""Refine measured for Go and Rust: the `refine` eval suite and `models profile`'s refine seeding time the
problem's own tests (Go: the `go test -c` binary with -test.count=N; Rust: the tests called N times from a
generated main, built with `rustc -O`). One HumanEval-X item each, in the Docker sandbox, with a scripted
model that answers with the canonical solution."""

from __future__ import annotations

import pytest

from evaluation.suites.refine import rust_test_runner
from tests.conftest import require_real_part


def test_rust_tests_become_a_self_looping_program():
    from evaluation.humaneval_code import assemble, canonical_answer
    from sandbox.humaneval import load

    record = load("rust")[0]
    program = rust_test_runner(assemble(record, "rust", canonical_answer(record, "rust")))
    assert "#[test]" not in program and "#[cfg(test)]" not in program
    assert "pub fn test_has_close_elements()" in program and "fn main(){}" not in program
    assert program.rstrip().endswith("for _ in 0..n {\n        tests::test_has_close_elements();\n    }\n}")
    with pytest.raises(ValueError, match="no #\\[test\\]"):
        rust_test_runner("fn main() {}\n")


@pytest.fixture(scope="module")
def go_rust_sandbox():
    from tests.orchestrator.conftest import _python_sandbox_problem

    require_real_part(_python_sandbox_problem())
    from sandbox import Sandbox
    from sandbox.images import missing_images

    missing = missing_images(["go", "rust"])
    require_real_part(f"sandbox images missing: {', '.join(missing)}" if missing else None)
    with Sandbox(pool_size=1) as sb:
        yield sb


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.parametrize("language", ["go", "rust"])
def test_refine_suite_measures_go_and_rust(tmp_path, go_rust_sandbox, language):
    from evaluation.humaneval_code import canonical_answer
    from sandbox.humaneval import load
    from tests.evaluation.test_suites_scripted import fenced, run

    record = load(language)[0]
    rows, report, _ = run(tmp_path, "refine", {"langs": [language], "limit": 1, "min_pairs": 6, "budget_s": 5},
                          lambda _: fenced(canonical_answer(record, language), language), go_rust_sandbox)
    metrics, profile = rows[0]["metrics"], rows[0]["profile"]
    assert metrics["correct"] and metrics["verdict"] in ("better", "worse", "no significant difference"), metrics
    assert profile["n_pairs"] >= 6 and profile["loop_count"] > 1, profile  # looped inside one process
    assert report.tables[0].rows[0][2] == language and report.tables[0].rows[0][3] in ("0/1", "1/1")


@pytest.mark.docker
@pytest.mark.slow
def test_rust_refine_is_seeded(tmp_path, go_rust_sandbox):
    from evaluation.context import WorkerContext
    from evaluation.humaneval_code import canonical_answer
    from evaluation.seeding import SeedPlan, Seeder
    from evaluation.suites.humaneval import records
    from models.registry import ModelRegistry
    from orchestrator.ranking import RankingMemory
    from orchestrator.store import open_history
    from tests.orchestrator.test_models_profile import _canned_model

    record = records("rust", {})[0]
    registry = ModelRegistry()
    registry.register("same", _canned_model("same", ["```rust\n" + canonical_answer(record, "rust") + "\n```"]))
    with open_history(tmp_path / "h.db") as history:
        plan = SeedPlan(models=["same"], languages=["rust"], stages=["refine"], limit=1, refine_budget_s=5)
        (outcome,) = Seeder(RankingMemory(history), WorkerContext(registry=registry, sandbox=go_rust_sandbox)).run(plan)
    assert outcome.stage == "refine" and outcome.language == "rust", outcome
    assert outcome.detail.split(":")[0] in ("better", "worse", "no significant difference"), outcome.detail
