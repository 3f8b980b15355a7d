"""What the editor shows of a result: one-line diagnostics that link to the report view, a short hover, the
lens's report target, and `refactorcoder/jobReport` answering for a position (what a lens opens).

Pure functions first (plain-text messages never carry Markdown fences or a whole traceback), then one LSP
round-trip with the fake pipeline (seconds)."""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from server.lsp.command_args import plain
from server.reports import verdict
from server.reports.verdict import failure_summary, one_line
from tests.server.lsp_helpers import SERVER_COMMAND, execute, open_example, server_env, start_session, target, wait_until

TRACEBACK = """Traceback (most recent call last):
  File "/sandbox/tests/test_buggy.py", line 9, in test_duplicates
    assert count_pairs_b([1, 1, 2], 3) == 2
AssertionError"""

FENCED = "The nested loop is quadratic.\n\n```python\ndef two_sum(nums, target):\n    seen = {}\n```\n\nUse a **dict**."


def test_one_line_drops_fences_and_newlines():
    text = one_line(FENCED)
    assert "```" not in text and "\n" not in text
    assert text == "The nested loop is quadratic. (code in the report) Use a dict."
    assert one_line("## Verdict\ncorrect") == "Verdict: correct"
    assert one_line("count_pairs_b and __init__ keep their underscores") == "count_pairs_b and __init__ keep their underscores"
    long = one_line("word " * 100)
    assert len(long) <= 161 and long.endswith("…")
    assert one_line("First sentence is here. " + "x " * 100, 40) == "First sentence is here."


def test_failure_summary_names_what_failed():
    assert failure_summary(TRACEBACK) == "assert count_pairs_b([1, 1, 2], 3) == 2 (AssertionError)"
    assert failure_summary(TRACEBACK + ": expected 2, got 3") == "expected 2, got 3 at assert count_pairs_b([1, 1, 2], 3) == 2"
    assert failure_summary("Traceback (most recent call last):\n  File \"t.py\", line 2, in t\n    f('a')\n"
                           "TypeError: can only concatenate str (not \"int\") to str") == \
        'TypeError: can only concatenate str (not "int") to str'
    assert failure_summary("timed out after 10s") == "timed out after 10s"
    assert failure_summary("") == ""


def test_failing_test_diagnostics_are_one_line_with_the_verdict():
    report = {"kind": "fix", "status": "accepted", "tests_total": 5, "tests_passed": 5,
              "failing_tests": [{"name": "test_duplicates", "detail": TRACEBACK},
                                {"name": "test_empty", "detail": "```\n" + "x\n" * 300 + "```"}]}
    messages = verdict.test_diagnostics(report)
    assert messages[0] == ("test_duplicates fails: assert count_pairs_b([1, 1, 2], 3) == 2 (AssertionError)"
                           " · Fix with tests: tests 5/5 · fixed")
    for message in messages:
        assert "\n" not in message and "```" not in message and len(message) < 260
    assert verdict.test_diagnostics({"kind": "fix", "status": "unchanged", "failing_tests": [{"name": "t"}]}) == []
    assert verdict.test_diagnostics({"kind": "optimize", "failing_tests": [{"name": "t"}]}) == []


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=SERVER_COMMAND,
        server_env=server_env(REFACTORCODER_PIPELINE_FACTORY="tests.server.fake_pipeline:make_pipeline",
                              REFACTORCODER_FAKE_DELAY_S="0.05"),
    )
)
async def client(lsp_client: LanguageClient):
    await start_session(lsp_client, {})
    yield
    await lsp_client.shutdown_session()


async def test_judge_result_links_to_the_report_view(client: LanguageClient):
    uri = open_example(client)
    result = await execute(client, "refactorcoder.judge", target(uri, 8, version=1))
    await wait_until(lambda: uri in client.diagnostics)
    assert not client.diagnostics[uri]  # a judgment is an opinion: lens, hover and report, never a diagnostic

    lenses = await client.text_document_code_lens_async(types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    assert lenses[0].command.command == "refactorcoder.openReport"
    link = lenses[0].command.arguments[0]
    assert link["jobId"] == result["jobId"] and link["runId"] == result["runId"] and link["uri"] == uri

    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=7, character=4)))
    text = hover.contents.value
    assert "```" not in text and "not a test result): accuracy 4" in text and "](command:refactorcoder.openReport?" in text
    href = text.split("](", 1)[1].split(")", 1)[0]
    assert json.loads(unquote(href.split("?", 1)[1])) == [link]  # the hover and the lens open the same report

    # What the lens opens: by job id, by run id once the job is unknown, and by position.
    by_job = plain(await client.protocol.send_request_async("refactorcoder/jobReport", {"jobId": link["jobId"]}))
    assert by_job["kind"] == "judge" and by_job["report"]["judgment"]["scores"]["accuracy"] == 4
    stale = plain(await client.protocol.send_request_async("refactorcoder/jobReport", {**link, "jobId": "gone"}))
    assert stale["runId"] == link["runId"]
    by_place = plain(await client.protocol.send_request_async(
        "refactorcoder/jobReport", {"uri": uri, "position": {"line": 7, "character": 0}}))
    assert by_place["jobId"] == link["jobId"] and by_place["report"]["judgment"]["scores"]["accuracy"] == 4
    empty = plain(await client.protocol.send_request_async(
        "refactorcoder/jobReport", {"uri": uri, "position": {"line": 15, "character": 4}}))
    assert empty["status"] == "empty" and "No result" in empty["error"]
