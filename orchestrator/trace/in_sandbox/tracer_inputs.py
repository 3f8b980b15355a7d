"""The tracer's inputs (part of the in-sandbox tracer, tracer.py; standard library only; shipped beside it as
rc_tracer_inputs.py and loaded by path). Never run on the host.

An import hook (ProjectModules) wraps the functions, methods, staticmethods and classmethods a project module
defines (a file under the project directory; test files and conftest.py aside) once the module ran. A wrapper
counts calls and samples calls 1-4, 8, 16, 32, 64: the arguments pickled before the call, the return value (or
the exception's type) and the arguments again after it (`self` included). Under cProfile, which counts calls
itself, a wrapper puts the original back after its 64th call.
"""

import functools
import importlib.machinery
import os
import pickle
import types

PER_FUNCTION = 8
LAST_SAMPLED_CALL = 64  # calls 1, 2, 3, 4, 8, 16, 32, 64; then no more samples
SAMPLE_CAP = 64 * 1024
TOTAL_CAP = 12 * 1024 * 1024  # all samples together (the report travels on stdout)
GENERATOR_FLAGS = 0x20 | 0x80 | 0x200  # CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR
# Left as they are: what pickling itself calls, or what wraps attribute access of every instance.
UNWRAPPED = {"__getattr__", "__getattribute__", "__setattr__", "__delattr__", "__reduce__", "__reduce_ex__",
             "__getstate__", "__setstate__", "__getnewargs__", "__getnewargs_ex__", "__repr__", "__del__",
             "__init_subclass__", "__class_getitem__", "__set_name__", "__copy__", "__deepcopy__", "__new__"}


def is_test_file(path):
    name = os.path.basename(path)
    return name == "conftest.py" or (name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py")))


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
