"""Differential tests for C++, Java, Go, Rust and JavaScript (issue 8): a model-written input generator --
a driver program that calls the function on literal inputs and prints each result -- is run in the
sandbox with the original; its output is the oracle every candidate must reproduce.

The driver is written once per job, kept only when it compiles and runs cleanly on the original, and
never shown to the models that write candidates (their feedback says only "behaved differently on some
inputs"). The driver replaces the file's own `main` (code.append_program).

State guard (the brace languages' counterpart of differential.state_problems): the driver's entry point
is renamed (tree-sitter finds it) and a new entry runs it twice in one process, each pass preceded by a
separator line that carries a per-job nonce. A candidate whose second pass prints something else than its
first -- a cache in a static or global that serves stale answers, behaviour that changes after N calls, an
exit mid-way -- is rejected. The guard is skipped, with the reason logged and noted in the report, when the
original itself does not repeat (the driver keeps state of its own, or exits) or the doubled driver does not
build; the plain driver then stays the differential test. Limit: a cache that returns the right answers for
repeated inputs is behaviourally invisible here (same calls in the same order; Python's guard also reorders),
but it cannot win the timing either: timed runs make one call per process, each answer compared with the
original's (orchestrator/verify/running/percall.py).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field

from orchestrator import code as code_module
from orchestrator import prompts
from source import languages

log = logging.getLogger(__name__)
PASSES = 2
# The renamed entry point: unlikely to clash with a driver's own names.
ENTRY = {"cpp": "rc_driver_main", "java": "rcDriverMain", "go": "rcDriverMain", "rust": "rc_driver_main",
         "js": "rcDriverMain"}


def _sandbox_key(language: str) -> str:
    found = languages.lookup(language)
    return found.sandbox if found is not None else language


def _entry_code(lang: str, separator: str, args: bool) -> str:
    entry = ENTRY[lang]
    if lang == "cpp":
        call = f"{entry}(rc_argc, rc_argv)" if args else f"{entry}()"
        # Both the C and the C++ stream are flushed around the separator: a driver may use either, and may
        # have turned off their synchronisation.
        return (f"int main(int rc_argc, char** rc_argv) {{\n"
                f"    for (int rc_pass = 0; rc_pass < {PASSES}; rc_pass++) {{\n"
                f"        std::cout << std::flush; std::fflush(stdout);\n"
                f"        std::printf(\"%s\\n\", \"{separator}\"); std::fflush(stdout);\n"
                f"        int rc_status = {call};\n"
                f"        std::cout << std::flush; std::fflush(stdout);\n"
                f"        if (rc_status != 0) return rc_status;\n"
                f"    }}\n    return 0;\n}}\n")
    if lang == "java":
        call = f"{entry}(rcArgs)" if args else f"{entry}()"
        return (f"    public static void main(String[] rcArgs) throws Throwable {{\n"
                f"        for (int rcPass = 0; rcPass < {PASSES}; rcPass++) {{\n"
                f"            System.out.flush();\n            System.out.println(\"{separator}\");\n"
                f"            {call};\n            System.out.flush();\n        }}\n    }}\n")
    if lang == "go":
        return (f"func main() {{\n\tfor rcPass := 0; rcPass < {PASSES}; rcPass++ {{\n"
                f"\t\trcfmt.Println(\"{separator}\")\n\t\t{entry}()\n\t}}\n}}\n")
    if lang == "rust":
        return (f"fn main() {{\n    for _ in 0..{PASSES} {{\n        println!(\"{separator}\");\n"
                f"        let _ = {entry}();\n    }}\n}}\n")
    return (f"for (let rcPass = 0; rcPass < {PASSES}; rcPass++) {{\n"
            f"  console.log(\"{separator}\");\n  {entry}();\n}}\n")


def repeat_driver(driver: str, language: str, separator: str) -> tuple[str | None, str]:
    """The driver with its entry point renamed and a new entry that runs it twice in one process, each
    pass after a `separator` line: (program, "") or (None, why not). C++ `main`, Go `func main`, Rust
    `fn main`, Java's `static void main` (the new one goes in the same class); JavaScript's top-level
    statements (its imports and `require`s stay at the top) become a function's body."""
    lang = _sandbox_key(language)
    if lang not in ENTRY:
        return None, f"no state guard for {language}"
    if lang == "js":
        imports, body = code_module.split_imports(driver, lang)
        head = "\n".join(imports) + "\n\n" if imports else ""
        wrapped = f"{head}function {ENTRY[lang]}() {{\n{body}\n}}\n\n{_entry_code(lang, separator, False)}"
        doc = code_module.document(wrapped, lang)
        if doc.tree is None or doc.tree.root_node.has_error:
            return None, "the input generator does not parse as JavaScript top-level code"
        return wrapped, ""
    doc = code_module.document(driver, lang)
    mains = [f for f in doc.outline() if f.name == "main" and f.depth == 0 and (
        b"static" in doc.source[f.start_byte:f.name_start_byte] if lang == "java" else f.kind == "function")]
    if len(mains) != 1:
        return None, f"the input generator has {len(mains) or 'no'} entry points (main) where one was expected"
    main = mains[0]
    if main.has_error:
        return None, "the input generator's main does not parse"
    if lang == "cpp" and len(main.params) not in (0, 2):
        return None, "the input generator's main takes other parameters than (argc, argv)"
    src = doc.source
    entry = ENTRY[lang].encode()
    body_end = main.end_byte
    # A renamed C++ main loses its implicit `return 0` (falling off a non-void function's end is undefined).
    tail = b"\n    return 0;\n}" if lang == "cpp" and src[body_end - 1:body_end] == b"}" else src[body_end - 1:body_end]
    new_entry = _entry_code(lang, separator, bool(main.params)).encode()
    out = (src[:main.name_start_byte] + entry + src[main.name_end_byte:body_end - 1] + tail
           + b"\n\n" + new_entry + src[body_end:])
    text = out.decode("utf-8", "replace")
    prefix = {"cpp": "#include <cstdio>\n#include <iostream>\n", "go": 'import rcfmt "fmt"\n'}.get(lang, "")
    return prefix + text, ""


def split_passes(stdout: str, separator: str) -> tuple[list[str], list[list[str]]]:
    """(lines before the first pass, each pass's lines) of a repeated driver's output."""
    parts = stdout.split(separator)
    passes = [(p[1:] if p.startswith("\n") else p).rstrip("\n").splitlines() for p in parts[1:]]
    return parts[0].rstrip("\n").splitlines(), passes


@dataclass
class ProgramCheck:
    passed: bool
    lines: int
    summary: str
    state: list[str] = field(default_factory=list)  # why the output depends on state kept between calls


class ProgramDifferential:
    def __init__(self, job):
        self.job = job
        self.driver: str | None = None  # the program appended to a candidate (the repeated one when guarded)
        self.oracle: list[str] | None = None  # the original's lines: before the first pass, then the first pass
        self.why_not: str | None = None
        self.separator = f"--refactorcoder-pass-{secrets.token_hex(8)}--"
        self.repeated = False  # the driver runs twice per process and a second pass must repeat the first
        self.state_why_not: str | None = None  # why the state guard is off

    @property
    def ready(self) -> bool:
        return self.oracle is not None

    def program(self, candidate: str, driver: str | None = None) -> str:
        target = self.job.target
        return code_module.append_program(target.with_code(candidate), driver or self.driver or "", target.language)

    def _run(self, candidate: str, driver: str | None = None):
        from sandbox.models import Limits, RunSpec

        spec = RunSpec(language=self.job.target.language, source=self.program(candidate, driver),
                       limits=Limits(wall_time_s=20, cpu_time_s=20, compile_time_s=120))
        return self.job.exe.runner.run(spec)

    def prepare(self, model: str) -> bool:
        """Ask `model` for the driver and run it on the original; False (with `why_not`) when unusable."""
        job, target = self.job, self.job.target
        job.event("stage", stage="differential", message="writing test inputs and running them on the original")
        answer, _ = job.ask("refine", model, prompts.input_driver_messages(
            target.language, target.name, target.code, job.problem_text, target.class_name))
        from models.parsing import extract_code

        driver = extract_code(answer, target.language)
        if not driver:
            self.why_not = "the input generator's answer had no code block"
            return False
        if self._prepare_repeated(driver):
            return True
        self.driver = driver
        result = self._run(target.code)
        if not result.ok or not result.stdout.strip():
            detail = (result.compile.stderr if result.compile is not None and result.compile.stderr else result.stderr)
            self.why_not = (f"the model-written input generator did not run cleanly on the original "
                            f"({result.status.value}): {(detail or result.message or '').strip()[-300:]}")
            self.driver = None
            return False
        self.oracle = result.stdout.rstrip("\n").splitlines()
        return True

    def _prepare_repeated(self, driver: str) -> bool:
        """The doubled driver on the original: True when it is the differential test from now on (with
        the state guard on when the original repeats itself); False to fall back to the plain driver."""
        repeated, why = repeat_driver(driver, self.job.target.language, self.separator)
        if repeated is None:
            self._skip_guard(why)
            return False
        result = self._run(self.job.target.code, repeated)
        if not result.ok:
            self._skip_guard(f"the doubled input generator did not run on the original ({result.status.value})")
            return False
        before, passes = split_passes(result.stdout, self.separator)
        if not passes or not (before + passes[0]):
            self._skip_guard("the doubled input generator printed nothing on the original")
            return False
        self.driver, self.oracle = repeated, before + passes[0]
        if len(passes) < PASSES:
            self._skip_guard("the original's process ends during the first pass (the input generator exits)")
        elif passes[1] != passes[0]:
            self._skip_guard("the original prints something else when the same calls are repeated in one process "
                             "(the function or the input generator keeps state)")
        else:
            self.repeated = True
        return True

    def _skip_guard(self, why: str) -> None:
        self.state_why_not = why
        log.warning("state guard skipped for %s: %s", self.job.target.label(), why)

    def check(self, candidate: str) -> ProgramCheck:
        result = self._run(candidate)
        n = len(self.oracle or [])
        if not result.ok:
            return ProgramCheck(False, n, f"differential (model-written inputs): the candidate "
                                          f"{'did not compile' if result.status.value == 'compile_error' else 'failed'} "
                                          f"({result.status.value})")
        passes: list[list[str]] = []
        if self.driver is not None and self.separator in self.driver:
            before, passes = split_passes(result.stdout, self.separator)
            got = before + (passes[0] if passes else [])
        else:
            got = result.stdout.rstrip("\n").splitlines()
        state = self._state(passes) if self.repeated else []
        wrong = [i for i in range(max(n, len(got))) if i >= n or i >= len(got) or got[i] != self.oracle[i]]
        if wrong:
            return ProgramCheck(False, n, f"differential (model-written inputs): {len(wrong)} of {n} output lines "
                                          f"differ from the original's (first at line {wrong[0] + 1})", state)
        return ProgramCheck(True, n, f"differential (model-written inputs): all {n} output lines agree", state)

    def _state(self, passes: list[list[str]]) -> list[str]:
        if len(passes) < PASSES:
            return ["the process ended before the same calls were repeated (the candidate exits or stops printing)"]
        first, second = passes[0], passes[1]
        differing = sum(1 for i in range(max(len(first), len(second)))
                        if i >= len(first) or i >= len(second) or first[i] != second[i])
        if differing:
            return [f"answers change when the same calls are repeated in one process ({differing} of "
                    f"{len(first)} output lines differ in the second pass)"]
        return []
