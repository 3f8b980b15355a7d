"""refine: from the canonical HumanEval-X solutions, ask the model for a faster / leaner version, keep it only
if every test still passes, then measure original and refinement interleaved in the sandbox and decide with
the product's own statistics (``profiling.compare_programs`` -> ``profiling.decide``). Reported per language
and metric: the share of programs improved significantly and the median improvement among them (PerfOrch
Tables 6, 7, 9), and the improvement distribution as box plots (Figure 5 shape).

Variants are the metrics: time (CPU time), peak_memory, mean_memory, cpu. The measured program is the
problem's own test program (candidate + tests), looped N times in one process for Python and JavaScript
(python_script / js_script); C++ and Java run once per sample (``fixed``). Go: the `go test -c` binary (built
like any Go program, optimised) with `-test.count=N`, every test N times in one process. Rust: `rustc --test`
builds without optimisation, so the tests are run from a generated `main` instead (`rustc -O`), their
functions called N times in one process, N its last argument (``repeat_arg``).

Python items see what `refactorcoder optimize` does with a function (one refine attempt): the prompt carries
a cProfile of the original on generated inputs, and a candidate must pass the tests and the product's
behaviour guards (orchestrator.verify.checks.behaviour: differential tests, including argument mutation, and the state
guard) before it is measured, so that an "improved" row is one optimize would accept. The other languages get
no profile (optimize has none for them) and the tests only: their differential tests need a model-written input
generator (orchestrator/verify/checks/progdiff.py).
"""

from __future__ import annotations

import re
import time
from contextlib import ExitStack, contextmanager

from evaluation import references
from evaluation.context import Timer
from evaluation.metrics import improvement_summary
from evaluation.suite import Chart, Item, Suite, SuiteReport, Table, limited, register
from evaluation.suites.common import by, latency_table, num, ok_rows, pct
from evaluation.suites.humaneval import records

METRICS = ("time", "peak_memory", "mean_memory", "cpu")
MEASURABLE = ("python", "js", "cpp", "java", "go", "rust")


def rust_test_runner(source: str) -> str:
    """A Rust test program (`#[cfg(test)] mod tests { #[test] fn ... }`) as a plain program whose `main` calls
    every test function N times, N being its last argument (1 without one): built with `rustc -O` like any
    Rust program, where `rustc --test` would measure an unoptimised build."""
    from evaluation.humaneval_code import strip_main

    names = re.findall(r"#\[test\]\s*fn\s+(\w+)", source)
    if not names:
        raise ValueError("the Rust test program has no #[test] functions")
    body = re.sub(r"#\[test\]\s*fn\s+(\w+)", r"pub fn \1", re.sub(r"#\[cfg\(test\)\]", "", strip_main(source, "rust")))
    calls = "".join(f"        tests::{name}();\n" for name in names)
    return (body.rstrip("\n") + "\n\nfn main() {\n"
            "    let n: u64 = std::env::args().last().and_then(|a| a.parse().ok()).unwrap_or(1);\n"
            f"    for _ in 0..n {{\n{calls}    }}\n}}\n")


def measured_program(record: dict, language: str, code: str):
    from evaluation.humaneval_code import assemble
    from profiling import Program, fixed, js_script, python_script, repeat_arg
    from sandbox.humaneval import candidate_and_test
    from sandbox.models import Limits, RunSpec

    source = assemble(record, language, code)
    limits = Limits(wall_time_s=30, cpu_time_s=30)
    if language == "go":  # `source` is the whole test file; the test binary repeats its tests itself
        return Program(lambda n: RunSpec(language="go", files={"main_test.go": source}, mode="test",
                                         args=[f"-test.count={n}"], limits=limits), True, "go")
    if language == "rust":
        return repeat_arg(RunSpec(language="rust", source=rust_test_runner(source), limits=limits))
    _, test = candidate_and_test(record, language, "")
    whole = source + "\n" + test + "\n"
    if language == "python":
        return python_script(whole, limits=limits)
    if language == "js":
        from sandbox.harness import JS_ASSERT_SHIM

        return js_script(JS_ASSERT_SHIM + whole, limits=limits)
    return fixed(RunSpec(language=language, source=whole, limits=limits))


@contextmanager
def python_view(record: dict, original: str, sandbox):
    """The canonical Python solution as `refactorcoder optimize` sees it: the problem written to a temporary
    file (the prompt's imports + the canonical function) as the target, the benchmark's tests as its tests,
    and the product's behaviour guards (orchestrator.verify.checks.behaviour) with the same generated inputs.
    Yields (guard, profile text): the profile is the one optimize feeds to the model, a cProfile
    of the original on the default workload (orchestrator.refine.workload_calls)."""
    import tempfile
    from pathlib import Path

    from evaluation.humaneval_code import benchmark_program, preamble
    from orchestrator.refine import workload_calls
    from orchestrator.report import JobLimits
    from orchestrator.target import locate_text, project_root
    from orchestrator.verify import PythonBehaviour, PythonExecution, discover

    text = preamble(record, "python") + original
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "problem.py"
        path.write_text(text, encoding="utf-8")
        target = locate_text(path, text, record["entry_point"], "python")
        target.root = project_root(path)
        suite = discover(target, None, benchmark_program(record, "python"))
        exe = PythonExecution(sandbox, target, suite)
        guard = PythonBehaviour(exe, target, suite.seen_calls, JobLimits().differential_inputs)
        workload, _ = workload_calls(target.name, suite.seen_calls, guard.inputs())
        yield guard, exe.profile(original, workload, 1) if workload else ""


@register
class RefineSuite(Suite):
    name = "refine"
    description = "refine canonical HumanEval-X solutions: significant-improvement share and median per metric"
    uses_sandbox = True

    def items(self, options: dict) -> list[Item]:
        langs = options.get("langs") or ["python"]
        bad = [lang for lang in langs if lang not in MEASURABLE]
        if bad:
            raise ValueError(f"refine measures {', '.join(MEASURABLE)} so far, not {', '.join(bad)}")
        metrics = options.get("variants") or ["time"]
        budget = {"budget_s": float(options.get("budget_s") or 20), "min_pairs": int(options.get("min_pairs") or 6)}
        return [Item(key=f"{m}|{metric}|{r['task_id']}", item_id=r["task_id"], model=m, variant=metric, group=lang,
                     payload={**r, "_measure": budget})
                for m in options["models"] for metric in metrics for lang in langs
                for r in limited(records(lang, options), options)]

    def run_item(self, item: Item, ctx) -> dict:
        with ExitStack() as stack:
            return self._run_item(item, ctx, stack)

    def _run_item(self, item: Item, ctx, stack: ExitStack) -> dict:
        from orchestrator.prompts import candidate_from_answer, refine_messages
        from profiling import MeasurementError, compare_programs

        from evaluation.humaneval_code import canonical_answer, report_summary, run_answer_code

        record, lang, metric, timer = item.payload, item.group, item.variant, Timer()
        original = canonical_answer(record, lang)
        guard, profile_text = None, ""
        if lang == "python":  # what optimize adds: the profile for the prompt, the guards before measuring
            started = time.monotonic()
            guard, profile_text = stack.enter_context(python_view(record, original, ctx.sandbox()))
            timer.add("baseline", time.monotonic() - started)
        messages = refine_messages(lang, record["entry_point"], original, record.get("docstring") or "", metric,
                                   profile_text, "")
        answer = ctx.ask(item.model, messages, stage="refine", max_tokens=640)
        timer.add("refine", answer.duration_s)
        code, reason = candidate_from_answer(answer.text, lang, record["entry_point"])
        out = {"status": "ok", "prompt": messages[-1]["content"], "answer": answer.text}
        if not code:
            return {**out, "test_result": {"passed": False, "status": "no code", "output": reason},
                    "metrics": {"verdict": "no code", "improvement": None, "correct": False}, "latency": timer.latency}
        started = time.monotonic()
        tests = report_summary(run_answer_code(record, lang, code, sandbox=ctx.sandbox()))
        timer.add("sandbox", time.monotonic() - started)
        if not tests["passed"]:
            return {**out, "test_result": tests, "metrics": {"verdict": "incorrect", "improvement": None,
                                                             "correct": False}, "latency": timer.latency}
        behaviour = None
        if guard is not None:
            started = time.monotonic()
            behaviour = guard.check(code)
            timer.add("guards", time.monotonic() - started)
        if behaviour is not None:
            tests = {**tests, "differential": behaviour.differential, "state": behaviour.state}
            if behaviour.reason:
                return {**out, "test_result": {**tests, "rejected": behaviour.reason},
                        "metrics": {"verdict": "rejected", "improvement": None, "correct": False},
                        "latency": timer.latency}
        started = time.monotonic()
        try:
            decision = compare_programs(ctx.sandbox(), measured_program(record, lang, original),
                                        measured_program(record, lang, code), metric=metric,
                                        **record["_measure"])
        except MeasurementError as exc:
            timer.add("profile", time.monotonic() - started)
            return {**out, "test_result": tests, "metrics": {"verdict": "measurement failed", "improvement": None,
                                                             "correct": True, "error": str(exc)},
                    "latency": timer.latency}
        timer.add("profile", time.monotonic() - started)
        profile = decision.model_dump(exclude={"samples_a", "samples_b"})
        profile["samples_a"], profile["samples_b"] = decision.samples_a[:50], decision.samples_b[:50]
        return {**out, "test_result": tests, "profile": profile,
                "metrics": {"verdict": decision.verdict, "improvement": decision.improvement, "correct": True,
                            "ratio": decision.ratio, "p_value": decision.p_value},
                "latency": timer.latency}

    def aggregate(self, rows: list[dict], options: dict) -> SuiteReport:
        done = ok_rows(rows)
        table_rows, boxes, reference = [], {}, {}
        for (model, metric, lang), part in by(done, "model", "variant", "grp").items():
            s = improvement_summary([(r["metrics"]["verdict"], r["metrics"]["improvement"]) for r in part])
            incorrect = sum(r["metrics"]["verdict"] in ("incorrect", "no code", "rejected") for r in part)
            paper = references.PERFORCH_MEDIAN_TIME_IMPROVEMENT.get(lang) if metric == "time" else None
            table_rows.append([model, metric, lang, f"{s['improved']}/{s['programs']}", pct(s["share"]),
                               pct(s["median_improvement"]), incorrect, f"{paper:.2f}%" if paper else "—"])
            boxes[f"{lang} {metric}"] = [r["metrics"]["improvement"] for r in part
                                         if r["metrics"]["improvement"] is not None]
            if paper:
                reference[f"{lang} {metric}"] = paper
        table = Table("Refinement of canonical solutions: significant improvements (PerfOrch Tables 6/7/9 shape)",
                      ["model", "metric", "language", "improved", "share", "median improvement", "rejected",
                       "PerfOrch median (paper)"], table_rows,
                      "improved = verdict 'better' from profiling.decide (Hodges-Lehmann interval clears 5% and paired Wilcoxon "
                      "p < alpha/looks); median over the improved ones; rejected = no code, tests failed, or (Python) "
                      "the differential tests / state guard rejected it.")
        chart = Chart("box", "Improvement per program, 1 - median(B)/median(A)", "refine_improvement.png",
                      {"series": boxes, "reference": reference, "ylabel": "improvement (%)"})
        return SuiteReport([table, latency_table(rows, "language")], [chart],
                           {k: num(v[0]) if v else None for k, v in boxes.items()})
