"""The Python behaviour guards against the original: differential tests (return value, exception type,
argument mutation, stdout) on the tests' calls, generated inputs (small and large) and the workload's own
calls, and the state guard (answers that change when the same calls are repeated, reordered, or made in a
fresh process; state kept between calls). One object per original function, used by the verification engine
(orchestrator/verify/engine.py) and by the eval `refine` suite, so that a benchmark accepts exactly the
candidates the product would accept.

A method (`Class.method`) is called on receivers: the instances the tests build (orchestrator/verify/
receivers.py), or the class itself for a classmethod or staticmethod; a property is read. Each call builds its
receiver in a process of its own, and the receiver's state after the call (attributes, __dict__, slots, private
ones too) is part of the answer: a cache the candidate keeps on the instance, or a change to it the original does
not make, is a difference; a class attribute a call adds is state kept between calls."""

from __future__ import annotations

from dataclasses import dataclass, field

from orchestrator.target import Target
from orchestrator.verify.checks import differential as diff
from orchestrator.verify.method_calls import methods
from orchestrator.verify.method_calls import receivers as recv


WORKLOAD_RECEIVER_CALLS = 6  # generated calls on a workload's receiver, when the tests build none


@dataclass
class BehaviourCheck:
    differential: str | None = None  # the comparison's summary; None when the original's answers are unknown
    agrees: bool = True  # same answers as the original on every compared input
    state: list[str] = field(default_factory=list)  # why its answers depend on state kept between calls
    error: str | None = None  # the differential driver itself failed on the candidate
    compared: int | None = None  # inputs compared with the original's answers (None: none known)
    differing: int = 0  # of those, inputs with a different answer

    @property
    def reason(self) -> str | None:
        """Why the candidate must be rejected (None when it may go on)."""
        if self.error:
            return "the differential driver failed: " + self.error
        if self.state:
            return "; ".join(self.state)
        if not self.agrees:
            return self.differential
        return None


class PythonBehaviour:
    """The inputs and the original's answers to them, computed once; check(code) runs a candidate on the
    same calls, twice in one process (forward, then reversed) and once reversed in a fresh process.

    `inputs()` are literal calls ({"args", "kwargs"}, and "receiver" for a method): the tests' calls, large
    inputs of the workload's sizes
    and hypothesis examples, typed from every parameter's hint, default and the values seen (see
    orchestrator/verify/checks/differential.py). `calls()` adds the workload's own expressions ({"expr": ...}), so the
    inputs a timing uses are compared too. Give the workload at construction or with `use_workload` before
    the first `oracle()`/`check()` (a default workload may itself be built from `inputs()`)."""

    def __init__(self, exe, target: Target, seen_calls: list[dict], n_inputs: int,
                 workload: list[str] | None = None):
        self.exe, self.target, self.seen_calls, self.n_inputs = exe, target, seen_calls, n_inputs
        self.workload: list[str] = list(workload or [])
        self.method = methods.method_kind(target)  # "instance" | "class" | None (a plain function)

    def use_workload(self, exprs: list[str]) -> None:
        """The workload the measurement will time: its calls are compared, and its sizes shape the large
        generated inputs. Forgets inputs and answers computed for another workload."""
        if list(exprs) != self.workload:
            self.workload = list(exprs)
            for cached in ("_inputs", "_oracle"):
                self.__dict__.pop(cached, None)

    @property
    def method_calls(self) -> recv.MethodCalls:
        """A method's receivers and receiver calls in the tests, doctests and class doctests (empty for a function)."""
        if "_method_calls" not in self.__dict__:
            self._method_calls = recv.find(self.target, getattr(self.exe, "suite", None)) if self.method \
                else recv.MethodCalls()
        return self._method_calls

    def receivers(self) -> list[str]:
        """What a method is called on: the tests' receivers, then the workload's."""
        found = list(self.method_calls.receivers)
        found += [r for r in methods.workload_receivers(self.workload, self.target.name) if r not in found]
        return found

    @property
    def why_unavailable(self) -> str | None:
        """Why there are no differential calls for this target (None when there are). A method without a known
        receiver is available still: a workload given later (use_workload) brings one; until then it has no
        calls (see missing_receiver)."""
        if not getattr(self.exe, "differential", False):
            return f"differential calls are not available for {self.target.language}"
        return None

    @property
    def missing_receiver(self) -> str | None:
        """For a method with no receiver in the tests or the workload: which instance is missing and how to give one."""
        return methods.missing_receiver(self.target) if self.method and not self.receivers() else None

    @property
    def available(self) -> bool:
        """Python functions and methods (see why_unavailable)."""
        return self.why_unavailable is None

    def inputs(self) -> list[dict]:
        """The literal calls (the tests', large and generated ones); empty when not available. A method's calls
        carry a receiver: the tests' calls their own, generated arguments each of the receivers in turn."""
        if "_inputs" not in self.__dict__:
            if not self.available:
                self._inputs = []
            elif self.method:
                self._inputs = self._method_inputs()
            else:
                self._inputs = diff.generate_inputs(self.target, self.seen_calls, self.n_inputs,
                                                    workload=self.workload)
        return self._inputs

    def _method_inputs(self) -> list[dict]:
        """The tests' calls on their receivers, then generated arguments on the tests' receivers in turn. Only
        when the tests build no instance, on the workload's (a few calls: a workload's instance is as large as
        the timing needs, and every call builds it again and reads its whole state afterwards)."""
        receivers = list(self.method_calls.receivers)
        limit = None
        if not receivers:
            receivers, limit = self.receivers(), len(self.method_calls.calls) + WORKLOAD_RECEIVER_CALLS
        if not receivers:
            return []
        if self.method == "property":  # read on each receiver: nothing to generate
            return [{"receiver": r, "args": "()", "kwargs": "{}", "attribute": True} for r in receivers][:limit]
        calls = diff.generate_inputs(self.target, self.method_calls.calls, self.n_inputs, workload=self.workload)
        return [c if "receiver" in c else {**c, "receiver": receivers[i % len(receivers)]}
                for i, c in enumerate(calls)][:limit]

    def calls(self) -> list[dict]:
        """Everything compared: the literal calls, then the workload's expressions."""
        if not self.available:
            return []
        return [*self.inputs(), *({"expr": e} for e in self.workload)]

    def oracle(self) -> dict:
        """The original's answers to calls(), computed once: {"ok", "passes": [{index: answer}],
        "state_changed"} (or {"ok": False, "error"})."""
        if "_oracle" not in self.__dict__:
            n = len(self.calls())
            self._oracle = self.exe.calls(self.target.code, self.calls(), [list(range(n))])
        return self._oracle

    def _finished(self) -> list[int]:
        """Indices of the calls the original finished (a call it timed out on is not run again)."""
        n = len(self.calls())
        oracle = self.oracle()
        if not oracle.get("ok"):
            return list(range(n))
        answers = oracle["passes"][0]
        return [i for i in range(n) if answers.get(str(i), {}).get("e") != "timeout"]

    def check(self, code: str) -> BehaviourCheck | None:
        """None when there is nothing to check (no calls)."""
        if not self.available or not self.calls():
            return None
        forward = self._finished()
        backward = list(reversed(forward))
        same = self.exe.calls(code, self.calls(), [forward, backward])
        fresh = self.exe.calls(code, self.calls(), [backward])
        if not same.get("ok") or not fresh.get("ok"):
            return BehaviourCheck(agrees=False, error=same.get("error") or fresh.get("error") or "no answer")
        oracle = self.oracle()
        comparison = diff.compare(oracle["passes"][0], same["passes"][0]) if oracle.get("ok") else None
        state = diff.state_problems(same["passes"], fresh["passes"][0], same.get("state_changed", []),
                                    oracle.get("state_changed", []) if oracle.get("ok") else [])
        if comparison is None:
            return BehaviourCheck(state=state)
        return BehaviourCheck(differential=comparison.summary(), agrees=comparison.passed, state=state,
                              compared=comparison.compared, differing=len(comparison.mismatches))
