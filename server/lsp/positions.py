"""LSP positions count characters in the negotiated encoding (UTF-16 for VS Code); extraction works
on Python string indices (code points). Convert at the edges: incoming ranges on arrival, outgoing
ranges when sent. Only lines with characters outside the BMP (UTF-16) or non-ASCII (UTF-8) differ.

These helpers read single lines of the pygls document; the hot request paths (code actions, hovers,
lenses) convert through the parsed document instead (`DocumentCache.extract_client`)."""

from __future__ import annotations

from lsprotocol import types

from server.problem_extract import Span


def span_from_client(doc, start: tuple[int, int], end: tuple[int, int]) -> Span:
    lines = None

    def convert(pos: tuple[int, int]) -> tuple[int, int]:
        nonlocal lines
        if lines is None:
            lines = doc.lines
        if pos[0] >= len(lines) or lines[pos[0]].isascii():
            return pos
        server_pos = doc.position_codec.position_from_client_units(lines, types.Position(line=pos[0], character=pos[1]))
        return server_pos.line, server_pos.character

    return Span(convert(start), convert(end))


def span_to_client(doc, span: Span) -> Span:
    lines = doc.lines

    def convert(pos: tuple[int, int]) -> tuple[int, int]:
        if pos[0] >= len(lines) or lines[pos[0]].isascii():
            return pos
        return pos[0], doc.position_codec.client_num_units(lines[pos[0]][: pos[1]])

    return Span(convert(span.start), convert(span.end))


def line_length(doc, line_text: str) -> int:
    return len(line_text) if line_text.isascii() else doc.position_codec.client_num_units(line_text)
