"""End to end on the real embedded default model (Qwen2.5-Coder-0.5B through llama.cpp): real guidance,
a solution with code and a judgment with scores, every call in history."""

from __future__ import annotations


import pytest

from models.errors import Cancelled
from models.history import History
from orchestrator.pipeline import Pipeline
from models.settings import Settings
from models.types import Problem

from .conftest import CancelAfter

pytestmark = [pytest.mark.llama, pytest.mark.slow]

PROBLEM = Problem(title="Reverse a string in Python",
                  description="I need a function reverse(s) that returns the string s reversed. What is the idiomatic way?",
                  language="python", source="tests/e2e")


@pytest.fixture
def pipeline(tmp_path, local_gguf, no_cloud_keys):
    settings = Settings.from_dict({
        "guide": {"max_tokens": 160, "temperature": 0}, "solve": {"max_tokens": 256, "temperature": 0},
        "judge": {"max_tokens": 128, "temperature": 0}, "history_path": str(tmp_path / "h.db")})
    history = History(settings.resolved_history_path())
    p = Pipeline(settings, history)
    yield p
    p.close()
    history.close()


def test_full_run_on_local_model(pipeline):
    stages, pieces = [], []
    report = pipeline.run(PROBLEM, on_stage=stages.append, on_text=pieces.append)
    assert stages == ["guide", "solve", "judge"]
    assert report.guidance.text and report.guidance.model_id == "local"
    assert report.solution.text and report.solution.usage.completion_tokens > 0
    assert "def reverse" in (report.solution_code or ""), report.solution.text  # a coder model writes code
    assert report.judgment is not None and report.judgment.scores is not None, report.judgment.raw.text
    assert all(1 <= v <= 5 for v in report.judgment.scores.model_dump().values())
    [run] = pipeline.history.export(report.run_id)
    assert run["status"] == "ok" and run["source"] == "tests/e2e"
    stages_logged = [c["stage"] for c in run["calls"]]
    assert stages_logged[:3] == ["guide", "solve", "judge"] and len(stages_logged) in (3, 4)  # 4 = judge re-asked
    assert all(c["model_id"] == "local" and c["error"] is None and c["completion_tokens"] for c in run["calls"])
    assert run["judgment"]["call_id"] == run["calls"][-1]["id"]
    if report.judgment.scores is None:
        assert run["judgment"]["accuracy"] is None and len(stages_logged) == 4
    assert "".join(pieces)


def test_judge_existing_code(pipeline):
    report = pipeline.run(PROBLEM, ("judge",), solution="```python\ndef reverse(s):\n    return s[::-1]\n```")
    assert report.guidance is None and report.solution is None
    assert report.solution_code == "def reverse(s):\n    return s[::-1]\n"
    assert report.judgment.raw.model_id == "local"
    assert pipeline.history.export(report.run_id)[0]["kind"] == "judge"


def test_cancel_real_generation(pipeline):
    stop = CancelAfter(5)
    with pytest.raises(Cancelled):
        pipeline.run(PROBLEM, cancel=stop.event, on_text=stop)
    assert len(stop.pieces) == 5
    assert pipeline.history.list_runs(1)[0]["status"] == "cancelled"
