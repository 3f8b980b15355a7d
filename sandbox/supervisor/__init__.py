"""The in-container supervisor, shipped as one program text.

Its parts (standard library only, Python 3.11) are separate modules here so that each stays readable and
testable on the host; the container gets them concatenated in PARTS order and runs the text as
``python3 -I -S -c SOURCE`` (no file of it in the image: images never need rebuilding when it changes).
A part uses another's names directly; its ``from sandbox.supervisor... import`` lines run only on the host
(``__name__ != "__main__"``).

* procs.py — starting one program, sampling and measuring it, killing whatever it leaves;
* isolation.py — the run directory sealed, checked and restored around every run step; scratch wipes;
* serve.py — the protocol (requests in, reports out, one session after another) and a session's steps.
"""

from __future__ import annotations

from pathlib import Path

PARTS = ("procs.py", "isolation.py", "serve.py")
SOURCE = "\n\n".join((Path(__file__).with_name(name)).read_text() for name in PARTS)
MARKER = b"\n@@REFACTORCODER-RESULT@@\n"
