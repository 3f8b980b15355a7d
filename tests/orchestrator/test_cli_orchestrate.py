"""`refactorcoder fix | optimize | solve --run` as a user runs them (a subprocess), with the scripted
endpoint as every model: clear answers for bad input, --json with the accepted code, --apply."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.orchestrator.test_loop_scripted import BUGGY, CORRECT, JUDGE, _project


def _cli(tmp_path, *args, env_extra=None):
    env = dict(os.environ, REFACTORCODER_HOME=str(tmp_path / "home"), **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "server", *args], capture_output=True, text=True, env=env,
                          timeout=300, cwd=tmp_path)


def _config(tmp_path, endpoint):
    stage = {"model": "openai/good", "api_base": endpoint.base, "fallbacks": [], "retries": 0}
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps({"fix": stage, "refine": stage, "solve": stage, "guide": stage,
                                "judge": {**stage, "model": "openai/judge"}}))
    return path


def test_clear_answers_without_docker_or_models(tmp_path):
    (tmp_path / "bad.py").write_text("def f(:\n    pass\n")
    out = _cli(tmp_path, "fix", "bad.py::f")
    assert out.returncode == 2 and "does not parse: line 1" in out.stderr
    (tmp_path / "x.kt").write_text("fun f() {}\n")
    out = _cli(tmp_path, "fix", "x.kt::f", "--language", "kotlin")
    assert out.returncode == 2 and "no kotlin image" in out.stderr
    (tmp_path / "ok.py").write_text("def f(x):\n    return x\n")
    out = _cli(tmp_path, "optimize", "ok.py::f")
    assert out.returncode == 2 and "--workload" in out.stderr and "add a test" in out.stderr
    out = _cli(tmp_path, "fix", "ok.py::f")
    assert out.returncode == 2 and "fix needs a test" in out.stderr
    out = _cli(tmp_path, "optimize", "ok.py::f", "--metric", "speed")
    assert out.returncode == 2 and "--metric speed" in out.stderr
    # --json: stdout is JSON however the job ends, and the exit codes are in --help.
    out = _cli(tmp_path, "optimize", "ok.py::g", "--json")
    failed = json.loads(out.stdout)
    assert out.returncode == failed["exit_code"] == 2 and failed["status"] == "error" and "no function 'g'" in failed["error"]
    out = _cli(tmp_path, "fix", "ok.py::f", "--json")
    assert json.loads(out.stdout)["error"].startswith("fix needs a test") and out.returncode == 2
    out = _cli(tmp_path, "optimize", "--help")
    assert "Exit codes: 0 accepted" in " ".join(out.stdout.split()) and "3 it ran, nothing was accepted" in " ".join(out.stdout.split())


@pytest.mark.docker
@pytest.mark.slow
def test_fix_json_and_apply(tmp_path, endpoint, py_sandbox):
    path = _project(tmp_path, BUGGY)
    endpoint.scripts["good"] = ["```python\n" + CORRECT + "```"]
    endpoint.scripts["judge"] = [JUDGE]
    cfg = _config(tmp_path, endpoint)
    out = _cli(tmp_path, "fix", f"{path}::count_pairs", "--json", "--config", str(cfg))
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["status"] == "accepted" and report["correct"] and "range(i + 1" in report["accepted_code"]
    assert report["judgment"]["scores"]["accuracy"] == 4 and not report["applied"]
    assert "range(i, len(nums))" in path.read_text()  # without --apply the file is untouched
    out = _cli(tmp_path, "fix", f"{path}::count_pairs", "--apply", "--no-judge", "--config", str(cfg))
    assert out.returncode == 0, out.stderr
    assert "written to the file" in out.stderr and "attempts" in out.stderr
    text = path.read_text()
    assert "range(i + 1, len(nums))" in text and text.startswith('"""Pairs."""') and "def other():" in text


STUB = '''"""Pairs."""


def count_pairs(nums: list[int], k: int) -> int:
    """Number of index pairs i < j with nums[i] + nums[j] == k."""
    ...
'''
DESIGNED = ("```python\nassert count_pairs([1, 2, 3, 4], 5) == 2\nassert count_pairs([], 3) == 0\n"
            "assert count_pairs([1, 1, 1], 2) == 3\n```")


@pytest.mark.docker
@pytest.mark.slow
def test_solve_run_generates_tests_them_in_the_sandbox_and_says_the_tests_are_generated(tmp_path, endpoint, py_sandbox):
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'proj'\n")
    (root / "pairs.py").write_text(STUB)  # no tests anywhere: the test designer writes them
    script = ["1. Count each pair once.", "```python\n" + BUGGY + "```", DESIGNED,
              "```python\n" + CORRECT + "\nprint(count_pairs([1, 2], 3))\n```"]
    endpoint.scripts["good"] = list(script)
    endpoint.scripts["judge"] = [JUDGE]
    out = _cli(tmp_path, "solve", f"{root}/pairs.py::count_pairs", "--run", "--json", "--config",
               str(_config(tmp_path, endpoint)))
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["kind"] == "solve" and report["status"] == "accepted" and report["correct"]
    assert report["suites"] == ["designed"] and report["tests_passed"] == report["tests_total"] == 3
    assert any("model-generated" in n and "unverified" in n for n in report["notes"])
    generate, fix = report["attempts"]
    # The generated candidate failed a generated test when it ran in the sandbox; the fix passed them all.
    assert (generate["stage"], generate["status"], generate["tests_passed"]) == ("generate", "failed", 2)
    assert (fix["stage"], fix["status"]) == ("fix", "accepted")
    assert "range(i + 1, len(nums))" in report["accepted_code"] and "print(" not in report["accepted_code"]
    assert (root / "pairs.py").read_text() == STUB  # no --apply
    endpoint.scripts["good"] = list(script)
    out = _cli(tmp_path, "solve", f"{root}/pairs.py::count_pairs", "--run", "--config", str(_config(tmp_path, endpoint)))
    assert "generated" in out.stderr  # the human report says so too


CPP_STUB = '''#include <vector>
using namespace std;

// Number of index pairs i < j with nums[i] + nums[j] == k.
long long count_pairs(const vector<int>& nums, int k) {
    return 0;
}
'''


@pytest.mark.docker
@pytest.mark.slow
def test_solve_run_with_a_cpp_test_program(tmp_path, endpoint, py_sandbox):
    """`solve --run --tests PROG` for a brace language runs the user's test program against the candidate."""
    from tests.orchestrator.test_progdiff import CPP, TESTS

    (tmp_path / "pairs.cpp").write_text(CPP_STUB)
    (tmp_path / "pairs_test.cpp").write_text(TESTS)
    endpoint.scripts["good"] = ["1. Count each pair once.", "```cpp\n" + CPP + "```"]
    endpoint.scripts["judge"] = [JUDGE]
    out = _cli(tmp_path, "solve", "pairs.cpp::count_pairs", "--run", "--json", "--tests", "pairs_test.cpp",
               "--config", str(_config(tmp_path, endpoint)))
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["status"] == "accepted" and report["correct"], report
    assert report["tests_total"] >= 1 and report["tests_passed"] == report["tests_total"]
    assert "designed" not in report["suites"]  # the user's program, not model-written tests
    assert "j = i + 1" in report["accepted_code"]
    assert (tmp_path / "pairs.cpp").read_text() == CPP_STUB  # no --apply
