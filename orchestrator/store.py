"""The run store's orchestrator tables: candidates, test results, profiles and speed decisions.

The tables live in the same SQLite file as the model layer's history (runs, calls, judgments), so one
`refactorcoder history --export` shows a job's model calls next to what was run. The migrations are
append-only and come after models.history's m001/m002: open the database with :func:`open_history`
(History(path, migrations=ALL_MIGRATIONS)). Never edit a shipped migration; append a new one.

Slot order: m003_orchestrator_store (this module), then the ranking memory's m003_ranking_outcomes
(orchestrator/ranking.py; named before this list existed -- names are unique keys, the list's order
is the order applied). Further migrations go at the end of ORCHESTRATOR_MIGRATIONS.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Callable

import sqlite_utils

from models.history import MIGRATIONS, History, _now

log = logging.getLogger(__name__)


def m003_orchestrator_store(db: sqlite_utils.Database) -> None:
    db.execute("""
        CREATE TABLE candidates (
            id INTEGER PRIMARY KEY,
            run_id INTEGER REFERENCES runs(id),
            parent_id INTEGER REFERENCES candidates(id),
            stage TEXT NOT NULL,             -- original | generate | fix | refine
            model TEXT,                      -- NULL for the user's original code
            attempt INTEGER NOT NULL DEFAULT 0,
            language TEXT,
            code TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',  -- pending | passed | failed | accepted | rejected | baseline
            reason TEXT,
            call_id INTEGER REFERENCES calls(id),
            created TEXT NOT NULL
        )""")
    db.execute("""
        CREATE TABLE test_results (
            id INTEGER PRIMARY KEY,
            candidate_id INTEGER NOT NULL REFERENCES candidates(id),
            suite TEXT NOT NULL,             -- user | doctest | benchmark | designed | differential | state
            name TEXT NOT NULL,
            passed INTEGER NOT NULL CHECK (passed IN (0, 1)),
            status TEXT,
            detail TEXT,
            duration_s REAL,
            created TEXT NOT NULL
        )""")
    db.execute("""
        CREATE TABLE profiles (
            id INTEGER PRIMARY KEY,
            candidate_id INTEGER NOT NULL REFERENCES candidates(id),
            kind TEXT NOT NULL,              -- cprofile | run
            metric TEXT,
            text TEXT,
            data TEXT,                       -- JSON (profiling.Profile and friends)
            created TEXT NOT NULL
        )""")
    db.execute("""
        CREATE TABLE decisions (
            id INTEGER PRIMARY KEY,
            run_id INTEGER REFERENCES runs(id),
            baseline_id INTEGER REFERENCES candidates(id),
            candidate_id INTEGER NOT NULL REFERENCES candidates(id),
            metric TEXT NOT NULL,
            verdict TEXT NOT NULL,
            ratio REAL,
            ci_low REAL,
            ci_high REAL,
            p_value REAL,
            n_pairs INTEGER,
            comparisons INTEGER,
            data TEXT,                       -- JSON of the whole profiling.Decision
            created TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX idx_candidates_run_id ON candidates(run_id)")
    db.execute("CREATE INDEX idx_test_results_candidate ON test_results(candidate_id)")
    db.execute("CREATE INDEX idx_profiles_candidate ON profiles(candidate_id)")
    db.execute("CREATE INDEX idx_decisions_run_id ON decisions(run_id)")


# Append-only. The ranking helper's migration follows ours (see the module docstring).
ORCHESTRATOR_MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [m003_orchestrator_store]
try:
    from orchestrator.ranking import m003_ranking_outcomes

    ORCHESTRATOR_MIGRATIONS.append(m003_ranking_outcomes)
except ImportError:  # pragma: no cover - the ranking memory is optional for the store
    pass


def all_migrations() -> list[Callable[[sqlite_utils.Database], None]]:
    return [*MIGRATIONS, *ORCHESTRATOR_MIGRATIONS]


def open_history(path: str | Path) -> History:
    """The run history with the orchestrator's tables (safe on a database the model layer opened before)."""
    return History(path, migrations=all_migrations())


def has_store(history: History | None) -> bool:
    if history is None:
        return False
    return "candidates" in history.db.table_names()


class RunStore:
    """Writes one job's candidates, test results, profiles and decisions (no-ops without a history)."""

    def __init__(self, history: History | None):
        self.history = history
        if history is not None and not has_store(history):
            # A History opened with the model layer's migrations only: add ours now (append-only, idempotent).
            history.migrations = all_migrations()
            history._migrate()

    def _insert(self, table: str, row: dict) -> int | None:
        if self.history is None:
            return None
        return self.history._insert(table, row)

    def candidate(self, run_id: int | None, *, stage: str, code: str, model: str | None = None, attempt: int = 0,
                  language: str | None = None, parent_id: int | None = None, status: str = "pending",
                  call_id: int | None = None) -> int | None:
        return self._insert("candidates", {
            "run_id": run_id, "parent_id": parent_id, "stage": stage, "model": model, "attempt": attempt,
            "language": language, "code": code, "status": status, "call_id": call_id, "created": _now()})

    def set_status(self, candidate_id: int | None, status: str, reason: str | None = None) -> None:
        if self.history is None or candidate_id is None:
            return
        with self.history._lock:
            self.history.db.execute("UPDATE candidates SET status = ?, reason = ? WHERE id = ?",
                                    [status, reason, candidate_id])

    def test_result(self, candidate_id: int | None, *, suite: str, name: str, passed: bool,
                    status: str | None = None, detail: str | None = None, duration_s: float | None = None) -> None:
        if candidate_id is None:
            return
        self._insert("test_results", {
            "candidate_id": candidate_id, "suite": suite, "name": name, "passed": int(bool(passed)),
            "status": status, "detail": (detail or "")[-4000:] or None, "duration_s": duration_s,
            "created": _now()})

    def profile(self, candidate_id: int | None, *, kind: str, metric: str | None = None, text: str | None = None,
                data: Any = None) -> None:
        if candidate_id is None:
            return
        self._insert("profiles", {
            "candidate_id": candidate_id, "kind": kind, "metric": metric, "text": text,
            "data": json.dumps(data, default=str) if data is not None else None, "created": _now()})

    def decision(self, run_id: int | None, baseline_id: int | None, candidate_id: int | None, decision) -> None:
        """`decision`: a profiling.Decision (pydantic) or a dict of the same shape."""
        if candidate_id is None:
            return
        data = decision.model_dump(mode="json") if hasattr(decision, "model_dump") else dict(decision)
        self._insert("decisions", {
            "run_id": run_id, "baseline_id": baseline_id, "candidate_id": candidate_id,
            "metric": data.get("metric") or "", "verdict": data.get("verdict"), "ratio": _num(data.get("ratio")),
            "ci_low": _num(data.get("ci_low")), "ci_high": _num(data.get("ci_high")),
            "p_value": _num(data.get("p_value")), "n_pairs": data.get("n_pairs"),
            "comparisons": data.get("comparisons"), "data": json.dumps(data, default=str), "created": _now()})

    def rows(self, table: str, run_id: int) -> list[dict]:
        """A job's rows of one table (for reports and tests)."""
        if self.history is None:
            return []
        if table in ("candidates", "decisions"):
            return self.history._rows(f"SELECT * FROM {table} WHERE run_id = ? ORDER BY id", [run_id])
        return self.history._rows(
            f"SELECT t.* FROM {table} t JOIN candidates c ON c.id = t.candidate_id WHERE c.run_id = ? ORDER BY t.id",
            [run_id])


def _num(value) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if f == f and f not in (float("inf"), float("-inf")) else None
