"""Turning a solution into an edit of exactly the target function, and applying it only while that
function's text is what the proposal was computed from: the user's edits are never overwritten.

The guard is the function's text, not the document version: a preview tab that VS Code closed and
reopened (version gone), typing elsewhere in the file, or a file that is closed (then the file on disk
is checked and written) all still apply; only a real change of the function's text refuses, with a
message that says so, and the proposal is kept for a re-run or a later Apply."""

from __future__ import annotations

import ast
import os
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from lsprotocol import types

from server.problem_extract import Span

STALE_MESSAGE = "document changed since the solution was computed"


@dataclass(frozen=True)
class Proposal:
    uri: str
    version: int | None
    span: Span
    original: str  # the exact text `new_text` replaces (the function as it was); "" for an insertion
    new_text: str
    name: str | None = None  # the function's name, for messages
    verdict: str = ""  # what was verified, one line ("tests 14/14 · 1.8× faster …")
    kind: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    def notification(self, job_id: str) -> dict:
        """Payload of `refactorcoder/solutionReady`."""
        return {
            "jobId": job_id,
            "uri": self.uri,
            "version": self.version,
            "range": self.span.to_lsp(),
            "original": self.original,
            "proposed": self.new_text,
            "name": self.name,
            "verdict": self.verdict,
            "kind": self.kind,
            **self.extra,
        }


def clean_solution(code: str, language: str, name: str | None, module_text: str | None = None) -> str:
    """Only the target function (plus the imports/helpers it needs) from a model's code: top-level
    example code such as `print(two_sum(...))`, `target = 9` or "Example usage" blocks never reaches the file."""
    if language != "python":
        return code
    if name:
        from orchestrator.prompts import candidate_from_answer

        cleaned, _ = candidate_from_answer(code, "python", name, module_text)
        code = cleaned or code
    text = textwrap.dedent(code)
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return _function_block(text, name) or code
    keep = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    kept = [node for node in tree.body if isinstance(node, keep)]
    if not any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) for n in kept):
        return code
    lines = text.splitlines()
    return "\n\n".join("\n".join(lines[_first_line(n) - 1:n.end_lineno]) for n in kept)


def _function_block(text: str, name: str | None) -> str | None:
    """Code that does not parse: the `def name` line (decorators above it) and its indented block, nothing
    after it at the top level (prose such as "Example usage:" or `target = 9`)."""
    lines = text.splitlines()
    head = re.compile(rf"^(async\s+)?def\s+{re.escape(name)}\b" if name else r"^(async\s+)?def\s")
    start = next((i for i, line in enumerate(lines) if head.match(line)), None)
    if start is None:
        return None
    while start > 0 and lines[start - 1].startswith("@"):
        start -= 1
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end][:1] in " \t" or lines[end].startswith("@")):
        if lines[end].startswith("@"):
            break
        end += 1
    return "\n".join(lines[start:end]).rstrip()


def _is_docstring(node, tree) -> bool:
    return node is tree.body[0] and isinstance(node, ast.Expr) and isinstance(getattr(node, "value", None), ast.Constant)


def _first_line(node) -> int:
    return min([node.lineno, *[d.lineno for d in getattr(node, "decorator_list", [])]])


def make_proposal(job, solution_code: str | None) -> Proposal | None:
    """Replace the function with the solution, or insert it after a comment-only problem."""
    if not solution_code or not solution_code.strip():
        return None
    target = job.target
    code = clean_solution(solution_code, target.language, getattr(target, "name", None)).strip("\n")
    if target.code is None:
        return Proposal(job.uri, job.version, target.span, "", "\n" + code + "\n", kind=getattr(job, "kind", ""))
    return Proposal(job.uri, job.version, target.span, target.code, reindent(code, target.code),
                    name=target.name, kind=getattr(job, "kind", ""))


def reindent(code: str, original: str) -> str:
    """Give `code` the original's indentation (a method stays inside its class)."""
    indent = _leading_indent(original)
    if indent and not _leading_indent(code):
        code = textwrap.indent(textwrap.dedent(code), indent)
    return code


def _leading_indent(code: str) -> str:
    for line in code.splitlines():
        if line.strip():
            return line[: len(line) - len(line.lstrip())]
    return ""


def is_current(proposal_version: int | None, document_version: int | None) -> bool:
    """The version guard of explicit edits. An unversioned edit is never applied: it cannot be proved fresh."""
    return proposal_version is not None and proposal_version == document_version


# -- the function-text guard ------------------------------------------------------------------------------------


def offsets(text: str) -> list[int]:
    starts, at = [0], 0
    for line in text.splitlines(keepends=True):
        at += len(line)
        starts.append(at)
    return starts


def offset_of(text: str, pos: tuple[int, int], starts: list[int] | None = None) -> int:
    starts = starts or offsets(text)
    line = min(pos[0], len(starts) - 1)
    return min(starts[line] + pos[1], len(text))


def pos_of(text: str, offset: int, starts: list[int] | None = None) -> tuple[int, int]:
    import bisect

    starts = starts or offsets(text)
    line = bisect.bisect_right(starts, offset) - 1
    if line >= len(starts) - 1 and line > 0 and offset == starts[-1] and not text.endswith(("\n", "\r")):
        line -= 1
    return line, offset - starts[line]


def locate_original(text: str, proposal: Proposal) -> Span | None:
    """Where the proposal's original text is in `text` now (code points), or None when it changed.
    Several copies: the one nearest to where it was."""
    if proposal.original == "":
        # An insertion after a problem comment: valid while the document still has that many lines.
        return proposal.span if proposal.span.start[0] <= len(text.splitlines()) else None
    starts = offsets(text)
    was = offset_of(text, proposal.span.start, starts)
    found, at = [], text.find(proposal.original)
    while at >= 0:
        found.append(at)
        at = text.find(proposal.original, at + 1)
    if not found:
        return None
    at = min(found, key=lambda o: abs(o - was))
    return Span(pos_of(text, at, starts), pos_of(text, at + len(proposal.original), starts))


def changed_message(proposal: Proposal) -> str:
    what = f"`{proposal.name}`" if proposal.name else "the target code"
    return (f"{STALE_MESSAGE}: {what} was edited since this proposal was computed, so it was not applied. "
            "The proposal is kept: run the job again on the new code, or undo the edit and Apply again.")


def uri_to_path(uri: str) -> Path | None:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(unquote(parsed.path))


def write_on_disk(path: Path, text: str, span: Span, new_text: str, language: str | None) -> None:
    """A closed document: replace the span in the file (atomically), never writing Python that does not parse."""
    starts = offsets(text)
    new = text[: offset_of(text, span.start, starts)] + new_text + text[offset_of(text, span.end, starts):]
    if language == "python":
        ast.parse(new)  # SyntaxError -> the caller refuses
    tmp = path.with_name(f".{path.name}.refactorcoder.tmp")
    tmp.write_text(new, encoding="utf-8")
    os.replace(tmp, path)


def workspace_edit(uri: str, version: int | None, span: Span, new_text: str) -> types.WorkspaceEdit:
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
