"""The sandbox on a remote Docker engine over ssh: DOCKER_HOST=ssh://USER@127.0.0.1:PORT, a real OpenSSH
server on loopback standing in for the second machine (the tcp+TLS half is tests/sandbox/test_remote_engine.py;
this is a separate file to keep both under ~400 lines).

The sshd runs from a temporary folder: its own host key and config (loopback only, keys only, no PAM), an
authorized_keys whose entries force a command per client key: the good key runs the requested command after
writing it to a log (so the test sees `docker system dial-stdio` arrive), a second key runs it with no docker
on the PATH (a remote machine without the docker CLI). The client side is a child process with its own HOME
(~/.ssh/config naming the key, ~/.ssh/known_hosts with the server's key, no ssh agent) and, where mount
namespaces allow, the local engine socket hidden, so its only way to the engine is ssh. The remote side's
`docker` CLI talks to the local engine's socket.
"""

from __future__ import annotations

import getpass
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import require_module, require_real_part
from tests.sandbox.test_remote_engine import BASIC_RUNS, SOCKET, _free_port, _run_child, _socket_hiding_works

pytestmark = pytest.mark.docker
PRIVSEP_DIR = Path("/run/sshd")  # compiled into Debian's sshd; created by its service unit, absent here


def _keygen(path: Path, passphrase: str = "") -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", path.name, "-f", str(path)],
                   check=True, capture_output=True)
    return path.with_suffix(".pub").read_text().strip()


def _home(root: Path, name: str, key: Path | None, known_hosts: str | None) -> Path:
    """A HOME for the child: ~/.ssh/config naming `key`, ~/.ssh/known_hosts holding `known_hosts`."""
    ssh = root / name / ".ssh"
    ssh.mkdir(parents=True)
    if key is not None:
        (ssh / "config").write_text(f"Host 127.0.0.1\n    IdentityFile {key}\n")
    if known_hosts is not None:
        (ssh / "known_hosts").write_text(known_hosts + "\n")
    return ssh.parent


@pytest.fixture(scope="module")
def ssh_engine(tmp_path_factory):
    """dict: port, user, homes (good, no-docker, wrong-key, unknown-host), sshd log, command log."""
    sshd = shutil.which("sshd") or shutil.which("sshd", path="/usr/sbin:/usr/local/sbin")
    missing = [name for name, found in (("sshd", sshd), ("ssh-keygen", shutil.which("ssh-keygen")),
                                        ("docker", shutil.which("docker"))) if not found]
    require_real_part(f"{', '.join(missing)} not installed (bash scripts/install-system-packages.sh --test)"
                      if missing else None)
    require_module("paramiko", "pip install --no-deps -r requirements.lock (docker[ssh])")
    require_real_part(None if os.path.exists(SOCKET) and os.access(SOCKET, os.R_OK | os.W_OK) else
                      f"no local Docker engine socket at {SOCKET} for the ssh server's docker CLI")
    if not PRIVSEP_DIR.is_dir():
        try:
            PRIVSEP_DIR.mkdir(mode=0o755, parents=True)  # what the ssh service unit would create
        except OSError as exc:
            require_real_part(f"sshd needs its privilege separation folder {PRIVSEP_DIR}: {exc}")
    root = tmp_path_factory.mktemp("ssh")
    host_pub = _keygen(root / "host_key")
    good_pub, nodocker_pub, wrong_pub = (_keygen(root / "client_key"), _keygen(root / "nodocker_key"),
                                         _keygen(root / "wrong_key"))
    _keygen(root / "locked_key", passphrase="not-asked-for")
    commands = root / "commands.log"
    (root / "remote.sh").write_text(f'#!/bin/sh\nprintf "%s\\n" "$SSH_ORIGINAL_COMMAND" >> {commands}\n'
                                    'exec /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n')
    (root / "nodocker.sh").write_text('#!/bin/sh\nPATH=/nonexistent; export PATH\n'
                                      'exec /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n')
    for script in ("remote.sh", "nodocker.sh"):
        (root / script).chmod(0o755)
    (root / "authorized_keys").write_text(f'command="{root}/remote.sh" {good_pub}\n'
                                          f'command="{root}/nodocker.sh" {nodocker_pub}\n')
    port = _free_port()
    (root / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {root}/host_key\nPidFile {root}/sshd.pid\n"
        f"AuthorizedKeysFile {root}/authorized_keys\nUsePAM no\nStrictModes no\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nLogLevel VERBOSE\n")
    known = f"[127.0.0.1]:{port} {' '.join(host_pub.split()[:2])}"
    homes = {"good": _home(root, "good", root / "client_key", known),
             "no-docker": _home(root, "no-docker", root / "nodocker_key", known),
             "wrong-key": _home(root, "wrong-key", root / "wrong_key", known),
             "unknown-host": _home(root, "unknown-host", root / "client_key", None),
             "changed-host": _home(root, "changed-host", root / "client_key",
                                   f"[127.0.0.1]:{port} {' '.join(wrong_pub.split()[:2])}"),
             "passphrase": _home(root, "passphrase", root / "locked_key", known)}
    log = root / "sshd.log"
    with open(log, "wb") as sink:
        proc = subprocess.Popen([sshd, "-D", "-e", "-f", str(root / "sshd_config")], stdout=sink, stderr=sink)
    try:
        deadline = time.monotonic() + 10
        while "Server listening on" not in log.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, f"sshd exited: {log.read_text()}"
            time.sleep(0.05)
        assert "Server listening on" in log.read_text(), log.read_text()
        yield {"port": port, "user": getpass.getuser(), "homes": homes, "log": log, "commands": commands}
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _ssh_env(engine: dict, home: str, port: int | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCKER_", "SSH_"))}  # no agent either
    env.update(HOME=str(engine["homes"][home]), PYTHONPATH=str(Path(__file__).resolve().parents[2]),
               DOCKER_HOST=f"ssh://{engine['user']}@127.0.0.1:{port or engine['port']}")
    return env


CHILD = """
import json
from sandbox import Sandbox
from sandbox.engine import get_client
from sandbox.models import Limits, RunSpec

out = {"base_url": get_client().api.base_url}
with Sandbox(pool_size=1) as sb:
""" + BASIC_RUNS + """    r = sb.run(RunSpec(language="python", source="while True: pass",
                       limits=Limits(wall_time_s=1, cpu_time_s=1)))
    out["loop"] = [r.status.value, r.stderr[-300:]]
print("@@RESULT@@" + json.dumps(out, default=str))
"""


def test_sandbox_jobs_run_on_an_engine_over_ssh(ssh_engine):
    hide = _socket_hiding_works()
    before = ssh_engine["commands"].read_text().count("\n") if ssh_engine["commands"].exists() else 0
    started = time.monotonic()
    proc = _run_child(CHILD, _ssh_env(ssh_engine, "good"), hide, timeout=300)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0 and "@@RESULT@@" in proc.stdout, proc.stderr[-4000:]
    out = json.loads(proc.stdout.split("@@RESULT@@", 1)[1])
    assert out["base_url"] == "http+docker://ssh"
    assert out["python"][:2] == ["ok", "45 ['a b']\n"], out["python"]
    assert out["cpp"][:2] == ["ok", "45\n"] and out["cpp"][3], out["cpp"]  # compiled, then run
    assert out["loop"][0] == "timeout", out["loop"]  # the limits hold over ssh too
    log = ssh_engine["log"].read_text()
    user = ssh_engine["user"]
    assert f"Accepted publickey for {user} from 127.0.0.1" in log, log[-3000:]
    wrapper = ssh_engine["commands"].parent / "remote.sh"
    sessions = log.count(f"Starting session: forced-command (key-option) '{wrapper}' for {user} from 127.0.0.1")
    dials = ssh_engine["commands"].read_text().splitlines()[before:]
    assert dials and set(dials) == {"docker system dial-stdio"}, dials
    assert sessions >= len(dials), log[-3000:]  # each ran in an ssh session of the good key
    print(f"ssh engine: {len(dials)} `docker system dial-stdio` channels, {elapsed:.1f}s, "
          f"engine socket hidden: {hide}")


def _connect_error(env: dict) -> tuple[str, float]:
    code = ("from sandbox.engine import get_client\nfrom sandbox.errors import SandboxUnavailable\n"
            "try:\n    get_client()\n    print('CONNECTED')\nexcept SandboxUnavailable as exc:\n    print(exc)\n")
    started = time.monotonic()
    proc = _run_child(code, env, hide_socket=False, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.strip(), time.monotonic() - started


def test_a_key_the_server_refuses_is_named(ssh_engine):
    message, _ = _connect_error(_ssh_env(ssh_engine, "wrong-key"))
    assert "CONNECTED" not in message
    assert f"the ssh server refused the login as {ssh_engine['user']}@127.0.0.1" in message, message
    assert "authorized_keys" in message and "AuthenticationException" in message, message
    closed = f"Connection closed by authenticating user {ssh_engine['user']} 127.0.0.1"
    deadline = time.monotonic() + 10  # sshd writes that line after the client has gone: on a loaded machine, later
    while closed not in ssh_engine["log"].read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert closed in ssh_engine["log"].read_text()


def test_no_docker_on_the_remote_machine_is_named(ssh_engine):
    message, _ = _connect_error(_ssh_env(ssh_engine, "no-docker"))
    assert "CONNECTED" not in message
    assert "logged in to" in message and "there is no `docker` command there" in message, message
    assert "docker: not found" in message, message  # the remote shell's own words


@pytest.mark.parametrize("home, expected", [
    ("unknown-host", "the host key of {login}:{port} is unknown"),
    ("changed-host", "the host key of {login}:{port} is not the one in ~/.ssh/known_hosts"),
    ("passphrase", "the private key needs a passphrase, which is never asked for"),
])
def test_host_keys_are_checked_and_keys_never_prompt(ssh_engine, home, expected):
    message, _ = _connect_error(_ssh_env(ssh_engine, home))
    login = f"{ssh_engine['user']}@127.0.0.1"
    assert "CONNECTED" not in message
    assert expected.format(login=login, port=ssh_engine["port"]) in message, message
    if home == "unknown-host":
        assert f"ssh -p {ssh_engine['port']} {login}" in message, message


def test_a_port_where_no_ssh_server_listens_is_named(ssh_engine):
    message, elapsed = _connect_error(_ssh_env(ssh_engine, "good", port=_free_port()))
    assert "nothing accepts connections on" in message and "is sshd running there" in message, message
    assert elapsed < 30, elapsed
