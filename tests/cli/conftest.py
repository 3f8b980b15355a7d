"""The CLI's tests drive `python -m server` as a user would, with the orchestrator's fixtures: the scripted
OpenAI-compatible endpoint (real HTTP through litellm) and the Python sandbox (Docker)."""

from tests.orchestrator.conftest import endpoint, py_sandbox  # noqa: F401  (fixtures)
