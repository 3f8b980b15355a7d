"""In stdio mode stdout belongs to the LSP stream. Anything else printing there (a stray print,
a library banner, llama.cpp's C-level logging) would corrupt it, so we keep a private duplicate
of fd 1 for the protocol and point fd 1 and sys.stdout at stderr."""

from __future__ import annotations

import os
import sys
from typing import BinaryIO


def take_stdout_for_lsp() -> BinaryIO:
    sys.stdout.flush()
    private = os.dup(1)
    os.dup2(2, 1)  # C code writing to fd 1 now lands on stderr
    sys.stdout = sys.stderr  # Python code too
    return os.fdopen(private, "wb")
