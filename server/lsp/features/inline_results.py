"""Results shown in the editor: the verdict or the judge's scores as a code lens on the function (it opens the
report view), one-line diagnostics (source "refactorcoder": each failing test a Fix found; never the judge's
opinion) whose code links to that report, and a short hover with the verdict, the judgment labelled with its
model, and the same link. The details
(tracebacks, code, the whole judgment) live in the report view, never in a plain-text diagnostic. Each result is
anchored in the live document (see `_anchors`), so it follows its function through edits above it and never
lands on another function of the same name."""

from __future__ import annotations

import asyncio
import json
import logging
from urllib.parse import quote

from lsprotocol import types

from server.lsp.document_cache import encoding_of
from server.lsp.positions import line_length
from server.reports.markdown import scores_line
from server.reports.verdict import KIND_NAMES, lens_title, one_line, still_valid, test_diagnostics, verdict_line

logger = logging.getLogger(__name__)

SOURCE = "refactorcoder"
OPEN_REPORT_COMMAND = "refactorcoder.openReport"  # client-side command: the report view (`refactorcoder/jobReport`)


def _anchors(server, doc) -> dict[str, int]:
    """Target key -> line, for every stored result whose target is still in the document. Each result
    holds an anchor in the live document that moved with every edit; the function whose name holds it
    is the result's function (two functions of one name each keep their own)."""
    entries = server.results.for_uri(doc.uri)
    if not entries:
        return {}
    document = server.doc_cache.document(doc)
    found = {}
    for key, entry in entries.items():
        anchor = entry.anchor
        if anchor is None:
            continue
        if entry.name:
            fn = document.function_at_anchor(anchor)
            if fn is None or fn.name != entry.name:
                # Applying a proposal replaces the text the anchor was in: the result then belongs to the
                # function of that name whose text is the verified proposal.
                fn = next((f for f in document.outline() if f.name == entry.name and (entry.report or {}).get("applied")
                           and still_valid(entry.report, document.text_between(*document.owned_span(f.start_byte, f.end_byte)))), None)
            if fn is not None and fn.name == entry.name and still_valid(
                    entry.report, document.text_between(*document.owned_span(fn.start_byte, fn.end_byte))):
                found[key] = fn.name_row  # a result of an older text of this function is not shown
        elif anchor.offset <= len(document.source):
            found[key] = document.row_of(anchor.offset)
    return found


def _line_range(server, doc, line: int) -> types.Range:
    text = server.doc_cache.document(doc).line(line)
    return types.Range(start=types.Position(line=line, character=0), end=types.Position(line=line, character=line_length(doc, text)))


def report_target(server, uri: str, line: int, entry) -> dict:
    """What a lens (or a diagnostic's link) opens: the report view of the result's latest job, found by job id,
    else run id, else the function at the position (see report_data's jobReport)."""
    job_id = entry.job_ids[-1] if entry.job_ids else None
    job = server.jobs.get(job_id) if job_id else None
    return {"uri": uri, "position": {"line": line, "character": 0}, "jobId": job_id,
            "runId": job.run_id if job is not None else (entry.report or {}).get("run_id")}


def code_lenses(server, doc) -> list[types.CodeLens]:
    lenses = []
    entries = server.results.for_uri(doc.uri)
    for key, line in _anchors(server, doc).items():
        entry = entries[key]
        if entry.judgment is None and not (entry.report or {}).get("verdict"):
            continue
        lenses.append(
            types.CodeLens(
                range=_line_range(server, doc, line),
                command=types.Command(title=lens_title(entry.report, entry.judgment), command=OPEN_REPORT_COMMAND,
                                      arguments=[report_target(server, doc.uri, line, entry)]),
            )
        )
    return lenses


def report_link(target: dict) -> str:
    """A command URI that opens the report view (VS Code opens a diagnostic code's target with commands allowed;
    hovers need the client to trust the command)."""
    return f"command:{OPEN_REPORT_COMMAND}?{quote(json.dumps([target]))}"


def diagnostics(server, doc) -> list[types.Diagnostic]:
    out = []
    entries = server.results.for_uri(doc.uri)
    for key, line in _anchors(server, doc).items():
        entry = entries[key]
        code = types.CodeDescription(href=report_link(report_target(server, doc.uri, line, entry)))

        def add(message: str, severity: types.DiagnosticSeverity) -> None:
            out.append(types.Diagnostic(range=_line_range(server, doc, line), message=message, severity=severity,
                                        source=SOURCE, code="report", code_description=code))

        for message in test_diagnostics(entry.report):  # failing tests Fix found: facts from running the code
            add(message, types.DiagnosticSeverity.Warning)
        # The judge's text is a model's opinion (it has called list code "uses a set"): lens, hover and report
        # show it under the judge's model name, never the Problems panel, which lists facts about the code.
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
    target = server.doc_cache.extract_client(doc, pos, pos)
    entry = entries.get(target.key) if target else None
    if entry is None or not still_valid(entry.report, target.code):
        return None
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown,
                                                    value=hover_markdown(server, doc.uri, target.anchor_line, entry)))


def hover_markdown(server, uri: str, line: int, entry) -> str:
    """A few lines: the verdict, the judgment's scores and one line of feedback, and a link to the report view
    (the whole report, with its code and tracebacks, is there)."""
    report = entry.report or {}
    kind = report.get("kind")
    parts = []
    verdict = (report.get("verdict") or verdict_line(report)) if kind in KIND_NAMES else ""
    if verdict:
        parts.append(f"**RefactorCoder {KIND_NAMES[kind]}:** {verdict}")
    if entry.guidance and entry.guidance.get("text"):
        parts.append(f"**Guidance:** {one_line(entry.guidance['text'], 200)}")
    if entry.judgment:
        feedback = one_line(entry.judgment.get("feedback") or "", 200)
        model = entry.judgment.get("model") or (entry.judgment.get("raw") or {}).get("model_id") or "a model"
        parts.append(f"**Judgment** (the opinion of {model}, not a test result): {scores_line(entry.judgment)}"
                     + (f" — {feedback}" if feedback else ""))
    parts.append(f"[Open the report]({report_link(report_target(server, uri, line, entry))})")
    return "\n\n".join(parts)


def refresh_soon(server, uri: str, delay_s: float = 0.4) -> None:
    """Re-publish a document's results once typing pauses (one pending refresh per document)."""
    pending = server.__dict__.setdefault("_refresh_pending", set())
    if uri in pending or server.jobs.loop is None:
        return
    pending.add(uri)

    def run():
        pending.discard(uri)
        publish(server, uri)

    server.jobs.loop.call_later(delay_s, run)


def tell_unparsed(server) -> None:
    """A document too large to parse has no actions or lenses: the user hears why, once per document."""
    for notice in server.doc_cache.take_notices():
        server.window_show_message(types.ShowMessageParams(type=types.MessageType.Warning, message=notice.message()))


def setup(server) -> None:
    def on_job_finished(job) -> None:
        if server.results.record(job) is not None:
            publish(server, job.uri)

    server.jobs.listeners.append(on_job_finished)

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))
    def on_code_lens(ls, params: types.CodeLensParams):
        # LSP has one codeLens handler per server: the results' lenses, then other features' (ls.lens_providers).
        uri = params.text_document.uri
        lenses = []
        try:
            doc = ls.workspace.get_text_document(uri)
            if ls.results.for_uri(uri):
                lenses += code_lenses(ls, doc)
            for provider in ls.lens_providers:
                lenses += provider(ls, doc)
        except OSError:  # neither open nor on disk
            return []
        return lenses

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
        item = params.text_document
        ls.doc_cache.opened(item.uri, item.text, item.language_id, item.version)
        tell_unparsed(ls)
        if ls.results.for_uri(item.uri):
            publish(ls, item.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def on_change(ls, params: types.DidChangeTextDocumentParams):
        # pygls has applied the changes to its copy already; the same edits go into the parsed tree.
        uri = params.text_document.uri
        doc = ls.workspace.text_documents.get(uri)
        encoding = encoding_of(doc) if doc is not None else "utf-16"
        ls.doc_cache.changed(uri, params.content_changes, params.text_document.version, encoding)
        tell_unparsed(ls)
        if ls.results.for_uri(uri):
            refresh_soon(ls, uri)  # a result whose function changed must leave the diagnostics too
        ls.doc_cache.settle_later(uri, asyncio.get_running_loop())

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def on_close(ls, params: types.DidCloseTextDocumentParams):
        ls.doc_cache.forget(params.text_document.uri)
