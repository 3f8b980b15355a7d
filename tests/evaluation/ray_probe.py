"""A suite plug-in for tests/evaluation/test_ray_cluster.py (loaded through $REFACTORCODER_EVAL_PLUGINS): no model,
no sandbox; each item sleeps (so that items overlap and spread over the nodes) and reports where the harness's
code was imported from on the node that ran it. The driver's $RAY_PROBE_SLEEP_S and $RAY_PROBE_DIR travel in the
items (a folder where each item, once started, leaves a file named after itself and its node)."""

from __future__ import annotations

import os
import time

import evaluation
from evaluation.suite import Item, Suite, SuiteReport, Table, register


@register
class RayProbeSuite(Suite):
    name = "ray-probe"
    description = "harness self-test: where items run on a Ray cluster"
    uses_models = False

    def items(self, options: dict) -> list[Item]:
        payload = {"sleep_s": float(os.environ.get("RAY_PROBE_SLEEP_S", "2")), "dir": os.environ.get("RAY_PROBE_DIR")}
        return [Item(key=f"probe-{i}", item_id=str(i), group="probe", payload=payload)
                for i in range(int(options.get("limit") or 4))]

    def run_item(self, item: Item, ctx) -> dict:
        if item.payload["dir"]:
            import ray

            node = ray.get_runtime_context().get_node_id()
            open(os.path.join(item.payload["dir"], f"{item.key}@{node}"), "w").close()
        time.sleep(item.payload["sleep_s"])
        return {"status": "ok", "metrics": {"evaluation_file": evaluation.__file__, "cwd": os.getcwd(),
                                            "pythonpath": os.environ.get("PYTHONPATH", "")}}

    def aggregate(self, rows: list[dict], options: dict) -> SuiteReport:
        return SuiteReport([Table("probe", ["items"], [[len(rows)]])])
