"""HumanEval problems through the product's own loop (orchestrator.loop.Orchestrator), not one model answer.

Three variants share this module:

* humaneval-x ``pipeline``: generate -> fix with the benchmark's own tests inside the loop (PerfOrch Table 8's
  setting: the loop sees the tests that score it).
* humaneval-x ``examples``: generate -> fix where the loop sees only the docstring's examples (HumanEvalPack's
  ``example_test``, the examples of the prompt as assertions) and the benchmark's tests only score the loop's final
  code afterwards, in a separate sandbox run. This is what a user's situation looks like: a few examples, not the
  hidden test suite. Problems without examples get the product's model-written tests (AgentCoder test designer),
  as a user without tests would.
* humanevalpack-fix ``loop``: the buggy solution written into a file and `Orchestrator.fix` on it with the
  benchmark's tests (HumanEvalFix gives the model the tests), several candidates that learn from each failure.

The orchestrator takes a source-file target, so each problem is written to a temporary file
(evaluation.humaneval_code.problem_file); every run is in the Docker sandbox, never on the host.
"""

from __future__ import annotations

import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from evaluation.context import Timer
from evaluation.suite import Item

FIX_ATTEMPTS = 3  # generate + up to 3 fixes (PerfOrch Table 8's loop)
FIX_LOOP_ATTEMPTS = 4  # humanevalpack-fix through the loop: the product's default candidates per fix job


@contextmanager
def _target_file(name: str, text: str, entry: str | None, language: str, row: int | None):
    from orchestrator.target import locate_text, project_root

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_text(text, encoding="utf-8")
        target = locate_text(path, text, entry, language, row=row)
        target.root = project_root(path)
        yield target


def _run_job(run, timer: Timer):
    """Run one orchestrator job (`run(on_event)`), booking each attempt's span (model call + sandbox run) to its
    stage and the rest to "orchestrator"."""
    events: list[tuple[float, str, str | None]] = []
    started = time.monotonic()
    report = run(lambda kind, data: events.append((time.monotonic(), kind, data.get("stage"))))
    spent = 0.0
    for i, (at, kind, stage) in enumerate(events):
        end = next((t for t, k, _ in events[i + 1:] if k in ("result", "attempt")), None)
        if kind == "attempt" and end is not None:
            timer.add("solve" if stage == "generate" else (stage or "fix"), end - at)
            spent += end - at
    timer.add("orchestrator", max(0.0, time.monotonic() - started - spent))
    return report


def _record(record: dict, report, timer: Timer, *, correct: bool, scored: dict | None = None) -> dict:
    first = report.attempts[0] if report.attempts else None
    last = report.attempts[-1] if report.attempts else None
    solved_by = None
    if correct and last is not None:
        solved_by = "generate" if last.stage == "generate" else f"{last.stage}@{last.number}"
    used = report.budget.used if report.budget else None
    return {"status": "ok", "prompt": record["prompt"],
            "answer": report.accepted_code or (last.code if last else "") or "",
            "test_result": {"passed": correct, "status": report.status, "summary": report.summary,
                            "attempts": len(report.attempts), "loop_tests_passed": bool(report.correct),
                            "scored": scored,
                            "trail": [{"stage": a.stage, "number": a.number, "status": a.status,
                                       "reason": (a.reason or "")[:300]} for a in report.attempts],
                            "notes": report.notes},
            "metrics": {"correct": correct, "attempts": len(report.attempts), "model_calls": report.model_calls,
                        "tokens": used.tokens if used else None,
                        "first_attempt_passed": bool(first and first.status in ("passed", "accepted")),
                        "solved_by": solved_by},
            "latency": timer.latency}


def run_pipeline(item: Item, ctx, timer: Timer, *, loop_tests: str = "benchmark") -> dict:
    """generate -> fix through Orchestrator.solve, every language. loop_tests: "benchmark" (the record's tests
    inside the loop; they also score) or "examples" (the docstring's examples inside the loop; the record's tests
    score the loop's final code afterwards)."""
    from evaluation.humaneval_code import benchmark_program, problem_file
    from evaluation.suites.humaneval import CODE_TOKENS, run_code
    from orchestrator.errors import NoTests
    from orchestrator.loop import Orchestrator
    from orchestrator.report import JobLimits

    record, lang = item.payload, item.group
    if loop_tests == "examples":
        examples = record.get("example_test") or ""
        loop_program = benchmark_program({**record, "test": examples}, lang) if examples.strip() else None
    else:
        loop_program = benchmark_program(record, lang)
    name, text, row = problem_file(record, lang)
    # PerfOrch's generate -> fix only: no guidance, no judge; model-written tests only where a problem has no examples
    limits = JobLimits(max_attempts=FIX_ATTEMPTS, guide=False, judge=False, design_tests=loop_program is None)
    orch = Orchestrator(ctx.pipeline(item.model, max_tokens=CODE_TOKENS), ctx.sandbox(), limits=limits)
    with _target_file(name, text, record["entry_point"] if row is None else None, lang, row) as target:
        try:
            report = _run_job(lambda on_event: orch.solve(target, benchmark_test=loop_program, on_event=on_event),
                              timer)
        except NoTests:
            # No examples and no model-written test that parses: nothing for the loop to check, so the problem
            # is what a user without tests gets, one unverified answer (the one-shot prompt), scored.
            from evaluation.suites.humaneval import one_shot

            out = one_shot(item, ctx, timer)
            out["metrics"].update(no_loop_tests=True, first_attempt_correct=out["metrics"]["correct"],
                                  model_calls=out["metrics"]["model_calls"] + 2)  # + the loop's generate and designer
            out["test_result"]["status"] = "no loop tests: one answer scored"
            return out
    if loop_tests != "examples":
        return _record(record, report, timer, correct=bool(report.correct))
    last = report.attempts[-1] if report.attempts else None
    final = report.accepted_code or (last.code if last else None)  # the loop's last word, right or wrong
    scored = run_code(ctx, record, lang, final, timer)
    out = _record(record, report, timer, correct=bool(scored["passed"]), scored=scored)
    out["metrics"]["examples"] = loop_program is not None
    # The generate step alone, scored the same way: the one-shot answer inside the loop, against which the fixes
    # that the examples drove are measured (one more sandbox run only when the loop changed the code).
    first = report.attempts[0].code if report.attempts else None
    out["metrics"]["first_attempt_correct"] = bool(scored["passed"]) if first == final else bool(
        run_code(ctx, record, lang, first, timer)["passed"])
    return out


def run_fix_loop(item: Item, ctx, timer: Timer) -> dict:
    """HumanEvalFix through Orchestrator.fix: the buggy solution in a file, the benchmark's tests as the job's
    tests, up to :data:`FIX_LOOP_ATTEMPTS` candidates (no guide, no judge)."""
    from evaluation.humaneval_code import benchmark_program, canonical_answer, problem_file
    from evaluation.suites.humaneval import CODE_TOKENS
    from orchestrator.loop import Orchestrator
    from orchestrator.report import JobLimits

    record, lang = item.payload, item.group
    name, stub_text, row = problem_file(record, lang)
    if lang != "python":
        raise ValueError("humanevalpack-fix --variants loop is Python only for now")
    # The problem file with the buggy function in place of the stub: the prompt ends in the docstring.
    text = stub_text[:stub_text.rindex(f"def {record['entry_point']}")] + canonical_answer(record, lang, buggy=True)
    limits = JobLimits(max_attempts=FIX_LOOP_ATTEMPTS, guide=False, judge=False, design_tests=False)
    orch = Orchestrator(ctx.pipeline(item.model, max_tokens=CODE_TOKENS), ctx.sandbox(), limits=limits)
    with _target_file(name, text, record["entry_point"], lang, row) as target:
        report = _run_job(lambda on_event: orch.fix(target, benchmark_test=benchmark_program(record, lang),
                                                    on_event=on_event), timer)
    out = _record(record, report, timer, correct=report.status == "accepted" and bool(report.correct))
    out["expected"] = record.get("bug_type")
    out["metrics"]["bug_type"] = record.get("bug_type")
    return out
