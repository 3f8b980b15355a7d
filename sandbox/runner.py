"""Turning RunSpecs into supervisor payloads, and supervisor reports into Results."""

from __future__ import annotations

import re

from profiling.metrics import Profile
from sandbox.languages import BASE_ENV, Plan, main_file, plan
from sandbox.models import Limits, Result, RunSpec, Status, StepResult

WORKDIR = "/work/run"
# Language runtimes that report running out of memory themselves instead of being OOM-killed.
OOM_MESSAGES = re.compile(r"java\.lang\.OutOfMemoryError|MemoryError|JavaScript heap out of memory|"
                          r"fatal error: runtime: out of memory|memory allocation of \d+ bytes failed|"
                          r"std::bad_alloc|cannot allocate memory", re.IGNORECASE)


def spec_files(spec: RunSpec) -> dict[str, str]:
    files = dict(spec.files)
    if spec.source is not None:
        files = {main_file(spec.language): spec.source, **files}
    return files


def step_dict(name: str, argv: list[str], wall: float, cpu: float, limits: Limits, cwd: str = "",
              stdin: str | None = None, requires: int | None = None, build: bool = False) -> dict:
    """One supervisor step; `build` steps (compilers) leave their output for the run steps, which each start
    from the run directory as the builds left it, read-only to them (sandbox/supervisor/isolation.py)."""
    return {"name": name, "argv": argv, "wall_s": wall, "cpu_s": cpu, "cwd": cwd, "stdin": stdin,
            "requires": requires, "fsize": limits.work_disk_mb * 1024 * 1024, "build": build}


def build_payload(plans: list[tuple[str, Plan]], steps: list[dict], limits: Limits) -> dict:
    files: dict[str, str] = {}
    env = dict(BASE_ENV)
    copy_dirs: list = []
    read_once: list[str] = []
    build_only: list[str] = []
    for prefix, p in plans:
        for name, text in p.files.items():
            files[f"{prefix}{name}"] = text
        env.update(p.env)
        for pair in p.copy_dirs:
            if list(pair) not in copy_dirs:
                copy_dirs.append(list(pair))
        read_once += [f"{prefix}{name}" for name in p.read_once]
        build_only += [f"{prefix}{name}" for name in p.build_only]
    return {"workdir": WORKDIR, "files": files, "env": env, "steps": steps, "copy_dirs": copy_dirs,
            "output_cap": limits.output_bytes, "read_once": read_once, "build_only": build_only}


def payload_for(spec: RunSpec) -> tuple[dict, bool]:
    """Payload for a single RunSpec; second value: whether it has a compile step."""
    p = plan(spec.language, spec_files(spec), spec.args, spec.mode, WORKDIR, spec.read_once)
    lim = spec.limits
    steps = []
    if p.build:
        steps.append(step_dict("compile", p.build, lim.compile_time_s, lim.compile_time_s, lim, build=True))
    steps.append(step_dict("run", p.run, lim.wall_time_s, lim.cpu_time_s, lim, stdin=spec.stdin,
                           requires=0 if p.build else None))
    return build_payload([("", p)], steps, lim), bool(p.build)


def session_deadline(steps: list[dict]) -> float:
    # Each step's own limits, plus time to spawn, sample, kill, wipe and report.
    return sum(s["wall_s"] for s in steps) + 10.0 + 1.0 * len(steps)


def report_bytes_budget(limits: Limits, n_steps: int) -> int:
    # JSON may escape each captured byte into up to 6 characters (\uXXXX).
    return n_steps * 2 * 6 * limits.output_bytes + (1 << 20)


def to_step(raw: dict) -> StepResult:
    if raw.get("skipped"):  # its build failed, or (isolation) an earlier step broke files that cannot be restored
        return StepResult(name=raw.get("name", ""), skipped=True,
                          tampered=[raw["isolation"]] if raw.get("isolation") else [])
    profile = Profile(
        wall_time_s=raw["wall_s"], cpu_time_s=raw["user_s"] + raw["sys_s"], user_time_s=raw["user_s"],
        sys_time_s=raw["sys_s"],
        # Kernel accounting (ru_maxrss) unless the sampled sum over processes saw more.
        peak_memory_bytes=max(raw["peak_rss_bytes"], raw["peak_sampled_bytes"]),
        mean_memory_bytes=raw["mean_rss_bytes"], memory_samples=raw["samples"])
    return StepResult(name=raw.get("name", ""), exit_code=raw["exit_code"], signal=raw["signal"],
                      reason=raw["reason"], oom_killed=raw["oom_killed"], stdout=raw["stdout"],
                      stderr=raw["stderr"], stdout_truncated=raw["stdout_truncated"],
                      stderr_truncated=raw["stderr_truncated"], profile=profile, diagnostics=raw.get("diag"),
                      tampered=raw.get("tampered") or [])


def classify(step: StepResult, compile_step: bool = False) -> Status:
    """Status of one step, limits first (a killed program's exit status says nothing)."""
    if step.tampered:  # first: whatever else happened, this run must not count
        return Status.FAILED
    if step.skipped:
        return Status.COMPILE_ERROR
    if step.reason == "output_limit":
        return Status.OUTPUT_LIMIT
    if step.oom_killed:
        return Status.MEMORY_LIMIT
    if step.reason in ("timeout", "cpu_limit") or step.signal == 24:  # SIGXCPU: RLIMIT_CPU backstop
        return Status.TIMEOUT
    if step.reason == "spawn_failed":
        return Status.SANDBOX_ERROR
    if step.exit_code == 0:
        return Status.OK
    if OOM_MESSAGES.search(step.stderr[-4000:]):
        return Status.MEMORY_LIMIT
    return Status.COMPILE_ERROR if compile_step else Status.FAILED


def result_from_report(report: dict, spec: RunSpec, has_compile: bool) -> Result:
    steps = [to_step(s) for s in report.get("steps", [])]
    base = dict(language=spec.language, limits=spec.limits)
    if report.get("error") and not steps:
        return Result(status=Status.SANDBOX_ERROR, phase="sandbox", message=report["error"], **base)
    compile_step = steps[0] if has_compile and steps else None
    if compile_step is not None:
        status = classify(compile_step, compile_step=True)
        if status != Status.OK:
            return Result(status=status, phase="compile", compile=compile_step, exit_code=compile_step.exit_code,
                          stdout=compile_step.stdout, stderr=compile_step.stderr,
                          stdout_truncated=compile_step.stdout_truncated,
                          stderr_truncated=compile_step.stderr_truncated, profile=compile_step.profile,
                          message=_message(compile_step, status, "compilation"),
                          diagnostics=compile_step.diagnostics, **base)
    run_steps = steps[1:] if has_compile else steps
    if not run_steps:
        return Result(status=Status.SANDBOX_ERROR, phase="sandbox", compile=compile_step,
                      message=report.get("error") or "the program was not run", **base)
    step = run_steps[0]
    status = classify(step)
    return Result(status=status, phase="run", compile=compile_step, exit_code=step.exit_code, stdout=step.stdout,
                  stderr=step.stderr, stdout_truncated=step.stdout_truncated, stderr_truncated=step.stderr_truncated,
                  profile=step.profile, message=_message(step, status, "the program"),
                  diagnostics=step.diagnostics, **base)


def _message(step: StepResult, status: Status, what: str) -> str:
    if step.tampered:
        return (f"{what} modified files it does not own (program files are read-only to it; put back): "
                + "; ".join(step.tampered[:5]) + (" …" if len(step.tampered) > 5 else ""))
    if status == Status.TIMEOUT:
        return f"{what} exceeded its {'CPU' if step.reason == 'cpu_limit' else 'wall-clock'} time limit"
    if status == Status.MEMORY_LIMIT:
        return f"{what} exceeded the memory limit"
    if status == Status.OUTPUT_LIMIT:
        return f"{what} exceeded the output limit"
    if step.signal:
        return f"{what} was killed by signal {step.signal}"
    return ""
