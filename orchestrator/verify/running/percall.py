"""Timed runs of C++, Java, Go, Rust and JavaScript: every timed call is a process of its own, and every call's
answer is compared with the original's on the host.

The workload program of these languages (the user's `--workload` file, whose `main` loops N times, N its last
argument) is run with N = 1: one run is one call. A timed sample of n calls is n runs of that program, each a
step of the in-container supervisor (sandbox/supervisor/serve.py): a fresh process, started from the run
directory as the build left it (read-only to it), with /tmp, /dev/shm and System V IPC emptied and every
process it left killed before the next one. The supervisor never runs candidate code, so no state crosses
timed calls: a `static std::map` keyed by the input, a Java static field or a JavaScript module-level Map
never hits. Each run's answer -- its stdout, exit status and signal -- is digested here, on the host, and
compared with the original's: a timed run is the same run as the checked one (the same program, arguments and
environment), so nothing a candidate can read tells them apart.

How it fits the measurement (profiling/measure.py, profiling/batch.py), which asks a Program for one RunSpec
per sample: `calls_spec` marks the one-call RunSpec with how many calls a sample makes, in its stdin (the only
part of a RunSpec that travels unchanged into a supervisor step; no workload program reads it, and the mark is
taken away before anything runs). `PerCallRunner` wraps the sandbox: its `session` turns each marked step
into that many steps, and folds their results back into one step per sample -- CPU and wall time summed,
memory the peak, the stdout replaced by a header and one digest per call -- so that a batch of samples is still
compiled once. The expanded steps keep the program they belong to: the sandbox runs A's in A's container and
B's in B's (profiling/batch.py), a sample's calls as one request. `check_run` is the Program.check of such
samples.

Start-up: a sample of n calls holds n process start-ups, while the measurement subtracts one (that of the
program run with N = 0). The start-up of each further process stays in the cost per call: both programs pay
it alike, which can only hide a gain, never invent one; `per_call_cost` measures how much of a call it is.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from statistics import median

MARK = "@@refactorcoder-timed-calls@@"
_TOKEN = re.compile(rf"^{re.escape(MARK)} ([0-9a-f]+) ([0-9]+)\n$")
MAX_CALLS = 100_000  # a mark asking for more is not one of ours
# A call whose own work is under this share of a process start-up is too small to time: at 0.25 the function is
# under a fifth of each timed call and a 2x faster one shows as under 1.1x (seen: C++ start-up ~4 ms of CPU,
# the supervisor's `sh` included; a JVM's or node's tens of ms).
TOO_SMALL_MULTIPLE = 0.25


def calls_spec(spec, calls: int, nonce: str):
    """`spec` (a program that makes one call) run `calls` times per sample, each run a fresh process."""
    if not 1 <= calls <= MAX_CALLS:
        raise ValueError(f"calls must be within 1..{MAX_CALLS}")
    return spec.model_copy(update={"stdin": f"{MARK} {nonce} {calls}\n"})


def token(stdin: str | None) -> tuple[str, int] | None:
    """(nonce, calls) of a marked stdin, else None."""
    found = _TOKEN.match(stdin or "")
    if found is None or not 1 <= int(found.group(2)) <= MAX_CALLS:
        return None
    return found.group(1), int(found.group(2))


def call_digest(raw: dict) -> str:
    """A call's answer, as compared: everything it wrote to stdout, its exit status and signal."""
    answer = [raw.get("exit_code"), raw.get("signal"), bool(raw.get("stdout_truncated")), raw.get("stdout", "")]
    return hashlib.sha256(json.dumps(answer).encode("utf-8", "surrogatepass")).hexdigest()[:32]


# The answer of a call that printed nothing and exited 0: all that is compared of a workload that prints nothing.
SILENT = call_digest({"exit_code": 0, "signal": None, "stdout_truncated": False, "stdout": ""})


def fold(group: list[dict], nonce: str, calls: int) -> dict:
    """The supervisor results of one sample's `calls` steps as the result of one step: times summed, memory
    the peak (the time-weighted mean of the means), the first failure's status and stderr, stdout a header and
    one digest per call. A skipped step (failed build, poisoned run directory) stands for the whole sample."""
    skipped = next((raw for raw in group if raw.get("skipped")), None)
    if skipped is not None:
        return dict(skipped)
    failed = next((raw for raw in group if raw.get("exit_code") != 0 or raw.get("reason") or raw.get("signal")
                   or raw.get("oom_killed") or raw.get("tampered")), None)
    shown = failed or group[-1]
    wall = sum(float(raw.get("wall_s", 0.0)) for raw in group)
    mean_rss = (sum(float(raw.get("mean_rss_bytes", 0)) * float(raw.get("wall_s", 0.0)) for raw in group) / wall
                if wall > 0 else max(float(raw.get("mean_rss_bytes", 0)) for raw in group))
    tampered = [change for raw in group for change in (raw.get("tampered") or [])]
    return {
        "name": group[0].get("name", ""),
        "wall_s": wall,
        "user_s": sum(float(raw.get("user_s", 0.0)) for raw in group),
        "sys_s": sum(float(raw.get("sys_s", 0.0)) for raw in group),
        "peak_rss_bytes": max(int(raw.get("peak_rss_bytes", 0)) for raw in group),
        "peak_sampled_bytes": max(int(raw.get("peak_sampled_bytes", 0)) for raw in group),
        "mean_rss_bytes": int(mean_rss),
        "samples": sum(int(raw.get("samples", 0)) for raw in group),
        "exit_code": shown.get("exit_code", 0), "signal": shown.get("signal"), "reason": shown.get("reason"),
        "oom_killed": any(raw.get("oom_killed") for raw in group),
        "stdout": f"{MARK} {nonce} {calls}\n" + "".join(call_digest(raw) + "\n" for raw in group),
        "stdout_truncated": False,
        "stderr": shown.get("stderr", ""), "stderr_truncated": bool(shown.get("stderr_truncated")),
        "diag": shown.get("diag"),
        "tampered": tampered[:20],
    }


def expand(payload: dict) -> tuple[dict, list[tuple[int, int, str, int]]]:
    """The payload with every marked run step repeated as often as its mark says (unmarked, stdin empty), and
    per original step (its first new index, how many, nonce, calls); `requires` indices are renumbered."""
    steps, groups, first_of = [], [], []
    for step in payload["steps"]:
        mark = token(step.get("stdin"))
        first_of.append(len(steps))
        if mark is None or step.get("build"):
            groups.append((len(steps), 1, "", 0))
            steps.append(dict(step))
            continue
        nonce, calls = mark
        groups.append((len(steps), calls, nonce, calls))
        steps += [dict(step, stdin=None, name=f"{step.get('name', '')}#{number}") for number in range(calls)]
    for step in steps:
        if step.get("requires") is not None:
            step["requires"] = first_of[step["requires"]]
    return dict(payload, steps=steps), groups


def collapse(report: dict, groups: list[tuple[int, int, str, int]]) -> dict:
    """The supervisor's report of an expanded payload as the report of the original one. Results stop at the
    first sample whose steps did not all report (the session ended): that sample was not run."""
    raw = report.get("steps") or []
    out = []
    for start, count, nonce, calls in groups:
        part = raw[start:start + count]
        if len(part) < count:
            break
        out.append(fold(part, nonce, calls) if calls else part[0])
    return dict(report, steps=out)


class PerCallRunner:
    """A sandbox whose marked RunSpecs (`calls_spec`) run as one process per call; everything else (tests,
    differential drivers, start-up runs) passes through unchanged. `session` is what profiling.batch uses, so a
    batch of samples of both programs still compiles each program once."""

    def __init__(self, sandbox):
        self.sandbox = sandbox

    def run(self, spec):
        if token(spec.stdin) is None:
            return self.sandbox.run(spec)
        from profiling.batch import batch_runner

        return batch_runner(self)([spec])[0]

    def session(self, language: str, limits, payload: dict, image: str | None = None):
        expanded, groups = expand(payload)
        outcome, warm = (self.sandbox.session(language, limits, expanded, image) if image is not None
                         else self.sandbox.session(language, limits, expanded))
        if outcome.report is not None:
            outcome.report = collapse(outcome.report, groups)
        return outcome, warm


def digests(result) -> tuple[str, list[str]] | None:
    """(nonce, per-call digests) of a folded sample's result; None when it is not one."""
    lines = (result.stdout or "").splitlines()
    if not lines:
        return None
    head = token(lines[0] + "\n")
    if head is None:
        return None
    return head[0], lines[1:]


def check_run(result, issued: dict[str, int], reference: list[str] | None) -> str | None:
    """Program.check of a per-call workload program: None, or why the sample must be rejected. `issued` maps the
    nonce of every spec the program built to its calls; `reference` holds the original's answer to the
    workload's call (None: only that every call reported)."""
    found = digests(result)
    if found is None:
        status = getattr(result.status, "value", result.status)
        return f"the timed run reported no per-call answers ({status}): {(result.message or '').strip()}"[:500]
    nonce, answers = found
    if nonce not in issued:
        return "the timed run's answers do not belong to a run this measurement started"
    if len(answers) != issued[nonce]:
        return f"the timed run reported {len(answers)} of {issued[nonce]} calls"
    if reference is not None:
        for number, answer in enumerate(answers, 1):
            if answer != reference[0]:
                return (f"timed call {number} of {len(answers)} gave a different answer from the original "
                        "(its output or exit status differs)")
    return None


@dataclass
class CallCost:
    """CPU seconds of the workload program's start-up (N = 0) and of one call above it."""

    startup_s: float
    call_s: float

    def too_small(self, multiple: float = TOO_SMALL_MULTIPLE) -> bool:
        """The call's own work is under `multiple` times the process start-up every timed call pays: a gain in
        the function would be hidden."""
        return self.call_s < multiple * self.startup_s


COST_CALLS = 5  # calls in one process when sizing a call: a process's CPU time varies by ~1 ms (C++), a call may not


def per_call_cost(runner, zero_spec, many_spec, calls: int = COST_CALLS, runs: int = 3) -> CallCost | None:
    """Start-up and per-call cost of the ORIGINAL's workload program from `runs` interleaved runs of `zero_spec`
    (N = 0) and `many_spec` (N = `calls`) in one session (None when a run failed): a call is (N = calls minus N = 0) / calls, measured
    in one process because one call of a few ms drowns in the start-up's noise. Its calls after the first run
    warm (JIT, caches of the original's own), so the figure is a lower bound of a timed call's work."""
    from profiling.batch import batch_runner

    results = batch_runner(runner)([spec for _ in range(runs) for spec in (zero_spec, many_spec)])
    if not all(getattr(r, "ok", False) for r in results):
        return None
    zero = median(r.profile.cpu_time_s for r in results[0::2])
    many = median(r.profile.cpu_time_s for r in results[1::2])
    return CallCost(startup_s=zero, call_s=max(0.0, many - zero) / calls)
