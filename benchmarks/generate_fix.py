"""One-shot pass@1 against generate + fix on HumanEval-X Python (PerfOrch Table 8's shape), with the
embedded model in every stage, through orchestrator.loop.Orchestrator.solve.

Each problem is written as a stub module (prompt + `raise NotImplementedError`); the benchmark's test
program is the job's test. The generate attempt *is* the one-shot answer (same prompt, same model,
temperature 0), so one run yields both columns: one-shot = the generate attempt passed; generate + fix =
the job ended with every test passing (fix attempts bounded by --attempts). No guidance, no judge, no
model-written tests (PerfOrch's first two stages only).

    .venv/bin/python benchmarks/generate_fix.py --start 0 --limit 10 --model local --out benchmarks/results/generate_fix.json
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CODE_TOKENS = 640


def settings_for(model: str):
    from models.settings import Settings

    stage = {"model": model, "fallbacks": [], "retries": 0, "timeout_s": 900, "max_tokens": CODE_TOKENS,
             "temperature": 0.0}
    return Settings.from_dict({s: stage for s in ("guide", "solve", "judge", "fix", "refine")})


def run(model: str, start: int, limit: int, attempts: int) -> dict:
    from models.registry import ModelRegistry
    from orchestrator.loop import Orchestrator
    from orchestrator.pipeline import Pipeline
    from orchestrator.report import JobLimits
    from orchestrator.target import locate
    from sandbox.humaneval import candidate_and_test, load
    from sandbox.pool import Sandbox

    records = load("python")[start:start + limit]
    settings = settings_for(model)
    pipeline = Pipeline(settings, None, registry=ModelRegistry(local_model_path=settings.local_model_path))
    rows = []
    with Sandbox(pool_size=1) as sandbox:
        limits = JobLimits(max_attempts=attempts, guide=False, judge=False, design_tests=False)
        orch = Orchestrator(pipeline, sandbox, limits=limits)
        orch.ranking = None
        for index, record in enumerate(records, start):
            marks: dict[str, float] = {}

            def on_event(kind: str, data: dict, marks=marks) -> None:
                if kind == "result" and data.get("stage") == "generate":
                    marks["generate_done"] = time.monotonic()

            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "problem.py"
                path.write_text(record["prompt"] + "    raise NotImplementedError\n", encoding="utf-8")
                _, test = candidate_and_test(record, "python", "")
                t0 = time.monotonic()
                try:
                    report = orch.solve(locate(f"{path}::{record['entry_point']}"), benchmark_test=test,
                                        on_event=on_event)
                except Exception as exc:  # noqa: BLE001 - one problem's failure is a row, not the end
                    rows.append({"task": record["task_id"], "error": f"{type(exc).__name__}: {exc}"[:300]})
                    continue
                total = time.monotonic() - t0
            first = report.attempts[0] if report.attempts else None
            row = {"task": record["task_id"], "one_shot": bool(first and first.status in ("passed", "accepted")),
                   "generate_fix": bool(report.correct), "calls": report.model_calls,
                   "attempts": len(report.attempts), "seconds": round(total, 2),
                   "one_shot_seconds": round(marks.get("generate_done", t0 + total) - t0, 2)}
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    return summarise(rows, model, start, limit, attempts)


def summarise(rows: list[dict], model: str, start: int, limit: int, attempts: int) -> dict:
    ok = [r for r in rows if "error" not in r]
    n = len(ok)
    one = sum(r["one_shot"] for r in ok)
    both = sum(r["generate_fix"] for r in ok)
    one_s = sum(r["one_shot_seconds"] for r in ok)
    all_s = sum(r["seconds"] for r in ok)
    calls = sum(r["calls"] for r in ok)
    return {
        "model": model, "problems": f"HumanEval-X python {start}-{start + limit - 1}", "n": n,
        "errors": len(rows) - n, "fix_attempts": attempts,
        "one_shot": {"pass@1": one / n if n else None, "solved": one, "model_calls": n,
                     "calls_per_solved": n / one if one else None, "seconds_per_solved": one_s / one if one else None},
        "generate_fix": {"pass@1": both / n if n else None, "solved": both, "model_calls": calls,
                         "calls_per_solved": calls / both if both else None,
                         "seconds_per_solved": all_s / both if both else None},
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="local")
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--limit", type=int, default=40)
    parser.add_argument("--attempts", type=int, default=3, help="fix attempts after a failing generate")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    result = run(args.model, args.start, args.limit, args.attempts)
    text = json.dumps(result, indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    summary = {k: v for k, v in result.items() if k != "rows"}
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
