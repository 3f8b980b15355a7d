"""`refactorcoder trace` and `optimize --hot` (orchestrator/trace, orchestrator/verify/workloads/traced.py): a small
project's script and pytest run traced in the real Python sandbox; the traced inputs replayed as tests and
as the workload; the hottest function optimized with a scripted model (real HTTP through litellm)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest
from typer.testing import CliRunner

from orchestrator.target import locate
from orchestrator.trace.model import load, save, trace_path
from orchestrator.trace.run import AUTO_EXACT_BELOW, TraceCancelled, TraceError, parse_command, trace_command
from orchestrator.verify.workloads.traced import traced_plan

PAIRS = '''"""Pairs and tallies."""


def count_pairs(nums, k):
    """Number of index pairs i < j with nums[i] + nums[j] == k."""
    total = 0
    for i in range(len(nums)):
        for j in range(i + 1, len(nums)):
            if nums[i] + nums[j] == k:
                total += 1
    return total


class Tally:
    def __init__(self):
        self.seen = {}

    def add(self, word):
        self.seen[word] = self.seen.get(word, 0) + 1
        return self.seen[word]


def lengths(words):
    return [len(w) for w in words]
'''
SCRIPT = '''from pairs import Tally, count_pairs, lengths

nums = list(range(900))
print(sum(count_pairs(nums, k) for k in range(6)))
tally = Tally()
for word in "a b a c b a".split() * 20:
    tally.add(word)
print(tally.seen, sum(lengths(["ab", "c"] * 10)))
print("add unwrapped:", not hasattr(Tally.add, "__wrapped__"), "lengths wrapped:", hasattr(lengths, "__wrapped__"))
'''
TESTS = '''from pairs import count_pairs


def test_pairs():
    assert count_pairs([1, 2, 3, 4], 5) == 2
'''
FAST = '''```python
def count_pairs(nums, k):
    """Number of index pairs i < j with nums[i] + nums[j] == k."""
    seen = {}
    total = 0
    for x in nums:
        total += seen.get(k - x, 0)
        seen[x] = seen.get(x, 0) + 1
    return total
```'''


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("traced") / "proj"
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'proj'\n")
    (root / "pairs.py").write_text(PAIRS)
    (root / "run.py").write_text(SCRIPT)
    (root / "tests" / "test_pairs.py").write_text(TESTS)
    return root


def test_commands_are_read_not_run_by_a_shell(tmp_path):
    (tmp_path / "s.py").write_text("print(1)\n")
    assert parse_command(["python3", "s.py", "-v"], tmp_path).argv == ["s.py", "-v"]
    assert parse_command(["python", "-m", "pytest", "-x"], tmp_path).kind == "pytest"
    assert parse_command(["python -m pkg.tool --fast"], tmp_path).argv == ["pkg.tool", "--fast"]
    (tmp_path / "sub").mkdir()
    from_sub = parse_command(["python", "../s.py"], tmp_path, tmp_path / "sub")  # paths as a shell reads them
    assert (from_sub.cwd, from_sub.entry, from_sub.argv) == ("sub", "s.py", ["../s.py"])
    for words in (["ls", "-la"], ["python", "/etc/passwd.py"], ["python", "missing.py"], ["python", "-c", "1"],
                  ["python", "../outside.py"]):
        with pytest.raises(TraceError):
            parse_command(words, tmp_path)
    result = CliRunner().invoke(__import__("server.cli", fromlist=["app"]).app,
                                ["trace", "--json", "--root", str(tmp_path), "--", "bash", "-c", "id"])
    assert result.exit_code == 2 and json.loads(result.stdout)["status"] == "error"


def test_hot_usage_errors_and_the_report_without_docker(tmp_path):
    from server.cli import app
    from orchestrator.trace import hot
    from orchestrator.trace.model import Trace

    result = CliRunner().invoke(app, ["optimize", "--hot", "2", "--json"])
    assert result.exit_code == 2 and "needs the command to trace" in json.loads(result.stdout)["error"]
    trace = Trace(command=["pytest"], root=str(tmp_path), exit_code=0, wall_s=1.0, cpu_s=1.0, functions=[
        {"path": "m.py", "qualname": "f", "line": 3, "calls": 4, "own_s": 0.3, "cumulative_s": 0.5},
        {"path": "m.py", "qualname": "g.<locals>.h", "line": 9, "calls": None, "own_s": 0.6, "cumulative_s": 0.6},
        {"path": "m.py", "qualname": "g", "line": 8, "calls": None, "own_s": 0.1, "cumulative_s": 0.7}])
    ranked = hot.ranked(trace, 5)  # nested functions cannot be targeted: left out
    assert [(f.target, f.calls) for f in ranked] == [("m.py::f", 4), ("m.py::g", None)]
    ranked[0].status, ranked[0].patch = "accepted", "--- a/m.py\n+++ b/m.py\n"
    report = hot.HotReport(command=trace.command, root=str(tmp_path), traced_at=trace.created, trace_wall_s=1.0,
                           exit_code=0, metric="time", functions=ranked)
    text = hot.markdown(report)
    assert "| 2 | `m.py::g` | ? |" in text and "```diff\n--- a/m.py" in text


@pytest.mark.docker
@pytest.mark.parametrize("exact", [True, False], ids=["cprofile", "sampling clock"])
def test_a_script_traced_in_the_sandbox(project, py_sandbox, exact):
    trace = trace_command(project, ["python", "run.py"], py_sandbox, exact=exact)
    assert trace.exit_code == 0 and "{'a': 60, 'b': 40, 'c': 20}" in trace.output_tail
    assert trace.timer == ("cprofile" if exact else "sampling")
    by_name = {f.qualname: f for f in trace.functions}
    assert trace.functions[0].qualname == "count_pairs"  # ranked by own time
    pairs, add = by_name["count_pairs"], by_name["Tally.add"]
    assert (pairs.calls, add.calls) == (6, 120)  # counted by cProfile, or by the sampler's wrappers
    assert pairs.own_s > 0.01 and pairs.cumulative_s >= pairs.own_s
    assert not any("<" in q for q in by_name)  # lengths' list comprehension is lengths' own time
    assert len(pairs.samples) == 4 and all(s.output for s in pairs.samples)  # calls 1-4 (then 8, 16, ...)
    assert len(add.samples) == 8 and all(s.after for s in add.samples)  # calls 1-4, 8, 16, 32, 64; self changed
    if exact:  # under cProfile the sampler's wrapper steps aside after a function's 64th call
        assert "add unwrapped: True lengths wrapped: True" in trace.output_tail
        assert by_name["lengths"].calls == 1
    else:  # under the clock the wrappers count every call; the clock's samples give the times
        assert "add unwrapped: False" in trace.output_tail and trace.clock_samples > 10
        save(trace, trace_path(project))


@pytest.mark.docker
def test_a_cancelled_trace_stops_the_command_and_records_nothing(tmp_path, py_sandbox):
    from sandbox import RunSpec

    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'waits'\n")
    (tmp_path / "wait.py").write_text("import time\n\ntime.sleep(120)\n")
    cancel = threading.Event()
    timer = threading.Timer(4.0, cancel.set)
    timer.start()
    started = time.monotonic()
    with pytest.raises(TraceCancelled, match="was stopped in the sandbox"):
        trace_command(tmp_path, ["python", "wait.py"], py_sandbox, cancel=cancel)
    assert time.monotonic() - started < 20  # stopped, not left to sleep its two minutes
    assert not trace_path(tmp_path).exists()
    assert py_sandbox.run(RunSpec(language="python", source="print('next')")).stdout == "next\n"


def test_a_pytest_run_traced_in_the_sandbox(project, py_sandbox):
    tested = trace_command(project, ["pytest", "-q", "tests"], py_sandbox)
    assert tested.exit_code == 0 and "1 passed" in tested.output_tail
    # a run too short for the clock (pytest's start-up takes ~0.3 s of CPU, more on a loaded machine) is traced
    # again with cProfile
    assert tested.clock_samples >= AUTO_EXACT_BELOW if tested.timer == "sampling" else \
        any("traced again with cProfile" in n for n in tested.notes)
    assert [(f.path, f.qualname, f.calls) for f in tested.functions] == [("pairs.py", "count_pairs", 1)]


@pytest.mark.docker
def test_traced_calls_replay_as_tests_and_as_the_workload(project, py_sandbox):
    """Guards: a replay test fails a candidate that answers differently, and one that returns the same value
    but changes `self` differently; the workload's answers carry the arguments after the call too."""
    from orchestrator.verify.running.execution import PythonExecution
    from orchestrator.verify.testing.testsuite import Suite

    if load(trace_path(project)) is None:
        save(trace_command(project, ["python", "run.py"], py_sandbox), trace_path(project))
    add = locate(f"{project}/pairs.py::Tally.add")
    plan = traced_plan(add)
    assert plan is not None and len(plan.exprs) == 8 and len(plan.tests) == 8
    exe = PythonExecution(py_sandbox, add, Suite(tests=plan.tests))
    assert exe.run_tests(add.code, plan.tests).counts() == (8, 8)
    sneaky = add.code.replace("return self.seen[word]", "self.last = word\n        return self.seen[word]")
    run = exe.run_tests(sneaky, plan.tests)
    assert run.counts() == (0, 8) and "changed differently" in run.failures[0]["error"]
    original = exe.workload_reference(add.code, plan.exprs)
    assert exe.workload_reference(sneaky, plan.exprs) != original

    pairs = locate(f"{project}/pairs.py::count_pairs")
    plan = traced_plan(pairs)
    exe = PythonExecution(py_sandbox, pairs, Suite(tests=plan.tests))
    wrong = pairs.code.replace("return total", "return total + 1")
    assert exe.run_tests(pairs.code, plan.tests).counts() == (4, 4)
    assert exe.run_tests(wrong, plan.tests).counts() == (0, 4)


@pytest.mark.docker
@pytest.mark.slow
def test_optimize_hot_from_the_cli_applies_the_verified_change(project, tmp_path, endpoint, py_sandbox):
    """`refactorcoder optimize --hot 1 --apply --json -- python run.py` as a user runs it (a subprocess; the
    scripted endpoint as the models): the trace ranks count_pairs first, its job times the traced inputs and
    replays them as tests, and the faster version is accepted, reported with its patch and applied."""
    endpoint.scripts["fast"] = [FAST]
    endpoint.scripts["judge"] = ["Strengths:\n- ok\nWeaknesses:\n- none\nFeedback: ok.\n"
                                 "Scores: Accuracy = 4, Clarity = 4, Efficiency = 4"]
    endpoint.scripts["planner"] = ["1. count each value seen so far in a dict: O(n)"]
    stage = {"model": "openai/fast", "api_base": endpoint.base, "fallbacks": [], "retries": 0, "timeout_s": 30}
    config = tmp_path / "cfg.json"
    config.write_text(json.dumps({"fix": stage, "refine": stage, "solve": stage, "guide": {**stage, "model": "openai/planner"},
                                  "judge": {**stage, "model": "openai/judge"}}))
    env = dict(os.environ, REFACTORCODER_HOME=str(tmp_path / "home"))
    try:
        out = subprocess.run([sys.executable, "-m", "server", "optimize", "--hot", "1", "--apply", "--json",
                              "--attempts", "1", "--no-judge", "--config", str(config), "--", "python", "run.py"],
                             capture_output=True, text=True, env=env, timeout=600, cwd=project)
        report = json.loads(out.stdout)
        [first] = report["functions"]
        assert out.returncode == 0, (first["summary"], out.stderr[-2000:])
        assert first["target"] == "pairs.py::count_pairs" and first["status"] == "accepted"
        notes = first["report"]["notes"]
        assert any("replaying real inputs from the trace" in n for n in notes)
        assert any("replay test(s)" in n for n in notes)
        assert first["speedup"] > 1.2 and "+    seen = {}" in first["patch"]  # whole calls timed, forks included
        assert first["applied"] and "seen.get(k - x, 0)" in (project / "pairs.py").read_text()
        markdown = (project / ".refactorcoder" / "hot-report.md").read_text()
        assert "```diff" in markdown and "pairs.py::count_pairs" in markdown
        assert "![own time" in markdown and (project / ".refactorcoder" / "hot-functions.png").stat().st_size > 1000
        assert json.loads((project / ".refactorcoder" / "hot-report.json").read_text())["functions"][0]["applied"]
    finally:
        (project / "pairs.py").write_text(PAIRS)  # the module's other tests read the original
