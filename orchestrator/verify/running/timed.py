"""Reading a Python timed run's report on the host: every call of every repetition is compared with the
original's answer (digests of the normalised records the in-sandbox driver computes, orchestrator/verify/
driver.py). A timed run is the same kind of run as a checked one, so nothing a candidate can read tells them
apart, and a candidate that answers differently when timed is rejected.

Report fields used (driver mode "calls"): loops, orders, digests (per pass a {call index: digest} dict, or
"=" when the pass equals the first repetition's pass of the same order), raised (first repetition:
{call index: exception type}), tampered (files a call changed).
"""

from __future__ import annotations

import re

from orchestrator.verify.running.pyjobs import REPORT_MARKER, parse_report

_MARKER = re.compile(r"\n@@RC-DRIVER-([0-9a-f]+)@@\n")


def expand(report: dict) -> list[list[str | None]]:
    """Per pass (repetition-major, then order) the digests by call index."""
    orders = max(1, int(report.get("orders") or 1))
    passes: list[dict] = []
    for number, entry in enumerate(report.get("digests") or []):
        if entry == "=" and number >= orders:
            entry = passes[number % orders]
        passes.append(entry if isinstance(entry, dict) else {})
    width = max((int(k) for p in passes for k in p if str(k).isdigit()), default=-1) + 1
    return [[p.get(str(i)) for i in range(width)] for p in passes]


def report_problem(report: dict, reference: list[str] | None, loops: int, calls: int) -> str | None:
    """Why a driver report of `loops` repetitions of `calls` workload calls is not a faithful timed run of
    the original's answers (None when it is)."""
    if report.get("tampered"):
        return "a call changed the program's files (" + ", ".join(map(str, report["tampered"][:3])) + ")"
    passes = expand(report)
    if report.get("loops") != loops or len(passes) != loops:
        return f"the timed run reported {len(passes)} of {loops} repetitions"
    raised = report.get("raised") or {}
    for rep, digests in enumerate(passes):
        if len(digests) != calls:
            return f"timed run, repetition {rep + 1}: {len(digests)} of {calls} calls reported"
        for i, value in enumerate(digests):
            if value is None:
                return f"timed run, repetition {rep + 1}: call {i + 1} of {calls} gave no answer"
            if reference is None:
                if rep == 0 and str(i) in raised:
                    return f"call {i + 1} of {calls} raised {raised[str(i)]}"
            elif value != reference[i]:
                how = f" (it raised {raised[str(i)]})" if rep == 0 and str(i) in raised else ""
                return (f"timed run, repetition {rep + 1}: call {i + 1} of {calls} returned a different answer "
                        f"from the original{how}")
    return None


def check_run(result, issued: dict[str, int], reference: list[str] | None, calls: int) -> str | None:
    """Program.check of a Python workload program: the run's RunResult -> None, or why it must be rejected.
    `issued` maps the nonce of every run spec the program built to its repetitions; a measurement runs one
    spec for many samples, so a nonce stays valid for every run of its own spec (never for another program's)."""
    stdout = result.stdout or ""
    found = _MARKER.findall(stdout)
    if stdout.count(REPORT_MARKER) > 1 or len(found) > 1:
        return "the timed run's output holds more than one driver report: rejected as tampered"
    if not found:
        status = getattr(result.status, "value", result.status)
        detail = (result.message or "") + (" " + result.stderr[-300:] if result.stderr else "")
        return f"the timed run gave no report ({status}): {detail.strip()}"[:500]
    nonce = found[0]
    if nonce not in issued:
        return "the timed run's report does not belong to a run this measurement started: rejected as tampered"
    loops = issued[nonce]
    report = parse_report(result, nonce)
    if not report.get("ok"):
        return "the timed run failed: " + str(report.get("error", "no report"))[:400]
    return report_problem(report, reference, loops, calls)
