"""Shared helpers for the pytest-lsp tests: server command, client set-up, waiting."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path
from typing import Union

from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from server.lsp.command_args import plain

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "two_sum.py"
SERVER_COMMAND = [sys.executable, "-m", "server"]


def server_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "REFACTORCODER_HOME": tempfile.mkdtemp(prefix="rc-home-")}
    env.update(extra)
    return env


def fix_code_action_structuring(client: LanguageClient) -> None:
    """lsprotocol 2025.0.0 structures any code action that carries a `command` as a Command
    (its hook only checks for the key), losing the CodeAction. Real clients check the type of
    `command`; teach the test client to do the same."""
    converter = client.protocol._converter

    def hook(obj, _):
        is_action = not isinstance(obj.get("command"), str)
        return converter.structure(obj, types.CodeAction if is_action else types.Command)

    converter.register_structure_hook(Union[types.Command, types.CodeAction], hook)


async def start_session(client: LanguageClient, settings: dict, *, capabilities="visual-studio-code") -> None:
    fix_code_action_structuring(client)
    client.received = {"solutionReady": [], "jobStarted": [], "jobFinished": [], "applyEdit": []}

    @client.feature("refactorcoder/jobStarted")
    def on_started(params):
        client.received["jobStarted"].append(plain(params))

    @client.feature("refactorcoder/solutionReady")
    def on_solution(params):
        client.received["solutionReady"].append(plain(params))

    @client.feature("refactorcoder/jobFinished")
    def on_finished(params):
        client.received["jobFinished"].append(plain(params))

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def on_apply(params: types.ApplyWorkspaceEditParams):
        client.received["applyEdit"].append(params)
        return types.ApplyWorkspaceEditResult(applied=True)

    @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def on_lens_refresh(params):
        return None

    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(capabilities),
            initialization_options={"settings": settings},
            root_uri=REPO.as_uri(),
        )
    )


def open_example(client: LanguageClient, path: Path = EXAMPLE, version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=version, text=path.read_text())
        )
    )
    return uri


def target(uri: str, line: int, character: int = 4, version: int | None = None) -> dict:
    arg = {"uri": uri, "range": {"start": {"line": line, "character": character}, "end": {"line": line, "character": character}}}
    if version is not None:
        arg["version"] = version
    return arg


async def execute(client: LanguageClient, command: str, *arguments):
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command, arguments=list(arguments))
    )


def progress_kinds(client: LanguageClient) -> dict:
    """token -> list of kinds ("begin" | "report" | "end")."""
    return {token: [v.kind for v in values] for token, values in client.progress_reports.items()}


async def wait_until(predicate, timeout: float = 10.0, interval: float = 0.02) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)


async def code_actions_at(client: LanguageClient, uri: str, line: int, character: int = 0,
                          only: list[str] | None = None):
    """textDocument/codeAction for a cursor (empty range) at line:character."""
    cursor = types.Position(line=line, character=character)
    return await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=cursor, end=cursor),
            context=types.CodeActionContext(diagnostics=[], only=only),
        )
    )
