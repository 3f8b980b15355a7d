"""humaneval-x (pass@1 per language, PerfOrch Tables 2/8) and humanevalpack-fix (fix@1 from the buggy solutions).

Problems and tests come from HumanEvalPack: the HumanEval-X problems with OctoPack's fixes to a few broken
C++/JS/Rust/Java tests (evaluation/data/humanevalpack/SOURCE.md), plus the hand-inserted bugs.
Every answer runs in the Docker sandbox (sandbox.harness), never on the host.

Variants of humaneval-x: ``one-shot`` (the solver writes the function once), ``pipeline`` (generate -> fix
through the orchestrator's loop with the benchmark's tests in it, every language) and ``examples`` (the same loop
seeing only the docstring's examples; the benchmark's tests only score). humanevalpack-fix: ``fix`` (one answer)
and ``loop`` (Orchestrator.fix with several candidates). The loop variants: evaluation/suites/humaneval_loop.py.
"""

from __future__ import annotations

import time

from evaluation import data, references
from evaluation.context import Timer
from evaluation.metrics import fix_at_1, mean_pass_at_k
from evaluation.suite import Chart, Item, Suite, SuiteReport, Table, limited, register
from evaluation.suites.common import by, latency_table, num, ok_rows, rate_table
from evaluation.suites.humaneval_loop import run_fix_loop, run_pipeline

LANGUAGES = ("python", "cpp", "java", "go", "rust", "js")
NAMES = {"python": "Python", "cpp": "C++", "java": "Java", "go": "Go", "rust": "Rust", "js": "JavaScript"}
CODE_TOKENS = 640


def records(language: str, options: dict) -> list[dict]:
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; HumanEval-X has {', '.join(LANGUAGES)}")
    return data.load("humanevalpack", f"humanevalpack_{language}.jsonl.gz", options.get("data"),
                     required=("task_id", "prompt", "canonical_solution", "test", "entry_point"))


def run_code(ctx, record: dict, language: str, code: str | None, timer: Timer) -> dict:
    from evaluation.humaneval_code import report_summary, run_answer_code

    if not code or not code.strip():
        return {"passed": False, "status": "no code", "output": "the answer had no code"}
    started = time.monotonic()
    report = run_answer_code(record, language, code, sandbox=ctx.sandbox())
    timer.add("sandbox", time.monotonic() - started)
    return report_summary(report)


class _HumanEvalBase(Suite):
    uses_sandbox = True
    variants: tuple[str, ...] = ("one-shot",)

    def items(self, options: dict) -> list[Item]:
        langs = options.get("langs") or list(LANGUAGES)
        variants = options.get("variants") or list(self.variants)
        out = []
        for model in options["models"]:
            for variant in variants:
                for lang in langs:
                    for r in limited(records(lang, options), options):
                        out.append(Item(key=f"{model}|{variant}|{r['task_id']}", item_id=r["task_id"], model=model,
                                        variant=variant, group=lang, payload=r))
        return out


@register
class HumanEvalX(_HumanEvalBase):
    name = "humaneval-x"
    description = "HumanEval-X pass@1 per language (one-shot; pipeline = generate -> fix)"
    variants = ("one-shot",)

    def run_item(self, item: Item, ctx) -> dict:
        timer = Timer()
        if item.variant in ("pipeline", "examples"):
            return run_pipeline(item, ctx, timer, loop_tests="benchmark" if item.variant == "pipeline" else "examples")
        return one_shot(item, ctx, timer)

    def aggregate(self, rows: list[dict], options: dict) -> SuiteReport:
        langs = [lang for lang in LANGUAGES if any(r.get("grp") == lang for r in rows)]

        def metric(part):
            return mean_pass_at_k([(1, int(bool(r["metrics"]["correct"]))) for r in part], 1)

        table, values = rate_table("HumanEval-X pass@1 per language", rows, langs, metric,
                                   references.PERFORCH_HUMANEVAL_X_PASS, "PerfOrch (paper, 17 models)",
                                   note="pass@1 with one sample per problem (unbiased estimator, n=1); the "
                                        "pipeline variant counts a problem when generate + up to 3 fixes "
                                        "(orchestrator, PerfOrch Table 8 shape) end with every test passing.")
        chart = Chart("bars", "HumanEval-X pass@1 per language", "humaneval_x_pass1.png",
                      {"groups": [*langs, "overall"], "series": {f"{m} {v}": vals for (m, v), vals in values.items()},
                       "reference": {"PerfOrch (paper)": {k: v / 100 for k, v in
                                                          references.PERFORCH_HUMANEVAL_X_PASS.items()}},
                       "ylabel": "pass@1"})
        return SuiteReport([table, cost_table(rows), latency_table(rows, "language")], [chart],
                           {f"{m}|{v}": vals for (m, v), vals in values.items()})


def one_shot(item: Item, ctx, timer: Timer) -> dict:
    """The solver completes the benchmark's declaration once; the record's tests score the answer."""
    from models.parsing import extract_code
    from models.types import Problem

    from evaluation.humaneval_code import LSP_ID

    record, lang = item.payload, item.group
    problem = Problem(title=f"Complete the {NAMES[lang]} function `{record['entry_point']}`",
                      code=record["prompt"], language=LSP_ID[lang])
    answer = ctx.pipeline(item.model, max_tokens=CODE_TOKENS).solve(problem, None)
    timer.add("solve", answer.duration_s)
    code = extract_code(answer.text, LSP_ID[lang]) or answer.text
    result = run_code(ctx, record, lang, code, timer)
    return {"status": "ok", "prompt": record["prompt"], "answer": answer.text, "test_result": result,
            "metrics": {"correct": bool(result["passed"]), "model_calls": 1}, "latency": timer.latency}


def cost_table(rows: list[dict]) -> Table:
    """What a solved problem costs per model and variant (PerfOrch Table 8's columns): model calls and seconds
    (the item's wall time: model calls, sandbox runs, the loop) over all problems, divided by the solved ones."""
    out = []
    for (model, variant), part in by(ok_rows(rows), "model", "variant").items():
        solved = sum(bool(r["metrics"]["correct"]) for r in part)
        calls = [r["metrics"].get("model_calls") for r in part]
        calls_total = sum(calls) if None not in calls else None
        seconds = sum((r.get("latency") or {}).get("item", 0.0) for r in part)
        tokens = [r["metrics"].get("tokens") for r in part]
        first = [r["metrics"].get("first_attempt_correct", r["metrics"].get("first_attempt_passed")) for r in part]
        out.append([model, variant, num(solved / len(part)), f"{solved}/{len(part)}",
                    "—" if calls_total is None else calls_total,
                    num(calls_total / solved) if solved and calls_total is not None else "—",
                    f"{sum(tokens) / solved:,.0f}" if solved and None not in tokens else "—",
                    num(seconds / solved, 1) if solved else "—",
                    "—" if None in first else f"{sum(first)}/{len(part)}"])
    return Table("Cost per solved problem (PerfOrch Table 8 shape)",
                 ["model", "variant", "pass@1", "solved", "model calls", "calls / solved", "tokens / solved",
                  "seconds / solved", "first attempt passed"], out,
                 "pipeline: generate + up to 3 fixes; its first attempt is the generate step alone (the one-shot "
                 "answer inside the loop). examples: the same loop seeing only the docstring's examples; its first "
                 "attempt and its final code are both scored by the benchmark's hidden tests.")


@register
class HumanEvalPackFix(_HumanEvalBase):
    name = "humanevalpack-fix"
    description = "HumanEvalFix: fix@1 from the hand-inserted buggy solutions, per language"
    variants = ("fix",)

    def run_item(self, item: Item, ctx) -> dict:
        from orchestrator.prompts import candidate_from_answer, fix_messages

        from evaluation.humaneval_code import canonical_answer

        record, lang, timer = item.payload, item.group, Timer()
        if item.variant == "loop":
            return run_fix_loop(item, ctx, timer)
        buggy = canonical_answer(record, lang, buggy=True)
        failure = ("The function fails its unit tests (below); find and fix the bug.\n" + record["test"])
        messages = fix_messages(lang, record["entry_point"], buggy, record.get("docstring") or "", failure)
        answer = ctx.ask(item.model, messages, stage="fix", max_tokens=CODE_TOKENS)
        timer.add("fix", answer.duration_s)
        code, reason = candidate_from_answer(answer.text, lang, record["entry_point"])
        result = run_code(ctx, record, lang, code, timer) if code else {"passed": False, "status": "no code",
                                                                        "output": reason}
        return {"status": "ok", "prompt": messages[-1]["content"], "answer": answer.text, "test_result": result,
                "expected": record.get("bug_type"), "metrics": {"correct": bool(result["passed"]),
                                                                "bug_type": record.get("bug_type")},
                "latency": timer.latency}

    def aggregate(self, rows: list[dict], options: dict) -> SuiteReport:
        langs = [lang for lang in LANGUAGES if any(r.get("grp") == lang for r in rows)]

        def metric(part):
            return fix_at_1([bool(r["metrics"]["correct"]) for r in part])

        table, values = rate_table("HumanEvalFix fix@1 per language", rows, langs, metric)
        by_bug: dict[str, list[bool]] = {}
        for r in ok_rows(rows):
            by_bug.setdefault(r["metrics"].get("bug_type") or "?", []).append(bool(r["metrics"]["correct"]))
        from evaluation.suites.common import pct

        bugs = Table("fix@1 per bug type", ["bug type", "fix@1", "n"],
                     [[b, pct(fix_at_1(v)), len(v)] for b, v in sorted(by_bug.items())])
        chart = Chart("bars", "HumanEvalFix fix@1 per language", "humanevalpack_fix1.png",
                      {"groups": [*langs, "overall"], "series": {f"{m} {v}": vals for (m, v), vals in values.items()},
                       "reference": {}, "ylabel": "fix@1"})
        return SuiteReport([table, bugs, latency_table(rows, "language")], [chart],
                           {f"{m}|{v}": vals for (m, v), vals in values.items()})
