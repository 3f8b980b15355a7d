"""Fix with tests / Optimize / executing Judge through the real server process (pytest-lsp client), the
real orchestrator and the Docker sandbox, with the models played by a scripted OpenAI-compatible endpoint
on loopback behind litellm (deterministic candidates). Under CI=true a missing engine/image fails."""

from __future__ import annotations

import subprocess
import sys

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient

from server.lsp.command_args import plain
from tests.conftest import require_real_part
from tests.orchestrator.conftest import _python_sandbox_problem
from tests.scripted_endpoint import ScriptedEndpoint
from tests.orchestrator.test_loop_scripted import BUGGY, CORRECT, FAST, JUDGE, TESTS, WORKLOAD
from tests.server.lsp_helpers import SERVER_COMMAND, execute, server_env, start_session, wait_until

pytestmark = [pytest.mark.timeout(600)]
ENDPOINT = ScriptedEndpoint()  # module-wide: the server is started once with its address
LIMITS = {"maxAttempts": 1, "decisionBudgetS": 30, "minPairs": 8, "differentialInputs": 20}


def _settings() -> dict:
    stage = {"model": "openai/model-a", "api_base": ENDPOINT.base, "fallbacks": [], "retries": 0, "timeout_s": 30}
    return {"fix": stage, "refine": stage, "solve": stage, "guide": stage,
            "judge": {**stage, "model": "openai/judge"}}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    require_real_part(_python_sandbox_problem())
    root = tmp_path_factory.mktemp("ws") / "proj"
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'proj'\n")
    (root / "pairs.py").write_text('"""Pairs."""\n\n\n' + CORRECT + "\n\ndef other():\n    return 1\n")
    (root / "tests" / "test_pairs.py").write_text(TESTS)
    return root


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND,
                                              server_env=server_env(OPENAI_API_KEY="sk-dummy",
                                                                    LITELLM_LOCAL_MODEL_COST_MAP="True")))
async def client(lsp_client: LanguageClient, project):
    await start_session(lsp_client, _settings())
    lsp_client.received["jobProgress"] = []

    @lsp_client.feature("refactorcoder/jobProgress")
    def on_progress(params):
        lsp_client.received["jobProgress"].append(plain(params))

    yield
    await lsp_client.shutdown_session()


def _open(client: LanguageClient, path, version=1, text=None) -> str:
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id="python", version=version, text=text if text is not None else path.read_text())))
    return uri


def _at(uri: str, line: int, version=1, **extra) -> dict:
    return {"uri": uri, "range": {"start": {"line": line, "character": 4}, "end": {"line": line, "character": 4}},
            "version": version, **extra}


async def test_optimize_accepts_a_faster_candidate_and_applies_to_the_closed_file(client: LanguageClient, project):
    ENDPOINT.scripts = {"model-a": [FAST], "judge": [JUDGE]}
    path = project / "pairs.py"
    uri = _open(client, path)
    result = await execute(client, "refactorcoder.optimize", _at(uri, 3, workload=WORKLOAD, limits=LIMITS))
    report = result["report"]
    assert result["status"] == "done", result
    assert report["status"] == "accepted", report["summary"] + str(report["attempts"])
    assert "faster" in report["verdict"] and "tests 3/3" in report["verdict"] and "judge 4/5/3" in report["verdict"]
    assert report["samples"] and report["samples"][-1]["a"] and report["samples"][-1]["b"]
    assert set(report["measurements"]["before"]) == {"time", "wall_time", "peak_memory", "mean_memory", "cpu"}
    messages = [p["message"] for p in client.received["jobProgress"] if p["jobId"] == result["jobId"]]
    # The search names its round and the sample's strategy (no plan here: model-a answers code to the plan).
    assert any(m.startswith("round 1 · algorithm · refine 1/1 · openai/model-a · ") for m in messages), messages
    assert any(m.endswith("1 candidate · 1 tested · 1 pass tests and guards") for m in messages), messages
    started = next(s for s in client.received["jobStarted"] if s["jobId"] == result["jobId"])
    assert started["label"] == "count_pairs()"  # progress names the function, not its docstring's first line
    searches = [p["search"] for p in client.received["jobProgress"] if p["jobId"] == result["jobId"] and "search" in p]
    assert {"round": 1, "rounds": 1, "candidates": 0, "step": "asking", "strategy": "algorithm"} in searches, searches
    assert any(s.get("passedTests") == 1 and s["candidates"] == 1 for s in searches), searches  # what the client shows
    ready = next(r for r in client.received["solutionReady"] if r["jobId"] == result["jobId"])
    assert ready["verdict"] == report["verdict"] and ready["proposed"].startswith("from collections import Counter")
    assert "print(" not in ready["proposed"] and ready["original"].startswith("def count_pairs")

    # The editor closed the document (a preview tab replaced): the file on disk is checked and written.
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    applied = await execute(client, "refactorcoder.applySolution", {"jobId": result["jobId"]})
    assert applied == {"applied": True, "failureReason": None, "where": "disk"}
    text = path.read_text()
    assert "seen[k - x]" in text and "def other():" in text and text.startswith('"""Pairs."""')
    proc = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, '.'); import tests.test_pairs as t; "
                           "[getattr(t, n)() for n in dir(t) if n.startswith('test_')]; print('ok')"],
                          cwd=project, capture_output=True, text=True)
    assert proc.stdout.strip() == "ok", proc.stderr

    # The report and the history know the run.
    data = await client.protocol.send_request_async("refactorcoder/jobReport", {"runId": report["run_id"]})
    assert plain(data)["report"]["verdict"] == report["verdict"]
    runs = plain(await client.protocol.send_request_async("refactorcoder/history", {"root": str(project)}))["runs"]
    assert runs and runs[0]["runId"] == report["run_id"] and runs[0]["kind"] == "optimize"
    assert runs[0]["outcome"] == report["status"] == "accepted"


async def test_fix_finds_the_failing_test_and_a_stale_apply_is_refused(client: LanguageClient, project):
    ENDPOINT.scripts = {"model-a": ["```python\n" + CORRECT + "print(count_pairs([1, 2], 3))\n```"], "judge": [JUDGE]}
    path = project / "buggy.py"
    path.write_text('"""Pairs."""\n\n\n' + BUGGY.replace("count_pairs", "count_pairs") + "\n")
    (project / "tests" / "test_pairs.py").write_text(TESTS.replace("from pairs import", "from buggy import"))
    try:
        uri = _open(client, path)
        result = await execute(client, "refactorcoder.fix", _at(uri, 3, limits=LIMITS))
        report = result["report"]
        assert report["status"] == "accepted" and report["verdict"].startswith("tests 3/3 · fixed"), report
        assert {t["name"] for t in report["failing_tests"]} >= {"test_duplicates"}
        await wait_until(lambda: any("test_duplicates fails" in d.message for d in client.diagnostics.get(uri, [])))
        ready = next(r for r in client.received["solutionReady"] if r["jobId"] == result["jobId"])
        assert "print(" not in ready["proposed"]  # the answer's example code never reaches the file

        # A real edit of the function: refused with a message naming it; the proposal is kept.
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangePartial(
                range=types.Range(start=types.Position(line=5, character=0), end=types.Position(line=5, character=0)),
                text="    # my edit\n")]))
        with pytest.raises(JsonRpcException, match="`count_pairs` was edited"):
            await execute(client, "refactorcoder.applySolution", {"jobId": result["jobId"]})
        # An edit elsewhere (above the function) does not make it stale: undo ours, add a line at the top.
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=3),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text="import os\n" + path.read_text())]))
        applied = await execute(client, "refactorcoder.applySolution", {"jobId": result["jobId"]})
        assert applied["applied"] is True and applied["where"] == "editor"
        edit = client.received["applyEdit"][-1].edit.document_changes[0]
        assert edit.text_document.version == 3 and edit.edits[0].range.start.line == 4
    finally:
        (project / "tests" / "test_pairs.py").write_text(TESTS)
        path.unlink()


async def test_judge_runs_the_tests_and_reports_one_verdict(client: LanguageClient, project):
    ENDPOINT.scripts = {"judge": [JUDGE]}
    (project / "pairs.py").write_text('"""Pairs."""\n\n\n' + CORRECT)  # the optimize test may have changed it
    uri = _open(client, project / "pairs.py")
    result = await execute(client, "refactorcoder.judge", _at(uri, 3))
    report = result["report"]
    assert report["kind"] == "judge" and report["tests_total"] == 3 and report["tests_passed"] == 3
    assert report["verdict"] == "tests 3/3 · judge 4/5/3" and report["composite"] is not None
