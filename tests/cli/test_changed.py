"""`refactorcoder optimize --changed --base REF --report FILE.md` (PR mode) as CI runs it: a subprocess in a git
repository with a base and a head commit, the models a scripted endpoint (real HTTP through litellm), the
candidates in the real sandbox. The end-to-end test runs the GitHub Actions workflow's own step script
(docs/github-action/refactorcoder.yml), so the documented workflow and the tested command cannot drift apart."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from orchestrator.changes import changes, parse_diff, touched_functions
from tests.orchestrator.test_loop_scripted import CORRECT, FAST, TESTS

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / "docs" / "github-action" / "refactorcoder.yml"
FAST_CODE = FAST.split("```python\n")[1].split("```")[0]
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
           "GIT_CONFIG_NOSYSTEM": "1", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}

# An input large enough that the workload grown from the tests' calls costs a quadratic count_pairs real time.
LARGER_TEST = "\n\ndef test_a_longer_list():\n    assert count_pairs(list(range(2000)), 2000) == 999\n"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True,
                          env={**GIT_ENV, "HOME": str(root)}).stdout


def _pairs_module(count_pairs: str, extra: str = "") -> str:
    return '"""Pairs."""\nfrom collections import Counter\n\n\n' + count_pairs + "\n\ndef other():\n    return 1\n" + extra


def _repository(tmp_path: Path) -> Path:
    """main: a linear-time count_pairs with its tests; branch feature (checked out): count_pairs made quadratic."""
    root = tmp_path / "proj"
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'proj'\n")
    (root / "pairs.py").write_text(_pairs_module(FAST_CODE))
    (root / "tests" / "test_pairs.py").write_text(TESTS + LARGER_TEST)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", ".")
    _git(root, "commit", "-qm", "base")
    _git(root, "checkout", "-qb", "feature")
    (root / "pairs.py").write_text(_pairs_module(CORRECT))
    _git(root, "commit", "-qam", "head: count_pairs is quadratic")
    return root


def _cli(cwd: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, REFACTORCODER_HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "server", "optimize", *args], capture_output=True, text=True,
                          env=env, timeout=600, cwd=cwd)


def _config(tmp_path: Path, endpoint) -> Path:
    stage = {"model": "openai/good", "api_base": endpoint.base, "fallbacks": [], "retries": 0}
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps({"fix": stage, "refine": stage, "solve": stage, "guide": stage,
                                "judge": {**stage, "model": "openai/judge"}}))
    return path


def _workflow_step(name: str) -> dict:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    (job,) = workflow["jobs"].values()
    return next(step for step in job["steps"] if step.get("name") == name)


# -- which functions: orchestrator.changes against a real git ---------------------------------------------------------

def test_only_the_pull_requests_own_changes_count(tmp_path):
    """The diff is taken against the merge base: a function changed on main after the branch forked is not the pull
    request's, and neither is a test file; an untracked module counts as wholly new."""
    root = _repository(tmp_path)
    _git(root, "checkout", "-q", "main")
    (root / "pairs.py").write_text(_pairs_module(FAST_CODE).replace("return 1", "return 2"))  # `other`, on main only
    _git(root, "commit", "-qam", "main moves on")
    _git(root, "checkout", "-q", "feature")
    (root / "tests" / "test_pairs.py").write_text(TESTS + LARGER_TEST + "\n\ndef test_more():\n    assert True\n")
    (root / "fresh.py").write_text("def fresh(x):\n    return x\n")
    found = changes(root, "main", merge_base=True)
    assert found.compared_to == _git(root, "merge-base", "main", "HEAD").strip()
    assert [(f.path.name, f.qualname) for f in touched_functions(found)] == [("fresh.py", "fresh"),
                                                                             ("pairs.py", "count_pairs")]
    # Against main itself (no merge base) main's own change to `other` would show as a change of the branch.
    plain = changes(root, "main")
    assert ("pairs.py", "other") in [(f.path.name, f.qualname) for f in touched_functions(plain)]


def test_a_method_and_a_quoted_path():
    top = Path("/r")
    diff = ('+++ "b/dir with \\"quote\\".py"\n@@ -3 +3,2 @@\n+++ b/gone.py\n@@ -1,2 +0,0 @@\n'
            "+++ /dev/null\n@@ -1 +0,0 @@\n")
    assert parse_diff(diff, top) == {top / 'dir with "quote".py': [(2, 3)], top / "gone.py": [(0, 0)]}


# -- the command: errors and the no-change outcome (no sandbox needed) ------------------------------------------------

def test_no_changed_functions_is_exit_0_and_the_report_says_so(tmp_path):
    root = _repository(tmp_path)
    (root / "tests" / "test_pairs.py").write_text(TESTS + LARGER_TEST + "\n# only a test changed\n")  # tests are never optimized
    report = tmp_path / "out" / "report.md"
    out = _cli(root, tmp_path, "--changed", "--base", "HEAD", "--report", str(report), "--json")
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    assert payload["status"] == "no changed functions" and payload["functions"] == [] and payload["exit_code"] == 0
    text = report.read_text()
    assert text.startswith("<!-- refactorcoder-changed-report -->") and "**No changed Python functions**" in text


def test_a_bad_base_is_a_clear_error(tmp_path):
    root = _repository(tmp_path)
    report = tmp_path / "report.md"
    out = _cli(root, tmp_path, "--changed", "--base", "origin/nope", "--report", str(report))
    assert out.returncode == 2
    assert "--base origin/nope: no such commit" in out.stderr and "fetch-depth: 0" in out.stderr
    assert not report.exists()
    out = _cli(root, tmp_path, "--changed", "--base", "--output=x", "--json")  # an option, not a ref, for git
    assert out.returncode == 2 and json.loads(out.stdout)["error"].startswith("--base --output=x: no such commit")
    elsewhere = tmp_path / "not-a-repo"
    elsewhere.mkdir()
    out = _cli(elsewhere, tmp_path, "--changed", "--base", "main")
    assert out.returncode == 2 and "not inside a git repository" in out.stderr
    out = _cli(root, tmp_path, "pairs.py::count_pairs", "--changed")
    assert out.returncode == 2 and "--changed finds the functions itself" in out.stderr
    out = _cli(root, tmp_path, "--report", str(report))
    assert out.returncode == 2 and "--report goes with --changed" in out.stderr


def test_a_changed_function_without_tests_is_skipped_not_failed(tmp_path):
    """No tests and no workload is a normal case for one function of a pull request: reported, exit 0."""
    root = _repository(tmp_path)
    (root / "pairs.py").write_text(_pairs_module(CORRECT, "\n\ndef untested(xs):\n    return sorted(xs)\n"))
    _git(root, "commit", "-qam", "adds an untested function")
    report = tmp_path / "report.md"
    out = _cli(root, tmp_path, "--changed", "--base", "HEAD~1", "--report", str(report), "--json")
    assert out.returncode == 0, out.stderr
    (entry,) = json.loads(out.stdout)["functions"]
    assert entry["target"] == "pairs.py::untested" and entry["outcome"] == "skipped"
    assert "add a test" in entry["reason"]
    assert "### `pairs.py::untested`: skipped" in report.read_text()


# -- end to end: the workflow's step, the real loop and sandbox ------------------------------------------------------

@pytest.mark.docker
@pytest.mark.slow
def test_the_workflow_step_reports_the_verified_fix_of_a_function_made_quadratic(tmp_path, endpoint, py_sandbox):
    root = _repository(tmp_path)
    endpoint.scripts["good"] = [FAST]
    wrapper = tmp_path / "bin" / "refactorcoder"  # what `pip install` puts on PATH
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m server "$@"\n')
    wrapper.chmod(0o755)
    step = _workflow_step("Optimize the changed functions")
    report = tmp_path / "runner-temp" / "refactorcoder-report.md"
    env = dict(os.environ, REFACTORCODER=str(wrapper), REFACTORCODER_CONFIG=str(_config(tmp_path, endpoint)),
               REFACTORCODER_ARGS="--attempts 1 --no-judge", BASE="main", REPORT=str(report),
               REFACTORCODER_HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO))
    out = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=root, env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    text = report.read_text()
    print(text)  # shown when an assertion below fails
    assert "| `pairs.py::count_pairs` | ✅ verified change | 4/4 | better: B/A = " in text
    assert "`other`" not in text  # unchanged by the pull request: not optimized
    assert "- checks: tests 4/4 · differential " in text and "state guard" in text
    patch = text.split("```diff\n", 1)[1].split("\n```", 1)[0] + "\n"
    assert "+    seen = Counter()" in patch and "-    for i in range(len(nums)):" in patch
    assert (root / "pairs.py").read_text() == _pairs_module(CORRECT)  # no --apply: the file is untouched
    subprocess.run(["git", "apply", "--check", "-"], input=patch, cwd=root, check=True, text=True)
    subprocess.run(["git", "apply", "-"], input=patch, cwd=root, check=True, text=True)
    assert "seen[x] += 1" in (root / "pairs.py").read_text()  # the patch is the verified change, as a file diff
