"""Methods (`FILE::Class.method`, issue 17.2): the receivers the tests build are read from their text
(orchestrator/verify/method_calls/receivers.py), every differential call is made on such a receiver in a process of its own,
and the receiver's state after the call is compared with the original's (orchestrator/verify/running/in_sandbox/
driver_child.py); a class attribute a call adds is state kept between calls. The guard test runs the real sandbox
with the candidates the guard exists to catch: a cache in self.__dict__, a receiver changed in a way the original
does not change it, a cache on the class."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.errors import NoTests
from orchestrator.target import locate, locate_text
from orchestrator.verify.method_calls import methods, receivers
from orchestrator.verify.checks.behaviour import PythonBehaviour
from orchestrator.verify.testing.testsuite import discover
from orchestrator.verify.workloads.workload import grow_workload, no_op_twin, plain_call, scaled_call

BAG = '''"""A bag of items."""


class Bag:
    def __init__(self, items=()):
        self.items = list(items)

    def add(self, item):
        self.items.append(item)

    def count(self, x):
        """How many times x is in the bag."""
        n = 0
        for item in self.items:
            if item == x:
                n += 1
        return n

    @classmethod
    def of(cls, *items):
        return cls(items)

    def total(self):
        return sum(self.items)

    @property
    def size(self):
        return len(self.items)
'''

TESTS = '''import unittest

import bag as bag_module
from bag import Bag

SMALL = [1, 2, 2, 3]


def test_count():
    bag = Bag(SMALL)
    bag.add(2)
    assert bag.count(2) == 3 and bag.size == 5
    assert Bag([5, 5]).count(5) == 2
    for i in range(3):
        assert bag.count(i) >= 0  # a loop variable: the receiver counts, the call does not
    bag_module.Bag("ab").count("a")


def test_of():
    assert Bag.of(1, 2).items == [1, 2]


def test_total(full_bag):  # a conftest fixture's instance
    assert full_bag.total() == 6


class TestBag(unittest.TestCase):
    def setUp(self):
        self.bag = Bag([7, 7, 8])

    def test_count(self):
        self.assertEqual(self.bag.count(7), 2)
'''

CONFTEST = """import pytest

from bag import Bag


@pytest.fixture
def full_bag():
    bag = Bag([1, 2])
    bag.add(3)
    yield bag
"""


def _target(name: str):
    return locate_text(Path("bag.py"), BAG, name, "python")


def test_receivers_are_read_from_the_tests_text():
    found = receivers.read_tests(_target("Bag.count"), [TESTS])
    recipe = "((_rc_receiver := Bag([1, 2, 2, 3])), _rc_receiver.add(2), _rc_receiver)[-1]"
    assert found.receivers == [recipe, "Bag([5, 5])", "Bag('ab')", "Bag([7, 7, 8])"]
    assert found.calls == [{"receiver": recipe, "args": "(2,)", "kwargs": "{}"},
                           {"receiver": "Bag([5, 5])", "args": "(5,)", "kwargs": "{}"},
                           {"receiver": "Bag('ab')", "args": "('a',)", "kwargs": "{}"},
                           {"receiver": "Bag([7, 7, 8])", "args": "(7,)", "kwargs": "{}"}]
    of = receivers.read_tests(_target("Bag.of"), [TESTS])  # a classmethod: called on the class itself
    assert methods.method_kind(_target("Bag.of")) == "class" and of.calls == [
        {"receiver": "Bag", "args": "(1, 2)", "kwargs": "{}"}]
    assert receivers.read_tests(_target("Bag.total"), [TESTS]).receivers == []  # only a fixture has one
    fixture = receivers.read_tests(_target("Bag.total"), [TESTS], conftests=[CONFTEST])
    assert fixture.calls == [{"receiver": "((_rc_receiver := Bag([1, 2])), _rc_receiver.add(3), _rc_receiver)[-1]",
                              "args": "()", "kwargs": "{}"}]
    size = receivers.read_tests(_target("Bag.size"), [TESTS])  # a property: read, not called
    assert methods.method_kind(_target("Bag.size")) == "property" and size.calls[0]["args"] == "()"
    assert plain_call("size", {**size.calls[0], "attribute": True}).endswith(").size")
    doc = receivers.read_tests(_target("Bag.count"), [], [">>> b = Bag('abca')\n>>> b.count('a')\n2\n"])
    assert doc.calls == [{"receiver": "Bag('abca')", "args": "('a',)", "kwargs": "{}"}]


def test_method_workload_expressions_call_the_receiver():
    call = {"receiver": "Bag([1, 2])", "args": "(2,)", "kwargs": "{}"}
    assert plain_call("count", call) == "(Bag([1, 2])).count(*(2,), **{})"
    assert no_op_twin(plain_call("count", call), "count") == "(lambda *a, **k: None)(Bag([1, 2]), *(2,), **{})"
    # grown through the receiver's construction, never the call's ints (an item or an index of the instance)
    assert scaled_call("count", call, 10) == "(Bag([1, 2] * 10)).count(*(2, ), **{})"
    recipe = {**call, "receiver": "((_rc_receiver := Bag(range(5))), _rc_receiver.add(2), _rc_receiver)[-1]"}
    assert "Bag(range(50))" in scaled_call("count", recipe, 10)
    assert methods.split_call("Bag([1]).count(1)", "count") == ("Bag([1])", "_rc_receiver.count(1)")


class _NoSandbox:
    """An execution for the parts of growing a workload that run before the sandbox."""

    differential = True

    def __init__(self, target, suite):
        self.target, self.suite = target, suite


def test_a_method_without_a_receiver_in_the_tests_says_which_instance_to_give(tmp_path):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "bag.py").write_text(BAG)
    (tmp_path / "test_bag.py").write_text(TESTS.replace("full_bag", "tmp_path"))  # no instance from a fixture
    target = locate(f"{tmp_path}/bag.py::Bag.total")
    exe = _NoSandbox(target, discover(target))
    with pytest.raises(NoTests, match=r"no instance of Bag found in the tests.*--workload 'Bag\(\.\.\.\)\.total\(\.\.\.\)'"):
        grow_workload(exe, target.code, target.name, [], [])


# -- the real sandbox: the candidates the receiver guard exists to catch ----------------------------------

HONEST = "def count(self, x):\n    return self.items.count(x)\n"
CACHES_IN_INSTANCE = '''def count(self, x):
    memo = self.__dict__.setdefault("_counts", {})
    if x not in memo:
        memo[x] = self.items.count(x)
    return memo[x]
'''
CHANGES_RECEIVER = "def count(self, x):\n    self.items.sort(key=repr)\n    return self.items.count(x)\n"  # on unsorted items
CACHES_ON_CLASS = '''def count(self, x):
    memo = Bag.__dict__.get("_memo")
    if memo is None:
        memo = Bag._memo = {}
    key = (tuple(self.items), x)
    if key not in memo:
        memo[key] = self.items.count(x)
    return memo[key]
'''


@pytest.mark.docker
def test_the_receiver_guard_catches_candidates_that_keep_or_change_instance_state(py_sandbox, tmp_path):
    from orchestrator.verify.running.execution import PythonExecution

    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "bag.py").write_text(BAG)
    (tmp_path / "test_bag.py").write_text(TESTS)
    target = locate(f"{tmp_path}/bag.py::Bag.count")
    suite = discover(target)
    exe = PythonExecution(py_sandbox, target, suite)
    guard = PythonBehaviour(exe, target, suite.seen_calls, 6, workload=["Bag(list(range(50))).count(7)"])
    assert all("receiver" in c for c in guard.inputs()) and len(guard.calls()) > 8
    oracle = guard.oracle()
    assert oracle.get("ok"), oracle
    first = oracle["passes"][0]["0"]
    assert first["r"] == 3 and first["s"]["attrs"] == [["items", ["list", 1, 2, 2, 3, 2]]]  # the test's instance
    assert "s" in oracle["passes"][0][str(len(guard.calls()) - 1)]  # the workload's receiver is read too

    honest = guard.check(HONEST)
    assert honest.reason is None and honest.agrees and honest.compared == len(guard.calls()), honest
    for cheat in (CACHES_IN_INSTANCE, CHANGES_RECEIVER):
        check = guard.check(cheat)
        assert not check.agrees and "receiver state" in check.reason and check.differing > 0, check
    on_class = guard.check(CACHES_ON_CLASS)  # answers and instance as the original's; the class keeps them
    assert on_class.agrees and "class attribute Bag._memo" in (on_class.reason or ""), on_class


def test_the_prompt_outline_of_a_method_shows_decorators_and_the_methods_it_uses_first():
    from orchestrator.prompt_context import python_context

    source = BAG.replace("        n = 0\n", "        n = 0 * self.size + self.total()\n")
    outline = python_context(source, "count", "Bag").splitlines()
    assert outline[:3] == ["class Bag:", "    def __init__(self, items=()): ...", "        self.items = list(items)"]
    assert outline[3:6] == ["    def total(self): ...", "    @property", "    def size(self): ..."]  # used by count
    assert "    @classmethod" in outline and outline.index("    @classmethod") + 1 == outline.index("    def of(cls, *items): ...")


CACHES_SIZE = "@property\ndef size(self):\n    if '_size' not in self.__dict__:\n        self._size = len(self.items)\n    return self._size\n"


@pytest.mark.docker
def test_a_property_is_read_on_the_tests_receivers_and_a_cached_value_on_the_instance_is_a_difference(py_sandbox, tmp_path):
    from orchestrator.verify.running.execution import PythonExecution

    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "bag.py").write_text(BAG)
    (tmp_path / "test_bag.py").write_text(TESTS)
    target = locate(f"{tmp_path}/bag.py::Bag.size")
    exe = PythonExecution(py_sandbox, target, discover(target))
    guard = PythonBehaviour(exe, target, [], 6, workload=["Bag(range(9)).size"])
    assert guard.oracle().get("ok") and guard.oracle()["passes"][0]["0"]["r"] == 5, guard.oracle()
    honest = guard.check("@property\ndef size(self):\n    return self.items.__len__()\n")
    assert honest.reason is None and honest.compared == len(guard.calls()) == 2, honest  # the test's read, the workload's
    cached = guard.check(CACHES_SIZE)
    assert not cached.agrees and "receiver state" in cached.reason, cached


def test_a_decorated_method_written_back_as_it_is_leaves_the_file_as_it_was():
    for name in ("Bag.size", "Bag.of", "Bag.count"):  # the original's text is what every oracle run writes back
        target = _target(name)
        assert target.with_code(target.code) == BAG, name
    size = _target("Bag.size").with_code("@property\ndef size(self):\n    return 0\n")
    assert "    @property\n    def size(self):\n        return 0\n" in size


def test_a_factory_functions_instance_and_in_place_operators_with_other_instances_make_a_recipe():
    source = "class S:\n    def __init__(self, xs):\n        self.xs = set(xs)\n\n    def has(self, x):\n" \
             "        return x in self.xs\n\n\ndef make(xs):\n    return S(xs)\n"
    target = locate_text(Path("s.py"), source, "S.has", "python")
    test = "from s import S, make\n\ndef test_has():\n    a = make([1])\n    b = S([2])\n    a |= b\n    assert a.has(2)\n"
    found = receivers.read_tests(target, [test])
    assert found.calls == [{"receiver": "((_rc_receiver := make([1])), (_rc_receiver := __import__('operator').ior("
                                        "_rc_receiver, S([2]))), _rc_receiver)[-1]", "args": "(2,)", "kwargs": "{}"}]


@pytest.mark.docker
@pytest.mark.slow
def test_cli_optimize_of_a_method_without_an_instance_in_the_tests_answers_json_naming_it(tmp_path, endpoint, py_sandbox):
    import json

    from tests.orchestrator.test_cli_orchestrate import _cli, _config

    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "bag.py").write_text(BAG)
    (tmp_path / "test_bag.py").write_text(TESTS)  # Bag.total: called only on a fixture no conftest defines
    out = _cli(tmp_path, "optimize", f"{tmp_path}/bag.py::Bag.total", "--json", "--no-judge",
               "--config", str(_config(tmp_path, endpoint)))
    answer = json.loads(out.stdout)
    assert out.returncode == answer["exit_code"] == 2 and answer["status"] == "error", out.stderr
    assert "no instance of Bag found in the tests" in answer["error"] and "--workload 'Bag(...).total(...)'" in answer["error"]
    assert not endpoint.requests  # stopped before any model was asked
