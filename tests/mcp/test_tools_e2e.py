"""Every tool end to end: the SDK's client over a real stdio server process, models from the scripted
endpoint (real HTTP through litellm), candidates in the real Docker sandbox. Small workloads, one attempt."""

from __future__ import annotations

import json

import pytest

from tests.mcp.conftest import mcp_session, write_config
from tests.orchestrator.test_loop_scripted import BUGGY, CORRECT, FAST, JUDGE, WORKLOAD, _project

pytestmark = [pytest.mark.docker, pytest.mark.slow]


async def test_fix_returns_the_evidence_and_its_report_is_a_resource(tmp_path, endpoint, sandbox_ready):
    path = _project(tmp_path, BUGGY)
    endpoint.scripts["good"] = ["```python\n" + CORRECT + "```"]
    endpoint.scripts["judge"] = [JUDGE]
    progress: list[str] = []

    async def on_progress(value, total, message):
        progress.append(message)

    async with mcp_session(tmp_path, config=write_config(tmp_path, endpoint), roots=[path.parent]) as session:
        result = await session.call_tool("fix", {"file": "pairs.py", "function": "count_pairs",
                                                 "budget": {"max_attempts": 1}}, progress_callback=on_progress)
        assert not result.is_error, result.content
        fix = result.structured_content
        assert fix["status"] == fix["verdict"] == "accepted" and fix["verified"] and fix["correct"]
        assert fix["tests"]["passed"] == fix["tests"]["total"] == 3 and not fix["tests"]["failed_names"]
        assert {n.rsplit("::", 1)[-1] for n in fix["tests"]["passed_names"]} >= {"test_basic", "test_empty",
                                                                                  "test_duplicates"}
        assert any(c["name"] == "tests" for c in fix["checks"]), fix["checks"]
        diff = fix["diff"].splitlines()
        assert any(ln.startswith("-") and "range(i, len(nums))" in ln for ln in diff), fix["diff"]
        assert any(ln.startswith("+") and "range(i + 1, len(nums))" in ln for ln in diff), fix["diff"]
        assert fix["judgment"]["scores"]["accuracy"] == 4 and fix["attempts"][0]["model"] == "openai/good"
        assert "range(i, len(nums))" in path.read_text()  # the file is never written
        assert any("fix attempt 1 on openai/good" in m for m in progress), progress
        assert progress[0].startswith("fix pairs.py::count_pairs")

        run_id, uri = fix["run_id"], fix["report_uri"]
        assert uri == f"refactorcoder://runs/{run_id}"
        read = await session.read_resource(uri)
        report = json.loads(read.contents[0].text)
        assert report["run_id"] == run_id and report["report"]["status"] == "accepted"
        assert report["report"]["accepted_code"] and report["report"]["attempts"][0]["status"] == "accepted"
        templates = await session.list_resource_templates()
        assert [t.uri_template for t in templates.resource_templates] == ["refactorcoder://runs/{run_id}"]
        again = (await session.call_tool("report", {"run_id": run_id})).structured_content
        assert again["report"]["diff"] == fix["diff"]
        runs = (await session.call_tool("history", {"limit": 5})).structured_content["runs"]
        assert runs[0]["run_id"] == run_id and runs[0]["has_report"] and runs[0]["report_uri"] == uri


async def test_optimize_accepts_only_a_measured_improvement(tmp_path, endpoint, sandbox_ready):
    _project(tmp_path, CORRECT)
    endpoint.scripts["good"] = [FAST]
    async with mcp_session(tmp_path, config=write_config(tmp_path, endpoint), roots=[tmp_path / "proj"]) as session:
        result = await session.call_tool("optimize", {
            "file": "pairs.py", "function": "count_pairs", "workload": WORKLOAD,
            "budget": {"max_attempts": 1, "judge": False, "decision_budget_s": 30}})
        assert not result.is_error, result.content
        opt = result.structured_content
        assert opt["status"] == opt["verdict"] == "accepted", opt
        m = opt["measurement"]
        assert m["metric"] == "time" and m["verdict"] == "better" and m["ratio"] < m["ci_high"] < 1 and m["n_pairs"] >= 6
        names = {c["name"] for c in opt["checks"]}
        assert "tests" in names and "differential" in names, names
        assert "Counter" in opt["accepted_code"] and opt["judgment"] is None


TESTS_AS_TEXT = """def test_basic():
    assert count_pairs([1, 2, 3, 4], 5) == 2


def test_duplicates():
    assert count_pairs([1, 1, 1], 2) == 3
"""


async def test_code_as_text_fix_compare_run_and_judge(tmp_path, endpoint, sandbox_ready):
    endpoint.scripts["good"] = ["```python\n" + CORRECT + "```"]
    endpoint.scripts["judge"] = [JUDGE]
    slow = CORRECT
    fast = FAST.strip("`").removeprefix("python\n")
    async with mcp_session(tmp_path, config=write_config(tmp_path, endpoint), roots=[tmp_path]) as session:
        fixed = await session.call_tool("fix", {"code": BUGGY, "language": "python", "function": "count_pairs",
                                                "test_code": TESTS_AS_TEXT,
                                                "budget": {"max_attempts": 1, "judge": False}})
        assert not fixed.is_error, fixed.content
        f = fixed.structured_content
        assert f["verdict"] == "accepted" and f["tests"]["passed"] == f["tests"]["total"] == 2, f
        assert {n.rsplit("::", 1)[-1] for n in f["tests"]["passed_names"]} == {"test_basic", "test_duplicates"}
        assert f["target"] == "snippet.py::count_pairs" and "range(i + 1" in f["accepted_code"]

        compared = await session.call_tool("compare", {
            "a": {"code": slow}, "b": {"code": fast}, "workload": WORKLOAD, "min_pairs": 6, "max_pairs": 10,
            "budget_s": 10})
        assert not compared.is_error, compared.content
        c = compared.structured_content
        assert c["verdict"] == "better" and c["measurement"]["ratio"] < 1 and not c["verified"]

        (tmp_path / "hello.py").write_text("import sys\nprint('hello', sys.stdin.read().strip())\n")
        ran = (await session.call_tool("run", {"file": "hello.py", "stdin": "agent"})).structured_content
        assert ran["status"] == "ok" and ran["stdout"] == "hello agent\n" and ran["language"] == "python"
        assert ran["profile"]["wall_time_s"] > 0 and ran["profile"]["peak_memory_bytes"] > 0
        failed = (await session.call_tool("run", {"code": "raise SystemExit(3)", "language": "python"}))
        assert failed.structured_content["status"] == "failed" and failed.structured_content["exit_code"] == 3

        judged = (await session.call_tool("judge", {"code": CORRECT, "problem": "count pairs summing to k"}))
        assert not judged.is_error, judged.content
        j = judged.structured_content
        assert j["verdict"] == "unverified" and j["scores"] == {"accuracy": 4, "clarity": 5, "efficiency": 3}
        assert j["model"] == "openai/judge" and j["report_uri"] == f"refactorcoder://runs/{j['run_id']}"
        report = json.loads((await session.read_resource(j["report_uri"])).contents[0].text)
        assert report["kind"] == "judge" and report["report"]["judgment"]["scores"]["accuracy"] == 4
