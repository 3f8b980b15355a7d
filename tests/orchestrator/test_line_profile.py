"""The per-line profile of the original, taken in the sandbox (orchestrator/verify/running/in_sandbox/driver_profile.py):
what the "hot lines" strategy of a search round is shown. The line that does the quadratic work must be the one the
profile names, numbered as the model sees the function (line 1 = its def line)."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.docker]

QUADRATIC = '''\
class Counter:
    def distinct(self, items):
        """Items in first-seen order, without repeats."""
        out = []
        for item in items:
            if item not in out:
                out.append(item)
        return out


def dedupe(items):
    out = []
    for item in items:
        if item not in out:
            out.append(item)
    return out
'''


def _rows(profile: str) -> dict[int, tuple[int, float, str]]:
    """line -> (hits, time %, source) of the per-line section."""
    rows = {}
    for line in profile.split("\n\n")[0].splitlines()[2:]:
        match = re.match(r"\s*(\d+)\s+(\d+)\s+([\d.]+)%\s\s(.*)", line)
        assert match, line
        rows[int(match[1])] = (int(match[2]), float(match[3]), match[4])
    return rows


@pytest.mark.parametrize("name,call", [("dedupe", "dedupe(list(range(1500)))"),
                                       ("Counter.distinct", "Counter().distinct(list(range(1500)))")])
def test_the_membership_line_of_a_quadratic_loop_is_the_hot_one(py_sandbox, tmp_path, name, call):
    from orchestrator.target import locate
    from orchestrator.verify.running.execution import PythonExecution
    from orchestrator.verify.testing.testsuite import discover

    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "m.py").write_text(QUADRATIC)
    target = locate(f"{tmp_path}/m.py::{name}")
    exe = PythonExecution(py_sandbox, target, discover(target))
    profile = exe.profile(target.code, [call], 1)
    assert profile.startswith("per-line profile"), profile
    rows = _rows(profile)
    hottest = max(rows, key=lambda n: rows[n][1])
    assert "if item not in out" in rows[hottest][2], profile
    assert rows[hottest][0] == 1500 and rows[hottest][1] > 50.0
    assert target.code.splitlines()[hottest - 1].strip() == "if item not in out:"  # numbered as the model sees it
    assert "ncalls" in profile  # cProfile's top functions follow
