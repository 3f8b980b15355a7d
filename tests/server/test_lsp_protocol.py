"""Protocol behaviour through a real LSP round-trip (pytest-lsp launches `python -m server`),
with the fake pipeline so these run in seconds. The real-model variants are in test_lsp_e2e.py."""

from __future__ import annotations

import asyncio

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient

from server.lsp.command_args import plain
from tests.server.lsp_helpers import (
    EXAMPLE, SERVER_COMMAND, code_actions_at, execute, open_example, progress_kinds, server_env, start_session, target, wait_until,
)

FAKE = "tests.server.fake_pipeline:make_pipeline"


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=SERVER_COMMAND,
        server_env=server_env(REFACTORCODER_PIPELINE_FACTORY=FAKE, REFACTORCODER_FAKE_DELAY_S="0.2"),
    )
)
async def client(lsp_client: LanguageClient):
    await start_session(lsp_client, {"guide": {"max_tokens": 16}})
    yield
    await lsp_client.shutdown_session()


async def test_code_actions_listed(client: LanguageClient):
    uri = open_example(client)
    actions = await code_actions_at(client, uri, 8, 4)
    titles = [a.title for a in actions]
    assert titles == ["RefactorCoder: Guide", "RefactorCoder: Solve with guidance", "RefactorCoder: Judge",
                      "RefactorCoder: Fix with tests", "RefactorCoder: Optimize", "RefactorCoder: Optimize for…"]
    assert all(a.command.arguments[0]["version"] == 1 for a in actions)
    assert actions[0].command.command == "refactorcoder.guide"


async def test_no_actions_outside_any_problem(client: LanguageClient):
    uri = open_example(client)
    actions = await code_actions_at(client, uri, 1, 0)
    assert not actions


@pytest.mark.parametrize("command", ["refactorcoder.guide", "refactorcoder.solve", "refactorcoder.judge"])
async def test_command_runs_with_progress(client: LanguageClient, command):
    uri = open_example(client)
    result = await execute(client, command, target(uri, 8, version=1))
    assert result["status"] == "done", result
    assert result["runId"] is not None
    kinds = list(progress_kinds(client).values())
    assert kinds and kinds[-1][0] == "begin" and kinds[-1][-1] == "end" and "report" in kinds[-1]
    await wait_until(lambda: client.received["jobFinished"])
    assert client.received["jobFinished"][-1]["status"] == "done"


async def test_judge_shows_lens_hover_and_report_but_no_diagnostic(client: LanguageClient):
    uri = open_example(client)
    await execute(client, "refactorcoder.judge", target(uri, 8, version=1))
    await wait_until(lambda: uri in client.diagnostics)
    assert not client.diagnostics[uri]  # the judge's opinion is not a fact about the code: no Problems entry
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    assert lenses[0].command.title == "RefactorCoder: accuracy 4 · clarity 3 · efficiency 4"
    assert lenses[0].range.start.line == 6
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=7, character=4))
    )
    assert "Judgment** (the opinion of " in hover.contents.value and "not a test result" in hover.contents.value
    report = await client.protocol.send_request_async("refactorcoder/report", {"uri": uri, "position": {"line": 7, "character": 0}})
    assert "accuracy 4" in plain(report)["markdown"]


async def test_cancel_request_stops_job(client: LanguageClient):
    uri = open_example(client)
    task = asyncio.ensure_future(
        client.protocol.send_request_async(
            types.WORKSPACE_EXECUTE_COMMAND,
            types.ExecuteCommandParams(command="refactorcoder.solve", arguments=[target(uri, 8, version=1)]),
            msg_id="solve-to-cancel",
        )
    )
    await wait_until(lambda: any("begin" in k for k in progress_kinds(client).values()))
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="solve-to-cancel"))
    result = await asyncio.wait_for(task, 10)
    assert result["status"] == "cancelled" and result["report"] is None
    await wait_until(lambda: any(f["status"] == "cancelled" for f in client.received["jobFinished"]))
    assert all(kinds[-1] == "end" for kinds in progress_kinds(client).values())


async def test_cancel_by_progress_token_and_by_command(client: LanguageClient):
    uri = open_example(client)
    task = asyncio.ensure_future(execute(client, "refactorcoder.solve", target(uri, 8, version=1)))
    await wait_until(lambda: progress_kinds(client))
    token = next(iter(client.progress_reports))
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    result = await asyncio.wait_for(task, 10)
    assert result["status"] == "cancelled"
    assert progress_kinds(client)[token][-1] == "end"

    task = asyncio.ensure_future(execute(client, "refactorcoder.solve", target(uri, 8, version=1)))
    await wait_until(lambda: len(progress_kinds(client)) == 2)
    job_id = await _running_job_id(client)
    assert await execute(client, "refactorcoder.cancel", {"jobId": job_id}) == {"jobId": job_id, "cancelled": True}
    result = await asyncio.wait_for(task, 10)
    assert result["status"] == "cancelled" and result["jobId"] == job_id
    assert await execute(client, "refactorcoder.cancel", {"jobId": job_id}) == {"jobId": job_id, "cancelled": False}


async def _running_job_id(client: LanguageClient) -> str:
    await wait_until(lambda: client.received["jobStarted"])
    return client.received["jobStarted"][-1]["jobId"]


async def test_apply_solution_version_guard(client: LanguageClient):
    uri = open_example(client)
    result = await execute(client, "refactorcoder.solve", target(uri, 8, version=1))
    await wait_until(lambda: client.received["solutionReady"])
    ready = client.received["solutionReady"][-1]
    assert ready["jobId"] == result["jobId"] and ready["version"] == 1 and "seen" in ready["proposed"]

    # The user types: version 2. The stale solution must be refused, nothing sent.
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text="# the user rewrote the file\n")],
        )
    )
    with pytest.raises(JsonRpcException, match="document changed since the solution was computed"):
        await execute(client, "refactorcoder.applySolution", {"jobId": result["jobId"]})
    assert client.received["applyEdit"] == []


async def test_apply_solution_current_version(client: LanguageClient):
    uri = open_example(client)
    result = await execute(client, "refactorcoder.solve", target(uri, 8, version=1))
    applied = await execute(client, "refactorcoder.applySolution", {"jobId": result["jobId"]})
    assert applied["applied"] is True
    edit = client.received["applyEdit"][-1].edit.document_changes[0]
    assert edit.text_document.version == 1 and "seen" in edit.edits[0].new_text
    assert edit.edits[0].range.start.line == 6


@pytest.mark.parametrize(
    "command, arguments, message",
    [
        ("refactorcoder.guide", [], "exactly one argument"),
        ("refactorcoder.guide", [{"range": {}}], "uri"),
        ("refactorcoder.guide", [{"uri": "file:///x.py"}], "range"),
        ("refactorcoder.judge", [{"uri": "file:///nope.py", "range": {"start": {"line": -1, "character": 0}, "end": {"line": 0, "character": 0}}}], "non-negative"),
        ("refactorcoder.applySolution", [{"jobId": "nope"}], "unknown jobId"),
        ("refactorcoder.cancel", [{}], "jobId"),
        ("refactorcoder.nope", [], "not defined"),
    ],
)
async def test_malformed_requests_get_errors_and_server_survives(client: LanguageClient, command, arguments, message):
    with pytest.raises(JsonRpcException, match=message):
        await execute(client, command, *arguments)
    uri = open_example(client)
    actions = await code_actions_at(client, uri, 8, 0)
    assert len(actions) == 6


async def test_jobs_run_concurrently_while_requests_are_served(client: LanguageClient):
    uri = open_example(client)
    jobs = [asyncio.ensure_future(execute(client, "refactorcoder.guide", target(uri, line, version=1))) for line in (8, 16)]
    await wait_until(lambda: len(client.received["jobStarted"]) == 2)
    actions = await code_actions_at(client, uri, 8, 0)
    assert actions
    assert not any(job.done() for job in jobs)  # answered while both jobs still run, not queued behind them
    results = await asyncio.gather(*jobs)
    assert [r["status"] for r in results] == ["done", "done"]
    assert results[0]["report"]["problem"]["title"] != results[1]["report"]["problem"]["title"]


async def test_model_error_is_a_failed_status_and_a_message(client: LanguageClient):
    uri = open_example(client, version=1)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text="# FAIL this problem please\n")],
        )
    )
    result = await execute(client, "refactorcoder.guide", target(uri, 0, version=2))
    assert result["status"] == "failed" and "all models failed" in result["error"]
    await wait_until(lambda: any("failed" in m.message for m in client.messages))
    assert (await execute(client, "refactorcoder.guide", target(uri, 0)))["status"] == "failed"  # still serving


async def test_notify_callback_becomes_show_message(client: LanguageClient):
    uri = open_example(client)
    await execute(client, "refactorcoder.guide", target(uri, 8))
    await wait_until(lambda: any("fake pipeline in use" in m.message for m in client.messages))


async def test_stale_command_version_and_empty_target_are_refused(client: LanguageClient):
    uri = open_example(client, version=5)
    with pytest.raises(JsonRpcException, match="stale"):
        await execute(client, "refactorcoder.guide", target(uri, 8, version=4))
    with pytest.raises(JsonRpcException, match="no function"):
        await execute(client, "refactorcoder.guide", target(uri, 1, 0))
    with pytest.raises(JsonRpcException, match="outside the document"):
        await execute(client, "refactorcoder.guide", target(uri, 500, 0))


async def test_ranges_use_client_utf16_columns(client: LanguageClient):
    uri = "file:///tmp/emoji_example.py"
    text = "# Return a smiley.\ndef smile():\n    return '😋😋'\n"
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text))
    )
    # Cursor after the emoji in UTF-16 units (column 16 is past the string's end in code points).
    result = await execute(client, "refactorcoder.solve", target(uri, 2, 16, version=1))
    assert result["status"] == "done"
    await wait_until(lambda: any(r["jobId"] == result["jobId"] for r in client.received["solutionReady"]))
    ready = next(r for r in client.received["solutionReady"] if r["jobId"] == result["jobId"])
    assert ready["range"]["end"] == {"line": 2, "character": len("    return '😋😋'".encode("utf-16-le")) // 2}



def test_malformed_standard_request_is_answered_with_an_error():
    """Raw JSON-RPC over stdio: a codeAction with garbage params gets an error response (pygls alone
    answers nothing), and the next request is still answered."""
    import json
    import subprocess
    import sys

    from tests.server.lsp_helpers import REPO, server_env

    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}, "processId": None}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "id": 2, "method": "textDocument/codeAction", "params": {"textDocument": 5, "range": "bad"}},
        {"jsonrpc": "2.0", "id": 3, "method": "workspace/executeCommand", "params": {"command": "refactorcoder.guide"}},
        {"jsonrpc": "2.0", "id": 4, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ]
    payload = b"".join(
        f"Content-Length: {len(body)}\r\n\r\n{body}".encode() for body in (json.dumps(m) for m in messages)
    )
    out = subprocess.run([sys.executable, "-m", "server"], input=payload, capture_output=True, cwd=REPO, timeout=60, env=server_env())
    responses = {}
    for chunk in out.stdout.split(b"Content-Length: ")[1:]:
        body = json.loads(chunk.split(b"\r\n\r\n", 1)[1])
        if "id" in body:
            responses[body["id"]] = body
    assert responses[2]["error"]["code"] == -32602
    assert responses[3]["error"]["code"] == -32602 and "exactly one argument" in responses[3]["error"]["message"]
    assert "result" in responses[4]


async def test_judge_on_comment_only_problem_runs_whole_chain_and_proposes_an_insertion(client: LanguageClient):
    uri = open_example(client)
    lines = EXAMPLE.read_text().splitlines()
    line = next(i for i, text in enumerate(lines) if "fizzbuzz" in text)
    actions = await code_actions_at(client, uri, line, 2, only=["refactor.refactorcoder.judge"])
    assert [a.title for a in actions] == ["RefactorCoder: Solve and judge"]
    result = await execute(client, actions[0].command.command, *actions[0].command.arguments)
    report = result["report"]
    assert report["guidance"] and report["solution"] and report["judgment"] and report["problem"]["code"] is None
    await wait_until(lambda: any(r["jobId"] == result["jobId"] for r in client.received["solutionReady"]))
    ready = next(r for r in client.received["solutionReady"] if r["jobId"] == result["jobId"])
    assert ready["original"] == "" and ready["range"]["start"] == ready["range"]["end"]
    assert ready["range"]["start"]["line"] == line + 1  # after the last comment line
