"""How a batch of several programs is laid out across containers (no Docker): the host's interleaving of the
supervisors' sessions (sandbox/session.py ``interleave``), and the seats a measurement gives A and B
(profiling/measure.py), the real batch payloads (profiling/batch.py) answered by a fake sandbox."""

from __future__ import annotations

from types import SimpleNamespace

from profiling import compare_programs
from sandbox.models import Limits, RunSpec
from sandbox.session import SessionOutcome, interleave


def _ok(step: dict, **extra) -> dict:
    return {"name": step.get("name", ""), "exit_code": 0, "wall_s": 0.1, "user_s": 0.1, "sys_s": 0.0,
            "isolation_s": 0.0, **extra}


class FakeStream:
    """A supervisor that answers each op as serve.py does; every request is logged with the global order."""

    def __init__(self, name: str, log: list, fail_build: bool = False, die_on: str | None = None):
        self.name, self.log, self.fail_build, self.die_on = name, log, fail_build, die_on
        self.broken, self.sessions, self.failed, self.count = False, 0, set(), 0

    def request(self, payload: dict, deadline_s: float, max_report_bytes: int) -> SessionOutcome:
        self.log.append((self.name, payload.get("op"), [s.get("name") for s in payload.get("steps", [])]))
        if payload.get("op") == "close":
            return SessionOutcome(report={"steps": [], "error": None, "clean": True})
        results = []
        for step in payload["steps"]:
            index, self.count = self.count, self.count + 1
            if step.get("name") == self.die_on:
                self.broken = True
                return SessionOutcome(error="the supervisor ended without a report", usable=False)
            if step.get("requires") is not None and step["requires"] in self.failed:
                results.append({"name": step["name"], "skipped": True})
                self.failed.add(index)
                continue
            failed = bool(step.get("build") and self.fail_build)
            results.append(_ok(step, exit_code=1 if failed else 0))
            if failed:
                self.failed.add(index)
        return SessionOutcome(report={"steps": results, "error": None, "clean": True})


def _payload() -> dict:
    steps = [{"name": "a:build", "build": True, "program": 0}, {"name": "b:build", "build": True, "program": 1}]
    for name, program in (("a1", 0), ("b1", 1), ("b2", 1), ("a2", 0), ("a3", 0), ("b3", 1)):
        steps.append({"name": name, "program": program, "requires": program})
    return {"programs": [{"workdir": "/work/run", "seat": 0}, {"workdir": "/work/run", "seat": 1}], "steps": steps}


def test_steps_go_out_in_the_batch_order_one_request_per_run_of_one_program():
    log: list = []
    streams = [FakeStream("A", log), FakeStream("B", log)]
    outcome, usable = interleave(streams, _payload(), lambda steps: 10.0, lambda n: 1 << 20)
    assert usable == [True, True] and outcome.report["error"] is None
    assert [r["name"] for r in outcome.report["steps"]] == ["a:build", "b:build", "a1", "b1", "b2", "a2", "a3", "b3"]
    opens = sorted(entry for entry in log if entry[1] == "open")
    assert opens == [("A", "open", ["a:build"]), ("B", "open", ["b:build"])]
    runs = [entry for entry in log if entry[1] == "steps"]
    assert runs == [("A", "steps", ["a1"]), ("B", "steps", ["b1", "b2"]), ("A", "steps", ["a2", "a3"]),
                    ("B", "steps", ["b3"])]
    assert [entry[:2] for entry in log[-2:]] == [("A", "close"), ("B", "close")]
    assert len(outcome.request_overheads_s) == 4


def test_a_failed_build_skips_only_its_own_program_s_runs():
    log: list = []
    streams = [FakeStream("A", log), FakeStream("B", log, fail_build=True)]
    outcome, _ = interleave(streams, _payload(), lambda steps: 10.0, lambda n: 1 << 20)
    by_name = {r["name"]: r for r in outcome.report["steps"]}
    assert [n for n, r in by_name.items() if r.get("skipped")] == ["b1", "b2", "b3"]  # `requires` renumbered
    assert by_name["a3"]["exit_code"] == 0


def test_a_supervisor_that_dies_ends_the_batch_without_a_report_and_every_other_session_is_closed():
    log: list = []
    streams = [FakeStream("A", log), FakeStream("B", log, die_on="b2")]
    outcome, usable = interleave(streams, _payload(), lambda steps: 10.0, lambda n: 1 << 20)
    assert outcome.report is None and "without a report" in outcome.error
    assert usable == [True, False]  # B's container is discarded, A's is closed and may be pooled again
    assert ("A", "close", []) in log and not any(e[0] == "B" and e[1] == "close" for e in log)
    assert not any(e[1] == "steps" and "a2" in e[2] for e in log)  # nothing ran after it


class SeatRecorder:
    """A sandbox that answers every batch: each run's CPU time from its repeat count; records which seat every
    program's runs were given."""

    def __init__(self):
        self.seats: dict[str, set[int]] = {}

    def session(self, language, limits, payload):
        results = []
        for step in payload["steps"]:
            program = payload["programs"][step["program"]]
            source = next(text for name, text in program["files"].items() if name.endswith("program.py"))
            self.seats.setdefault(source, set()).add(program["seat"])
            repeat = int(step["argv"][-1])
            cpu = 0.02 + repeat * (0.002 if "fast" in source else 0.004)
            results.append({"name": step["name"], "exit_code": 0, "signal": None, "reason": None,
                            "oom_killed": False, "stdout": "", "stderr": "", "stdout_truncated": False,
                            "stderr_truncated": False, "wall_s": cpu, "user_s": cpu, "sys_s": 0.0,
                            "peak_rss_bytes": 1 << 20, "peak_sampled_bytes": 0, "mean_rss_bytes": 1 << 20,
                            "samples": 1})
        return SimpleNamespace(report={"steps": results, "error": None}), True

    def run(self, spec):  # a measurement must never take this way round its seats
        raise AssertionError("a single run outside a batch: its seat is not A's or B's")


def _looping(source: str):
    """repeat count -> a RunSpec whose last argument is the count (what a loopable Program builds)."""
    spec = RunSpec(language="python", files={"program.py": source}, source="import sys\n", limits=Limits())
    return lambda n: spec.model_copy(update={"args": [str(n)]})


def test_a_measurement_runs_a_in_seat_0_and_b_in_seat_1_in_every_batch_and_single_run():
    recorder = SeatRecorder()
    compare_programs(recorder, _looping("# slow"), _looping("# fast"), min_pairs=6, max_pairs=6, seed=1)
    assert recorder.seats == {"# slow": {0}, "# fast": {1}}


def test_a_per_call_sample_s_calls_stay_with_their_program_and_go_out_as_one_request():
    from orchestrator.verify.running import percall

    payload = _payload()
    payload["steps"][3]["stdin"] = f"{percall.MARK} ab12 3\n"  # b1: one sample of 3 calls, each a process
    expanded, groups = percall.expand(payload)
    log: list = []
    outcome, _ = interleave([FakeStream("A", log), FakeStream("B", log)], expanded, lambda s: 10.0, lambda n: 1 << 20)
    assert ("B", "steps", ["b1#0", "b1#1", "b1#2", "b2"]) in log
    folded = percall.collapse(outcome.report, groups)["steps"]
    assert [r["name"] for r in folded] == ["a:build", "b:build", "a1", "b1#0", "b2", "a2", "a3", "b3"]
