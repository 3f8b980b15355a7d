"""The papers' metrics, as plain functions (each one tested against hand-computed values).

* :func:`pass_at_k` -- the unbiased estimator of Chen et al. (2021): ``1 - C(n-c, k) / C(n, k)``;
* :func:`fix_at_1` -- share of buggy programs whose first fix passes every test (HumanEvalFix);
* :func:`improvement_summary` -- PerfOrch's refine figures: share of programs improved *significantly*
  (the product's own ``profiling.decide`` verdict) and the median improvement among them;
* :func:`accuracy` -- MCQ accuracy;
* :func:`agreement` -- judge vs humans: mean absolute difference and Spearman's rho (scipy.stats);
* :func:`reliability_bins` -- mean human score per judge score (the reliability diagram's points).
"""

from __future__ import annotations

import math
from statistics import mean, median
from typing import Iterable, Sequence


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that at least one of k samples (drawn from n, of which c are correct) passes."""
    if not 0 <= c <= n or k < 1 or k > n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n (n={n}, c={c}, k={k})")
    if n - c < k:
        return 1.0
    # The product form avoids huge binomials: prod_{i=n-c+1}^{n} (1 - k / i).
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


def mean_pass_at_k(counts: Iterable[tuple[int, int]], k: int) -> float:
    """Mean pass@k over problems given as (n samples, c correct)."""
    values = [pass_at_k(n, c, k) for n, c in counts]
    return mean(values) if values else float("nan")


def fix_at_1(first_fix_passed: Sequence[bool]) -> float:
    """fix@1: a problem counts when its single (first) repaired program passes all its tests."""
    return sum(map(bool, first_fix_passed)) / len(first_fix_passed) if first_fix_passed else float("nan")


def accuracy(predicted: Sequence[str | None], gold: Sequence[str]) -> float:
    """Share of exact (case-insensitive) letter matches; an unreadable answer (None) counts as wrong."""
    if len(predicted) != len(gold):
        raise ValueError("predicted and gold differ in length")
    if not gold:
        return float("nan")
    return sum(p is not None and p.strip().upper() == g.strip().upper() for p, g in zip(predicted, gold)) / len(gold)


def improvement_summary(outcomes: Sequence[tuple[str, float | None]]) -> dict:
    """``outcomes``: one (verdict, improvement) per program, verdict from ``profiling.decide`` and improvement
    = 1 - median(B)/median(A). Share = significantly better / all programs measured; the median improvement
    is taken over the significantly better ones (PerfOrch reports the improvement of accepted refinements)."""
    total = len(outcomes)
    better = [imp for verdict, imp in outcomes if verdict == "better" and imp is not None]
    return {"programs": total, "improved": len(better),
            "share": len(better) / total if total else float("nan"),
            "median_improvement": median(better) if better else float("nan")}


def agreement(judge: Sequence[float], human: Sequence[float]) -> dict:
    """Mean absolute difference and Spearman's rho between paired scores (pairs with a None dropped)."""
    pairs = [(float(j), float(h)) for j, h in zip(judge, human) if j is not None and h is not None]
    if not pairs:
        return {"n": 0, "mad": float("nan"), "spearman": float("nan"), "p_value": float("nan")}
    mad = mean(abs(j - h) for j, h in pairs)
    rho, p = float("nan"), float("nan")
    js, hs = [j for j, _ in pairs], [h for _, h in pairs]
    if len(pairs) >= 3 and len(set(js)) > 1 and len(set(hs)) > 1:  # rho is undefined for a constant series
        from scipy.stats import spearmanr

        result = spearmanr(js, hs)
        rho, p = float(result.statistic), float(result.pvalue)
    return {"n": len(pairs), "mad": mad, "spearman": rho, "p_value": p}


def reliability_bins(judge: Sequence[float], human: Sequence[float], scale: range = range(1, 6)) -> list[dict]:
    """For each judge score s: how many items got s and the humans' mean score on them."""
    bins = []
    for s in scale:
        hs = [h for j, h in zip(judge, human) if j is not None and h is not None and round(j) == s]
        bins.append({"judge": s, "n": len(hs), "human_mean": mean(hs) if hs else float("nan")})
    return bins


def latency_summary(values: Sequence[float]) -> dict:
    vals = [v for v in values if v is not None]
    if not vals:
        return {"n": 0, "mean_s": float("nan"), "median_s": float("nan")}
    return {"n": len(vals), "mean_s": mean(vals), "median_s": median(vals)}
