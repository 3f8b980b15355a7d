"""A suite plug-in for the harness's own tests (loaded through $REFACTORCODER_EVAL_PLUGINS): no model, no
sandbox; each item sleeps a little, appends its key and pid to a log file, and is "correct" when even."""

from __future__ import annotations

import os
import time

from evaluation.suite import Item, Suite, SuiteReport, Table, register


@register
class FakeSleepSuite(Suite):
    name = "fake-sleep"
    description = "harness self-test: sleeps per item"
    uses_models = False

    def items(self, options: dict) -> list[Item]:
        n = int(options.get("limit") or 6)
        return [Item(key=f"item-{i}", item_id=str(i), group="even" if i % 2 == 0 else "odd", payload={"i": i})
                for i in range(n)]

    def run_item(self, item: Item, ctx) -> dict:
        time.sleep(float(os.environ.get("FAKE_SLEEP_S", "0.05")))
        log = os.environ.get("FAKE_SLEEP_LOG")
        if log:
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(f"{item.key} {os.getpid()}\n")
        if item.payload["i"] == int(os.environ.get("FAKE_FAIL_ITEM", "-1")):
            raise RuntimeError("infrastructure went away")
        return {"status": "ok", "prompt": f"p{item.item_id}", "answer": f"a{item.item_id}",
                "metrics": {"correct": item.payload["i"] % 2 == 0}, "latency": {"solve": 0.01, "sandbox": 0.02}}

    def aggregate(self, rows: list[dict], options: dict) -> SuiteReport:
        good = sum(bool(r["metrics"].get("correct")) for r in rows if r["status"] == "ok")
        return SuiteReport([Table("fake", ["items", "correct"], [[len(rows), good]])], [], {"correct": good})
