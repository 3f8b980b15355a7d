"""`refactorcoder.findHotFunctions` through the real server process (pytest-lsp client): a tiny project's script
traced in the real Python sandbox, its slowest function answered first, the trace saved where Optimize reads
it, and a hot lens (whose command is Optimize on that function) on it in the editor. Bad arguments are
InvalidParams. Under CI=true a missing engine/image fails."""

from __future__ import annotations

import asyncio

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient

from orchestrator.target import locate
from orchestrator.trace.model import load, trace_path
from orchestrator.verify.workloads.traced import traced_plan
from tests.conftest import require_real_part
from tests.orchestrator.conftest import _python_sandbox_problem
from tests.server.lsp_helpers import SERVER_COMMAND, execute, server_env, start_session, wait_until

pytestmark = [pytest.mark.timeout(300)]

SLOW = '''"""A slow function and a quick one."""


def quick(values):
    return max(values)


def slow_pairs(n):
    total = 0
    for i in range(n):
        for j in range(n):
            total += (i * j) % 7
    return total
'''
SCRIPT = '''from slow import quick, slow_pairs

print(sum(slow_pairs(400) for _ in range(4)), quick([3, 1, 2]))
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    require_real_part(_python_sandbox_problem())
    root = tmp_path_factory.mktemp("hot") / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'proj'\n")
    (root / "slow.py").write_text(SLOW)
    (root / "run.py").write_text(SCRIPT)
    return root


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND, server_env=server_env()))
async def client(lsp_client: LanguageClient):
    await start_session(lsp_client, {})
    yield
    await lsp_client.shutdown_session()


@pytest.mark.docker
async def test_the_slow_function_comes_first_and_gets_a_hot_lens(client: LanguageClient, project):
    result = await execute(client, "refactorcoder.findHotFunctions",
                           {"uri": project.as_uri(), "command": ["python", "run.py"], "top": 5})
    assert result["status"] == "done", result
    report = result["report"]
    first = report["functions"][0]
    assert (first["function"], first["uri"]) == ("slow_pairs", (project / "slow.py").as_uri()), report
    assert first["line"] == 7 and first["calls"] == 4 and first["ownS"] > 0 and first["ownShare"] > 0.5
    assert first["cumulativeS"] >= first["ownS"]
    saved = load(trace_path(project))  # where Optimize finds the traced inputs
    assert saved is not None and saved.command == ["python", "run.py"]
    assert report["tracePath"] == str(trace_path(project))
    plan = traced_plan(locate(f"{project / 'slow.py'}::slow_pairs"))
    assert plan is not None and plan.exprs, "Optimize finds no traced inputs of slow_pairs"
    assert any(values for values in client.progress_reports.values()), "no work-done progress for the job"

    uri = (project / "slow.py").as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id="python", version=1, text=SLOW)))
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    hot = [lens for lens in lenses if lens.command and lens.command.title.startswith("hot: ")]
    assert len(hot) == 1, [lens.command.title for lens in lenses if lens.command]
    lens = hot[0]
    assert lens.range.start.line == 7
    assert lens.command.title.endswith(" own time · 4 calls · Optimize"), lens.command.title
    assert lens.command.command == "refactorcoder.optimize"
    args = lens.command.arguments[0]
    assert args["uri"] == uri and args["range"]["start"]["line"] == 7


def _busy_containers() -> list:
    """Sandbox containers of other processes (the server's) running a program: more processes than an idle
    pooled container's two (PID 1 and the resident supervisor). The traced command runs inside the driver, so
    its own name is not on any command line."""
    import os

    from sandbox.containers import LABEL
    from sandbox.engine import get_client

    busy = []
    for container in get_client().containers.list(filters={"label": f"{LABEL}=1"}):
        if container.labels.get("refactorcoder.owner.pid") == str(os.getpid()):
            continue
        try:
            processes = container.top().get("Processes") or []
        except Exception:  # gone meanwhile
            continue
        if len(processes) > 2:
            busy.append(container.id)
    return busy


@pytest.mark.docker
async def test_a_cancelled_trace_stops_the_command_in_the_sandbox_and_saves_nothing(client: LanguageClient,
                                                                                  tmp_path):
    require_real_part(_python_sandbox_problem())
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    script = "wait.py"
    (tmp_path / script).write_text("import time\n\ntime.sleep(120)\n")
    running = asyncio.ensure_future(execute(client, "refactorcoder.findHotFunctions",
                                            {"uri": tmp_path.as_uri(), "command": ["python", script]}))
    await wait_until(lambda: client.received["jobStarted"], timeout=30)
    started = client.received["jobStarted"][-1]
    assert started["kind"] == "findHotFunctions" and started["uri"] == tmp_path.as_uri()
    await wait_until(_busy_containers, timeout=60, interval=0.5)  # the command runs in a container
    cancelled = await execute(client, "refactorcoder.cancel", {"jobId": started["jobId"]})
    assert cancelled["cancelled"] is True
    result = await asyncio.wait_for(running, 30)
    assert result["status"] == "cancelled", result
    # Stopped, not left to run out its two minutes: its container is removed within seconds.
    await wait_until(lambda: not _busy_containers(), timeout=15, interval=0.5)
    assert not trace_path(tmp_path).exists()


BAD_ARGUMENTS = [
    [],
    [{"command": ["python", "run.py"]}],
    [{"uri": "file:///no/such/folder", "command": ["python", "run.py"]}],
    [{"uri": "FOLDER", "command": "python run.py"}],
    [{"uri": "FOLDER", "command": []}],
    [{"uri": "FOLDER", "command": ["ls", "-la"]}],
    [{"uri": "FOLDER", "command": ["python", "missing.py"]}],
    [{"uri": "FOLDER", "command": ["python", "run.py"], "top": 0}],
]


async def test_bad_arguments_are_invalid_params(client: LanguageClient, tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (tmp_path / "run.py").write_text("print(1)\n")
    for arguments in BAD_ARGUMENTS:
        arguments = [{k: tmp_path.as_uri() if v == "FOLDER" else v for k, v in a.items()} for a in arguments]
        with pytest.raises(JsonRpcException) as raised:
            await execute(client, "refactorcoder.findHotFunctions", *arguments)
        assert raised.value.code == -32602, (arguments, raised.value)
    assert not trace_path(tmp_path).exists()
