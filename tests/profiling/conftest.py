"""Docker fixtures shared with the sandbox tests: tests marked ``docker`` skip without an engine, and
fail instead when CI is set (see tests/sandbox/conftest.py)."""

from tests.sandbox.conftest import _require_docker, sandbox  # noqa: F401  (pytest fixtures)
