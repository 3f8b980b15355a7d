"""Run history in SQLite (via sqlite-utils): every run, every model call and every judgment.

WAL mode so that the language server and a CLI can read while a job writes, and so that a process
killed mid-write leaves a readable database. Migrations are append-only functions m001_..., m002_...
applied in order on open and recorded in `_migrations`; never edit one that has shipped, add a new one.
API keys never reach this module: callers pass prompts and responses only.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import sqlite_utils

from models.types import Judgment, Problem

log = logging.getLogger(__name__)

RUN_STATUSES = ("running", "ok", "error", "cancelled")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def m001_initial(db: sqlite_utils.Database) -> None:
    db.execute("""
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            created TEXT NOT NULL,
            finished TEXT,
            status TEXT NOT NULL DEFAULT 'running',
            problem TEXT,
            source TEXT
        )""")
    db.execute("""
        CREATE TABLE calls (
            id INTEGER PRIMARY KEY,
            run_id INTEGER REFERENCES runs(id),
            stage TEXT NOT NULL,
            model_id TEXT NOT NULL,
            prompt TEXT,
            response TEXT,
            prompt_tokens INTEGER,
            completion_tokens INTEGER,
            cost_usd REAL,
            duration_s REAL,
            attempt INTEGER NOT NULL DEFAULT 1,
            error TEXT,
            created TEXT NOT NULL
        )""")
    db.execute("""
        CREATE TABLE judgments (
            id INTEGER PRIMARY KEY,
            run_id INTEGER REFERENCES runs(id),
            call_id INTEGER REFERENCES calls(id),
            accuracy INTEGER CHECK (accuracy BETWEEN 1 AND 5),
            clarity INTEGER CHECK (clarity BETWEEN 1 AND 5),
            efficiency INTEGER CHECK (efficiency BETWEEN 1 AND 5),
            strengths TEXT,
            weaknesses TEXT,
            feedback TEXT,
            created TEXT NOT NULL
        )""")


def m002_indexes(db: sqlite_utils.Database) -> None:
    db.execute("CREATE INDEX idx_calls_run_id ON calls(run_id)")
    db.execute("CREATE INDEX idx_judgments_run_id ON judgments(run_id)")
    db.execute("CREATE INDEX idx_runs_created ON runs(created)")


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [m001_initial, m002_indexes]


def apply_migrations(db: sqlite_utils.Database, migrations: list[Callable[[sqlite_utils.Database], None]],
                     table: str = "_migrations") -> list[str]:
    """Apply the append-only `migrations` not yet recorded in `table`, each in its own write transaction;
    returns the names applied. Safe when several processes open one database at once: each migration is
    re-checked inside BEGIN IMMEDIATE (the write lock), so none runs twice. Also used by evaluation's store."""
    db.execute(f"CREATE TABLE IF NOT EXISTS {table} (name TEXT PRIMARY KEY, applied TEXT NOT NULL)")
    done = {row[0] for row in db.execute(f"SELECT name FROM {table}").fetchall()}
    applied = []
    for migration in migrations:
        if migration.__name__ in done:
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            if db.execute(f"SELECT 1 FROM {table} WHERE name = ?", [migration.__name__]).fetchone():
                db.execute("COMMIT")
                continue
            migration(db)
            db.execute(f"INSERT INTO {table} (name, applied) VALUES (?, ?)", [migration.__name__, _now()])
            db.execute("COMMIT")
            applied.append(migration.__name__)
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return applied


class History:
    """Thread-safe: one connection shared behind a lock (writes are small and rare next to model calls)."""

    def __init__(self, path: str | Path, *, migrations: list[Callable[[sqlite_utils.Database], None]] | None = None):
        """`migrations` defaults to MIGRATIONS; packages above this one (the orchestrator) pass
        MIGRATIONS + their own, append-only, so models/ never needs to import them."""
        self.migrations = list(MIGRATIONS if migrations is None else migrations)
        if self.migrations[:len(MIGRATIONS)] != MIGRATIONS:
            raise ValueError("extra history migrations must come after models.history.MIGRATIONS")
        self.path = Path(path).expanduser()
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        conn = sqlite3.connect(str(path), check_same_thread=False, timeout=10.0, isolation_level=None)
        self.db = sqlite_utils.Database(conn)
        self.db.execute("PRAGMA busy_timeout = 10000")
        if str(path) != ":memory:":
            self.db.enable_wal()
        self.db.execute("PRAGMA synchronous = NORMAL")  # safe with WAL: a crash loses at most the last commit
        self._migrate()

    def _migrate(self) -> None:
        with self._lock:
            for name in apply_migrations(self.db, self.migrations):
                log.info("history %s: applied %s", self.path, name)

    def _insert(self, table: str, row: dict) -> int:
        with self._lock:
            cursor = self.db.execute(
                f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})", list(row.values()))
            return int(cursor.lastrowid)

    def start_run(self, kind: str, problem: Problem | None) -> int:
        return self._insert("runs", {
            "kind": kind, "created": _now(), "status": "running",
            "problem": problem.model_dump_json() if problem is not None else None,
            "source": problem.source if problem is not None else None,
        })

    def finish_run(self, run_id: int, status: str) -> None:
        if status not in RUN_STATUSES:
            raise ValueError(f"unknown run status {status!r}")
        with self._lock:
            self.db.execute("UPDATE runs SET status = ?, finished = ? WHERE id = ?", [status, _now(), run_id])

    def log_call(self, run_id: int | None, stage: str, model_id: str, prompt: str | list | None,
                 response: str | None, *, prompt_tokens: int | None = None, completion_tokens: int | None = None,
                 cost_usd: float | None = None, duration_s: float | None = None, attempt: int = 1,
                 error: str | None = None) -> int:
        if prompt is not None and not isinstance(prompt, str):
            prompt = json.dumps(prompt, ensure_ascii=False)
        return self._insert("calls", {
            "run_id": run_id, "stage": stage, "model_id": model_id, "prompt": prompt, "response": response,
            "prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "cost_usd": cost_usd,
            "duration_s": duration_s, "attempt": attempt, "error": error, "created": _now(),
        })

    def record_judgment(self, run_id: int | None, judgment: Judgment, call_id: int | None) -> int:
        scores = judgment.scores
        return self._insert("judgments", {
            "run_id": run_id, "call_id": call_id,
            "accuracy": scores.accuracy if scores else None,
            "clarity": scores.clarity if scores else None,
            "efficiency": scores.efficiency if scores else None,
            "strengths": json.dumps(judgment.strengths, ensure_ascii=False),
            "weaknesses": json.dumps(judgment.weaknesses, ensure_ascii=False),
            "feedback": judgment.feedback, "created": _now(),
        })

    def _rows(self, sql: str, params: list | tuple = ()) -> list[dict]:
        with self._lock:
            cursor = self.db.execute(sql, list(params))
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    def list_runs(self, limit: int = 20) -> list[dict]:
        """Newest first, with the judgment's scores when there is one."""
        rows = self._rows(
            """SELECT runs.*, j.accuracy, j.clarity, j.efficiency FROM runs
               LEFT JOIN judgments j ON j.id = (SELECT max(id) FROM judgments WHERE run_id = runs.id)
               ORDER BY runs.id DESC LIMIT ?""", [limit])
        for row in rows:
            row["problem"] = json.loads(row["problem"]) if row["problem"] else None
        return rows

    def export(self, run_id: int | None = None) -> list[dict]:
        """Runs (all, oldest first, or just `run_id`) with their calls and judgment nested."""
        if run_id is None:
            runs = self._rows("SELECT * FROM runs ORDER BY id")
        else:
            runs = self._rows("SELECT * FROM runs WHERE id = ?", [run_id])
        for run in runs:
            run["problem"] = json.loads(run["problem"]) if run["problem"] else None
            run["calls"] = self._rows("SELECT * FROM calls WHERE run_id = ? ORDER BY id", [run["id"]])
            judgments = self._rows("SELECT * FROM judgments WHERE run_id = ? ORDER BY id", [run["id"]])
            for j in judgments:
                j["strengths"] = json.loads(j["strengths"] or "[]")
                j["weaknesses"] = json.loads(j["weaknesses"] or "[]")
            run["judgment"] = judgments[-1] if judgments else None
        return runs

    def close(self) -> None:
        with self._lock:
            try:
                self.db.conn.close()
            except sqlite3.Error:
                pass

    def __enter__(self) -> "History":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
