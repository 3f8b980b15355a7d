"""Running Python candidates in the sandbox: the project's sources copied in read-only fashion, the
driver (orchestrator/verify/running/in_sandbox/driver.py) as main.py with its helpers, one job.json describing what to do.

The driver runs every call in a process of its own (see driver.py); the host tells it which modules the
ORIGINAL module imports from outside the project (imported once, before any call) and which project
modules to compile once. A report is read only when the output holds exactly one report marker.

The project is *copied*, not mounted: the sandbox's containers are created by a warm pool keyed by
limits, and a copy works with remote engines too. Limits (documented in docs/orchestrator.md): only
text source files (.py anywhere, small data files next to the target or a test module) up to PROJECT_BYTES in all; what the
candidate writes stays in the container and is wiped; third-party packages must be importable in the
sandbox: the workspace's own packages come as a read-only image layer (orchestrator/workspace_env.py);
a package that cannot be provided is named in the error, nothing falls back to the host.
"""

from __future__ import annotations

import ast
import json
import logging
import re
import secrets
from pathlib import Path

from orchestrator.errors import Unsupported
from orchestrator.target import Target
from orchestrator.workspace_env import SITE_DIR, LayeredSandbox, imported_modules, open_env, plan_layer

log = logging.getLogger(__name__)

_HERE = Path(__file__).parent / "in_sandbox"  # shipped as text, never run on the host
DRIVER = (_HERE / "driver.py").read_text(encoding="utf-8")
# The driver's helpers, loaded by path by the driver (names no project module is likely to have).
DRIVER_HELPERS = {f"rc_{name}.py": (_HERE / f"{name}.py").read_text(encoding="utf-8")
                  for name in ("driver_isolation", "driver_imports", "driver_guard", "driver_seal", "driver_child",
                               "driver_fork", "driver_tests", "driver_profile", "driver_pytest",
                               "driver_pytest_integrity", "driver_pytest_results")}
DRIVER_HELPERS["rc_pytest_plugin.py"] = (_HERE / "pytest_plugin.py").read_text(encoding="utf-8")  # real pytest's
PYTEST_SHIM = (_HERE / "pytest_shim.py").read_text(encoding="utf-8")
REPORT_MARKER = "\n@@RC-DRIVER-"
# Imported by the driver before the first call whatever the original imports: cheap, and common in rewrites
# (a candidate that adds one of them does not pay for its import in every call).
COMMON_PRELOAD = ("collections", "functools", "itertools", "heapq", "bisect", "math", "operator", "re", "string",
                  "random", "typing", "copy", "array")  # a few ms in all; dataclasses, decimal, ... cost more
PROJECT_BYTES = 4 * 1024 * 1024
SKIP_DIRS = {".git", ".hg", ".venv", "venv", "env", "node_modules", "__pycache__", "build", "dist", "site-packages",
             ".tox", ".mypy_cache", ".pytest_cache", ".idea", ".vscode"}
DATA_SUFFIXES = (".py", ".json", ".txt", ".csv", ".toml", ".cfg", ".ini", ".yaml", ".yml")
SYS_PATHS = ["project", "project/src", "extra", "shim"]


def project_files(root: Path, keep: Path | None = None) -> tuple[dict[str, str], list[str]]:
    """Text sources of the project, relative path -> text (the target's own file always included)."""
    files: dict[str, str] = {}
    notes: list[str] = []
    total = 0
    candidates = [p for p in root.rglob("*") if p.is_file()
                  and not any(part in SKIP_DIRS or part.startswith(".") for part in p.relative_to(root).parts[:-1])]
    # Python sources anywhere in the project; small data files only next to the target or next to a test module
    # (what they may open, e.g. a test's fixture file read from its own folder).
    homes = {keep.parent if keep is not None else root}
    homes |= {p.parent for p in candidates if p.suffix == ".py" and (p.name.startswith("test_")
                                                                     or p.name.endswith("_test.py"))}
    paths = sorted(p for p in candidates if p.suffix == ".py" or (
        p.suffix in DATA_SUFFIXES and p.parent in homes and p.stat().st_size < 256 * 1024))
    if keep is not None and keep in paths:
        paths.remove(keep)
        paths.insert(0, keep)
    for path in paths:
        if path.name.startswith(".env"):
            continue  # secrets never travel into a sandbox
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if total + len(text) > PROJECT_BYTES and path != keep:
            notes.append(f"project copy capped at {PROJECT_BYTES // 1024} KiB: {path.relative_to(root)} and later "
                         "files not copied into the sandbox")
            break
        total += len(text)
        files[path.relative_to(root).as_posix()] = text
    return files, notes


class PyJobs:
    """Builds and runs driver jobs for one target; the project copy is made once per job."""

    def __init__(self, sandbox, target: Target, *, extra_files: dict[str, str] | None = None, limits=None,
                 tests=None):
        from sandbox.models import Limits

        self.sandbox = sandbox
        self.target = target
        self.limits = limits or Limits(wall_time_s=60, cpu_time_s=60)
        self.project, self.notes = project_files(target.root, target.path)
        self.extra = dict(extra_files or {})  # e.g. a --tests file outside the project: extra/<name>
        self.env = open_env(target.root)
        # The packages the target's module and the tests that run import (following the project's own
        # modules), not every file of the project: a layer stays small and is built only when needed.
        sources = {**self.project, **{f"extra/{rel}": text for rel, text in self.extra.items()}}
        entries = [target.rel_path]
        for number, test in enumerate(tests or []):
            if test.path:
                entries.append(test.path.removeprefix("project/"))
            elif test.source:
                sources[f"inline/{number}.py"] = test.source
                entries.append(f"inline/{number}.py")
        self.layer = plan_layer(self.env, imported_modules(sources, entries))
        self.notes += self.layer.notes
        if self.layer.included:
            self.notes.append(f"workspace packages in the sandbox (read-only layer from {self.env.venv}): "
                              + ", ".join(self.layer.included[:12]) + (" …" if len(self.layer.included) > 12 else ""))
        self.preload, self.precompile = preload_plan(target, self.project)
        self._runner = None

    @property
    def runner(self):
        """The sandbox with the workspace's packages layered on the Python image (built once per set)."""
        if self._runner is None:
            image = None
            if self.layer.files:
                from sandbox.errors import SandboxError
                from sandbox.layers import build_layer

                try:
                    image = build_layer("python", "site", self.layer.files, digest=self.layer.digest)
                except SandboxError as exc:
                    raise Unsupported(f"the workspace's packages could not be put into the sandbox: {exc}. "
                                      "Nothing was run on the host.") from None
            self._runner = LayeredSandbox(self.sandbox, image)
        return self._runner

    def spec(self, module_text: str, job: dict, limits=None):
        """A RunSpec for `job` against the module with `module_text`; returns (spec, nonce)."""
        from sandbox.models import RunSpec

        nonce = secrets.token_hex(12)
        job = {"module": self.target.module, "qualname": self.target.qualname, "paths": SYS_PATHS,
               "preload": self.preload, "precompile": self.precompile, **job, "nonce": nonce}
        if self.layer.files:
            from sandbox.layers import LAYER_ROOT

            job["site"] = f"{LAYER_ROOT}/{SITE_DIR}"
        files = {"main.py": DRIVER, **DRIVER_HELPERS, "job.json": json.dumps(job), "shim/pytest.py": PYTEST_SHIM}
        for rel, text in self.project.items():
            files[f"project/{rel}"] = text
        files[f"project/{self.target.rel_path}"] = module_text
        for rel, text in self.extra.items():
            files[f"extra/{rel}"] = text
        return RunSpec(language="python", files=files, limits=limits or self.limits,
                       read_once=["job.json"]), nonce  # the driver deletes it before any candidate code runs

    def run(self, module_text: str, job: dict, limits=None) -> dict:
        spec, nonce = self.spec(module_text, job, limits)
        result = self.runner.run(spec)
        return parse_report(result, nonce)

    def require_importable(self, report: dict) -> None:
        require_importable(report, self.project, self)


def preload_plan(target: Target, project: dict[str, str]) -> tuple[list[str], list[list[str]]]:
    """What the driver prepares once per run from the ORIGINAL module's imports: the modules from outside the
    project to import (plus COMMON_PRELOAD), and [module name, sandbox path] of the target module and the
    project modules it imports, to compile without running."""
    try:
        tree = ast.parse(target.text)
    except SyntaxError:
        tree = ast.Module(body=[], type_ignores=[])
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.append(node.module)
    preload, precompile = [], [[target.module, f"project/{target.rel_path}"]]
    for name in names:
        local = _project_file(name, project)
        if local is not None:
            if [name, f"project/{local}"] not in precompile:
                precompile.append([name, f"project/{local}"])
        elif _project_file(name.split(".")[0], project) is None and name != "__future__" and name not in preload:
            preload.append(name)
    preload += [m for m in COMMON_PRELOAD if m not in preload and _project_file(m, project) is None]
    return preload, precompile


def _project_file(name: str, project: dict[str, str]) -> str | None:
    path = name.replace(".", "/")
    for rel in (f"{path}.py", f"{path}/__init__.py", f"src/{path}.py", f"src/{path}/__init__.py"):
        if rel in project:
            return rel
    return None


def parse_report(result, nonce: str) -> dict:
    """The driver's report in a run's stdout. Only the driver can write there (every call runs in a process
    whose stdout is a pipe to the driver), so a second marker means a forged report: the run is rejected."""
    marker = f"{REPORT_MARKER}{nonce}@@\n"
    if result.stdout.count(REPORT_MARKER) > 1:
        return {"ok": False, "status": "tampered", "tampered": True,
                "error": "the output holds more than one driver report: rejected as tampered"}
    at = result.stdout.rfind(marker)
    if at < 0:
        detail = (result.message or "") + ("\n" + result.stderr[-2000:] if result.stderr else "")
        return {"ok": False, "status": str(getattr(result.status, "value", result.status)),
                "error": f"the program did not finish ({getattr(result.status, 'value', result.status)}): "
                         f"{detail.strip()}"[:3000], "run_profile": result.profile.model_dump()}
    try:
        report = json.loads(result.stdout[at + len(marker):])
    except ValueError as exc:
        return {"ok": False, "status": "failed", "error": f"unreadable driver report: {exc}"}
    report["status"] = str(getattr(result.status, "value", result.status))
    report["run_profile"] = result.profile.model_dump()
    return report


_MISSING = re.compile(r"No module named '([\w.]+)'")


def missing_module(report: dict, project: dict[str, str]) -> str | None:
    """The third-party package a failed import names, when it is not part of the project."""
    match = _MISSING.search(report.get("error", "") + report.get("traceback", ""))
    if not match:
        return None
    top = match.group(1).split(".")[0]
    local = any(rel.split("/")[0] in (top, f"{top}.py") or rel.startswith(f"src/{top}") for rel in project)
    return None if local else top


def require_importable(report: dict, project: dict[str, str], jobs: "PyJobs | None" = None) -> None:
    """A failed import of a package that is not the project's: stop the job with a message naming it,
    what the workspace's environment has and why it is not in the sandbox."""
    name = missing_module(report, project)
    if name is None:
        return
    env = jobs.env if jobs is not None else None
    why = jobs.layer.left_out.get(name) if jobs is not None else None
    if why is None:
        if env is None or env.venv is None:
            where = env.describe() if env is not None else "no workspace environment was looked at"
            why = f"'{name}' is not provided: {where}"
        elif name in env.modules:
            why = f"'{name}' is in {env.describe()} but was not copied (no import of it was found in the project)"
        else:
            why = f"'{name}' is not installed in {env.describe()}"
    raise Unsupported(f"the code imports '{name}', which the Python sandbox does not have: {why}. Only the standard "
                      "library, the project's files and the workspace environment's packages are available there. "
                      "Nothing was run on the host.")
