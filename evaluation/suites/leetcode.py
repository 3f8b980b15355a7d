"""leetcode: LeetCodeDataset's tagged problems (v0.3.0 + v0.3.1 test splits, 426 unique; Python), pass@1 per
PerfOrch category (Table 3 shape: a problem counts in every category it is tagged with), and the category
classifier's accuracy against the tags (orchestrator.categories: top-1 among the problem's tags).

Variants: ``one-shot`` (the default: the solver answers each problem; the item also records the classifier's
category) and ``classifier`` (asked for with ``--variants classifier`` or ``one-shot,classifier``: one item, no
model, every classifier method on the hash split's test half, evaluation.category_accuracy; ``--limit`` does not
apply to it).
"""

from __future__ import annotations

import time

from evaluation import data
from evaluation.context import Timer
from evaluation.suite import Chart, Item, Suite, SuiteReport, Table, limited, register
from evaluation.suites.common import latency_table, ok_rows, pct

VARIANTS = ("one-shot", "classifier")  # the first alone by default

FILES = ("LeetCodeDataset-v0.3.1-test.jsonl.gz", "LeetCodeDataset-v0.3.0-test.jsonl.gz")
CATEGORIES = ("Array", "String", "Hash Table", "Math", "Sorting", "Greedy", "Counting", "Enumeration", "Simulation",
              "Number Theory")  # PerfOrch's ten, by frequency in this data set


def problems(options: dict) -> list[dict]:
    seen, out = set(), []
    for name in FILES:
        for r in data.load("leetcodedataset", name, options.get("data"),
                           required=("task_id", "prompt", "completion", "entry_point", "test")):
            if r["task_id"] in seen:
                continue
            seen.add(r["task_id"])
            meta = r.get("meta") or {}
            out.append({"task_id": r["task_id"], "prompt": r["prompt"], "completion": r["completion"],
                        "entry_point": r["entry_point"], "test": r["test"],
                        "tags": r.get("tags") or meta.get("tags") or [],
                        "difficulty": r.get("difficulty") or meta.get("difficulty"),
                        "description": r.get("problem_description") or meta.get("question_title") or "",
                        "starter_code": r.get("starter_code") or meta.get("lang_code") or ""})
    return out


def classify(text: str) -> tuple[str | None, str | None]:
    try:
        from orchestrator.categories import classify as classify_category
    except ImportError:  # the classifier is optional: the pass@1 table does not need it
        return None, None
    category = classify_category(text)
    return category.name, category.method


def test_program(record: dict, code: str) -> tuple[str, str]:
    """(candidate source, test program) in the dataset's own way: prompt preamble + code, then check()."""
    return record["prompt"] + "\n" + code + "\n", record["test"] + f"\n\ncheck({record['entry_point']})\n"


@register
class LeetCodeSuite(Suite):
    name = "leetcode"
    description = "LeetCodeDataset pass@1 per PerfOrch category, and the category classifier's accuracy"
    uses_sandbox = True

    def items(self, options: dict) -> list[Item]:
        variants = options.get("variants") or ["one-shot"]
        unknown = sorted(set(variants) - set(VARIANTS))
        if unknown:
            raise ValueError(f"unknown leetcode variant(s) {', '.join(unknown)}; known: {', '.join(VARIANTS)}")
        out = []
        if "one-shot" in variants:
            records = [r for r in problems(options) if any(t in CATEGORIES for t in r["tags"])]
            out += [Item(key=f"{m}|one-shot|{r['task_id']}", item_id=r["task_id"], model=m, variant="one-shot",
                         group=next(t for t in r["tags"] if t in CATEGORIES), payload=r)
                    for m in options["models"] for r in limited(records, options)]
        if "classifier" in variants:  # the classifier needs no model: one item whatever --models says
            out.append(Item(key="classifier", item_id="classifier", variant="classifier", group="classifier",
                            payload={"data": options.get("data")}))
        return out

    def run_item(self, item: Item, ctx) -> dict:
        if item.variant == "classifier":
            from evaluation.category_accuracy import compare

            started = time.monotonic()
            results = compare(item.payload.get("data"))
            return {"status": "ok", "metrics": {"classifier": results},
                    "latency": {"classify": time.monotonic() - started}}
        from models.parsing import extract_code
        from models.types import Problem
        from sandbox.harness import run_tests
        from sandbox.models import Limits, TestCase

        from evaluation.humaneval_code import report_summary

        record, timer = item.payload, Timer()
        started = time.monotonic()
        predicted, method = classify(record["description"])
        timer.add("classify", time.monotonic() - started)
        problem = Problem(title=f"LeetCode: {record['task_id']}", description=record["description"],
                          code=record["starter_code"] or None, language="python")
        answer = ctx.pipeline(item.model, max_tokens=768).solve(problem, None)
        timer.add("solve", answer.duration_s)
        code = extract_code(answer.text, "python")
        if code:
            source, test = test_program(record, code)
            started = time.monotonic()
            report = run_tests("python", [TestCase(name=record["task_id"], test_program=test)], source=source,
                               limits=Limits(wall_time_s=30, cpu_time_s=30), sandbox=ctx.sandbox())
            timer.add("sandbox", time.monotonic() - started)
            result = report_summary(report)
        else:
            result = {"passed": False, "status": "no code"}
        tags = [t for t in record["tags"] if t in CATEGORIES]
        return {"status": "ok", "prompt": record["description"], "answer": answer.text, "expected": ", ".join(tags),
                "test_result": result,
                "metrics": {"correct": bool(result["passed"]), "tags": tags, "predicted_category": predicted,
                            "classifier": method, "category_hit": predicted in tags if predicted else None},
                "latency": timer.latency}

    def aggregate(self, rows: list[dict], options: dict) -> SuiteReport:
        from evaluation import category_accuracy

        compared = [r for r in ok_rows(rows) if r.get("variant") == "classifier"]
        rows = [r for r in rows if r.get("variant") != "classifier"]
        done = ok_rows(rows)
        models = sorted({r["model"] for r in done})
        table_rows, series = [], {}
        for model in models:
            mine = [r for r in done if r["model"] == model]
            cells, values = [], {}
            for cat in CATEGORIES:
                part = [r for r in mine if cat in r["metrics"]["tags"]]
                values[cat] = sum(r["metrics"]["correct"] for r in part) / len(part) if part else float("nan")
                cells.append(f"{pct(values[cat])} ({len(part)})" if part else "—")
            values["overall"] = sum(r["metrics"]["correct"] for r in mine) / len(mine)
            table_rows.append([model, *cells, f"{pct(values['overall'])} ({len(mine)})"])
            series[model] = values
        table = Table("LeetCode pass@1 per category (PerfOrch Table 3 shape)",
                      ["model", *CATEGORIES, "overall"], table_rows,
                      "A problem counts in every PerfOrch category it is tagged with.")
        scored = [r for r in done if r["metrics"].get("category_hit") is not None]
        methods = sorted({r["metrics"].get("classifier") for r in done if r["metrics"].get("classifier")})
        cells = []
        for part in (scored, [r for r in scored if not category_accuracy.is_train(r["item_id"])]):
            hits = [r["metrics"]["category_hit"] for r in part]
            cells += [pct(sum(hits) / len(hits)) if hits else "—", len(hits)]
        classifier = Table("Category classifier vs LeetCode tags, on the solved items",
                           ["method", "top-1 in tags", "n", "test half only", "n"],
                           [[", ".join(methods) or "unavailable", *cells]],
                           "The shipped neighbours are the train half of the hash split: the test half is the "
                           "fair figure.")
        tables = [table, classifier] if done else []
        tables += [category_accuracy.table(r["metrics"]["classifier"]) for r in compared]
        chart = Chart("bars", "LeetCode pass@1 per category", "leetcode_categories.png",
                      {"groups": [*CATEGORIES, "overall"], "series": series, "reference": {}, "ylabel": "pass@1"})
        summary = dict(series)
        if compared:
            summary["classifier"] = {key: r["metrics"]["classifier"][key]["test"]["accuracy"]
                                     for r in compared for key, _ in category_accuracy.METHODS
                                     if key in r["metrics"]["classifier"]}
        return SuiteReport([*tables, latency_table(rows, "category")], [chart] if done else [], summary)
