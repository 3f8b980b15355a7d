"""The baseline for benchmarks.codeaction_after_edit: the least a pygls server can do for a code
action. pygls applies the incremental edits to its document copy; the handler reads the line under the
cursor and offers one action when it is not blank. Anything the real server costs beyond this is ours.

    .venv/bin/python -m benchmarks.trivial_lsp_server     # speaks LSP on stdin/stdout; writes no results
"""

from __future__ import annotations

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from benchmarks.common import benchmark_app

server = LanguageServer("trivial", "1", text_document_sync_kind=types.TextDocumentSyncKind.Incremental)


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION)
def code_action(ls: LanguageServer, params: types.CodeActionParams):
    doc = ls.workspace.get_text_document(params.text_document.uri)
    line = params.range.start.line
    text = doc.lines[line] if line < len(doc.lines) else ""
    if not text.strip():
        return None
    return [types.CodeAction(title="Trivial", kind="refactor.trivial",
                             command=types.Command(title="Trivial", command="trivial.run", arguments=[line]))]


app = benchmark_app(__doc__)


@app.command("trivial-lsp-server")
def cli() -> None:
    """Serve LSP over stdio: the trivial pygls baseline of benchmarks.codeaction_after_edit."""
    server.start_io()


if __name__ == "__main__":
    app()
