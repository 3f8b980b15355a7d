"""Hardened container creation, labelling, sweeping of leftovers, and removal."""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid

import psutil

from sandbox.engine import get_client, resolve_runtime
from sandbox.models import Limits

log = logging.getLogger(__name__)

LABEL = "refactorcoder.sandbox"
# A measurement runs each of its programs in a container of its own, its "seat" (sandbox/pool.py): seat 0 (the
# baseline A, and every single run) as nobody (65534), seat i as uid and gid 65534 - i, so that A and B share no
# uid.
# 65000-65533 is Debian's reserved range: no account is ever allocated there, so these are unprivileged on the
# host too (no files, no processes of their own).
MAX_SEATS = 16


def seat_uid(seat: int) -> int:
    if not 0 <= seat < MAX_SEATS:
        raise ValueError(f"seat {seat} out of range 0..{MAX_SEATS - 1}")
    return 65534 - seat


# What the resident supervisor (exec'd as root; sandbox/supervisor/) may do, and nothing else: own the program
# files (chown; chmod and remove whatever a program left: fowner, dac_override), start each program as the seat's
# uid (setuid, setgid), kill what a program leaves (kill), and empty the bounding set before it starts anything
# (setpcap). All are in Docker's default set; the programs hold none (another uid, empty bounding set).
SUPERVISOR_CAPS = ("CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL", "SETGID", "SETUID", "SETPCAP")
SEAT_UIDS = frozenset(seat_uid(seat) for seat in range(MAX_SEATS))
# A container stops by itself after this long even if every owner died without cleaning up
# (its main process is `sleep`); auto_remove then deletes it. The pool recycles older ones.
MAX_LIFETIME_S = 4 * 3600
RECYCLE_AFTER_S = 3 * 3600


def _owner_labels() -> dict[str, str]:
    me = psutil.Process()
    return {
        LABEL: "1",
        "refactorcoder.owner.pid": str(me.pid),
        "refactorcoder.owner.started": f"{me.create_time():.2f}",
        "refactorcoder.owner.host": socket.gethostname(),
    }


def create_container(image: str, limits: Limits, language: str, seat: int = 0):
    """Start a sleeping container with every isolation property; programs are exec'd into it, as the seat's
    user (each container has its own pid, IPC, network and mount namespaces, /work, /tmp and /dev/shm)."""
    client = get_client()
    runtime = resolve_runtime(limits.runtime)
    labels = dict(_owner_labels(), **{"refactorcoder.language": language, "refactorcoder.seat": str(seat),
                                       "refactorcoder.created": f"{time.time():.0f}"})
    mem = f"{limits.memory_mb}m"
    kwargs = dict(
        # Root is the container's user so that the supervisor, exec'd as root, holds SUPERVISOR_CAPS (an engine
        # gives an exec no capabilities when the container's user is another); PID 1 itself drops to the seat's
        # uid at once, with no groups and no capabilities.
        command=["setpriv", f"--reuid={seat_uid(seat)}", f"--regid={seat_uid(seat)}", "--clear-groups",
                 "--bounding-set=-all", "sleep", str(MAX_LIFETIME_S)],
        name=f"refactorcoder-sbx-{language}-{os.getpid()}-{seat}-{uuid.uuid4().hex[:8]}",
        detach=True,
        auto_remove=True,
        labels=labels,
        user="0:0",
        working_dir="/tmp",  # not /work: a workdir on a tmpfs mount point loses the tmpfs mode
        hostname="sandbox",
        network_mode="none",
        mem_limit=mem,
        memswap_limit=mem,  # swap equal to memory: no swap at all
        mem_swappiness=0,
        nano_cpus=int(limits.cpus * 1e9),
        pids_limit=limits.pids,
        read_only=True,
        tmpfs={
            "/work": f"size={limits.work_disk_mb}m,nr_inodes={limits.max_files},mode=1777,exec",
            "/tmp": f"size={limits.tmp_disk_mb}m,nr_inodes={limits.max_files},mode=1777,exec",
        },
        shm_size="8m",
        cap_drop=["ALL"],
        cap_add=list(SUPERVISOR_CAPS),  # effective only for root: the main process and programs are the seat's uid
        security_opt=["no-new-privileges"],
        ulimits=[{"name": "core", "soft": 0, "hard": 0}, {"name": "nofile", "soft": 1024, "hard": 1024}],
        ipc_mode="private",
        stop_signal="SIGKILL",
        environment={"HOME": "/work", "LANG": "C.UTF-8"},
    )
    if runtime:
        kwargs["runtime"] = runtime
        kwargs.pop("mem_swappiness")  # not supported by runsc
    return client.containers.run(image, **kwargs)


def remove_container(container) -> None:
    """Force-remove; a container that is already gone is fine."""
    import docker.errors

    try:
        container.remove(force=True)
    except docker.errors.NotFound:
        pass
    except docker.errors.APIError as exc:
        if "already in progress" not in str(exc) and "No such container" not in str(exc):
            log.warning("could not remove sandbox container %s: %s", container.short_id, exc)


def _owner_alive(labels: dict[str, str]) -> bool:
    if labels.get("refactorcoder.owner.host") != socket.gethostname():
        return True  # another machine's container (shared remote engine): not ours to judge
    try:
        pid = int(labels.get("refactorcoder.owner.pid", "0"))
        started = float(labels.get("refactorcoder.owner.started", "0"))
        return abs(psutil.Process(pid).create_time() - started) < 1.0
    except (ValueError, psutil.Error):
        return False


def sweep_orphans() -> int:
    """Remove sandbox containers whose owning process is dead (e.g. a killed harness)."""
    client = get_client()
    removed = 0
    for container in _list_settled(client, {"label": f"{LABEL}=1"}):
        labels = container.labels or {}
        created = float(labels.get("refactorcoder.created", "0") or 0)
        if not _owner_alive(labels) or time.time() - created > MAX_LIFETIME_S:
            remove_container(container)
            removed += 1
    if removed:
        log.info("swept %d sandbox container(s) left by dead processes", removed)
    return removed


def _list_settled(client, filters: dict, tries: int = 3) -> list:
    """containers.list, again when a container went away between the list and its inspect (another
    process's sandbox ending then): docker-py raises NotFound for it."""
    import docker.errors

    for attempt in range(tries):
        try:
            return client.containers.list(all=True, filters=filters)
        except docker.errors.NotFound:
            if attempt == tries - 1:
                raise
    return []


def own_containers() -> list:
    client = get_client()
    return client.containers.list(all=True, filters={"label": [f"{LABEL}=1",
                                                              f"refactorcoder.owner.pid={os.getpid()}"]})
