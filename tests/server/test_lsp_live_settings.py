"""A setting changed while the server runs is used by the next job, with no restart: as the VS Code client sends it
(client-vscode/src/settings.ts liveSettings: the shaped section, every key the user does not set as null), through
workspace/didChangeConfiguration and the server's workspace/configuration request. A setting taken out of
settings.json goes back to its default, not to its value at start-up (initializationOptions). The fake pipeline
echoes the max_tokens it was built with (tests/server/settings_echo.py)."""

from __future__ import annotations

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.server.lsp_helpers import SERVER_COMMAND, execute, open_example, server_env, start_session, target, wait_until

CONFIG = ClientServerConfig(
    server_command=SERVER_COMMAND,
    server_env=server_env(REFACTORCODER_PIPELINE_FACTORY="tests.server.settings_echo:make_pipeline", REFACTORCODER_FAKE_DELAY_S="0"),
)

STAGE_KEYS = ("model", "fallbacks", "api_base", "timeout_s", "retries", "backoff_s", "temperature", "max_tokens")
SERVER_KEYS = ("guide", "solve", "judge", "fix", "refine", "local_model_path", "history_path", "key_file")
AT_START = {"guide": {"max_tokens": 11}, "solve": {"max_tokens": 77}}


def live(**stages: dict) -> dict:
    """The section as client-vscode sends it: unset keys as null, every key of a set stage too."""
    out: dict = dict.fromkeys(SERVER_KEYS)
    for name, values in stages.items():
        out[name] = {**dict.fromkeys(STAGE_KEYS), **values}
    return out


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient):
    lsp_client.set_configuration(live(**AT_START), section="refactorcoder")
    await start_session(lsp_client, AT_START)
    yield
    await lsp_client.shutdown_session()


async def used_max_tokens(client: LanguageClient) -> str:
    uri = open_example(client)
    result = await execute(client, "refactorcoder.guide", target(uri, 8))
    return result["report"]["guidance"]["notes"][0]


async def change(client: LanguageClient, section: dict, applied_before: int) -> None:
    client.set_configuration(section, section="refactorcoder")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"refactorcoder": section}))
    await wait_until(lambda: sum("settings applied from workspace/didChangeConfiguration" in m.message
                                 for m in client.log_messages) > applied_before)


async def test_a_changed_setting_is_used_by_the_next_job_and_a_removed_one_goes_back_to_its_default(client: LanguageClient):
    assert '"guide": {"max_tokens": 11' in await used_max_tokens(client)

    await change(client, live(guide={"max_tokens": 200}, solve={"max_tokens": 77}), 0)
    used = await used_max_tokens(client)
    assert '"guide": {"max_tokens": 200' in used and '"solve": {"max_tokens": 77' in used

    # guide.max_tokens and the whole solve section taken out of settings.json: the defaults, not 11 and 77.
    await change(client, live(guide={}), 1)
    used = await used_max_tokens(client)
    assert '"guide": {"max_tokens": 384' in used and '"solve": {"max_tokens": 384' in used
