"""What a suite is: an item list, a per-item function and an aggregation. Suites register by name; more come
from plug-in modules named in ``$REFACTORCODER_EVAL_PLUGINS`` (comma-separated module names), imported in the
main process and in every worker (process pool or Ray) alike.

Every item is picklable (plain data), and so is the dict ``run_item`` returns: a worker on another machine
computes it and the driver writes it into the database.
"""

from __future__ import annotations

import importlib
import logging
import os
from dataclasses import asdict, dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class Item:
    key: str  # unique within a run: what resuming compares
    item_id: str  # the data set's id (task_id, question id)
    model: str | None = None
    variant: str | None = None  # e.g. "direct" / "guide-solve"
    group: str | None = None  # what the headline table splits by: language, domain, category
    payload: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[Any]]
    note: str = ""


@dataclass
class Chart:
    """A chart request for evaluation.charts: kind in {"bars", "box", "reliability"}."""

    kind: str
    title: str
    filename: str
    data: dict


@dataclass
class SuiteReport:
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    summary: dict = field(default_factory=dict)


class Suite:
    name: str = ""
    description: str = ""
    uses_models = True
    uses_sandbox = False
    default_models: tuple[str, ...] = ("local",)

    def items(self, options: dict) -> list[Item]:
        raise NotImplementedError

    def run_item(self, item: Item, ctx) -> dict:
        """Returns at least ``status`` ("ok" when the item was evaluated, pass or fail) and ``metrics``; may add
        ``prompt``, ``answer``, ``expected``, ``test_result``, ``profile``, ``latency`` ({stage: seconds})."""
        raise NotImplementedError

    def aggregate(self, rows: list[dict], options: dict) -> SuiteReport:
        raise NotImplementedError


_SUITES: dict[str, type[Suite]] = {}
_PLUGINS_LOADED = False


def register(cls: type[Suite]) -> type[Suite]:
    _SUITES[cls.name] = cls
    return cls


def _load_builtin_and_plugins() -> None:
    global _PLUGINS_LOADED
    if _PLUGINS_LOADED:
        return
    _PLUGINS_LOADED = True
    importlib.import_module("evaluation.suites")
    for name in filter(None, (p.strip() for p in os.environ.get("REFACTORCODER_EVAL_PLUGINS", "").split(","))):
        importlib.import_module(name)


def get_suite(name: str) -> Suite:
    _load_builtin_and_plugins()
    if name not in _SUITES:
        raise KeyError(f"unknown suite {name!r}; known: {', '.join(sorted(_SUITES))}")
    return _SUITES[name]()


def suite_names() -> list[str]:
    _load_builtin_and_plugins()
    return sorted(_SUITES)


def limited(records: list, options: dict) -> list:
    """The records an evaluation run takes: those named by `items` (ids, e.g. to re-run the failures of an earlier
    run), then the first `limit`."""
    wanted = set(options.get("items") or ())
    if wanted:
        records = [r for r in records if wanted & set(_ids(r))]
    limit = options.get("limit")
    return records[:limit] if limit else records


def _ids(record) -> list[str]:
    """What an item may be named by: a dict record's task_id / id / name, or a task object's id / name."""
    keys = ("task_id", "id", "name")
    values = [record.get(k) for k in keys] if isinstance(record, dict) else [getattr(record, k, None) for k in keys]
    return [str(v) for v in values if v is not None]
