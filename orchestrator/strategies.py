"""What each sample of an Optimize round is asked to try, and how warm it samples.

Small models are weak at one-shot rewriting but strong when sampled several ways and filtered by execution
(arXiv 2404.00725; CodeT): a round asks for several candidates, each with its own strategy and temperature, so
that they differ in idea and not only in wording. The verification engine then screens them cheapest check
first and measures only the best (orchestrator.verify.engine.Verifier.verify_round).

When the edge model planned approaches first (GuideLLM, paper 000: two or three methods with their complexity,
no code), each round's "algorithm" sample follows the next approach of that plan instead of the generic advice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Strategy:
    name: str
    instruction: str  # `{goal}` is the metric in words ("execution time")
    warmth: float  # added to the stage's temperature: the later strategies of a round sample wider


STRATEGIES: tuple[Strategy, ...] = (
    Strategy("algorithm",
             "Use a different algorithm with a lower complexity (for example one pass with a hash map or set instead "
             "of nested loops, a formula instead of a loop, dynamic programming instead of repeated recursion). "
             "Name the new complexity in your sentence after the code.", 0.2),
    Strategy("hot lines",
             "Keep the algorithm, and remove the repeated work on the lines where the profile says the {goal} goes: "
             "move invariant work out of loops, stop recomputing values, stop building intermediate lists or "
             "strings.", 0.5),
    Strategy("data structures",
             "Change the data structures or use the standard library: sets or maps for membership tests, joining "
             "once instead of repeated string concatenation, counters, deques, binary search, heaps, built-in "
             "functions that loop in native code.", 0.8),
)
# A sample after the model copied code back: only the signature is shown (orchestrator.refine._Search).
_REWRITE_LEAD = "Its body is not shown: write the function anew from its description and signature"
_REWRITE_EXACT = ("The results must be exactly what the description asks for, edge cases included (empty inputs, "
                  "ties, the order of results).")
REWRITE = (_REWRITE_LEAD + ", with an efficient algorithm (sets or maps for lookups, one pass instead of nested "
           "loops, a formula instead of a loop). " + _REWRITE_EXACT)
# The first sample of a round after one whose best candidate broke a user test: that candidate, repaired
# (orchestrator.prompts.repair_messages carries the code and the failure; the instruction is not used).
REPAIR = Strategy("repair", "", 0.0)
PLAN_STEPS = 3  # approaches taken from the plan at most
_PLAN_LINE = re.compile(r"^\s*(?:\d+\s*[.):]|[-*•])\s+(.+?)\s*$")


def plan_approaches(answer: str) -> list[str]:
    """The numbered (or bulleted) approaches of the edge model's plan, in its order; [] when it wrote none.
    Lines that carry code (a fence, a `def`, a `return`) are not approaches."""
    approaches = []
    in_fence = False
    for line in answer.splitlines():
        if line.strip().startswith("```"):
            in_fence = not in_fence
            continue
        match = None if in_fence else _PLAN_LINE.match(line)
        if not match:
            continue
        text = re.sub(r"[*_`]{1,2}", "", match.group(1)).strip(" .")
        if len(text) < 8 or re.search(r"\bdef \w+\(|\breturn\b|;\s*$|<[a-z ]+>", text):
            continue  # code, or the prompt's line shape answered back ("<approach>: <time complexity>")
        approaches.append(text[:200])
        if len(approaches) == PLAN_STEPS:
            break
    return approaches


def round_strategies(round_: int, size: int, approaches: list[str] | None = None,
                     enabled: list[str] | None = None) -> list[Strategy]:
    """`size` strategies for round `round_`: every round starts one strategy further on, so that a job of
    one-sample rounds still tries each idea in turn. With a plan, the k-th "algorithm" sample of the job follows
    approach k of the plan (cycling). `enabled`: the strategies' names to use (the job's limits), all by default."""
    pool = [s for s in STRATEGIES if enabled is None or s.name in enabled] or list(STRATEGIES)
    chosen = []
    for i in range(size):
        strategy = pool[(round_ + i) % len(pool)]
        if strategy.name == "algorithm" and approaches:
            k = (round_ + i // len(pool)) % len(approaches)
            strategy = replace(strategy, name=f"plan {k + 1}", instruction=(
                f"Use this approach: {_literal(approaches[k])}. Keep the results exactly the same as the original's. Name "
                "the new complexity in your sentence after the code."))
        chosen.append(strategy)
    return chosen


def _literal(text: str) -> str:
    """Plan text inside an instruction that is later .format()-ted with the goal."""
    return text.replace("{", "{{").replace("}", "}}")


def rewrite_instruction(strategy: Strategy) -> str:
    """A strategy's instruction for a sample that is not shown the body. "hot lines" keeps the algorithm it
    cannot see, so it becomes the generic rewrite; the others keep their idea."""
    if strategy.name == "hot lines":
        return REWRITE
    return f"{_REWRITE_LEAD}. {strategy.instruction} {_REWRITE_EXACT}"


def rewritten(strategy: Strategy) -> str:
    """The attempt's strategy label when it was not shown the body."""
    return "rewrite" if strategy.name == "hot lines" else f"{strategy.name}, rewritten"
