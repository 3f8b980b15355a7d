"""Helpers the suites share: RefactorCoderQA's records and items, grouping result rows, rate tables, the
per-stage latency table."""

from __future__ import annotations

from collections import defaultdict
from statistics import mean
from typing import Callable, Iterable

from evaluation.suite import Item, Table, limited

# Latency keys in pipeline order. refine's: baseline = the original's cProfile and generated inputs, guards =
# the differential tests + state guard, profile = measuring original against candidate.
STAGES = ("guide", "solve", "fix", "baseline", "refine", "judge", "classify", "sandbox", "guards", "profile",
          "orchestrator")


def qa_records(filename: str, options: dict, required: tuple[str, ...]) -> list[dict]:
    """RefactorCoderQA's `filename` (never shipped: from --data, $REFACTORCODER_EVAL_DATA or ../shared/data),
    only the domains in options["domains"] when that is given."""
    from evaluation import data

    records = data.load(data.QA_FOLDER, filename, options.get("data"), required=required)
    domains = options.get("domains")
    return [r for r in records if not domains or r["domain"] in domains]


def qa_items(records: list[dict], options: dict, variants: Iterable[str]) -> list[Item]:
    """One item per model, variant and record (the first --limit records), keyed model|variant|id and grouped
    by domain."""
    return [Item(key=f"{m}|{v}|{r['id']}", item_id=r["id"], model=m, variant=v, group=r["domain"], payload=r)
            for m in options["models"] for v in variants for r in limited(records, options)]


def qa_problem(record: dict):
    """The question as the pipeline's Problem: its instruction as the title, its body as the description."""
    from models.types import Problem

    return Problem(title=record["instruction"], description=record.get("input") or "")


def ok_rows(rows: Iterable[dict]) -> list[dict]:
    return [r for r in rows if r.get("status") == "ok"]


def by(rows: Iterable[dict], *keys: str) -> dict[tuple, list[dict]]:
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        groups[tuple(row.get(k) for k in keys)].append(row)
    return dict(sorted(groups.items(), key=lambda kv: tuple(str(x) for x in kv[0])))


def pct(value: float | None) -> str:
    return "—" if value is None or value != value else f"{100 * value:.1f}%"


def num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None or value != value else f"{value:.{digits}f}"


def rate_table(title: str, rows: list[dict], groups: list[str], metric: Callable[[list[dict]], float],
               reference: dict | None = None, reference_label: str = "paper", group_label: str = "group",
               note: str = "") -> tuple[Table, dict]:
    """One row per (model, variant): the metric per group and overall, then the paper's row when given.
    Returns the table and {(model, variant): {group: value}} for charts."""
    done = ok_rows(rows)
    values: dict[tuple, dict] = {}
    table_rows = []
    for (model, variant), part in by(done, "model", "variant").items():
        cells = {}
        for g in groups:
            sub = [r for r in part if r.get("grp") == g]
            cells[g] = (metric(sub), len(sub)) if sub else (float("nan"), 0)
        cells["overall"] = (metric(part), len(part))
        values[(model, variant)] = {g: v for g, (v, _) in cells.items()}
        table_rows.append([model, variant or "", *[f"{pct(v)} ({n})" if n else "—" for v, n in cells.values()]])
    if reference:
        table_rows.append([reference_label, "", *[f"{reference[g]:.2f}%" if g in reference else "—"
                                                  for g in [*groups, "overall"]]])
    errors = sum(r.get("status") == "error" for r in rows)
    if errors:
        note = (note + " " if note else "") + f"{errors} item(s) ended in an error and are not counted."
    return Table(title, ["model", "variant", *[f"{g} (n)" for g in groups], "overall (n)"], table_rows, note), values


def latency_table(rows: list[dict], group_label: str = "group") -> Table:
    """Mean seconds per stage, per model/variant and group (RefactorCoderQA's Table VII shape)."""
    done = ok_rows(rows)
    present = [s for s in STAGES if any(s in (r.get("latency") or {}) for r in done)]
    out = []
    for (model, variant, grp), part in by(done, "model", "variant", "grp").items():
        cells = []
        for stage in present:
            vals = [r["latency"][stage] for r in part if stage in (r.get("latency") or {})]
            cells.append(num(mean(vals)) if vals else "—")
        out.append([model or "", variant or "", grp or "", *cells, len(part)])
    return Table("Per-stage latency (mean seconds per item)", ["model", "variant", group_label, *present, "n"], out)


def correct(rows: list[dict]) -> float:
    return sum(bool((r.get("metrics") or {}).get("correct")) for r in rows) / len(rows) if rows else float("nan")
