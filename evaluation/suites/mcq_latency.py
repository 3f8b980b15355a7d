"""The ``guide-solve-judge`` variant of refactorcoderqa-mcq: per-stage latency of the whole Guide -> Solve -> Judge
pipeline on RefactorCoderQA's test questions (the paper's Table VII: mean seconds per stage and domain), with
tokens/s per stage and the judge's readability. It was benchmarks/refactorcoderqa_latency.py.

The question is asked open (title + body, no options), as a user would ask it; the answer is not scored against
the MCQ key. Each stage gets ``TOKENS`` tokens at temperature 0 (the eval's settings, so runs repeat).
"""

from __future__ import annotations

from statistics import mean

from evaluation.suite import Item, Table
from evaluation.suites.common import by, num, ok_rows

PIPELINE = "guide-solve-judge"
STAGES = ("guide", "solve", "judge")
TOKENS = 256


def round_robin(records: list[dict]) -> list[dict]:
    """Questions in id order, alternating over the domains (sorted), so the first N cover every domain."""
    by_domain: dict[str, list[dict]] = {}
    for r in sorted(records, key=lambda r: r["id"]):
        by_domain.setdefault(r["domain"], []).append(r)
    queues = [by_domain[d] for d in sorted(by_domain)]
    out: list[dict] = []
    for i in range(max((len(q) for q in queues), default=0)):
        out += [q[i] for q in queues if i < len(q)]
    return out


def pipeline_items(records: list[dict], options: dict) -> list[Item]:
    ordered = round_robin(records)
    if options.get("limit"):
        ordered = ordered[:options["limit"]]
    return [Item(key=f"{m}|{PIPELINE}|{r['id']}", item_id=r["id"], model=m, variant=PIPELINE, group=r["domain"],
                 payload=r) for m in options["models"] for r in ordered]


def problem_of(record: dict):
    from models.types import Problem
    from source import languages

    # The SE domain's categories are programming languages: the table's id where it knows one, else the
    # category itself (C: named as given in the prompt); the other domains' questions are about Python.
    known = languages.lookup(record.get("category"))
    language = (known.id if known else record.get("category")) if record["domain"] == "SE" else "python"
    return Problem(title=record["instruction"], description=record.get("input") or "", language=language,
                   source=record["id"])


def run_pipeline(item: Item, ctx) -> dict:
    record = item.payload
    report = ctx.pipeline(item.model, max_tokens=TOKENS).run(problem_of(record))
    results = {"guide": report.guidance, "solve": report.solution, "judge": report.judgment.raw}
    # After a judge re-ask the duration covers both calls but the usage only the second (Pipeline._judge).
    stages = {name: {"latency_s": r.duration_s, "prompt_tokens": r.usage.prompt_tokens,
                     "completion_tokens": r.usage.completion_tokens, "calls": r.attempts}
              for name, r in results.items()}
    scores = report.judgment.scores.model_dump() if report.judgment.scores else None
    return {"status": "ok", "prompt": record["instruction"], "answer": report.solution.text,
            "test_result": {"judge_scores": scores, "guidance": report.guidance.text},
            "metrics": {"stages": stages, "judge_scores": scores, "judge_reasked": report.judgment.raw.attempts > 1,
                        "solution_has_code": report.solution_code is not None},
            "latency": {name: s["latency_s"] for name, s in stages.items()}}


def stage_latency_table(rows: list[dict]) -> Table:
    """Mean seconds per stage for each domain and all (Table VII shape), per model; tokens/s in the note."""
    done = ok_rows(rows)
    out, notes = [], []
    for (model,), mine in by(done, "model").items():
        groups = [(d, [r for r in mine if r.get("grp") == d]) for d in sorted({r.get("grp") for r in mine})]
        for domain, part in [*groups, ("all", mine)]:
            out.append([model, domain, *[num(mean(r["metrics"]["stages"][s]["latency_s"] for r in part))
                                         for s in STAGES], len(part)])
        rates = []
        for s in STAGES:
            seconds = sum(r["metrics"]["stages"][s]["latency_s"] for r in mine)
            tokens = sum(r["metrics"]["stages"][s]["completion_tokens"] for r in mine)
            prompt = mean(r["metrics"]["stages"][s]["prompt_tokens"] for r in mine)
            rates.append(f"{s} {tokens / seconds:.1f} tokens/s ({prompt:.0f} prompt tokens)" if seconds else f"{s} —")
        scored = sum(r["metrics"]["judge_scores"] is not None for r in mine)
        notes.append(f"{model}: {', '.join(rates)}; judge scores readable {scored}/{len(mine)} (re-asked "
                     f"{sum(r['metrics']['judge_reasked'] for r in mine)}); solutions with a code block "
                     f"{sum(r['metrics']['solution_has_code'] for r in mine)}/{len(mine)}.")
    return Table(f"Guide -> Solve -> Judge latency per domain (mean seconds, {TOKENS} tokens per stage; "
                 "RefactorCoderQA Table VII shape)", ["model", "domain", *STAGES, "n"], out,
                 " ".join(["Tokens/s include prompt evaluation."] + notes))
