"""The Sandbox: owner of a warm pool of containers per (language, container limits).

A pooled container keeps its resident supervisor and the stream to it (sandbox/session.py), so a warm run
is one request on an open stream. It is reused only after its supervisor reported that every process of
the previous session is gone and every writable area and SysV IPC object was wiped; otherwise it is
discarded, stream and all.

A payload of several programs (a measurement's A and B, a timing screen's candidates; profiling/batch.py) runs
each program in a container of its own, its seat: seat i's containers run as their own uid
(sandbox/containers.py), so A and B share no uid, process, IPC, network or mount namespace and no writable
area, and neither can read the other's files. The host interleaves their steps over the two streams in the
payload's order (sandbox/session.py, ``interleave``); each seat keeps its own warm pool.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from collections import defaultdict

from sandbox.containers import RECYCLE_AFTER_S, create_container, remove_container, sweep_orphans
from sandbox.engine import get_client
from sandbox.images import require_image
from sandbox.models import Limits, Result, RunSpec, Status
from sandbox.runner import payload_for, report_bytes_budget, result_from_report, session_deadline
from sandbox.session import SessionOutcome, SupervisorStream, interleave

log = logging.getLogger(__name__)
_live: "weakref.WeakSet[Sandbox]" = weakref.WeakSet()


@atexit.register
def _close_all() -> None:  # nothing is left behind when the interpreter exits normally
    for sandbox in list(_live):
        sandbox.close()


class _Slot:
    def __init__(self, container, created: float, seat: int = 0):
        self.container = container
        self.created = created
        self.seat = seat
        self.stream: SupervisorStream | None = None  # the resident supervisor, started on first use

    def ensure_stream(self) -> SupervisorStream:
        if self.stream is None:
            self.stream = SupervisorStream.start(self.container, self.seat)
        return self.stream

    def discard(self) -> None:
        if self.stream is not None:
            self.stream.close()
        remove_container(self.container)


class Sandbox:
    """Runs specs in hardened containers; keeps up to ``pool_size`` idle containers per key warm.

    ``pool_size=0`` gives a fresh container for every run (cold). Thread-safe: concurrent runs use
    different containers.
    """

    def __init__(self, pool_size: int = 2, sweep: bool = True):
        get_client()  # raises SandboxUnavailable early, with instructions
        if sweep:
            sweep_orphans()
        self.pool_size = pool_size
        self._idle: dict[tuple, list[_Slot]] = defaultdict(list)
        self._busy: set = set()
        self._lock = threading.Lock()
        self._closed = False
        self._images: dict[str, str] = {}
        _live.add(self)

    # -- context manager -------------------------------------------------------------------------
    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            slots = [s for group in self._idle.values() for s in group] + list(self._busy)
            self._idle.clear()
            self._busy.clear()
        for slot in slots:
            slot.discard()

    # -- pool ------------------------------------------------------------------------------------
    def _image(self, language: str) -> str:
        # Checked with the engine once per Sandbox; `sandbox build` is not expected meanwhile.
        if language not in self._images:
            self._images[language] = require_image(language)
        return self._images[language]

    def _key(self, language: str, limits: Limits, image: str | None = None, seat: int = 0) -> tuple:
        return (language, image, seat, *limits.container_key())

    def _image_for(self, language: str, image: str | None) -> str:
        """The language's image, or a layer derived from it (sandbox.layers), checked once per Sandbox."""
        if image is None:
            return self._image(language)
        if image not in self._images:
            from sandbox.layers import require_layer

            self._images[image] = require_layer(language, image)
        return self._images[image]

    def warm(self, language: str, limits: Limits | None = None, count: int | None = None, seats: int = 1) -> None:
        """Start containers ahead of time so that the first runs are warm too; ``seats=2`` also warms the
        containers a measurement's B runs in."""
        limits = limits or Limits()
        image = self._image(language)
        want = self.pool_size if count is None else count
        for seat in range(seats):
            key = self._key(language, limits, seat=seat)
            while True:
                with self._lock:
                    if len(self._idle[key]) >= want:
                        break
                slot = _Slot(create_container(image, limits, language, seat), time.time(), seat)
                try:
                    slot.ensure_stream()  # the first run is warm too: no exec, no interpreter start
                except Exception:
                    slot.discard()
                    raise
                with self._lock:
                    self._idle[key].append(slot)

    def _acquire(self, language: str, limits: Limits, layer: str | None = None,
                 seat: int = 0) -> tuple[_Slot, bool]:
        key = self._key(language, limits, layer, seat)
        image = self._image_for(language, layer)
        with self._lock:
            if self._closed:
                raise RuntimeError("Sandbox is closed")
            while self._idle[key]:
                slot = self._idle[key].pop()
                if time.time() - slot.created < RECYCLE_AFTER_S:
                    self._busy.add(slot)
                    return slot, True
                slot.discard()
        slot = _Slot(create_container(image, limits, language, seat), time.time(), seat)
        with self._lock:
            self._busy.add(slot)
        return slot, False

    def _release(self, language: str, limits: Limits, slot: _Slot, usable: bool, layer: str | None = None) -> None:
        key = self._key(language, limits, layer, slot.seat)
        with self._lock:
            self._busy.discard(slot)
            keep = usable and not self._closed and len(self._idle[key]) < self.pool_size
            if keep:
                self._idle[key].append(slot)
        if not keep:
            slot.discard()

    def session(self, language: str, limits: Limits, payload: dict,
                image: str | None = None, cancel=None) -> tuple[SessionOutcome, bool]:
        """Run one supervisor payload in a (warm if possible) container; returns (outcome, warm).
        `image`: a layer derived from the language's image (sandbox.layers), else the image itself.
        A payload with ``programs`` runs each program in a container of its own seat (``programs[i]["seat"]``,
        distinct), their steps interleaved in the payload's order; its report is laid out as a single session's.
        `cancel` (a threading.Event; single-container sessions): once set, the run is stopped and its container
        removed (the outcome's ``extra["cancelled"]``)."""
        if "programs" in payload:
            return self._programs_session(language, limits, payload, image)
        return self._session_on(language, limits, payload, image, 0, cancel)

    def _programs_session(self, language: str, limits: Limits, payload: dict,
                          image: str | None) -> tuple[SessionOutcome, bool]:
        programs = payload["programs"]
        seats = [program.get("seat", number) for number, program in enumerate(programs)]
        if len(set(seats)) != len(seats):
            raise ValueError(f"each program of a session needs a seat of its own, got {seats}")
        if len(programs) == 1:  # one container anyway: one request, as a single run
            steps = [{k: v for k, v in step.items() if k != "program"} for step in payload["steps"]]
            return self._session_on(language, limits, dict(programs[0], steps=steps), image, seats[0])
        slots: list[_Slot] = []
        usable: list[bool] = []
        warm = True
        try:
            for seat in seats:
                slot, slot_warm = self._acquire(language, limits, image, seat)
                slots.append(slot)
                warm = warm and slot_warm
            try:
                streams = [slot.ensure_stream() for slot in slots]
            except Exception as exc:
                return SessionOutcome(error=f"exec failed: {exc}", usable=False), warm
            outcome, usable = interleave(streams, payload, session_deadline,
                                         lambda n: report_bytes_budget(limits, max(n, 1)))
            return outcome, warm
        finally:
            for number, slot in enumerate(slots):
                self._release(language, limits, slot, number < len(usable) and usable[number], image)

    def _session_on(self, language: str, limits: Limits, payload: dict, image: str | None,
                    seat: int, cancel=None) -> tuple[SessionOutcome, bool]:
        slot, warm = self._acquire(language, limits, image, seat)
        outcome = None
        try:
            try:
                stream = slot.ensure_stream()
            except Exception as exc:
                outcome = SessionOutcome(error=f"exec failed: {exc}", usable=False)
                return outcome, warm
            outcome = stream.request(payload, session_deadline(payload["steps"]),
                                     report_bytes_budget(limits, len(payload["steps"])), cancel)
            return outcome, warm
        finally:
            self._release(language, limits, slot, bool(outcome and outcome.usable), image)

    # -- API -------------------------------------------------------------------------------------
    def run(self, spec: RunSpec, image: str | None = None, cancel=None) -> Result:
        """Run `spec`; `cancel` (a threading.Event) stops it when set: the container is removed, and the result is
        a sandbox error whose message starts with "cancelled"."""
        start = time.monotonic()
        payload, has_compile = payload_for(spec)
        outcome, warm = self.session(spec.language, spec.limits, payload, image, cancel)
        if outcome.report is None:
            state = outcome.extra.get("container_state", {})
            # Under gVisor the memory cgroup's OOM killer hits the whole sandbox (its sentry), so the
            # container disappears instead of one process being killed.
            gvisor_killed = (spec.limits.runtime == "runsc" and not outcome.timed_out
                             and (state.get("status") != "running" or "urpc" in outcome.supervisor_stderr))
            status = (Status.MEMORY_LIMIT if state.get("oom_killed") or gvisor_killed
                      else Status.TIMEOUT if outcome.timed_out else Status.SANDBOX_ERROR)
            if gvisor_killed:
                outcome.error = "the gVisor sandbox was killed (by the memory cgroup's OOM killer, most likely)"
            result = Result(status=status, phase="sandbox", language=spec.language, limits=spec.limits,
                            message=(outcome.error or "") + (
                                f"\n{outcome.supervisor_stderr[-2000:]}" if outcome.supervisor_stderr else ""))
        else:
            result = result_from_report(outcome.report, spec, has_compile)
        result.warm = warm
        program_time = result.profile.wall_time_s + (result.compile.profile.wall_time_s if result.compile else 0.0)
        result.overhead_s = max(0.0, time.monotonic() - start - program_time)
        return result


def run(spec: RunSpec) -> Result:
    """Run one spec in a fresh container that is removed afterwards (no pool is kept)."""
    with Sandbox(pool_size=0) as sandbox:
        return sandbox.run(spec)
