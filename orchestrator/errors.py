"""Errors of the orchestrator; every one carries a message meant for the user."""

from __future__ import annotations

from models.errors import RefactorCoderError


class OrchestratorError(RefactorCoderError):
    """A job cannot start or go on; the message says why and, where it can, what to do."""


class NoTests(OrchestratorError):
    """Optimize without tests and without a workload, or fix without any test."""


class Unsupported(OrchestratorError):
    """Something the sandbox cannot provide (a language, a package, a kind of target)."""
