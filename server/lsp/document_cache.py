"""One parsed `source.Document` per open document, kept in step with the editor: didOpen parses
it, every didChange edit is applied to it (tree-sitter edit + incremental reparse), didClose drops
it. Code actions, lenses and hovers then ask the live tree about one position: nothing on the
request path re-parses or re-outlines a whole file.

Documents the server reads from disk (a command on a file that is not open) get a parsed copy
too, rebuilt when their text changes.

A document over MAX_PARSED_CHARS (a generated or vendored file of many megabytes) is never parsed: the
parse holds the GIL (py-tree-sitter does not release it), so in the handler or in a thread it would stall
every other request for seconds (20 MB: 7.7 s to parse, 12.6 s more to outline). It gets no code actions,
lenses or hovers; the log says so each time it is opened, the user once per document."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from source import languages
from source.document import Document

from server.problem_extract import Extraction, Span, extract_in

logger = logging.getLogger(__name__)

_ENCODINGS = {"utf-8": "utf-8", "utf-16": "utf-16", "utf-32": "utf-32"}
SETTLE_AFTER_S = 0.3  # a pause in typing this long lets waiting edits be re-parsed
# Larger documents get no syntax tree. 2 M characters parse in about 0.8 s on the shared 2-core VM (tree-sitter:
# ~2.6 MB/s there); the largest hand-written Python modules are well under it.
MAX_PARSED_CHARS = 2_000_000


@dataclass(frozen=True)
class TooLarge:
    """A document left unparsed, for the one message the user gets about it."""

    uri: str
    chars: int

    def message(self) -> str:
        name = self.uri.rsplit("/", 1)[-1]
        return (f"RefactorCoder: {name} is {self.chars / 1e6:.1f} MB, over the {MAX_PARSED_CHARS / 1e6:.0f} MB it "
                "parses: no code actions or lenses for it (other files are not affected)")


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
        self._too_large: set[str] = set()  # open and unparsed
        self._told: set[str] = set()  # documents the user was told about (once each)
        self._notices: list[TooLarge] = []

    # -- editor notifications (event loop) --------------------------------------------------------------------

    def opened(self, uri: str, text: str, language_id: str | None, version: int | None) -> None:
        if len(text) > MAX_PARSED_CHARS:
            self._leave_unparsed(uri, len(text))
            return
        document = Document(text, language_id or language_from_uri(uri), version)
        with self._lock:
            self._too_large.discard(uri)
            self._open[uri] = document
            self._closed.pop(uri, None)

    def _leave_unparsed(self, uri: str, chars: int) -> None:
        logger.warning("%s: %d characters, over the %d parsed: no syntax tree, so no code actions or lenses for it",
                       uri, chars, MAX_PARSED_CHARS)
        with self._lock:
            self._too_large.add(uri)
            self._open.pop(uri, None)
            self._closed.pop(uri, None)
        if uri not in self._told:
            self._told.add(uri)
            self._notices.append(TooLarge(uri, chars))

    def take_notices(self) -> list[TooLarge]:
        """Documents left unparsed since the last call, each once per session: for the user's message."""
        notices, self._notices = self._notices, []
        return notices

    def changed(self, uri: str, changes, version: int | None, encoding: str = "utf-16") -> None:
        """Apply LSP content changes in order (each range is in the text left by the previous one)."""
        document = self._open.get(uri)
        if document is None:
            return  # unparsed, or opened before we were listening: built from the pygls copy on first use
        try:
            for change in changes:
                change_range = getattr(change, "range", None)
                # An upper bound of the size after the change (deleted text not subtracted): over the limit, the
                # document is dropped before its re-parse; if it is in fact smaller, the next lookup parses it.
                if (0 if change_range is None else document.char_count) + len(change.text) > MAX_PARSED_CHARS:
                    self._leave_unparsed(uri, document.char_count + len(change.text))
                    return
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
            self._too_large.discard(uri)

    # -- lookups -------------------------------------------------------------------------------------------------

    def document(self, doc) -> Document:
        """The parsed document for a pygls TextDocument: the tracked one when it is in step (same version,
        same length), else a fresh parse of the pygls text."""
        uri = doc.uri
        text = doc.source
        if len(text) > MAX_PARSED_CHARS:  # text only: every structural question answers "nothing here"
            return Document(text, _language(doc), doc.version, structure=False)
        tracked = self._open.get(uri)
        if tracked is None and uri in self._too_large:  # open, and now under the limit: tracked from here on
            tracked = Document(text, _language(doc), doc.version)
            with self._lock:
                self._too_large.discard(uri)
                self._open[uri] = tracked
            return tracked
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

    def too_large(self, doc) -> bool:
        """Left unparsed: over the limit now (pygls' copy holds the current text)."""
        return len(doc.source) > MAX_PARSED_CHARS

    def _remember_closed(self, uri: str, document: Document) -> None:
        if len(self._closed) >= self._max_closed and uri not in self._closed:
            self._closed.pop(next(iter(self._closed)))
        self._closed[uri] = document

    def extract(self, doc, selection: Span) -> Extraction | None:
        """Extraction for a pygls TextDocument at a selection in code points (None when nothing is there).
        For commands: the tree is brought fully up to date first (a job's target deserves every detail)."""
        if self.too_large(doc):
            return None
        document = self.document(doc)
        document.settle()
        return extract_in(document, selection)

    def extract_client(self, doc, start: tuple[int, int], end: tuple[int, int]) -> Extraction | None:
        """The same for a selection in the client's position units (what LSP requests carry)."""
        if self.too_large(doc):
            return None
        document = self.document(doc)
        encoding = encoding_of(doc)
        if encoding != "utf-32":
            start = document.char_column(document.byte_offset(*start, encoding))
            end = document.char_column(document.byte_offset(*end, encoding))
        return extract_in(document, Span(start, end))
