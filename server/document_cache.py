"""Outline (functions and their problem texts) per document version, so code actions, lenses
and hovers do not re-parse an unchanged document."""

from __future__ import annotations

import threading

from server.problem_extract import FunctionInfo, Span, extract_at, outline


class DocumentCache:
    def __init__(self, max_documents: int = 64):
        self._outlines: dict[str, tuple[int | None, int, list[FunctionInfo]]] = {}
        self._lock = threading.Lock()
        self._max = max_documents

    def outline(self, uri: str, version: int | None, text: str, language: str) -> list[FunctionInfo]:
        # Keyed by version AND text length: clients that omit versions still get a correct cache.
        key = (version, len(text))
        with self._lock:
            cached = self._outlines.get(uri)
            if cached and (cached[0], cached[1]) == key:
                return cached[2]
        functions = outline(text, language)
        with self._lock:
            if len(self._outlines) >= self._max and uri not in self._outlines:
                self._outlines.pop(next(iter(self._outlines)))
            self._outlines[uri] = (version, len(text), functions)
        return functions

    def extract(self, doc, selection: Span):
        """Extraction for a pygls TextDocument at a selection (None when nothing is there)."""
        language = doc.language_id or language_from_uri(doc.uri)
        text = doc.source
        return extract_at(text, language, selection, self.outline(doc.uri, doc.version, text, language))

    def forget(self, uri: str) -> None:
        with self._lock:
            self._outlines.pop(uri, None)


def language_from_uri(uri: str) -> str:
    from server.problem_extract import language_for_path

    return language_for_path(uri)
