"""humaneval-x's `pipeline` variant in the brace languages: generate -> fix through the product's loop
(orchestrator.loop.Orchestrator.solve with the record's tests as benchmark tests).

The model is a scripted OpenAI-compatible endpoint on loopback reached through litellm (real HTTP, litellm
not patched; tests/orchestrator/conftest.py); every candidate runs in the real Docker sandbox. The unit
tests at the end check the problem files for every record of every language without Docker."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation.context import WorkerContext
from evaluation.humaneval_code import LSP_ID, benchmark_program, problem_file
from evaluation.report import build
from evaluation.runner import run_suite
from evaluation.store import EvalStore
from evaluation.suites.humaneval import LANGUAGES
from evaluation.suites.humaneval_loop import FIX_ATTEMPTS
from models.litellm_backend import LiteLLMModel
from models.registry import ModelRegistry
from orchestrator.target import locate_text
from sandbox.humaneval import load
from tests.scripted_endpoint import ScriptedEndpoint

WRONG = {
    "cpp": "bool has_close_elements(vector<float> numbers, float threshold){\n    return false;\n}",
    "go": "func HasCloseElements(numbers []float64, threshold float64) bool {\n    return false\n}",
}
RIGHT = {
    "cpp": "#include<vector>\nusing namespace std;\n"
           "bool has_close_elements(vector<float> numbers, float threshold){\n"
           "    for (size_t i = 0; i < numbers.size(); i++)\n"
           "        for (size_t j = i + 1; j < numbers.size(); j++)\n"
           "            if (fabs(numbers[i] - numbers[j]) < threshold) return true;\n"
           "    return false;\n}",
    # no math.Abs: the prompt's `import "math"` must go (Go rejects an unused import; Target.with_code prunes it)
    "go": "func HasCloseElements(numbers []float64, threshold float64) bool {\n"
          "    for i := range numbers {\n        for j := i + 1; j < len(numbers); j++ {\n"
          "            d := numbers[i] - numbers[j]\n            if d < 0 {\n                d = -d\n            }\n"
          "            if d < threshold {\n                return true\n            }\n        }\n    }\n"
          "    return false\n}",
}
# what the sandbox reports for WRONG, as it must reach the fix prompt
FAILURE = {"cpp": "Assertion", "go": "Not equal"}


def fenced(code: str, lang: str) -> str:
    return f"Here is the function:\n```{LSP_ID[lang]}\n{code}\n```\nIt loops over all pairs."


@pytest.fixture
def endpoint():
    server = ScriptedEndpoint()
    yield server
    server.close()


def run_pipeline(tmp_path, endpoint, lang, script, sandbox):
    endpoint.scripts[f"he-{lang}"] = script
    registry = ModelRegistry()
    registry.register("scripted", LiteLLMModel(f"openai/he-{lang}", api_base=endpoint.base))
    store = EvalStore(tmp_path / "eval.db")
    run_id = run_suite("humaneval-x", {"models": ["scripted"], "langs": [lang], "limit": 1, "variants": ["pipeline"]},
                       store, run_name="p", ctx=WorkerContext(registry=registry, sandbox=sandbox), progress=False)
    _, rows, report = build(store, run_id)
    store.close()
    assert [r["status"] for r in rows] == ["ok"], [r.get("error") for r in rows]
    return rows[0], report


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.parametrize("lang", ["cpp", "go"])
def test_wrong_then_fixed_passes_with_two_model_calls(tmp_path, endpoint, docker_sandbox, lang):
    row, report = run_pipeline(tmp_path, endpoint, lang, [fenced(WRONG[lang], lang), fenced(RIGHT[lang], lang)],
                               docker_sandbox)
    m = row["metrics"]
    assert m["correct"] and m["model_calls"] == 2 and m["attempts"] == 2, row["test_result"]
    assert m["solved_by"] == "fix@1" and m["first_attempt_passed"] is False
    trail = row["test_result"]["trail"]
    assert [(a["stage"], a["status"]) for a in trail] == [("generate", "failed"), ("fix", "accepted")]
    assert FAILURE[lang] in trail[0]["reason"]  # the generate step's failure is in the record too
    assert row["latency"]["solve"] > 0 and row["latency"]["fix"] > 0 and "orchestrator" in row["latency"]
    # the fix stage saw the benchmark's failing test and its output, not just "it failed"
    assert len(endpoint.requests) == 2
    fix_prompt = endpoint.requests[1]["messages"][-1]["content"]
    assert "benchmark tests" in fix_prompt and FAILURE[lang] in fix_prompt, fix_prompt
    assert "return false" in fix_prompt  # the failed attempt's code is what the fix stage repairs
    assert report.tables[0].rows[0][:2] == ["scripted", "pipeline"] and report.tables[0].rows[0][-1] == "100.0% (1)"


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.parametrize("lang", ["cpp", "go"])
def test_always_wrong_fails_after_the_bound(tmp_path, endpoint, docker_sandbox, lang):
    row, report = run_pipeline(tmp_path, endpoint, lang, [fenced(WRONG[lang], lang)], docker_sandbox)
    m = row["metrics"]
    assert not m["correct"] and m["solved_by"] is None
    assert m["model_calls"] == m["attempts"] == 1 + FIX_ATTEMPTS == len(endpoint.requests)
    # The same wrong answer again is a duplicate of the generated code: never run again, one model call each.
    assert [a["status"] for a in row["test_result"]["trail"]] == ["failed"] + ["duplicate"] * FIX_ATTEMPTS
    assert row["test_result"]["status"] == "failed" and not row["test_result"]["passed"]
    assert report.tables[0].rows[0][-1] == "0.0% (1)"


# -- without Docker ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_record_becomes_a_target_named_as_its_tests_call_it(lang):
    """The stub is the target, with the problem statement beside it; in the records whose `entry_point`
    differs from the declared function (CPP/121, Rust/85, Java/99, ...) the declared one, which the tests call."""
    for record in load(lang):
        name, text, row = problem_file(record, lang)
        target = locate_text(Path("/nonexistent") / name, text, record["entry_point"] if row is None else None,
                             lang, row=row)
        assert any(stub in target.code for stub in ("not implemented", "NotImplementedError", "todo!()")), record["task_id"]
        assert target.name in benchmark_program(record, lang), record["task_id"]
        # the problem statement reaches the solver: as the target's documentation, or inside its code
        assert target.docstring or "/*" in target.code or "//" in target.code or '"""' in target.code \
            or record["task_id"] == "Rust/32", record["task_id"]


def test_cpp_problem_comment_moves_to_the_function():
    record = load("cpp")[0]
    name, text, row = problem_file(record, "cpp")
    target = locate_text(Path("/nonexistent") / name, text, None, "cpp", row=row)
    assert name == "problem.cpp" and "closer to each other" in target.docstring
    assert text.index("#include<stdio.h>") < text.index("Check if in given vector")


def test_go_benchmark_program_is_a_test_file_with_its_own_imports():
    program = benchmark_program(load("go")[0], "go")
    assert program.startswith("package main") and '"testing"' in program and "testify/assert" in program
    assert "func TestHasCloseElements" in program


def test_go_candidate_without_the_prompts_import_compiles():
    """Target.with_code drops the import only the stub's prompt needed (else `"math" imported and not used`)."""
    record = load("go")[0]
    name, text, row = problem_file(record, "go")
    target = locate_text(Path("/nonexistent") / name, text, None, "go", row=row)
    assert '"math"' in target.text
    assert '"math"' not in target.with_code(RIGHT["go"])
    assert '"math"' in target.with_code(RIGHT["go"].replace("d := numbers[i] - numbers[j]\n            if d < 0 {\n"
                                                            "                d = -d\n            }",
                                                            "d := math.Abs(numbers[i] - numbers[j])"))
