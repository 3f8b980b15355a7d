"""Optional gVisor runtime: only when `runsc` is registered with the engine."""

from __future__ import annotations

import pytest

from sandbox import Limits, RunSpec, SandboxUnavailable, Status

pytestmark = pytest.mark.docker


def _runsc_available() -> bool:
    from sandbox.engine import available_runtimes

    return "runsc" in available_runtimes()


def test_unregistered_runtime_is_an_error_not_a_downgrade(sandbox):
    with pytest.raises(SandboxUnavailable):
        sandbox.run(RunSpec(language="python", source="print(1)", limits=Limits(runtime="no-such-runtime")))


@pytest.mark.slow
def test_runs_under_gvisor_with_limits(sandbox):
    from tests.conftest import require_real_part

    require_real_part(None if _runsc_available() else
                      "runsc is not registered with the engine (REFACTORCODER_GVISOR=1 bash scripts/ensure-docker.sh)")
    limits = Limits(runtime="runsc", wall_time_s=2)
    r = sandbox.run(RunSpec(language="python", limits=limits,
                            source="import os, socket\nprint(os.getuid(), open('/proc/version').read()[:40])\n"
                                   "socket.create_connection(('1.1.1.1', 53), timeout=1)"))
    assert r.status == Status.FAILED  # no network
    assert r.stdout.startswith("65534 ")
    assert sandbox.run(RunSpec(language="python", source="import time\ntime.sleep(10)", limits=limits)).status \
        == Status.TIMEOUT
    mem = sandbox.run(RunSpec(language="python", source="b = b'x' * (1 << 30)",
                              limits=Limits(runtime="runsc", memory_mb=128)))
    assert mem.status == Status.MEMORY_LIMIT
