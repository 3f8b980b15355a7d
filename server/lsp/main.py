"""Starting the language server (stdio or TCP)."""

from __future__ import annotations

import sys


def serve(tcp: str | None = None) -> None:
    lsp_out = None if tcp else _guard()
    from server.lsp import logging_setup
    from server.lsp.language_server import create_server

    server = create_server()
    logging_setup.configure(server)
    if tcp:
        host, _, port = tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io(stdin=sys.stdin.buffer, stdout=lsp_out)


def _guard():
    from server.lsp.stdio_guard import take_stdout_for_lsp

    return take_stdout_for_lsp()


if __name__ == "__main__":
    serve()
