"""The `fix`, `optimize` and `judge` tools: the orchestrator's jobs and the pipeline's judge, run as the CLI
runs them (server/cli/orchestrate.py, server/cli/__init__.py) but returning typed results instead of printing.

Each job runs in a worker thread (progress.run_job): its stage and attempt events become progress
notifications, the client's cancellation sets its cancel event, and its report is kept for `report` and the
`refactorcoder://runs/ID` resource. Candidates run only in the sandbox; nothing the agent sends runs here.
"""

from __future__ import annotations

import logging
from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from server.mcp_server import resources
from server.mcp_server.evidence import job_result
from server.mcp_server.progress import run_job
from server.mcp_server.schemas import (JOB, Budget, BudgetArg, Code, File, Function, JobResult, JudgeResult, Language,
                                       Metric, TestCode, TestsPath)
from server.mcp_server.state import ServerState
from server.mcp_server.targets import Located, agent_wording, locate

log = logging.getLogger(__name__)


def _limits(budget: Budget | None):
    from orchestrator.report import JobLimits

    budget = budget or Budget()
    given = budget.model_dump(exclude_none=True, exclude={"judge"})
    return JobLimits(judge=budget.judge, **given)


def _describe(event: str, data: dict) -> str | None:
    if event == "stage":
        return str(data.get("message") or data.get("stage"))
    if event == "attempt":
        return f"{data['stage']} attempt {data['number']} on {data['model']}"
    if event == "result":
        return (f"{data['status']}: tests {data['tests_passed']}/{data['tests_total']}"
                + (f"; {str(data['reason'])[:160]}" if data.get("reason") else ""))
    return None


async def _orchestrate(state: ServerState, ctx: Context, kind: str, located: Located, budget: Budget | None,
                       **job_args) -> JobResult:
    settings, limits = state.settings, _limits(budget)

    def work(cancel, emit):
        from orchestrator.loop import Orchestrator
        from orchestrator.pipeline import Pipeline
        from orchestrator.store import RunStore, open_history

        history = open_history(settings.resolved_history_path())
        pipeline = Pipeline(settings, history, notify=lambda message: log.warning("%s", message))
        orch = Orchestrator(pipeline, limits=limits)

        def on_event(event: str, data: dict) -> None:
            message = _describe(event, data)
            if message:
                emit(message)

        try:
            method = orch.fix if kind == "fix" else orch.optimize
            report = method(located.target, tests_path=located.tests_path, test_program=located.test_program,
                            cancel=cancel, on_event=on_event, **job_args)
            store_rows = RunStore(history).rows("test_results", report.run_id) if report.run_id else []
            candidates = RunStore(history).rows("candidates", report.run_id) if report.run_id else []
            return report, store_rows, candidates
        finally:
            orch.close()
            pipeline.close()
            history.close()

    from models.errors import Cancelled, RefactorCoderError

    try:
        report, test_rows, candidates = await run_job(ctx, work, first=f"{kind} {located.target.label()}")
    except Cancelled:
        raise ToolError(f"{kind} cancelled: nothing was changed") from None
    except RefactorCoderError as exc:  # OrchestratorError (bad input) and model errors: the message says why
        raise ToolError(agent_wording(str(exc))) from None
    except Exception as exc:
        from sandbox.errors import SandboxError

        if isinstance(exc, SandboxError):
            raise ToolError(f"sandbox: {exc}") from None
        raise
    finally:
        located.close()
    result = job_result(report, test_rows, candidates)
    resources.save(settings, run_id=report.run_id, kind=kind, status=report.status, title=report.target,
                   function=located.target.qualname or located.target.name, report=report.model_dump(mode="json"))
    return result


def register(server, state: ServerState) -> None:
    @server.tool(annotations=JOB, title="Fix a function until its tests pass")
    async def fix(function: Function, file: File = None, code: Code = None, language: Language = None,
                  tests: TestsPath = None, test_code: TestCode = None, budget: BudgetArg = None,
                  ctx: Context = None) -> JobResult:
        """Fix a function until its tests pass. Candidates from the configured models run in the sandbox; a
        fix is accepted only when every test passes and it keeps no state between calls. Returns the verdict,
        the tests passed/total with names, the checks that ran and the diff (the file is not written)."""
        located = locate(await state.roots(ctx), file=file, code=code, function=function, language=language,
                         tests=tests, test_code=test_code)
        return await _orchestrate(state, ctx, "fix", located, budget)

    @server.tool(annotations=JOB, title="Make a function measurably faster or leaner, with proof")
    async def optimize(function: Function, file: File = None, code: Code = None, language: Language = None,
                       metric: Annotated[Metric, Field(description="what to make smaller")] = "time",
                       workload: Annotated[str | None, Field(description=(
                           "Python: the call to time, e.g. 'f(list(range(1000)))'; other languages: a program "
                           "whose main repeats the work N times, N its last argument"))] = None,
                       tests: TestsPath = None, test_code: TestCode = None, budget: BudgetArg = None,
                       ctx: Context = None) -> JobResult:
        """Make a function measurably better on `metric` without changing what it does. A candidate is
        accepted only when the tests still pass, differential inputs agree with the original, no state is kept
        between calls, and a paired interleaved measurement says 'better'. Returns the ratio and interval."""
        located = locate(await state.roots(ctx), file=file, code=code, function=function, language=language,
                         tests=tests, test_code=test_code)
        return await _orchestrate(state, ctx, "optimize", located, budget, metric=metric, workload=workload)

    @server.tool(annotations=JOB, title="Ask the judge model for scores")
    async def judge(file: File = None, code: Code = None,
                    function: Annotated[str | None, Field(description="with `file`: the function to judge")] = None,
                    language: Language = None,
                    problem: Annotated[str | None, Field(description="what the code should do (default: the "
                                                         "function's docstring or comment)")] = None,
                    ctx: Context = None) -> JudgeResult:
        """Scores (accuracy, clarity, efficiency, 1-5) and feedback from the judge model. Nothing is run:
        the result is an opinion and says 'unverified'; use `fix` or `optimize` for proof."""
        return await _judge(state, ctx, file=file, code=code, function=function, language=language,
                            problem=problem)


async def _judge(state: ServerState, ctx: Context, *, file, code, function, language, problem) -> JudgeResult:
    from models.types import Problem

    if (file is None) == (code is None):
        raise ToolError("give exactly one of `file` (with `function`) or `code`")
    if file is not None:
        from server.cli.targets import TargetError, resolve_target

        path = (await state.roots(ctx)).confine(file, "file")
        try:
            extraction, source = resolve_target(f"{path}::{function}" if function else str(path), language)
        except TargetError as exc:
            raise ToolError(agent_wording(str(exc))) from None
        judged = extraction.to_problem(source=source)
        if problem:
            judged.description = problem
        if not judged.code:
            raise ToolError(f"{file}: nothing to judge there (no code)")
    else:
        judged = Problem(title=function or "code", description=problem or "", code=code,
                         language=language or "python", source="mcp")
    settings = state.settings

    def work(cancel, emit):
        from orchestrator.pipeline import Pipeline
        from orchestrator.store import open_history

        history = open_history(settings.resolved_history_path())
        pipeline = Pipeline(settings, history, notify=lambda message: log.warning("%s", message))
        try:
            return pipeline.run(judged, stages=("judge",), solution=judged.code, cancel=cancel,
                                on_stage=lambda stage: emit(f"{stage} on {settings.judge.model}"))
        finally:
            pipeline.close()
            history.close()

    from models.errors import Cancelled, RefactorCoderError

    try:
        report = await run_job(ctx, work, first="judge")
    except Cancelled:
        raise ToolError("judge cancelled") from None
    except RefactorCoderError as exc:
        raise ToolError(str(exc)) from None
    judgment = report.judgment
    result = JudgeResult(run_id=report.run_id, report_uri=resources.run_uri(report.run_id),
                         model=judgment.raw.model_id,
                         scores=judgment.scores.model_dump() if judgment.scores else None,
                         strengths=judgment.strengths, weaknesses=judgment.weaknesses, feedback=judgment.feedback,
                         notes=list(judgment.raw.notes))
    resources.save(settings, run_id=report.run_id, kind="judge", status="done", title=judged.title,
                   function=function, report=report.model_dump(mode="json"))
    return result
