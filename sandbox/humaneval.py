"""HumanEval-X / HumanEvalPack adapter: turn a record's prompt + solution + ``test`` into a harness run.

Known gaps of the images (allowed failures): C++ problems that include Boost headers
(``boost/any.hpp``: CPP/22, CPP/137), JavaScript/162 (``require('js-md5')``, an npm package) and
Rust/32, Rust/50 (tests written against rand 0.7's ``gen_range(low, high)``; Debian has rand 0.8).
The Rust image has the crates the declarations name (rand, regex, md5) precompiled;
:func:`strip_unavailable_rust_crates` is for images without them.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

from sandbox.harness import run_tests
from sandbox.languages import main_file
from sandbox.models import Limits, TestCase, TestReport
from source import languages

DATA_LANG = {key: key for key in languages.SANDBOX_KEYS}  # the data files are named by sandbox key
KNOWN_MISSING_DEPENDENCIES = {"CPP/22": "boost/any.hpp", "CPP/137": "boost/any.hpp",
                              "JavaScript/162": "npm package js-md5",
                              # Their tests call rand 0.7's gen_range(low, high); Debian ships rand 0.8.
                              "Rust/32": "rand 0.7 API", "Rust/50": "rand 0.7 API"}
RUST_CRATES = {"rand": r"\brand::|\bRng\b|thread_rng", "regex": r"\bRegex\b|regex::", "md5": r"\bmd5::"}


# The copy that ships with the project (Apache-2.0/MIT beside its LICENSE.txt and SOURCE.md), found by path:
# the sandbox does not import the evaluation package (tests/test_layering.py); other data: load(..., data_dir).
VENDORED = Path(__file__).resolve().parents[1] / "evaluation" / "data" / "humanevalpack"


def default_data_dir() -> Path:
    return VENDORED


def load(language: str, data_dir: Path | None = None) -> list[dict]:
    """The HumanEvalPack records of ``language`` from ``data_dir`` (default: :func:`default_data_dir`)."""
    data_dir = Path(data_dir or default_data_dir())
    matches = sorted(data_dir.glob(f"*_{DATA_LANG[language]}.jsonl.gz"))
    if not matches:
        raise FileNotFoundError(f"no HumanEval data for {language} in {data_dir}")
    records, number = [], 0
    try:
        with gzip.open(matches[0], "rt", encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if line.strip():
                    records.append(json.loads(line))
    except (OSError, EOFError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"corrupt HumanEval data file {matches[0]} (near line {number}): {exc}") from exc
    return records


def strip_unavailable_rust_crates(code: str) -> tuple[str, list[str]]:
    """Drop ``use <crate>...;`` lines of crates the image lacks when nothing else uses them."""
    stripped = []
    for crate, usage in RUST_CRATES.items():
        use_line = re.compile(rf"^\s*use\s+{crate}(::[^;]*)?;\s*$", re.MULTILINE)
        without = use_line.sub("", code)
        if without != code and not re.search(usage, without):
            code = without
            stripped.append(crate)
    return code, stripped


def candidate_and_test(record: dict, language: str, solution: str | None = None) -> tuple[str, str]:
    """Candidate source and test program for one record (``solution`` defaults to the canonical one)."""
    body = record["canonical_solution"] if solution is None else solution
    prompt = record["prompt"]
    test = record["test"]
    if language == "python":
        if not re.search(r"^check\(", test, re.MULTILINE):
            test += f"\ncheck({record['entry_point']})\n"
        return prompt + body, test
    if language == "go":
        # One file with one merged import block: Go rejects unused and duplicate imports, and some
        # tests use packages that only the prompt (or nothing) imports.
        return go_single_file(record.get("test_setup", ""), prompt + body + "\n" + test), ""
    if language == "rust":  # the image provides rand, regex and md5
        return prompt + body + "\n" + test, ""
    return prompt + body, test


def run_record(record: dict, language: str, solution: str | None = None, limits: Limits | None = None,
               sandbox=None) -> TestReport:
    source, test = candidate_and_test(record, language, solution)
    if language in ("rust", "go"):  # the source already is the whole test program
        files = {"main_test.go" if language == "go" else main_file("rust"): source}
        tests = [TestCase(name=record["task_id"], test_program="")]
        return run_tests(language, tests, files=files, limits=limits, sandbox=sandbox)
    tests = [TestCase(name=record["task_id"], test_program=test)]
    return run_tests(language, tests, source=source, limits=limits, sandbox=sandbox)


GO_STD = {"math": "math", "strings": "strings", "strconv": "strconv", "sort": "sort", "fmt": "fmt",
          "bytes": "bytes", "unicode": "unicode", "regexp": "regexp", "time": "time", "md5": "crypto/md5",
          "rand": "math/rand", "reflect": "reflect", "errors": "errors", "bits": "math/bits", "heap": "container/heap",
          "utf8": "unicode/utf8", "big": "math/big", "cmplx": "math/cmplx", "hex": "encoding/hex",
          "testing": "testing", "assert": "github.com/stretchr/testify/assert"}
_IMPORT_BLOCK = re.compile(r"^import\s*\(([^)]*)\)\s*$|^import\s+((?:\w+\s+)?\"[^\"]+\")\s*$", re.MULTILINE)


def go_single_file(test_setup: str, code: str) -> str:
    """``package main`` + one import block holding exactly the packages the code uses (a tiny goimports)."""
    specs: dict[str, str] = {}  # name used in code -> import spec
    for text in (test_setup, code):
        for block, single in _IMPORT_BLOCK.findall(text):
            for line in (block.splitlines() if block else [single]):
                line = line.split("//")[0].strip()
                m = re.match(r'(?:(\w+|\.)\s+)?"([^"]+)"', line)
                if m:
                    specs[m.group(1) or m.group(2).rsplit("/", 1)[-1]] = line
    body = _IMPORT_BLOCK.sub("", re.sub(r"^package\s+\w+\s*$", "", code, flags=re.MULTILINE))
    used = {}
    for name, spec in specs.items():
        if name in (".", "_") or re.search(rf"\b{re.escape(name)}\.", body):
            used[name] = spec
    for name, path in GO_STD.items():
        if name not in used and re.search(rf"(?<![\w.]){name}\.[A-Z]", body):
            used[name] = f'"{path}"'
    imports = "\n".join(f"    {spec}" for spec in sorted(used.values()))
    return f"package main\n\nimport (\n{imports}\n)\n{body}"
