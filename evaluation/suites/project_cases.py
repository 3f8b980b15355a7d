"""The projects suite's cases (evaluation/suites/projects.py runs them): the project files
``evaluation/suites/projects/<name>.toml`` (a pinned sdist and its cases), the sdists (fetched by pip into a
cache, checked against the pinned sha256, unpacked once), and a case's fresh copy of its project with the case's
patch and bench script."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

CASES_DIR = Path(__file__).resolve().parent / "projects"
CACHE_ENV = "REFACTORCODER_PROJECTS_CACHE"


class CaseError(ValueError):
    """A case that does not apply to its project's sources (the patch is not there once, or not in the target)."""


@dataclass
class Case:
    id: str
    project: str  # the project's name
    kind: str  # fix | optimize
    target: str  # FILE::function (Class.method) relative to the project's root
    find: str
    replace: str
    why: str
    trace: list[str] = field(default_factory=list)  # optimize: the command traced for inputs
    bench: str = ""  # optimize: the script `trace` runs, written into the project's root

    @property
    def file(self) -> str:
        return self.target.split("::", 1)[0]

    @property
    def function(self) -> str:
        return self.target.split("::", 1)[1]


@dataclass
class Project:
    name: str
    version: str
    sdist: str  # the file name pip downloads
    sha256: str
    license: str
    license_file: str
    url: str
    cases: list[Case] = field(default_factory=list)

    @property
    def folder(self) -> str:
        """The sdist's top folder (its file name without .tar.gz)."""
        return self.sdist.removesuffix(".tar.gz")


def load_projects(folder: Path | None = None) -> list[Project]:
    """Every project file, in name order; ValueError for a missing field, a bad kind or a repeated case id."""
    projects, seen = [], set()
    for path in sorted((folder or CASES_DIR).glob("*.toml")):
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
        project = Project(**raw["project"])
        for number, entry in enumerate(raw.get("case", []), 1):
            missing = [f for f in ("id", "kind", "target", "find", "replace", "why") if f not in entry]
            if missing or entry.get("kind") not in ("fix", "optimize") or "::" not in entry.get("target", ""):
                raise ValueError(f"{path}: case {number} lacks {', '.join(missing) or 'a kind fix|optimize / FILE::f'}")
            if entry["kind"] == "optimize" and not (entry.get("trace") and entry.get("bench")):
                raise ValueError(f"{path}: optimize case {entry['id']} needs `trace` and `bench`")
            if entry["id"] in seen:
                raise ValueError(f"{path}: case id {entry['id']!r} repeats")
            seen.add(entry["id"])
            project.cases.append(Case(project=project.name, **entry))
        projects.append(project)
    return projects


def project_of(case: Case, projects: list[Project] | None = None) -> Project:
    return next(p for p in projects or load_projects() if p.name == case.project)


# -- the sdists: fetched by pip, checked, unpacked --------------------------------------------------------------


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "refactorcoder" / "projects")


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sdist_path(project: Project, cache: Path | None = None) -> Path:
    return (cache or cache_dir()) / "sdists" / project.sdist


def fetch(project: Project, cache: Path | None = None) -> Path:
    """The project's sdist in the cache, downloaded by pip when absent (pinned version, hash required)."""
    path = sdist_path(project, cache)
    if path.is_file() and sha256_of(path) == project.sha256:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        requirement = Path(tmp) / "requirements.txt"
        requirement.write_text(f"{project.name}=={project.version} --hash=sha256:{project.sha256}\n")
        done = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                               "--require-hashes", "-r", str(requirement), "-d", tmp, "-q"],
                              capture_output=True, text=True, timeout=600)
        got = Path(tmp) / project.sdist
        if done.returncode != 0 or not got.is_file():
            raise RuntimeError(f"pip could not fetch {project.name}=={project.version}: {done.stderr[-800:]}")
        if sha256_of(got) != project.sha256:
            raise RuntimeError(f"{project.sdist}: sha256 {sha256_of(got)} is not the pinned {project.sha256}")
        shutil.move(str(got), path)
    return path


def unpacked(project: Project, cache: Path | None = None) -> Path:
    """The pristine sources (the sdist's top folder), unpacked once into the cache."""
    root = (cache or cache_dir()) / "src" / project.folder
    if root.is_dir():
        return root
    archive = fetch(project, cache)
    with tempfile.TemporaryDirectory(dir=root.parent.parent) as tmp:
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        root.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(Path(tmp) / project.folder, root)
        except OSError:  # another worker unpacked it first
            if not root.is_dir():
                raise
    return root


def patched_text(case: Case, text: str) -> str:
    """The file's text with the case's patch: `find` exactly once inside the target function, replaced there."""
    from orchestrator.target import TargetError, locate_python

    try:
        target = locate_python(Path(case.file), text, case.function)
    except TargetError as exc:
        raise CaseError(f"{case.id}: {exc}") from exc
    body = text[target.start:target.end]
    if body.count(case.find) != 1:
        raise CaseError(f"{case.id}: the text to replace occurs {body.count(case.find)} times in {case.function}")
    return text[:target.start] + body.replace(case.find, case.replace) + text[target.end:]


def case_project(case: Case, workdir: Path, project: Project | None = None) -> Path:
    """A fresh copy of the project under `workdir` with the case's patch and bench script; returns its root."""
    project = project or project_of(case)
    root = workdir / project.folder
    shutil.copytree(unpacked(project), root)
    path = root / case.file
    path.write_text(patched_text(case, path.read_text(encoding="utf-8")), encoding="utf-8")
    if case.bench:
        (root / case.trace[-1]).write_text(case.bench, encoding="utf-8")
    return root
