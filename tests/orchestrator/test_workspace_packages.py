"""The workspace's packages in the sandbox (orchestrator/workspace_env.py, sandbox/layers.py): a project
venv with a small pure-Python package (and what it requires) becomes a read-only image layer; a package
whose compiled files do not match the sandbox's Python 3.11 is named, never run on the host."""

from __future__ import annotations

import subprocess
import sys

import pytest

from orchestrator.errors import Unsupported
from orchestrator.target import locate
from orchestrator.workspace_env import imported_modules, open_env, plan_layer

SITE = "lib/python3.11/site-packages"


def _dist(site, name, version, files: dict[str, str], requires=()):
    info = site / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(f"Requires-Dist: {r}\n" for r in requires)
    (info / "METADATA").write_text(meta)
    record = []
    for rel, text in files.items():
        path = site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        record.append(f"{rel},,")
    (info / "RECORD").write_text("\n".join(record + [f"{info.name}/METADATA,,", f"{info.name}/RECORD,,"]) + "\n")


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "proj"
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'proj'\n")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / ".venv")], check=True)
    site = next((root / ".venv" / "lib").glob("python3.*/site-packages"))
    _dist(site, "tinypkg", "1.2", {"tinypkg/__init__.py": "from tinydep import twice\n\ndef double(x):\n    return twice(x)\n"},
          requires=["tinydep>=1", "notthere; python_version < '3'"])
    _dist(site, "tinydep", "1.0", {"tinydep.py": "def twice(x):\n    return 2 * x\n"})
    _dist(site, "fastpkg", "0.1", {"fastpkg/__init__.py": "from ._speed import go\n",
                                   "fastpkg/_speed.cpython-312-x86_64-linux-gnu.so": "not really a binary\n"})
    _dist(site, "unrelated", "9.9", {"unrelated.py": "X = 1\n"})
    (root / "m.py").write_text("import tinypkg\n\n\ndef quad(x):\n    return tinypkg.double(x) + x\n")
    (root / "fast.py").write_text("import fastpkg\n\n\ndef g(x):\n    return fastpkg.go(x)\n")
    (root / "tests" / "test_m.py").write_text("from m import quad\n\n\ndef test_quad():\n    assert quad(3) == 9\n")
    (root / "tests" / "test_fast.py").write_text("from fast import g\n\n\ndef test_g():\n    assert g(1) == 1\n")
    return root


def test_the_layer_holds_what_the_project_imports_and_its_requirements(project):
    env = open_env(project)
    assert env.venv == project / ".venv" and env.python == sys.version_info[:2]
    modules = imported_modules({"m.py": (project / "m.py").read_text(), "fast.py": (project / "fast.py").read_text()})
    assert modules == {"tinypkg", "fastpkg"}
    layer = plan_layer(env, modules)
    assert layer.included == ["tinydep==1.0", "tinypkg==1.2"]  # unrelated is not copied
    assert "site-packages/tinypkg/__init__.py" in layer.files and "site-packages/tinydep.py" in layer.files
    assert "cpython-312" in layer.left_out["fastpkg"] and "cpython-311" in layer.left_out["fastpkg"]
    assert plan_layer(env, modules).digest == layer.digest


def _orchestrator(tmp_path, endpoint, sandbox, answers):
    from tests.orchestrator.test_loop_scripted import _orchestrator as make

    endpoint.scripts["fixer"] = answers
    return make(tmp_path, endpoint, sandbox, "fixer", [], judge=False)


@pytest.mark.docker
def test_candidates_and_tests_import_the_workspace_packages_in_the_sandbox(tmp_path, project, endpoint, py_sandbox):
    (project / "m.py").write_text("import tinypkg\n\n\ndef quad(x):\n    return tinypkg.double(x) - x\n")  # the bug
    fixed = "```python\nimport tinypkg\n\ndef quad(x):\n    return tinypkg.double(x) + x\n\nprint(quad(2))\n```"
    orch = _orchestrator(tmp_path, endpoint, py_sandbox, [fixed])
    report = orch.fix(locate(f"{project}/m.py::quad"))
    assert report.status == "accepted" and report.correct and report.tests_passed == 1, report.model_dump_json(indent=1)
    assert any("tinypkg==1.2" in n and "read-only layer" in n for n in report.notes)
    assert "print(" not in report.accepted_code


@pytest.mark.docker
def test_a_package_the_sandbox_cannot_run_is_named(tmp_path, project, endpoint, py_sandbox):
    orch = _orchestrator(tmp_path, endpoint, py_sandbox, ["```python\ndef g(x):\n    return x\n```"])
    with pytest.raises(Unsupported, match=r"imports 'fastpkg'.*cpython-312.*Nothing was run on the host"):
        orch.fix(locate(f"{project}/fast.py::g"))


@pytest.mark.docker
def test_the_sandbox_runs_only_layers_of_its_own_images(py_sandbox):
    from sandbox.errors import SandboxError
    from sandbox.images import image_tag
    from sandbox.layers import build_layer
    from sandbox.models import RunSpec

    spec = RunSpec(language="python", source="import sys; print(open('/opt/refactorcoder-layer/x.txt').read())")
    for image in ("debian:bookworm", image_tag("python"), "refactorcoder-sandbox/python-site:nope"):
        with pytest.raises(SandboxError):
            py_sandbox.run(spec, image=image)
    tag = build_layer("python", "test", {"x.txt": b"layered"})
    assert build_layer("python", "test", {"x.txt": b"layered"}) == tag  # built once per content
    result = py_sandbox.run(spec, image=tag)
    assert result.ok and result.stdout.strip() == "layered"
    write = RunSpec(language="python", source="open('/opt/refactorcoder-layer/x.txt', 'w').write('no')")
    assert not py_sandbox.run(write, image=tag).ok  # read-only
