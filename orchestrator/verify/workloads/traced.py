"""Traced inputs as Optimize's default workload and as replay tests (issue 17, point 3).

`refactorcoder trace -- COMMAND` leaves `.refactorcoder/trace.json` under the project (orchestrator/trace):
per project function, a few real inputs of the user's own run, as pickles, with the original's answers.
For `optimize FILE::f` without --workload, when the trace holds inputs for f:

* the workload is one call per sampled input, each an expression the in-sandbox driver evaluates like any
  workload call: the pickle is unpickled *in the call's process in the sandbox* (never on the host), f is
  called on it, and the call's answer is the return value together with the arguments after the call (so a
  change to `self` or to an argument that the original does not make is a different answer in every timed
  call);
* the recorded answers become replay tests (program tests run in the sandbox): each replays one input and
  compares the return value and, where the call changed them, the arguments afterwards with what the original
  gave in the traced run. A replay the original itself does not reproduce (randomness, time) is dropped like
  any test the original fails (orchestrator/refine.py `_baseline`).

Whether the workload is measurable is read from the trace: the original's cumulative time per traced call.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from orchestrator.target import Target
from orchestrator.trace.model import FunctionTrace, Trace, TracedCall, load, trace_path
from orchestrator.verify.testing.testsuite import TestSource

MAX_CALLS = 8
REPLAY_SUITE = "traced"  # replays of calls recorded from the user's own run (testsuite.SUITE_TRUST)

# Both the workload call and the replay test unpickle in the sandbox, in the call's own process.
_UNPICKLE = "__import__('pickle').loads(__import__('base64').b64decode({blob!r}))"


@dataclass
class TracedPlan:
    """The workload and replay tests built from a trace for one target."""

    exprs: list[str]
    tests: list[TestSource] = field(default_factory=list)
    seconds_per_call: float = 0.0  # the original's cumulative time per traced call (traced)
    function: FunctionTrace | None = None
    command: list[str] = field(default_factory=list)
    traced_at: float = 0.0  # when the trace was taken (POSIX time)

    @property
    def note(self) -> str:
        return (f"workload: {len(self.exprs)} calls replaying real inputs from the trace of "
                f"`{' '.join(self.command)}` ({self.seconds_per_call * 1000:.2g} ms per call traced; not shown to "
                "the models)")


def traced_function(target: Target) -> tuple[FunctionTrace | None, Trace | None]:
    """The trace's record of `target` (None when there is no trace or no inputs for it) and the trace."""
    if not target.root.is_absolute() or not target.path.is_relative_to(target.root):
        return None, None  # a target outside any project (e.g. a benchmark problem's file): no trace of it
    trace = load(trace_path(target.root))
    if trace is None:
        return None, None
    found = trace.find(target.rel_path, target.qualname)
    return (found if found is not None and found.samples else None), trace


def workload_expr(qualname: str, call: TracedCall) -> str:
    """One workload call: f(*args, **kwargs) on the unpickled input; answer (result, args after, kwargs after)."""
    return f"(lambda a, k: ({qualname}(*a, **k), a, k))(*{_UNPICKLE.format(blob=call.args)})"


def replay_source(qualname: str, call: TracedCall) -> str | None:
    """A program test replaying one traced call: the original's answer (and its change to the arguments) must
    come back. None when the trace kept no answer to compare (a generator, an unpicklable result)."""
    if call.generator or (call.output is None and call.raised is None):
        return None
    lines = [f"_a, _k = {_UNPICKLE.format(blob=call.args)}"]
    if call.raised is not None:
        lines += ["try:", f"    {qualname}(*_a, **_k)", "except BaseException as _e:",
                  f"    assert type(_e).__name__ == {call.raised!r}, 'raised ' + type(_e).__name__ + ', the traced "
                  f"call raised {call.raised}'", "else:", f"    raise AssertionError('the traced call raised "
                  f"{call.raised}; this one returned')"]
    else:
        lines += [f"_got = {qualname}(*_a, **_k)", f"_want = {_UNPICKLE.format(blob=call.output)}",
                  "assert _same(_got, _want), 'a different result from the traced call'"]
    if call.after is not None:
        lines += [f"_after = {_UNPICKLE.format(blob=call.after)}",
                  "assert _same((_a, _k), _after), 'the arguments (self included) changed differently from the "
                  "traced call'"]
    return SAME + "\n".join(lines) + "\n"


# How replays compare answers: equal, else floats within 1e-9 relative, containers item by item, other objects
# of the same type by what pickling saves of them (a class without __eq__ compares by identity otherwise).
SAME = '''def _same(a, b, depth=0):
    import math
    if depth > 50:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or math.isclose(a, b, rel_tol=1e-9) or (a != a and b != b)
    try:
        if a == b:
            return True
    except Exception:
        pass
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y, depth + 1) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k], depth + 1) for k in a)
    if isinstance(a, (set, frozenset, str, bytes, int, complex)) or a is None:
        return False
    try:  # what pickling saves of each (both were pickled in the traced run): class, arguments, state
        mine, theirs = a.__reduce_ex__(4), b.__reduce_ex__(4)
    except Exception:
        return False
    return isinstance(mine, tuple) and _same(mine, theirs, depth + 1)
'''


def traced_plan(target: Target) -> TracedPlan | None:
    """The workload and replay tests from the project's trace for `target`; None when it has no inputs there."""
    if target.language != "python":
        return None
    function, trace = traced_function(target)
    if function is None:
        return None
    calls = function.replayable[:MAX_CALLS]  # none when every sampled call raised: replay tests only
    plan = TracedPlan([workload_expr(target.qualname, c) for c in calls], function=function, command=trace.command,
                      seconds_per_call=function.cumulative_s / max(1, function.calls or 1), traced_at=trace.created_at)
    for number, call in enumerate(function.samples[:MAX_CALLS], 1):
        source = replay_source(target.qualname, call)
        if source is not None:
            plan.tests.append(TestSource(REPLAY_SUITE, "program", f"replay of traced call {number}", source=source))
    return plan


def add_replay_tests(job) -> TracedPlan | None:
    """Called once a Python job's suite is known: the trace's replay tests join it (optimize only); returns the
    plan, whose exprs are the default workload (orchestrator/refine.py)."""
    plan = traced_plan(job.target)
    if plan is None:
        return None
    job.suite.tests += plan.tests
    job.report.notes.append(f"{len(plan.tests)} replay test(s) of real calls from the trace of "
                            f"`{' '.join(plan.command)}`")
    if plan.traced_at and job.target.path.stat().st_mtime > plan.traced_at:
        job.report.notes.append(f"{job.target.rel_path} changed after it was traced: a replay the original no longer "
                                "passes is not required (trace again for fresh inputs)")
    return plan


def traced_workload(job, plan: TracedPlan | None) -> tuple[list[str], str | None] | None:
    """Optimize's default workload from the trace (orchestrator/refine.py `_workload`): (exprs, None), or
    ([], why) when the traced calls are too small to measure and the tests give no calls to grow instead;
    None when there is no traced plan (or the tests' calls should be grown instead)."""
    from orchestrator.verify.workloads.workload import MIN_CALL_S

    if plan is None or not plan.exprs:
        return None
    if plan.seconds_per_call < MIN_CALL_S:
        why = (f"the traced calls of {job.target.qualname} cost the original {plan.seconds_per_call * 1000:.2g} ms "
               f"each (traced): too small to show a difference (a measurement needs ≥ {MIN_CALL_S * 1000:.2g} ms "
               f"per call). Give a workload that does real work: --workload \"{job.target.name}(...)\"")
        if job.suite.seen_calls:
            job.report.notes.append(why + "; the tests' calls are grown instead")
            return None
        return [], why
    job.report.notes.append(plan.note)
    return plan.exprs, None
