"""In-sandbox tracer for `refactorcoder trace -- COMMAND` (standard library only; shipped as main.py with one
job.json, which it reads and deletes first). Never run on the host.

It runs the user's command (a script, `-m module`, or pytest) in this process with two hooks:

* cProfile (the C profiler, builtins off): call counts, own and cumulative time of every Python function;
* a global sys.settrace hook that only looks at 'call' events: for a function of the project (a file under
  the project directory, test files and conftest.py aside) it takes a bounded sample of real inputs -- calls
  1-4 and then every power of two (1, 2, 3, 4, 8, 16, ...), at most PER_FUNCTION pickles of at most SAMPLE_CAP
  bytes each -- and, for those calls only, a local hook (line events off) that pickles the return value and
  the arguments again after the call (what the function changed in them, `self` included).

Everything else the hook sees costs one dict lookup. Pickles travel base64-encoded in the report and are
unpickled only in a sandbox (replays): the host never unpickles them. The command's stdout and stderr go to
a file under /tmp; the report (after a marker carrying the job's nonce) goes to the real stdout.
"""

import base64
import cProfile
import json
import os
import pickle
import runpy
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
PER_FUNCTION = 8
SAMPLE_CAP = 64 * 1024
TOTAL_CAP = 12 * 1024 * 1024  # all samples together (the report travels on stdout)
MAX_ATTEMPTS = 24  # pickling attempts per function (unpicklable inputs stop costing after this)
OUTPUT_TAIL = 8000
GENERATOR_FLAGS = 0x20 | 0x80 | 0x200  # CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR
CO_OPTIMIZED = 0x01  # a function's code (a module's or a class body's is not)
COMPREHENSIONS = (".<listcomp>", ".<dictcomp>", ".<setcomp>", ".<genexpr>")
VARARGS, VARKEYWORDS = 0x04, 0x08


def is_test_file(path):
    name = os.path.basename(path)
    return name == "conftest.py" or (name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py")))


class Function:
    """What the sampler knows of one project function's code object."""

    __slots__ = ("path", "qualname", "line", "calls", "samples", "attempts", "why", "skip", "generator", "params")

    def __init__(self, path, code):
        self.path, self.line = path, code.co_firstlineno
        self.qualname = getattr(code, "co_qualname", code.co_name)
        self.calls, self.samples, self.attempts = 0, [], 0
        self.why, self.skip = None, False  # why it has no samples; skip: never sampled
        self.generator = bool(code.co_flags & GENERATOR_FLAGS)
        n = code.co_argcount + code.co_kwonlyargcount
        names = code.co_varnames
        self.params = (names[:code.co_argcount], names[code.co_argcount:n],
                       names[n] if code.co_flags & VARARGS else None,
                       names[n + bool(code.co_flags & VARARGS)] if code.co_flags & VARKEYWORDS else None)
        if "<" in self.qualname:  # a lambda, comprehension or nested function: nothing can name it for a replay
            self.why, self.skip = "not callable by name (nested function, lambda or comprehension)", True


def encode(blob):
    return base64.b64encode(blob).decode("ascii")


class Sampler:
    def __init__(self, root):
        self.root = root.rstrip("/") + "/"
        self.functions = {}  # code object -> Function, or None when not the project's
        self.total = 0
        self.hook = self.make_hook()

    def function(self, code):
        path = code.co_filename
        fn = None
        if path.startswith(self.root) and code.co_flags & CO_OPTIMIZED and not is_test_file(path):
            fn = Function(path[len(self.root):], code)
        self.functions[code] = fn
        return fn

    def make_hook(self):
        functions, lookup = self.functions, self.function
        missing = object()

        def hook(frame, event, arg):  # only 'call' events reach a global hook
            fn = functions.get(frame.f_code, missing)
            if fn is missing:
                fn = lookup(frame.f_code)
            if fn is None:
                return None
            fn.calls += 1
            n = fn.calls
            if fn.skip or len(fn.samples) >= PER_FUNCTION or (n > 4 and n & (n - 1)):
                return None
            return self.sample(fn, frame)

        return hook

    def inputs(self, fn, frame):
        """(args, kwargs) of the call, as a caller would pass them (a classmethod's cls left out)."""
        local = frame.f_locals
        positional, keyword_only, star, star_star = fn.params
        args = [local[name] for name in positional]
        if star is not None:
            args += list(local[star])
        kwargs = {name: local[name] for name in keyword_only}
        if star_star is not None:
            kwargs.update(local[star_star])
        if "." in fn.qualname and positional and positional[0] == "cls" and isinstance(args[0], type):
            args = args[1:]
        return tuple(args), kwargs

    def sample(self, fn, frame):
        if fn.attempts >= MAX_ATTEMPTS or self.total >= TOTAL_CAP:
            fn.skip = True
            fn.why = fn.why or "the trace's sample budget was spent"
            return None
        fn.attempts += 1
        try:
            args, kwargs = self.inputs(fn, frame)
            blob = pickle.dumps((args, kwargs), protocol=4)
        except Exception as exc:  # noqa: BLE001 - an unpicklable input is skipped, the run goes on
            fn.why = "inputs not picklable (%s: %s)" % (type(exc).__name__, str(exc)[:120])
            return None
        if len(blob) > SAMPLE_CAP or b"__main__" in blob:
            if not fn.samples:
                fn.why = ("inputs larger than %d KiB" % (SAMPLE_CAP // 1024) if len(blob) > SAMPLE_CAP
                          else "inputs refer to the script's own __main__ objects")
            return None
        if any(s["args"] == blob for s in fn.samples):
            return None
        record = {"args": blob, "output": None, "raised": None, "after": None, "generator": fn.generator}
        fn.samples.append(record)
        self.total += len(blob)
        if fn.generator:  # its answer is what it yields later: replays compare it in the sandbox
            return None
        frame.f_trace_lines = False
        seen = []

        def local(frame, event, arg):
            if event == "exception":
                seen[:] = [arg[0].__name__]
            elif event == "return":
                self.finish(record, args, kwargs, blob, arg, seen[0] if seen and arg is None else None)
            return local

        return local

    def finish(self, record, args, kwargs, blob, value, raised):
        if raised is not None:
            record["raised"] = raised
        else:
            try:
                out = pickle.dumps(value, protocol=4)
                if len(out) <= SAMPLE_CAP:
                    record["output"] = out
                    self.total += len(out)
            except Exception:  # noqa: BLE001 - the input is kept; its answer is compared in the sandbox anyway
                pass
        try:
            after = pickle.dumps((args, kwargs), protocol=4)
        except Exception:  # noqa: BLE001
            after = blob
        if after != blob and len(after) <= SAMPLE_CAP:
            record["after"] = after
            self.total += len(after)


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


def functions_table(profiler, sampler, root):
    """Per project function: calls, own and cumulative seconds (cProfile) and the sampler's inputs."""
    import pstats

    stats = pstats.Stats(profiler).stats
    by_place = {}
    for code, fn in sampler.functions.items():
        if fn is not None:
            by_place[(code.co_filename, code.co_firstlineno, code.co_name)] = fn
    prefix = root.rstrip("/") + "/"
    rows, folded = [], {}
    for (path, line, name), (primitive, calls, own, cumulative, _callers) in stats.items():
        if not path.startswith(prefix) or is_test_file(path):
            continue
        fn = by_place.get((path, line, name))
        if fn is None and (by_place or name.startswith("<")):
            continue  # a module's or class body's code (or, when the hook was replaced, a nameless one)
        qualname = fn.qualname if fn else name
        if qualname.startswith("<"):  # module-level code: a comprehension or lambda of no function
            continue
        if qualname.endswith(COMPREHENSIONS):  # its time is its function's own time
            parent = (path[len(prefix):], qualname.rsplit(".<locals>.", 1)[0])
            folded[parent] = folded.get(parent, 0.0) + own
            continue
        samples = []
        for s in (fn.samples if fn else []):
            samples.append({"args": encode(s["args"]), "output": encode(s["output"]) if s["output"] else None,
                            "raised": s["raised"], "after": encode(s["after"]) if s["after"] else None,
                            "generator": s["generator"]})
        rows.append({"path": path[len(prefix):], "qualname": qualname, "line": line,
                     "calls": calls, "primitive_calls": primitive, "own_s": own, "cumulative_s": cumulative,
                     "samples": samples, "unsampled": (fn.why if fn else "not seen by the sampler")
                     if not samples else None})
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
    os.chdir(root)
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
    sampler = Sampler(root)
    profiler = cProfile.Profile(builtins=False)
    wall, cpu = time.perf_counter(), time.process_time()
    if traced:
        sys.settrace(sampler.hook)
        profiler.enable()
    try:
        exit_code = run_command(job)
    finally:
        if traced:
            profiler.disable()
            sys.settrace(None)
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
              "functions": functions_table(profiler, sampler, root) if traced else [],
              "sample_bytes": sampler.total}
    data = ("\n@@RC-TRACE-" + nonce + "@@\n" + json.dumps(report)).encode()
    while data:
        data = data[os.write(1, data):]


main()
