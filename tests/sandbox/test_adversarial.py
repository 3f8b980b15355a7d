"""Adversarial programs against the real engine: each asserts the status and that the host is unaffected."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import psutil
import pytest

from sandbox import Limits, RunSpec, Status

pytestmark = [pytest.mark.docker, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
SHORT = Limits(wall_time_s=3.0, cpu_time_s=3.0)


def py(source: str, limits: Limits = SHORT, **kw) -> RunSpec:
    return RunSpec(language="python", source=textwrap.dedent(source), limits=limits, **kw)


def test_fork_bomb(sandbox, host_unaffected):
    before = len(psutil.pids())
    r = sandbox.run(py("""
        import os
        while True:
            try:
                os.fork()
            except OSError:
                pass
    """))
    assert r.status == Status.TIMEOUT
    assert len(psutil.pids()) < before + 50
    assert sandbox.run(py("print('alive')")).stdout == "alive\n"


def test_memory_bomb_one_block(sandbox, host_unaffected):
    r = sandbox.run(py("b = b'x' * (2 << 30)\nprint(len(b))", Limits(memory_mb=128, wall_time_s=10)))
    assert r.status == Status.MEMORY_LIMIT
    assert r.profile.peak_memory_bytes <= 140 * 2**20


def test_memory_bomb_many_small(sandbox, host_unaffected):
    r = sandbox.run(py("""
        chunks = []
        while True:
            chunks.append(' ' * 1000 + str(len(chunks)))
    """, Limits(memory_mb=128, wall_time_s=20, cpu_time_s=20)))
    assert r.status == Status.MEMORY_LIMIT


def test_memory_bomb_cpp_many_small(sandbox, host_unaffected):
    src = "#include <cstring>\nint main(){ for(;;){ char* p = new char[256]; memset(p, 1, 256); } }\n"
    r = sandbox.run(RunSpec(language="cpp", source=src, limits=Limits(memory_mb=128, wall_time_s=20,
                                                                       cpu_time_s=20)))
    assert r.status == Status.MEMORY_LIMIT


def test_cpu_spin(sandbox, host_unaffected):
    r = sandbox.run(py("while True: pass", Limits(wall_time_s=10, cpu_time_s=1)))
    assert r.status == Status.TIMEOUT
    assert "CPU" in r.message  # stopped by the CPU-time limit, not by the (longer) wall-clock one
    assert r.profile.cpu_time_s < 1.5


def test_sleep_past_wall_limit(sandbox, host_unaffected):
    start = time.monotonic()
    r = sandbox.run(py("import time\ntime.sleep(120)", Limits(wall_time_s=1)))
    assert r.status == Status.TIMEOUT
    assert 0.9 < r.profile.wall_time_s < 1.5
    assert time.monotonic() - start < 5


def test_process_ignoring_sigterm(sandbox, host_unaffected):
    r = sandbox.run(py("""
        import signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        print('ready', flush=True)
        while True:
            time.sleep(0.1)
    """, Limits(wall_time_s=1)))
    assert r.status == Status.TIMEOUT
    assert r.stdout == "ready\n"


def test_double_fork_daemon_does_not_outlive_run(sandbox, host_unaffected):
    r = sandbox.run(py("""
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                for i in range(600):
                    open('/tmp/daemon-alive', 'w').write(str(i))
                    time.sleep(0.05)
            os._exit(0)
        print('parent done')
    """))
    assert r.status == Status.OK
    time.sleep(0.3)
    check = sandbox.run(py("""
        import os
        print(os.path.exists('/tmp/daemon-alive'), sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))
    """))
    alive, pids = check.stdout.split(" ", 1)
    assert alive == "False"
    assert len(json.loads(pids)) <= 3  # sleep (PID 1), supervisor, this program


def test_one_gigabyte_of_output(sandbox, host_unaffected):
    rss_before = psutil.Process().memory_info().rss
    r = sandbox.run(py("""
        import sys
        block = 'x' * (1 << 20)
        for _ in range(1024):
            sys.stdout.write(block)
    """, Limits(wall_time_s=30, cpu_time_s=30)))
    assert r.status == Status.OUTPUT_LIMIT
    assert r.stdout_truncated
    assert len(r.stdout) <= Limits().output_bytes
    assert psutil.Process().memory_info().rss - rss_before < 64 * 2**20


def test_disk_fill_one_big_file(sandbox, host_unaffected):
    free_before = shutil.disk_usage("/").free
    r = sandbox.run(py("""
        import os
        written = 0
        try:
            with open('/work/big', 'wb') as fh:  # /work outside the (read-only) run dir
                while True:
                    fh.write(b'\\0' * (1 << 20)); fh.flush(); written += 1 << 20
        except OSError as exc:
            print('stopped', exc.errno, written)
    """, Limits(wall_time_s=20, cpu_time_s=20, work_disk_mb=32)))
    assert r.status in (Status.OK, Status.FAILED)  # ENOSPC, or SIGXFSZ at the file-size rlimit
    if r.status == Status.OK:
        assert int(r.stdout.split()[-1]) <= 32 * 2**20
    assert abs(shutil.disk_usage("/").free - free_before) < 256 * 2**20


def test_disk_fill_many_small_files(sandbox, host_unaffected):
    r = sandbox.run(py("""
        import os
        n = 0
        try:
            while True:
                open(f'/work/f{n}', 'w').write('x'); n += 1
        except OSError as exc:
            print('stopped', exc.errno, n)
    """, Limits(wall_time_s=20, cpu_time_s=20, max_files=2000)))
    assert r.status == Status.OK
    assert r.stdout.startswith("stopped 28 ")  # ENOSPC: out of inodes
    assert int(r.stdout.split()[-1]) < 2000


def test_writes_outside_work_directory(sandbox, host_unaffected):
    passwd_before = Path("/etc/passwd").stat().st_mtime
    r = sandbox.run(py("""
        import json
        results = {}
        for path in ['/etc/passwd', '/etc/new-file', '/usr/bin/evil', '/evil', '/var/evil', '/root/evil',
                     '/home/evil', '/proc/sys/kernel/hostname', '/sys/kernel/evil', '/run/evil', '/opt/evil']:
            try:
                with open(path, 'a') as fh:
                    fh.write('pwned')
                results[path] = 'written'
            except OSError as exc:
                results[path] = exc.errno
        print(json.dumps(results))
    """))
    assert r.status == Status.OK
    results = json.loads(r.stdout)
    assert "written" not in results.values(), results
    assert Path("/etc/passwd").stat().st_mtime == passwd_before


def test_reading_host_secrets(sandbox, host_unaffected, tmp_path, monkeypatch):
    canary = f"rc-canary-{uuid.uuid4().hex}"
    monkeypatch.setenv("REFACTORCODER_CANARY", canary)
    secret = tmp_path / "secret.txt"
    secret.write_text(canary)
    r = sandbox.run(py(f"""
        import os, glob
        seen = [repr(dict(os.environ))]
        for path in ['/proc/1/environ', '/proc/self/environ', {str(secret)!r}, '/etc/shadow', '/root/.ssh/id_rsa',
                     '/var/run/docker.sock', '/proc/1/root/etc/hostname']:
            try:
                seen.append(open(path, 'rb').read(65536).decode('latin-1'))
            except OSError as exc:
                seen.append(f'{{path}}: {{exc.errno}}')
        for pid in os.listdir('/proc'):
            if pid.isdigit():
                try:
                    seen.append(open(f'/proc/{{pid}}/environ', 'rb').read().decode('latin-1'))
                except OSError:
                    pass
        print('\\n'.join(seen))
    """))
    assert r.status == Status.OK
    assert canary not in r.stdout
    assert "docker.sock: 2" in r.stdout  # the engine's socket is not there


def _gateway_ip() -> str:
    for addr in psutil.net_if_addrs().get("docker0", []):
        if addr.family.name == "AF_INET":
            return addr.address
    return "172.17.0.1"


def test_network_egress_dns_ip_and_gateway(sandbox, host_unaffected):
    gateway = _gateway_ip()
    r = sandbox.run(py(f"""
        import json, socket
        out = {{}}
        try:
            socket.getaddrinfo('deb.debian.org', 80); out['dns'] = True
        except OSError as exc:
            out['dns'] = exc.errno
        for name, host, port in [('ip', '1.1.1.1', 53), ('ip443', '151.101.2.132', 443),
                                 ('gateway', {gateway!r}, 2375), ('gateway_dns', {gateway!r}, 53)]:
            try:
                socket.create_connection((host, port), timeout=2).close(); out[name] = True
            except OSError as exc:
                out[name] = str(exc)
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b'x', ('8.8.8.8', 53)); out['udp'] = True
        except OSError as exc:
            out['udp'] = exc.errno
        try:
            socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); out['raw'] = True
        except OSError as exc:
            out['raw'] = exc.errno
        print(json.dumps(out))
    """, Limits(wall_time_s=15)))
    assert r.status == Status.OK
    out = json.loads(r.stdout)
    assert [name for name, value in out.items() if value is True] == [], out


def test_no_state_leaks_between_pooled_runs(sandbox, host_unaffected):
    first = sandbox.run(py("""
        import ctypes, os, subprocess
        refused = 0
        for attempt in (lambda: os.chmod('/work/run', 0o755),       # the run dir belongs to the supervisor
                        lambda: open('/work/run/leak', 'w').write('secret'),
                        lambda: os.chmod('/work/run', 0)):          # try to make the work dir undeletable
            try:
                attempt()
            except PermissionError:
                refused += 1
        print(refused)
        for path in ['/tmp/leak', '/dev/shm/leak', '/work/leak']:
            open(path, 'w').write('secret')
        libc = ctypes.CDLL(None)
        print(libc.shmget(0x5eed, 4096, 0o1000 | 0o666) >= 0)       # SysV shared memory
        print(libc.msgget(0x5eed, 0o1000 | 0o666) >= 0)             # SysV message queue
        subprocess.Popen(['sleep', '600'], start_new_session=True)
    """))
    # Its own directory cannot be changed at all; what it leaves elsewhere is wiped (and is no failure).
    assert first.stdout.split() == ["3", "True", "True"], (first.stdout, first.stderr)
    assert first.ok, first.message
    second = sandbox.run(py("""
        import ctypes, os
        libc = ctypes.CDLL(None)
        print([p for p in ['/work/run/leak', '/tmp/leak', '/dev/shm/leak', '/work/leak'] if os.path.exists(p)])
        print(libc.shmget(0x5eed, 0, 0), libc.msgget(0x5eed, 0))
        print(len([p for p in os.listdir('/proc') if p.isdigit()]))
        print(sorted(os.listdir('/work/run')))
    """))
    assert second.warm, "expected the pooled container to be reused"
    lines = second.stdout.splitlines()
    assert lines[0] == "[]"
    assert lines[1] == "-1 -1"
    assert int(lines[2]) <= 3
    assert lines[3] == "['main.py']"


def test_compile_time_bomb_cpp(sandbox, host_unaffected):
    # A type whose spelled-out name doubles with every level: the diagnostic that prints it makes the
    # compiler's time and memory explode (2^28 leaves).
    src = textwrap.dedent("""
        template<class A, class B> struct P {};
        template<int N> struct T { using type = P<typename T<N-1>::type, typename T<N-1>::type>; };
        template<> struct T<0> { using type = int; };
        int main() { typename T<28>::type x = 1; }
    """)
    start = time.monotonic()
    r = sandbox.run(RunSpec(language="cpp", source=src, limits=Limits(compile_time_s=5, memory_mb=256)))
    assert r.phase == "compile"
    assert r.status in (Status.TIMEOUT, Status.MEMORY_LIMIT, Status.OUTPUT_LIMIT)
    assert time.monotonic() - start < 20


def test_include_dev_zero_compile_bomb(sandbox, host_unaffected):
    r = sandbox.run(RunSpec(language="cpp", source='#include "/dev/zero"\nint main(){}\n',
                            limits=Limits(compile_time_s=5, memory_mb=256)))
    assert r.phase == "compile"
    assert r.status in (Status.TIMEOUT, Status.MEMORY_LIMIT, Status.COMPILE_ERROR)


def test_harness_killed_mid_run_leaves_containers_that_next_start_sweeps(tmp_path):
    from sandbox.engine import get_client

    script = tmp_path / "victim.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from sandbox import Sandbox, RunSpec, Limits
        sb = Sandbox(pool_size=2, sweep=False)
        sb.warm('python', count=2)
        print('warm', flush=True)
        sb.run(RunSpec(language='python', source='import time; time.sleep(60)', limits=Limits(wall_time_s=60)))
    """))
    victim = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert victim.stdout.readline().strip() == "warm"
        time.sleep(1.0)  # the run is in progress now
    finally:
        victim.kill()
        victim.wait()
    label = f"refactorcoder.owner.pid={victim.pid}"
    client = get_client()
    left = client.containers.list(all=True, filters={"label": label})
    assert len(left) >= 2, "the killed harness should have left its containers behind"
    from sandbox import Sandbox

    with Sandbox(pool_size=0):  # start-up sweeps containers of dead owners
        pass
    deadline = time.monotonic() + 10
    while client.containers.list(all=True, filters={"label": label}) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert client.containers.list(all=True, filters={"label": label}) == []


def test_engine_unreachable_gives_clear_error_and_never_runs_on_host(monkeypatch, tmp_path):
    from sandbox import SandboxUnavailable, run
    from sandbox.engine import reset_client

    marker = tmp_path / "ran-on-host"
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    reset_client()
    try:
        with pytest.raises(SandboxUnavailable) as info:
            run(RunSpec(language="python", source=f"open({str(marker)!r}, 'w').write('x')"))
        assert "ensure-docker.sh" in str(info.value)
        assert not marker.exists()
    finally:
        monkeypatch.delenv("DOCKER_HOST")
        reset_client()
