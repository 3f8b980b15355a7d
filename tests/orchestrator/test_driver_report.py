"""The host's side of the Python driver without a sandbox: reading a timed run's report (digests against the
original's, forged or doubled reports), test statuses (nothing that did not run passes), what the driver is
told to preload, and the driver's normalisation of values (it runs in the sandbox; it is standard library only,
so it is imported here directly)."""

from __future__ import annotations

import json
from pathlib import Path

from orchestrator.target import locate
from orchestrator.verify.running.in_sandbox import driver_child
from orchestrator.verify.running.execution import TestRun
from orchestrator.verify.running.pyjobs import parse_report, preload_plan, project_files
from orchestrator.verify.running.timed import check_run, expand
from sandbox.models import Result, Status

REFERENCE = ["aaaa", "bbbb"]


def _run(*reports: tuple[str, dict]) -> Result:
    stdout = "noise from the program\n" + "".join(f"\n@@RC-DRIVER-{nonce}@@\n{json.dumps(r)}" for nonce, r in reports)
    return Result(status=Status.OK, stdout=stdout)


def _report(digests, loops=2, **extra) -> dict:
    return {"ok": True, "loops": loops, "orders": 1, "digests": digests, "raised": {}, "tampered": [], **extra}


def test_every_repetition_is_compared_with_the_original():
    good = _report([{"0": "aaaa", "1": "bbbb"}, "="])
    assert check_run(_run(("ab12", good)), {"ab12": 2}, REFERENCE, 2) is None
    second = _report([{"0": "aaaa", "1": "bbbb"}, {"0": "aaaa", "1": "cccc"}])
    assert check_run(_run(("ab12", second)), {"ab12": 2}, REFERENCE, 2) == (
        "timed run, repetition 2: call 2 of 2 returned a different answer from the original")
    short = _report([{"0": "aaaa", "1": "bbbb"}], loops=1)
    assert "1 of 2 repetitions" in check_run(_run(("ab12", short)), {"ab12": 2}, REFERENCE, 2)


def test_a_second_report_or_an_unknown_one_is_tampering():
    good = _report([{"0": "aaaa", "1": "bbbb"}, "="])
    doubled = _run(("ab12", good), ("ab12", good))
    assert "more than one driver report" in check_run(doubled, {"ab12": 2}, REFERENCE, 2)
    assert parse_report(doubled, "ab12")["ok"] is False
    assert "does not belong" in check_run(_run(("ffff", good)), {"ab12": 2}, REFERENCE, 2)
    nothing = Result(status=Status.TIMEOUT, stdout="", message="wall time limit")
    assert "gave no report" in check_run(nothing, {"ab12": 2}, REFERENCE, 2)


def test_without_a_reference_a_raising_call_is_still_refused():
    raised = _report([{"0": "aaaa", "1": "dddd"}], loops=1, raised={"1": "ValueError"})
    assert check_run(_run(("ab12", raised)), {"ab12": 1}, None, 2) == "call 2 of 2 raised ValueError"
    assert expand(_report([{"0": "x"}, "=", {"0": "y"}], loops=3)) == [["x"], ["x"], ["y"]]


def test_tampering_is_named():
    report = _report([{"0": "aaaa", "1": "bbbb"}, "="], tampered=["/work/run/project/m.py"])
    assert "changed the program's files (/work/run/project/m.py)" in check_run(
        _run(("ab12", report)), {"ab12": 2}, REFERENCE, 2)


def _result(name, status):
    return {"suite": "user", "name": name, "status": status, "passed": status == "passed"}


def test_tests_that_did_not_run_never_count_as_passed():
    run = TestRun(results=[_result("a", "passed"), _result("b", "not run"), _result("c", "failed"),
                           {"suite": "user", "name": "old", "passed": True, "skipped": "reason"}])
    assert run.counts() == (1, 2)
    assert run.not_run == ["b", "old"]
    assert [r["name"] for r in run.failures] == ["c"]
    assert run.broken_against({"a", "b", "gone"}) == ["b", "gone"]
    assert TestRun(error="does not load").broken_against({"a"}) == ["a"]


def test_the_driver_preloads_what_the_original_imports_from_outside_the_project(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "helpers.py").write_text("X = 1\n")
    (tmp_path / "m.py").write_text("import json\nimport helpers\nfrom xml.dom import minidom\n"
                                   "from . import sibling\n\n\ndef f(x):\n    return x\n")
    target = locate(f"{tmp_path}/m.py::f")
    preload, precompile = preload_plan(target, project_files(tmp_path, target.path)[0])
    assert preload[:2] == ["json", "xml.dom"] and "helpers" not in preload and "collections" in preload
    assert precompile == [["m", "project/m.py"], ["helpers", "project/helpers.py"]]


class _Slotted:
    __slots__ = ("x", "__hidden")

    def __init__(self, x):
        self.x = x
        self.__hidden = x * 10


class _Plain:
    def __init__(self, value):
        self.value = value


class _Shown:
    def __repr__(self):
        return "<_Shown at 0xdeadbeef>"


def test_norm_consumes_iterators_and_compares_objects_by_what_they_hold():
    norm = driver_child.norm
    assert norm(i for i in range(3)) == {"__iter__": [0, 1, 2]}
    assert norm(i for i in range(3)) != norm(i for i in range(4))
    assert norm(map(str, [1])) == norm(iter(["1"]))  # what is yielded, not which kind of iterator
    endless = norm(iter(int, 1))
    assert len(endless["__iter__"]) == driver_child.ITEMS_CAP + 1 and endless["__iter__"][-1].startswith("...")

    def broken():
        yield 1
        raise KeyError("k")

    assert norm(broken()) == {"__iter__": [1, {"raised": "KeyError"}]}
    assert norm(_Plain(1)) != norm(_Plain(2))
    assert norm(_Slotted(1)) == {"__type__": "_Slotted", "attrs": [["__hidden", 10], ["x", 1]]}
    assert norm(_Shown())["repr"] == "<_Shown>"  # addresses differ between processes
    assert norm({3, 1}) == norm({1, 3}) and norm({"a": 1.0}) == {"__dict__": [["a", "float:1"]]}
    assert norm(b"\x01") == "bytes:01"
