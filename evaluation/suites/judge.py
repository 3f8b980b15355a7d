"""refactorcoderqa-judge: our JudgeLLM on the 104 human-scored items (RefactorCoderQA Table VI).

Each item gives the judge the problem, the paper's GuideLLM methodology and RefactorCoder-MoE's answer; its
scores (accuracy, clarity, efficiency; 1-5) are compared with the mean of the human raters (evaluator 1's
sheets are empty upstream, so in practice evaluators 2 and 3): mean absolute difference and Spearman's rho
per dimension. The paper's own JudgeLLM scores (GPT-4o, shipped with the data) get the same comparison as a
reference row, and the reliability diagram plots mean human score per judge score.
"""

from __future__ import annotations

from statistics import mean

from evaluation import references
from evaluation.context import Timer
from evaluation.metrics import agreement, reliability_bins
from evaluation.suite import Chart, Item, Suite, SuiteReport, Table, register
from evaluation.suites.common import by, latency_table, num, ok_rows, qa_items, qa_problem, qa_records

DIMENSIONS = ("accuracy", "clarity", "efficiency")
JUDGE_TOKENS = 256


def human_mean(record: dict) -> dict:
    out = {}
    for dim in DIMENSIONS:
        vals = [record[f"human{i}_scores"][dim] for i in (1, 2, 3)
                if isinstance(record.get(f"human{i}_scores"), dict) and record[f"human{i}_scores"].get(dim) is not None]
        out[dim] = mean(vals) if vals else None
    return out


@register
class JudgeSuite(Suite):
    name = "refactorcoderqa-judge"
    description = "JudgeLLM vs human scores on RefactorCoderQA: MAD and Spearman per dimension"

    def items(self, options: dict) -> list[Item]:
        records = qa_records("refactorcoderqa_judge_human_eval.jsonl.gz", options,
                             ("id", "domain", "instruction", "guidellm_response", "solver_answer"))
        records = [r for r in records if any(v is not None for v in human_mean(r).values())]
        return qa_items(records, options, ["judge"])

    def run_item(self, item: Item, ctx) -> dict:
        record, timer = item.payload, Timer()
        judgment = ctx.pipeline(item.model, max_tokens=JUDGE_TOKENS).judge(
            qa_problem(record), record.get("guidellm_response"), record.get("solver_answer") or "")
        timer.add("judge", judgment.raw.duration_s)
        ours = judgment.scores.model_dump() if judgment.scores else None
        return {"status": "ok", "prompt": record["instruction"], "answer": judgment.raw.text,
                "expected": None, "test_result": {"scores": ours},
                "metrics": {"scores": ours, "human": human_mean(record), "paper_judge": record.get("judge_scores"),
                            "scored": ours is not None},
                "latency": timer.latency}

    def aggregate(self, rows: list[dict], options: dict) -> SuiteReport:
        done = ok_rows(rows)
        table_rows, reliability, summary = [], {}, {}
        series = {f"{m} (ours)": [(r["metrics"]["scores"] or {}, r["metrics"]["human"]) for r in part]
                  for (m,), part in by(done, "model").items()}
        # the paper's GPT-4o judge on the same items, once (its scores do not depend on our model)
        first_model = next(iter(by(done, "model")), None)
        if first_model is not None:
            part = by(done, "model")[first_model]
            series["GPT-4o JudgeLLM (paper's scores)"] = [(r["metrics"].get("paper_judge") or {}, r["metrics"]["human"])
                                                         for r in part]
        for label, pairs in series.items():
            cells = []
            for dim in DIMENSIONS:
                a = agreement([j.get(dim) for j, _ in pairs], [h.get(dim) for _, h in pairs])
                summary[f"{label}|{dim}"] = a
                cells += [num(a["mad"]), num(a["spearman"]), a["n"]]
            table_rows.append([label, *cells])
            reliability[label] = reliability_bins([j.get("accuracy") for j, _ in pairs],
                                                  [h.get("accuracy") for _, h in pairs])
        unscored = sum(not r["metrics"]["scored"] for r in done)
        table = Table("Judge vs human scores (Table VI): mean absolute difference and Spearman per dimension",
                      ["judge", *[f"{d} {s}" for d in DIMENSIONS for s in ("MAD", "rho", "n")]], table_rows,
                      f"Human score = mean of the raters present. {unscored} item(s) without readable judge scores "
                      f"are left out of the pairs. Paper (Table VI, overall means): humans "
                      f"{references.JUDGE_TABLE_VI_OVERALL['human']}, GPT-4o judge {references.JUDGE_TABLE_VI_OVERALL['judge']}.")
        means = Table("Mean scores", ["judge", *DIMENSIONS, "n"],
                      [[label, *[num(mean(v) if (v := [j[d] for j, _ in pairs if j.get(d) is not None]) else None)
                                 for d in DIMENSIONS], len(pairs)] for label, pairs in series.items()]
                      + [["humans", *[num(mean(v) if (v := [h[d] for _, h in next(iter(series.values()), [])
                                                             if h.get(d) is not None]) else None)
                                      for d in DIMENSIONS], ""]] if series else [])
        chart = Chart("reliability", "Judge reliability (accuracy)",
                      "judge_reliability.png", {"series": reliability})
        return SuiteReport([table, means, latency_table(rows, "domain")], [chart], summary)
