"""`refactorcoder eval ... --items ID,...`: a run of only the named items (e.g. an earlier run's failures)."""

from __future__ import annotations

from dataclasses import dataclass

from evaluation.suite import limited


@dataclass
class Task:
    id: str


def test_items_select_dict_records_by_task_id_and_task_objects_by_id():
    records = [{"task_id": f"Python/{i}"} for i in range(5)]
    assert limited(records, {"items": ["Python/3", "Python/1"]}) == [records[1], records[3]]
    tasks = [Task("fib"), Task("is_prime"), Task("unique")]
    assert limited(tasks, {"items": ["unique", "fib"]}) == [tasks[0], tasks[2]]


def test_items_then_limit_and_nothing_named_means_everything():
    records = [{"task_id": f"Python/{i}"} for i in range(5)]
    assert limited(records, {"items": ["Python/4", "Python/2", "Python/0"], "limit": 2}) == [records[0], records[2]]
    assert limited(records, {"items": None}) == records and limited(records, {}) == records
    assert limited(records, {"items": ["Python/99"]}) == []
