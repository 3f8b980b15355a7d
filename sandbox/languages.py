"""Per-language conventions: file names, compile and run commands, environment.

A language turns a RunSpec's files into an ordered list of steps for the supervisor: zero or one
build step, then the program. ``mode="test"`` builds a test binary (Go ``go test -c``, Rust
``rustc --test``) instead of a program.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from source import languages

BASE_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONUNBUFFERED": "1",
    "PYTHONHASHSEED": "0",  # same hashing in every run: repeatable timings and set orders
}
JAVA_FAST_START = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto"]


@dataclass
class Plan:
    files: dict[str, str]
    build: list[str] | None  # argv, run in the work directory
    run: list[str]
    env: dict[str, str] = field(default_factory=dict)
    copy_dirs: list[tuple[str, str]] = field(default_factory=list)  # (image dir, work-relative dest)
    # Program-relative paths only the build needs (a compiler cache): removed before the first run step.
    build_only: list[str] = field(default_factory=list)
    # Files the program deletes after reading them (see RunSpec.read_once).
    read_once: list[str] = field(default_factory=list)


def main_file(language: str) -> str:
    """The main file of a sandbox language: main + its usual suffix (Java: Main.java, named after its class)."""
    lang = next((lang for lang in languages.LANGUAGES if lang.sandbox == language), None)
    if lang is None:
        raise KeyError(language)
    return ("Main" if lang.sandbox == "java" else "main") + lang.suffixes[0]


def java_main_class(source: str) -> str:
    """Name of the class declaring ``static void main`` (the last class opened before it)."""
    main_at = re.search(r"static\s+void\s+main\s*\(", source)
    classes = [(m.start(), m.group(1)) for m in re.finditer(r"\bclass\s+([A-Za-z_]\w*)", source)]
    if main_at:
        before = [name for pos, name in classes if pos < main_at.start()]
        if before:
            return before[-1]
    public = re.search(r"\bpublic\s+(?:final\s+|abstract\s+)*class\s+([A-Za-z_]\w*)", source)
    return public.group(1) if public else "Main"


def _java_file_name(source: str) -> str:
    public = re.search(r"\bpublic\s+(?:final\s+|abstract\s+)*class\s+([A-Za-z_]\w*)", source)
    return f"{public.group(1)}.java" if public else "Main.java"


def plan(language: str, files: dict[str, str], args: list[str], mode: str = "run",
         workdir: str = "/work/run", read_once: list[str] | tuple = ()) -> Plan:
    """Compile/run commands for ``files`` (already including the main file)."""
    p = _plan(language, files, args, mode, workdir)
    p.read_once = [name for name in read_once if name in p.files]
    return p


def _plan(language: str, files: dict[str, str], args: list[str], mode: str, workdir: str) -> Plan:
    names = list(files)
    main = names[0]
    # The program's own directory is read-only to it at run time (sandbox/supervisor/isolation.py): home and
    # temporary files go to /tmp, which is emptied before and after every run.
    home = {"HOME": "/tmp", "TMPDIR": "/tmp"}
    if language == "python":
        return Plan(files, None, ["python3", "-X", "utf8", main, *args], home)
    if language == "js":
        return Plan(files, None, ["node", "--stack-size=8000", main, *args], home)
    if language == "cpp":
        sources = [n for n in names if n.endswith((".cpp", ".cc", ".cxx", ".c"))]
        libs = ["-lcrypto"] if any("openssl/" in files[n] for n in sources) else []
        build = ["g++", "-std=c++17", "-O2", "-pipe", "-o", "main", *sources, "-lm", *libs]
        return Plan(files, build, ["./main", *args], home)
    if language == "java":
        java_files = {}
        for name, text in files.items():
            # javac insists that a public class lives in a file of its name.
            java_files[_java_file_name(text) if name.endswith(".java") and "/" not in name else name] = text
        main_class = java_main_class(files[main])
        build = ["javac", *[f"-J{o}" for o in JAVA_FAST_START], "-encoding", "UTF-8", "-nowarn", "-d", ".",
                 *[n for n in java_files if n.endswith(".java")]]
        return Plan(java_files, build, ["java", "-XX:+UseSerialGC", "-Xss64m", "-cp", ".", main_class, *args], home)
    if language == "go":
        env = dict(home, GOCACHE=f"{workdir}/.cache/go-build", GOPATH="/usr/share/gocode", GO111MODULE="off",
                   GOFLAGS="-buildvcs=false", CGO_ENABLED="0", GOTOOLCHAIN="local")
        if mode == "test":  # the full cache (~20 MB of /work) only where testify needs it
            copy = [("/opt/gocache", f"{workdir}/.cache/go-build")]
            build = ["go", "test", "-c", "-vet=off", "-o", "main.test", "."]
            return Plan(files, build, ["./main.test", "-test.count=1", *args], env, copy, [".cache"])
        copy = [("/opt/gocache-run", f"{workdir}/.cache/go-build")]
        build = ["go", "build", "-o", "main", *[n for n in names if n.endswith(".go")]]
        return Plan(files, build, ["./main", *args], env, copy, [".cache"])
    if language == "rust":
        # The image has rand, regex and md5 precompiled (no cargo at run time).
        crates = ["-L", "dependency=/opt/rust-crates/deps",
                  *[a for c in ("rand", "regex", "md5") for a in ("--extern", f"{c}=/opt/rust-crates/lib{c}.rlib")]]
        if mode == "test":
            build = ["rustc", "--edition", "2021", "--test", "-C", "strip=debuginfo", "-A", "warnings", *crates, "-o",
                     "main.test", main]
            return Plan(files, build, ["./main.test", "--test-threads=1", *args], home)
        # std's debug info (~11 MB of a 12 MB hello world) is left out: symbol names (backtraces) stay, and the
        # run directory that is recorded and checked around every run is 20x smaller.
        build = ["rustc", "--edition", "2021", "-O", "-C", "strip=debuginfo", "-A", "warnings", *crates, "-o", "main",
                 main]
        return Plan(files, build, ["./main", *args], home)
    raise ValueError(f"unknown language {language!r}")
