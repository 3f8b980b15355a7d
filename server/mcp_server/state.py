"""What every tool call shares: the settings loaded at start-up and where the workspace roots come from."""

from __future__ import annotations

from dataclasses import dataclass

from server.mcp_server.paths import Roots, client_roots


@dataclass
class ServerState:
    settings: object  # models.settings.Settings
    fixed_roots: Roots | None = None  # `--root`: these, whatever the client declares

    async def roots(self, ctx) -> Roots:
        return self.fixed_roots if self.fixed_roots is not None else await client_roots(ctx)
