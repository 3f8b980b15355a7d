"""In-sandbox driver for Python candidates: a trusted parent that never runs candidate code (standard library
only; shipped as main.py with its helpers driver_isolation.py, driver_imports.py, driver_guard.py, driver_child.py,
driver_fork.py, driver_tests.py and driver_profile.py as rc_driver_*.py, and one job.json).

Before anything else it marks itself non-dumpable (a process of the same uid cannot read its memory or
open its file descriptors through /proc) and a child subreaper (whatever a call leaves running is
re-parented here), reads job.json and deletes it. It imports the modules the ORIGINAL target module imports
from outside the project (job["preload"], so a call does not pay for them), compiles the project modules of
job["precompile"] without running them, and records the writable areas. Then every call runs in a process
forked for it alone (driver_fork.py): fd 1/2 go to a capture pipe, every other descriptor (the report's included) is closed,
the module is imported, the call made and its record written to a result pipe, all behind the guard
(driver_guard.py: the candidate cannot reach the checking code beside it, and an attempt is reported as
tampering; the pipe's lines carry a token only that process's checking code holds). After each call every process
it left is killed, the files it left in /work, /tmp and /dev/shm are removed and System V IPC objects
deleted; a call that changed a file that was there before is "tampered" (and so is everything after it).
No state crosses calls: a cache keyed on inputs never wins, and timed runs (job["loops"] repetitions of
the call list, every call's record digested) are the same kind of run as checked ones.

Modes: calls (args/kwargs or workload expressions; digests per call per repetition, full records of the
first repetition on request), tests (one process per test source; a pytest project's under real pytest,
driver_pytest.py), select (which tests run the target, on the original), profile (cProfile of the workload).
The report goes to stdout once, after a marker carrying the job's nonce.
"""

import builtins
import gc
import hashlib
import importlib
import importlib.machinery
import importlib.util
import json
import os
import signal
import sys
import time

RECORD_CAP = 64 * 1024  # a first-repetition record above this is reported by its digest
HERE = os.path.dirname(os.path.abspath(__file__))


def take_job():
    path = os.path.join(HERE, "job.json")
    with open(path, "rb") as fh:
        data = fh.read()
    os.remove(path)
    return json.loads(data)


# -- the driver's helpers: loaded before any candidate code, on a private copy of builtins ----------


def load_helper(name):
    """A helper module from this directory. Its functions get a private copy of builtins (a candidate that
    rebinds builtins.isinstance changes nothing here) and it leaves sys.modules in every call's process."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    module.__dict__["__builtins__"] = dict(vars(builtins))
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# -- modes -----------------------------------------------------------------------------------------


def digest(record):
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:16], text


def tampered_report(what):
    return {"ok": False, "status": "tampered", "tampered": [what],
            "error": "the candidate tampered with the driver's checking code: " + what}


def mode_calls(job):
    calls, loops = job["calls"], int(job.get("loops", 1))
    orders = job.get("orders") or [list(range(len(calls)))]
    timeout = job.get("call_timeout_s")
    deadline = timeout + 2.0 if timeout else None  # the whole call's process: its import included
    track_state, want_records = bool(job.get("state")), bool(job.get("records"))
    passes, digests, raised, changed, cpu = [], [], {}, set(), []
    for rep in range(loops):
        for o, order in enumerate(orders):
            pass_digests, pass_records = {}, {}
            cpu.append(0.0)
            for index in order:
                spec = calls[index]
                outcome = FORK.run_child(lambda emit, s=spec: CHILD.call(emit, job["module"], job.get("qualname"), s,
                                                                    track_state), deadline)
                cpu[-1] += outcome.cpu_s
                tampering = outcome.tampering()
                if tampering:
                    return tampered_report("call %d: %s" % (index + 1, tampering))
                payload = (outcome.lines() or [{}])[0]
                if "load_error" in payload:
                    return dict(payload, ok=False, error=payload["load_error"])
                record = payload.get("record")
                if not isinstance(record, dict):
                    record = {"r": None, "e": "timeout" if outcome.timed_out else outcome.why(), "m": None, "o": ""}
                if AREAS.tampered:
                    record["t"] = "changed the program's files: " + ", ".join(AREAS.tampered[:5])
                key, text = digest(record)
                pass_digests[str(index)] = key
                changed.update(s for s in payload.get("state", []) if isinstance(s, str))
                if rep == 0:
                    if record.get("e") is not None and str(index) not in raised:
                        raised[str(index)] = str(record["e"])
                    if want_records:
                        pass_records[str(index)] = record if len(text) <= RECORD_CAP else dict(
                            record, r="sha256:%s (%d bytes)" % (key, len(text)), o=record.get("o", "")[:200])
            if rep == 0:
                passes.append(pass_records)
                digests.append(pass_digests)
            else:  # the common case (every repetition answers alike) costs one character in the report
                digests.append("=" if pass_digests == digests[o] else pass_digests)
    report = {"loops": loops, "orders": len(orders), "digests": digests, "raised": raised,
              "state_changed": sorted(changed), "tampered": AREAS.tampered,
              "pass_cpu_s": [round(c, 6) for c in cpu]}  # the calls' processes, per pass (fork overhead included)
    if want_records:
        report["passes"] = passes
    return report


def mode_tests(job):
    """Each test source in processes of its own: one runs its tests until one of them ends the process (a
    crash, a hang killed at the time limit), the next goes on after it. Tampering in any of them (reported by
    the guard, or lines on the result pipe without the process's token) fails every test of the run."""
    timeout = job.get("test_timeout_s", 10)
    results, tampering = [], []
    for spec in job["tests"]:
        got, ran = [], set()
        for _attempt in range(200):
            runner = PYTEST if spec.get("runner") == "pytest" else TESTS  # real pytest: rc_driver_pytest
            outcome = FORK.run_child(lambda emit, s=spec, skip=frozenset(ran), r=runner: r.run_tests(
                emit, job["module"], job.get("qualname"), s, skip), timeout + 2.0, progress=True)
            if outcome.tampering():
                tampering.append(outcome.tampering())
            current, finished = None, False
            for event in outcome.lines():
                if "load_error" in event and not tampering:
                    return dict(event, ok=False, error=event["load_error"])
                if "start" in event:
                    current = str(event["start"])
                    ran.add(current)
                elif isinstance(event.get("result"), dict):
                    got.append(event["result"])
                    current = None
                elif event.get("end"):
                    finished = True
            if finished or tampering:
                break
            why = outcome.why() + (":\n" + outcome.diag[-1500:] if outcome.diag.strip() else "")
            if outcome.timed_out:
                why = "timed out (%.0f s without a test finishing)" % timeout
            if current is None:  # it ended outside any test (collecting them): nothing more will come
                got.append(TESTS.result(spec["suite"], spec.get("path") or spec["name"], "failed",
                                        "the tests' process ended before they ran: " + why))
                break
            got.append(TESTS.result(spec["suite"], current, "failed", "the test's process " + why))
        if tampering and not got:
            got.append(TESTS.result(spec["suite"], spec.get("path") or spec["name"], "failed", ""))
        results += got
        if tampering:
            break
    why = None
    if tampering:
        why = "the candidate tampered with the driver's checking code: " + "; ".join(dict.fromkeys(tampering))
    elif AREAS.tampered:
        why = "the code changed the program's files: " + ", ".join(AREAS.tampered[:5])
    if why:
        for rec in results:
            rec.update(status="failed", passed=False, error=why)
        return {"tests": results, "tampered": [why]}
    return {"tests": results}


def mode_select(job):
    """Which tests of the project's test files run the target, on the ORIGINAL, under real pytest with a call hook
    (rc_driver_pytest.select; no guard: no candidate runs here, and the hook is what the guard refuses). A test
    that hangs (select_test_timeout_s without a line) or ends its process is left out and the run goes on after
    it in a new process, within select_timeout_s in all."""
    stop_at = time.monotonic() + job.get("select_timeout_s", 300)
    found, ran, problems, finished = [], set(), [], False
    while not finished and time.monotonic() < stop_at:
        outcome = FORK.run_child(lambda emit, skip=frozenset(ran): PYTEST.select(emit, job["select"], skip, stop_at),
                            job.get("select_test_timeout_s", 60), progress=True, guarded=False)
        current = None
        for event in outcome.lines():
            if "start" in event:
                current = str(event["start"])
                ran.add(current)
            elif isinstance(event.get("select"), dict):
                found.append(event["select"])
                current = None
            elif event.get("error"):
                problems.append(str(event["error"]))
            elif event.get("end"):
                finished = True
        if not finished:
            problems.append("%s: %s" % (current or "collecting the tests", outcome.why()))
            if current is None:
                break
    return {"selected": found, "finished": finished and not problems,
            "error": "; ".join(problems)[-1500:] or None}


def mode_profile(job):
    """The target's per-line profile and cProfile's top functions over the workload (guidance for the model,
    never a check: it runs without the guard, whose hook refuses the tracing hooks profiles need)."""
    profiler = load_helper("rc_driver_profile")
    outcome = FORK.run_child(lambda emit: profiler.profile(emit, CHILD, job["module"], job.get("qualname"),
                                                      [c["expr"] for c in job["calls"]],
                                                      max(1, int(job.get("loops", 1))), job.get("top", 12)),
                        None, guarded=False)
    payload = (outcome.lines() or [{"error": "the profile's process " + outcome.why()}])[0]
    if "load_error" in payload:
        return dict(payload, ok=False, error=payload["load_error"])
    if "error" in payload:
        return {"ok": False, "error": payload["error"]}
    return {"profile": str(payload.get("profile", ""))}


def emit_report(nonce, payload):
    data = ("\n@@RC-DRIVER-" + nonce + "@@\n" + json.dumps(payload, default=repr)).encode()
    while data:
        data = data[os.write(1, data):]


def load_shim():
    """The pytest look-alike (shim/pytest.py), imported here so that the guard seals it like unittest; a
    project's own pytest.py (first on the path) is left to the tests' processes."""
    spec = importlib.machinery.PathFinder.find_spec("pytest")
    shim = os.path.join(HERE, "shim", "pytest.py")
    if spec is None or os.path.abspath(spec.origin or "") != shim:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["pytest"] = module
    spec.loader.exec_module(module)


def prepare(job):
    """Everything the calls share, done once in the parent: paths, packages, preloads, compiled modules, the
    guard's view of what existed before any candidate."""
    for entry in reversed(job.get("paths", [])):
        sys.path.insert(0, os.path.abspath(entry))
    if job.get("site"):  # the workspace's packages (a read-only image layer): after the project and the stdlib
        import site

        site.addsitedir(job["site"])
    sys.meta_path.insert(0, IMPORTS)
    for name, rel in job.get("precompile", []):
        IMPORTS.precompile(name, rel)
    for name in job.get("preload", []):
        try:
            importlib.import_module(name)
        except BaseException:  # noqa: B036 - a call that needs it reports the failure itself
            continue
    if PYTEST is not None:  # real pytest, imported here so that the guard seals it (never the shim then)
        PYTEST.load(job.get("site"), job["precompile"][0][1])
    elif job["mode"] == "tests":
        load_shim()
    if "random" in sys.modules:  # same pseudo-random numbers in every call and every run
        sys.modules["random"].seed(0)
    own = [sys.modules[__name__]] + [sys.modules[n] for n in sys.modules if n.startswith("rc_driver_")]
    # The project's other modules the target imports, compiled here from their read-only files before any candidate:
    # their code may read its caller's frame (boltons' make_sentinel names a sentinel after its module).
    project_code = [IMPORTS.compiled[name][1] for name, _ in job.get("precompile", [])[1:] if name in IMPORTS.compiled]
    GUARD.prepare([m for m in own if m is not IMPORTS_MODULE], job["mode"] == "tests", project_code)
    gc.collect()
    gc.freeze()  # the forked calls do not copy-on-write the parent's objects by collecting them


IMPORTS_MODULE = load_helper("rc_driver_imports")
IMPORTS = IMPORTS_MODULE.ProjectImports(HERE)
ISOLATION = GUARD = CHILD = TESTS = PYTEST = FORK = AREAS = None  # set by main()


def main():
    global ISOLATION, GUARD, CHILD, TESTS, PYTEST, FORK, AREAS
    ISOLATION = load_helper("rc_driver_isolation")
    ISOLATION.harden()
    job = take_job()  # first, in every mode: the job (and its nonce) is not on disk when any call runs
    nonce = job.pop("nonce")
    os.chdir(HERE)  # everything is relative to this file's directory (a runner may start it elsewhere)
    sys.dont_write_bytecode = True
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(0)
    wake_r, wake_w = os.pipe()  # SIGCHLD wakes the wait for a call's process (rc_driver_fork) through this pipe
    os.set_blocking(wake_w, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_w)
    try:
        load_helper("rc_driver_seal")  # the guard's sealing of the test machinery, imported by the guard
        GUARD = load_helper("rc_driver_guard")
        CHILD = load_helper("rc_driver_child")
        FORK = load_helper("rc_driver_fork")
        if job["mode"] in ("tests", "select"):  # doctest and unittest are heavy imports: only where tests run
            TESTS = load_helper("rc_driver_tests")
        if job["mode"] == "select" or any(s.get("runner") == "pytest" for s in job.get("tests", [])):
            load_helper("rc_driver_pytest_integrity")
            load_helper("rc_driver_pytest_results")
            PYTEST = load_helper("rc_driver_pytest")
        prepare(job)
        AREAS = ISOLATION.Areas()
        FORK.use(wake_r, IMPORTS, GUARD, ISOLATION, AREAS)
        modes = {"calls": mode_calls, "tests": mode_tests, "profile": mode_profile, "select": mode_select}
        payload = modes[job["mode"]](job)
        payload.setdefault("ok", True)
    except BaseException as exc:  # noqa: B036 - the driver's own failure, reported
        import traceback

        payload = {"ok": False, "error": "the driver failed: %s: %s" % (type(exc).__name__, exc),
                   "traceback": traceback.format_exc(limit=8)[-3000:]}
    emit_report(nonce, payload)
    sys.exit(0 if payload["ok"] else 1)


main()
