"""slow-functions: what a user brings to Optimize. Naive but correct solutions (quadratic loops, exponential
recursion, list membership tests, recomputation, copies in a loop) of problems from the vendored data, each with
its tests and a workload; the product's own job (`Orchestrator.optimize`, what `refactorcoder optimize FILE::f
--tests T --workload W` runs, with the product's default settings and limits) is run on each, and the suite
reports the share of tasks with a verified improvement, the measured change and the job's wall time.

The tasks are data: ``evaluation/suites/slow_functions/<language>.toml`` (one ``[[task]]`` per task: id, source
{dataset, id}, entry_point, code, tests, workload, faster, slowness). ``faster`` is a known faster version,
used by this suite's own tests and never shown to a model. Per language what optimize takes:

* Python: the code is ``solution.py`` in a small project, the tests ``tests/test_solution.py`` (pytest, importing
  from ``solution``), the workload a Python expression calling the function.
* C++, Java, Go, Rust, JavaScript: the code is the file optimize targets, the tests a test program (a ``main``
  with assertions appended to the file; Go: a ``_test.go`` file of ``Test`` functions), the workload a program
  appended to the file whose ``main`` runs the workload N times, N being its last command-line argument.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from evaluation.context import Timer
from evaluation.suite import Item, Suite, SuiteReport, Table, limited, register
from evaluation.suites.common import by, latency_table, num, ok_rows, pct

TASKS_DIR = Path(__file__).resolve().parent / "slow_functions"
LANGUAGES = ("python", "cpp", "java", "go", "rust", "js")
FILE_NAMES = {"python": "solution.py", "cpp": "solution.cpp", "java": "Solution.java", "go": "solution.go",
              "rust": "solution.rs", "js": "solution.js"}


@dataclass
class SlowTask:
    """One slow-but-correct function with what optimize needs to work on it."""

    id: str
    language: str
    source: dict  # {"dataset": folder under evaluation/data, "id": the record's id, "file"?: the data file}
    entry_point: str
    code: str  # the whole file optimize targets
    tests: str  # Python: a pytest module; others: a test program
    workload: str  # Python: an expression; others: a program whose main loops N times
    faster: str  # a known faster version of the function (the whole file for the brace languages)
    slowness: str  # why the original is slow and what is known to be better

    @property
    def file_name(self) -> str:
        return FILE_NAMES[self.language]


def load_tasks(language: str, folder: Path | None = None) -> list[SlowTask]:
    """The tasks of one language, in file order; ValueError for a task that lacks a field or repeats an id."""
    path = (folder or TASKS_DIR) / f"{language}.toml"
    if not path.is_file():
        raise ValueError(f"no slow-function tasks for {language} ({path} is missing)")
    with path.open("rb") as fh:
        raw = tomllib.load(fh).get("task", [])
    tasks, seen = [], set()
    for number, entry in enumerate(raw, 1):
        missing = [f for f in ("id", "source", "entry_point", "code", "tests", "workload", "faster", "slowness")
                   if f not in entry]
        if missing:
            raise ValueError(f"{path}: task {number} lacks {', '.join(missing)}")
        if entry["id"] in seen:
            raise ValueError(f"{path}: task id {entry['id']!r} repeats")
        seen.add(entry["id"])
        tasks.append(SlowTask(language=language, **{k: v.strip("\n") + "\n" if isinstance(v, str) and k in (
            "code", "tests", "faster") else v for k, v in entry.items()}))
    return tasks


# -- checking the tasks themselves: tests pass, workload runs, the known faster version agrees ------------------

PY_CHECK = r'''
import json, sys, time, types
report = {}
for task in json.loads(open("tasks.json").read()):
    entry = {}
    for side in ("code", "faster"):
        module = types.ModuleType("solution")
        sys.modules["solution"] = module
        try:
            exec(compile(task[side], "solution.py", "exec"), module.__dict__)
            tests = {}
            exec(compile(task["tests"], "test_solution.py", "exec"), tests)
            names = [n for n in tests if n.startswith("test_") and callable(tests[n])]
            for name in names:
                tests[name]()
            fn = module.__dict__[task["entry_point"]]
            times = []
            for _ in range(task["repeats"]):
                t0 = time.process_time()
                answer = eval(task["workload"], module.__dict__)
                times.append(time.process_time() - t0)
            entry[side] = {"tests": len(names), "seconds": min(times), "answer": repr(answer)[:200]}
        except BaseException as exc:
            entry[side] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    report[task["id"]] = entry
print("SLOW-CHECK " + json.dumps(report))
'''


@dataclass
class TaskCheck:
    """A task's check in the sandbox: the original's and the faster version's test run and workload."""

    id: str
    language: str
    original_ok: bool
    faster_ok: bool
    same_answer: bool | None  # Python: the workload's answers agree; None where not compared
    original_s: float | None  # Python: CPU seconds of one workload call; others: one run of the workload program
    faster_s: float | None
    error: str = ""


def check_python(sandbox, tasks: list[SlowTask], repeats: int = 1) -> list[TaskCheck]:
    """Every Python task in one sandbox run: its tests on the original and on `faster`, one workload call each
    (CPU time, the best of `repeats`), and whether the two answer the same."""
    from sandbox.models import Limits, RunSpec

    payload = [{"id": t.id, "code": t.code, "faster": t.faster, "tests": t.tests, "workload": t.workload,
                "entry_point": t.entry_point, "repeats": repeats} for t in tasks]
    spec = RunSpec(language="python", files={"main.py": PY_CHECK, "tasks.json": json.dumps(payload)},
                   limits=Limits(wall_time_s=300, cpu_time_s=300, memory_mb=1024))
    result = sandbox.run(spec)
    line = next((ln for ln in reversed(result.stdout.splitlines()) if ln.startswith("SLOW-CHECK ")), None)
    if line is None:
        raise RuntimeError(f"the Python task check did not report ({result.status}): {result.stderr[-800:]}")
    report = json.loads(line[len("SLOW-CHECK "):])
    checks = []
    for t in tasks:
        original, faster = report[t.id]["code"], report[t.id]["faster"]
        checks.append(TaskCheck(t.id, "python", "error" not in original, "error" not in faster,
                                original.get("answer") == faster.get("answer") if "error" not in original else None,
                                original.get("seconds"), faster.get("seconds"),
                                original.get("error") or faster.get("error") or ""))
    return checks


def with_version(task: SlowTask, code: str) -> SlowTask:
    """The task with `code` (a function, as a job's accepted_code) in the original file as its `faster` side:
    check_python then re-measures an accepted version against the original, apart from the job's decision."""
    from dataclasses import replace

    from orchestrator.target import locate

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / task.file_name
        path.write_text(task.code, encoding="utf-8")
        return replace(task, faster=locate(f"{path}::{task.entry_point}").with_code(code))


def check_program_task(sandbox, task: SlowTask) -> TaskCheck:
    """A brace-language task: its test program on the original and on `faster`, and one run (N = 1) of the
    workload program with each, timed (CPU seconds)."""
    from orchestrator.target import locate
    from orchestrator.verify import HarnessExecution

    outcome = {}
    with tempfile.TemporaryDirectory() as tmp:
        for side, text in (("original", task.code), ("faster", task.faster)):
            path = Path(tmp) / side / task.file_name
            path.parent.mkdir()
            path.write_text(text, encoding="utf-8")
            target = locate(f"{path}::{task.entry_point}")
            exe = HarnessExecution(sandbox, target, task.tests)
            run = exe.run_tests(target.code, [])
            passed = bool(run.results) and all(r["passed"] for r in run.results)
            result = sandbox.run(exe.workload_program(target.code, [task.workload]).spec(1))
            error = "" if passed else "tests failed: " + "; ".join(r["error"][-300:] for r in run.results)
            if not result.ok:
                error += f" workload failed ({result.status.value}): {result.stderr[-300:]}"
            outcome[side] = (passed and result.ok, result.profile.cpu_time_s if result.ok else None, error.strip())
    (o_ok, o_s, o_err), (f_ok, f_s, f_err) = outcome["original"], outcome["faster"]
    return TaskCheck(task.id, task.language, o_ok, f_ok, None, o_s, f_s, o_err or f_err)


# -- the suite ----------------------------------------------------------------------------------------------


@dataclass
class JobOutcome:
    """What one optimize job on a task gave, for the run's database."""

    status: str  # the job's: accepted | unchanged | failed | cancelled
    improved: bool  # accepted: correct and measurably faster, verified by the product's checks
    ratio: float | None = None  # accepted code against the original: B/A of the metric (lower is better)
    ci: list[float] | None = None
    attempts: list[dict] = field(default_factory=list)  # {number, status, reason, seconds}
    model_calls: int = 0
    seconds: float = 0.0
    summary: str = ""
    notes: list[str] = field(default_factory=list)


def write_project(task: SlowTask, root: Path) -> Path:
    """The task as a user's project on disk; returns the file optimize targets."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / task.file_name
    path.write_text(task.code, encoding="utf-8")
    if task.language == "python":
        (root / "pyproject.toml").write_text("[project]\nname = 'slow'\n", encoding="utf-8")
        (root / "tests").mkdir(exist_ok=True)
        (root / "tests" / "test_solution.py").write_text(task.tests, encoding="utf-8")
    return path


def job_settings(model: str, api_base: str | None):
    """The product's default settings (models/settings.py) with every stage on `model` and no fallback: what a
    user with that one model configured gets."""
    from models.settings import Settings

    stage = {"model": model, "fallbacks": [], **({"api_base": api_base} if api_base else {})}
    return Settings.from_dict({name: stage for name in ("guide", "solve", "fix", "refine")} |
                              {"judge": {**stage, "temperature": 0.0}})


def run_optimize(task: SlowTask, model: str, sandbox, registry=None, *, api_base: str | None = None,
                 limits: dict | None = None, judge: bool = True):
    """One `refactorcoder optimize` job on the task, in a fresh project folder and history; returns the
    JobReport."""
    from orchestrator.loop import Orchestrator
    from orchestrator.pipeline import Pipeline
    from orchestrator.report import JobLimits
    from orchestrator.store import open_history
    from orchestrator.target import locate

    with tempfile.TemporaryDirectory(prefix="slow-") as tmp:
        path = write_project(task, Path(tmp) / "project")
        history = open_history(Path(tmp) / "history.db")
        pipeline = Pipeline(job_settings(model, api_base), history, registry=registry)
        orch = Orchestrator(pipeline, sandbox, limits=JobLimits(judge=judge, **(limits or {})))
        try:
            target = locate(f"{path}::{task.entry_point}")
            if task.language == "python":
                return orch.optimize(target, metric="time", workload=task.workload,
                                     tests_path=path.parent / "tests")
            return orch.optimize(target, metric="time", workload=task.workload, test_program=task.tests)
        finally:
            orch.close()
            history.close()


CODE_CHARS = 2000  # an attempt's code kept in the run's row at most


def outcome_of(report) -> JobOutcome:
    change = report.change or {}
    return JobOutcome(
        status=report.status, improved=report.status == "accepted", ratio=change.get("ratio"),
        ci=[change["ci_low"], change["ci_high"]] if "ci_low" in change else None,
        # Each attempt's strategy and code too: why a task was not improved is read from them.
        attempts=[{"number": a.number, "round": a.round, "strategy": a.strategy, "status": a.status,
                   "reason": a.reason[:300], "seconds": a.seconds, "code": (a.code or "")[:CODE_CHARS]}
                  for a in report.attempts],
        model_calls=report.model_calls, seconds=report.seconds, summary=report.summary, notes=report.notes[:10])


@register
class SlowFunctionsSuite(Suite):
    name = "slow-functions"
    description = "optimize naive-but-correct functions (tests + workload each): verified improvements, job time"
    uses_sandbox = True

    def items(self, options: dict) -> list[Item]:
        langs = options.get("langs") or ["python"]
        bad = [lang for lang in langs if lang not in LANGUAGES]
        if bad:
            raise ValueError(f"slow-functions has tasks for {', '.join(LANGUAGES)}, not {', '.join(bad)}")
        wanted = set(options.get("tasks") or [])
        job = {k: options[k] for k in ("api_base", "limits", "judge") if options.get(k) is not None}
        items = []
        for lang in langs:
            tasks = [t for t in load_tasks(lang) if not wanted or t.id in wanted]
            for m in options["models"]:
                for t in limited(tasks, options):
                    items.append(Item(key=f"{m}|{lang}|{t.id}", item_id=t.id, model=m, variant="optimize",
                                      group=lang, payload={**asdict(t), "_job": job}))
        return items

    def run_item(self, item: Item, ctx) -> dict:
        payload = dict(item.payload)
        options = payload.pop("_job", {})  # api_base (an OpenAI-compatible server), limits, judge
        task = SlowTask(**payload)
        registry = ctx.pipeline(item.model).registry  # the worker's registry: a local model loads once
        timer = Timer()
        started = time.monotonic()
        report = run_optimize(task, item.model, ctx.sandbox(), registry, api_base=options.get("api_base"),
                              limits=options.get("limits"), judge=options.get("judge", True))
        timer.add("orchestrator", time.monotonic() - started)
        outcome = outcome_of(report)
        return {"status": "ok", "answer": report.accepted_code or "", "expected": task.slowness,
                "test_result": {"passed": report.correct, "tests": f"{report.tests_passed}/{report.tests_total}",
                                "summary": report.summary},
                "profile": report.change, "latency": timer.latency,
                "metrics": {**asdict(outcome), "correct": report.correct, "wall_s": time.monotonic() - started}}

    def aggregate(self, rows: list[dict], options: dict) -> SuiteReport:
        done = ok_rows(rows)
        headline, per_task = [], []
        for (model, lang), part in by(done, "model", "grp").items():
            improved = [r for r in part if r["metrics"]["improved"]]
            speedups = [1.0 / r["metrics"]["ratio"] for r in improved if r["metrics"].get("ratio")]
            walls = [r["metrics"]["wall_s"] for r in part]
            headline.append([model, lang, f"{len(improved)}/{len(part)}", pct(len(improved) / len(part)),
                             f"{num(statistics.median(speedups))}x" if speedups else "—",
                             num(statistics.median(walls), 0), num(max(walls), 0),
                             num(statistics.mean(r["metrics"]["model_calls"] for r in part), 1)])
            for r in sorted(part, key=lambda r: r["item_id"]):
                m = r["metrics"]
                tried = ", ".join(a["status"] for a in m["attempts"]) or "—"
                per_task.append([model, lang, r["item_id"], m["status"], num(m.get("ratio"), 3), tried,
                                 num(m["wall_s"], 0)])
        tables = [Table("Optimize on slow-but-correct functions: verified improvements",
                        ["model", "language", "improved", "share", "median speed-up (improved)", "median job s",
                         "max job s", "model calls / job"], headline,
                        "improved = the job ended 'accepted': every test passed, the product's behaviour checks "
                        "agreed and its speed decision said 'better' against the original; speed-up = 1 / (B/A)."),
                  Table("Per task", ["model", "language", "task", "job", "B/A", "attempts", "job s"], per_task)]
        return SuiteReport([*tables, latency_table(rows, "language")], [],
                           {f"{m}|{lang}": row[3] for (m, lang), row in zip(by(done, "model", "grp"), headline)})
