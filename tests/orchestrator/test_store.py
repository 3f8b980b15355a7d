"""The run store's orchestrator tables: schema, append-only order after the model layer's migrations."""

from __future__ import annotations

from models.history import MIGRATIONS, History
from orchestrator.store import ORCHESTRATOR_MIGRATIONS, RunStore, all_migrations, open_history


def _columns(history, table):
    return [row[1] for row in history.db.execute(f"PRAGMA table_info({table})").fetchall()]


def test_schema(tmp_path):
    with open_history(tmp_path / "h.db") as h:
        assert _columns(h, "candidates") == ["id", "run_id", "parent_id", "stage", "model", "attempt", "language",
                                             "code", "status", "reason", "call_id", "created"]
        assert _columns(h, "test_results") == ["id", "candidate_id", "suite", "name", "passed", "status", "detail",
                                               "duration_s", "created"]
        assert _columns(h, "profiles") == ["id", "candidate_id", "kind", "metric", "text", "data", "created"]
        assert _columns(h, "decisions") == ["id", "run_id", "baseline_id", "candidate_id", "metric", "verdict",
                                            "ratio", "ci_low", "ci_high", "p_value", "n_pairs", "comparisons",
                                            "data", "created"]
        applied = [r[0] for r in h.db.execute("SELECT name FROM _migrations ORDER BY rowid").fetchall()]
        assert applied == [m.__name__ for m in all_migrations()]
        assert applied[:3] == ["m001_initial", "m002_indexes", "m003_orchestrator_store"]
        assert all_migrations()[:len(MIGRATIONS)] == MIGRATIONS and ORCHESTRATOR_MIGRATIONS[0].__name__ == \
            "m003_orchestrator_store"


def test_upgrade_of_a_model_layer_database_and_idempotent_reopen(tmp_path):
    path = tmp_path / "h.db"
    with History(path) as h:  # the model layer alone: m001, m002
        run = h.start_run("fix", None)
        assert "candidates" not in h.db.table_names()
    with open_history(path) as h:
        store = RunStore(h)
        cid = store.candidate(run, stage="original", code="def f(): pass", language="python", status="baseline")
        store.test_result(cid, suite="user", name="test_f", passed=True, duration_s=0.1)
        store.decision(run, cid, cid, {"verdict": "no significant difference", "metric": "time", "ratio": 1.0,
                                       "ci_low": float("-inf"), "ci_high": 1.1, "p_value": 0.5, "n_pairs": 20})
        assert store.rows("candidates", run)[0]["code"] == "def f(): pass"
        assert store.rows("test_results", run)[0]["passed"] == 1
        assert store.rows("decisions", run)[0]["ci_low"] is None  # infinities are stored as NULL
    with open_history(path) as h:  # reopening applies nothing twice
        assert h.db.execute("SELECT count(*) FROM _migrations").fetchone()[0] == len(all_migrations())


def test_store_added_to_a_history_opened_without_it(tmp_path):
    with History(tmp_path / "h.db") as h:
        RunStore(h)
        assert "decisions" in h.db.table_names()


def test_extra_migrations_must_follow_the_model_layers():
    import pytest

    with pytest.raises(ValueError):
        History(":memory:", migrations=ORCHESTRATOR_MIGRATIONS)
