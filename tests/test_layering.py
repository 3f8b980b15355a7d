"""The package layering of the design, held against every import in the code (module level or inside
functions): server/ alone speaks LSP; models/ and sandbox/ never meet except in orchestrator/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"server", "models", "sandbox", "profiling", "source", "orchestrator", "evaluation"}
# package -> the packages (or single modules) of ours it may import, besides itself. profiling/ measures
# programs by running them in the sandbox; the sandbox in turn only fills profiling.metrics' Profile.
ALLOWED = {
    "source": set(),
    "profiling": {"source", "sandbox"},
    "models": {"source"},
    "sandbox": {"source", "profiling.metrics"},
    "orchestrator": {"source", "profiling", "models", "sandbox"},
    "evaluation": {"source", "profiling", "models", "sandbox", "orchestrator"},
    "server": OURS,
}
LSP_LIBRARIES = {"pygls", "lsprotocol"}


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def violations(package: str, modules: set[str]) -> set[str]:
    bad = set()
    for module in modules:
        top = module.split(".")[0]
        allowed = any(module == a or module.startswith(a + ".") or top == a for a in ALLOWED[package] | {package})
        if (top in OURS and not allowed) or (package != "server" and top in LSP_LIBRARIES):
            bad.add(module)
    return bad


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_its_layer_allows(package):
    wrong = []
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = violations(package, imports_of(path))
        if bad:
            wrong.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert not wrong, "layering broken:\n" + "\n".join(wrong)
