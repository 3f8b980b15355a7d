"""Path confinement: every file an agent names must lie inside a workspace root.

The roots are the `--root` folders given at start-up, else the roots the client declares (`roots/list`,
file:// URIs only). A server with neither refuses every path: it never falls back to the whole disk.
Paths are resolved (symlinks followed) before the check, so `root/link -> /etc` is outside too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from mcp.server.mcpserver.exceptions import ToolError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Roots:
    folders: tuple[Path, ...]
    source: str  # "--root" | "client" | "none"

    def describe(self) -> str:
        return ", ".join(str(f) for f in self.folders) or "none"

    def confine(self, path_text: str, what: str = "path", *, must_exist: bool = True) -> Path:
        """The resolved path, or a ToolError saying what to change."""
        if not path_text or "\x00" in path_text:
            raise ToolError(f"{what}: give a file path (got {path_text!r})")
        if not self.folders:
            raise ToolError(f"{what} {path_text!r}: this server has no workspace root, so it reads no files. "
                            "Declare roots in the client or start it with `refactorcoder mcp --root FOLDER`; "
                            "or pass the source text as `code` instead")
        raw = Path(path_text).expanduser()
        candidates = [raw] if raw.is_absolute() else [folder / raw for folder in self.folders]
        for candidate in candidates:
            resolved = candidate.resolve()
            inside = next((f for f in self.folders if resolved == f or f in resolved.parents), None)
            if inside is None:
                continue
            if must_exist and not resolved.exists():
                continue
            return resolved
        if any(_inside(c.resolve(), self.folders) for c in candidates):
            raise ToolError(f"{what} {path_text!r}: no such file under the workspace roots ({self.describe()})")
        raise ToolError(f"{what} {path_text!r} is outside the workspace roots ({self.describe()}): pass a path "
                        "inside one of them (relative paths are taken from the roots)")


def _inside(path: Path, folders: tuple[Path, ...]) -> bool:
    return any(path == f or f in path.parents for f in folders)


def fixed_roots(folders: list[Path]) -> Roots | None:
    """The `--root` folders (None when there are none: ask the client)."""
    if not folders:
        return None
    return Roots(tuple(f.expanduser().resolve() for f in folders), "--root")


def roots_from_uris(uris: list[str]) -> Roots:
    folders = []
    for uri in uris:
        parsed = urlparse(uri)
        if parsed.scheme != "file":
            log.info("ignoring a non-file root %s", uri)
            continue
        folders.append(Path(unquote(parsed.path)).resolve())
    return Roots(tuple(folders), "client")


async def client_roots(ctx) -> Roots:
    """The roots the client declares; no roots when it declares none or cannot answer."""
    import warnings

    try:
        with warnings.catch_warnings():  # roots are deprecated by the 2026-07-28 spec; clients still send them
            warnings.simplefilter("ignore")
            result = await ctx.session.list_roots()
    except Exception as exc:  # a client without the roots capability
        log.info("the client gave no roots: %s", exc)
        return Roots((), "none")
    return roots_from_uris([str(root.uri) for root in result.roots])
