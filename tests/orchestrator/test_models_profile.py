"""`refactorcoder models profile` / `models rank`: outcomes of real sandbox runs land in the ranking memory.

The scripted test drives the seeder with canned answers (right, wrong) so the recorded outcomes are
known; the end-to-end test runs the CLI with the real embedded model (`local`) in the Docker sandbox.
Under CI=true a missing engine, image or model fails them."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.conftest import require_real_part
from tests.orchestrator.conftest import _python_sandbox_problem

pytestmark = [pytest.mark.docker]


def _canned_model(model_id: str, answers: list[str]):
    from models.base import Model, Response

    class Canned(Model):
        def _execute(self, messages, options, *, stream, deadline, on_text):
            return Response(model_id=model_id, text=answers.pop(0) if len(answers) > 1 else answers[0])

    model = Canned()
    model.model_id = model_id
    return model


def test_seeder_records_sandbox_verdicts(tmp_path):
    require_real_part(_python_sandbox_problem())
    from evaluation.context import WorkerContext
    from evaluation.humaneval_code import canonical_answer
    from evaluation.suites.humaneval import records
    from models.registry import ModelRegistry

    from orchestrator.ranking import RankingMemory
    from evaluation.seeding import SeedPlan, Seeder
    from orchestrator.store import open_history

    record = records("python", {})[2]  # truncate_number
    right = "```python\n" + canonical_answer(record, "python") + "\n```"
    wrong = "```python\n" + canonical_answer(record, "python", buggy=True) + "\n```"
    registry = ModelRegistry()
    registry.register("right", _canned_model("right", [right]))
    registry.register("wrong", _canned_model("wrong", [wrong]))
    ctx = WorkerContext(registry=registry)
    seen = []
    try:
        with open_history(tmp_path / "h.db") as history:
            memory = RankingMemory(history)
            plan = SeedPlan(models=["wrong", "right"], languages=["python"], stages=["generate", "fix"], limit=1,
                            start=2)
            outcomes = Seeder(memory, ctx, on_outcome=seen.append).run(plan)
            assert [(o.stage, o.model, o.success) for o in outcomes] == [
                ("generate", "wrong", False), ("generate", "right", True),
                ("fix", "wrong", False), ("fix", "right", True)]
            assert seen == outcomes and all(o.task_id == "Python/2" and o.category for o in outcomes)
            assert memory.order("fix", "python", outcomes[0].category, ["wrong", "right"], explore=False) == \
                ["right", "wrong"]
            assert {r["source"] for r in memory.outcomes()} == {"profile"}
    finally:
        ctx.close()


def _local_model_problem() -> str | None:
    try:
        import llama_cpp  # noqa: F401

        from models import embedded

        embedded.require()
    except Exception as exc:  # noqa: BLE001
        return f"the embedded local model is not available: {exc}"
    return None


@pytest.mark.llama
@pytest.mark.slow
def test_models_profile_limit_1_end_to_end(tmp_path, monkeypatch):
    require_real_part(_python_sandbox_problem())
    require_real_part(_local_model_problem())
    from server.cli import app

    monkeypatch.setenv("REFACTORCODER_HOME", str(tmp_path))
    runner = CliRunner()
    result = runner.invoke(app, ["models", "profile", "--limit", "1", "--models", "local", "--refine-budget", "5",
                                 "--json"])
    assert result.exit_code == 0, result.output
    outcomes = json.loads(result.stdout)
    assert [(o["stage"], o["model"], o["task_id"]) for o in outcomes] == [
        ("generate", "local", "Python/0"), ("fix", "local", "Python/0"), ("refine", "local", "Python/0")]
    assert all(o["detail"] for o in outcomes)  # every attempt says what the sandbox found
    ranked = runner.invoke(app, ["models", "rank", "--json"])
    assert ranked.exit_code == 0, ranked.output
    rows = json.loads(ranked.stdout)
    assert sorted((r["stage"], r["attempts"], r["successes"]) for r in rows) == sorted(
        (o["stage"], 1, int(o["success"])) for o in outcomes)
    assert {r["metric"] for r in rows if r["stage"] == "refine"} == {"time"}
    human = runner.invoke(app, ["models", "rank", "--stage", "generate"])
    assert human.exit_code == 0 and "local" in human.output and "pass@1" in human.output
