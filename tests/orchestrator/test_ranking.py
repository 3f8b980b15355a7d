"""The ranking memory: schema in the history database, reordering after outcomes, exploration of new
models, back-off from (language, category) to language to all languages, refine's improvement."""

from __future__ import annotations

import random
from collections import Counter

import pytest
import sqlite_utils

from orchestrator.ranking import RankingMemory


@pytest.fixture
def memory():
    return RankingMemory(sqlite_utils.Database(memory=True))


def record_many(memory, n, stage, language, category, model, success, **kw):
    for _ in range(n):
        memory.record(stage, language, category, model, success=success, **kw)


def test_schema_in_the_history_database(tmp_path):
    from orchestrator.store import open_history

    with open_history(tmp_path / "history.db") as history:
        applied = {r[0] for r in history.db.execute("SELECT name FROM _migrations").fetchall()}
        assert "m003_ranking_outcomes" in applied
        memory = RankingMemory(history)
        assert memory._lock is history._lock
        cols = {c.name: c.type for c in history.db["ranking_stats"].columns}
        assert cols == {"stage": "TEXT", "language": "TEXT", "category": "TEXT", "metric": "TEXT", "model": "TEXT",
                        "attempts": "INTEGER", "successes": "INTEGER", "improvement_sum": "REAL", "updated": "TEXT"}
        assert history.db["ranking_stats"].pks == ["stage", "language", "category", "metric", "model"]
        assert {c.name for c in history.db["ranking_outcomes"].columns} >= {
            "stage", "language", "category", "metric", "model", "success", "improvement", "source", "created"}
        memory.record("fix", "python", "Math", "m", success=True)
        memory.record("fix", "python", "Math", "m", success=False)
        import sqlite3

        with pytest.raises(sqlite3.IntegrityError):  # the CHECK keeps the stages honest
            history.db.execute("INSERT INTO ranking_outcomes (stage, language, model, success, created) "
                               "VALUES ('judge', 'python', 'm', 1, 'now')")
    with open_history(tmp_path / "history.db") as again:  # persisted, and migrating twice is a no-op
        rows = RankingMemory(again).table()
        assert [(r["stage"], r["attempts"], r["successes"], r["rate"]) for r in rows] == [("fix", 2, 1, 50.0)]


def test_a_plain_database_gets_the_tables(tmp_path):
    db = sqlite_utils.Database(tmp_path / "plain.db")
    RankingMemory(db).record("generate", "go", None, "m", success=True)
    assert RankingMemory(sqlite_utils.Database(tmp_path / "plain.db")).table()[0]["category"] == ""


def test_outcomes_reorder_the_pool(memory):
    pool = ["a", "b", "c"]
    assert memory.order("generate", "python", "Math", pool, explore=False) == pool  # no evidence: the user's order
    record_many(memory, 6, "generate", "python", "Math", "a", False)
    record_many(memory, 6, "generate", "python", "Math", "c", True)
    assert memory.order("generate", "python", "Math", pool, explore=False) == ["c", "b", "a"]
    rng = random.Random(1)
    firsts = Counter(memory.order("generate", "python", "Math", pool, rng=rng)[0] for _ in range(500))
    assert firsts["c"] > 350 and firsts["a"] < 25
    # Stages are separate memories: fix has seen nothing.
    assert memory.order("fix", "python", "Math", pool, explore=False) == pool
    assert memory.order("solve", "python", "Math", pool, explore=False)[0] == "c"  # solve is generate
    assert memory.order("generate", "python", "Math", ["a", "a", "b"], explore=False) == ["b", "a"]


def test_exploration_gives_a_new_model_a_chance(memory):
    """Online bandit: a and b have history; c joins the pool later with none. Thompson sampling tries
    c on little evidence, and the truly best model ends up first most of the time."""
    rng = random.Random(7)
    truth = {"a": 0.3, "b": 0.6, "c": 0.85}
    record_many(memory, 10, "fix", "python", "String", "a", True)
    record_many(memory, 10, "fix", "python", "String", "a", False)
    record_many(memory, 12, "fix", "python", "String", "b", True)
    record_many(memory, 8, "fix", "python", "String", "b", False)
    tried = Counter()
    for _ in range(300):
        model = memory.order("fix", "python", "String", ["a", "b", "c"], rng=rng)[0]
        tried[model] += 1
        memory.record("fix", "python", "String", model, success=rng.random() < truth[model])
    assert tried["c"] >= 150, tried  # the newcomer was explored and then preferred
    assert memory.order("fix", "python", "String", ["a", "b", "c"], explore=False)[0] == "c"


def test_one_failure_does_not_starve_a_model(memory):
    memory.record("fix", "python", "String", "new", success=False)
    record_many(memory, 6, "fix", "python", "String", "old", True)
    record_many(memory, 4, "fix", "python", "String", "old", False)
    rng = random.Random(0)
    firsts = Counter(memory.order("fix", "python", "String", ["old", "new"], rng=rng)[0] for _ in range(2000))
    assert 0.03 < firsts["new"] / 2000 < 0.2, firsts  # about 6%: still tried, rightly not often


def test_back_off_from_category_to_language_to_global(memory):
    pool = ["a", "b"]
    # Java only: python has no evidence at all, so python follows the global figures.
    record_many(memory, 8, "generate", "java", "Math", "b", True)
    record_many(memory, 8, "generate", "java", "Math", "a", False)
    assert memory.order("generate", "python", "String", pool, explore=False) == ["b", "a"]
    # Python evidence (another category) outweighs the global figures for python.
    record_many(memory, 10, "generate", "python", "Sorting", "a", True)
    record_many(memory, 10, "generate", "python", "Sorting", "b", False)
    assert memory.order("generate", "python", "String", pool, explore=False) == ["a", "b"]
    assert memory.order("generate", "python", None, pool, explore=False) == ["a", "b"]
    assert memory.order("generate", "java", "String", pool, explore=False) == ["b", "a"]
    # Enough evidence in the cell itself speaks for itself.
    record_many(memory, 12, "generate", "python", "String", "b", True)
    record_many(memory, 12, "generate", "python", "String", "a", False)
    assert memory.order("generate", "python", "String", pool, explore=False) == ["b", "a"]
    assert memory.order("generate", "python", "Sorting", pool, explore=False) == ["a", "b"]
    a, b = memory.scores("generate", "python", "Sorting", pool)
    assert (a.cell.attempts, a.language.attempts, a.overall.attempts) == (10, 22, 30)


def test_refine_ranks_by_acceptance_and_improvement(memory):
    pool = ["small-gains", "big-gains"]
    for gain in (4.0, 6.0, 5.0):
        memory.record("refine", "python", "Array", "small-gains", success=True, metric="time", improvement=gain)
    for gain in (40.0, 30.0, 50.0):
        memory.record("refine", "python", "Array", "big-gains", success=True, metric="time", improvement=gain)
    assert memory.order("refine", "python", "Array", pool, metric="time", explore=False) == ["big-gains", "small-gains"]
    # Metrics are separate: peak memory has no evidence.
    assert memory.order("refine", "python", "Array", pool, metric="peak_memory", explore=False) == pool
    record_many(memory, 30, "refine", "python", "Array", "big-gains", False, metric="time")  # rarely accepted
    assert memory.order("refine", "python", "Array", pool, metric="time", explore=False) == ["small-gains", "big-gains"]
    rows = {r["model"]: r for r in memory.table(stage="refine")}
    assert rows["big-gains"]["median_improvement"] == 40.0 and rows["big-gains"]["attempts"] == 33
    assert rows["small-gains"]["improvement_sum"] == 15.0 and rows["small-gains"]["rate"] == 100.0


def test_accepts_a_category_object_and_records_the_source(memory):
    from orchestrator.categories import Category

    memory.record("fix", "rust", Category("Greedy", 0.5, "keywords"), "m", success=True, source="profile")
    row = memory.outcomes()[0]
    assert (row["category"], row["source"], row["metric"]) == ("Greedy", "profile", "")
    with pytest.raises(ValueError, match="unknown stage"):
        memory.record("judge", "rust", None, "m", success=True)
