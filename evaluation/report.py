"""A run's results as Markdown (tables + chart links), CSV (one row per item) or JSON (summary + items)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from evaluation.store import EvalStore
from evaluation.suite import SuiteReport, Table, get_suite


def build(store: EvalStore, run: str | int) -> tuple[dict, list[dict], SuiteReport]:
    meta = store.find_run(run)
    if meta is None:
        raise KeyError(f"no evaluation run {run!r} in {store.path}")
    rows = store.items(meta["id"])
    report = get_suite(meta["suite"]).aggregate(rows, meta["options"]) if rows else SuiteReport()
    return meta, rows, report


def markdown_table(table: Table) -> str:
    def cell(value) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = [f"**{table.title}**", "", "| " + " | ".join(map(cell, table.columns)) + " |",
             "|" + "|".join("---" for _ in table.columns) + "|"]
    lines += ["| " + " | ".join(map(cell, row)) + " |" for row in table.rows]
    if table.note:
        lines += ["", f"_{table.note}_"]
    return "\n".join(lines)


def to_markdown(meta: dict, rows: list[dict], report: SuiteReport, charts: dict[str, Path] | None = None) -> str:
    opts = meta["options"]
    head = [f"### Evaluation run `{meta['name']}` — {meta['suite']}", "",
            f"Models: {', '.join(opts.get('models') or ['—'])}; items: {len(rows)}"
            + (f" (--limit {opts['limit']})" if opts.get("limit") else "")
            + f"; status: {meta['status']}; started {meta['created'][:19]}Z.", ""]
    body = [markdown_table(t) + "\n" for t in report.tables]
    for title, path in (charts or {}).items():
        body.append(f"![{title}]({path})\n")
    return "\n".join(head + body)


ITEM_COLUMNS = ("key", "item_id", "model", "variant", "grp", "status", "expected", "error", "started", "finished")


def to_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*ITEM_COLUMNS, "correct", "latency", "test_result"])
    for r in rows:
        writer.writerow([*(r.get(c) for c in ITEM_COLUMNS), (r.get("metrics") or {}).get("correct"),
                         json.dumps(r.get("latency")), json.dumps(r.get("test_result"))[:2000]])
    return out.getvalue()


def to_json(meta: dict, rows: list[dict], report: SuiteReport) -> str:
    return json.dumps({"run": meta, "summary": report.summary,
                       "tables": [{"title": t.title, "columns": t.columns, "rows": t.rows, "note": t.note}
                                  for t in report.tables], "items": rows}, indent=2, default=str)


def render_charts(report: SuiteReport, folder: Path) -> dict[str, Path]:
    from evaluation.charts import render

    return {chart.title: render(chart, folder) for chart in report.charts}
