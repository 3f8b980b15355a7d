"""History: exact schema, migrations, export, concurrency and crash safety."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from models.history import MIGRATIONS, History
from models.types import JudgeScores, Judgment, Problem, StageResult

ROOT = Path(__file__).resolve().parents[2]

EXPECTED_SCHEMA = {
    "_migrations": [("name", "TEXT", 0, 1), ("applied", "TEXT", 1, 0)],
    "runs": [("id", "INTEGER", 0, 1), ("kind", "TEXT", 1, 0), ("created", "TEXT", 1, 0), ("finished", "TEXT", 0, 0),
             ("status", "TEXT", 1, 0), ("problem", "TEXT", 0, 0), ("source", "TEXT", 0, 0)],
    "calls": [("id", "INTEGER", 0, 1), ("run_id", "INTEGER", 0, 0), ("stage", "TEXT", 1, 0),
              ("model_id", "TEXT", 1, 0), ("prompt", "TEXT", 0, 0), ("response", "TEXT", 0, 0),
              ("prompt_tokens", "INTEGER", 0, 0), ("completion_tokens", "INTEGER", 0, 0), ("cost_usd", "REAL", 0, 0),
              ("duration_s", "REAL", 0, 0), ("attempt", "INTEGER", 1, 0), ("error", "TEXT", 0, 0),
              ("created", "TEXT", 1, 0)],
    "judgments": [("id", "INTEGER", 0, 1), ("run_id", "INTEGER", 0, 0), ("call_id", "INTEGER", 0, 0),
                  ("accuracy", "INTEGER", 0, 0), ("clarity", "INTEGER", 0, 0), ("efficiency", "INTEGER", 0, 0),
                  ("strengths", "TEXT", 0, 0), ("weaknesses", "TEXT", 0, 0), ("feedback", "TEXT", 0, 0),
                  ("created", "TEXT", 1, 0)],
}
EXPECTED_INDEXES = {"idx_calls_run_id", "idx_judgments_run_id", "idx_runs_created"}


def _judgment(scores=(4, 3, 5)) -> Judgment:
    return Judgment(scores=JudgeScores(accuracy=scores[0], clarity=scores[1], efficiency=scores[2]) if scores else None,
                    strengths=["fast"], weaknesses=["terse"], feedback="ok",
                    raw=StageResult(stage="judge", model_id="m", text="t"))


def test_exact_schema(tmp_path):
    h = History(tmp_path / "h.db")
    conn = sqlite3.connect(tmp_path / "h.db")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == set(EXPECTED_SCHEMA)
    for table, columns in EXPECTED_SCHEMA.items():
        info = [(r[1], r[2], r[3], r[5]) for r in conn.execute(f"PRAGMA table_info({table})")]
        assert info == columns, table
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index' AND sql IS NOT NULL")}
    assert indexes == EXPECTED_INDEXES
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    h.close()


def test_migrations_recorded_once(tmp_path):
    History(tmp_path / "h.db").close()
    History(tmp_path / "h.db").close()
    conn = sqlite3.connect(tmp_path / "h.db")
    names = [r[0] for r in conn.execute("SELECT name FROM _migrations ORDER BY name")]
    assert names == [m.__name__ for m in MIGRATIONS] == ["m001_initial", "m002_indexes"]


def test_scores_out_of_range_are_refused_by_the_database(tmp_path):
    h = History(tmp_path / "h.db")
    run = h.start_run("judge", None)
    with pytest.raises(sqlite3.IntegrityError):
        h.db.execute("INSERT INTO judgments (run_id, accuracy, created) VALUES (?, 9, 'x')", [run])


def test_run_roundtrip_and_export(tmp_path):
    h = History(tmp_path / "h.db")
    problem = Problem(title="t", description="d", language="python", source="a.py::f")
    run = h.start_run("guide+solve+judge", problem)
    c1 = h.log_call(run, "guide", "local", [{"role": "user", "content": "hi"}], None, attempt=1, error="boom")
    c2 = h.log_call(run, "guide", "local", "hi", "answer", prompt_tokens=3, completion_tokens=5, cost_usd=None,
                    duration_s=0.5, attempt=2)
    h.record_judgment(run, _judgment(), c2)
    h.finish_run(run, "ok")
    other = h.start_run("judge", problem)
    h.record_judgment(other, _judgment(None), None)

    [exported] = h.export(run)
    assert exported["status"] == "ok" and exported["finished"] and exported["source"] == "a.py::f"
    assert exported["problem"]["title"] == "t"
    assert [c["id"] for c in exported["calls"]] == [c1, c2]
    assert exported["calls"][0]["error"] == "boom" and exported["calls"][1]["response"] == "answer"
    assert exported["judgment"]["accuracy"] == 4 and exported["judgment"]["strengths"] == ["fast"]
    assert len(h.export()) == 2
    runs = h.list_runs(limit=1)
    assert [r["id"] for r in runs] == [other] and runs[0]["accuracy"] is None and runs[0]["status"] == "running"
    with pytest.raises(ValueError):
        h.finish_run(run, "weird")


def test_thread_safe_writes(tmp_path):
    h = History(tmp_path / "h.db")
    errors = []

    def worker(n):
        try:
            for i in range(30):
                run = h.start_run("solve", Problem(title=f"{n}-{i}"))
                h.log_call(run, "solve", "local", "p", "r", attempt=1)
                h.finish_run(run, "ok")
                h.list_runs(5)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(h.export()) == 180
    assert all(len(r["calls"]) == 1 for r in h.export())


def test_two_processes_share_the_file(tmp_path):
    db = tmp_path / "h.db"
    h = History(db)
    h.start_run("guide", None)
    code = f"from models.history import History; h = History({str(db)!r}); h.start_run('judge', None); print(len(h.list_runs()))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "2", out.stderr
    assert len(h.list_runs()) == 2


def test_sigkill_mid_writes_leaves_a_readable_database(tmp_path):
    db = tmp_path / "h.db"
    writer = textwrap.dedent(f"""
        import sys
        from models.history import History
        from models.types import Problem
        h = History({str(db)!r})
        print("ready", flush=True)
        i = 0
        while True:
            run = h.start_run("solve", Problem(title="p" * 200))
            for a in range(5):
                h.log_call(run, "solve", "local", "prompt " * 100, "response " * 200, attempt=a + 1)
            h.finish_run(run, "ok")
            i += 1
    """)
    proc = subprocess.Popen([sys.executable, "-c", writer], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(1.5)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    h = History(db)  # migrations re-run on open: nothing to do, no error
    runs = h.export()
    assert len(runs) > 5
    # every run that says it finished has all five of its calls: writes are atomic per row
    assert all(len(r["calls"]) == 5 for r in runs if r["status"] == "ok")
    h.start_run("after-crash", None)  # still writable
    h.close()
