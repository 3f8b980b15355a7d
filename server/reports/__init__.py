"""Reports of finished jobs, shared by the language server, the CLI and the MCP server: one-line verdicts
(verdict.py) and Markdown (markdown.py), plain functions over the report JSON. No pygls here."""
