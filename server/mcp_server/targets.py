"""Tool arguments -> what the libraries take: a confined file or a text written to a scratch project, the
function found in it (orchestrator.target.locate), its language checked against the sandbox's images.

Every failure is a ToolError whose message names the argument to change. The CLI's own wording (`--tests`,
`--language`, …) in library messages is translated to the tools' argument names.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from mcp.server.mcpserver.exceptions import ToolError

from server.mcp_server.paths import Roots

CLI_WORDS = ((r"pass --tests PATH", "pass `tests` (a path) or `test_code`"), (r"--tests", "`tests`"),
             (r"pass --language", "set `language`"), (r"--language", "`language`"), (r"--workload", "`workload`"),
             (r"--metric", "`metric`"), (r"--lang\b", "`language`"))


def agent_wording(message: str) -> str:
    for cli, tool in CLI_WORDS:
        message = re.sub(cli, tool, message)
    return message


@dataclass
class Scratch:
    """A temporary project for code given as text (removed when the tool call ends)."""

    folder: tempfile.TemporaryDirectory = field(default_factory=lambda: tempfile.TemporaryDirectory(prefix="rc-mcp-"))

    @property
    def path(self) -> Path:
        return Path(self.folder.name)

    def close(self) -> None:
        self.folder.cleanup()


def sandbox_language(language: str | None, path: Path | None = None) -> str:
    """The sandbox's key for `language` (or the file's suffix), its image checked."""
    lang = language_key(language, path)
    require_image(lang)
    return lang


def language_key(language: str | None, path: Path | None = None) -> str:
    """The sandbox's key for `language` (or the file's suffix); a ToolError when the sandbox has no such image."""
    from orchestrator.target import TargetError, language_of

    if not (language or path):
        raise ToolError("`language` is required with `code` (python, cpp, java, go, rust or js)")
    try:
        return language_of(path or Path("snippet"), language)
    except TargetError as exc:
        raise ToolError(agent_wording(str(exc))) from None


def require_image(lang: str) -> None:
    """A ToolError when Docker or the language's image is not there (the message says how to get it)."""
    from sandbox.errors import SandboxError
    from sandbox.images import missing_images

    try:
        missing = missing_images([lang])
    except SandboxError as exc:
        raise ToolError(f"the sandbox is not available: {exc}") from None
    if missing:
        raise ToolError(f"the sandbox image for {lang} is not built on this machine: run "
                        "`refactorcoder sandbox build` (or choose another language)")


def suffix_for(language: str) -> str:
    from orchestrator.target import EXTENSIONS

    return next(s for s, lang in EXTENSIONS.items() if lang == language and s != ".h")


@dataclass
class Located:
    target: object  # orchestrator.target.Target
    tests_path: Path | None = None
    test_program: str | None = None
    scratch: Scratch | None = None

    def close(self) -> None:
        if self.scratch is not None:
            self.scratch.close()


def locate(roots: Roots, *, file: str | None, code: str | None, function: str | None, language: str | None,
           tests: str | None = None, test_code: str | None = None) -> Located:
    """The function to work on, with its tests: the user's (a confined path or a text) or the project's."""
    from orchestrator.target import TargetError
    from orchestrator.target import locate as locate_spec

    if (file is None) == (code is None):
        raise ToolError("give exactly one of `file` (a path inside the workspace) or `code` (the source text)")
    if not function:
        raise ToolError("`function` is required: the name of the function to work on (Class.method for a method)")
    if tests is not None and test_code is not None:
        raise ToolError("give at most one of `tests` (a path) or `test_code` (the tests' text)")
    scratch = None
    if file is not None:
        path = roots.confine(file, "file")
        lang = language_key(language, path)
    else:
        lang = language_key(language)
        scratch = Scratch()
        name = "Main" if lang == "java" else "snippet"
        path = scratch.path / f"{name}{suffix_for(lang)}"
        (scratch.path / "pyproject.toml").write_text("[project]\nname = 'snippet'\n")
        path.write_text(code if code.endswith("\n") else code + "\n", encoding="utf-8")
    try:
        target = locate_spec(f"{path}::{function}", lang)
    except TargetError as exc:
        if scratch is not None:
            scratch.close()
        raise ToolError(agent_wording(str(exc)).replace(str(path.parent) + "/", "")) from None
    located = Located(target, scratch=scratch)
    try:
        _add_tests(located, roots, lang, tests, test_code)
        require_image(lang)
    except BaseException:
        located.close()
        raise
    return located


def _add_tests(located: Located, roots: Roots, lang: str, tests: str | None, test_code: str | None) -> None:
    target, scratch = located.target, located.scratch
    if tests is not None:
        tests_path = roots.confine(tests, "tests")
        if lang == "python":
            located.tests_path = tests_path
        elif tests_path.is_file():
            located.test_program = tests_path.read_text(encoding="utf-8", errors="replace")
        else:
            raise ToolError(f"tests {tests!r}: for {lang} give the test program's file, not a folder")
    elif test_code is not None:
        if lang == "python":
            if scratch is None:  # never write into the user's workspace: the tests go to a scratch folder
                located.scratch = scratch = Scratch()
            test_file = scratch.path / "tests" / f"test_{target.path.stem}.py"
            test_file.parent.mkdir(exist_ok=True)
            # the function's module is in scope, whatever the text imports itself (`snippet` for code as text)
            header = f"from {target.module} import *  # noqa\n\n" if target.module else ""
            test_file.write_text(header + test_code, encoding="utf-8")
            located.tests_path = test_file
        else:
            located.test_program = test_code
