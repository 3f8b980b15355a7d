"""`python -m server` starts the language server on stdio; with arguments it is the `refactorcoder` CLI
(`python -m server lsp --tcp 127.0.0.1:2087`), so the VS Code client's serverArgs take effect.

Start it as `python -I -m server lsp` (what the extension does) or `refactorcoder lsp`: a plain
`python -m server` puts the working directory first on sys.path, and a `server/` package there runs
instead of this file. Once this file runs, the working directory is dropped from sys.path (unless it is
our own source tree) so that a `models.py` or `sandbox.py` beside it cannot shadow our packages.
"""

import os
import sys


def _drop_foreign_cwd() -> None:
    if sys.flags.isolated or getattr(sys.flags, "safe_path", False) or not sys.path:
        return  # -I / -P: nothing was prepended
    ours = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    first = os.path.realpath(sys.path[0] or os.getcwd())
    if first == os.path.realpath(os.getcwd()) and first != ours:
        del sys.path[0]


_drop_foreign_cwd()

if len(sys.argv) > 1:
    from server.cli import main
else:
    from server.lsp.main import serve as main

main()
