"""`refactorcoder sandbox check`: verify every isolation property on the real engine before use.

Each property is checked from both sides where possible: the container's configuration as the
engine reports it, and what a probe program observes from inside. Then a few behavioural checks
(wall-clock limit, memory limit, output cap, no leftovers between pooled runs).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sandbox.containers import SUPERVISOR_CAPS, create_container, remove_container, seat_uid
from sandbox.engine import get_client, resolve_runtime
from sandbox.images import require_image
from sandbox.models import Limits, RunSpec, Status
from sandbox.pool import Sandbox

PROBE = r'''
import json, os, socket
out = {"uid": os.getuid(), "gid": os.getgid()}
status = dict(l.split(":\t", 1) for l in open("/proc/self/status").read().splitlines() if ":\t" in l)
out["cap_eff"] = status.get("CapEff", "").strip(); out["cap_bnd"] = status.get("CapBnd", "").strip()
out["no_new_privs"] = status.get("NoNewPrivs", "").strip(); out["seccomp"] = status.get("Seccomp", "").strip()
def can_write(path):
    try:
        with open(path, "w") as fh: fh.write("x")
        os.unlink(path); return True
    except OSError: return False
out["write_root"] = any(can_write(p) for p in ("/etc/rc-probe", "/usr/rc-probe", "/rc-probe", "/var/rc-probe"))
out["write_work"] = can_write("/work/rc-probe")
out["write_program_dir"] = can_write("/work/run/rc-probe") or can_write(__file__)
st = os.statvfs("/work"); out["work_bytes"] = st.f_blocks * st.f_frsize
st = os.statvfs("/tmp"); out["tmp_bytes"] = st.f_blocks * st.f_frsize
out["interfaces"] = [l.split(":")[0].strip() for l in open("/proc/net/dev").read().splitlines()[2:]]
def connect(host, port):
    try:
        socket.create_connection((host, port), timeout=1).close(); return True
    except OSError: return False
out["egress_ip"] = connect("1.1.1.1", 53) or connect("8.8.8.8", 443)
try:
    socket.getaddrinfo("deb.debian.org", 80); out["dns"] = True
except OSError: out["dns"] = False
def read(path):
    try: return open(path).read().strip()
    except OSError: return None
out["mem_limit"] = read("/sys/fs/cgroup/memory/memory.limit_in_bytes") or read("/sys/fs/cgroup/memory.max")
out["memsw_limit"] = read("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes") or read("/sys/fs/cgroup/memory.swap.max")
out["pids_max"] = read("/sys/fs/cgroup/pids/pids.max") or read("/sys/fs/cgroup/pids.max")
out["cfs_quota"] = read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"); out["cfs_period"] = read("/sys/fs/cgroup/cpu/cpu.cfs_period_us")
out["cpu_max"] = read("/sys/fs/cgroup/cpu.max")
print(json.dumps(out))
'''

HELLO = {
    "python": 'print("hello")',
    "cpp": '#include <cstdio>\nint main(){puts("hello");}',
    "java": 'public class Main { public static void main(String[] a){ System.out.println("hello"); } }',
    "go": 'package main\nimport "fmt"\nfunc main(){ fmt.Println("hello") }',
    "rust": 'fn main(){ println!("hello"); }',
    "js": 'console.log("hello")',
}


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


def _host_config_checks(limits: Limits, runtime: str | None) -> list[Check]:
    container = create_container(require_image("python"), limits, "python")
    try:
        container.reload()
        hc = container.attrs["HostConfig"]
        cfg = container.attrs["Config"]
        mem = limits.memory_mb * 1024 * 1024
        return [
            Check("engine: network mode none", hc.get("NetworkMode") == "none", str(hc.get("NetworkMode"))),
            Check("engine: read-only root filesystem", bool(hc.get("ReadonlyRootfs")), ""),
            Check("engine: all capabilities dropped", "ALL" in (hc.get("CapDrop") or []), str(hc.get("CapDrop"))),
            Check("engine: capabilities added only for the supervisor",
                  {c.upper().removeprefix("CAP_") for c in hc.get("CapAdd") or []} == set(SUPERVISOR_CAPS),
                  str(hc.get("CapAdd"))),
            Check("engine: no-new-privileges", "no-new-privileges" in (hc.get("SecurityOpt") or []),
                  str(hc.get("SecurityOpt"))),
            Check("engine: memory limit, swap equal", hc.get("Memory") == mem and hc.get("MemorySwap") == mem,
                  f"Memory={hc.get('Memory')} MemorySwap={hc.get('MemorySwap')}"),
            Check("engine: pids limit", hc.get("PidsLimit") == limits.pids, str(hc.get("PidsLimit"))),
            Check("engine: CPU quota", hc.get("NanoCpus") == int(limits.cpus * 1e9), str(hc.get("NanoCpus"))),
            Check("engine: size-capped tmpfs", all("size=" in v for v in (hc.get("Tmpfs") or {}).values())
                  and set(hc.get("Tmpfs") or {}) == {"/work", "/tmp"}, str(hc.get("Tmpfs"))),
            Check("engine: PID 1 drops to the non-root seat user",
                  (cfg.get("Cmd") or [])[:3] == ["setpriv", f"--reuid={seat_uid(0)}", f"--regid={seat_uid(0)}"],
                  str(cfg.get("Cmd"))),
            Check("engine: runtime", (hc.get("Runtime") or "runc") == (runtime or "runc"), str(hc.get("Runtime"))),
            Check("engine: no host mounts", not container.attrs.get("Mounts"), str(container.attrs.get("Mounts"))),
        ]
    finally:
        remove_container(container)


def _probe_checks(sandbox: Sandbox, limits: Limits, runtime: str | None) -> list[Check]:
    result = sandbox.run(RunSpec(language="python", source=PROBE, limits=limits))
    if result.status != Status.OK:
        return [Check("probe program ran", False, f"{result.status.value}: {result.message} {result.stderr[-500:]}")]
    p = json.loads(result.stdout)
    mem = limits.memory_mb * 1024 * 1024
    checks = [
        Check("inside: non-root uid/gid", p["uid"] != 0 and p["gid"] != 0, f"uid={p['uid']} gid={p['gid']}"),
        Check("inside: no capabilities", int(p["cap_eff"] or "1", 16) == 0 and int(p["cap_bnd"] or "1", 16) == 0,
              f"CapEff={p['cap_eff']} CapBnd={p['cap_bnd']}"),
        Check("inside: root filesystem not writable", not p["write_root"], ""),
        Check("inside: /work writable", p["write_work"], ""),
        Check("inside: program files and directory read-only", not p["write_program_dir"], ""),
        Check("inside: /work capped", 0 < p["work_bytes"] <= limits.work_disk_mb * 2**20,
              f"{p['work_bytes']} bytes"),
        Check("inside: /tmp capped", 0 < p["tmp_bytes"] <= limits.tmp_disk_mb * 2**20, f"{p['tmp_bytes']} bytes"),
        Check("inside: only loopback interface", set(p["interfaces"]) <= {"lo"}, str(p["interfaces"])),
        Check("inside: no egress by IP", not p["egress_ip"], ""),
        Check("inside: no DNS", not p["dns"], ""),
    ]
    if runtime != "runsc":  # gVisor's /proc and cgroups are its own; the engine-side checks cover them
        checks += [
            Check("inside: no_new_privs set", p["no_new_privs"] == "1", p["no_new_privs"]),
            Check("inside: seccomp filter active", p["seccomp"] == "2", p["seccomp"]),
            Check("inside: cgroup memory limit", p["mem_limit"] is not None and int(p["mem_limit"]) == mem,
                  str(p["mem_limit"])),
            Check("inside: cgroup memory+swap equal to memory",
                  p["memsw_limit"] is None or p["memsw_limit"] in (str(mem), "0"),
                  f"{p['memsw_limit']} (None: swap accounting off, engine-side MemorySwap checked)"),
            Check("inside: cgroup pids limit", p["pids_max"] == str(limits.pids), str(p["pids_max"])),
            Check("inside: cgroup CPU quota",
                  (p["cfs_quota"] and p["cfs_period"] and
                   abs(int(p["cfs_quota"]) / int(p["cfs_period"]) - limits.cpus) < 0.01)
                  or bool(p["cpu_max"] and p["cpu_max"].split()[0] != "max"),
                  f"quota={p['cfs_quota']} period={p['cfs_period']}"),
        ]
    return checks


def _behaviour_checks(sandbox: Sandbox) -> list[Check]:
    checks = []
    short = Limits(wall_time_s=1.0, cpu_time_s=1.0)
    r = sandbox.run(RunSpec(language="python", source="import time\ntime.sleep(30)", limits=short))
    checks.append(Check("limit: wall clock", r.status == Status.TIMEOUT, f"{r.status.value} in "
                                                                          f"{r.profile.wall_time_s:.2f}s"))
    r = sandbox.run(RunSpec(language="python", source="while True: pass", limits=short))
    checks.append(Check("limit: CPU time", r.status == Status.TIMEOUT, r.status.value))
    r = sandbox.run(RunSpec(language="python", limits=Limits(memory_mb=64),
                            source="b = []\nwhile True: b.append(bytearray(8 << 20))"))
    checks.append(Check("limit: memory (OOM)", r.status == Status.MEMORY_LIMIT, r.status.value))
    r = sandbox.run(RunSpec(language="python", source="import sys\nwhile True: sys.stdout.write('x' * 65536)",
                            limits=Limits(output_bytes=64 * 1024)))
    checks.append(Check("limit: output cap", r.status == Status.OUTPUT_LIMIT and r.stdout_truncated
                        and len(r.stdout) <= 64 * 1024, f"{r.status.value}, {len(r.stdout)} chars kept"))
    leave = ("import os, subprocess\nopen('/work/left', 'w').write('x'); open('/tmp/left', 'w').write('x')\n"
             "subprocess.Popen(['sleep', '300'], start_new_session=True)\n")
    look = ("import os\nprint(os.path.exists('/work/left') or os.path.exists('/tmp/left'), "
            "sum(1 for p in os.listdir('/proc') if p.isdigit()))")
    sandbox.run(RunSpec(language="python", source=leave))
    r = sandbox.run(RunSpec(language="python", source=look))
    fields = r.stdout.split()
    # PID 1 (sleep), the supervisor, sh/prlimit are gone, the probe itself: at most 3 pids.
    checks.append(Check("pool: nothing left by the previous run", r.warm and fields[:1] == ["False"]
                        and int(fields[1]) <= 3, f"warm={r.warm} {r.stdout.strip()}"))
    return checks


def run_checks(languages: list[str] | None = None, runtime: str | None = None) -> list[Check]:
    get_client()
    runtime = resolve_runtime(runtime)
    limits = Limits(runtime=runtime)
    checks = [Check("engine reachable", True, get_client().version().get("Version", "?"))]
    checks += _host_config_checks(limits, runtime)
    with Sandbox(pool_size=1) as sandbox:
        checks += _probe_checks(sandbox, limits, runtime)
        checks += _behaviour_checks(sandbox)
        for lang in languages or []:
            r = sandbox.run(RunSpec(language=lang, source=HELLO[lang], limits=limits))
            checks.append(Check(f"runs {lang}", r.status == Status.OK and r.stdout.strip() == "hello",
                                f"{r.status.value} {r.message} {r.stderr[-300:]}".strip()))
    return checks
