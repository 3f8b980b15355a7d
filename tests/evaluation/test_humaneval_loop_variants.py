"""humaneval-x `examples` and humanevalpack-fix `loop`: HumanEval problems through the product's own loop.

`examples`: the loop sees only the docstring's examples; the benchmark's hidden tests score the loop's final code
afterwards. The guard case is the candidate the variant exists for: code that passes the examples and fails the
hidden tests must count as unsolved, though the loop itself was satisfied.

The model is a scripted OpenAI-compatible endpoint on loopback reached through litellm (real HTTP, litellm not
patched); every candidate and every scoring run is in the real Docker sandbox."""

from __future__ import annotations

import pytest

from evaluation.context import WorkerContext
from evaluation.report import build
from evaluation.runner import run_suite
from evaluation.store import EvalStore
from evaluation.suites.humaneval_loop import FIX_LOOP_ATTEMPTS
from models.litellm_backend import LiteLLMModel
from models.registry import ModelRegistry
from tests.scripted_endpoint import ScriptedEndpoint

pytestmark = [pytest.mark.docker, pytest.mark.slow]

HEADER = "def has_close_elements(numbers: List[float], threshold: float) -> bool:\n"
RIGHT = HEADER + ("    for i in range(len(numbers)):\n        for j in range(i + 1, len(numbers)):\n"
                  "            if abs(numbers[i] - numbers[j]) < threshold:\n                return True\n"
                  "    return False\n")
# Passes the docstring's two examples (the close pair is adjacent there) and fails the hidden tests
# ([1.0, 2.0, 5.9, 4.0, 5.0] with 0.95 has its close pair, 5.9 and 5.0, apart).
ADJACENT_ONLY = HEADER + ("    return any(abs(a - b) < threshold for a, b in zip(numbers, numbers[1:]))\n")
NEVER = HEADER + "    return False\n"


def fenced(code: str) -> str:
    return f"Here it is:\n```python\n{code}```\n"


@pytest.fixture
def endpoint():
    server = ScriptedEndpoint()
    yield server
    server.close()


def run(tmp_path, endpoint, suite, variant, script, sandbox, items=None):
    endpoint.scripts["he-loop"] = script
    registry = ModelRegistry()
    registry.register("scripted", LiteLLMModel("openai/he-loop", api_base=endpoint.base))
    store = EvalStore(tmp_path / "eval.db")
    run_id = run_suite(suite, {"models": ["scripted"], "langs": ["python"], "limit": 1, "variants": [variant],
                               "items": items},
                       store, run_name="v", ctx=WorkerContext(registry=registry, sandbox=sandbox), progress=False)
    _, rows, _ = build(store, run_id)
    store.close()
    assert [r["status"] for r in rows] == ["ok"], [r.get("error") for r in rows]
    return rows[0]


def test_examples_variant_scores_with_the_hidden_tests_not_the_loops(tmp_path, endpoint, docker_sandbox):
    row = run(tmp_path, endpoint, "humaneval-x", "examples", [fenced(ADJACENT_ONLY)], docker_sandbox)
    result, m = row["test_result"], row["metrics"]
    assert result["loop_tests_passed"] is True, result  # the loop's own tests (the examples) were satisfied
    assert m["model_calls"] == 1 and m["examples"] is True  # the examples passed: nothing for fix to do
    assert m["correct"] is False and result["scored"]["passed"] is False, result  # the hidden tests fail it
    # the loop never saw the hidden tests: the only request is the generate prompt, without their inputs
    assert len(endpoint.requests) == 1 and "5.9" not in str(endpoint.requests[0]["messages"])


def test_examples_variant_counts_a_right_answer(tmp_path, endpoint, docker_sandbox):
    row = run(tmp_path, endpoint, "humaneval-x", "examples", [fenced(RIGHT)], docker_sandbox)
    assert row["metrics"]["correct"] is True and row["test_result"]["scored"]["passed"] is True
    assert row["metrics"]["solved_by"] == "generate" and row["metrics"]["first_attempt_correct"] is True


def test_examples_variant_scores_the_generate_step_apart(tmp_path, endpoint, docker_sandbox):
    """A first answer that fails an example, fixed by the second: unsolved at the generate step, solved at the end."""
    row = run(tmp_path, endpoint, "humaneval-x", "examples", [fenced(NEVER), fenced(RIGHT)], docker_sandbox)
    m = row["metrics"]
    assert m["first_attempt_correct"] is False and m["correct"] is True and m["solved_by"] == "fix@1", m


def test_examples_variant_without_examples_or_designed_tests_scores_one_answer(tmp_path, endpoint, docker_sandbox):
    """Python/38 has no examples; when the model-written tests do not parse either, the loop cannot run, and the
    problem is scored on one (unverified) answer instead of counting as unsolved without one."""
    from evaluation.humaneval_code import canonical_answer
    from sandbox.humaneval import load

    record = next(r for r in load("python") if r["task_id"] == "Python/38")
    right = fenced(canonical_answer(record, "python"))
    row = run(tmp_path, endpoint, "humaneval-x", "examples", [right, "no tests here", right], docker_sandbox,
              items=["Python/38"])
    m = row["metrics"]
    assert row["item_id"] == "Python/38" and m["no_loop_tests"] is True and m["correct"] is True, row["test_result"]
    assert m["model_calls"] == 3 == len(endpoint.requests)


def test_fix_loop_learns_from_the_failure(tmp_path, endpoint, docker_sandbox):
    row = run(tmp_path, endpoint, "humanevalpack-fix", "loop", [fenced(NEVER), fenced(RIGHT)], docker_sandbox)
    m, trail = row["metrics"], row["test_result"]["trail"]
    assert m["correct"] is True and m["model_calls"] == 2, row["test_result"]
    assert [(a["stage"], a["status"]) for a in trail] == [("fix", "failed"), ("fix", "accepted")]
    assert m["bug_type"] == row["expected"] and m["tokens"] and m["tokens"] > 0
    # the second prompt carries what went wrong with the first candidate
    assert "return False" in str(endpoint.requests[1]["messages"])


def test_fix_loop_gives_up_after_its_budget(tmp_path, endpoint, docker_sandbox):
    row = run(tmp_path, endpoint, "humanevalpack-fix", "loop", [fenced(NEVER)], docker_sandbox)
    m = row["metrics"]
    assert m["correct"] is False and m["attempts"] == FIX_LOOP_ATTEMPTS
    assert row["test_result"]["status"] == "failed"
