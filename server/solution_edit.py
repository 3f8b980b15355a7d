"""Turning a solution into an edit, and applying it only to the document version it was
computed against: the user's unsaved edits are never overwritten."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from lsprotocol import types

from server.problem_extract import Span

STALE_MESSAGE = "document changed since the solution was computed"


@dataclass(frozen=True)
class Proposal:
    uri: str
    version: int | None
    span: Span
    original: str
    new_text: str

    def notification(self, job_id: str) -> dict:
        """Payload of `refactorcoder/solutionReady`."""
        return {
            "jobId": job_id,
            "uri": self.uri,
            "version": self.version,
            "range": self.span.to_lsp(),
            "original": self.original,
            "proposed": self.new_text,
        }


def make_proposal(job, solution_code: str | None) -> Proposal | None:
    """Replace the function with the solution, or insert it after a comment-only problem."""
    if not solution_code or not solution_code.strip():
        return None
    target = job.target
    code = solution_code.strip("\n")
    if target.code is None:
        return Proposal(job.uri, job.version, target.span, "", "\n" + code + "\n")
    indent = _leading_indent(target.code)
    if indent and not _leading_indent(code):
        code = textwrap.indent(textwrap.dedent(code), indent)  # keep a method inside its class
    return Proposal(job.uri, job.version, target.span, target.code, code)


def _leading_indent(code: str) -> str:
    for line in code.splitlines():
        if line.strip():
            return line[: len(line) - len(line.lstrip())]
    return ""


def is_current(proposal_version: int | None, document_version: int | None) -> bool:
    """The version guard. An unversioned proposal is never applied: we could not prove it is fresh."""
    return proposal_version is not None and proposal_version == document_version


def workspace_edit(uri: str, version: int, span: Span, new_text: str) -> types.WorkspaceEdit:
    """A TextDocumentEdit carrying the version, so the client also refuses it if the document moved on."""
    lsp_range = types.Range(
        start=types.Position(line=span.start[0], character=span.start[1]),
        end=types.Position(line=span.end[0], character=span.end[1]),
    )
    return types.WorkspaceEdit(
        document_changes=[
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
                edits=[types.TextEdit(range=lsp_range, new_text=new_text)],
            )
        ]
    )
