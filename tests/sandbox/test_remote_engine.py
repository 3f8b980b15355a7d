"""The sandbox on a remote Docker engine: DOCKER_HOST=tcp://HOST:PORT with TLS (DOCKER_TLS_VERIFY=1,
DOCKER_CERT_PATH), as on a second machine.

A real TLS endpoint on loopback stands in for the remote engine: socat, with a CA, server and client
certificates made by openssl in a temporary folder, verifies the client certificate and forwards to the
local engine's socket. The jobs run in a child process whose only way to the engine is that endpoint:
where mount namespaces are allowed, the local socket is hidden in the child (bind-mounted over by
/dev/null); always, socat's log must show the TLS connections the child made. Nothing the sandbox sends
(programs, the project's files, a workspace-packages layer's build context) may depend on the engine
seeing this machine's paths. DOCKER_HOST=ssh:// (a real sshd on loopback) is tested in test_remote_engine_ssh.py.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import require_real_part

PROJECT = Path(__file__).resolve().parents[2]
SOCKET = "/var/run/docker.sock"
pytestmark = pytest.mark.docker


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _ca(folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca.pem", "-days",
             "2", "-subj", f"/CN={name}", cwd=folder)


def _signed(folder: Path, ca: Path, name: str, stem: str, extensions: str) -> None:
    """`stem`-cert.pem / `stem`-key.pem signed by the CA in `ca` (client files are renamed by the caller)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stem}.ext").write_text(extensions)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{stem}-key.pem", "-out", f"{stem}.csr", "-subj",
             f"/CN={name}", cwd=folder)
    _openssl("x509", "-req", "-in", f"{stem}.csr", "-CA", str(ca / "ca.pem"), "-CAkey", str(ca / "ca-key.pem"),
             "-CAcreateserial", "-out", f"{stem}-cert.pem", "-days", "2", "-extfile", f"{stem}.ext", cwd=folder)


def _client_dir(folder: Path, ca: Path, signer: Path) -> Path:
    """A DOCKER_CERT_PATH: ca.pem from `ca` (to check the engine), cert.pem/key.pem signed by `signer`."""
    _signed(folder, signer, "client", "client", "extendedKeyUsage=clientAuth\n")
    (folder / "client-cert.pem").rename(folder / "cert.pem")
    (folder / "client-key.pem").rename(folder / "key.pem")
    shutil.copy(ca / "ca.pem", folder / "ca.pem")
    return folder


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _socket_hiding_works() -> bool:
    """Whether this machine lets a child process run with the engine's socket hidden (root, mount namespaces)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--mount", "sh", "-c", f"mount --bind /dev/null {SOCKET} && "
                            f"! [ -S {SOCKET} ]"], capture_output=True)
    return probe.returncode == 0


@pytest.fixture(scope="module")
def tls_engine(tmp_path_factory):
    """(port, certs folder, wrong-client folder, wrong-CA folder, socat log) of a TLS endpoint for the engine."""
    missing = [cmd for cmd in ("socat", "openssl") if shutil.which(cmd) is None]
    require_real_part(f"{' and '.join(missing)} not installed (bash scripts/install-system-packages.sh --test)"
                      if missing else None)
    require_real_part(None if os.path.exists(SOCKET) and os.access(SOCKET, os.R_OK | os.W_OK) else
                      f"no local Docker engine socket at {SOCKET} to put the TLS endpoint in front of")
    root = tmp_path_factory.mktemp("tls")
    ca, other_ca = root / "ca", root / "other-ca"
    _ca(ca, "refactorcoder-test-ca")
    _ca(other_ca, "intruder-ca")
    _signed(ca, ca, "127.0.0.1", "server", "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                           "extendedKeyUsage=serverAuth\n")
    good = _client_dir(root / "client", ca, ca)
    wrong_client = _client_dir(root / "wrong-client", ca, other_ca)  # the engine does not trust its signer
    wrong_ca = _client_dir(root / "wrong-ca", other_ca, ca)  # it does not trust the engine's certificate
    port = _free_port()
    log = root / "socat.log"
    listen = (f"openssl-listen:{port},bind=127.0.0.1,reuseaddr,fork,cert={ca}/server-cert.pem,"
              f"key={ca}/server-key.pem,cafile={ca}/ca.pem,verify=1")
    with open(log, "wb") as sink:
        proc = subprocess.Popen(["socat", "-d", "-d", listen, f"unix-connect:{SOCKET}"], stderr=sink,
                                stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while "listening on" not in log.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.05)
        yield port, good, wrong_client, wrong_ca, log
    finally:
        proc.terminate()
        proc.wait(10)


def _tls_env(port: int, certs: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    # A CA bundle in the environment must not replace DOCKER_CERT_PATH/ca.pem (it did: requests honours it).
    env.update(DOCKER_HOST=f"tcp://127.0.0.1:{port}", DOCKER_TLS_VERIFY="1", DOCKER_CERT_PATH=str(certs),
               REQUESTS_CA_BUNDLE="/etc/ssl/certs/ca-certificates.crt", PYTHONPATH=str(PROJECT))
    return env


def _run_child(code: str, env: dict, hide_socket: bool, timeout: int = 600, args: tuple[str, ...] = ()):
    argv = [sys.executable, "-c", code, *args]
    if hide_socket:
        argv = ["unshare", "--mount", "sh", "-c", f'mount --bind /dev/null {SOCKET} && exec "$@"', "sh", *argv]
    return subprocess.run(argv, env=env, cwd=PROJECT, capture_output=True, text=True, timeout=timeout)


def _tls_sessions(log: Path) -> int:
    return log.read_text(errors="replace").count("SSL connection using")


def _project(root: Path, marker: str) -> Path:
    """A project with a data file next to the target and a venv holding a package (becomes an image layer)."""
    from tests.orchestrator.test_workspace_packages import _dist

    root.mkdir(parents=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / ".venv")], check=True)
    site = next((root / ".venv" / "lib").glob("python3.*/site-packages"))
    # The marker makes the layer's content new, so it is built through the TLS endpoint, not found cached.
    _dist(site, "tinypkg", "1.0", {"tinypkg/__init__.py": f"MARK = {marker!r}\n\ndef double(x):\n    return 2 * x\n"})
    (root / "factor.json").write_text('{"k": 10}\n')
    (root / "m.py").write_text(textwrap.dedent("""\
        import json
        import os

        import tinypkg


        def quad(x):
            with open(os.path.join(os.path.dirname(__file__), "factor.json")) as fh:
                k = json.load(fh)["k"]
            try:
                open(tinypkg.__file__, "a").close()
                layer = "writable"
            except OSError:
                layer = "read-only"
            return "%d %s %s %s" % (tinypkg.double(x) * k + x, layer, tinypkg.MARK, tinypkg.__file__)
        """))
    return root


# A Python run and a C++ compile + run, made by every remote-engine child (indented for its `with` block).
BASIC_RUNS = """    r = sb.run(RunSpec(language="python", source="import sys; print(sum(range(10)), sys.argv[1:])", args=["a b"]))
    out["python"] = [r.status.value, r.stdout, r.stderr[-500:]]
    cpp = '#include <iostream>\\nint main() { long s = 0; for (int i = 0; i < 10; i++) s += i; std::cout << s << "\\\\n"; }'
    r = sb.run(RunSpec(language="cpp", source=cpp))
    out["cpp"] = [r.status.value, r.stdout, r.stderr[-500:], r.compile is not None]
"""

CHILD = """
import json, sys
from pathlib import Path
from sandbox import Sandbox
from sandbox.engine import get_client
from sandbox.models import RunSpec
from sandbox.selfcheck import run_checks
from orchestrator.verify.running.pyjobs import PyJobs
from orchestrator.target import locate

out = {"base_url": get_client().api.base_url}
with Sandbox(pool_size=1) as sb:
""" + BASIC_RUNS + """    project = Path(sys.argv[1])
    target = locate(f"{project}/m.py::quad")
    jobs = PyJobs(sb, target)
    report = jobs.run((project / "m.py").read_text(), {"mode": "calls", "calls": [{"args": "(3,)"}], "orders": [[0]],
                                                "records": True})
    out["project"] = {"report": report, "layer": jobs.runner.image, "notes": jobs.notes}
failed = [f"{c.name}: {c.detail}" for c in run_checks() if not c.ok]
out["selfcheck_failed"] = failed
print("@@RESULT@@" + json.dumps(out, default=str))
"""


def test_sandbox_jobs_run_on_a_tls_engine(tls_engine, tmp_path):
    port, certs, _wrong_client, _wrong_ca, log = tls_engine
    marker = uuid.uuid4().hex
    project = _project(tmp_path / "proj", marker)
    hide = _socket_hiding_works()
    before = _tls_sessions(log)
    started = time.monotonic()
    proc = _run_child(CHILD, _tls_env(port, certs), hide, timeout=600, args=(str(project),))
    elapsed = time.monotonic() - started
    assert proc.returncode == 0 and "@@RESULT@@" in proc.stdout, proc.stderr[-4000:]
    out = json.loads(proc.stdout.split("@@RESULT@@", 1)[1])
    layer = out["project"]["layer"]
    try:
        assert out["base_url"] == f"https://127.0.0.1:{port}"
        assert out["python"][:2] == ["ok", "45 ['a b']\n"], out["python"]
        assert out["cpp"][:2] == ["ok", "45\n"] and out["cpp"][3], out["cpp"]  # compiled, then run
        report = out["project"]["report"]
        assert report.get("ok") is not False and "passes" in report, report
        value = report["passes"][0]["0"]
        assert value["e"] is None, value
        # 2*3*10 + 3 from the project's data file; the package from the layer, which the program cannot write.
        assert value["r"] == f"63 read-only {marker} /opt/refactorcoder-layer/site-packages/tinypkg/__init__.py"
        assert layer and any("tinypkg==1.0" in note for note in out["project"]["notes"])
        assert out["selfcheck_failed"] == [], out["selfcheck_failed"]  # every isolation check, no host mounts
    finally:
        if layer:
            subprocess.run(["docker", "image", "rm", "-f", layer], capture_output=True)
    sessions = _tls_sessions(log) - before
    assert sessions >= 3, f"only {sessions} TLS connection(s) reached the endpoint:\n{log.read_text()[-3000:]}"
    print(f"remote TLS engine: {sessions} TLS connections, {elapsed:.1f}s, engine socket hidden: {hide}")


def _connect_error(port: int, certs: Path) -> str:
    code = ("from sandbox.engine import get_client\nfrom sandbox.errors import SandboxUnavailable\n"
            "try:\n    get_client()\n    print('CONNECTED')\nexcept SandboxUnavailable as exc:\n    print(exc)\n")
    proc = _run_child(code, _tls_env(port, certs), hide_socket=False, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.strip()


def test_a_client_certificate_the_engine_does_not_trust_is_named(tls_engine):
    port, _certs, wrong_client, _wrong_ca, log = tls_engine
    message = _connect_error(port, wrong_client)
    assert "CONNECTED" not in message
    assert "rejected the client certificate" in message and f"{wrong_client}/cert.pem" in message, message
    assert "DOCKER_CERT_PATH" in message
    assert "certificate verify failed" in log.read_text()  # socat refused it during the handshake


def test_an_engine_certificate_not_signed_by_ca_pem_is_named(tls_engine):
    port, _certs, _wrong_client, wrong_ca, _log = tls_engine
    message = _connect_error(port, wrong_ca)
    assert "CONNECTED" not in message
    assert f"not signed by {wrong_ca}/ca.pem" in message and "CERTIFICATE_VERIFY_FAILED" in message, message


def test_missing_certificate_files_are_named(tls_engine, tmp_path):
    port = tls_engine[0]
    (tmp_path / "ca.pem").write_text("x")
    message = _connect_error(port, tmp_path)
    assert f"cert.pem, key.pem missing in DOCKER_CERT_PATH={tmp_path}" in message, message
