"""Opening a folder must never run its code: a workspace with its own `models.py`, `server/` and
`sandbox.py` (which raise on import and leave a marker file) cannot shadow our packages.

The server is started exactly the way the VS Code extension starts it: the argv and the working
directory come from client-vscode/server-launch.json, the file src/interpreter.ts reads (its unit test
checks the same argv). The hostile folder is also put on PYTHONPATH, which `-I` ignores. The same argv
and the console script (`refactorcoder lsp`, the other documented way) are also started from inside the
workspace; plain `python -m server` is checked for what it can still protect.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import attrs
import pytest
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from server.lsp.command_args import plain

from tests.conftest import require_real_part
from tests.server.lsp_helpers import EXAMPLE, REPO, code_actions_at, execute, fix_code_action_structuring, target, wait_until

EXTENSION = REPO / "client-vscode"
LAUNCH = json.loads((EXTENSION / "server-launch.json").read_text())
HOSTILE = {
    "models.py": "models",
    "sandbox.py": "sandbox",
    "server/__init__.py": "server",
    "server/__main__.py": "server.__main__",
    "orchestrator.py": "orchestrator",
}


@attrs.define
class LaunchConfig(ClientServerConfig):
    """pytest-lsp's config plus the server's working directory (the extension passes one)."""

    server_cwd: str | None = None

    async def start(self, devtools=None):
        client = self.client_factory()
        await client.start_io(*self.get_server_command(devtools), env=self.server_env, cwd=self.server_cwd)
        return client


def hostile_workspace(root: Path) -> Path:
    ws = root / "user-project"
    for rel, name in HOSTILE.items():
        path = ws / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        marker = root / f"IMPORTED-{name}"
        path.write_text(
            f"open({str(marker)!r}, 'w').write('the workspace file {rel} was imported')\n"
            f"raise RuntimeError('workspace {rel} was imported: the server is shadowed')\n"
        )
    shutil.copy(EXAMPLE, ws / "two_sum.py")
    return ws


def markers(root: Path) -> list[str]:
    return sorted(p.name for p in root.glob("IMPORTED-*"))


def extension_launch(python: str) -> tuple[list[str], str]:
    """argv and cwd as src/interpreter.ts serverCommand() builds them (no serverArgs)."""
    assert LAUNCH["cwd"] == "extension"
    return [python, *LAUNCH["args"]], str(EXTENSION)


@pytest.fixture(scope="module")
def installed_python() -> str:
    """The extension only starts an interpreter for which refactorcoder is installed (its probe)."""
    probe = subprocess.run([sys.executable, *LAUNCH["probe"]], cwd=EXTENSION, capture_output=True, text=True)
    require_real_part(None if probe.returncode == 0 else
                      f"refactorcoder is not installed for {sys.executable} (pip install -e .): {probe.stderr[-300:]}")
    return sys.executable


def hostile_env(ws: Path, home: Path) -> dict[str, str]:
    # PYTHONPATH pointing into the workspace: an isolated interpreter must ignore it.
    return {**os.environ, "PYTHONPATH": str(ws), "REFACTORCODER_HOME": str(home)}


def launches(python: str, ws: Path) -> dict[str, tuple[list[str], str]]:
    script = Path(python).parent / "refactorcoder"
    return {
        "extension": extension_launch(python),
        "extension-argv-in-workspace": ([python, *LAUNCH["args"]], str(ws)),
        "console-script-in-workspace": ([str(script), "lsp"], str(ws)),
    }


@pytest.mark.parametrize("how", ["extension", "extension-argv-in-workspace", "console-script-in-workspace"])
async def test_hostile_workspace_is_not_imported(how: str, installed_python: str, tmp_path: Path):
    ws = hostile_workspace(tmp_path)
    argv, cwd = launches(installed_python, ws)[how]
    if how.startswith("console-script"):
        require_real_part(None if Path(argv[0]).exists() else f"no console script {argv[0]} (pip install -e .)")
    env = hostile_env(ws, tmp_path / "home")
    if how.startswith("console-script"):
        env.pop("PYTHONPATH")  # a console script honours PYTHONPATH (the user's own choice); -I is what ignores it
    config = LaunchConfig(server_command=argv, server_env=env, server_cwd=cwd)
    client: LanguageClient = await config.start()
    try:
        # initializationOptions settings make the server import models.settings; the guide below builds
        # the pipeline (orchestrator, models.*) and fails fast on an unreachable endpoint.
        stage = {"model": "openai/shadow-test", "api_base": "http://127.0.0.1:9/v1", "fallbacks": [],
                 "retries": 0, "timeout_s": 20, "max_tokens": 8}
        settings = {"history_path": str(tmp_path / "history.db"), "guide": stage}
        await _initialize(client, settings, ws)
        uri = (ws / "two_sum.py").as_uri()
        client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
            uri=uri, language_id="python", version=1, text=(ws / "two_sum.py").read_text())))
        actions = await code_actions_at(client, uri, 8, 4)
        assert [a.title for a in actions][:3] == [
            "RefactorCoder: Guide", "RefactorCoder: Solve with guidance", "RefactorCoder: Judge"]
        result = await execute(client, "refactorcoder.guide", target(uri, 8, version=1))
        await wait_until(lambda: client.received["jobFinished"], timeout=60)
        assert "shadowed" not in json.dumps(result) + json.dumps(client.received["jobFinished"])
        assert markers(tmp_path) == []
        await client.shutdown_session()
    finally:
        await client.stop()
    assert markers(tmp_path) == [], f"{how}: the workspace's own files were imported"


async def _initialize(client: LanguageClient, settings: dict, ws: Path) -> None:
    """Like lsp_helpers.start_session, but with the user's folder as rootUri: the server takes the
    workspace from here, never from its working directory."""
    fix_code_action_structuring(client)
    client.received = {"jobFinished": []}
    client.feature("refactorcoder/jobFinished")(lambda params: client.received["jobFinished"].append(plain(params)))
    for method in ("refactorcoder/jobStarted", "refactorcoder/solutionReady"):
        client.feature(method)(lambda params: None)
    client.feature(types.WORKSPACE_CODE_LENS_REFRESH)(lambda params: None)
    await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        initialization_options={"settings": settings},
        root_uri=ws.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=ws.as_uri(), name=ws.name)],
    ))


def test_isolated_imports_resolve_to_ours(installed_python: str, tmp_path: Path):
    """The same flags in a plain process: every top-level package of the design comes from this repository."""
    ws = hostile_workspace(tmp_path)
    code = "import models, sandbox, server, orchestrator, profiling; print([m.__file__ for m in (models, sandbox, server, orchestrator, profiling)])"
    flags = [a for a in LAUNCH["args"] if a.startswith("-") and a != "-m"]
    proc = subprocess.run([installed_python, *flags, "-c", code], cwd=ws, env=hostile_env(ws, tmp_path / "home"),
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert str(ws) not in proc.stdout and str(REPO) in proc.stdout
    assert markers(tmp_path) == []


def test_plain_module_run_drops_a_foreign_working_directory(installed_python: str, tmp_path: Path):
    """`python -m server` (not isolated) from a folder with models.py/sandbox.py but no server/: our
    __main__ drops that folder from sys.path before importing anything else."""
    ws = hostile_workspace(tmp_path)
    shutil.rmtree(ws / "server")  # a workspace server/ would run instead of ours: only -I or the console script help
    env = {**os.environ, "REFACTORCODER_HOME": str(tmp_path / "home")}
    for args in (["--help"], ["history", "--json"]):  # --help mounts the sandbox commands; history imports models
        proc = subprocess.run([installed_python, "-m", "server", *args], cwd=ws, env=env,
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert "unavailable" not in proc.stderr, proc.stderr[-2000:]
    assert markers(tmp_path) == []
