"""A tiny stand-in for the RefactorCoder server, used only by the VS Code e2e test in fake mode
(PYTHONPATH=tests/client/fake_server). It speaks the same custom protocol (server/PROTOCOL.md) with
canned answers, so the client's diff preview, apply and report flows can be checked without models."""
