"""`python -m server` starts the language server on stdio (same as `refactorcoder lsp`)."""

from server.lsp_main import serve

serve()
