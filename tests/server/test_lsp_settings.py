"""Settings through the protocol: initializationOptions, workspace/configuration after initialized,
didChangeConfiguration, invalid settings -> showMessage error + defaults. The fake pipeline echoes
the settings it was built with, so we can see what the server applied."""

from __future__ import annotations

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.server.lsp_helpers import SERVER_COMMAND, execute, open_example, server_env, start_session, target, wait_until

CONFIG = ClientServerConfig(
    server_command=SERVER_COMMAND,
    server_env=server_env(REFACTORCODER_PIPELINE_FACTORY="tests.server.settings_echo:make_pipeline", REFACTORCODER_FAKE_DELAY_S="0"),
)


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient):
    lsp_client.set_configuration({"solve": {"max_tokens": 77}}, section="refactorcoder")
    await start_session(lsp_client, {"guide": {"max_tokens": 11}})
    yield
    await lsp_client.shutdown_session()


async def applied(client: LanguageClient) -> dict:
    uri = open_example(client)
    result = await execute(client, "refactorcoder.guide", target(uri, 8))
    return result["report"]["guidance"]["notes"][0]


async def test_init_options_then_workspace_configuration_are_merged(client: LanguageClient):
    await wait_until(lambda: any("workspace/configuration" in m.message for m in client.log_messages))
    settings = await applied(client)
    assert '"guide": {"max_tokens": 11' in settings and '"solve": {"max_tokens": 77' in settings


async def test_did_change_configuration_refetches(client: LanguageClient):
    await wait_until(lambda: any("workspace/configuration" in m.message for m in client.log_messages))
    client.set_configuration({"solve": {"max_tokens": 5}, "judge": {"max_tokens": 6}}, section="refactorcoder")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={}))
    await wait_until(lambda: any("didChangeConfiguration" in m.message for m in client.log_messages))
    settings = await applied(client)
    assert '"solve": {"max_tokens": 5' in settings and '"judge": {"max_tokens": 6' in settings


async def test_invalid_settings_error_message_and_defaults(client: LanguageClient):
    await wait_until(lambda: any("workspace/configuration" in m.message for m in client.log_messages))
    client.set_configuration({"guide": {"max_tokens": -1}, "unknown_key": True}, section="refactorcoder")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={}))
    await wait_until(lambda: any(m.type == types.MessageType.Error and "invalid refactorcoder settings" in m.message for m in client.messages))
    error = next(m.message for m in client.messages if m.type == types.MessageType.Error)
    assert "guide.max_tokens" in error and "unknown_key" in error
    settings = await applied(client)
    assert '"guide": {"max_tokens": 384' in settings  # the defaults
