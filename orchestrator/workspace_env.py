"""The workspace's Python packages in the sandbox: an image layer built from the project's virtual
environment (sandbox.layers), holding the distributions that the target's module and the tests that
run import (through the project's own modules too) and what they require, read-only under
/opt/refactorcoder-layer/site-packages.

Which environment: $REFACTORCODER_WORKSPACE_VENV, else `.venv`, `venv` or `env` in the project root
(a directory with pyvenv.cfg). Limits (also in orchestrator/README.md and docs/sandbox.md):

* the sandbox runs Debian bookworm's Python 3.11 on the host's architecture: compiled extensions are
  copied only when tagged for it (`cpython-311-<machine>` or `abi3`); a distribution with other
  compiled files is left out and named when the code imports it;
* pure-Python distributions from an environment of another Python version are copied, with a note
  (they run when they do not use newer syntax or stdlib);
* only files the wheel's RECORD lists inside site-packages (no console scripts, no editable installs
  by `.pth` pointing outside the environment, no system libraries beyond a wheel's vendored `.libs`);
* at most MAX_BYTES in all; one layer per distinct set of distributions, built once (the first job
  of a new set waits for a `docker build` of a few seconds).
Nothing from the environment runs on the host.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata as md
import logging
import os
import platform
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

VENV_NAMES = (".venv", "venv", "env")
SANDBOX_PYTHON = (3, 11)
MAX_BYTES = 512 << 20
SITE_DIR = "site-packages"  # under sandbox.layers.LAYER_ROOT
_SO = re.compile(r"\.cpython-(\d+)-([\w]+?)-linux-gnu\.so$")
_SKIP = {"pip", "setuptools", "wheel", "_distutils_hack", "pkg_resources"}


@dataclass
class WorkspaceEnv:
    venv: Path | None
    site: Path | None = None
    python: tuple[int, int] | None = None
    modules: dict[str, md.Distribution] = field(default_factory=dict)  # top-level module -> distribution
    dists: dict[str, md.Distribution] = field(default_factory=dict)  # normalised name -> distribution

    def describe(self) -> str:
        if self.venv is None:
            return "no virtual environment in the project (.venv, venv or env; or set REFACTORCODER_WORKSPACE_VENV)"
        version = ".".join(map(str, self.python)) if self.python else "?"
        return f"the workspace's environment {self.venv} (Python {version})"


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def find_venv(root: Path) -> Path | None:
    env = os.environ.get("REFACTORCODER_WORKSPACE_VENV")
    candidates = [Path(env).expanduser()] if env else [root / name for name in VENV_NAMES]
    return next((c for c in candidates if (c / "pyvenv.cfg").is_file()), None)


def open_env(root: Path) -> WorkspaceEnv:
    venv = find_venv(root)
    env = WorkspaceEnv(venv)
    if venv is None:
        return env
    sites = sorted((venv / "lib").glob("python3.*/site-packages"))
    if not sites:
        return env
    env.site = sites[-1]
    m = re.search(r"python3\.(\d+)", env.site.parent.name)
    env.python = (3, int(m.group(1))) if m else None
    for dist in md.distributions(path=[str(env.site)]):
        name = dist.metadata["Name"] if dist.metadata else None
        if not name:
            continue
        env.dists.setdefault(_norm(name), dist)
        for top in _top_levels(dist):
            env.modules.setdefault(top, dist)
    return env


def _top_levels(dist: md.Distribution) -> set[str]:
    text = dist.read_text("top_level.txt")
    if text:
        return {line.strip() for line in text.splitlines() if line.strip()}
    tops = set()
    for f in dist.files or []:
        parts = Path(str(f)).parts
        if not parts or parts[0].startswith("..") or parts[0].endswith((".dist-info", ".egg-info", ".data")):
            continue
        first = parts[0]
        if len(parts) == 1:
            if first.endswith(".py"):
                tops.add(first[:-3])
            elif first.endswith(".so"):
                tops.add(first.split(".")[0])
        elif not first.endswith(".libs") and first != "__pycache__":
            tops.add(first)
    return tops


def _imports_of(rel: str, text: str) -> list[str]:
    """Dotted names a file imports (relative ones resolved against its package)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    package = rel.rsplit("/", 1)[0].replace("/", ".") if "/" in rel else ""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".") if package else []
                parts = parts[:len(parts) - (node.level - 1)] if node.level > 1 else parts
                base = ".".join(p for p in [*parts, base] if p)
            names.append(base)
            names += [f"{base}.{a.name}" for a in node.names if a.name != "*"]
    return [n for n in names if n]


def _local_file(name: str, sources: dict[str, str]) -> str | None:
    path = name.replace(".", "/")
    for rel in (f"{path}.py", f"{path}/__init__.py", f"src/{path}.py", f"src/{path}/__init__.py"):
        if rel in sources:
            return rel
    return None


def imported_modules(sources: dict[str, str], entries: list[str] | None = None) -> set[str]:
    """Top-level names of the third-party modules that `entries` (the target's file and the tests that
    run; every file when None) import, following imports of the project's own modules."""
    todo = list(entries) if entries is not None else [rel for rel in sources if rel.endswith(".py")]
    seen: set[str] = set()
    names: set[str] = set()
    while todo:
        rel = todo.pop()
        if rel in seen or rel not in sources:
            continue
        seen.add(rel)
        for name in _imports_of(rel, sources[rel]):
            local = _local_file(name, sources)
            if local is not None:
                todo.append(local)
                for i in range(1, name.count(".") + 1):  # parent packages' __init__ run too
                    parent = _local_file(name.rsplit(".", i)[0], sources)
                    if parent:
                        todo.append(parent)
            elif _local_file(name.split(".")[0], sources) is None:
                names.add(name.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names}


def closure(env: WorkspaceEnv, modules: set[str]) -> list[md.Distribution]:
    """Distributions providing `modules`, with everything they require (markers read for Python 3.11)."""
    from packaging.requirements import InvalidRequirement, Requirement

    marker_env = {"python_version": "3.11", "python_full_version": "3.11.2", "extra": "",
                  "platform_machine": platform.machine(), "sys_platform": "linux", "os_name": "posix",
                  "platform_system": "Linux", "implementation_name": "cpython"}
    todo = [env.modules[m] for m in sorted(modules) if m in env.modules]
    seen: dict[str, md.Distribution] = {}
    while todo:
        dist = todo.pop()
        key = _norm(dist.metadata["Name"])
        if key in seen or key in _SKIP:
            continue
        seen[key] = dist
        for line in dist.requires or []:
            try:
                req = Requirement(line)
            except InvalidRequirement:
                continue
            if req.marker is not None and not req.marker.evaluate(marker_env):
                continue
            dep = env.dists.get(_norm(req.name))
            if dep is not None:
                todo.append(dep)
    return [seen[k] for k in sorted(seen)]


def incompatible(dist: md.Distribution) -> str | None:
    """Why a distribution's compiled files cannot run on the sandbox's Python 3.11, or None."""
    machine = platform.machine()
    for f in dist.files or []:
        name = str(f)
        if name.endswith((".pyd", ".dylib")):
            return f"it has compiled files for another platform ({Path(name).name})"
        m = _SO.search(name)
        if m and (m.group(1) != "311" or m.group(2) != machine):
            return (f"its compiled extensions are for cpython-{m.group(1)}/{m.group(2)} "
                    f"(the sandbox runs cpython-311/{machine}): {Path(name).name}")
    return None


@dataclass
class Layer:
    files: dict[str, Path] = field(default_factory=dict)  # path under the layer -> host file
    digest: str = ""
    included: list[str] = field(default_factory=list)  # "name==version"
    left_out: dict[str, str] = field(default_factory=dict)  # top-level module -> why
    notes: list[str] = field(default_factory=list)


def plan_layer(env: WorkspaceEnv, modules: set[str]) -> Layer:
    layer = Layer()
    if env.site is None:
        return layer
    h = hashlib.sha256()
    total = 0
    for dist in closure(env, modules):
        name, version = dist.metadata["Name"], dist.version
        why = incompatible(dist)
        if why is not None:
            for top in _top_levels(dist):
                layer.left_out[top] = f"'{name}' {version} is in {env.describe()}, but {why}"
            continue
        files = {}
        for f in dist.files or []:
            rel = Path(str(f))
            if rel.parts and (rel.parts[0] == ".." or "__pycache__" in rel.parts or rel.suffix == ".pyc"):
                continue
            path = env.site / rel
            if path.is_file():
                files[f"{SITE_DIR}/{rel.as_posix()}"] = path
        size = sum(p.stat().st_size for p in files.values())
        if total + size > MAX_BYTES:
            for top in _top_levels(dist):
                layer.left_out[top] = (f"'{name}' {version} is in {env.describe()}, but the packages copied into the "
                                       f"sandbox are capped at {MAX_BYTES >> 20} MiB")
            continue
        total += size
        layer.files.update(files)
        layer.included.append(f"{name}=={version}")
        h.update(f"{name}=={version}\0".encode())
        h.update((dist.read_text("RECORD") or "\0".join(sorted(files))).encode())
    layer.digest = h.hexdigest()
    if layer.included and env.python and env.python != SANDBOX_PYTHON:
        layer.notes.append(f"packages come from a Python {env.python[0]}.{env.python[1]} environment; the sandbox "
                           "runs Python 3.11 (pure-Python packages work unless they need newer syntax)")
    return layer


class LayeredSandbox:
    """A sandbox whose Python runs (single specs and batched timing sessions) use the layer image."""

    def __init__(self, sandbox, image: str | None):
        self._sandbox, self.image = sandbox, image

    def run(self, spec, cancel=None):
        if self.image and spec.language == "python":
            return self._sandbox.run(spec, image=self.image, cancel=cancel)
        return self._sandbox.run(spec, cancel=cancel)

    def session(self, language, limits, payload):
        if self.image and language == "python":
            return self._sandbox.session(language, limits, payload, image=self.image)
        return self._sandbox.session(language, limits, payload)

    def __getattr__(self, name):
        return getattr(self._sandbox, name)
