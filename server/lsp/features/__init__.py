"""The language server's features, one module per feature, each with `setup(server)`; `language_server.create_server`
assembles them."""
