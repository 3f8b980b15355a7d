"""In-sandbox tracer for `refactorcoder trace -- COMMAND` (standard library only; shipped as main.py with one
job.json, which it reads and deletes first). Never run on the host. The design is in docs/tracing.md.

It runs the user's command (a script, `-m module`, or pytest) in this process with two instruments:

* times: a sampling clock (Clock: SIGPROF every ms of CPU, the interrupted stack walked), or with
  job["timer"] == "cprofile" the C profiler (exact calls and times, slower: under Python 3.11 any profiling
  hook turns off the specialising interpreter);
* inputs and call counts: an import hook wraps the functions, methods, staticmethods and classmethods a project
  module defines (a file under the project directory; test files and conftest.py aside) once the module ran.
  A wrapper counts calls and samples calls 1-4, 8, 16, 32, 64: the arguments pickled before the call, the
  return value (or the exception's type) and the arguments again after it (`self` included). Under cProfile,
  which counts calls itself, a wrapper puts the original back after its 64th call.

Pickles travel base64-encoded in the report and are unpickled only in a sandbox (replays), never on the host.
The command's stdout and stderr go to a file under /tmp; the report (after a marker carrying the job's nonce)
goes to the real stdout.
"""

import base64
import cProfile
import functools
import importlib.machinery
import json
import os
import pickle
import runpy
import sys
import time
import traceback
import types

HERE = os.path.dirname(os.path.abspath(__file__))
PER_FUNCTION = 8
LAST_SAMPLED_CALL = 64  # calls 1, 2, 3, 4, 8, 16, 32, 64; then no more samples
SAMPLE_CAP = 64 * 1024
TOTAL_CAP = 12 * 1024 * 1024  # all samples together (the report travels on stdout)
OUTPUT_TAIL = 8000
GENERATOR_FLAGS = 0x20 | 0x80 | 0x200  # CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR
CO_OPTIMIZED = 0x01  # a function's code (a module's or a class body's is not)
COMPREHENSIONS = (".<listcomp>", ".<dictcomp>", ".<setcomp>", ".<genexpr>")
# Left as they are: what pickling itself calls, or what wraps attribute access of every instance.
UNWRAPPED = {"__getattr__", "__getattribute__", "__setattr__", "__delattr__", "__reduce__", "__reduce_ex__",
             "__getstate__", "__setstate__", "__getnewargs__", "__getnewargs_ex__", "__repr__", "__del__",
             "__init_subclass__", "__class_getitem__", "__set_name__", "__copy__", "__deepcopy__", "__new__"}


def is_test_file(path):
    name = os.path.basename(path)
    return name == "conftest.py" or (name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py")))


def encode(blob):
    return base64.b64encode(blob).decode("ascii")


class Function:
    """The samples of one project function, and why it has none."""

    def __init__(self, code, classmethod_=False):
        self.code, self.classmethod = code, classmethod_
        self.calls, self.samples, self.why, self.done = 0, [], None, False
        self.generator = bool(code.co_flags & GENERATOR_FLAGS)


class Sampler:
    def __init__(self, root):
        self.root = root.rstrip("/") + "/"
        self.functions = {}  # code object -> Function
        self.total = 0
        self.busy = False  # pickling: the project's own methods that pickle calls run unsampled
        self.script = None  # the script a `python SCRIPT` command runs (as __main__)
        self.counting = True  # the wrappers count calls (the sampling clock), else they step aside (cProfile)

    # -- wrapping a project module's functions once it ran -----------------------------------------
    def owns(self, fn, module):
        """A function the module defines itself, under its own name (not a decorator's wrapper that copied the
        name of the function it wraps: its code is shared by every function the decorator wraps)."""
        return (isinstance(fn, types.FunctionType) and fn.__module__ == module.__name__
                and fn.__code__.co_filename == module.__file__ and "<" not in fn.__qualname__
                and getattr(fn.__code__, "co_qualname", fn.__qualname__) == fn.__qualname__)

    def wrap_module(self, module):
        for name, value in list(vars(module).items()):
            if self.owns(value, module):
                self.install(module, name, value, value, lambda w: w)
            elif isinstance(value, type) and value.__module__ == module.__name__ and value.__qualname__ == name:
                self.wrap_class(value, module)

    def wrap_class(self, cls, module):
        for name, member in list(vars(cls).items()):
            if name in UNWRAPPED:
                continue
            try:
                if self.owns(member, module):
                    self.install(cls, name, member, member, lambda w: w)
                elif isinstance(member, staticmethod) and self.owns(member.__func__, module):
                    self.install(cls, name, member, member.__func__, staticmethod)
                elif isinstance(member, classmethod) and self.owns(member.__func__, module):
                    self.install(cls, name, member, member.__func__, classmethod, True)
                elif isinstance(member, type) and member.__qualname__ == cls.__qualname__ + "." + name:
                    self.wrap_class(member, module)
            except (AttributeError, TypeError):  # a class that refuses new attributes keeps its functions
                continue

    def install(self, owner, name, original, fn, kind, is_classmethod=False):
        """Put `kind(wrapper of fn)` in `owner.name`; `original` goes back there when the wrapper is done
        (unless the program replaced the attribute since)."""
        record = self.functions.setdefault(fn.__code__, Function(fn.__code__, is_classmethod))
        sampler = self
        installed = []

        @functools.wraps(fn)
        def sampled(*args, **kwargs):
            n = record.calls = record.calls + 1
            if record.done:  # its samples are taken; unless it counts calls, the original goes back
                if not sampler.counting and vars(owner).get(name) is installed[0]:
                    setattr(owner, name, original)
                return fn(*args, **kwargs)
            if sampler.busy or (n > 4 and n & (n - 1)):
                return fn(*args, **kwargs)
            record.done = n >= LAST_SAMPLED_CALL
            return sampler.call(record, fn, args, kwargs)

        installed.append(kind(sampled))
        setattr(owner, name, installed[0])

    # -- one sampled call ---------------------------------------------------------------------------
    def call(self, record, fn, args, kwargs):
        if len(record.samples) >= PER_FUNCTION or self.total >= TOTAL_CAP:
            if self.total >= TOTAL_CAP and not record.samples:
                record.why = "the trace's sample budget was spent"
            record.done = True
            return fn(*args, **kwargs)
        shown = args[1:] if record.classmethod else args  # a classmethod's cls is not an input
        blob = self.pickled((shown, kwargs), record)
        if blob is None or any(s["args"] == blob for s in record.samples):
            return fn(*args, **kwargs)
        sample = {"args": blob, "output": None, "raised": None, "after": None, "generator": record.generator}
        record.samples.append(sample)
        self.total += len(blob)
        if record.generator:  # its answer is what it yields later: replays compare it in the sandbox
            return fn(*args, **kwargs)
        try:
            value = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: B036 - recorded, then raised on as it was
            sample["raised"] = type(exc).__name__
            raise
        finally:
            after = self.pickled((shown, kwargs), None)
            if after is not None and after != blob:
                sample["after"] = after
                self.total += len(after)
        out = self.pickled(value, None)
        if out is not None:
            sample["output"] = out
            self.total += len(out)
        return value

    def pickled(self, value, record):
        """The pickle of `value`, or None (too large, not picklable, or naming the script's __main__)."""
        self.busy = True
        try:
            blob = pickle.dumps(value, protocol=4)
        except Exception as exc:  # noqa: BLE001 - an unpicklable value is skipped, the program goes on
            if record is not None and not record.samples:
                record.why = "inputs not picklable (%s: %s)" % (type(exc).__name__, str(exc)[:120])
            return None
        finally:
            self.busy = False
        if len(blob) > SAMPLE_CAP or b"__main__" in blob:
            if record is not None and not record.samples:
                record.why = ("inputs larger than %d KiB" % (SAMPLE_CAP // 1024) if len(blob) > SAMPLE_CAP
                              else "inputs refer to the script's own __main__ objects")
            return None
        return blob


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


class ProjectModules:
    """A meta path finder: a project module's functions are wrapped by the sampler once the module ran."""

    def __init__(self, sampler):
        self.sampler = sampler

    def find_spec(self, name, path=None, target=None):
        spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        origin = getattr(spec, "origin", None) or ""
        if spec is None or not origin.startswith(self.sampler.root) or is_test_file(origin) or \
                not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            return None
        spec.loader = SampledLoader(spec.loader.name, spec.loader.path, self.sampler)
        return spec


class SampledLoader(importlib.machinery.SourceFileLoader):
    def __init__(self, fullname, path, sampler):
        super().__init__(fullname, path)
        self.sampler = sampler

    def exec_module(self, module):
        super().exec_module(module)
        self.sampler.wrap_module(module)


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
