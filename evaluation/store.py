"""Evaluation runs in SQLite (sqlite-utils), in their own database (default $REFACTORCODER_HOME/eval.db) so
that evaluation never competes with the product's history for schema or locks.

* ``eval_runs``: one row per run (name unique, suite, options as JSON, status);
* ``eval_items``: one row per finished item of a run (unique per run and key): prompt, answer, test
  result, profile, metrics and per-stage latency as JSON. A row is written only when the item is
  finished, in one statement, so a run killed mid-item leaves no half row and resuming redoes exactly the
  items without a row. Items that failed for an infrastructure reason (``status = 'error'``) are retried
  on resume and their row replaced.

WAL mode: a report can read while a run writes. Migrations are append-only functions applied in order and
recorded in ``_eval_migrations``; never edit one that has shipped, add a new one.
"""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import sqlite_utils

from models.history import apply_migrations


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def default_db_path() -> Path:
    home = Path(os.environ.get("REFACTORCODER_HOME", Path.home() / ".local/share/refactorcoder"))
    return home / "eval.db"


def m001_initial(db: sqlite_utils.Database) -> None:
    db.execute("""
        CREATE TABLE eval_runs (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            suite TEXT NOT NULL,
            options TEXT NOT NULL,
            created TEXT NOT NULL,
            finished TEXT,
            status TEXT NOT NULL DEFAULT 'running',
            machine TEXT
        )""")
    db.execute("""
        CREATE TABLE eval_items (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES eval_runs(id),
            key TEXT NOT NULL,
            item_id TEXT NOT NULL,
            model TEXT,
            variant TEXT,
            grp TEXT,
            status TEXT NOT NULL,
            prompt TEXT,
            answer TEXT,
            expected TEXT,
            test_result TEXT,
            profile TEXT,
            metrics TEXT,
            latency TEXT,
            error TEXT,
            worker TEXT,
            started TEXT,
            finished TEXT NOT NULL,
            UNIQUE (run_id, key)
        )""")
    db.execute("CREATE INDEX idx_eval_items_run ON eval_items(run_id)")


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [m001_initial]
JSON_COLUMNS = ("test_result", "profile", "metrics", "latency")


class EvalStore:
    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False)
        self.db = sqlite_utils.Database(self.conn)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA busy_timeout=30000")
        self._migrate()

    def _migrate(self) -> None:
        apply_migrations(self.db, MIGRATIONS, table="_eval_migrations")

    # ---- runs ---------------------------------------------------------------------------------------
    def find_run(self, name_or_id: str | int) -> dict | None:
        text = str(name_or_id)
        rows = list(self.db.query("SELECT * FROM eval_runs WHERE name = ? OR (? GLOB '[0-9]*' AND id = ?)",
                                  [text, text, text]))
        if not rows:
            return None
        row = rows[0]
        row["options"] = json.loads(row["options"])
        row["machine"] = json.loads(row["machine"]) if row["machine"] else None
        return row

    def create_run(self, name: str, suite: str, options: dict, machine: dict | None = None) -> int:
        with self.conn:
            return self.db["eval_runs"].insert({
                "name": name, "suite": suite, "options": json.dumps(options, sort_keys=True), "created": now(),
                "status": "running", "machine": json.dumps(machine) if machine else None}).last_pk

    def set_status(self, run_id: int, status: str) -> None:
        with self.conn:
            self.db["eval_runs"].update(run_id, {"status": status, "finished": now() if status != "running" else None})

    def list_runs(self) -> list[dict]:
        return list(self.db.query(
            "SELECT r.id, r.name, r.suite, r.status, r.created, count(i.id) AS items FROM eval_runs r "
            "LEFT JOIN eval_items i ON i.run_id = r.id GROUP BY r.id ORDER BY r.id DESC"))

    # ---- items --------------------------------------------------------------------------------------
    def finished_keys(self, run_id: int) -> set[str]:
        return {row[0] for row in self.db.execute(
            "SELECT key FROM eval_items WHERE run_id = ? AND status != 'error'", [run_id]).fetchall()}

    def record(self, run_id: int, result: dict) -> None:
        row = {k: result.get(k) for k in ("key", "item_id", "model", "variant", "grp", "status", "prompt", "answer",
                                          "expected", "error", "worker", "started")}
        for column in JSON_COLUMNS:
            value = result.get(column)
            row[column] = None if value is None else json.dumps(value, default=str)
        row.update(run_id=run_id, finished=now())
        with self.conn:  # replaces only an 'error' row: finished keys are never dispatched again
            self.db.execute(
                f"INSERT OR REPLACE INTO eval_items ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                list(row.values()))

    def items(self, run_id: int) -> list[dict]:
        rows = list(self.db.query("SELECT * FROM eval_items WHERE run_id = ? ORDER BY id", [run_id]))
        for row in rows:
            for column in JSON_COLUMNS:
                row[column] = json.loads(row[column]) if row[column] else None
        return rows

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "EvalStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
