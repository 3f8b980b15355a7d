"""The `refactorcoder` settings section: from initializationOptions (the section itself or
`{"settings": {...}}`), then `workspace/configuration` after `initialized`, refetched on
`workspace/didChangeConfiguration`. Invalid settings: an error message and the defaults.
Settings never hold API keys (those come from the environment or key_file), and are not logged."""

from __future__ import annotations

import asyncio
import logging

from lsprotocol import types

logger = logging.getLogger(__name__)

SECTION = "refactorcoder"


def section_from_init_options(options) -> dict:
    if not isinstance(options, dict):
        return {}
    if isinstance(options.get("settings"), dict):
        options = options["settings"]
    if isinstance(options.get(SECTION), dict):
        options = options[SECTION]  # tolerate {"refactorcoder": {...}} as well
    return options


def merge(base: dict, override: dict) -> dict:
    """Deep merge: the client's configuration overrides initializationOptions key by key."""
    out = dict(base)
    for key, value in override.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def without_nulls(value):
    """Clients send null for unset keys (VS Code does); null means "use the default"."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    return value


class SettingsSync:
    def __init__(self, server):
        self.server = server
        self.init_section: dict = {}
        self.applied_source: dict | None = None

    def apply(self, section: dict, origin: str) -> None:
        from models.errors import SettingsError
        from models.settings import Settings

        section = without_nulls(section)
        if section == self.applied_source:
            return
        self.applied_source = section
        try:
            settings = Settings.from_dict(section)
        except SettingsError as exc:
            logger.warning("invalid settings from %s; using defaults", origin)
            self.server.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Error, message=f"RefactorCoder: {exc} (using defaults)")
            )
            settings = Settings()
        self.server.pipelines.reset(settings)
        logger.info("settings applied from %s", origin)

    async def fetch(self, origin: str, pushed: dict | None = None) -> None:
        section = None
        if self.server.client_supports("workspace", "configuration"):
            try:
                result = await self.server.workspace_configuration_async(
                    types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
                )
                section = result[0] if result else None
            except Exception as exc:  # a client without configuration support: keep what we have
                logger.info("workspace/configuration failed: %s", exc)
        if section is None:
            section = pushed
        if isinstance(section, dict):
            self.apply(merge(self.init_section, section), origin)


def setup(server) -> None:
    sync = SettingsSync(server)
    server.settings_sync = sync

    @server.feature(types.INITIALIZE)
    def on_initialize(ls, params: types.InitializeParams):
        ls.jobs.loop = asyncio.get_running_loop()  # worker threads post messages through it
        sync.init_section = section_from_init_options(params.initialization_options)
        options = params.initialization_options
        ls.client_options = dict(options.get("client") or {}) if isinstance(options, dict) else {}
        sync.apply(sync.init_section, "initializationOptions")

    @server.feature(types.INITIALIZED)
    async def on_initialized(ls, params):
        await sync.fetch("workspace/configuration")

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def on_config_changed(ls, params: types.DidChangeConfigurationParams):
        pushed = params.settings.get(SECTION) if isinstance(params.settings, dict) else None
        await sync.fetch("workspace/didChangeConfiguration", pushed)
