"""refactorcoderqa-mcq: the 262-question multiple-choice test (RefactorCoderQA Table IV shape).

Two variants per model: ``direct`` (question and options, answer with a letter) and ``guide-solve`` (GuideLLM
writes its methodology first; the solver then picks a letter with that guidance in its prompt). Accuracy per
domain (SE, DS, ML, NLP) and overall.

A third, opt-in variant ``guide-solve-judge`` (``--variants guide-solve-judge``) is the paper's Table VII: the whole
Guide -> Solve -> Judge pipeline on the open question (no options; 256 tokens per stage), timed per stage, with
tokens/s and whether the judge's scores were readable. Its questions go round robin over the domains in id order,
so ``--limit 10`` covers all four (it was benchmarks/refactorcoderqa_latency.py).
"""

from __future__ import annotations

import re

from evaluation import references
from evaluation.context import Timer
from evaluation.metrics import accuracy
from evaluation.suite import Chart, Item, Suite, SuiteReport, register
from evaluation.suites.common import latency_table, qa_items, qa_problem, qa_records, rate_table
from evaluation.suites.mcq_latency import PIPELINE, pipeline_items, run_pipeline, stage_latency_table

DOMAINS = ("SE", "DS", "ML", "NLP")
VARIANTS = ("direct", "guide-solve")  # the default; PIPELINE on request
QUESTION_BUDGET, OPTION_BUDGET, GUIDANCE_BUDGET = 1500, 500, 1200
LETTER = re.compile(r"(?:answer|option)\s*(?:is|:)?\s*\(?\**([ABCD])\b|^\W*\(?([ABCD])\b(?:[).:]|\s|$)|\b([ABCD])\b",
                    re.IGNORECASE | re.MULTILINE)


def parse_letter(text: str) -> str | None:
    """The chosen option: an explicit "Answer: X", else a letter opening the reply, else the first lone A-D."""
    for pattern_group in (1, 2, 3):
        for m in LETTER.finditer(text or ""):
            letter = m.group(pattern_group)
            if letter and (pattern_group == 1 or letter.isupper()):
                return letter.upper()
    return None


def mcq_messages(record: dict, guidance: str | None = None) -> list[dict]:
    from models.prompts import SYSTEM_PROMPT, truncate_middle

    options = "\n".join(f"{k}. {truncate_middle((record.get(k) or '(empty)').strip(), OPTION_BUDGET)}"
                        for k in "ABCD")
    parts = [f"Question: {record['instruction'].strip()}",
             truncate_middle((record.get("input") or "").strip(), QUESTION_BUDGET)]
    if guidance:
        parts.append(f"GuideLLM Response: {truncate_middle(guidance.strip(), GUIDANCE_BUDGET)}")
    parts += [f"Which answer below is the accepted answer to this question?\n{options}",
              "Instruction: reply with the letter of the correct answer only (A, B, C or D)."]
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": "\n\n".join(parts)}]


@register
class McqSuite(Suite):
    name = "refactorcoderqa-mcq"
    description = "RefactorCoderQA multiple-choice test: accuracy per domain, direct and Guide -> Solve"

    def records(self, options: dict) -> list[dict]:
        return qa_records("refactorcoderqa_mcq_test.jsonl.gz", options,
                          ("id", "domain", "instruction", "A", "B", "C", "D", "answer"))

    def items(self, options: dict) -> list[Item]:
        variants = options.get("variants") or list(VARIANTS)
        unknown = sorted(set(variants) - {*VARIANTS, PIPELINE})
        if unknown:
            raise ValueError(f"unknown refactorcoderqa-mcq variant(s) {', '.join(unknown)}; known: "
                             f"{', '.join([*VARIANTS, PIPELINE])}")
        records = self.records(options)
        items = qa_items(records, options, [v for v in variants if v != PIPELINE])
        if PIPELINE in variants:
            items += pipeline_items(records, options)
        return items

    def run_item(self, item: Item, ctx) -> dict:
        if item.variant == PIPELINE:
            return run_pipeline(item, ctx)
        record, timer, guidance = item.payload, Timer(), None
        if item.variant == "guide-solve":
            result = ctx.pipeline(item.model, max_tokens=256).guide(qa_problem(record))
            guidance = result.text
            timer.add("guide", result.duration_s)
        messages = mcq_messages(record, guidance)
        answer = ctx.ask(item.model, messages, stage="solve", max_tokens=8)
        timer.add("solve", answer.duration_s)
        letter = parse_letter(answer.text)
        return {"status": "ok", "prompt": messages[-1]["content"], "answer": answer.text, "expected": record["answer"],
                "test_result": {"letter": letter, "guidance": guidance},
                "metrics": {"letter": letter, "correct": letter == record["answer"]}, "latency": timer.latency}

    def aggregate(self, rows: list[dict], options: dict) -> SuiteReport:
        timed = [r for r in rows if r.get("variant") == PIPELINE]
        rows = [r for r in rows if r.get("variant") != PIPELINE]

        def metric(part):
            return accuracy([(r["metrics"] or {}).get("letter") for r in part], [r["expected"] for r in part])

        table, values = rate_table("RefactorCoderQA MCQ accuracy (Table IV shape)", rows, list(DOMAINS), metric,
                                   references.MCQ_REFACTORCODER_MOE, "RefactorCoder-MoE (paper)",
                                   note="n = questions answered; an unreadable reply counts as wrong.")
        chart = Chart("bars", "RefactorCoderQA MCQ accuracy per domain", "mcq_accuracy.png",
                      {"groups": [*DOMAINS, "overall"],
                       "series": {f"{m} {v}": vals for (m, v), vals in values.items()},
                       "reference": {"RefactorCoder-MoE (paper)": {k: v / 100 for k, v in
                                                                   references.MCQ_REFACTORCODER_MOE.items()}},
                       "ylabel": "accuracy", "chance": 0.25})
        tables = [table, latency_table(rows, "domain")] if rows else []
        if timed:
            tables.append(stage_latency_table(timed))
        return SuiteReport(tables, [chart] if rows else [], {f"{m}|{v}": vals for (m, v), vals in values.items()})
