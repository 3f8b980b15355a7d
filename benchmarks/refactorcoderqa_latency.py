"""Per-stage latency and tokens/s of Guide -> Solve -> Judge on RefactorCoderQA problems
(Table VII shape: mean latency per stage for each domain), on the embedded SmolLM2 by default.

    .venv/bin/python benchmarks/refactorcoderqa_latency.py [--n 10] [--max-tokens 256] [--model local]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

from models_common import load_problems, machine, write_result

from models.history import History
from orchestrator.pipeline import Pipeline
from models.settings import Settings

STAGES = ("guide", "solve", "judge")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--max-tokens", type=int, default=256)
    ap.add_argument("--model", default="local")
    args = ap.parse_args()

    stage = {"model": args.model, "fallbacks": [], "max_tokens": args.max_tokens, "retries": 0, "timeout_s": 600}
    settings = Settings.from_dict({"guide": stage, "solve": stage, "judge": {**stage, "temperature": 0}})
    info = machine()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        history = History(os.path.join(tmp, "bench.db"))
        pipeline = Pipeline(settings, history)
        pipeline.guide(load_problems(1)[0]["problem"])  # warm-up: model load is not a per-stage cost
        for item in load_problems(args.n):
            started = time.monotonic()
            report = pipeline.run(item["problem"])
            row = {"id": item["id"], "domain": item["domain"], "total_s": time.monotonic() - started,
                   "judge_scores": report.judgment.scores.model_dump() if report.judgment.scores else None,
                   "judge_reasked": report.judgment.raw.attempts > 1,
                   "solution_has_code": report.solution_code is not None}
            calls = history.export(report.run_id)[0]["calls"]
            for name in STAGES:
                stage_calls = [c for c in calls if c["stage"] == name]
                row[name] = {
                    "latency_s": sum(c["duration_s"] for c in stage_calls),
                    "prompt_tokens": sum(c["prompt_tokens"] or 0 for c in stage_calls),
                    "completion_tokens": sum(c["completion_tokens"] or 0 for c in stage_calls),
                    "calls": len(stage_calls),
                }
                row[name]["tokens_per_s"] = row[name]["completion_tokens"] / row[name]["latency_s"]
            rows.append(row)
            print(f"{item['id']:<22} {item['domain']:<4} " + "  ".join(
                f"{n} {row[n]['latency_s']:5.1f}s/{row[n]['tokens_per_s']:5.1f}t/s" for n in STAGES), file=sys.stderr)
        history.close()

    domains = sorted({r["domain"] for r in rows})
    table = {d: {n: statistics.mean(r[n]["latency_s"] for r in rows if r["domain"] == d) for n in STAGES}
             for d in domains}
    table["ALL"] = {n: statistics.mean(r[n]["latency_s"] for r in rows) for n in STAGES}
    tps = {n: sum(r[n]["completion_tokens"] for r in rows) / sum(r[n]["latency_s"] for r in rows) for n in STAGES}
    scored = [r for r in rows if r["judge_scores"]]
    summary = {
        "mean_latency_s_by_domain": table, "tokens_per_s_by_stage": tps,
        "mean_prompt_tokens_by_stage": {n: statistics.mean(r[n]["prompt_tokens"] for r in rows) for n in STAGES},
        "judge_scored": len(scored), "judge_reasked": sum(r["judge_reasked"] for r in rows),
        "solutions_with_code_block": sum(r["solution_has_code"] for r in rows),
        "mean_scores": {k: statistics.mean(r["judge_scores"][k] for r in scored) for k in ("accuracy", "clarity", "efficiency")}
        if scored else None,
    }
    info["load_avg_at_end"] = os.getloadavg()
    path = write_result("refactorcoderqa_latency", {"machine": info, "model": args.model, "max_tokens": args.max_tokens,
                                                    "n": len(rows), "summary": summary, "rows": rows})
    print(f"RefactorCoderQA per-stage mean latency (s), model={args.model}, max_tokens={args.max_tokens}, "
          f"{info['cpu']} x{info['cores']}, {info['date_utc']}")
    print(f"{'domain':<8}{'guide':>9}{'solve':>9}{'judge':>9}{'n':>4}")
    for d in [*domains, "ALL"]:
        n = len(rows) if d == "ALL" else sum(r["domain"] == d for r in rows)
        print(f"{d:<8}" + "".join(f"{table[d][s]:>9.2f}" for s in STAGES) + f"{n:>4}")
    print("tokens/s " + "  ".join(f"{s} {tps[s]:.1f}" for s in STAGES))
    print(f"judge scored {summary['judge_scored']}/{len(rows)} (re-asked {summary['judge_reasked']}); "
          f"solutions with a code block {summary['solutions_with_code_block']}/{len(rows)}")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
