"""`refactorcoder eval SUITE --ray ADDRESS` against a real multi-process Ray cluster started with the CLI: a head
node and a second node (`ray start --head` / `ray start --address`, one CPU each, token authentication on, in
their own temporary folder), both on this machine, started outside the project with no PYTHONPATH.

What is held: the harness's code reaches the nodes with the run (not through the driver's paths); items spread
over both nodes and each row names its node; a real suite (HumanEval-X with the `tiny` model and the Docker
sandbox on the node) lands in the database; a node that lacks a model stops the run with a message naming it;
an address where nothing listens fails at once with the fix. The nodes are stopped by their own process ids
(`ray stop` would stop every Ray cluster on the machine)."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import require_module, require_real_part

PROJECT = Path(__file__).resolve().parents[2]
RAY = Path(sys.executable).with_name("ray")
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cluster_env(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAY_", "PYTHONPATH", "REFACTORCODER_EVAL"))}
    env.update(RAY_USAGE_STATS_ENABLED="0", RAY_AUTH_MODE="token", RAY_AUTH_TOKEN_PATH=str(folder / "token"))
    return env


def _start_node(args: list[str], env: dict, cwd: Path, log: Path) -> subprocess.Popen:
    """`ray start ... --block` in its own process group: terminating it stops that node's processes."""
    with open(log, "wb") as sink:
        proc = subprocess.Popen([str(RAY), "start", *args, "--num-cpus", "1", "--disable-usage-stats", "--block",
                                 "--dashboard-agent-listen-port", str(_free_port())],
                                env=env, cwd=cwd, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 180
    while "block forever" not in log.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            _stop(proc)
            pytest.fail(f"ray start {' '.join(args[:2])} did not come up:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.5)
    return proc


def _node_processes(proc: subprocess.Popen) -> list:
    """The node's processes: `ray start`'s raylet, GCS, agents and the raylet's workers (each in its own session)."""
    import psutil

    try:
        return psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM `ray start --block` (it stops its node, draining running tasks first), then SIGKILL what is left."""
    import psutil

    children = _node_processes(proc)
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    for child in children:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass


def _crash(proc: subprocess.Popen) -> None:
    """A node dying (not a drain): SIGKILL its raylet and every process under it, then its `ray start`."""
    for child in _node_processes(proc):
        try:
            child.kill()
        except Exception:  # psutil.NoSuchProcess: gone already
            pass
    proc.kill()
    proc.wait(10)


@pytest.fixture(scope="module")
def cluster():
    """(address, env for the driver, the node ids, [head, second node]'s `ray start` processes) of the cluster."""
    require_module("ray", "pip install 'ray==2.60.0'")
    require_real_part(None if RAY.exists() else f"the ray CLI is not at {RAY}")
    # A short folder: Ray's unix sockets live under it (108-byte path limit).
    folder = Path(tempfile.mkdtemp(prefix="rc-ray-", dir="/tmp"))
    (folder / "token").write_text(secrets.token_hex(32))
    env = _cluster_env(folder)
    port = _free_port()
    nodes = []
    try:
        nodes.append(_start_node(["--head", "--port", str(port), "--temp-dir", str(folder / "t"),
                                  "--include-dashboard=false"], env, folder, folder / "head.log"))
        nodes.append(_start_node(["--address", f"127.0.0.1:{port}"], env, folder, folder / "node2.log"))
        status = ""
        for _ in range(60):
            status = subprocess.run([str(RAY), "status", "--address", f"127.0.0.1:{port}"], env=env, cwd=folder,
                                    capture_output=True, text=True).stdout
            ids = re.findall(r"node_([0-9a-f]{56})", status)
            if len(ids) == 2:
                break
            time.sleep(1)
        assert len(ids) == 2, status
        driver_env = {**env, "REFACTORCODER_EVAL_PLUGINS": "tests.evaluation.ray_probe"}
        yield f"127.0.0.1:{port}", driver_env, set(ids), nodes
    finally:
        for proc in reversed(nodes):
            _stop(proc)
        shutil.rmtree(folder, ignore_errors=True)


def _eval(args: list[str], env: dict, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "server", "eval", *args, "--quiet"], cwd=PROJECT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def _rows(db: Path, run: str) -> list[dict]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT i.* FROM eval_items i JOIN eval_runs r ON r.id = i.run_id "
                                              "WHERE r.name = ? ORDER BY i.key", (run,))]


def _nodes_of(rows: list[dict]) -> set[str]:
    return {re.search(r"/node-([0-9a-f]+):\d+$", r["worker"]).group(1) for r in rows}


def test_items_spread_over_both_nodes_with_the_code_shipped(cluster, tmp_path):
    address, env, node_ids, _nodes = cluster
    started = time.monotonic()
    done = _eval(["ray-probe", "--limit", "4", "--run-name", "probe", "--db", str(tmp_path / "e.db"),
                  "--ray", address], env)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = _rows(tmp_path / "e.db", "probe")
    assert len(rows) == 4 and {r["status"] for r in rows} == {"ok"}
    nodes = _nodes_of(rows)
    assert len(nodes) == 2 and all(any(i.startswith(n) for i in node_ids) for n in nodes), (nodes, node_ids)
    import json

    for row in rows:
        metrics = json.loads(row["metrics"])
        # Imported from the runtime environment's copy on the node, not from this checkout.
        assert "_ray_pkg_" in metrics["evaluation_file"] and str(PROJECT) not in metrics["evaluation_file"], metrics
        assert str(PROJECT) not in metrics["pythonpath"] and "_ray_pkg_" in metrics["cwd"], metrics
    print(f"ray-probe on 2 nodes: {time.monotonic() - started:.1f}s")


def test_a_real_suite_with_the_tiny_model_and_the_sandbox_on_the_nodes(cluster, tmp_path, tiny_gguf,
                                                                      docker_sandbox):
    address, env, _node_ids, _nodes = cluster
    started = time.monotonic()
    done = _eval(["humaneval-x", "--models", "tiny", "--langs", "python", "--variants", "one-shot", "--limit", "3",
                  "--run-name", "hx", "--db", str(tmp_path / "e.db"), "--ray", address], env)
    elapsed = time.monotonic() - started
    assert done.returncode in (0, 1), done.stderr[-3000:]  # 1: some item in error, asserted below
    rows = _rows(tmp_path / "e.db", "hx")
    assert [r["item_id"] for r in rows] == ["Python/0", "Python/1", "Python/2"]
    assert {r["status"] for r in rows} == {"ok"}, [r["error"] for r in rows]
    import json

    for row in rows:
        latency = json.loads(row["latency"])
        assert latency["solve"] > 0 and latency["sandbox"] > 0, latency  # the model and the sandbox ran there
        assert isinstance(json.loads(row["test_result"])["passed"], bool)
    assert len(_nodes_of(rows)) == 2, [r["worker"] for r in rows]
    print(f"humaneval-x tiny x3 on 2 nodes: {elapsed:.1f}s")


def test_a_node_without_the_model_stops_the_run_naming_it(cluster, tmp_path):
    address, env, _node_ids, _nodes = cluster
    done = _eval(["humaneval-x", "--models", "gguf:/nowhere/model.gguf", "--langs", "python", "--variants",
                  "one-shot", "--limit", "2", "--run-name", "nomodel", "--db", str(tmp_path / "e.db"), "--ray",
                  address], env)
    assert done.returncode == 2, done.stderr[-3000:]
    assert "cannot run these items" in done.stderr and "/node-" in done.stderr
    assert "gguf:/nowhere/model.gguf" in done.stderr and "no such file on this node" in done.stderr
    assert _rows(tmp_path / "e.db", "nomodel") == []


def test_an_address_where_nothing_listens_fails_at_once():
    require_module("ray", "pip install 'ray==2.60.0'")
    port = _free_port()
    started = time.monotonic()
    done = _eval(["ray-probe", "--limit", "1", "--db", str(Path(tempfile.mkdtemp()) / "e.db"), "--ray",
                  f"127.0.0.1:{port}"], {**os.environ, "REFACTORCODER_EVAL_PLUGINS": "tests.evaluation.ray_probe"},
                 timeout=120)
    assert done.returncode == 2
    assert f"no Ray cluster answers at 127.0.0.1:{port}" in done.stderr and "ray start --head" in done.stderr
    assert time.monotonic() - started < 60  # ray.init alone retries for minutes


def test_a_node_that_dies_mid_run_loses_only_its_items_and_resume_retries_them(cluster, tmp_path):
    """Last in this file: it kills the second node."""
    address, env, node_ids, nodes = cluster
    started_dir = tmp_path / "started"
    started_dir.mkdir()
    db = tmp_path / "e.db"
    args = ["ray-probe", "--limit", "3", "--run-name", "dies", "--db", str(db), "--ray", address, "--quiet"]
    run = subprocess.Popen([sys.executable, "-m", "server", "eval", *args], cwd=PROJECT, text=True,
                           env={**env, "RAY_PROBE_SLEEP_S": "15", "RAY_PROBE_DIR": str(started_dir)},
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len({p.name.split("@")[1] for p in started_dir.iterdir()}) < 2:  # an item running on each node
        assert run.poll() is None and time.monotonic() < deadline, run.communicate()[1][-3000:]
        time.sleep(0.2)
    _crash(nodes[1])  # SIGTERM would drain it: let its running item finish first
    _out, err = run.communicate(timeout=300)
    assert run.returncode == 1, err[-3000:]  # finished, with errors
    rows = {r["key"]: r for r in _rows(db, "dies")}
    lost = {k for k, r in rows.items() if r["status"] == "error"}
    assert len(rows) == 3 and lost and all(rows[k]["worker"] == "ray: lost" for k in lost), rows
    assert all("the Ray task was lost" in rows[k]["error"] and "--run-name" in rows[k]["error"] for k in lost)
    ran_on = {p.name.split("@")[0]: p.name.split("@")[1] for p in started_dir.iterdir()}
    survivor = {ran_on[k] for k, r in rows.items() if r["status"] == "ok"}
    assert len(survivor) == 1 and all(ran_on.get(k) not in survivor for k in lost), (ran_on, rows)
    finished = {k: r["finished"] for k, r in rows.items() if r["status"] == "ok"}

    again = _eval(args[:-1], {**env, "RAY_PROBE_SLEEP_S": "0.2"})  # the same run: only the lost items
    assert again.returncode == 0, again.stderr[-3000:]
    rows = {r["key"]: r for r in _rows(db, "dies")}
    assert {r["status"] for r in rows.values()} == {"ok"}
    assert all(rows[k]["finished"] == v for k, v in finished.items())  # finished items were not redone
    assert _nodes_of([rows[k] for k in lost]) <= {n[:12] for n in survivor}
