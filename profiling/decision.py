"""Is B better than A? The statistics only: samples in, a typed :class:`Decision` out.

The rule (criterion.rs / pyperf in spirit, PerfOrch's acceptance test made honest):

* effect size: the ratio of medians ``median(B) / median(A)`` (robust to the odd slow sample a busy
  machine produces), with a bootstrap 95% confidence interval (``scipy.stats.bootstrap``, BCa, pairs
  resampled together when the samples were taken as interleaved pairs, so slow drift of the machine
  cancels out);
* significance: a two-sided Mann-Whitney U rank test, compared with ``alpha / comparisons``
  (Bonferroni: a job that tries k candidates against one baseline gets k chances to be lucky);
* verdict ``"better"`` only when the whole interval clears the minimum effect (default 5%) in the
  good direction *and* the rank test is significant; ``"worse"`` symmetrically; otherwise
  ``"no significant difference"`` -- the honest answer for noise, small effects and few samples.

scipy is imported lazily so that ``import profiling`` stays cheap (the sandbox imports it).
"""

from __future__ import annotations

import math
import time
import warnings
from statistics import median
from typing import Literal, Sequence

from pydantic import BaseModel, Field

Verdict = Literal["better", "worse", "no significant difference"]
BETTER: Verdict = "better"
WORSE: Verdict = "worse"
NO_DIFFERENCE: Verdict = "no significant difference"
CONFIDENCE = 0.95
N_RESAMPLES = 2000  # enough for a 95% interval's end points to ~0.5% of the ratio; vectorised, ~10 ms


class Decision(BaseModel):
    """Outcome of comparing candidate B with baseline A on one metric.

    ``ratio`` is ``median(B) / median(A)``: below 1 means B used less (time, memory, CPU).
    """

    verdict: Verdict
    metric: str = Field("", description="what was measured, e.g. 'time' (CPU seconds, kernel rusage)")
    ratio: float = Field(description="median(B) / median(A)")
    ci_low: float = Field(description="lower end of the bootstrap 95% interval of the ratio")
    ci_high: float = Field(description="upper end of the bootstrap 95% interval of the ratio")
    p_value: float = Field(description="two-sided Mann-Whitney U p-value")
    n_pairs: int = Field(description="interleaved pairs measured (min of the two sample counts)")
    samples_a: list[float] = Field(default_factory=list)
    samples_b: list[float] = Field(default_factory=list)
    seconds: float = Field(0.0, description="wall time spent measuring and deciding")
    median_a: float = 0.0
    median_b: float = 0.0
    lower_is_better: bool = True
    min_effect: float = 0.05
    alpha: float = 0.05
    comparisons: int = 1
    alpha_adjusted: float = Field(0.05, description="alpha / comparisons (Bonferroni)")
    confidence: float = CONFIDENCE
    unit: str = ""
    loop_count: int = Field(1, description="workload repetitions per sample (same for A and B)")
    notes: list[str] = Field(default_factory=list)

    @property
    def improvement(self) -> float:
        """Relative gain of B over A in the good direction (0.2 = 20% less time for lower-is-better)."""
        return (1.0 - self.ratio) if self.lower_is_better else (self.ratio - 1.0)

    @property
    def better(self) -> bool:
        return self.verdict == BETTER

    def summary(self) -> str:
        return (f"{self.verdict}: B/A = {self.ratio:.3f} [{self.ci_low:.3f}, {self.ci_high:.3f}] "
                f"p = {self.p_value:.2g} (alpha/k = {self.alpha_adjusted:.3g}), n = {self.n_pairs}")


def _clean(values: Sequence[float]) -> list[float]:
    out = [float(v) for v in values]
    if any(not math.isfinite(v) for v in out):
        raise ValueError("samples must be finite numbers")
    return out


def ratio_interval(a: list[float], b: list[float], seed: int = 0) -> tuple[float, float, list[str]]:
    """Bootstrap 95% interval of median(b)/median(a); pairs resampled together when lengths match."""
    import numpy as np
    from scipy import stats

    notes: list[str] = []
    if len(set(a)) == 1 and len(set(b)) == 1:  # every sample identical: no sampling variation at all
        r = b[0] / a[0]
        return r, r, notes

    def statistic(x, y, axis=-1):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.median(y, axis=axis) / np.median(x, axis=axis)

    paired = len(a) == len(b)
    for method in ("BCa", "percentile"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DegenerateDataWarning: handled by the fallback below
            res = stats.bootstrap((np.asarray(a), np.asarray(b)), statistic, n_resamples=N_RESAMPLES,
                                  paired=paired, vectorized=True, confidence_level=CONFIDENCE, method=method,
                                  rng=np.random.default_rng(seed))
        low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
        if math.isfinite(low) and math.isfinite(high):
            if method != "BCa":
                notes.append("BCa interval degenerate (ties); percentile interval used")
            return low, high, notes
    notes.append("bootstrap interval undefined")
    return -math.inf, math.inf, notes


def rank_test(a: list[float], b: list[float]) -> float:
    """Two-sided Mann-Whitney U p-value (1.0 when every sample is the same value)."""
    from scipy import stats

    if len(set(a) | set(b)) == 1:
        return 1.0
    return float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)


def decide(samples_a: Sequence[float], samples_b: Sequence[float], *, lower_is_better: bool = True,
           min_effect: float = 0.05, alpha: float = 0.05, comparisons: int = 1, metric: str = "",
           unit: str = "", seed: int = 0) -> Decision:
    """Decide whether B (candidate) is better than A (baseline) from their samples.

    ``lower_is_better`` for time and memory; ``comparisons`` is k, the number of candidates compared in
    the same job (Bonferroni: the rank test must reach ``alpha / k``). Pure function of its inputs
    (the bootstrap's random stream is seeded with ``seed``).
    """
    if not 0 <= min_effect < 1:
        raise ValueError("min_effect must be in [0, 1)")
    if not 0 < alpha < 1:
        raise ValueError("alpha must be in (0, 1)")
    if comparisons < 1:
        raise ValueError("comparisons must be >= 1")
    start = time.monotonic()
    a, b = _clean(samples_a), _clean(samples_b)
    adjusted = alpha / comparisons
    base = dict(metric=metric, unit=unit, samples_a=a, samples_b=b, n_pairs=min(len(a), len(b)),
                lower_is_better=lower_is_better, min_effect=min_effect, alpha=alpha, comparisons=comparisons,
                alpha_adjusted=adjusted)
    if len(a) < 2 or len(b) < 2:
        return Decision(verdict=NO_DIFFERENCE, ratio=math.nan, ci_low=-math.inf, ci_high=math.inf, p_value=1.0,
                        notes=["fewer than 2 samples on a side: no decision possible"], **base)
    med_a, med_b = median(a), median(b)
    base.update(median_a=med_a, median_b=med_b)
    if med_a <= 0 or min(a + b) < 0:
        return Decision(verdict=NO_DIFFERENCE, ratio=math.nan, ci_low=-math.inf, ci_high=math.inf, p_value=1.0,
                        notes=["baseline median is zero or samples negative: the ratio is undefined"], **base)
    ratio = med_b / med_a
    low, high, notes = ratio_interval(a, b, seed)
    p = rank_test(a, b)
    significant = p < adjusted
    if lower_is_better:
        good = high < 1.0 - min_effect
        bad = low > 1.0 + min_effect
    else:
        good = low > 1.0 + min_effect
        bad = high < 1.0 - min_effect
    verdict = BETTER if good and significant else WORSE if bad and significant else NO_DIFFERENCE
    if verdict == NO_DIFFERENCE and (good or bad):
        notes.append(f"interval clears {min_effect:.0%} but p = {p:.3g} >= alpha/k = {adjusted:.3g}")
    decision = Decision(verdict=verdict, ratio=ratio, ci_low=low, ci_high=high, p_value=p, notes=notes, **base)
    decision.seconds = time.monotonic() - start
    return decision


def settled(decision: Decision) -> bool:
    """No more samples needed: decided, or the interval lies inside the +-min_effect band (confidently
    'no change'). Used by the measurement loop to stop early."""
    if decision.verdict != NO_DIFFERENCE:
        return True
    band = decision.min_effect
    return 1.0 - band <= decision.ci_low and decision.ci_high <= 1.0 + band
