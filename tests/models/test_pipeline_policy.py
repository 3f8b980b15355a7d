"""Retries, backoff, fallbacks, timeouts, missing keys, cancel: Pipeline over scripted fake models."""

from __future__ import annotations

import threading

import pytest

from models.errors import Cancelled, ModelError, ModelTimeout, RetryableModelError
from models.history import History
from orchestrator.pipeline import Pipeline
from models.registry import ModelRegistry
from models.settings import Settings
from models.types import Problem

from .conftest import FakeModel

PROBLEM = Problem(title="Reverse a string", description="Write reverse(s).", language="python")
GOOD_JUDGE = "Strengths:\n- short\nWeaknesses:\n- none\nFeedback: fine\nScores: Accuracy = 4, Clarity = 5, Efficiency = 3"


def make(settings: dict, models: dict[str, FakeModel], tmp_path=None, notify=None):
    registry = ModelRegistry()
    for alias, model in models.items():
        registry.register(alias, model)
    history = History(tmp_path / "h.db") if tmp_path is not None else None
    pipeline = Pipeline(Settings.from_dict(settings), history, registry=registry, notify=notify)
    sleeps: list[float] = []

    def record_sleep(seconds, cancel):
        sleeps.append(seconds)
        if cancel is not None and cancel.is_set():
            raise Cancelled("cancelled while waiting to retry")

    pipeline.runner.sleep = record_sleep
    return pipeline, history, sleeps


def stage(model, fallbacks=(), **kw):
    return {"model": model, "fallbacks": list(fallbacks), **kw}


def test_retry_with_exponential_backoff_then_success(tmp_path):
    flaky = FakeModel("flaky", [RetryableModelError("503"), RetryableModelError("503"), "step one then two"])
    p, h, sleeps = make({"guide": stage("flaky", retries=3, backoff_s=0.5)}, {"flaky": flaky}, tmp_path)
    result = p.guide(PROBLEM)
    assert result.text == "step one then two" and result.model_id == "flaky"
    assert result.attempts == 3 and not result.fell_back
    assert sleeps == [0.5, 1.0]
    [run] = h.export()
    assert run["kind"] == "guide" and run["status"] == "ok"
    assert [c["attempt"] for c in run["calls"]] == [1, 2, 3]
    assert [bool(c["error"]) for c in run["calls"]] == [True, True, False]


def test_fallback_after_retries_exhausted(tmp_path):
    broken = FakeModel("broken", [RuntimeError("HTTP 500")])
    backup = FakeModel("backup", ["def reverse(s): return s[::-1]"])
    p, h, sleeps = make({"solve": stage("broken", ["backup"], retries=2, backoff_s=1)},
                        {"broken": broken, "backup": backup}, tmp_path)
    result = p.solve(PROBLEM, "guidance")
    assert result.model_id == "backup" and result.fell_back and result.attempts == 4
    assert len(broken.calls) == 3 and sleeps == [1, 2]
    assert any("fallback backup" in n for n in result.notes)
    calls = h.export()[0]["calls"]
    assert [c["model_id"] for c in calls] == ["broken"] * 3 + ["backup"]


def test_non_retryable_error_skips_to_fallback():
    denied = FakeModel("denied", [ModelError("401 bad key")])
    backup = FakeModel("backup", ["ok"])
    p, _, sleeps = make({"guide": stage("denied", ["backup"], retries=5)}, {"denied": denied, "backup": backup})
    assert p.guide(PROBLEM).model_id == "backup"
    assert len(denied.calls) == 1 and sleeps == []


def test_timeout_is_enforced_between_tokens_and_retried(tmp_path):
    slow = FakeModel("slow", [("hang", 5.0)])
    backup = FakeModel("backup", ["quick"])
    p, h, _ = make({"guide": stage("slow", ["backup"], timeout_s=0.2, retries=1, backoff_s=0)},
                   {"slow": slow, "backup": backup}, tmp_path)
    result = p.guide(PROBLEM)
    assert result.model_id == "backup" and len(slow.calls) == 2
    errors = [c["error"] for c in h.export()[0]["calls"] if c["error"]]
    assert len(errors) == 2 and all("ModelTimeout" in e for e in errors)


def test_every_model_failing_raises_model_error(tmp_path):
    a = FakeModel("a", [RuntimeError("down")])
    b = FakeModel("b", [ModelTimeout("slow")])
    p, h, _ = make({"judge": stage("a", ["b"], retries=0)}, {"a": a, "b": b}, tmp_path)
    with pytest.raises(ModelError, match="every model failed"):
        p.run(PROBLEM, ("judge",), solution="x = 1")
    [run] = h.export()
    assert run["status"] == "error" and len(run["calls"]) == 2 and run["judgment"] is None


def test_unknown_model_id_falls_back():
    backup = FakeModel("backup", ["ok"])
    p, _, _ = make({"guide": stage("nonsense-without-provider", ["backup"])}, {"backup": backup})
    assert p.guide(PROBLEM).model_id == "backup"


def test_no_key_goes_straight_to_local_and_notifies_once(tmp_path, no_cloud_keys, monkeypatch):
    local = FakeModel("local", ["local answer", "```python\ndef f():\n    return 1\n```", GOOD_JUDGE])
    messages = []
    settings = {"guide": stage("local"), "solve": stage("openai/gpt-4o-mini", ["anthropic/claude-3-5-haiku-latest"]),
                "judge": stage("openai/gpt-4o-mini", retries=3)}
    p, h, sleeps = make(settings, {"local": local}, tmp_path, notify=messages.append)
    report = p.run(PROBLEM)
    p.run(PROBLEM)
    p.solve(PROBLEM, None)
    assert messages == ["no API key for openai: solve and judge run on the local model"]
    assert report.solution.model_id == "local" and report.judgment.raw.model_id == "local"
    assert any("no API key for openai" in n for n in report.solution.notes)
    assert sleeps == []  # no time wasted retrying a model that cannot be called
    models_called = {c["model_id"] for r in h.export() for c in r["calls"]}
    assert models_called == {"local"}


def test_key_in_key_file_counts_and_is_never_stored(tmp_path, no_cloud_keys):
    key_file = tmp_path / "keys.env"
    key_file.write_text("# my keys\nexport OPENAI_API_KEY='sk-test-secret-123'\n")
    messages = []
    cloud = FakeModel("openai/gpt-4o-mini", ["cloud answer"], provider="openai")
    settings = Settings.from_dict({"solve": stage("openai/gpt-4o-mini"), "key_file": str(key_file)})
    registry = ModelRegistry(key_file=str(key_file))
    history = History(tmp_path / "h.db")
    p = Pipeline(settings, history, registry=registry, notify=messages.append)
    model = registry.get("openai/gpt-4o-mini")
    assert model.keyed() and messages == []
    registry.register("openai/gpt-4o-mini", cloud)
    assert p.solve(PROBLEM, None).text == "cloud answer"
    assert messages == []
    assert "sk-test-secret" not in settings.model_dump_json()
    assert b"sk-test-secret" not in (tmp_path / "h.db").read_bytes()


def test_explicit_api_base_counts_as_keyed(no_cloud_keys):
    registry = ModelRegistry()
    assert registry.get("openai/smol", api_base="http://127.0.0.1:9/v1").keyed()
    assert not registry.get("openai/smol").keyed()
    assert registry.get("ollama/llama3").keyed()  # local provider: no key needed


def test_cancel_during_stream_raises_cancelled_and_marks_run(tmp_path):
    cancel = threading.Event()
    chatty = FakeModel("chatty", [" ".join(["word"] * 200)], token_delay=0.001)
    seen = []

    def on_text(piece):
        seen.append(piece)
        if len(seen) == 10:
            cancel.set()

    p, h, _ = make({"guide": stage("chatty")}, {"chatty": chatty}, tmp_path)
    with pytest.raises(Cancelled):
        p.run(PROBLEM, cancel=cancel, on_text=on_text)
    assert len(seen) == 10  # stopped at the next token
    [run] = h.export()
    assert run["status"] == "cancelled" and run["calls"][0]["error"] == "cancelled"


def test_cancel_between_stages(tmp_path):
    cancel = threading.Event()
    local = FakeModel("m", ["guidance text", "```python\nx=1\n```", GOOD_JUDGE])
    stages_seen = []

    def on_stage(s):
        stages_seen.append(s)
        if s == "solve":
            cancel.set()

    p, h, _ = make({k: stage("m") for k in ("guide", "solve", "judge")}, {"m": local}, tmp_path)
    with pytest.raises(Cancelled):
        p.run(PROBLEM, cancel=cancel, on_stage=on_stage)
    assert stages_seen == ["guide", "solve"] and len(local.calls) == 1


def test_cancel_during_backoff():
    cancel = threading.Event()
    flaky = FakeModel("flaky", [RetryableModelError("503")])
    p, _, _ = make({"guide": stage("flaky", retries=3, backoff_s=10)}, {"flaky": flaky})
    from models.stage_runner import interruptible_sleep

    p.runner.sleep = interruptible_sleep
    threading.Timer(0.2, cancel.set).start()
    with pytest.raises(Cancelled):
        p.guide(PROBLEM, cancel=cancel)
    assert len(flaky.calls) == 1


def test_run_links_everything_and_fills_report(tmp_path):
    m = FakeModel("m", ["1. read 2. reverse", "Here:\n```python\ndef reverse(s):\n    return s[::-1]\n```", GOOD_JUDGE])
    p, h, _ = make({k: stage("m") for k in ("guide", "solve", "judge")}, {"m": m}, tmp_path)
    stages, texts = [], []
    report = p.run(PROBLEM, on_stage=stages.append, on_text=texts.append)
    assert stages == ["guide", "solve", "judge"]
    assert report.solution_code == "def reverse(s):\n    return s[::-1]\n"
    assert report.judgment.scores.model_dump() == {"accuracy": 4, "clarity": 5, "efficiency": 3}
    assert report.judgment.strengths == ["short"] and report.judgment.feedback == "fine"
    # the solver saw the guidance; the judge saw guidance and solution
    assert "1. read 2. reverse" in m.calls[1][-1]["content"]
    assert "return s[::-1]" in m.calls[2][-1]["content"] and "1. read 2. reverse" in m.calls[2][-1]["content"]
    [run] = h.export()
    assert run["id"] == report.run_id and run["status"] == "ok" and run["kind"] == "guide+solve+judge"
    assert [c["stage"] for c in run["calls"]] == ["guide", "solve", "judge"]
    assert run["judgment"]["call_id"] == run["calls"][2]["id"] and run["judgment"]["efficiency"] == 3
    assert "".join(texts).startswith("1. read")


def test_judge_reasks_once_then_reports_no_score(tmp_path):
    m = FakeModel("m", ["It is good.", "Still good, really."])
    p, h, _ = make({"judge": stage("m")}, {"m": m}, tmp_path)
    report = p.run(PROBLEM, ("judge",), solution="```python\nx = 1\n```")
    assert report.judgment.scores is None and len(m.calls) == 2
    assert "Scores: Accuracy = N" in m.calls[1][-1]["content"]  # the stricter reminder
    assert m.calls[1][-1]["content"].startswith(m.calls[0][-1]["content"])  # same request + reminder
    assert all(msg["role"] != "assistant" for msg in m.calls[1])
    assert report.solution_code == "x = 1\n" and report.guidance is None
    assert report.judgment.raw.attempts == 2
    [run] = h.export()
    assert run["judgment"]["accuracy"] is None and len(run["calls"]) == 2
    assert run["judgment"]["call_id"] == run["calls"][1]["id"]


def test_judge_reask_recovers_scores():
    m = FakeModel("m", ["Nice.", "Scores: Accuracy = 2, Clarity = 3, Efficiency = 2"])
    p, _, _ = make({"judge": stage("m")}, {"m": m})
    judgment = p.judge(PROBLEM, None, "x = 1")
    assert judgment.scores.accuracy == 2 and judgment.feedback == "Nice."
    # usage covers both calls, like the duration: 10 + 10 prompt tokens, 1 + 10 completion words
    assert judgment.raw.usage.prompt_tokens == 20 and judgment.raw.usage.completion_tokens == 11
    assert judgment.raw.usage.cost_usd == pytest.approx(0.002)


def test_judge_only_requires_solution():
    p, _, _ = make({}, {})
    with pytest.raises(ValueError):
        p.run(PROBLEM, ("judge",))
    with pytest.raises(ValueError):
        p.run(PROBLEM, ("fix",))


def test_concurrent_runs_on_one_pipeline(tmp_path):
    m = FakeModel("m", ["text", "```python\nx=1\n```", GOOD_JUDGE])
    m.script = ["```python\nx = 1\n```"]  # every answer is code; the judge will re-ask and report no score
    p, h, _ = make({k: stage("m") for k in ("guide", "solve", "judge")}, {"m": m}, tmp_path)
    errors = []

    def job():
        try:
            p.run(PROBLEM)
        except Exception as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=job) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    runs = h.export()
    assert len(runs) == 4 and all(r["status"] == "ok" and len(r["calls"]) == 4 for r in runs)


def test_an_answer_without_code_is_not_judged(tmp_path):
    """A score for an answer with no code would be made up: the run says why there is none."""
    local = FakeModel("local", ["plan", "I would use a dictionary here.", GOOD_JUDGE])
    p, _, _ = make({"guide": stage("local"), "solve": stage("local"), "judge": stage("local")}, {"local": local},
                   tmp_path)
    report = p.run(PROBLEM)
    assert report.judgment is None and report.notes == ["not judged: the solver's answer has no code"]
    assert len(local.calls) == 2 and not report.verified  # guide and solve only; nothing ran the answer
