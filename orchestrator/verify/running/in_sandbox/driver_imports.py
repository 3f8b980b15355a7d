"""The in-sandbox driver's import finder (standard library only; shipped as rc_driver_imports.py and loaded by
the driver, orchestrator/verify/running/in_sandbox/driver.py, before any candidate code exists).

It serves the precompiled project modules, and while the driver sets itself up refuses any module that lives in
the run directory (a preloaded package importing the candidate must not run it in the driver). It lives in a module
of its own because a candidate can reach it (sys.meta_path, every module's __loader__): its functions' globals
hold nothing but this finder and the standard library.
"""

import importlib.abc
import importlib.machinery
import importlib.util
import os


class ProjectImports(importlib.abc.MetaPathFinder):
    def __init__(self, home):
        self.home = home
        self.compiled = {}  # module name -> (path, code object, is package)
        self.in_parent = True

    def precompile(self, name, rel):
        path = os.path.join(self.home, rel)
        try:
            with open(path, "rb") as fh:
                code = compile(fh.read(), path, "exec", dont_inherit=True)
        except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
            return  # the call's own import reports it
        self.compiled[name] = (path, code, os.path.basename(path) == "__init__.py")

    def find_spec(self, name, path=None, target=None):
        if self.in_parent:
            spec = name in self.compiled or importlib.machinery.PathFinder.find_spec(name, path)
            origin = getattr(spec, "origin", None) or ""
            if spec is True or os.path.abspath(origin).startswith(self.home + os.sep):
                raise ImportError("%s is not imported by the driver itself" % name)
            return None
        entry = self.compiled.get(name)
        if entry is None:
            return None
        file, code, package = entry
        return importlib.util.spec_from_file_location(
            name, file, loader=PrecompiledLoader(code, file),
            submodule_search_locations=[os.path.dirname(file)] if package else None)


class PrecompiledLoader(importlib.abc.Loader):
    def __init__(self, code, path):
        self.code, self.path = code, path

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        exec(self.code, module.__dict__)

    def get_source(self, name):
        with open(self.path, encoding="utf-8") as fh:
            return fh.read()
