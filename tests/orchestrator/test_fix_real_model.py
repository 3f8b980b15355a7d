"""End to end on the real embedded model (`local`: Qwen2.5-Coder-0.5B through llama.cpp) and the real
sandbox: a buggy HumanEvalPack Python function goes through `fix` until its benchmark tests pass.
Minutes of CPU on a 2-core machine: run sparingly."""

from __future__ import annotations

import gzip
import json

import pytest

from tests.conftest import require_real_part

pytestmark = [pytest.mark.docker, pytest.mark.llama, pytest.mark.slow]
TASK = "Python/2"  # truncate_number: the buggy solution adds 1.0 (HumanEvalPack "excess logic")


def _record():
    from sandbox.humaneval import default_data_dir

    path = default_data_dir() / "humanevalpack_python.jsonl.gz"
    require_real_part(None if path.exists() else f"HumanEvalPack data missing at {path}")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return next(r for r in map(json.loads, fh) if r["task_id"] == TASK)


def _local_model_problem() -> str | None:
    try:
        import llama_cpp  # noqa: F401

        from models import embedded

        embedded.require()
    except Exception as exc:  # noqa: BLE001
        return f"the embedded local model is not available: {exc}"
    return None


def test_buggy_humanevalpack_function_is_fixed_in_the_sandbox(tmp_path, py_sandbox):
    require_real_part(_local_model_problem())
    from models.settings import Settings
    from orchestrator.loop import Orchestrator
    from orchestrator.pipeline import Pipeline
    from orchestrator.report import JobLimits
    from orchestrator.store import RunStore, open_history
    from orchestrator.target import locate

    record = _record()
    root = tmp_path / "he"
    root.mkdir()
    (root / "pyproject.toml").write_text("")
    module = root / "task.py"
    module.write_text(record["prompt"] + record["buggy_solution"])
    test = "\n".join(ln for ln in record["test"].splitlines() if not ln.startswith("check("))  # called below
    (root / "test_task.py").write_text(f"from task import *  # noqa\n\n{test}\n\n"
                                       f"def test_benchmark():\n    check({record['entry_point']})\n")
    stage = {"model": "local", "fallbacks": [], "temperature": 0.0, "max_tokens": 300, "retries": 0}
    settings = Settings.from_dict({"fix": stage, "judge": {**stage, "max_tokens": 120}})
    history = open_history(tmp_path / "h.db")
    orch = Orchestrator(Pipeline(settings, history), py_sandbox, limits=JobLimits(max_attempts=3, judge=False))
    orch.ranking = None
    before = module.read_text()
    report = orch.fix(locate(f"{module}::{record['entry_point']}"))
    assert report.status == "accepted", report.model_dump_json(indent=1)
    assert report.correct and report.tests_passed == report.tests_total >= 1
    assert "+ 1.0" not in report.accepted_code and module.read_text() == before
    rows = RunStore(history).rows("candidates", report.run_id)
    assert rows[0]["status"] == "baseline" and rows[-1]["status"] == "accepted" and rows[-1]["model"] == "local"
