"""Prompts for GuideLLM, SolverLLM and JudgeLLM, following Table IX of the RefactorCoderQA paper
(Objective / Problem Statement / Problem Description / previous responses / Instruction).

All prompt text lives here so that wording changes are one-file diffs. Long inputs are cut in the
middle (keeping head and tail, where signatures and the actual question usually are) so that the
judge prompt, which carries everything, still fits a small local model's context.
"""

from __future__ import annotations

from models.base import Message
from models.types import Problem
from source import languages

# Character budgets per field (≈ 4 chars/token): the judge prompt stays under ~3k tokens.
DESCRIPTION_BUDGET = 4000
CODE_BUDGET = 4000
GUIDANCE_BUDGET = 3000
SOLUTION_BUDGET = 4000

SYSTEM_PROMPT = "You are a careful senior software engineer. Answer precisely and concisely."

GUIDE_INSTRUCTION = (
    "Provide a detailed, step-by-step methodological guide outlining how to approach and effectively solve "
    "the problem described above. Clearly identify key steps, logical processes, essential considerations, "
    "and conceptual frameworks necessary to address the task comprehensively. Avoid providing the final code "
    "implementation, focusing instead on a structured, clear, and actionable methodological outline."
)

SOLVE_INSTRUCTION = (
    "Using the provided GuideLLM Response as a reference, generate a solution for the problem outlined above. "
    "The solution should implement the outlined steps and methodology clearly, ensuring correctness and "
    "adherence to the problem's requirements. Answer with exactly one fenced code block in {language} "
    "(```{fence}) containing the complete implementation, followed by at most two sentences of explanation."
)

SOLVE_INSTRUCTION_NO_GUIDE = (
    "Generate a solution for the problem outlined above, ensuring correctness and adherence to the problem's "
    "requirements. Answer with exactly one fenced code block in {language} (```{fence}) containing the "
    "complete implementation, followed by at most two sentences of explanation."
)

JUDGE_FORMAT = (
    "Strengths:\n- <one strength per line>\n"
    "Weaknesses:\n- <one weakness per line>\n"
    "Feedback: <one or two sentences of constructive feedback>\n"
    "Scores: Accuracy = N, Clarity = N, Efficiency = N"
)

JUDGE_INSTRUCTION = (
    "Using the provided Problem Statement, Description, and GuideLLM as references, evaluate the outcomes of "
    "the SolverLLM. Specifically assess the solution's correctness, completeness, and adherence to the "
    "outlined methodological guidance. Highlight key strengths and clearly identify any weaknesses or areas "
    "needing improvement. Provide constructive feedback and assign ratings for accuracy, clarity, and "
    "efficiency on a scale of 1 to 5, where 1 is poor and 5 is excellent.\n\n"
    "Answer in exactly this format, where each N is a whole number from 1 to 5:\n" + JUDGE_FORMAT
)

JUDGE_REMINDER = (
    "Your previous answer did not contain the scores in the required format. Reply again, and make the LAST "
    "line exactly:\nScores: Accuracy = N, Clarity = N, Efficiency = N\n"
    "where each N is a single whole number from 1 to 5 (1 = poor, 5 = excellent). Example of a valid last "
    "line: Scores: Accuracy = 3, Clarity = 4, Efficiency = 3"
)

def language_names(language: str | None) -> tuple[str, str]:
    """(name for the prompt, fence tag), from the language table; a language outside it (RefactorCoderQA
    has C problems) is named as given."""
    if not language:
        return ("Python", "python")  # RefactorCoderQA is mostly Python; the most useful default
    known = languages.lookup(language)
    if known is not None:
        return known.name, known.fence
    name = language.upper() if len(language) <= 2 else language.capitalize()  # "c" -> "C"
    return name, language.lower()


def truncate_middle(text: str, budget: int) -> str:
    if len(text) <= budget:
        return text
    keep = max(budget - 40, 20)
    head, tail = text[: keep * 2 // 3], text[-(keep // 3):]
    return f"{head}\n… [{len(text) - len(head) - len(tail)} characters omitted] …\n{tail}"


def _problem_block(problem: Problem) -> str:
    lines = [f"Problem Statement: {problem.title.strip()}"]
    if problem.description.strip():
        lines.append(f"Problem Description: {truncate_middle(problem.description.strip(), DESCRIPTION_BUDGET)}")
    if problem.code:
        _, fence = language_names(problem.language)
        lines.append(f"Existing Code:\n```{fence}\n{truncate_middle(problem.code.rstrip(), CODE_BUDGET)}\n```")
    return "\n".join(lines)


def _chat(user: str) -> list[Message]:
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def guide_messages(problem: Problem) -> list[Message]:
    return _chat(
        "Objective: Generate a structured methodology to solve the given coding problem.\n\n"
        f"{_problem_block(problem)}\n\nInstruction: {GUIDE_INSTRUCTION}"
    )


def solve_messages(problem: Problem, guidance: str | None) -> list[Message]:
    name, fence = language_names(problem.language)
    parts = [
        "Objective: Generate executable and optimized code solutions based on GuideLLM's methodology."
        if guidance else "Objective: Generate an executable and optimized code solution.",
        "",
        _problem_block(problem),
    ]
    if guidance:
        parts += ["", f"GuideLLM Response: {truncate_middle(guidance.strip(), GUIDANCE_BUDGET)}"]
        instruction = SOLVE_INSTRUCTION
    else:
        instruction = SOLVE_INSTRUCTION_NO_GUIDE
    parts += ["", "Instruction: " + instruction.format(language=name, fence=fence)]
    return _chat("\n".join(parts))


def judge_messages(problem: Problem, guidance: str | None, solution: str, evidence: str | None = None) -> list[Message]:
    """`evidence`: what running the solution proved (tests, differential checks, the measured change), so the
    judge's opinion sits beside the facts instead of guessing them."""
    parts = [
        "Objective: Evaluate SolverLLM's output for correctness, clarity, and efficiency.",
        "",
        _problem_block(problem),
        "",
        f"GuideLLM Response: {truncate_middle(guidance.strip(), GUIDANCE_BUDGET) if guidance else '(none: judge the solution on its own)'}",
        "",
        f"SolverLLM Response: {truncate_middle(solution.strip(), SOLUTION_BUDGET)}",
        "",
        *([f"Execution results (facts from running it in a sandbox; do not contradict them): {evidence}", ""]
          if evidence else []),
        f"Instruction: {JUDGE_INSTRUCTION}",
    ]
    return _chat("\n".join(parts))


def judge_retry_messages(first: list[Message], previous_answer: str) -> list[Message]:
    """The re-ask: the same request with the stricter reminder appended to it. The unparseable answer is
    not echoed back as an assistant turn: SmolLM2-135M then mostly repeats itself (in a trial on 8
    RefactorCoderQA problems this form got scores 5/8 times, the echoed conversation 3/8)."""
    del previous_answer  # kept in the signature: a larger model could use it, and callers pass it
    *head, last = first
    return [*head, {"role": last["role"], "content": f"{last['content']}\n\n{JUDGE_REMINDER}"}]
