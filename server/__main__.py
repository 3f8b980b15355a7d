"""`python -m server` starts the language server on stdio; with arguments it is the `refactorcoder` CLI
(`python -m server lsp --tcp 127.0.0.1:2087`), so the VS Code client's serverArgs take effect."""

import sys

if len(sys.argv) > 1:
    from server.cli import main
else:
    from server.lsp_main import serve as main

main()
