"""From a model's answer to a HumanEval-X / HumanEvalPack program that the sandbox can test.

Models asked for "the complete function" answer with the whole function (often with includes, imports,
a ``main`` or a ``class Solution`` around it). The candidate is the problem's preamble (the prompt without
the entry function's own header: includes, imports, helper functions) followed by the answer's code, with
the answer's own ``main`` removed (the test brings its own) and, for Rust, its duplicate ``use`` lines.
"""

from __future__ import annotations

import re

from sandbox.harness import run_tests
from sandbox.humaneval import candidate_and_test, go_single_file
from sandbox.languages import main_file
from sandbox.models import Limits, TestCase, TestReport

LSP_ID = {"python": "python", "cpp": "cpp", "java": "java", "go": "go", "rust": "rust", "js": "javascript"}
MAIN = {"cpp": r"\bint\s+main\s*\([^)]*\)\s*\{", "go": r"\bfunc\s+main\s*\(\s*\)\s*\{",
        "rust": r"\bfn\s+main\s*\(\s*\)\s*\{", "java": r"(?:public\s+)?class\s+Main\b[^{]*\{"}

# Headers a model's C++ may rely on without including them (cheaper to compile than <bits/stdc++.h>).
CPP_HEADERS = "".join(f"#include<{h}>\n" for h in ("vector", "string", "algorithm", "cmath", "map", "set",
                                                    "unordered_map", "numeric", "climits")) + "using namespace std;\n"


def _block_end(text: str, open_brace: int) -> int:
    """Index after the brace that closes the one at ``open_brace`` (strings and comments are not parsed:
    good enough for model-written mains)."""
    depth = 0
    for i in range(open_brace, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i + 1
    return len(text)


def strip_main(code: str, language: str) -> str:
    pattern = MAIN.get(language)
    if not pattern:
        return code
    while (m := re.search(pattern, code)) is not None:
        code = code[:m.start()] + code[_block_end(code, m.end() - 1):]
    return code


def preamble(record: dict, language: str) -> str:
    """The prompt without the entry function's header (and, in Python, without its docstring)."""
    prompt, entry = record["prompt"], record["entry_point"]
    if language == "python":
        at = [m.start() for m in re.finditer(rf"^def\s+{re.escape(entry)}\s*\(", prompt, re.MULTILINE)]
        return prompt[:at[-1]] if at else prompt
    if language == "java":
        return "".join(line for line in prompt.splitlines(keepends=True) if line.startswith("import "))
    lines = prompt.rstrip().splitlines(keepends=True)
    return "".join(lines[:-1])


def defines_entry(code: str, record: dict, language: str) -> bool:
    entry = re.escape(record["entry_point"])
    patterns = {"python": rf"^\s*def\s+{entry}\s*\(", "go": rf"\bfunc\s+{entry}\s*\(", "rust": rf"\bfn\s+{entry}\b",
                "js": rf"\b(?:function\s+{entry}\b|(?:const|let|var)\s+{entry}\s*=)",
                "cpp": rf"\b{entry}\s*\([^;]*\)\s*\{{", "java": rf"\b{entry}\s*\([^;]*\)\s*(?:throws[^{{]*)?\{{"}
    return re.search(patterns[language], code, re.MULTILINE) is not None


def assemble(record: dict, language: str, code: str) -> str:
    """Source of the candidate (for Go and Rust: the whole test program, tests included)."""
    head = preamble(record, language)
    code = strip_main(code, language)
    if language == "cpp":
        head = CPP_HEADERS + head
    elif language == "java":
        code = re.sub(r"\bpublic\s+(final\s+)?class\s+Solution\b", "class Solution", code)
        if not re.search(r"\bclass\s+Solution\b", code):
            imports = "".join(line + "\n" for line in code.splitlines() if line.startswith("import "))
            body = "\n".join(line for line in code.splitlines() if not line.startswith("import "))
            code = f"{imports}class Solution {{\n{body}\n}}\n"
    elif language == "rust":
        seen = {line.strip() for line in head.splitlines() if line.strip().startswith("use ")}
        code = "\n".join(line for line in code.splitlines() if line.strip() not in seen)
    source = head + "\n" + code.strip("\n") + "\n"
    if language == "go":
        return go_single_file(record.get("test_setup", ""), source + "\n" + record["test"])
    if language == "rust":
        return source + "\n" + record["test"]
    return source


def run_answer_code(record: dict, language: str, code: str, *, sandbox=None, limits: Limits | None = None) -> TestReport:
    """Run the record's tests against ``code`` (a whole function, as a model writes it)."""
    source = assemble(record, language, code)
    limits = limits or Limits(wall_time_s=20, cpu_time_s=20)
    name = record["task_id"]
    if language in ("go", "rust"):
        files = {"main_test.go" if language == "go" else main_file("rust"): source}
        return run_tests(language, [TestCase(name=name, test_program="")], files=files, limits=limits, sandbox=sandbox)
    _, test = candidate_and_test(record, language, "")
    return run_tests(language, [TestCase(name=name, test_program=test)], source=source, limits=limits, sandbox=sandbox)


def canonical_answer(record: dict, language: str, buggy: bool = False) -> str:
    """The reference (or buggy) solution written the way a model answers: the whole function."""
    body = record["buggy_solution" if buggy else "canonical_solution"]
    prompt = record["prompt"]
    if language == "python":
        at = [m.start() for m in re.finditer(rf"^def\s+{re.escape(record['entry_point'])}\s*\(", prompt, re.MULTILINE)]
        return prompt[at[-1]:] + body
    if language == "java":
        return prompt[prompt.index("class Solution"):] + body
    return prompt.rstrip().splitlines()[-1] + "\n" + body


def report_summary(report: TestReport) -> dict:
    """What the database keeps of a test run: pass/fail, status and the first lines of output."""
    outcome = report.tests[0] if report.tests else None
    return {"passed": report.all_passed, "compile_status": str(getattr(report.compile_status, "value", report.compile_status)),
            "status": str(getattr(outcome.status, "value", outcome.status)) if outcome else None,
            "time_s": outcome.time_s if outcome else None,
            "output": ((report.compile_output or "") + (outcome.stderr if outcome else "") +
                       (outcome.stdout if outcome else ""))[-1500:],
            "message": report.message}


# -- the pipeline variant: the problem as a source file the orchestrator can target ---------------------

# A body that compiles (or at least parses) and fails every test: what the solver is asked to replace.
STUB = {"python": "    raise NotImplementedError\n",
        "cpp": "    throw \"not implemented\";\n}\n",
        "java": "        throw new UnsupportedOperationException(\"not implemented\");\n    }\n}\n",
        "go": "    panic(\"not implemented\")\n}\n",
        "rust": "    todo!()\n}\n",
        "js": "  throw new Error(\"not implemented\");\n}\n"}
SUFFIX = {"python": "py", "cpp": "cpp", "java": "java", "go": "go", "rust": "rs", "js": "js"}
_LEADING_COMMENT = re.compile(r"\A\s*(/\*.*?\*/)[ \t]*\n", re.DOTALL)


def problem_file(record: dict, language: str) -> tuple[str, str, int | None]:
    """(file name, text, header row) of the problem as a source file whose entry function is a stub: the
    orchestrator's target. The text is the prompt as HumanEval-X gives it, except that C++'s problem comment
    (first in the prompt, above the includes) moves down to the function, where the orchestrator reads a
    function's documentation, and C++ gets the headers the one-shot variant gives it (:data:`CPP_HEADERS`).

    The header row (0-based; None for Python, whose prompt ends with the docstring) names the target: in a
    few brace-language records `entry_point` differs from the function the prompt declares (CPP/121
    `solutions`, Rust/85 `add_even_odd`, Java/99 ...), and the tests call the declared one."""
    prompt = record["prompt"]
    if language == "cpp":
        comment = _LEADING_COMMENT.match(prompt)
        rest = prompt[comment.end():] if comment else prompt
        lines = rest.rstrip().splitlines(keepends=True)
        prompt = CPP_HEADERS + "".join(lines[:-1]) + (comment.group(1) + "\n" if comment else "") + lines[-1] + "\n"
    elif language == "go":
        prompt = "package main\n\n" + prompt
    name = "Main" if language == "java" else "problem"
    head = prompt.rstrip("\n")
    text = head + "\n" + STUB[language]
    if language == "python":
        return f"{name}.py", text, None
    from orchestrator.code import document

    last = head.count("\n")  # the prompt ends in the entry function: its header, or a comment in its body
    around = [f for f in document(text, language).outline() if f.first_row <= last <= f.last_row]
    row = max(around, key=lambda f: f.depth).name_row if around else last
    return f"{name}.{SUFFIX[language]}", text, row


def benchmark_program(record: dict, language: str) -> str:
    """The record's tests as the program the orchestrator combines with a candidate file (sandbox.harness):
    Python's check program; C++/Java/JavaScript's test appended to the file; Go's test file (package main,
    its own imports); Rust's `#[cfg(test)]` module appended to the file (built with rustc --test)."""
    if language == "go":
        return go_single_file(record.get("test_setup") or "", record["test"])
    if language == "rust":
        return record["test"]
    _, test = candidate_and_test(record, language, "")
    return test
