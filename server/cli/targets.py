"""CLI TARGET -> Extraction: `FILE::function`, a FILE, or a problem text."""

from __future__ import annotations

from pathlib import Path

from server.problem_extract import LANGUAGE_BY_SUFFIX, Extraction, Span, find_function, language_for_path, outline, whole_text


class TargetError(ValueError):
    """TARGET cannot be resolved; the message is for the user."""


def resolve_target(target: str, language: str | None = None) -> tuple[Extraction, str]:
    """The problem to work on and a `source` label for the history."""
    if "::" in target:
        path_text, name = target.rsplit("::", 1)
        path = Path(path_text)
        if not path.is_file():
            raise TargetError(f"no such file: {path_text}")
        text = path.read_text(encoding="utf-8", errors="replace")
        lang = language or language_for_path(path.name)
        found = find_function(text, lang, name)
        if found is None:
            names = ", ".join(f.name for f in outline(text, lang)) or "none"
            raise TargetError(f"no function {name!r} in {path_text} (functions: {names})")
        return found, target
    path = Path(target)
    if "\n" not in target and len(target) < 4096 and path.is_file():
        text = path.read_text(encoding="utf-8", errors="replace")
        return whole_text(text, language or language_for_path(path.name)), target
    if _looks_like_path(target):
        raise TargetError(f"no such file: {target}")
    return problem_text(target, language or "python"), "cli"


def problem_text(text: str, language: str) -> Extraction:
    text = text.strip()
    if not text:
        raise TargetError("empty problem text")
    first = text.splitlines()[0].strip()
    title = first if len(first) <= 80 else first[:77] + "..."
    lines = text.splitlines()
    end = (len(lines) - 1, len(lines[-1]))
    return Extraction(title, text, None, language, Span(end, end), 0)


def _looks_like_path(target: str) -> bool:
    return " " not in target and any(target.lower().endswith(suffix) for suffix in LANGUAGE_BY_SUFFIX)
