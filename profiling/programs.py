"""Programs that can be looped: how a measurement asks "run the workload N times, in one fresh process".

A :class:`Program` turns a repeat count into a ``sandbox.RunSpec``. The count always travels as the
program's **last command-line argument**, so every language can honour it:

* :func:`python_workload` -- a generated driver imports the candidate module and evaluates a workload
  expression N times (e.g. ``two_sum(list(range(2000)), 3997)``);
* :func:`python_script` / :func:`js_script` -- a driver runs a whole script N times in one process
  (fresh globals each time, stdin replayed, output discarded);
* :func:`repeat_arg` -- a program of any language that loops itself N times, N read from its last
  argument (C++, Java, Go and Rust, whose ``main`` cannot be re-entered from outside; state crosses its
  repetitions, so optimize's verification times those languages one call per process instead:
  orchestrator/verify/running/percall.py);
* :func:`fixed` -- a program that cannot loop: one run per sample, whatever its length.

The sandbox package is imported lazily (it imports ``profiling.metrics`` itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional


@dataclass
class Program:
    """``build(repeat) -> RunSpec``; ``check(result) -> message | None`` is called by the measurement on
    every run of this program that makes calls (warm-up, calibration, every timed sample; not the repeat-0
    start-up runs, which call nothing): a message means the run's answers are wrong, and the measurement
    stops with :class:`profiling.BehaviourMismatch`. A timed run is thereby a checked run."""

    build: Callable[[int], Any]  # repeat count -> RunSpec
    loopable: bool = True
    label: str = ""
    check: Optional[Callable[[Any], Optional[str]]] = None

    def spec(self, repeat: int):
        return self.build(repeat)


def as_program(value: Any) -> Program:
    """Accept a Program, a RunSpec (not loopable) or a callable ``repeat -> RunSpec``."""
    if isinstance(value, Program):
        return value
    if hasattr(value, "language") and hasattr(value, "limits"):
        return fixed(value)
    if callable(value):
        return Program(value, True)
    raise TypeError(f"cannot measure {type(value).__name__}: want a Program, a RunSpec or repeat -> RunSpec")


def fixed(spec) -> Program:
    """One run of ``spec`` per sample (it cannot repeat its workload)."""
    return Program(lambda _n: spec, loopable=False, label=spec.language)


def repeat_arg(spec) -> Program:
    """``spec`` reads its repeat count from its last argument and loops that many times itself."""
    return Program(lambda n: spec.model_copy(update={"args": [*spec.args, str(n)]}), True, spec.language)


def _run_spec(**kwargs):
    from sandbox.models import RunSpec

    return RunSpec(**{k: v for k, v in kwargs.items() if v is not None})


PY_WORKLOAD_DRIVER = """\
import sys
_n = int(sys.argv[-1])
import candidate as _candidate
_ns = vars(_candidate)
exec(compile({setup!r}, "<setup>", "exec"), _ns)
_code = compile({workload!r}, "<workload>", "eval")
for _ in range(_n):
    eval(_code, _ns)
"""


def python_workload(source: str, workload: str, *, setup: str = "", files: Optional[dict[str, str]] = None,
                    limits=None, stdin: Optional[str] = None, label: str = "python") -> Program:
    """Candidate module ``source`` (saved as ``candidate.py``); ``workload`` is an expression evaluated in
    its namespace N times per sample; ``setup`` runs once per process before the loop (not timed apart:
    it is part of every sample of both programs alike)."""
    compile(workload, "<workload>", "eval")  # a syntax error is the caller's, not the sandbox's
    compile(setup, "<setup>", "exec")
    driver = PY_WORKLOAD_DRIVER.format(setup=setup, workload=workload)

    def build(n: int):
        return _run_spec(language="python", files={"main.py": driver, "candidate.py": source, **(files or {})},
                         args=[str(n)], limits=limits, stdin=stdin)

    return Program(build, True, label)


PY_SCRIPT_DRIVER = """\
import io, os, sys
_n = int(sys.argv[-1])
sys.argv = ["program.py", *sys.argv[1:-1]]
with open("program.py", encoding="utf-8") as _f:
    _code = compile(_f.read(), "program.py", "exec")
_stdin = sys.stdin.read()
_out = open(os.devnull, "w")
_real_out = sys.stdout
for _ in range(_n):
    sys.stdin, sys.stdout = io.StringIO(_stdin), _out
    try:
        exec(_code, {"__name__": "__main__", "__file__": "program.py", "__builtins__": __builtins__})
    except SystemExit as _exit:
        if _exit.code not in (None, 0):
            sys.stdout = _real_out
            raise
sys.stdout = _real_out
"""


def python_script(source: str, *, args: Optional[list[str]] = None, files: Optional[dict[str, str]] = None,
                  limits=None, stdin: Optional[str] = None, label: str = "python") -> Program:
    """A whole Python script run N times in one process (fresh globals, stdin replayed, stdout discarded)."""

    def build(n: int):
        return _run_spec(language="python", files={"main.py": PY_SCRIPT_DRIVER, "program.py": source,
                                                   **(files or {})},
                         args=[*(args or []), str(n)], limits=limits, stdin=stdin)

    return Program(build, True, label)


JS_SCRIPT_DRIVER = """\
const fs = require('fs'), path = require('path'), Module = require('module');
const n = parseInt(process.argv[process.argv.length - 1], 10);
const file = path.join(__dirname, 'program.js');
const src = fs.readFileSync(file, 'utf8');
let input = '';
try { input = fs.readFileSync(0, 'utf8'); } catch (e) { input = ''; }
const readFileSync = fs.readFileSync;
fs.readFileSync = function (target, ...rest) {  // replay stdin to every repetition
  if (target === 0 || target === '/dev/stdin') return input;
  return readFileSync.call(fs, target, ...rest);
};
process.argv = [process.argv[0], file, ...process.argv.slice(2, -1)];
console.log = () => {}; console.info = () => {};
process.stdout.write = () => true;
for (let i = 0; i < n; i++) {
  const m = new Module(file, null);
  m.filename = file;
  m.paths = Module._nodeModulePaths(__dirname);
  m._compile(src, file);
}
"""


def js_script(source: str, *, args: Optional[list[str]] = None, files: Optional[dict[str, str]] = None,
              limits=None, stdin: Optional[str] = None, label: str = "js") -> Program:
    """A whole (synchronous) JavaScript program run N times in one node process, output discarded.
    Programs that read stdin with ``fs.readFileSync(0)`` get it replayed; event-driven stdin is not."""

    def build(n: int):
        return _run_spec(language="js", files={"main.js": JS_SCRIPT_DRIVER, "program.js": source, **(files or {})},
                         args=[*(args or []), str(n)], limits=limits, stdin=stdin)

    return Program(build, True, label)


def program_for_source(language: str, source: str, *, workload: Optional[str] = None, setup: str = "",
                       self_looping: bool = False, stdin: Optional[str] = None, limits=None,
                       label: str = "") -> Program:
    """The natural loopable form of a source file: Python/JS scripts get a driver, a Python module with a
    ``workload`` expression gets the workload driver, other languages loop only when ``self_looping``."""
    label = label or language
    if workload is not None:
        if language != "python":
            raise ValueError("a workload expression is supported for Python only; for other languages the "
                             "program loops itself (self_looping=True: the count is its last argument)")
        return python_workload(source, workload, setup=setup, limits=limits, stdin=stdin, label=label)
    if self_looping:
        return repeat_arg(_run_spec(language=language, source=source, stdin=stdin, limits=limits))
    if language == "python":
        return python_script(source, limits=limits, stdin=stdin, label=label)
    if language == "js":
        return js_script(source, limits=limits, stdin=stdin, label=label)
    return fixed(_run_spec(language=language, source=source, stdin=stdin, limits=limits))
