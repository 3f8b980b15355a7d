"""Connection to the Docker engine (local socket or DOCKER_HOST) through the docker SDK."""

from __future__ import annotations

import functools
import os
import re
import shutil
import ssl
import threading

from sandbox import engine_ssh
from sandbox.errors import START_ENGINE_HINT, SandboxUnavailable

_lock = threading.Lock()
_client = None


def get_client(timeout: int = 120):
    """A shared docker SDK client; raises SandboxUnavailable with start-up instructions if unreachable."""
    global _client
    with _lock:
        if _client is not None:
            return _client
        try:
            import docker
        except ImportError as exc:  # pragma: no cover - dependency declared in pyproject
            raise SandboxUnavailable("the docker SDK (python package `docker`) is not installed") from exc
        where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
        try:
            client = _connect(docker, timeout)
            client.ping()
        except SandboxUnavailable:
            raise
        except Exception as exc:  # DockerException, requests errors, FileNotFoundError on the socket
            raise SandboxUnavailable(*_why_unreachable(where, exc)) from exc
        _client = client
        return client


def _connect(docker, timeout: int):
    """A client for DOCKER_HOST (unix://, tcp:// with or without TLS, ssh://), configured like the docker CLI."""
    import requests.utils
    from docker.utils import kwargs_from_env

    host = os.environ.get("DOCKER_HOST", "")
    if host.startswith("ssh://"):
        return engine_ssh.connect(docker, host, timeout)  # paramiko; errors name the failing part
    tls_verify = os.environ.get("DOCKER_TLS_VERIFY", None) not in (None, "")  # the SDK's and the CLI's rule
    cert_dir = os.environ.get("DOCKER_CERT_PATH") or ""
    if not (tls_verify or cert_dir):
        return docker.from_env(timeout=timeout)
    cert_dir = cert_dir or os.path.expanduser("~/.docker")
    wanted = ["cert.pem", "key.pem"] + (["ca.pem"] if tls_verify else [])
    missing = [name for name in wanted if not os.path.isfile(os.path.join(cert_dir, name))]
    if missing:
        raise SandboxUnavailable(f"DOCKER_HOST={host or '(unset)'} with TLS: {', '.join(missing)} missing in "
                                 f"DOCKER_CERT_PATH={cert_dir}", TLS_HINT)
    kwargs = kwargs_from_env()
    # requests lets $REQUESTS_CA_BUNDLE / $CURL_CA_BUNDLE replace the session's CA (DOCKER_CERT_PATH/ca.pem)
    # on every request; with them set (common on managed machines) a TLS engine fails verification. So the
    # session ignores the environment (like the docker CLI), keeping only the proxy settings. The API
    # version is then asked for explicitly, as the SDK's "auto" would have done in its constructor.
    client = docker.DockerClient(version=docker.constants.MINIMUM_DOCKER_API_VERSION, timeout=timeout, **kwargs)
    api = client.api
    api.trust_env = False
    api.proxies = requests.utils.get_environ_proxies(api.base_url)
    api._version = api.version(api_version=False)["ApiVersion"]  # what APIClient(version="auto") stores
    return client


TLS_HINT = ("DOCKER_CERT_PATH (default ~/.docker) must hold ca.pem (the CA that signed the engine's certificate), "
            "cert.pem and key.pem (a client certificate signed by the CA the engine trusts, its --tlscacert); "
            "DOCKER_TLS_VERIFY=1 checks the engine's certificate against ca.pem, whose names must include the host "
            "of DOCKER_HOST. RefactorCoder never runs model-written code on the host as a fallback.")


def _chain(exc: BaseException | None) -> list[BaseException]:
    """The exception, its causes, and the errors urllib3 keeps in `.reason` or its first argument."""
    seen: list[BaseException] = []
    while exc is not None and exc not in seen and len(seen) < 16:
        seen.append(exc)
        nxt = exc.__cause__ or exc.__context__
        for inner in (getattr(exc, "reason", None), (exc.args or [None])[0]):
            if nxt is None and isinstance(inner, BaseException):
                nxt = inner
        exc = nxt
    return seen


def _why_unreachable(where: str, exc: BaseException) -> tuple[str, str]:
    """(reason, hint): the innermost cause in one line (the SDK wraps a TLS failure four times)."""
    chain = _chain(exc)
    inner = chain[-1]
    tls = bool(os.environ.get("DOCKER_TLS_VERIFY") or os.environ.get("DOCKER_CERT_PATH"))
    cert_dir = os.environ.get("DOCKER_CERT_PATH") or "~/.docker"
    tls_error = next((e for e in reversed(chain) if isinstance(e, ssl.SSLError)), None)
    if tls and tls_error is not None:
        text = str(tls_error)
        if isinstance(tls_error, ssl.SSLCertVerificationError):
            why = (f"the engine's certificate is not signed by {cert_dir}/ca.pem, or its names do not include the "
                   "host of DOCKER_HOST")
        elif re.search(r"unknown.ca|bad.certificate|certificate.required|certificate.unknown|handshake.failure",
                       text, re.IGNORECASE):
            why = f"the engine rejected the client certificate {cert_dir}/cert.pem (not signed by a CA it trusts)"
        elif isinstance(tls_error, ssl.SSLEOFError):  # TLS 1.3: the refusal may arrive as a bare close
            why = (f"the engine closed the connection in the TLS handshake: most likely it rejected the client "
                   f"certificate {cert_dir}/cert.pem (not signed by a CA it trusts)")
        else:
            why = "the TLS handshake failed"
        return f"the Docker engine at {where}: {why} ({type(tls_error).__name__}: {text[:200]})", TLS_HINT
    hint = ""
    if where.startswith("tcp://") and not tls and where.rstrip("/").endswith(":2376"):
        hint = "; 2376 is Docker's TLS port: set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH"
    return (f"the Docker engine at {where} is not reachable ({type(inner).__name__}: {str(inner)[:240]}{hint})",
            START_ENGINE_HINT)


def reset_client() -> None:
    """Forget the cached client (tests that simulate an unreachable engine)."""
    global _client
    with _lock:
        _client = None


@functools.lru_cache(maxsize=1)
def available_runtimes() -> frozenset[str]:
    try:
        return frozenset(get_client().info().get("Runtimes", {}).keys())
    except SandboxUnavailable:
        return frozenset()


def resolve_runtime(requested: str | None) -> str | None:
    """The OCI runtime to use. ``None``/"runc" means the default; "runsc" (gVisor) must be registered.

    Requested isolation is never dropped silently: asking for gVisor when it is not configured is an error.
    ``REFACTORCODER_SANDBOX_RUNTIME`` sets the default.
    """
    requested = requested or os.environ.get("REFACTORCODER_SANDBOX_RUNTIME") or None
    if requested in (None, "", "runc", "default"):
        return None
    if requested not in available_runtimes():
        hint = " (runsc is installed; register it in /etc/docker/daemon.json, see docs/sandbox.md)" \
            if shutil.which("runsc") else " (apt-get install runsc)"
        raise SandboxUnavailable(f"container runtime {requested!r} is not registered with the engine{hint}",
                                 "Run `REFACTORCODER_GVISOR=1 scripts/ensure-docker.sh` to configure gVisor.")
    return requested
