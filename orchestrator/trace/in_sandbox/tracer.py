"""In-sandbox tracer for `refactorcoder trace -- COMMAND` (standard library only; shipped as main.py with its
helper rc_tracer_inputs.py and one job.json, which it reads and deletes first). Never run on the host. The design
is in docs/tracing.md.

It runs the user's command (a script, `-m module`, or pytest) in this process with two instruments:

* times: a sampling clock (Clock: SIGPROF every ms of CPU, the interrupted stack walked), or with
  job["timer"] == "cprofile" the C profiler (exact calls and times, slower: under Python 3.11 any profiling
  hook turns off the specialising interpreter);
* inputs and call counts: an import hook wraps the functions a project module defines once the module ran, and
  the wrappers sample their calls (tracer_inputs.py, shipped as rc_tracer_inputs.py).

Pickles travel base64-encoded in the report and are unpickled only in a sandbox (replays), never on the host.
The command's stdout and stderr go to a file under /tmp; the report (after a marker carrying the job's nonce)
goes to the real stdout.
"""

import base64
import cProfile
import importlib.util
import json
import os
import runpy
import sys
import time
import traceback
import types

HERE = os.path.dirname(os.path.abspath(__file__))
OUTPUT_TAIL = 8000
CO_OPTIMIZED = 0x01  # a function's code (a module's or a class body's is not)
COMPREHENSIONS = (".<listcomp>", ".<dictcomp>", ".<setcomp>", ".<genexpr>")


def load_helper(name):
    """A helper module shipped beside this file, loaded by its path: no module of the project (whose paths go
    first on sys.path) can stand in for it."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


INPUTS = load_helper("rc_tracer_inputs")
Sampler, ProjectModules, is_test_file = INPUTS.Sampler, INPUTS.ProjectModules, INPUTS.is_test_file


def encode(blob):
    return base64.b64encode(blob).decode("ascii")


class Clock:
    """A sampling profiler: every INTERVAL_S of the process's CPU time (ITIMER_PROF, SIGPROF) the handler walks
    the interrupted stack; the innermost frame's function gets an "own" sample if it is the project's, and each
    project function on the stack a "cumulative" one (once per sample, recursion or not). Seconds are the
    samples' share of the command's measured CPU time. Nothing runs between the samples: the interpreter keeps
    its specialised fast paths (any profiling hook turns them off in Python 3.11)."""

    INTERVAL_S = 0.001

    def __init__(self, root):
        self.root = root.rstrip("/") + "/"
        self.own, self.cumulative, self.mine, self.total = {}, {}, {}, 0
        self.previous = None

    def tick(self, signum, frame):
        self.total += 1
        mine, own, cumulative = self.mine, self.own, self.cumulative
        seen = []
        innermost = True
        while frame is not None:
            code = frame.f_code
            ours = mine.get(code)
            if ours is None:
                path = code.co_filename
                ours = mine[code] = path.startswith(self.root) and not is_test_file(path)
            if ours:
                if innermost:
                    own[code] = own.get(code, 0) + 1
                if code not in seen:
                    seen.append(code)
                    cumulative[code] = cumulative.get(code, 0) + 1
            innermost = False
            frame = frame.f_back

    def start(self):
        import signal

        self.previous = signal.signal(signal.SIGPROF, self.tick)
        signal.setitimer(signal.ITIMER_PROF, self.INTERVAL_S, self.INTERVAL_S)

    def stop(self):
        import signal

        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.signal(signal.SIGPROF, self.previous or signal.SIG_DFL)

    def stats(self, sampler, cpu_s):
        """{(file, first line, name): (calls, calls, own seconds, cumulative seconds)}, as cProfile keys them;
        calls None where no wrapper counted them."""
        per_sample = cpu_s / self.total if self.total else self.INTERVAL_S
        counted = {code: record.calls for code, record in sampler.functions.items() if record.calls}
        out = {}
        for code in set(self.own) | set(self.cumulative) | set(counted):
            if not self.mine.get(code, True):
                continue
            calls = counted.get(code)
            out[(code.co_filename, code.co_firstlineno, code.co_name)] = (
                calls, calls, self.own.get(code, 0) * per_sample, self.cumulative.get(code, 0) * per_sample)
        return out


# -- running the command ------------------------------------------------------------------------


def run_command(job):
    """Run the command as python would; returns its exit status (SystemExit's code or 1 for an exception)."""
    kind, argv = job["kind"], job["argv"]
    try:
        if kind == "pytest":
            import pytest

            return int(pytest.main(argv, plugins=[]))
        sys.argv = list(argv)
        if kind == "module":
            runpy.run_module(argv[0], run_name="__main__", alter_sys=True)
        else:
            sys.path.insert(0, os.path.dirname(os.path.abspath(argv[0])))
            runpy.run_path(os.path.abspath(argv[0]), run_name="__main__")
        return 0
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except BaseException:  # noqa: B036 - the user's program failed: its traceback is its output
        traceback.print_exc()
        return 1


def code_names(path):
    """(first line, co_name) -> qualname of every function compiled from the file at `path` (from its source:
    cProfile names a function by file, line and bare name)."""
    try:
        with open(path, "rb") as fh:
            top = compile(fh.read(), path, "exec", dont_inherit=True)
    except (OSError, SyntaxError, ValueError):
        return {}
    names, todo = {}, [top]
    while todo:
        code = todo.pop()
        if code.co_flags & CO_OPTIMIZED:
            names[(code.co_firstlineno, code.co_name)] = getattr(code, "co_qualname", code.co_name)
        todo += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    return names


def cprofile_stats(profiler):
    import pstats

    return {key: value[:4] for key, value in pstats.Stats(profiler).stats.items()}


def functions_table(stats, sampler, root):
    """Per project function: calls, own and cumulative seconds (`stats`, keyed as cProfile keys them) and the
    sampler's inputs."""
    records = {(c.co_filename, c.co_firstlineno, c.co_name): r for c, r in sampler.functions.items()}
    prefix = root.rstrip("/") + "/"
    files, rows, folded = {}, [], {}
    for (path, line, name), (primitive, calls, own, cumulative) in stats.items():
        if not path.startswith(prefix) or is_test_file(path):
            continue
        if path not in files:
            files[path] = code_names(path)
        qualname = files[path].get((line, name))
        if qualname is None or qualname.startswith("<"):
            continue  # a module's or class body's code, or a comprehension or lambda of no function
        rel = path[len(prefix):]
        if qualname.endswith(COMPREHENSIONS):  # its time is its function's own time
            key = (rel, qualname.rsplit(".<locals>.", 1)[0])
            folded[key] = folded.get(key, 0.0) + own
            continue
        record = records.get((path, line, name))
        samples = [{"args": encode(s["args"]), "output": encode(s["output"]) if s["output"] else None,
                    "raised": s["raised"], "after": encode(s["after"]) if s["after"] else None,
                    "generator": s["generator"]} for s in (record.samples if record else [])]
        why = None
        if not samples:
            why = (record.why or "no call was sampled") if record else (
                "not callable by name (nested function or lambda)" if "<locals>" in qualname else
                "the script's own function (run as __main__): timed, not sampled" if path == sampler.script else
                "not sampled (defined or decorated so that the sampler cannot wrap it)")
        rows.append({"path": rel, "qualname": qualname, "line": line, "calls": calls, "primitive_calls": primitive,
                     "own_s": own, "cumulative_s": cumulative, "samples": samples, "unsampled": why})
    for row in rows:
        row["own_s"] += folded.get((row["path"], row["qualname"]), 0.0)
    rows.sort(key=lambda r: -r["own_s"])
    return rows


def main():
    path = os.path.join(HERE, "job.json")
    with open(path, "rb") as fh:
        job = json.loads(fh.read())
    os.remove(path)
    nonce = job.pop("nonce")
    sys.dont_write_bytecode = True
    root = os.path.abspath(os.path.join(HERE, job["root"]))
    os.chdir(os.path.normpath(os.path.join(root, job.get("cwd", "."))))
    for entry in reversed(job.get("paths", [])):
        sys.path.insert(0, os.path.normpath(os.path.join(root, entry)))
    if job.get("site"):
        import site

        site.addsitedir(job["site"])
    real_out = os.dup(1)
    log_path = "/tmp/rc-trace-output.txt"
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    traced = bool(job.get("trace", True))
    exact = job.get("timer") == "cprofile"  # deterministic and exact, at 1.5-3x the untraced time
    sampler = Sampler(root)
    sampler.counting = not exact
    if job["kind"] == "script":
        sampler.script = os.path.abspath(job["argv"][0])
    profiler = cProfile.Profile(builtins=False) if exact else Clock(root)
    wall, cpu = time.perf_counter(), time.process_time()
    if traced:
        sys.meta_path.insert(0, ProjectModules(sampler))
        profiler.enable() if exact else profiler.start()
    try:
        exit_code = run_command(job)
    finally:
        if traced:
            profiler.disable() if exact else profiler.stop()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:  # noqa: BLE001 - the user's code may have replaced or closed them
        pass
    os.dup2(real_out, 1)
    with open(log_path, "rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - OUTPUT_TAIL))
        tail = fh.read().decode("utf-8", "replace")
    report = {"exit_code": exit_code, "wall_s": wall, "cpu_s": cpu, "output_tail": tail, "traced": traced,
              "functions": functions_table(cprofile_stats(profiler) if exact else profiler.stats(sampler, cpu),
                                           sampler, root) if traced else [],
              "sample_bytes": sampler.total, "timer": "cprofile" if exact else "sampling",
              "clock_samples": 0 if exact or not traced else profiler.total}
    data = ("\n@@RC-TRACE-" + nonce + "@@\n" + json.dumps(report)).encode()
    while data:
        data = data[os.write(1, data):]


main()
