"""DOCKER_HOST=ssh://[user@]host[:port]: the docker SDK's paramiko transport, with bounded connects and errors
that say which part failed (the network, the host key, the login, or docker on the remote machine).

Why paramiko and not the SDK's `use_ssh_client=True` (the ssh binary): that mode starts one `ssh` process per
HTTP request (it keeps no connection pool), its socket ignores timeouts (a blocking read on a pipe, so the
sessions' deadlines would not hold against a stalled remote), and its failures are ssh's stderr text, not
typed errors. Paramiko keeps one authenticated connection and opens a channel per HTTP connection, each
running `docker system dial-stdio` on the remote machine; channels honour socket timeouts. What paramiko
does not read from ~/.ssh/config (ProxyJump, UserKnownHostsFile, CertificateFile) can be had by forwarding
the remote engine's socket with OpenSSH instead (docs/sandbox.md, "A remote engine").
"""

from __future__ import annotations

import importlib.util
import logging
import socket
import urllib.parse

from sandbox.errors import SandboxUnavailable

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 20  # TCP connect, the ssh banner and authentication each (paramiko's default: none for TCP)
KEEPALIVE_S = 30  # idle pooled channels survive NAT and firewall timeouts
PROBE = "docker version --format '{{.Server.APIVersion}}'"

SSH_HINT = ("DOCKER_HOST=ssh://[USER@]HOST[:PORT] logs in with the ssh agent, ~/.ssh/id_* or IdentityFile of "
            "~/.ssh/config (keys only, no prompts), checks the host key against ~/.ssh/known_hosts, and runs "
            "`docker system dial-stdio` there; `ssh -p PORT USER@HOST docker version` must work without "
            "questions first. RefactorCoder never runs model-written code on the host as a fallback.")


def connect(docker, host: str, timeout: int):
    """A DockerClient for an ssh:// DOCKER_HOST, its API version asked for (so every part was exercised)."""
    if importlib.util.find_spec("paramiko") is None:
        raise SandboxUnavailable(f"DOCKER_HOST={host} needs the paramiko package, which is not installed",
                                 "pip install 'docker[ssh]' (or paramiko), or forward the remote engine's "
                                 "socket: ssh -NL /tmp/docker.sock:/var/run/docker.sock HOST and "
                                 "DOCKER_HOST=unix:///tmp/docker.sock.")
    import paramiko
    from docker.transport.sshconn import SSHHTTPAdapter

    class Adapter(SSHHTTPAdapter):
        """The SDK's paramiko adapter with connect timeouts and keepalives (also on its reconnects)."""

        def _connect(self):
            if self.ssh_client:
                self.ssh_client.connect(**self.ssh_params, timeout=CONNECT_TIMEOUT_S,
                                        banner_timeout=CONNECT_TIMEOUT_S, auth_timeout=CONNECT_TIMEOUT_S)
                self.ssh_client.get_transport().set_keepalive(KEEPALIVE_S)

        def get_connection(self, url, proxies=None):
            # The SDK keys its pools by the whole URL, so every new path (/exec/ID/json, ...) opened a new
            # channel and a new `docker system dial-stdio` there; every URL reaches the same engine.
            return super().get_connection("http+docker://ssh", proxies)

    # Built in the SDK's ssh-binary mode, which connects nothing yet; its adapter is then replaced by ours
    # (the SDK's own paramiko adapter connects in its constructor, with no way to pass timeouts).
    client = docker.DockerClient(base_url=host, version=docker.constants.MINIMUM_DOCKER_API_VERSION,
                                 timeout=timeout, use_ssh_client=True)
    api = client.api
    try:
        adapter = Adapter(host, timeout, pool_connections=docker.constants.DEFAULT_NUM_POOLS_SSH,
                          max_pool_size=docker.constants.DEFAULT_MAX_POOL_SIZE)
    except Exception as exc:
        raise SandboxUnavailable(_why_no_login(paramiko, host, exc), SSH_HINT) from exc
    api._custom_adapter = adapter
    api.mount("http+docker://ssh", adapter)
    try:
        api._version = api.version(api_version=False)["ApiVersion"]  # what APIClient(version="auto") stores
    except Exception as exc:
        problem = _remote_docker_problem(adapter.ssh_client, host)
        client.close()
        if problem:
            raise SandboxUnavailable(problem, SSH_HINT) from exc
        raise SandboxUnavailable(f"the Docker engine at {host}: logged in, and `docker version` works there, "
                                 f"but `docker system dial-stdio` did not answer (a docker CLI older than "
                                 f"18.09?) ({type(exc).__name__}: {str(exc)[:200]})", SSH_HINT) from exc
    log.info("docker engine over ssh: %s (API %s)", host, api._version)
    return client


def _where(host: str) -> tuple[str, str]:
    """(user@host:port as ssh sees it, '-p PORT ' for commands) from the URL (~/.ssh/config may change it)."""
    url = urllib.parse.urlparse(host)
    port = url.port or 22
    user = f"{url.username}@" if url.username else ""
    return f"{user}{url.hostname}:{port}", (f"-p {port} " if port != 22 else "")


def _why_no_login(paramiko, host: str, exc: BaseException) -> str:
    """One line for a failed ssh connection: network, host key, or login."""
    target, port_flag = _where(host)
    hostname = urllib.parse.urlparse(host).hostname or "HOST"
    login = target.rsplit(":", 1)[0]  # user@host
    text = f"{type(exc).__name__}: {str(exc)[:200]}"
    prefix = f"the Docker engine at {host}: "
    if isinstance(exc, paramiko.BadHostKeyException):
        return (prefix + f"the host key of {target} is not the one in ~/.ssh/known_hosts (the machine was "
                f"reinstalled, or something is in the middle); check it, then `ssh-keygen -R` the old entry ({text})")
    if isinstance(exc, paramiko.PasswordRequiredException):
        return (prefix + "the private key needs a passphrase, which is never asked for: `ssh-add` it to the ssh "
                f"agent ({text})")
    keys = "the ssh agent, ~/.ssh/id_rsa, id_ecdsa, id_ed25519 and IdentityFile of ~/.ssh/config"
    if isinstance(exc, paramiko.AuthenticationException):
        return (prefix + f"the ssh server refused the login as {login}: no key offered was accepted (tried "
                f"{keys}; the public key must be in that user's authorized_keys there) ({text})")
    if "No authentication methods available" in str(exc):
        return prefix + f"no key to log in as {login} with: none found in {keys} ({text})"
    if isinstance(exc, paramiko.SSHException) and "known_hosts" in str(exc):
        return (prefix + f"the host key of {target} is unknown (not in ~/.ssh/known_hosts, and it is never "
                f"accepted blindly): log in once with `ssh {port_flag}{login}` and check the fingerprint it "
                f"shows ({text})")
    if isinstance(exc, paramiko.ssh_exception.NoValidConnectionsError):
        return (prefix + f"nothing accepts connections on {target} (is sshd running there, is the port "
                f"right?) ({text})")
    if isinstance(exc, socket.gaierror):
        return prefix + f"the host name {hostname!r} does not resolve ({text})"
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return (prefix + f"no answer from {target} within {CONNECT_TIMEOUT_S}s (host down, wrong address, or a "
                f"firewall dropping ssh) ({text})")
    if isinstance(exc, paramiko.SSHException) and "banner" in str(exc).lower():
        return prefix + f"{target} does not speak ssh (wrong port?) ({text})"
    if isinstance(exc, OSError):
        return prefix + f"{target} is unreachable ({text})"
    return prefix + f"the ssh connection to {target} failed ({text})"


def _remote_docker_problem(ssh_client, host: str) -> str | None:
    """Why docker failed on the remote machine, from `docker version` run there; None if it works."""
    target, _ = _where(host)
    prefix = f"the Docker engine at {host}: "
    try:
        _stdin, stdout, stderr = ssh_client.exec_command(PROBE, timeout=CONNECT_TIMEOUT_S)
        err = stderr.read().decode("utf-8", "replace").strip()
        out = stdout.read().decode("utf-8", "replace").strip()
        channel = stdout.channel
        status = channel.recv_exit_status() if channel.status_event.wait(CONNECT_TIMEOUT_S) else None
    except (TimeoutError, socket.timeout):
        return prefix + f"logged in to {target}, but `{PROBE}` gave no answer there within {CONNECT_TIMEOUT_S}s"
    except Exception as exc:  # the connection itself broke
        return prefix + f"the ssh connection to {target} broke ({type(exc).__name__}: {str(exc)[:200]})"
    if status == 0:
        return None
    detail = (err or out or f"exit status {status}").splitlines()[-1][:300]
    if status == 127 or "not found" in err:
        return (prefix + f"logged in to {target}, but there is no `docker` command there ({detail}): install "
                "the docker CLI on that machine (Debian: docker.io) on the PATH of non-interactive ssh sessions "
                "(not only in .profile or .bashrc)")
    if "permission denied" in err.lower():
        return (prefix + f"logged in to {target}, but that user may not use the engine's socket ({detail}): add "
                "the user to the docker group there")
    if "daemon" in err.lower() or "connect" in err.lower():
        return (prefix + f"logged in to {target}, but docker there cannot reach its engine ({detail}): start "
                "dockerd there")
    return prefix + f"logged in to {target}, but `docker version` failed there ({detail})"
