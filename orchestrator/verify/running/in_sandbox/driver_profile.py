"""Profile the workload on the original, in the sandbox: guidance for the model, never a check.

Two views, both taken here because the workload is the user's code and never runs on the host:
- a per-line profile of the target function (hits and share of its time per line, the time of calls made on a line
  counted to that line, as line_profiler does): what the "hot lines" strategy of a search round edits;
- cProfile's top functions by own time: where the time goes outside the target.

Standard library only (the sandbox image has no line_profiler). The line profile traces only the target's own code
object, so everything else runs at full speed apart from the cost of one trace call per Python call.
"""

import sys
import time

LINES_SHOWN = 60  # the target's lines listed at most (a long function: its hottest ones)


def _target_code(module, qualname):
    """The code object of `module.<qualname>` (functions, methods, static/class methods, decorated ones that keep
    __wrapped__), or None."""
    obj = module
    for part in (qualname or "").split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    obj = getattr(obj, "__func__", obj)
    while hasattr(obj, "__wrapped__"):
        obj = obj.__wrapped__
    return getattr(obj, "__code__", None)


class LineTimes:
    """Per line of one code object: hits and seconds, from the time between successive line events of each frame
    (a recursive call's frames each keep their own last line)."""

    def __init__(self, code):
        self.code = code
        self.hits = {}
        self.seconds = {}

    def _local(self, frame, event, arg):
        # One tracer per frame: `last` is the line now running in this frame and when it started.
        last = [None, 0.0]

        def trace(frame, event, arg):
            now = time.perf_counter()
            if last[0] is not None:
                self.seconds[last[0]] = self.seconds.get(last[0], 0.0) + now - last[1]
            if event == "line":
                self.hits[frame.f_lineno] = self.hits.get(frame.f_lineno, 0) + 1
                last[0], last[1] = frame.f_lineno, time.perf_counter()
            elif event == "return":
                last[0] = None
            else:  # "exception": the line goes on (or the frame returns next)
                last[1] = time.perf_counter()
            return trace

        return trace(frame, event, arg)

    def _global(self, frame, event, arg):
        if event == "call" and frame.f_code is self.code:
            return self._local(frame, event, arg)
        return None

    def run(self, fn):
        sys.settrace(self._global)
        try:
            fn()
        finally:
            sys.settrace(None)

    def text(self, source_lines, first_line):
        """The function's lines numbered from 1 (its `def` line), as the model sees the function."""
        total = sum(self.seconds.values())
        if not self.hits or total <= 0:
            return ""
        numbers = range(first_line, first_line + len(source_lines))
        shown = [n for n in numbers if n in self.hits]
        if len(shown) > LINES_SHOWN:
            shown = sorted(sorted(shown, key=lambda n: -self.seconds.get(n, 0.0))[:LINES_SHOWN])
        rows = ["per-line profile of the function (line 1 = its def line; a line's time includes the calls made "
                "on it):", "  line      hits   time  source"]
        for n in shown:
            share = 100.0 * self.seconds.get(n, 0.0) / total
            rows.append("%6d %9d %5.1f%%  %s" % (n - first_line + 1, self.hits[n], share,
                                                  source_lines[n - first_line].rstrip()[:100]))
        return "\n".join(rows)


def _function_source(path, code):
    """The function's source lines from its file (the module the driver wrote) and its first line number."""
    import inspect

    try:
        lines, first = inspect.getsourcelines(code)
        return lines, first
    except (OSError, TypeError):
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read().splitlines(True)
        except OSError:
            return [], code.co_firstlineno
        return text[code.co_firstlineno - 1:code.co_firstlineno + 200], code.co_firstlineno


def _cprofile_top(run, top):
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(run)
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).strip_dirs().sort_stats("tottime").print_stats(top)
    lines = [ln for ln in stream.getvalue().splitlines() if ln.strip() and "rc_driver_" not in ln
             and "{built-in method builtins.eval}" not in ln and "<workload>" not in ln]
    return "\n".join(lines[-(top + 2):])


def profile(emit, child, module_name, qualname, exprs, loops, top):
    """Emit {"profile": text}: the target's per-line profile (when it ran) then cProfile's top functions.
    `child` is the driver's rc_driver_child module (loading, output capture, error descriptions)."""
    codes = [compile(expr, "<workload>", "eval") for expr in exprs]
    try:
        with child.Captured():
            module, _ = child.load(module_name, None)
    except BaseException as exc:  # noqa: B036
        emit(child.load_error(exc))
        return
    namespace = dict(vars(module))

    def run():
        for _ in range(loops):
            for code in codes:
                eval(code, namespace)

    parts = []
    try:
        target = _target_code(module, qualname)
        if target is not None:
            times = LineTimes(target)
            with child.Captured():
                times.run(run)
            lines, first = _function_source(getattr(module, "__file__", ""), target)
            parts.append(times.text(lines, first))
        with child.Captured():
            parts.append(_cprofile_top(run, top))
    except BaseException as exc:  # noqa: B036
        emit({"error": child.describe(exc)})
        return
    emit({"profile": "\n\n".join(p for p in parts if p)})
