"""The `run` and `compare` tools: one program in the sandbox with its profile (as `refactorcoder run`), and the
paired interleaved measurement of two programs (as `refactorcoder compare`, profiling.compare_programs)."""

from __future__ import annotations

import ast
import time
from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from server.mcp_server.paths import Roots
from server.mcp_server.progress import run_blocking, run_job
from server.mcp_server.schemas import JOB, Code, CompareMetric, CompareResult, File, Language, Profile, RunResult, Source
from server.mcp_server.state import ServerState
from server.mcp_server.targets import sandbox_language
from server.mcp_server.evidence import measurement


def _read(roots: Roots, source: Source | None, what: str) -> tuple[str, str | None, object | None]:
    """(text, function or None, path or None) of a Source: `file` may be FILE::function."""
    if source is None or (source.file is None) == (source.code is None):
        raise ToolError(f"`{what}`: give exactly one of `file` (a path inside the workspace) or `code`")
    if source.code is not None:
        return source.code, None, None
    path_text, _, function = source.file.partition("::")
    path = roots.confine(path_text, f"{what}.file")
    try:
        return path.read_text(encoding="utf-8"), function or None, path
    except (OSError, UnicodeDecodeError) as exc:
        raise ToolError(f"{what}.file {path_text!r}: cannot read it ({exc})") from None


def _check_python(text: str, function: str | None, what: str) -> None:
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise ToolError(f"`{what}` does not parse: line {exc.lineno}: {exc.msg}") from None
    if function and not any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name == function
                            for n in tree.body):
        raise ToolError(f"`{what}` has no top-level function {function!r}")


def register(server, state: ServerState) -> None:
    @server.tool(annotations=JOB, title="Run code in the sandbox, with its profile")
    async def run(file: File = None, code: Code = None, language: Language = None,
                  stdin: Annotated[str | None, Field(description="text fed to the program's standard input")] = None,
                  args: Annotated[list[str], Field(description="the program's arguments")] = [],  # noqa: B006
                  wall_time_s: Annotated[float, Field(gt=0, le=600, description="wall-clock limit")] = 10.0,
                  memory_mb: Annotated[int, Field(ge=32, le=16384, description="memory limit (no swap)")] = 512,
                  ctx: Context = None) -> RunResult:
        """Run a program in the hardened sandbox (no network, read-only image, limits) and return its output,
        status and profile: wall and CPU time, peak and mean memory, CPU utilisation."""
        if (file is None) == (code is None):
            raise ToolError("give exactly one of `file` (a path inside the workspace) or `code`")
        path = (await state.roots(ctx)).confine(file, "file") if file is not None else None
        lang = sandbox_language(language, path)
        text = path.read_text(encoding="utf-8", errors="replace") if path is not None else code
        from sandbox.models import Limits, RunSpec
        from sandbox.pool import run as run_in_sandbox

        spec_files = {}
        if lang == "java" or (lang == "go" and path is not None and path.name.endswith("_test.go")):
            spec_files["files"] = {path.name if path is not None else "Main.java": text}
        else:
            spec_files["source"] = text
        spec = RunSpec(language=lang, stdin=stdin, args=args,
                       limits=Limits(wall_time_s=wall_time_s, cpu_time_s=wall_time_s, memory_mb=memory_mb),
                       **spec_files)
        from sandbox.errors import SandboxError

        started = time.perf_counter()
        try:
            result = await run_blocking(lambda: run_in_sandbox(spec))
        except SandboxError as exc:
            raise ToolError(f"sandbox: {exc}") from None
        p = result.profile
        compile_output = (result.compile.stdout + result.compile.stderr) if result.compile is not None else ""
        return RunResult(status=result.status.value, exit_code=result.exit_code, phase=result.phase,
                         stdout=result.stdout, stderr=result.stderr,
                         truncated=result.stdout_truncated or result.stderr_truncated,
                         compile_output=compile_output, message=result.message, language=lang,
                         profile=Profile(wall_time_s=p.wall_time_s, cpu_time_s=p.cpu_time_s,
                                         peak_memory_bytes=p.peak_memory_bytes, mean_memory_bytes=p.mean_memory_bytes,
                                         cpu_utilisation=p.cpu_utilisation),
                         seconds=round(time.perf_counter() - started, 6))

    @server.tool(annotations=JOB, title="Is B measurably better than A?")
    async def compare(a: Annotated[Source, Field(description="baseline: a file (FILE::function with `workload`) "
                                                 "or code")],
                      b: Annotated[Source, Field(description="candidate: a file or code")],
                      language: Language = None,
                      metric: Annotated[CompareMetric, Field(description="lower is better for all")] = "time",
                      workload: Annotated[str | None, Field(description=(
                          "Python: the expression timed in each program's namespace, e.g. 'f(list(range(5000)))'"
                          "; compares two versions of a function"))] = None,
                      setup: Annotated[str, Field(description="Python: statements run once before the workload")] = "",
                      self_looping: Annotated[bool, Field(description=(
                          "the programs repeat their work N times, N their last argument (C++, Java, Go, Rust)"))] = False,
                      stdin: Annotated[str | None, Field(description="input for both programs")] = None,
                      budget_s: Annotated[float, Field(ge=0, le=600, description="time for extra pairs")] = 60.0,
                      min_pairs: Annotated[int, Field(ge=2, le=1000)] = 6,
                      max_pairs: Annotated[int, Field(ge=2, le=1000)] = 100,
                      min_effect: Annotated[float, Field(ge=0, le=0.99, description="smallest change called a "
                                                         "change")] = 0.05,
                      alpha: Annotated[float, Field(gt=0, le=0.5)] = 0.05,
                      ctx: Context = None) -> CompareResult:
        """Run A and B interleaved in one warm sandbox and decide: better, worse or no significant difference,
        with the ratio B/A (Hodges-Lehmann), its interval, the paired test's p and the pairs measured. Measures
        only: it does not check that A and B do the same thing (`optimize` does)."""
        roots = await state.roots(ctx) if (a.file or b.file) else Roots((), "none")
        text_a, fn_a, path_a = _read(roots, a, "a")
        text_b, fn_b, path_b = _read(roots, b, "b")
        lang_a = sandbox_language(language, path_a) if (language or path_a) else None
        lang_b = sandbox_language(language, path_b) if (language or path_b) else None
        lang = lang_a or lang_b or sandbox_language("python")
        if lang_a and lang_b and lang_a != lang_b:
            raise ToolError(f"a is {lang_a} but b is {lang_b}: compare programs of one language")
        if (fn_a or fn_b) and workload is None:
            raise ToolError(f"FILE::function needs `workload`, the call to time (e.g. '{fn_a or fn_b}(...)')")
        if workload is not None and lang != "python":
            raise ToolError("`workload` is for Python; for other languages pass self-looping programs "
                            "(`self_looping`: true)")
        if lang == "python":
            _check_python(text_a, fn_a, "a")
            _check_python(text_b, fn_b, "b")
        from profiling import MeasurementCancelled, MeasurementError, compare_programs, program_for_source
        from sandbox import Limits, Sandbox, SandboxError

        limits = Limits(wall_time_s=10.0, cpu_time_s=10.0, memory_mb=512)
        try:
            programs = [program_for_source(lang, text, workload=workload, setup=setup, self_looping=self_looping,
                                           stdin=stdin, limits=limits, label=label)
                        for text, label in ((text_a, "A"), (text_b, "B"))]
        except (SyntaxError, ValueError) as exc:
            raise ToolError(f"bad `workload` or `setup`: {exc}") from None

        def work(cancel, emit):
            with Sandbox(pool_size=1) as sandbox:
                def progress(pairs: int, decision) -> None:
                    emit(f"{pairs} pairs measured" + (f" — {decision.verdict} so far" if decision else ""))

                return compare_programs(sandbox, programs[0], programs[1], metric=metric, budget_s=budget_s,
                                        min_pairs=min_pairs, max_pairs=max(max_pairs, min_pairs),
                                        min_effect=min_effect, alpha=alpha, cancel=cancel, on_progress=progress)

        try:
            decision = await run_job(ctx, work, first="warming up and calibrating")
        except MeasurementCancelled:
            raise ToolError("compare cancelled") from None
        except (MeasurementError, SandboxError) as exc:
            raise ToolError(f"measurement failed: {exc}") from None
        return CompareResult(verdict=decision.verdict, measurement=measurement(decision.model_dump(mode="json")),
                             median_a=decision.median_a, median_b=decision.median_b, unit=decision.unit,
                             stopped=decision.stopped, notes=list(decision.notes), seconds=decision.seconds)
