"""Every command the scripts and the host-side code run is either part of a bare Debian (debootstrap
minbase), a shell builtin, or listed in scripts/system-packages.tsv (which set-up installs from).

This is the check that would have caught `debootstrap`, `curl` and `pgrep` missing on a fresh machine:
shell scripts are parsed with tree-sitter-bash (heredoc bodies and quoted text are not commands), the
Python code with `ast` (`shutil.which("x")` and `subprocess.*(["x", ...])`)."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import pytest
import tree_sitter as ts
import tree_sitter_bash

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "scripts" / "system-packages.tsv"

# Commands of the packages that `debootstrap --variant=minbase bookworm` installs (Essential: yes, plus apt).
MINBASE = set("""
    bash sh dash cat cp mv rm ln ls mkdir rmdir chmod chown touch head tail tr cut sort uniq wc tee env date
    sleep seq dirname basename readlink realpath mktemp printf echo test true false id nproc stat du df sync
    nohup timeout yes install uname expr md5sum sha256sum tac comm paste split od base64 fold nice kill
    grep egrep sed awk mawk find xargs tar gzip gunzip zcat diff cmp dpkg dpkg-query apt apt-get apt-cache
    apt-key hostname which run-parts su login mount umount setsid flock getopt logger more kill pidof
    perl tempfile script lsblk ipcrm ipcs nsenter unshare chroot
""".split())
BASH_BUILTINS = set("""
    . : [ [[ alias bg bind break builtin caller cd command compgen complete continue declare dirs disown echo
    enable eval exec exit export false fc fg getopts hash help history jobs kill let local logout mapfile
    popd printf pushd pwd read readarray readonly return set shift shopt source suspend test times trap true
    type typeset ulimit umask unalias unset wait
""".split())
# Commands that run another command: the real command is their first operand.
WRAPPERS = {"exec", "command", "sudo", "as_root", "env", "nohup", "timeout", "xargs", "nice", "setsid"}
# Installed by the script that uses them, from npm rather than Debian.
SELF_INSTALLED = {"node-gyp", "code-server"}
# Run inside the sandbox containers (their images install what they use), not on the host.
IN_CONTAINER = {"sandbox/selfcheck.py"}
IN_CONTAINER_DIRS = ("sandbox/supervisor/", "orchestrator/verify/running/in_sandbox/")


def table() -> dict[str, str]:
    commands = {}
    for line in TABLE.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        package, cmds, tier, _why = line.split("\t")
        assert tier in ("setup", "test", "bench"), line
        for cmd in cmds.split(","):
            if cmd != "-":
                commands[cmd] = package
    return commands


def shell_scripts() -> list[Path]:
    found = subprocess.run(["git", "ls-files", "*.sh", ".ci/run"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    return [ROOT / f for f in found]


def _words(node) -> list[str]:
    return [c.text.decode() for c in node.children if c.type in ("word", "command_name", "raw_string", "string")]


def shell_commands(path: Path) -> set[str]:
    tree = ts.Parser(ts.Language(tree_sitter_bash.language())).parse(path.read_bytes())
    functions, used = set(), set()

    def walk(node):
        if node.type == "function_definition":
            functions.add(node.child_by_field_name("name").text.decode())
        if node.type == "command":
            words = _words(node)
            while words and (words[0] in WRAPPERS or words[0].startswith("-") or "=" in words[0]
                             or words[0].isdigit()):
                if words[0] == "command" and len(words) > 1 and words[1] == "-v":
                    words = words[2:]  # `command -v X` checks for X: X is used
                    continue
                words = words[1:]
            if words:
                used.add(words[0].strip("'\""))
        for child in node.children:
            walk(child)

    walk(tree.root_node)
    return {c for c in used - functions if c and not c.startswith(("$", ".", "/", "~")) and "/" not in c
            and "$" not in c}


def python_commands(path: Path) -> set[str]:
    used = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = ast.unparse(node.func)
        first = node.args[0]
        if func == "shutil.which" and isinstance(first, ast.Constant):
            used.add(first.value)
        elif func.startswith("subprocess.") and isinstance(first, ast.List) and first.elts \
                and isinstance(first.elts[0], ast.Constant) and isinstance(first.elts[0].value, str):
            used.add(first.elts[0].value)
    return used


def host_python_files() -> list[Path]:
    found = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    return [ROOT / f for f in found if f not in IN_CONTAINER and not f.startswith(("tests/client/fake_server", *IN_CONTAINER_DIRS))]


def test_the_parser_sees_what_a_fresh_machine_lacked(tmp_path):
    script = tmp_path / "s.sh"
    script.write_text('set -e\nif ! pgrep -x dockerd >/dev/null; then as_root sh -c "nohup dockerd &"; fi\n'
                      'curl -fsS "http://x/$(debootstrap --version | head -n1)"\ncat <<EOF\nnotacommand here\nEOF\n')
    assert {"pgrep", "curl", "debootstrap", "head", "cat", "sh"} <= shell_commands(script)
    assert "notacommand" not in shell_commands(script)


@pytest.mark.parametrize("path", shell_scripts(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_command_of_a_script_is_installed_by_setup(path):
    known = MINBASE | BASH_BUILTINS | SELF_INSTALLED | set(table())
    unknown = sorted(shell_commands(path) - known)
    assert not unknown, (f"{path.relative_to(ROOT)} runs {unknown}: add each with its Debian package to "
                         "scripts/system-packages.tsv (or, if it is not a system command, teach this test why)")


def test_every_command_the_host_code_runs_is_installed_by_setup():
    known = MINBASE | SELF_INSTALLED | set(table())
    unknown = {f"{p.relative_to(ROOT)}: {c}" for p in host_python_files() for c in python_commands(p) - known}
    assert not unknown, f"commands run by the code but not in scripts/system-packages.tsv: {sorted(unknown)}"


def test_setup_installs_from_the_table():
    listed = subprocess.run(["bash", str(ROOT / "scripts/install-system-packages.sh"), "--test", "--bench", "--list"],
                            capture_output=True, text=True, check=True).stdout.split()
    assert set(table().values()) <= set(listed)
    assert "install-system-packages.sh" in (ROOT / "scripts/setup.sh").read_text()
