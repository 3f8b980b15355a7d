"""Public data types of the sandbox: what to run (RunSpec, Limits) and what happened (Result)."""

from __future__ import annotations

import logging
from enum import Enum
from typing import Literal, Optional

from pydantic import BaseModel, Field, field_validator, model_validator

from profiling.metrics import Profile
from source import languages

log = logging.getLogger(__name__)

# The sandbox keys of the language table (source/languages.py): python, cpp, java, go, rust, js.
Language = Literal[languages.SANDBOX_KEYS]  # type: ignore[valid-type]
# Every other name of a language (its LSP id, fence tag, aliases) -> its sandbox key.
LANGUAGE_ALIASES = {name: lang.sandbox for lang in languages.LANGUAGES for name in lang.names if name != lang.sandbox}


class Status(str, Enum):
    OK = "ok"
    FAILED = "failed"
    COMPILE_ERROR = "compile_error"
    TIMEOUT = "timeout"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"
    SANDBOX_ERROR = "sandbox_error"


class Limits(BaseModel):
    """Isolation limits. Container-level ones (memory, cpus, pids, disk) key the warm pool.

    Values looser than the defaults are allowed only when set explicitly, and are logged; the
    effective limits are echoed in every Result. There is deliberately no switch for networking.
    """

    wall_time_s: float = Field(10.0, gt=0, le=600, description="wall-clock limit of the program")
    cpu_time_s: float = Field(10.0, gt=0, le=600, description="CPU time (user+sys, all processes)")
    compile_time_s: float = Field(60.0, gt=0, le=600, description="wall and CPU limit of compilation")
    memory_mb: int = Field(512, ge=32, le=16384, description="RAM; swap is set equal (no swap)")
    cpus: float = Field(1.0, gt=0, le=64, description="CPU quota in cores")
    pids: int = Field(128, ge=8, le=4096, description="max processes+threads in the container")
    work_disk_mb: int = Field(64, ge=1, le=4096, description="size of the writable /work tmpfs")
    tmp_disk_mb: int = Field(16, ge=1, le=1024, description="size of the writable /tmp tmpfs")
    max_files: int = Field(8192, ge=64, le=1_000_000, description="inodes per writable tmpfs")
    output_bytes: int = Field(1 << 20, ge=1024, le=64 << 20, description="cap per stream (stdout, stderr)")
    runtime: Optional[str] = Field(None, description="OCI runtime: None/'runc' or 'runsc' (gVisor)")

    def container_key(self) -> tuple:
        """The part of the limits that is fixed when a container is created."""
        return (self.memory_mb, self.cpus, self.pids, self.work_disk_mb, self.tmp_disk_mb, self.max_files,
                self.runtime or "runc")

    def loosened(self) -> list[str]:
        fields = type(self).model_fields
        return [name for name in ("wall_time_s", "cpu_time_s", "compile_time_s", "memory_mb", "cpus", "pids",
                                  "work_disk_mb", "tmp_disk_mb", "max_files", "output_bytes")
                if getattr(self, name) > fields[name].default]

    @model_validator(mode="after")
    def _warn_if_loosened(self):
        loose = self.loosened()
        if loose:
            log.info("sandbox limits loosened explicitly: %s", ", ".join(loose))
        return self


# The job file of orchestrator/verify/running/in_sandbox/driver.py, which deletes it before any candidate code runs.
DEFAULT_READ_ONCE = ("job.json",)


class RunSpec(BaseModel):
    """A program to run: language, source files (name -> text), optional stdin/args, limits.

    ``source`` is a shortcut for a single main file named after the language's convention.
    ``mode="test"`` compiles the files as a test program (``go test``, ``rustc --test``) whose exit
    status is the verdict.
    """

    language: Language
    files: dict[str, str] = Field(default_factory=dict)
    source: Optional[str] = None
    stdin: Optional[str] = None
    args: list[str] = Field(default_factory=list)
    limits: Limits = Field(default_factory=Limits)
    mode: Literal["run", "test"] = "run"
    read_once: list[str] = Field(default_factory=lambda: list(DEFAULT_READ_ONCE), description=(
        "names in `files` the program deletes after reading them (a job description its trusted driver hides "
        "from the code it runs): their folder stays writable to the program and removing them is no change; "
        "every other program file is read-only, and changing one fails the run. Names not in `files` are "
        "ignored; the default is the Python verification driver's job file"))

    @field_validator("language", mode="before")
    @classmethod
    def _alias(cls, value):
        value = str(value).lower()
        return LANGUAGE_ALIASES.get(value, value)

    @field_validator("files")
    @classmethod
    def _safe_names(cls, files):
        for name in files:
            parts = name.split("/")
            if name.startswith("/") or any(p in ("", ".", "..") for p in parts):
                raise ValueError(f"file name {name!r} must be a relative path without '..'")
        return files

    @model_validator(mode="after")
    def _need_source(self):
        if not self.files and self.source is None:
            raise ValueError("RunSpec needs `source` or `files`")
        return self


class StepResult(BaseModel):
    """One process run inside the sandbox (a compile step or the program)."""

    name: str = ""
    exit_code: Optional[int] = None
    signal: Optional[int] = None
    reason: Optional[str] = None  # timeout, cpu_limit, output_limit, spawn_failed
    oom_killed: bool = False
    stdout: str = ""
    stderr: str = ""
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    profile: Profile = Field(default_factory=Profile)
    skipped: bool = False
    diagnostics: Optional[dict] = None  # supervisor's view when it stopped the program
    # Program files the step changed (its own or another program's), e.g. "p0/main.py: content changed";
    # they were put back, and the step failed.
    tampered: list[str] = Field(default_factory=list)


class Result(BaseModel):
    status: Status
    exit_code: Optional[int] = None
    stdout: str = ""
    stderr: str = ""
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    profile: Profile = Field(default_factory=Profile)
    phase: Literal["compile", "run", "sandbox"] = "run"
    compile: Optional[StepResult] = None
    message: str = ""
    language: Optional[str] = None
    limits: Limits = Field(default_factory=Limits)
    warm: bool = False
    diagnostics: Optional[dict] = Field(None, description="supervisor's view when it stopped the program")
    overhead_s: float = Field(0.0, description="host wall time of the whole call minus the program's")

    @property
    def ok(self) -> bool:
        return self.status == Status.OK


class TestCase(BaseModel):
    """Either stdin + expected stdout, or a test program (source text combined with the candidate
    by the language's rules, e.g. a Go ``_test.go`` file or a Java ``Main`` class) that exits
    non-zero on failure."""

    __test__ = False  # not a pytest class
    name: str = ""
    stdin: Optional[str] = None
    expected_stdout: Optional[str] = None
    test_program: Optional[str] = None
    args: list[str] = Field(default_factory=list)


class TestOutcome(BaseModel):
    __test__ = False
    name: str
    passed: bool
    status: Status
    time_s: float = 0.0
    exit_code: Optional[int] = None
    stdout: str = ""
    stderr: str = ""
    profile: Profile = Field(default_factory=Profile)
    diagnostics: Optional[dict] = None


class TestReport(BaseModel):
    __test__ = False
    language: str
    compile_status: Status = Status.OK
    compile_output: str = ""
    tests: list[TestOutcome] = Field(default_factory=list)
    message: str = ""

    @property
    def passed(self) -> int:
        return sum(t.passed for t in self.tests)

    @property
    def total(self) -> int:
        return len(self.tests)

    @property
    def all_passed(self) -> bool:
        return bool(self.tests) and all(t.passed for t in self.tests)
