"""Errors the model layer raises. The server maps them to JSON-RPC errors or user messages."""


class RefactorCoderError(Exception):
    """Base for every error we raise on purpose (as opposed to bugs)."""


class SettingsError(RefactorCoderError):
    """Settings were invalid; the message says which field and why."""


class ModelError(RefactorCoderError):
    """A stage failed after all retries and fallbacks."""


class ModelTimeout(ModelError):
    """A model call exceeded its stage timeout."""


class Cancelled(RefactorCoderError):
    """The user cancelled the job; raised between stages and between streamed tokens."""


class RetryableModelError(ModelError):
    """A failure worth retrying on the same model (HTTP 5xx, connection reset, rate limit).
    ModelTimeout is retried too; a plain ModelError (auth, bad request) goes straight to the fallbacks."""
