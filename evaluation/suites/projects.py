"""projects: real pure-Python projects from PyPI, run as users run `refactorcoder fix` and `optimize` (issue 17.6).

Each project is a pinned sdist (name, version, sha256, license) in ``evaluation/suites/projects/<name>.toml``,
fetched by pip into a cache at the suite's set-up (never vendored; ``scripts/fetch_eval_projects.py`` does it
ahead of time) and unpacked there. A case changes one function of the pristine sources by a text patch (``find``
-> ``replace``, exactly once inside the target): a fix case injects a bug, an optimize case makes the function
slower but still correct, with a script whose run, traced in the sandbox (`refactorcoder trace -- python
bench.py`), gives optimize its inputs. Each case is worked on in a fresh copy of the project. The case files,
the sdists and a case's copy: evaluation/suites/project_cases.py; here, running the cases.

Two variants (``--variants``):

* ``mechanics`` (no model): the target resolves, the product's test discovery finds tests, they really run in the
  sandbox on the patched original (a fix case: at least one fails; an optimize case: all pass), and for optimize
  the trace holds inputs of the target and optimize's default workload runs on the original. What a job does
  before its first model call, through the product's own Job (orchestrator/job.py, orchestrator/refine.py).
* ``model`` (the default): the product's job, `Orchestrator.fix` / `Orchestrator.optimize` with no --tests and no
  --workload, with the product's default settings on the given model.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from evaluation.suite import Item, Suite, SuiteReport, Table, limited, register
from evaluation.suites.common import by, num, ok_rows, pct
from evaluation.suites.project_cases import Case, CaseError, case_project, load_projects

VARIANTS = ("mechanics", "model")


# -- one case ---------------------------------------------------------------------------------------------------


@dataclass
class Mechanics:
    """What a case gave before any model call: each part of the job that must work for a user."""

    target_resolved: bool = False
    tests_found: list[str] = field(default_factory=list)  # the test sources the product chose (files, doctests)
    runner: str = ""  # pytest | builtin (the driver's unittest/function runner)
    tests_ran: int = 0  # results that ran: passed or failed
    tests_failed: int = 0
    tests_not_run: int = 0
    sandbox_ok: bool = False  # the tests ran in the sandbox and the code loaded there
    traced_samples: int | None = None  # optimize: inputs of the target in the trace
    workload: str = ""  # optimize: where the default workload came from (the product's note)
    ok: bool = False
    problem: str = ""


def trace_case(case: Case, root: Path, sandbox) -> int:
    """`refactorcoder trace -- <case.trace>` in the project; the number of inputs sampled for the target."""
    from orchestrator.target import locate
    from orchestrator.trace.model import save, trace_path
    from orchestrator.trace.run import trace_command

    trace = trace_command(root, list(case.trace), sandbox)
    save(trace, trace_path(root))
    if trace.exit_code != 0:
        raise CaseError(f"the traced command exited {trace.exit_code}: {trace.output_tail[-600:]}")
    target = locate(f"{root / case.file}::{case.function}")
    found = trace.find(target.rel_path, target.qualname)
    return len(found.samples) if found is not None else 0


def mechanics(case: Case, root: Path, sandbox, history) -> Mechanics:
    """The job up to its first model call, through the product's Job: discovery, the original's test run in the
    sandbox and, for optimize, the trace, its replay tests and the default workload checked on the original.
    What stops it (a product error, the sandbox) is the case's problem, not the run's."""
    m = Mechanics()
    try:
        return _mechanics(case, root, sandbox, history, m)
    except Exception as exc:  # noqa: BLE001 - every case reports; the row says what failed
        m.problem = m.problem or f"{type(exc).__name__}: {str(exc)[:400]}"
        return m


def _mechanics(case: Case, root: Path, sandbox, history, m: Mechanics) -> Mechanics:
    from orchestrator.errors import OrchestratorError
    from orchestrator.job import Job
    from orchestrator.loop import Orchestrator
    from orchestrator.pipeline import Pipeline
    from orchestrator.report import JobLimits
    from orchestrator.target import locate

    from evaluation.suites.slow import job_settings

    try:
        target = locate(f"{root / case.file}::{case.function}")
    except OrchestratorError as exc:
        m.problem = f"target: {exc}"
        return m
    m.target_resolved = True
    if case.kind == "optimize":
        m.traced_samples = trace_case(case, root, sandbox)
    orch = Orchestrator(Pipeline(job_settings("local", None), history), sandbox, limits=JobLimits(judge=False))
    job = Job(orch, case.kind, target, cancel=None, on_event=None, metric="time" if case.kind == "optimize" else None)
    traced = None
    if case.kind == "optimize":
        from orchestrator.verify import add_replay_tests

        traced = add_replay_tests(job)  # refine() adds the trace's replays before it looks for tests
    m.tests_found = [t.name for t in job.suite.tests]
    m.runner = ",".join(sorted({t.runner for t in job.suite.tests if t.kind == "file"})) or "—"
    if not job.suite.tests:  # the job would ask a model to design tests (fix: stop): not a mechanics pass
        m.problem = "no tests found for the target"
        return m
    if case.kind == "fix":
        run = job.exe.run_tests(target.code, job.suite.tests)  # what Orchestrator._fix runs first
    else:
        from orchestrator.refine import _baseline, _workload  # the steps of refine() before its first model call

        _, run = _baseline(job, job.verifier("optimize"))
        exprs, too_small = _workload(job, None, traced)
        notes = [n for n in job.report.notes if n.startswith("workload")]
        m.workload = too_small or (notes[-1] if notes else f"{len(exprs)} calls")
        if too_small or not exprs:
            m.problem = f"no measurable workload: {too_small}"
        elif not m.traced_samples or traced is None:
            m.problem = "the trace holds no inputs of the target: the workload is not the traced one"
    passed, m.tests_ran = run.counts()
    m.tests_failed, m.tests_not_run = m.tests_ran - passed, len(run.not_run)
    m.sandbox_ok = run.error is None
    if run.error:
        m.problem = f"sandbox: {run.error[:400]}"
    elif not m.tests_ran:
        m.problem = m.problem or "no test ran"
    elif case.kind == "fix" and not m.tests_failed:
        m.problem = "no selected test fails on the injected bug"
    elif case.kind == "optimize" and m.tests_failed:
        m.problem = m.problem or f"{m.tests_failed} test(s) fail on the slowed original"
    m.ok = m.target_resolved and m.sandbox_ok and not m.problem
    return m


def run_job(case: Case, root: Path, model: str, sandbox, history, registry=None, *, api_base=None, limits=None):
    """`refactorcoder fix|optimize FILE::f` in the project, no --tests and no --workload (optimize: after the
    trace); the JobReport."""
    from orchestrator.loop import Orchestrator
    from orchestrator.pipeline import Pipeline
    from orchestrator.report import JobLimits
    from orchestrator.target import locate

    from evaluation.suites.slow import job_settings

    if case.kind == "optimize":
        trace_case(case, root, sandbox)
    orch = Orchestrator(Pipeline(job_settings(model, api_base), history, registry=registry), sandbox,
                        limits=JobLimits(**(limits or {})))
    target = locate(f"{root / case.file}::{case.function}")
    if case.kind == "fix":
        return orch.fix(target)
    return orch.optimize(target, metric="time")


def run_case(case: Case, variant: str, sandbox, *, model: str = "local", registry=None, job: dict | None = None) -> dict:
    """One case in a fresh copy of its project: the suite's row metrics (mechanics, and the job's outcome)."""
    from orchestrator.store import open_history

    from evaluation.suites.slow import outcome_of

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="rc-projects-") as tmp:
        history = open_history(Path(tmp) / "history.db")
        try:
            root = case_project(case, Path(tmp))
            if variant == "mechanics":
                result = {"mechanics": asdict(mechanics(case, root, sandbox, history))}
            else:
                report = run_job(case, root, model, sandbox, history, registry, **(job or {}))
                result = {"job": asdict(outcome_of(report)), "tests": f"{report.tests_passed}/{report.tests_total}",
                          "suites": report.suites, "correct": report.correct, "answer": report.accepted_code or ""}
        finally:
            history.close()
    return {**result, "wall_s": time.monotonic() - started}


# -- the suite --------------------------------------------------------------------------------------------------


@register
class ProjectsSuite(Suite):
    name = "projects"
    description = ("fix injected bugs / optimize slowed functions in pinned PyPI projects with their own tests and "
                   "traced inputs (--variants mechanics: no model)")
    uses_sandbox = True

    def items(self, options: dict) -> list[Item]:
        variants = options.get("variants") or ["model"]
        bad = [v for v in variants if v not in VARIANTS]
        if bad:
            raise ValueError(f"projects has the variants {', '.join(VARIANTS)}, not {', '.join(bad)}")
        wanted = set(options.get("cases") or [])
        cases = [c for p in load_projects() for c in p.cases if not wanted or c.id in wanted]
        job = {k: options[k] for k in ("api_base", "limits") if options.get(k) is not None}
        items = []
        for variant in variants:
            models = [None] if variant == "mechanics" else options.get("models") or ["local"]
            for model in models:
                for c in limited(cases, options):
                    key = f"{variant}|{model or '-'}|{c.id}"
                    items.append(Item(key=key, item_id=c.id, model=model, variant=variant, group=c.kind,
                                      payload={**asdict(c), "_job": job}))
        return items

    def run_item(self, item: Item, ctx) -> dict:
        payload = dict(item.payload)
        job = payload.pop("_job", {})
        case = Case(**payload)
        registry = ctx.pipeline(item.model).registry if item.model else None
        result = run_case(case, item.variant, ctx.sandbox(), model=item.model or "local", registry=registry, job=job)
        if item.variant == "mechanics":
            m = result["mechanics"]
            return {"status": "ok", "expected": case.why, "latency": {"orchestrator": result["wall_s"]},
                    "test_result": {"passed": m["ok"], "tests": f"{m['tests_ran']} ran, {m['tests_failed']} failed"},
                    "metrics": {**result, "correct": m["ok"]}}
        return {"status": "ok", "answer": result.pop("answer"), "expected": case.why,
                "test_result": {"passed": result["correct"], "tests": result["tests"]},
                "latency": {"orchestrator": result["wall_s"]},
                "metrics": {**result, "improved": result["job"]["status"] == "accepted"}}

    def aggregate(self, rows: list[dict], options: dict) -> SuiteReport:
        done = ok_rows(rows)
        tables, summary = [], {}
        mech = [r for r in done if r["variant"] == "mechanics"]
        if mech:
            good = sum(r["metrics"]["mechanics"]["ok"] for r in mech)
            summary["mechanics"] = good / len(mech)
            per_case = []
            for r in sorted(mech, key=lambda r: r["item_id"]):
                m = r["metrics"]["mechanics"]
                per_case.append([r["item_id"], r["grp"], len(m["tests_found"]), m["runner"],
                                 f"{m['tests_ran']} ({m['tests_failed']} failed, {m['tests_not_run']} not run)",
                                 "yes" if m["target_resolved"] else "NO", "yes" if m["sandbox_ok"] else "NO",
                                 "—" if m["traced_samples"] is None else m["traced_samples"],
                                 "ok" if m["ok"] else m["problem"][:120], num(r["metrics"]["wall_s"], 0)])
            tables.append(Table("Mechanics (no model)", ["cases", "mechanics OK", "share"],
                                [[len(mech), good, pct(good / len(mech))]],
                                "OK = the target resolved, tests were found and ran in the sandbox on the patched "
                                "original (fix: at least one failed; optimize: none failed, the trace held inputs "
                                "and the default workload ran)."))
            tables.append(Table("Per case (mechanics)", ["case", "kind", "tests found", "runner",
                                                         "tests ran for real", "target", "sandbox", "traced inputs",
                                                         "verdict", "wall s"], per_case))
        jobs = [r for r in done if r["variant"] == "model"]
        headline, per_case = [], []
        for (model, kind), part in by(jobs, "model", "grp").items():
            good = [r for r in part if r["metrics"]["improved"]]
            summary[f"{model}|{kind}"] = len(good) / len(part)
            headline.append([model, kind, f"{len(good)}/{len(part)}", pct(len(good) / len(part))])
            for r in sorted(part, key=lambda r: r["item_id"]):
                j = r["metrics"]["job"]
                per_case.append([model, r["item_id"], kind, r["metrics"]["tests"], j["status"], num(j.get("ratio"), 3),
                                 ", ".join(a["status"] for a in j["attempts"]) or "—", num(r["metrics"]["wall_s"], 0)])
        if jobs:
            tables.append(Table("fix / optimize with a model", ["model", "kind", "accepted", "share"], headline,
                                "accepted = the job ended 'accepted' (fix: every test passes; optimize: tests, "
                                "behaviour checks and the speed decision against the slowed original)."))
            tables.append(Table("Per case (model)", ["model", "case", "kind", "tests", "job", "B/A", "attempts",
                                                     "wall s"], per_case))
        return SuiteReport(tables, [], summary)
