"""Running `refactorcoder trace -- COMMAND` in the Python sandbox (never on the host).

The command is read, not executed by a shell: `python[3] SCRIPT ARGS`, `python -m MODULE ARGS`,
`[python -m] pytest ARGS`, or `SCRIPT.py ARGS`. The project's sources are copied into the sandbox as for
every Python job (orchestrator/verify/running/pyjobs.py project_files: .py files anywhere, small data files next to
the script and next to test modules, root-level config files for pytest), the workspace's virtual environment comes as the
read-only image layer (orchestrator/workspace_env.py) with the packages the command's files import (and
pytest for a pytest command), and the tracer (in_sandbox/tracer.py) runs the command in its own process.
What the command writes stays in the sandbox (its directory is read-only; /tmp is wiped).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shlex
from dataclasses import dataclass
from pathlib import Path

from orchestrator.errors import Unsupported
from orchestrator.trace.model import Trace

log = logging.getLogger(__name__)

_IN_SANDBOX = Path(__file__).parent / "in_sandbox"  # shipped as text, never run here
TRACER = (_IN_SANDBOX / "tracer.py").read_text(encoding="utf-8")
# The tracer's helper, loaded by path by the tracer (a name no project module is likely to have).
TRACER_HELPERS = {"rc_tracer_inputs.py": (_IN_SANDBOX / "tracer_inputs.py").read_text(encoding="utf-8")}
MARKER = "\n@@RC-TRACE-"
ROOT_CONFIGS = ("pyproject.toml", "pytest.ini", "setup.cfg", "tox.ini")
TRACE_TIMEOUT_S = 300.0
# Below this many clock samples (~0.4 s of CPU at the sandbox's ~4 ms timer ticks) the sampling clock's times are
# too coarse to rank functions: a command that short is traced again with cProfile (3x of a short run is cheap).
AUTO_EXACT_BELOW = 100


class TraceError(Unsupported):
    """The command could not be traced (not understood, not importable, did not finish)."""


class TraceCancelled(Exception):
    """The caller cancelled the trace: the command was stopped in the sandbox and nothing was recorded."""


@dataclass
class Command:
    kind: str  # script | module | pytest
    argv: list[str]  # what the tracer passes on: sys.argv for a script/module, pytest's arguments
    entry: str | None = None  # the script (relative to the root), for what its imports need
    cwd: str = "."  # where the command runs, relative to the root (the user's current directory)


def parse_command(words: list[str], root: Path, cwd: Path | None = None) -> Command:
    """The command as the tracer runs it from `cwd` (the root by default; paths in the command are relative to
    it, as in a shell); TraceError for anything that is not Python or not in the project."""
    root = root.resolve()
    cwd = (cwd or root).resolve()
    try:
        where = cwd.relative_to(root).as_posix()
    except ValueError:
        raise TraceError(f"the current directory {cwd} is outside the project {root} (--root)") from None
    command = _parse(words, root, cwd)
    command.cwd = where
    return command


def _parse(words: list[str], root: Path, cwd: Path) -> Command:
    if len(words) == 1 and " " in words[0]:
        words = shlex.split(words[0])
    if not words:
        raise TraceError("no command to trace: give it after --, e.g. `refactorcoder trace -- pytest tests/`")
    head, rest = Path(words[0]).name, list(words[1:])
    if head.startswith("python"):
        if rest[:2] == ["-m", "pytest"] or rest[:2] == ["-m", "py.test"]:
            return Command("pytest", rest[2:])
        if rest[:1] == ["-m"] and len(rest) > 1:
            return Command("module", rest[1:])
        if not rest or rest[0].startswith("-"):
            raise TraceError(f"`{' '.join(words)}`: give python a script or -m MODULE to trace")
        head, rest = rest[0], rest[1:]
    elif head in ("pytest", "py.test"):
        return Command("pytest", rest)
    if not head.endswith(".py"):
        raise TraceError(f"`{words[0]}` is not a Python command: trace runs `python SCRIPT`, `python -m MODULE` or "
                         "`pytest ...` (in the sandbox; nothing runs on the host)")
    script = (cwd / head).resolve()
    try:
        rel = script.relative_to(root).as_posix()
    except ValueError:
        raise TraceError(f"{head} is outside the project {root}: only the project is copied into the sandbox") from None
    if not script.is_file():
        raise TraceError(f"{head}: no such script in {root}")
    return Command("script", [head, *rest], entry=rel)


def _entries(command: Command, project: dict[str, str]) -> tuple[list[str], set[str]]:
    """The files whose imports decide the layer's packages, and packages the command itself needs."""
    if command.kind == "script":
        return [command.entry], set()
    if command.kind == "module":
        name = command.argv[0].replace(".", "/")
        found = [rel for rel in (f"{name}.py", f"{name}/__main__.py", f"src/{name}.py") if rel in project]
        return found, set()
    tests = [rel for rel in project if Path(rel).name.startswith("test_") or rel.endswith("_test.py")
             or Path(rel).name == "conftest.py"]
    return tests, {"pytest"}


def build_spec(root: Path, command: Command, *, traced: bool = True, timeout_s: float = TRACE_TIMEOUT_S,
               exact: bool = False):
    """(RunSpec, nonce, runner, notes): what runs the command under the tracer in the sandbox."""
    from sandbox.models import Limits, RunSpec

    from orchestrator.verify import project_files
    from orchestrator.workspace_env import SITE_DIR, imported_modules, open_env, plan_layer

    keep = root / command.entry if command.entry else None
    project, notes = project_files(root, keep)
    for name in ROOT_CONFIGS:
        path = root / name
        if name not in project and path.is_file() and path.stat().st_size < 256 * 1024:
            project[name] = path.read_text(encoding="utf-8", errors="replace")
    entries, needed = _entries(command, project)
    env = open_env(root)
    modules = imported_modules(project, entries) | needed
    layer = plan_layer(env, modules)
    notes += layer.notes
    if "pytest" in needed and "pytest" not in env.modules:
        where = f"installed in {env.describe()}" if env.venv is not None else "in a workspace environment"
        notes.append(f"pytest is not {where}: the sandbox image's pytest runs the tests")
    argv = list(command.argv)
    if command.kind == "pytest":
        argv = ["-p", "no:cacheprovider", *argv]  # the project is read-only in the sandbox
    nonce = secrets.token_hex(12)
    paths = ["."] + (["src"] if any(rel.startswith("src/") for rel in project) else [])
    job = {"kind": command.kind, "argv": argv, "root": "project", "cwd": command.cwd, "paths": paths, "trace": traced, "nonce": nonce,
           "timer": "cprofile" if exact else "sampling"}
    if layer.files:
        from sandbox.layers import LAYER_ROOT

        job["site"] = f"{LAYER_ROOT}/{SITE_DIR}"
    files = {"main.py": TRACER, **TRACER_HELPERS, "job.json": json.dumps(job)}
    files.update({f"project/{rel}": text for rel, text in project.items()})
    if command.cwd != "." and not any(rel.startswith(command.cwd + "/") for rel in project):
        files[f"project/{command.cwd}/.refactorcoder-cwd"] = ""  # the directory the command runs in exists there
    limits = Limits(wall_time_s=timeout_s, cpu_time_s=timeout_s, memory_mb=1024, output_bytes=32 << 20)
    return RunSpec(language="python", files=files, limits=limits, read_once=["job.json"]), nonce, layer, notes


def layered(sandbox, layer):
    """The sandbox with the workspace's packages as a read-only image layer (built once per set)."""
    from orchestrator.workspace_env import LayeredSandbox

    image = None
    if layer.files:
        from sandbox.errors import SandboxError
        from sandbox.layers import build_layer

        try:
            image = build_layer("python", "site", layer.files, digest=layer.digest)
        except SandboxError as exc:
            raise TraceError(f"the workspace's packages could not be put into the sandbox: {exc}. Nothing was run "
                             "on the host.") from None
    return LayeredSandbox(sandbox, image)


def read_report(result, nonce: str) -> dict:
    marker = f"{MARKER}{nonce}@@\n"
    at = result.stdout.rfind(marker)
    if at < 0:
        status = getattr(result.status, "value", result.status)
        detail = ((result.message or "") + "\n" + (result.stderr or "")[-2000:]).strip()
        raise TraceError(f"the traced command did not finish in the sandbox ({status}): {detail[-2500:]}")
    try:
        report = json.loads(result.stdout[at + len(marker):])
    except ValueError as exc:
        raise TraceError(f"unreadable trace report: {exc}") from None
    if not isinstance(report, dict):
        raise TraceError("unreadable trace report: not an object")
    return report


def trace_command(root: Path, words: list[str], sandbox, *, traced: bool = True,
                  timeout_s: float = TRACE_TIMEOUT_S, exact: bool | None = None, cwd: Path | None = None,
                  cancel=None) -> Trace:
    """Run `words` under the tracer in `sandbox` (a sandbox.Sandbox) with `root` as the project; the Trace.
    `traced` False runs the same command without the hooks (what the overhead benchmark compares with). `exact`
    True times with cProfile (exact counts and times of every function, slower), False with the sampling clock,
    None (the default) with the clock, and again with cProfile when the command is too short for the clock.
    `cancel` (a threading.Event): once set, the command is stopped in the sandbox (its container removed) and
    TraceCancelled raised."""
    if exact is None:
        trace = trace_command(root, words, sandbox, traced=traced, timeout_s=timeout_s, exact=False, cwd=cwd,
                              cancel=cancel)
        if not traced or trace.clock_samples >= AUTO_EXACT_BELOW or trace.exit_code != 0:
            return trace
        again = trace_command(root, words, sandbox, timeout_s=timeout_s, exact=True, cwd=cwd, cancel=cancel)
        again.notes.append(f"the command ran {trace.cpu_s:.2f} s of CPU ({trace.clock_samples} clock samples): traced "
                           "again with cProfile for exact figures")
        return again
    root = root.resolve()
    command = parse_command(words, root, cwd)
    spec, nonce, layer, notes = build_spec(root, command, traced=traced, timeout_s=timeout_s, exact=exact)
    log.info("tracing %s in the sandbox (%d files, %d workspace packages)", command.argv, len(spec.files),
             len(layer.included))
    if cancel is not None and cancel.is_set():
        raise TraceCancelled("cancelled before the traced command started")
    result = layered(sandbox, layer).run(spec, cancel=cancel)
    if cancel is not None and cancel.is_set():
        raise TraceCancelled(f"cancelled: `{' '.join(words)}` was stopped in the sandbox; nothing was recorded")
    report = read_report(result, nonce)
    if layer.included:
        notes.append("workspace packages in the sandbox: " + ", ".join(layer.included[:12])
                     + (" …" if len(layer.included) > 12 else ""))
    notes += [f"not in the sandbox: {why}" for why in layer.left_out.values()]
    trace = Trace(command=list(words), root=str(root), exit_code=int(report.get("exit_code", 1)),
                  wall_s=float(report.get("wall_s", 0.0)), cpu_s=float(report.get("cpu_s", 0.0)),
                  functions=report.get("functions", []), output_tail=str(report.get("output_tail", "")),
                  notes=notes, timer=str(report.get("timer", "sampling")),
                  clock_samples=int(report.get("clock_samples") or 0))
    if trace.timer == "sampling" and traced and trace.clock_samples < AUTO_EXACT_BELOW:
        trace.notes.append(f"the command ran {trace.cpu_s:.2f} s of CPU: {trace.clock_samples} clock samples, so "
                           "its times are coarse (--exact for cProfile's)")
    if trace.exit_code != 0:
        trace.notes.append(f"the command exited with status {trace.exit_code} in the sandbox (see its output)")
    return trace


def default_root() -> Path:
    return Path(os.getcwd())
