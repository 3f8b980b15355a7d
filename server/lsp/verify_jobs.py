"""Fix with tests, Optimize and an executing Judge as background jobs: the orchestrator (generate -> fix ->
refine, every candidate run in the sandbox) behind the same job machinery as Guide/Solve (progress,
cancel, notifications). The target is the function as the editor has it (unsaved text included); the
project's tests are found next to it on disk. A proposal replaces exactly that function's text.
"""

from __future__ import annotations

import ast
import logging
import re
import statistics
import threading
from dataclasses import dataclass, field

from server.lsp.solution_edit import Proposal, reindent, uri_to_path
from server.reports.verdict import verdict_line

logger = logging.getLogger(__name__)

METRIC_LABELS = {"time": "time", "peak_memory": "peak memory", "mean_memory": "mean memory", "cpu": "CPU utilisation"}
PROFILE_FIELDS = {"time": "cpu_time_s", "wall_time": "wall_time_s", "peak_memory": "peak_memory_bytes",
                  "mean_memory": "mean_memory_bytes", "cpu": "cpu_utilisation"}
MEASURE_RUNS = 3  # runs per side for the four-metric before/after bars (the decision itself is the proof)


class SandboxHolder:
    """One warm sandbox pool for the server's jobs, created on first use, closed at shutdown."""

    def __init__(self):
        self._lock = threading.Lock()
        self._sandbox = None

    def get(self):
        with self._lock:
            if self._sandbox is None:
                from sandbox.pool import Sandbox

                self._sandbox = Sandbox(pool_size=2)
            return self._sandbox

    def close(self) -> None:
        with self._lock:
            if self._sandbox is not None:
                try:
                    self._sandbox.close()
                except Exception:  # noqa: BLE001 - shutting down anyway
                    logger.exception("sandbox close failed")
                self._sandbox = None


def target_from_document(uri: str, text: str, extraction):
    """The orchestrator's Target for the function the extraction found, on the editor's text."""
    from orchestrator.target import TargetError, language_of, locate_braced, project_root

    path = uri_to_path(uri)
    if path is None:
        raise TargetError(f"{uri}: Fix and Optimize need a file on disk (its project's tests run beside it)")
    if extraction.name is None or extraction.code is None:
        raise TargetError("put the cursor in a function: Fix and Optimize work on one function")
    language = language_of(path, {"javascript": "js"}.get(extraction.language, extraction.language))
    if language == "python":
        target = _python_target(path, text, extraction)
    else:
        target = locate_braced(path, text, extraction.name, language)
    target.root = project_root(path)
    return target


def _python_target(path, text: str, extraction):
    from orchestrator.target import Target, TargetError, parse_python

    tree = parse_python(text, path.name)
    found = None
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.lineno - 1 == extraction.anchor_line:
                    found = (item, node.name)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.lineno - 1 == extraction.anchor_line:
            found = found or (node, None)
    if found is None:
        raise TargetError(f"{path.name}: no function {extraction.name!r} at line {extraction.anchor_line + 1}")
    node, cls = found
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    first = min([node.lineno, *[d.lineno for d in node.decorator_list]])
    indent = re.match(r"[ \t]*", lines[first - 1]).group(0)
    end = starts[node.end_lineno - 1] + len(lines[node.end_lineno - 1].rstrip("\r\n"))
    return Target(path=path, name=node.name, language="python", text=text, start=starts[first - 1] + len(indent),
                  end=end, qualname=f"{cls}.{node.name}" if cls else node.name, class_name=cls, indent=indent,
                  docstring=ast.get_docstring(node))


@dataclass
class JobOptions:
    metric: str = "time"
    workload: str | None = None
    limits: dict = field(default_factory=dict)


def expected_job_error(exc: Exception) -> bool:
    """An orchestrator or sandbox error: the job's own failure, reported as such (not a server bug)."""
    from orchestrator.errors import OrchestratorError

    try:
        from sandbox.errors import SandboxError
    except Exception:  # pragma: no cover
        SandboxError = ()  # noqa: N806
    return isinstance(exc, (OrchestratorError, SandboxError))


class OrchestratorRunner:
    """fix | optimize | judge (executed) for one function."""

    def __init__(self, kind: str, options: JobOptions, orchestrator_target, sandboxes: SandboxHolder):
        self.kind, self.options, self.target, self.sandboxes = kind, options, orchestrator_target, sandboxes
        self.attempt: dict | None = None  # the latest "attempt" event: stage, number, model, round, strategy
        self.search: dict | None = None  # optimize: where the round stands (jobProgress.search, camelCase)

    def plan(self, kind, extraction):
        return (kind,), None

    def verified(self, job) -> bool:
        return self.kind in ("fix", "optimize")

    def expected_error(self, exc: Exception) -> bool:
        return expected_job_error(exc)

    # -- the work (a worker thread) ----------------------------------------------------------------------
    def work(self, manager, job) -> dict:
        from models.errors import Cancelled
        from orchestrator.loop import Job as OJob
        from orchestrator.loop import Orchestrator
        from orchestrator.report import JobLimits

        limits = JobLimits(**self.options.limits)
        with manager.server.pipelines.lease() as pipeline:
            if job.cancel.is_set():
                raise Cancelled("cancelled before start")
            orch = Orchestrator(pipeline, sandbox=_Lazy(self.sandboxes), limits=limits)
            on_event = lambda kind, data: self._on_event(manager, job, limits, kind, data)  # noqa: E731
            okind = {"judge": "fix"}.get(self.kind, self.kind)
            ojob = OJob(orch, okind, self.target, cancel=job.cancel, on_event=on_event,
                        metric=self.options.metric if self.kind == "optimize" else None)
            run_tests = ojob.exe.run_tests

            def tests_with_progress(code, tests):
                self._say(manager, job, limits, f"running {len(tests)} test{'s' if len(tests) != 1 else ''} in the sandbox")
                return run_tests(code, tests)

            ojob.exe.run_tests = tests_with_progress
            self._progress = lambda what: self._say(manager, job, limits, what)  # noqa: E731
            if self.kind == "fix":
                report = orch._run(ojob, orch._fix)
            elif self.kind == "optimize":
                from orchestrator.refine import refine

                report = orch._run(ojob, lambda j: refine(j, self.options.metric, self.options.workload))
            else:
                report = orch._run(ojob, self._judge)
            out = report.model_dump(mode="json")
            out["kind"] = self.kind
            out["uri"], out["function"] = job.uri, self.target.qualname or self.target.name
            out["failing_tests"] = self._failing(orch, report)
            if self.kind == "optimize":
                out["samples"] = self._samples(orch, report)
                if report.status == "accepted" and report.accepted_code and not job.cancel.is_set():
                    self._say(manager, job, limits, "measuring the four metrics before and after")
                    out["measurements"] = self._measure(ojob, report.accepted_code)
            if self.kind == "judge" and not report.tests_total:
                out["execution"] = "not run"
            out["verdict"] = verdict_line(out)
            return out

    def _judge(self, ojob):
        """Judge with execution: the function's tests in the sandbox, then the judge; one verdict."""
        run = None
        if ojob.suite.tests:
            try:
                run = ojob.exe.run_tests(self.target.code, ojob.suite.tests)
            except Exception as exc:  # noqa: BLE001 - no engine: the judge alone, and the report says so
                if not self.expected_error(exc):
                    raise
                ojob.report.notes.append(f"execution not run: {exc}")
        else:
            ojob.report.notes.append(f"execution not run: no tests call {self.target.name} "
                                     "(add test_*.py beside it, or a doctest)")
        ojob.report.summary = "judged with execution" if run else "judged (no execution)"
        self._progress(f"judge · {self.target.name}" + (f" · tests {run.counts()[0]}/{run.counts()[1]}" if run else ""))
        return ojob.finish(None, run, "unchanged")

    def _say(self, manager, job, limits, what: str) -> None:
        prefix, percentage = self._prefix(limits)
        manager.progress_threadsafe(job, f"{prefix}{what}", percentage, **self._detail(limits))

    def _detail(self, limits) -> dict:
        """jobProgress's typed fields: the attempt under way and, for optimize, where its round stands."""
        a = self.attempt
        detail = {"stage": a["stage"], "attempt": a["number"], "of": limits.max_attempts, "model": a["model"],
                  "round": a["round"], "strategy": a["strategy"] or None} if a else {}
        if self.search is not None:
            detail["search"] = {k: v for k, v in self.search.items() if v is not None}
        return detail

    def _prefix(self, limits) -> tuple[str, int | None]:
        if self.attempt is None:
            return "", None
        a = self.attempt
        # Optimize's search names its round and the sample's strategy first: "round 2 · plan 1 · refine 4/9 · …".
        where = f"round {a['round']} · {a['strategy']} · " if a.get("round") else ""
        return (f"{where}{a['stage']} {a['number']}/{limits.max_attempts} · {a['model']} · ",
                int(100 * (a["number"] - 1) / limits.max_attempts))

    def _on_event(self, manager, job, limits, kind: str, data: dict) -> None:
        if kind == "attempt":
            self.attempt = {"stage": data.get("stage", ""), "number": int(data.get("number", 0)),
                            "model": str(data.get("model", "")), "round": data.get("round"),
                            "strategy": data.get("strategy", "")}
            self._say(manager, job, limits, "asking the model")
        elif kind == "search":
            self.search = {"round": data["round"], "rounds": data.get("rounds"), "candidates": data["candidates"],
                           "step": data["step"], "strategy": data.get("strategy")}
            return
        elif kind == "stage":
            self._track_search(data)
            self._say(manager, job, limits, data.get("message") or data.get("stage", ""))
        elif kind == "result":
            tests = f" · tests {data.get('tests_passed', 0)}/{data.get('tests_total', 0)}" if data.get("tests_total") else ""
            self._say(manager, job, limits, f"{data.get('status', '')}{tests}")

    def _track_search(self, data: dict) -> None:
        """A screen of the round under way (tests → differential → screen → measure) and its counts."""
        if self.search is None:
            return
        stage = data.get("stage")
        if stage in ("tests", "differential", "screen", "measure"):
            self.search["step"] = stage
        elif stage == "round" and "passed" in data:
            self.search.update(candidates=data["candidates"], passedTests=data["passed"],
                               timing=data.get("timing") or None)

    # -- what the report view needs -------------------------------------------------------------------
    def _failing(self, orch, report) -> list[dict]:
        """The tests the original fails (what Fix found), with their error."""
        if report.run_id is None:
            return []
        rows = orch.store.rows("test_results", report.run_id)
        cands = {c["id"]: c for c in orch.store.rows("candidates", report.run_id)}
        return [{"name": r["name"], "suite": r["suite"], "detail": (r.get("detail") or "")[-600:]}
                for r in rows if not r["passed"] and r.get("status") not in ("skipped", "not run")
                and cands.get(r["candidate_id"], {}).get("stage") == "original"][:20]

    def _samples(self, orch, report) -> list[dict]:
        """Every decision's timed samples (baseline a, candidate b), for the distribution plot."""
        import json

        if report.run_id is None:
            return []
        out = []
        for row in orch.store.rows("decisions", report.run_id):
            data = json.loads(row.get("data") or "{}")
            out.append({"candidate_id": row["candidate_id"], "verdict": row["verdict"], "metric": row["metric"],
                        "unit": data.get("unit", ""), "ratio": row["ratio"], "ci_low": row["ci_low"],
                        "ci_high": row["ci_high"], "a": data.get("samples_a", [])[:400],
                        "b": data.get("samples_b", [])[:400]})
        return out

    def _measure(self, ojob, accepted: str) -> dict | None:
        """All four metrics, original vs accepted, medians of a few sandbox runs of the workload."""
        from orchestrator.refine import default_workload

        try:
            exprs = [self.options.workload] if self.options.workload else default_workload(ojob)[0]
            repeat = int((ojob.report.decision or {}).get("loop_count") or 1)
            runner = ojob.exe.runner  # the job's own runner: brace languages time one call per process through it
            out = {}
            for side, code in (("before", self.target.code), ("after", accepted)):
                spec = ojob.exe.workload_program(code, exprs).spec(repeat)
                profiles = []
                for _ in range(MEASURE_RUNS):
                    ojob.check()
                    result = runner.run(spec)
                    if not getattr(result, "ok", False):
                        return None
                    profiles.append(result.profile.model_dump())
                out[side] = {m: statistics.median(float(p.get(f, 0.0)) for p in profiles)
                             for m, f in PROFILE_FIELDS.items()}
            out["runs"], out["loops"] = MEASURE_RUNS, repeat
            return out
        except Exception as exc:  # noqa: BLE001 - the bars are a bonus; the decision is the proof
            if type(exc).__name__ == "Cancelled":
                raise
            logger.info("four-metric measurement skipped: %s", exc)
            return None

    def proposal(self, manager, job) -> Proposal | None:
        report = job.report or {}
        code = report.get("accepted_code")
        if report.get("status") != "accepted" or not code or job.target.code is None:
            return None
        return Proposal(job.uri, job.version, job.target.span, job.target.code, reindent(code.strip("\n"), job.target.code),
                        name=job.target.name, verdict=report.get("verdict", ""), kind=self.kind,
                        extra={"runId": report.get("run_id")})


class _Lazy:
    """The shared sandbox, started only when a job first runs something."""

    def __init__(self, holder: SandboxHolder):
        self._holder = holder

    def __getattr__(self, name):
        return getattr(self._holder.get(), name)

    def close(self):  # the pool outlives a job
        pass
