"""enamel: ENAMEL's eff@1 (efficiency against expert reference solutions, ICLR 2025) where computable.

Upstream's formula (q-rz/enamel, enam/evaluate.py): inputs come from each problem's generator at levels of
growing size; per level j, eff_j = max(0, T - t_j) / (T - r_j), with t_j the candidate's slowest test time
(Hodges-Lehmann estimate over repetitions; CPU time here, where upstream
takes wall time, because this machine's load from other processes must not count), r_j the reference's, and the timeout T = factor x the reference's
slowest level; a wrong answer or a crash scores 0 everywhere, a timeout scores 0 from that level on. The
problem's score is the hardness-weighted mean (weights 0, 3, 3, 4: level 0 checks correctness only); with
one sample, eff@1 is the mean over problems. Here the whole measurement runs inside the Docker sandbox, in
one process per problem, with fewer tests per level than upstream's 8/4/4/4 (default 2/1/1/1, 5 repetitions)
so a problem takes seconds. Not computable (and left out): the 22 problems upstream excludes, and the
generators that need helpers from the `enam` package.
"""

from __future__ import annotations

import json
import time

from evaluation import data
from evaluation.context import Timer
from evaluation.suite import Chart, Item, Suite, SuiteReport, Table, limited, register
from evaluation.suites.common import latency_table, num, ok_rows, pct

ENAM_HELPERS = ("rand_parens", "rand_probably_prime", "rand_primality")
HARDNESS = (0, 3, 3, 4)
N_TESTS = (2, 1, 1, 1)
REPS, FACTOR, TOLERANCE_S = 5, 2.0, 0.02

SCRIPT = r'''
import copy, json, os, random, signal, sys, time
_out = os.fdopen(os.dup(1), "w")
sys.stdout = open(os.devnull, "w")  # nothing the candidate prints can pass for the report
P = json.loads(open("job.json").read())
os.remove("job.json")

class _Timeout(BaseException):
    pass

def _alarm(signum, frame):
    raise _Timeout()

signal.signal(signal.SIGPROF, _alarm)  # CPU-time timer: other load on the host does not count

def hl(ts):  # Hodges-Lehmann estimator, as upstream
    avgs = sorted((a + b) / 2 for i, a in enumerate(ts) for b in ts[: i + 1])
    n = len(avgs)
    return avgs[n // 2] if n % 2 else (avgs[n // 2 - 1] + avgs[n // 2]) / 2

def load(code):
    scope = {"print": lambda *a, **k: None, "input": None}
    exec(compile(code, "<solution>", "exec"), scope)
    return scope[P["entry"]]

import bisect, collections, functools, heapq, itertools, math, string
gen_scope = {"random": random, "string": string, "math": math, "itertools": itertools, "collections": collections,
             "functools": functools, "heapq": heapq, "bisect": bisect, "time": time}  # upstream's generator scope
exec(P["prompt"] + "\n    pass\n" + P["generator"], gen_scope)
check_scope = {}
exec(P["prompt"] + "\n    pass\n" + P["checker"], check_scope)
ref = load(P["prompt"] + P["reference"])
tests = []
for j, size in enumerate(P["levels"]):
    level = []
    for k in range(P["n_tests"][j]):
        random.seed(1000 * j + k)
        level.append(gen_scope["generate_input"](size=size, lid=j, cid=k))
    tests.append(level)

def timed(fn, args, limit):
    signal.setitimer(signal.ITIMER_PROF, limit)
    try:
        t0 = time.process_time()
        out = fn(*args)
        return out, time.process_time() - t0
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)

answers, ref_times = [], []
for level in tests:
    a_l, t_l = [], []
    for inp in level:
        ts = []
        for _ in range(P["reps"]):
            out, t = timed(ref, copy.deepcopy(inp), 600)
            ts.append(t)
        a_l.append(out)
        t_l.append(hl(ts))
    answers.append(a_l)
    ref_times.append(max(t_l))
hard = P["hardness"]
ref_max = max(t for t, h in zip(ref_times, hard) if h)
timeout = P["factor"] * ref_max
result = {"passed": True, "effs": [0.0] * len(tests), "elapsed": [], "ref": ref_times, "timeout": timeout}
try:
    cand = load(P["candidate"])
    for j, level in enumerate(tests):
        worst, broke = 0.0, False
        for inp, ans in zip(level, answers[j]):
            ts = []
            for _ in range(P["reps"] if hard[j] else 1):
                try:
                    out, t = timed(cand, copy.deepcopy(inp), timeout + P["tolerance"])
                except _Timeout:
                    broke = True
                    break
                if not check_scope["__check"](inp, ans, out):
                    raise ValueError("wrong output")
                ts.append(t)
            if broke:
                break
            worst = max(worst, hl(ts))
        if broke:
            if j == 0:
                raise ValueError("timeout on level 0")
            result["error"] = f"timeout from level {j}"
            break
        result["elapsed"].append(worst)
        result["effs"][j] = max(0.0, timeout - worst) / (timeout - ref_times[j]) if timeout > ref_times[j] else 0.0
except BaseException as exc:
    result = {"passed": False, "effs": [0.0] * len(tests), "error": f"{type(exc).__name__}: {exc}"[:300],
              "ref": ref_times, "timeout": timeout}
weights = sum(hard)
result["eff"] = sum(e * h for e, h in zip(result["effs"], hard)) / weights if weights else 0.0
_out.write("ENAMEL-RESULT " + json.dumps(result) + "\n")
_out.flush()
'''


def computable(record: dict) -> bool:
    return bool(record.get("in_enamel_142", True)) and not any(h in record["input_generator"] for h in ENAM_HELPERS)


@register
class EnamelSuite(Suite):
    name = "enamel"
    description = "ENAMEL eff@1 (efficiency vs expert references, in the sandbox) where computable"
    uses_sandbox = True

    def items(self, options: dict) -> list[Item]:
        records = data.load("enamel", "enamel.jsonl.gz", options.get("data"),
                            required=("task_id", "prompt", "input_generator", "input_levels", "reference_solution",
                                      "checker", "entry_point"))
        usable = [r for r in records if computable(r)]
        return [Item(key=f"{m}|one-shot|{r['task_id']}", item_id=r["task_id"], model=m, variant="one-shot",
                     group="python", payload=r) for m in options["models"] for r in limited(usable, options)]

    def run_item(self, item: Item, ctx) -> dict:
        from models.parsing import extract_code
        from models.types import Problem

        record, timer = item.payload, Timer()
        problem = Problem(title=f"Complete the Python function `{record['entry_point']}` (as efficient as possible)",
                          code=record["prompt"], language="python")
        answer = ctx.pipeline(item.model, max_tokens=640).solve(problem, None)
        timer.add("solve", answer.duration_s)
        code = extract_code(answer.text, "python")
        if not code:
            return {"status": "ok", "answer": answer.text, "test_result": {"passed": False, "status": "no code"},
                    "metrics": {"correct": False, "eff": 0.0}, "latency": timer.latency}
        started = time.monotonic()
        result = measure(ctx.sandbox(), record, code, record["reference_solution"])
        timer.add("sandbox", time.monotonic() - started)
        return {"status": "ok", "prompt": record["prompt"], "answer": answer.text, "test_result": result,
                "profile": {"ref_s": result.get("ref"), "elapsed_s": result.get("elapsed")},
                "metrics": {"correct": bool(result.get("passed")), "eff": float(result.get("eff") or 0.0)},
                "latency": timer.latency}

    def aggregate(self, rows: list[dict], options: dict) -> SuiteReport:
        done = ok_rows(rows)
        out, series = [], {}
        for model in sorted({r["model"] for r in done}):
            mine = [r for r in done if r["model"] == model]
            eff = sum(r["metrics"]["eff"] for r in mine) / len(mine)
            passed = sum(r["metrics"]["correct"] for r in mine) / len(mine)
            out.append([model, num(eff, 3), pct(passed), len(mine)])
            series[model] = {"eff@1": eff, "pass@1": passed}
        table = Table("ENAMEL eff@1 and pass@1", ["model", "eff@1", "pass@1", "n"], out,
                      f"eff per upstream's formula with timeout = {FACTOR:g} x the reference's slowest level, tests "
                      f"per level {N_TESTS}, {REPS} repetitions, hardness {HARDNESS}; the reference solutions score "
                      "about 1/(factor) headroom by construction.")
        chart = Chart("bars", "ENAMEL eff@1 and pass@1", "enamel.png",
                      {"groups": ["eff@1", "pass@1"], "series": series, "reference": {}, "ylabel": "score"})
        return SuiteReport([table, latency_table(rows, "language")], [chart], series)


def measure(sandbox, record: dict, candidate_code: str, reference_body: str) -> dict:
    """Run the ENAMEL measurement for one candidate in the sandbox; the report line is parsed from stdout."""
    from sandbox.models import Limits, RunSpec

    from evaluation.humaneval_code import preamble

    prompt = record["prompt"] if record["prompt"].endswith("\n") else record["prompt"] + "\n"
    job = {"prompt": prompt, "generator": record["input_generator"], "checker": record["checker"],
           "reference": reference_body, "candidate": preamble(record, "python") + "\n" + candidate_code,
           "entry": record["entry_point"], "levels": [int(x) for x in record["input_levels"].split()],
           "n_tests": list(N_TESTS), "reps": REPS, "hardness": list(HARDNESS), "factor": FACTOR,
           "tolerance": TOLERANCE_S}
    spec = RunSpec(language="python", files={"main.py": SCRIPT, "job.json": json.dumps(job)},
                   limits=Limits(wall_time_s=120, cpu_time_s=120, memory_mb=1024))
    result = sandbox.run(spec)
    for line in reversed(result.stdout.splitlines()):
        if line.startswith("ENAMEL-RESULT "):
            return json.loads(line[len("ENAMEL-RESULT "):])
    return {"passed": False, "eff": 0.0, "error": f"no result ({result.status}): {result.stderr[-500:]}"}
