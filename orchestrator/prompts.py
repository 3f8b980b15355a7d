"""Prompts of the loop's own stages (fix, refine, test designer) and turning an answer into a candidate.

What a prompt may carry: the code, the problem text, the user's failing test with its error and output
(fix), the profile of where time goes and the measured ratio (refine). What it never carries: the
differential inputs and the timing workload (reward-hacking guard) -- only counts and kinds.
"""

from __future__ import annotations

import ast

from models.base import Message
from models.parsing import extract_code
from models.prompts import SYSTEM_PROMPT
from orchestrator.code import function_from_answer

FENCE = {"python": "python", "cpp": "cpp", "java": "java", "go": "go", "rust": "rust", "js": "javascript"}
# The original's docstring is put back on every candidate (orchestrator.docstrings): re-typing it only spends
# the answer's tokens. Refine prompts say so; fix prompts do not (with it, the embedded 0.5B answered the buggy
# original back on tests/orchestrator/test_fix_real_model.py's task, three times out of three).
LEAVE_DOCS_OUT = " Leave the docstring and comments out: the original's docstring is kept."
METRIC_WORDS = {"time": "execution time", "peak_memory": "peak memory use", "mean_memory": "mean memory use",
                "cpu": "CPU utilisation"}


def _cut(text: str, budget: int = 3000) -> str:
    text = text or ""
    return text if len(text) <= budget else text[: budget // 2] + "\n…\n" + text[-budget // 2:]


def _msgs(user: str) -> list[Message]:
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def _problem(problem: str, budget: int) -> str:
    return f"Problem description:\n{_cut(problem, budget)}\n\n" if problem else ""


def _one_function(fence: str, name: str, corrected: bool = False) -> str:
    """How every code-writing stage's answer must look: one fenced block with the whole function."""
    return (f"answer with exactly one fenced code block (```{fence}) containing the complete "
            f"{'corrected ' if corrected else ''}function `{name}` (same name and parameters, plus any imports it "
            "needs), then at most one sentence.")


def _around(fence: str, name: str, context: str) -> str:
    """The module's definitions the function uses (and its class, for a method): read-only context."""
    return (f"What the code around `{name}` defines (context only; do not rewrite it):\n```{fence}\n{context}\n```\n\n"
            if context else "")


def fix_messages(language: str, name: str, code: str, problem: str, failure: str, context: str = "") -> list[Message]:
    fence = FENCE.get(language, language)
    return _msgs(
        f"Objective: fix the bug in the {language} function `{name}`.\n\n"
        + _problem(problem, 2000)
        + f"Code:\n```{fence}\n{_cut(code, 4000)}\n```\n\n"
        + _around(fence, name, context)
        + f"What went wrong when it ran:\n{_cut(failure, 2500)}\n\n"
        "Instruction: " + _one_function(fence, name, corrected=True))


def rewrite_messages(language: str, name: str, signature: str, problem: str, failure: str,
                     context: str = "") -> list[Message]:
    """A fix sample that does not show the failing code: the function written anew from its description and
    signature. Small models asked to repair code often answer it back unchanged (a duplicate); without the code in
    the prompt there is nothing to copy, and what went wrong (inputs, expected and actual values) still guides it."""
    fence = FENCE.get(language, language)
    return _msgs(
        f"Objective: write the {language} function `{name}` from its description; an earlier implementation had a "
        "bug and was discarded.\n\n"
        + _problem(problem, 2000)
        + f"Signature:\n```{fence}\n{signature}\n```\n\n"
        + _around(fence, name, context)
        + f"How the discarded implementation failed (avoid its mistake):\n{_cut(failure, 2000)}\n\n"
        "Instruction: think about the examples first, then " + _one_function(fence, name)
        + (LEAVE_DOCS_OUT if language == "python" else ""))


def signature_of(code: str, language: str, name: str) -> str:
    """The function's header without its body (Python: the `def` lines, decorators included; brace languages: up
    to the opening brace), for a prompt that must not show the body."""
    if language == "python":
        try:
            tree = ast.parse(code)
        except SyntaxError:
            return code.split(":", 1)[0] + ":"
        fn = next((n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                   and n.name == name), None)
        if fn is not None and fn.body:
            lines = code.splitlines()
            first = min([fn.lineno, *(d.lineno for d in fn.decorator_list)])
            return "\n".join(lines[first - 1:fn.body[0].lineno - 1]).rstrip() + "\n    ..."
        return code.split(":", 1)[0] + ":"
    head = code.split("{", 1)[0].rstrip()
    return head + " { ... }"


def refine_messages(language: str, name: str, code: str, problem: str, metric: str, profile: str,
                    feedback: str, strategy: str = "", context: str = "") -> list[Message]:
    """`strategy`: what this sample is asked to try (orchestrator.strategies), `{goal}` filled here."""
    fence = FENCE.get(language, language)
    goal = METRIC_WORDS.get(metric, metric)
    idea = strategy.format(goal=goal) if strategy else "Use a better algorithm or data structure."
    return _msgs(
        f"Objective: make the {language} function `{name}` use less {goal} while keeping exactly the same "
        "behaviour (same results, same exceptions, same output, no changes to its arguments unless the original "
        "changes them).\n\n"
        + _problem(problem, 1500)
        + f"Code:\n```{fence}\n{_cut(code, 4000)}\n```\n\n"
        + _around(fence, name, context)
        + (f"Where the {goal} goes (profile of a typical run):\n{_cut(profile, 2000)}\n\n" if profile else "")
        + (f"Earlier attempts:\n{_cut(feedback, 1500)}\n\n" if feedback else "")
        + idea + " Do not cache results between calls (no module-level caches, "
        "mutable default arguments or functools caches): every call must do its own work.\n"
        "Instruction: " + _one_function(fence, name) + (LEAVE_DOCS_OUT if language == "python" else ""))


def repair_messages(language: str, name: str, code: str, problem: str, metric: str, failure: str,
                    context: str = "") -> list[Message]:
    """Optimize's repair sample: a new version that breaks a user test (a near-miss of the search) shown with
    what went wrong, to be fixed without going back to the original's slower way. Only the user's own tests
    are shown, never the differential inputs or the workload (the reward-hacking guard above)."""
    fence = FENCE.get(language, language)
    goal = METRIC_WORDS.get(metric, metric)
    return _msgs(
        f"Objective: this new version of the {language} function `{name}`, written to use less {goal}, breaks a "
        "test. Fix its bug so that it returns exactly what the description and the tests expect, and keep its "
        "new approach (do not go back to a slower one).\n\n"
        + _problem(problem, 1500)
        + f"Code:\n```{fence}\n{_cut(code, 4000)}\n```\n\n"
        + _around(fence, name, context)
        + f"What went wrong when it ran:\n{_cut(failure, 2000)}\n\n"
        "Instruction: " + _one_function(fence, name, corrected=True))


def plan_messages(language: str, name: str, code: str, metric: str, context: str = "") -> list[Message]:
    """The edge model's plan before an Optimize search (GuideLLM, paper 000): two or three different approaches
    with their complexity, no code. Each becomes the "algorithm" sample of one round (orchestrator.strategies).
    The line's shape is given without a concrete approach: with one ("one pass with a set of seen items: O(n)")
    the embedded 0.5B answered that approach back as its plan for fib4 and modp alike."""
    fence = FENCE.get(language, language)
    goal = METRIC_WORDS.get(metric, metric)
    return _msgs(
        f"Objective: plan how to make the {language} function `{name}` use less {goal} while returning exactly the "
        "same results.\n\n"
        f"Code:\n```{fence}\n{_cut(code, 3000)}\n```\n\n"
        + _around(fence, name, context)
        + "Instruction: propose three different approaches, most promising first, as a numbered list: one line "
        "each, the approach in a few words and its time complexity (`1. <approach>: <time complexity>`). Write no "
        "code.")


def test_designer_messages(language: str, name: str, code: str, problem: str) -> list[Message]:
    return _msgs(
        f"Objective: write tests for the {language} function `{name}`.\n\n"
        + _problem(problem, 2000)
        + f"Code:\n```python\n{_cut(code, 3000)}\n```\n\n"
        f"Instruction: answer with one ```python code block of 5 to 10 lines, each a single `assert {name}(...) "
        "== expected` covering basic, edge and large cases, with expected values you are sure of.")


def candidate_from_answer(answer: str, language: str, name: str, module_text: str | None = None) -> tuple[str | None, str]:
    """The function to put in place of the original, from a model's answer: (code, reason if none).

    Every language (tree-sitter, orchestrator/code.py): the function `name` from the answer, with the
    answer's imports, helper functions, helper types and constants that the module does not define
    already; example usage (`print(f(3))`, `main`, `console.log(...)`, `if __name__ == ...`) is dropped.
    """
    code = extract_code(answer, language) or (answer if language == "python" and "def " in answer else None)
    if not code:
        return None, "the answer had no code block"
    try:
        found, why = function_from_answer(code, language, name, module_text)
    except ValueError as exc:
        return None, str(exc)
    if found is None:
        return None, why
    if language == "python":
        try:
            ast.parse(found)
        except SyntaxError as exc:
            return None, f"the answer's code does not parse (line {exc.lineno}: {exc.msg})"
    return found, ""


DRIVER_SHAPE = {
    "cpp": "a complete `int main()` (with the #include lines it needs) that prints with std::cout",
    "java": "a class `DiffMain` (not public) with `public static void main(String[] args)` that calls `{owner}{name}` "
            "and prints with System.out.println",
    "go": "a `func main()` (with the import lines it needs, no package clause) that prints with fmt.Println",
    "rust": "a `fn main()` (with the `use` lines it needs) that prints with println!",
    "js": "top-level statements (no function named main) that print with console.log(JSON.stringify(...))",
}


def input_driver_messages(language: str, name: str, code: str, problem: str, owner: str | None = None) -> list[Message]:
    """The input generator for differential tests in C++, Java, Go, Rust and JavaScript. Its program is
    run against the original to get the expected outputs; it is never shown to a candidate writer."""
    fence = FENCE.get(language, language)
    shape = DRIVER_SHAPE[language].format(owner=f"{owner}." if owner else "", name=name)
    return _msgs(
        f"Objective: write a test-input program for the {language} function `{name}`.\n\n"
        + _problem(problem, 1500)
        + f"The function (already defined; do not define it again):\n```{fence}\n{_cut(code, 3000)}\n```\n\n"
        f"Instruction: answer with exactly one fenced code block (```{fence}) containing {shape}. It calls `{name}` "
        "on 20 to 40 different valid inputs written as literals in the code (typical cases, edge cases such as empty "
        "or single-element inputs, duplicates, negative numbers, large values within the problem's limits) and "
        "prints one line per call showing the result (for containers, every element). No randomness, no input "
        "reading, no timing.")
