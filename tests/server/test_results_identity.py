"""Through a real LSP round trip (fake pipeline): the server's parsed tree follows incremental edits,
and results stay on their own function when two functions share a name and after edits above them."""

from __future__ import annotations

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.server.lsp_helpers import SERVER_COMMAND, code_actions_at, execute, server_env, start_session, target, wait_until

FAKE = "tests.server.fake_pipeline:make_pipeline"
URI = "file:///tmp/refactorcoder-identity/twins.py"
TEXT = '''class Left:
    # Sum the list.
    def solve(self, xs):
        return sum(xs)


class Right:
    # Product of the list.
    def solve(self, xs):
        out = 1
        for x in xs:
            out *= x
        return out
'''


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=SERVER_COMMAND,
        server_env=server_env(REFACTORCODER_PIPELINE_FACTORY=FAKE, REFACTORCODER_FAKE_DELAY_S="0"),
    )
)
async def client(lsp_client: LanguageClient):
    await start_session(lsp_client, {})
    yield
    await lsp_client.shutdown_session()


def _edit(client: LanguageClient, version: int, line: int, character: int, text: str, end=None) -> None:
    start = types.Position(line=line, character=character)
    end = types.Position(line=end[0], character=end[1]) if end else start
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=version),
            content_changes=[types.TextDocumentContentChangePartial(range=types.Range(start=start, end=end), text=text)],
        )
    )


async def _lenses(client: LanguageClient):
    return await client.text_document_code_lens_async(types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=URI)))


async def _hover(client: LanguageClient, line: int):
    return await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=URI), position=types.Position(line=line, character=8))
    )


async def test_results_follow_their_function_through_edits_and_twins_stay_apart(client: LanguageClient):
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(uri=URI, language_id="python", version=1, text=TEXT))
    )
    result = await execute(client, "refactorcoder.judge", target(URI, 10, version=1))  # Right.solve
    assert result["status"] == "done"
    await wait_until(lambda: URI in client.diagnostics)  # results published (a judgment raises no diagnostic)
    assert [lens.range.start.line for lens in await _lenses(client)] == [8]
    assert await _hover(client, 3) is None  # Left.solve shares the name, not the result
    assert "Judgment" in (await _hover(client, 11)).contents.value

    # Edits above both functions (incremental, one at a time), including a non-BMP character (UTF-16).
    _edit(client, 2, 0, 0, "import math\n\n")
    _edit(client, 3, 2, 0, "# 😀 a note\n")
    _edit(client, 4, 2, 2, "🙂")
    assert [lens.range.start.line for lens in await _lenses(client)] == [11]
    assert await _hover(client, 6) is None
    assert "Judgment" in (await _hover(client, 14)).contents.value
    actions = await code_actions_at(client, URI, 13, 8)  # inside Right.solve after the edits
    assert actions and "`solve`" in actions[0].command.title

    # Deleting Left leaves Right's result alone; editing inside Right makes its result stale: no lens,
    # no hover (a result is shown only on the text it was computed from).
    _edit(client, 5, 3, 0, "", end=(9, 0))
    lenses = await _lenses(client)
    assert [lens.range.start.line for lens in lenses] == [5]
    assert "Judgment" in (await _hover(client, 8)).contents.value
    _edit(client, 6, 8, 8, "# inner edit\n        ")
    assert not await _lenses(client)
    assert await _hover(client, 8) is None
