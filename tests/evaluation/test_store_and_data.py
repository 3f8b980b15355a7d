"""The evaluation database's schema and migrations; data loading and its errors; the vendored data."""

import gzip
import json
import sqlite3
from pathlib import Path

import pytest

from evaluation import data
from evaluation.data import DataError
from evaluation.store import MIGRATIONS, EvalStore

PROJECT = Path(__file__).resolve().parents[2]


def test_schema_and_migrations(tmp_path):
    path = tmp_path / "eval.db"
    EvalStore(path).close()
    EvalStore(path).close()  # reopening applies nothing twice
    conn = sqlite3.connect(path)
    applied = [r[0] for r in conn.execute("SELECT name FROM _eval_migrations")]
    assert applied == [m.__name__ for m in MIGRATIONS]
    columns = {t: [r[1] for r in conn.execute(f"PRAGMA table_info({t})")] for t in ("eval_runs", "eval_items")}
    assert {"id", "name", "suite", "options", "created", "finished", "status", "machine"} <= set(columns["eval_runs"])
    assert {"run_id", "key", "item_id", "model", "variant", "grp", "status", "prompt", "answer", "expected",
            "test_result", "profile", "metrics", "latency", "error", "worker", "started", "finished"} \
        <= set(columns["eval_items"])
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    indexes = [r[1] for r in conn.execute("PRAGMA index_list(eval_items)")]
    assert any("run" in i for i in indexes)


def test_items_round_trip_and_errors_are_not_finished(tmp_path):
    with EvalStore(tmp_path / "e.db") as store:
        run = store.create_run("r1", "fake", {"limit": 2})
        store.record(run, {"key": "a", "item_id": "1", "status": "ok", "metrics": {"correct": True},
                           "latency": {"solve": 1.5}, "test_result": {"passed": True}})
        store.record(run, {"key": "b", "item_id": "2", "status": "error", "error": "boom"})
        assert store.finished_keys(run) == {"a"}
        store.record(run, {"key": "b", "item_id": "2", "status": "ok", "metrics": {"correct": False}})
        rows = store.items(run)
        assert [r["key"] for r in rows] == ["a", "b"] and rows[0]["latency"] == {"solve": 1.5}
        assert store.finished_keys(run) == {"a", "b"}
        assert store.find_run("r1")["options"] == {"limit": 2} and store.find_run(str(run))["name"] == "r1"
        with pytest.raises(sqlite3.IntegrityError):
            store.create_run("r1", "fake", {})


def test_missing_data_file_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="data file missing"):
        data.read_jsonl(tmp_path / "nope.jsonl.gz")


def test_truncated_gzip_is_a_clear_error(tmp_path):
    good = gzip.compress(b"".join(json.dumps({"id": i, "x": "y" * 200}).encode() + b"\n" for i in range(50)))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(DataError, match=r"corrupt data file .*cut\.jsonl\.gz"):
        data.read_jsonl(path)


def test_malformed_line_and_missing_field_name_the_place(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": 1}\n{"id": 2,\n')
    with pytest.raises(DataError, match="line 2"):
        data.read_jsonl(path)
    folder = tmp_path / "suiteX"
    folder.mkdir()
    (folder / "f.jsonl").write_text('{"id": 1, "a": 2}\n{"id": 2}\n')
    with pytest.raises(DataError, match="record 2 lacks a"):
        data.load("suiteX", "f.jsonl", tmp_path, required=("id", "a"))


def test_refactorcoderqa_is_never_vendored_and_missing_says_how_to_get_it(tmp_path, monkeypatch):
    assert not (PROJECT / "evaluation" / "data" / "refactorcoderqa").exists()
    monkeypatch.setattr(data, "shared_data_dir", lambda: None)
    monkeypatch.delenv("REFACTORCODER_EVAL_DATA", raising=False)
    with pytest.raises(DataError, match="--data"):
        data.suite_dir(data.QA_FOLDER)
    with pytest.raises(DataError):
        data.suite_dir(data.QA_FOLDER, tmp_path)


@pytest.mark.parametrize("folder", ["humaneval-x", "humanevalpack", "enamel", "leetcodedataset"])
def test_permissive_suites_ship_with_license_and_source(folder, monkeypatch):
    monkeypatch.setattr(data, "shared_data_dir", lambda: None)  # as in a clone without ../shared
    monkeypatch.delenv("REFACTORCODER_EVAL_DATA", raising=False)
    where = data.suite_dir(folder)
    assert where == PROJECT / "evaluation" / "data" / folder
    assert (where / "LICENSE.txt").stat().st_size > 500 and (where / "SOURCE.md").exists()
    for path in where.glob("*.jsonl.gz"):
        assert data.read_jsonl(path)


def test_sandbox_humaneval_loads_the_vendored_copy():
    from sandbox import humaneval

    assert humaneval.default_data_dir() == PROJECT / "evaluation" / "data" / "humanevalpack"
    assert len(humaneval.load("go")) == 164


def test_sandbox_humaneval_corrupt_file_is_a_clear_error(tmp_path):
    from sandbox import humaneval

    (tmp_path / "humanevalpack_python.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(ValueError, match="corrupt HumanEval data file"):
        humaneval.load("python", tmp_path)
