"""One parsed `source.Document` per open document, kept in step with the editor: didOpen parses
it, every didChange edit is applied to it (tree-sitter edit + incremental reparse), didClose drops
it. Code actions, lenses and hovers then ask the live tree about one position: nothing on the
request path re-parses or re-outlines a whole file.

Documents the server reads from disk (a command on a file that is not open) get a parsed copy
too, rebuilt when their text changes."""

from __future__ import annotations

import logging
import threading

from source import languages
from source.document import Document

from server.problem_extract import Extraction, Span, extract_in

logger = logging.getLogger(__name__)

_ENCODINGS = {"utf-8": "utf-8", "utf-16": "utf-16", "utf-32": "utf-32"}
SETTLE_AFTER_S = 0.3  # a pause in typing this long lets waiting edits be re-parsed


def language_from_uri(uri: str) -> str:
    return languages.language_id_for_path(uri)


def _language(doc) -> str:
    return doc.language_id or language_from_uri(doc.uri)


def encoding_of(doc) -> str:
    """The negotiated position encoding of a pygls document ("utf-16" unless the client chose another)."""
    encoding = getattr(getattr(doc, "position_codec", None), "encoding", None)
    return _ENCODINGS.get(str(getattr(encoding, "value", encoding) or "utf-16").lower(), "utf-16")


class DocumentCache:
    def __init__(self, max_closed: int = 16):
        self._open: dict[str, Document] = {}
        self._closed: dict[str, Document] = {}  # read from disk, not tracked by edits
        self._lock = threading.Lock()
        self._max_closed = max_closed
        self._settle_handles: dict[str, object] = {}

    # -- editor notifications (event loop) --------------------------------------------------------------------

    def opened(self, uri: str, text: str, language_id: str | None, version: int | None) -> None:
        document = Document(text, language_id or language_from_uri(uri), version)
        with self._lock:
            self._open[uri] = document
            self._closed.pop(uri, None)

    def changed(self, uri: str, changes, version: int | None, encoding: str = "utf-16") -> None:
        """Apply LSP content changes in order (each range is in the text left by the previous one)."""
        document = self._open.get(uri)
        if document is None:
            return  # opened before we were listening: built from the pygls copy on first use
        try:
            for change in changes:
                change_range = getattr(change, "range", None)
                if change_range is None:
                    document.replace_all(change.text, version)
                    continue
                document.apply_change(
                    (change_range.start.line, change_range.start.character),
                    (change_range.end.line, change_range.end.character),
                    change.text, encoding,
                )
        except Exception:  # noqa: BLE001 - a change we cannot apply must not take the server down
            logger.exception("could not apply a change to %s: re-parsed on next use", uri)
            document.char_count = -1  # out of step: `document()` re-parses the pygls copy
        document.version = version

    def settle_later(self, uri: str, loop, delay_s: float = SETTLE_AFTER_S) -> None:
        """Re-parse `uri` once the editor has been quiet for `delay_s` (each edit pushes it back): edits
        that keep every function's bounds leave the re-parse to this moment, off the request path."""
        handle = self._settle_handles.pop(uri, None)
        if handle is not None:
            handle.cancel()
        document = self._open.get(uri)
        if document is not None and document.stale:
            self._settle_handles[uri] = loop.call_later(delay_s, self._settle, uri)

    def _settle(self, uri: str) -> None:
        self._settle_handles.pop(uri, None)
        document = self._open.get(uri)
        if document is not None:
            document.settle()

    def forget(self, uri: str) -> None:
        handle = self._settle_handles.pop(uri, None)
        if handle is not None:
            handle.cancel()
        with self._lock:
            self._open.pop(uri, None)
            self._closed.pop(uri, None)

    # -- lookups -------------------------------------------------------------------------------------------------

    def document(self, doc) -> Document:
        """The parsed document for a pygls TextDocument: the tracked one when it is in step (same version,
        same length), else a fresh parse of the pygls text."""
        uri = doc.uri
        text = doc.source
        tracked = self._open.get(uri)
        if tracked is not None:
            if tracked.version == doc.version and tracked.char_count == len(text):
                return tracked
            logger.warning("document %s out of step (v%s, now v%s): re-parsed", uri, tracked.version, doc.version)
            tracked = Document(text, _language(doc), doc.version)
            with self._lock:
                self._open[uri] = tracked
            return tracked
        cached = self._closed.get(uri)  # not open: read from disk
        if cached is not None and cached.char_count == len(text) and cached.text == text:
            return cached
        document = Document(text, _language(doc), doc.version)
        with self._lock:
            self._remember_closed(uri, document)
        return document

    def _remember_closed(self, uri: str, document: Document) -> None:
        if len(self._closed) >= self._max_closed and uri not in self._closed:
            self._closed.pop(next(iter(self._closed)))
        self._closed[uri] = document

    def extract(self, doc, selection: Span) -> Extraction | None:
        """Extraction for a pygls TextDocument at a selection in code points (None when nothing is there).
        For commands: the tree is brought fully up to date first (a job's target deserves every detail)."""
        document = self.document(doc)
        document.settle()
        return extract_in(document, selection)

    def extract_client(self, doc, start: tuple[int, int], end: tuple[int, int]) -> Extraction | None:
        """The same for a selection in the client's position units (what LSP requests carry)."""
        document = self.document(doc)
        encoding = encoding_of(doc)
        if encoding != "utf-32":
            start = document.char_column(document.byte_offset(*start, encoding))
            end = document.char_column(document.byte_offset(*end, encoding))
        return extract_in(document, Span(start, end))
