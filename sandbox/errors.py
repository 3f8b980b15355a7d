"""Errors raised by the sandbox (as opposed to failures of the sandboxed program, which are Results)."""

START_ENGINE_HINT = (
    "Start it with `sudo scripts/ensure-docker.sh` (installs Debian's docker.io if needed and starts "
    "dockerd), or point DOCKER_HOST at a reachable engine. RefactorCoder never runs model-written code "
    "on the host as a fallback."
)


class SandboxError(RuntimeError):
    """The sandbox itself failed (not the program it ran)."""


class SandboxUnavailable(SandboxError):
    """No Docker engine is reachable, or the sandbox images are missing."""

    def __init__(self, reason: str, hint: str = START_ENGINE_HINT):
        super().__init__(f"{reason}. {hint}")
        self.reason = reason
        self.hint = hint


class ImageMissing(SandboxUnavailable):
    def __init__(self, language: str, tag: str):
        super().__init__(
            f"sandbox image for {language} ({tag}) is not built",
            "Build it with `refactorcoder sandbox build --lang " + language + "` "
            "(or `python -m sandbox.cli sandbox build`).",
        )
        self.language = language
        self.tag = tag
