"""`refactorcoder.findHotFunctions` and the hot lenses (issue 17, point 4: "Find hot functions" in the editor).

The command traces the user's command (`pytest tests/`, `python script.py`) in the sandbox as a job (progress,
cancel: the same JobManager as Fix/Optimize, the same warm sandbox pool), saves the trace where Optimize reads
its traced inputs (`.refactorcoder/trace.json` under the project, orchestrator/trace/model.py) and answers the
project's functions by own time. The lenses read that file, so a trace made by the CLI (`refactorcoder trace`)
shows too: on each hot function of a document, "hot: 38% own time · 1,204 calls · Optimize", whose command is
`refactorcoder.optimize` on that function (which then finds the traced inputs as its workload).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from lsprotocol import types
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from server.lsp import command_args as args_
from server.problem_extract import Extraction, Span
from server.lsp.solution_edit import uri_to_path
from server.lsp.verify_jobs import expected_job_error

logger = logging.getLogger(__name__)

FIND_HOT = "refactorcoder.findHotFunctions"
KIND = "findHotFunctions"
OPTIMIZE = "refactorcoder.optimize"
DEFAULT_TOP = 10
MAX_TOP = 100
LENS_TOP = 10  # functions with a lens: the trace's top ten by own time (named, not nested)
MIN_LENS_SHARE = 0.01  # a function under 1% of the traced own time is not "hot"
MAX_WORDS = 200


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class HotFunctionRow(_Camel):
    uri: str = Field(description="the function's file")
    function: str = Field(description="qualified name, e.g. Box.area")
    line: int = Field(description="the definition's first line (LSP, 0-based; a decorator's line when decorated)")
    calls: int | None = Field(description="calls counted (None: not counted, see docs/tracing.md)")
    own_s: float
    cumulative_s: float
    own_share: float = Field(description="own time over all project functions' own time, 0..1")
    samples: int = Field(description="inputs sampled for Optimize's workload and replay tests")


class HotFunctionsReport(_Camel):
    kind: str = KIND
    root: str
    command: list[str]
    exit_code: int
    wall_s: float
    cpu_s: float
    timer: str
    trace_path: str
    functions: list[HotFunctionRow]
    notes: list[str] = Field(default_factory=list)
    output_tail: str = ""
    summary: str = ""


class HotArgs(BaseModel):
    uri: str
    root: Path
    command: list[str]
    top: int


def parse_args(raw_args) -> HotArgs:
    """`{uri, command, top?}`; InvalidParams for anything else, and for a command trace cannot run."""
    from orchestrator.target import project_root
    from orchestrator.trace.run import TraceError, parse_command

    obj = args_.single_object(raw_args, FIND_HOT)
    uri = args_.parse_uri(obj)
    path = uri_to_path(uri)
    if path is None or not path.exists():
        raise args_.invalid(f"'uri' must name a file or folder of the workspace on disk, got {uri!r}")
    words = obj.get("command")
    if (not isinstance(words, list) or not words or len(words) > MAX_WORDS
            or not all(isinstance(w, str) and w for w in words)):
        raise args_.invalid("'command' must be a non-empty list of non-empty strings, e.g. [\"pytest\", \"tests/\"]")
    top = obj.get("top", DEFAULT_TOP)
    if not isinstance(top, int) or isinstance(top, bool) or not 1 <= top <= MAX_TOP:
        raise args_.invalid(f"'top' must be an integer from 1 to {MAX_TOP}, got {top!r}")
    root = project_root(path / "_" if path.is_dir() else path).resolve()
    try:
        parse_command(words, root)  # not Python, or a script outside the project: say so now, not in a job
    except TraceError as exc:
        raise args_.invalid(str(exc))
    return HotArgs(uri=uri, root=root, command=words, top=top)


def rows(trace, root: Path, top: int) -> list[HotFunctionRow]:
    total = sum(f.own_s for f in trace.functions) or 1.0
    return [HotFunctionRow(uri=(root / f.path).as_uri(), function=f.qualname, line=max(f.line - 1, 0), calls=f.calls,
                           own_s=f.own_s, cumulative_s=f.cumulative_s, own_share=f.own_s / total,
                           samples=len(f.samples))
            for f in trace.hot(top)]


class TraceRunner:
    """The job's work: trace the command in the server's sandbox pool and save the trace."""

    def __init__(self, hot: HotArgs, sandboxes):
        self.hot, self.sandboxes = hot, sandboxes

    def plan(self, kind, extraction):
        return ("trace",), None

    def verified(self, job) -> bool:
        return False

    def proposal(self, manager, job):
        return None

    def expected_error(self, exc: Exception) -> bool:
        return expected_job_error(exc)

    def work(self, manager, job) -> dict:
        from models.errors import Cancelled
        from orchestrator.trace.model import save, trace_path
        from orchestrator.trace.run import TraceCancelled, trace_command

        shown = " ".join(self.hot.command)
        manager.progress_threadsafe(job, f"tracing `{shown}` in the sandbox", 0)
        if job.cancel.is_set():
            raise Cancelled("cancelled before start")
        try:  # Cancel stops the command in the sandbox (its container is removed) and saves nothing
            trace = trace_command(self.hot.root, self.hot.command, self.sandboxes.get(), cwd=self.hot.root,
                                  cancel=job.cancel)
        except TraceCancelled as exc:
            raise Cancelled(str(exc)) from None
        manager.progress_threadsafe(job, "saving the trace", 90)
        path = save(trace, trace_path(self.hot.root))
        found = rows(trace, self.hot.root, self.hot.top)
        summary = (f"{len(found)} hot function{'s' if len(found) != 1 else ''}; {found[0].function} first "
                   f"({found[0].own_share:.0%} own time)" if found else "the trace found no function of the project")
        report = HotFunctionsReport(root=str(self.hot.root), command=trace.command, exit_code=trace.exit_code,
                                    wall_s=trace.wall_s, cpu_s=trace.cpu_s, timer=trace.timer, trace_path=str(path),
                                    functions=found, notes=trace.notes, output_tail=trace.output_tail[-4000:],
                                    summary=summary)
        return report.model_dump(mode="json", by_alias=True)


async def find_hot_functions(server, raw_args) -> dict:
    hot = parse_args(raw_args)
    label = f"hot functions of `{' '.join(hot.command)}`"
    # A job needs a target: this one is the project, with no code, so it gets no result lens of its own.
    target = Extraction(title=label, description="", code=None, language="python", span=Span((0, 0), (0, 0)),
                        anchor_line=0)
    # The job belongs to the project folder (never a document: a file's results and report view stay its own).
    response = await server.jobs.run(KIND, hot.root.as_uri(), None, target, runner=TraceRunner(hot, server.sandboxes))
    if response["status"] == "done":
        server.hot_traces.forget(hot.root)
        if server.client_supports("workspace", "code_lens", "refresh_support"):
            server.workspace_code_lens_refresh(None)
    return response


# -- lenses ---------------------------------------------------------------------------------------------------


class TraceCache:
    """The last trace of each project, read from its file (re-read when the file changes)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._by_path: dict[Path, tuple[int, object]] = {}

    def get(self, root: Path):
        from orchestrator.trace.model import load, trace_path

        path = trace_path(root)
        try:
            stamp = path.stat().st_mtime_ns
        except OSError:
            return None
        with self._lock:
            cached = self._by_path.get(path)
            if cached is not None and cached[0] == stamp:
                return cached[1]
        trace = load(path)
        with self._lock:
            self._by_path[path] = (stamp, trace)
        return trace

    def forget(self, root: Path) -> None:
        from orchestrator.trace.model import trace_path

        with self._lock:
            self._by_path.pop(trace_path(root), None)


def lens_title(share: float, calls: int | None) -> str:
    counted = f"{calls:,} call{'s' if calls != 1 else ''}" if calls is not None else "calls not counted"
    return f"hot: {share:.0%} own time · {counted} · Optimize"


def hot_lenses(server, doc) -> list[types.CodeLens]:
    """A lens on each function of `doc` among its project's last trace's hottest (matched by qualified name; of
    two definitions of one name, the one whose header is nearest the traced line)."""
    from orchestrator.target import project_root

    path = uri_to_path(doc.uri)
    if path is None or path.suffix != ".py":
        return []
    root = project_root(path).resolve()
    trace = server.hot_traces.get(root)
    if trace is None:
        return []
    try:
        rel = path.resolve().relative_to(root).as_posix()
    except ValueError:
        return []
    total = sum(f.own_s for f in trace.functions) or 1.0
    here = [f for f in trace.hot(LENS_TOP) if f.path == rel and f.own_s / total >= MIN_LENS_SHARE]
    if not here:
        return []
    outline = server.doc_cache.document(doc).outline()
    lenses = []
    for traced in here:
        same = [fn for fn in outline if fn.qualified_name == traced.qualname]
        if not same:
            continue  # renamed or removed since the trace
        fn = min(same, key=lambda f: abs(f.first_row + 1 - traced.line))
        at = types.Position(line=fn.name_row, character=0)
        optimize_args = {"uri": doc.uri, "range": {"start": {"line": fn.name_row, "character": 0},
                                                   "end": {"line": fn.name_row, "character": 0}}}
        lenses.append(types.CodeLens(range=types.Range(start=at, end=at), command=types.Command(
            title=lens_title(traced.own_s / total, traced.calls), command=OPTIMIZE, arguments=[optimize_args])))
    return lenses


def setup(server) -> None:
    from server.lsp import jobs

    jobs.KIND_TITLES.setdefault(KIND, "Find hot functions")  # the progress title
    server.hot_traces = TraceCache()
    server.lens_providers.append(hot_lenses)

    @server.command(FIND_HOT)
    async def find_hot(ls, *raw_args):
        return await find_hot_functions(ls, raw_args)
