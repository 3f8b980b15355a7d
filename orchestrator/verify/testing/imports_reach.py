"""Which test files can reach the target at all: those whose imports, followed through the project's own modules,
lead to the target's module.

The traced run that selects the tests running the target (testsuite.select_by_coverage) costs a run of every test
file it is given. A test file that never imports the target's module, directly or through another project module,
cannot call it, so it is left out before that run: in a repository where the target sits beside its own small test
file (examples/words.py and examples/test_words.py), the other hundred test files are not run to find out.
Read statically from the import statements; dynamic imports (importlib, __import__) are not followed — the named tests still run.
"""

from __future__ import annotations

import re
from pathlib import Path

SOURCE_ROOTS = ("", "src")  # where the sandbox puts project modules on sys.path (pyjobs.SYS_PATHS)


def module_files(root: Path, files: list[Path]) -> dict[str, Path]:
    """Dotted module name -> file, for the project's Python files (a package by its __init__.py)."""
    out: dict[str, Path] = {}
    for path in files:
        parts = list(path.relative_to(root).with_suffix("").parts)
        for prefix in SOURCE_ROOTS:
            if prefix and (not parts or parts[0] != prefix):
                continue
            name = parts[1:] if prefix else parts
            if name and name[-1] == "__init__":
                name = name[:-1]
            if name:
                out.setdefault(".".join(name), path)
    return out


_FROM = re.compile(r"^[ \t]*from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n]*)", re.M)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+([^\n]*)", re.M)


def imported_names(path: Path, module: str, text: str | None = None) -> set[str]:
    """The dotted names a file imports (relative imports resolved against `module`, the file's own name); for
    `from pkg import name` both `pkg` and `pkg.name` (the name may be a submodule). Read with regular expressions:
    a parse of every project file cost seconds on a large repository, and a line that only looks like an import
    (in a string) costs nothing worse than one more file in the selection run."""
    try:
        text = text if text is not None else path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for match in _IMPORT.finditer(text):
        names.update(part.split()[0] for part in match.group(1).split("#")[0].split(",") if part.strip())
    for match in _FROM.finditer(text):
        dots = len(match.group(1)) - len(match.group(1).lstrip("."))
        base = match.group(1)[dots:]
        if dots:
            parts = package.split(".") if package else []
            parts = parts[:len(parts) - (dots - 1)] if dots > 1 else parts
            base = ".".join(parts + ([base] if base else []))
        if base:
            names.add(base)
        imported = match.group(2).split("#")[0].strip("() \t\n").replace("\n", " ")
        names.update(f"{base}.{part.split()[0]}" if base else part.split()[0]
                     for part in imported.split(",") if part.strip() and part.split()[0] != "*")
    # importing a.b.c runs a/__init__.py and a/b/__init__.py too
    return {".".join(name.split(".")[:i]) for name in names if name for i in range(1, name.count(".") + 2)}


def base_dir(path: Path, root: Path) -> Path:
    """The directory pytest puts on sys.path for a test file (its first ancestor that is not a package)."""
    folder = path.parent
    while folder != root and (folder / "__init__.py").exists() and root in folder.parents:
        folder = folder.parent
    return folder


def files_reaching(root: Path, project_files: list[Path], test_files: dict[Path, str], target: Path) -> list[Path]:
    """The test files whose imports lead, through project modules, to the module of the file `target`. Modules
    are named from the project root, its src/ and each test file's own base directory (pytest's sys.path)."""
    views: dict[Path, tuple[dict[str, Path], dict[Path, str]]] = {}  # source root -> (modules, names of files)
    parsed: dict[Path, set[str]] = {}  # each project file read once for all test files

    def view(folder: Path):
        if folder not in views:
            inside = [p for p in project_files if folder == root or folder in p.parents]
            modules = module_files(folder, inside) if folder != root else module_files(root, project_files)
            views[folder] = (modules, {path: name for name, path in modules.items()})
        return views[folder]

    def reach(path: Path, text: str) -> bool:
        folders = [root, base_dir(path, root)]
        for modules, names in map(view, folders):
            target_name = names.get(target)
            if target_name is None:
                continue
            seen: set[str] = set()
            todo = list(imported_names(path, names.get(path) or path.stem, text))
            while todo:
                name = todo.pop()
                if name == target_name:
                    return True
                if name in seen or name not in modules:
                    continue
                seen.add(name)
                file = modules[name]
                if file not in parsed:
                    parsed[file] = imported_names(file, name)
                todo += parsed[file]
        return False

    return [path for path, text in test_files.items() if reach(path, text)]
