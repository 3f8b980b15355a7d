"""Fixtures of the red-team corpus: the orchestrator's scripted endpoint (real HTTP through litellm) and the
warm Python sandbox (Docker; under CI=true a missing engine or image fails instead of skipping)."""

from tests.orchestrator.conftest import cpp_sandbox, endpoint, py_sandbox  # noqa: F401 - fixtures, shared as they are
