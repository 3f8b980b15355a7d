"""What each sample of an Optimize round is asked to try, and how warm it samples.

Small models are weak at one-shot rewriting but strong when sampled several ways and filtered by execution
(arXiv 2404.00725; CodeT): a round asks for several candidates, each with its own strategy and temperature, so
that they differ in idea and not only in wording. The verification engine then screens them cheapest check
first and measures only the best (orchestrator.verify.engine.Verifier.verify_round).
"""

from __future__ import annotations

from dataclasses import dataclass


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


def round_strategies(round_: int, size: int) -> list[Strategy]:
    """`size` strategies for round `round_`: every round starts one strategy further on, so that a job of
    one-sample rounds still tries each idea in turn."""
    return [STRATEGIES[(round_ + i) % len(STRATEGIES)] for i in range(size)]
