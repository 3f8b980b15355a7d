"""Reports of finished jobs, shared by the language server, the CLI and the MCP server: one-line verdicts
(verdict.py), Markdown (markdown.py) and past runs' report files beside the history database (archive.py).
Plain functions over the report JSON: no pygls here."""
