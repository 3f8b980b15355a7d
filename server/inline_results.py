"""Results shown in the editor: judge scores as a code lens on the function, the judge's
feedback as an Information diagnostic (source "refactorcoder"), and a hover on the function
with its latest report. Anchors are re-found by function name in the current text, so results
follow the function when lines above it change."""

from __future__ import annotations

import logging

from lsprotocol import types

from server.document_cache import language_from_uri
from server.positions import line_length, span_from_client
from server.report_markdown import report_markdown, scores_line

logger = logging.getLogger(__name__)

SOURCE = "refactorcoder"
OPEN_REPORT_COMMAND = "refactorcoder.openReport"  # client-side command: show `refactorcoder/report`


def _anchors(server, doc) -> dict[str, int]:
    """Target key -> line, for every stored result that can still be found in the document."""
    entries = server.results.for_uri(doc.uri)
    if not entries:
        return {}
    language = doc.language_id or language_from_uri(doc.uri)
    functions = server.doc_cache.outline(doc.uri, doc.version, doc.source, language)
    by_name = {}
    for fn in functions:
        by_name.setdefault(fn.name, fn.name_line)
    lines = doc.lines
    found = {}
    for key, entry in entries.items():
        if entry.name:
            if entry.name in by_name:
                found[key] = by_name[entry.name]
        else:
            line = next((i for i, text in enumerate(lines) if entry.title and entry.title[:40] in text), None)
            if line is not None:
                found[key] = line
    return found


def _line_range(doc, line: int) -> types.Range:
    text = doc.lines[line].rstrip("\r\n") if line < len(doc.lines) else ""
    return types.Range(start=types.Position(line=line, character=0), end=types.Position(line=line, character=line_length(doc, text)))


def code_lenses(server, doc) -> list[types.CodeLens]:
    lenses = []
    entries = server.results.for_uri(doc.uri)
    for key, line in _anchors(server, doc).items():
        entry = entries[key]
        if entry.judgment is None:
            continue
        title = f"RefactorCoder: {scores_line(entry.judgment)}"
        position = {"line": line, "character": 0}
        lenses.append(
            types.CodeLens(
                range=_line_range(doc, line),
                command=types.Command(title=title, command=OPEN_REPORT_COMMAND, arguments=[{"uri": doc.uri, "position": position}]),
            )
        )
    return lenses


def diagnostics(server, doc) -> list[types.Diagnostic]:
    out = []
    entries = server.results.for_uri(doc.uri)
    for key, line in _anchors(server, doc).items():
        judgment = entries[key].judgment
        if judgment is None:
            continue
        feedback = (judgment.get("feedback") or "").strip() or "; ".join(judgment.get("weaknesses") or [])
        message = f"RefactorCoder judge ({scores_line(judgment)})" + (f": {feedback}" if feedback else "")
        out.append(
            types.Diagnostic(
                range=_line_range(doc, line),
                message=message,
                severity=types.DiagnosticSeverity.Information,
                source=SOURCE,
            )
        )
    return out


def publish(server, uri: str) -> None:
    doc = server.workspace.get_text_document(uri)
    try:
        items = diagnostics(server, doc)
    except OSError:
        return  # a closed document that is gone from disk
    server.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=uri, diagnostics=items, version=doc.version)
    )
    if server.client_supports("workspace", "code_lens", "refresh_support"):
        server.workspace_code_lens_refresh(None)


def hover(server, doc, position: types.Position) -> types.Hover | None:
    entries = server.results.for_uri(doc.uri)
    if not entries:
        return None
    pos = (position.line, position.character)
    target = server.doc_cache.extract(doc, span_from_client(doc, pos, pos))
    entry = entries.get(target.key) if target else None
    if entry is None:
        return None
    text = report_markdown(entry.report, guidance=entry.guidance, judgment=entry.judgment)
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))


def setup(server) -> None:
    def on_job_finished(job) -> None:
        if server.results.record(job) is not None:
            publish(server, job.uri)

    server.jobs.listeners.append(on_job_finished)

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))
    def on_code_lens(ls, params: types.CodeLensParams):
        if not ls.results.for_uri(params.text_document.uri):
            return []
        try:
            return code_lenses(ls, ls.workspace.get_text_document(params.text_document.uri))
        except OSError:  # neither open nor on disk
            return []

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def on_hover(ls, params: types.HoverParams):
        if not ls.results.for_uri(params.text_document.uri):
            return None
        try:
            return hover(ls, ls.workspace.get_text_document(params.text_document.uri), params.position)
        except OSError:
            return None

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def on_open(ls, params: types.DidOpenTextDocumentParams):
        if ls.results.for_uri(params.text_document.uri):
            publish(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def on_close(ls, params: types.DidCloseTextDocumentParams):
        ls.doc_cache.forget(params.text_document.uri)
