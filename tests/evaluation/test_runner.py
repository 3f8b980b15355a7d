"""The harness's mechanics with a plug-in suite (tests/evaluation/fake_suite.py): resuming, never redoing a
finished item (also after a SIGKILL mid-run), errors retried, the process pool and a local Ray cluster."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from evaluation.runner import run_suite
from evaluation.store import EvalStore
from tests.conftest import require_module

PROJECT = Path(__file__).resolve().parents[2]
PLUGIN = "tests.evaluation.fake_suite"


@pytest.fixture
def plugin_env(monkeypatch, tmp_path):
    import evaluation.suite as suite_module

    monkeypatch.setenv("REFACTORCODER_EVAL_PLUGINS", PLUGIN)
    monkeypatch.setenv("FAKE_SLEEP_LOG", str(tmp_path / "executed.log"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(PROJECT), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setattr(suite_module, "_PLUGINS_LOADED", False)
    return tmp_path


def executed(tmp_path) -> Counter:
    log = tmp_path / "executed.log"
    return Counter(line.split()[0] for line in log.read_text().splitlines()) if log.exists() else Counter()


def test_serial_run_then_resume_does_nothing_twice(plugin_env):
    with EvalStore(plugin_env / "e.db") as store:
        run_id = run_suite("fake-sleep", {"limit": 4}, store, run_name="r", progress=False)
        assert len(store.items(run_id)) == 4 and store.find_run("r")["status"] == "finished"
        run_suite("fake-sleep", {"limit": 6}, store, run_name="r", progress=False)  # extends the same run
        assert len(store.items(run_id)) == 6
    assert set(executed(plugin_env).values()) == {1}  # every item ran exactly once


def test_error_items_are_retried_on_resume(plugin_env, monkeypatch):
    monkeypatch.setenv("FAKE_FAIL_ITEM", "2")
    with EvalStore(plugin_env / "e.db") as store:
        run_id = run_suite("fake-sleep", {"limit": 4}, store, run_name="r", progress=False)
        statuses = {r["key"]: r["status"] for r in store.items(run_id)}
        assert statuses["item-2"] == "error" and store.find_run("r")["status"] == "finished with errors"
        assert "infrastructure went away" in next(r["error"] for r in store.items(run_id) if r["key"] == "item-2")
        monkeypatch.delenv("FAKE_FAIL_ITEM")
        run_suite("fake-sleep", {}, store, run_name="r", progress=False)
        assert {r["status"] for r in store.items(run_id)} == {"ok"}
    counts = executed(plugin_env)
    assert counts["item-2"] == 2 and counts["item-0"] == 1


def test_resume_after_kill_mid_run(plugin_env):
    db = plugin_env / "e.db"
    env = {**os.environ, "FAKE_SLEEP_S": "0.4"}
    cmd = [sys.executable, "-m", "server", "eval", "fake-sleep", "--limit", "12", "--run-name", "killed",
           "--db", str(db), "--quiet"]
    proc = subprocess.Popen(cmd, cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    recorded = 0
    while time.monotonic() < deadline and recorded < 3:
        time.sleep(0.2)
        if db.exists():
            try:
                with sqlite3.connect(db) as conn:
                    recorded = conn.execute("SELECT count(*) FROM eval_items").fetchone()[0]
            except sqlite3.OperationalError:  # tables not created yet
                pass
    assert recorded >= 3, proc.stderr.read().decode() if proc.poll() is not None else "no items recorded in 60 s"
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    with EvalStore(db) as store:
        before = {r["key"]: r["finished"] for r in store.items(store.find_run("killed")["id"])}
        assert 3 <= len(before) < 12 and store.find_run("killed")["status"] == "running"
    first_run = executed(plugin_env)
    done = subprocess.run(cmd, cwd=PROJECT, env={**env, "FAKE_SLEEP_S": "0.01"}, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    with EvalStore(db) as store:
        after = {r["key"]: r["finished"] for r in store.items(store.find_run("killed")["id"])}
        assert len(after) == 12 and store.find_run("killed")["status"] == "finished"
    assert all(after[k] == v for k, v in before.items())  # finished rows untouched
    second_run = executed(plugin_env) - first_run
    assert not set(second_run) & set(before)  # no finished item was redone
    assert set(second_run) | set(before) == {f"item-{i}" for i in range(12)}


def test_process_pool(plugin_env):
    with EvalStore(plugin_env / "e.db") as store:
        run_id = run_suite("fake-sleep", {"limit": 6}, store, run_name="pool", workers=2, progress=False)
        rows = store.items(run_id)
    assert len(rows) == 6 and {r["status"] for r in rows} == {"ok"}
    assert len({r["worker"] for r in rows}) >= 1 and all(r["worker"] for r in rows)
    assert set(executed(plugin_env).values()) == {1}


def test_ray_local_cluster_of_two_workers(plugin_env):
    require_module("ray", "pip install 'ray==2.60.0'")
    with EvalStore(plugin_env / "e.db") as store:
        run_id = run_suite("fake-sleep", {"limit": 6}, store, run_name="ray", workers=2, ray="local", progress=False)
        rows = store.items(run_id)
    assert len(rows) == 6 and {r["status"] for r in rows} == {"ok"}
    pids = {r["worker"].rsplit(":", 1)[1] for r in rows}
    assert str(os.getpid()) not in pids  # items ran in Ray worker processes, not in the driver
    assert set(executed(plugin_env).values()) == {1}


def test_ray_missing_gives_a_clear_message(plugin_env, monkeypatch):
    import builtins

    from evaluation.runner import EvalError

    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray":
            raise ImportError("No module named 'ray'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    with EvalStore(plugin_env / "e.db") as store, pytest.raises(EvalError, match="pip install 'ray"):
        run_suite("fake-sleep", {"limit": 2}, store, run_name="x", ray="local", progress=False)


def test_unknown_suite_and_suite_mismatch(plugin_env):
    from evaluation.runner import EvalError

    with EvalStore(plugin_env / "e.db") as store:
        with pytest.raises(EvalError, match="unknown suite"):
            run_suite("nope", {}, store, progress=False)
        store.create_run("taken", "humaneval-x", {})
        with pytest.raises(EvalError, match="humaneval-x run"):
            run_suite("fake-sleep", {}, store, run_name="taken", progress=False)
