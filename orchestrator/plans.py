"""Which pipeline stages each editor/CLI command runs (moved here from server/jobs.py)."""

from __future__ import annotations

from typing import Protocol


class HasCode(Protocol):
    code: str | None


def plan_stages(kind: str, target: HasCode) -> tuple[tuple[str, ...], str | None]:
    """Which pipeline stages a command runs, and the existing solution for judge-only runs.

    `target` is anything with a `code` attribute (the server's Extraction, the CLI's target).
    """
    if kind == "guide":
        return ("guide",), None
    if kind == "solve":
        return ("guide", "solve"), None
    if target.code is not None:
        return ("judge",), target.code  # judge the code that is there
    return ("guide", "solve", "judge"), None  # nothing to judge yet: the whole chain
