"""The language server (pygls): the server object and its protocol (language_server.py), start-up on stdio or TCP
(main.py, stdio_guard.py, logging_setup.py), the background jobs behind the commands (jobs.py, verify_jobs.py,
pipeline_holder.py), the documents it keeps (document_cache.py, positions.py, results_store.py), command
arguments and edits (command_args.py, solution_edit.py), and in `features/` one module per LSP feature with
`setup(server)`.

Nothing is imported here: the CLI takes `main.serve` and `pipeline_holder` from this package without loading
pygls until it serves."""
