"""Is B better than A? The statistics only: paired samples in, a typed :class:`Decision` out.

The measurement takes A and B as interleaved pairs (random order inside each pair), so the right unit of
evidence is the pair: ``d_i = log(b_i / a_i)``. Slow drift of the machine cancels inside a pair, and with
the order drawn at random ``d_i`` is symmetric about 0 when A and B are the same program.

* test: two-sided **Wilcoxon signed-rank** test on the ``d_i`` (``scipy.stats.wilcoxon``; exact null
  distribution for up to 50 pairs without ties or zeros, else the normal approximation with zeros split
  between the signs);
* effect and interval: the **Hodges-Lehmann** estimate (median of the Walsh averages ``(d_i + d_j) / 2``)
  and its distribution-free interval at the same level as the test (Tukey's order statistics of the
  Walsh averages), exponentiated: ``ratio`` is the typical B/A of a pair. The test rejects exactly when
  this interval excludes 1, so the two never disagree;
* level: ``alpha / comparisons / looks`` -- Bonferroni over the job's k candidates and over the planned
  looks of the sequential plan (:class:`SequentialPlan`); the union bound makes the whole plan's chance
  of a false verdict <= alpha whatever the looks' correlation;
* verdict ``"better"`` only when significant *and* the whole interval clears the minimum effect (default
  5%) in the good direction; ``"worse"`` symmetrically; otherwise ``"no significant difference"``.

scipy is imported lazily so that ``import profiling`` stays cheap (the sandbox imports it).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import lru_cache
from statistics import median
from typing import Literal, Optional, Sequence

from pydantic import BaseModel, Field

from profiling.metrics import Profile

Verdict = Literal["better", "worse", "no significant difference"]
BETTER: Verdict = "better"
WORSE: Verdict = "worse"
NO_DIFFERENCE: Verdict = "no significant difference"
CONFIDENCE = 0.95
TEST_NAME = "Wilcoxon signed-rank on paired log ratios"
INTERVAL_NAME = "Hodges-Lehmann (signed-rank inversion)"
EXACT_UP_TO = 50  # pairs: scipy's exact signed-rank distribution (and ours for the interval) up to here


class SideMetric(BaseModel):
    """Another metric of the same samples, compared beside the decided one (point 7: a win on one metric
    must not hide a loss on another)."""

    metric: str
    ratio: float = Field(description="Hodges-Lehmann B/A of the pairs")
    ci_low: float
    ci_high: float
    p_value: float
    blocking: bool = Field(description="a significant worsening of this metric keeps the verdict from 'better'")
    worse: bool = Field(description="significantly worse (p < alpha) by more than the minimum effect")

    def describe(self) -> str:
        if self.ratio >= 1:
            return f"{self.metric.replace('_', ' ')} {self.ratio:.2g}x {'slower' if 'time' in self.metric else 'more'}"
        return f"{self.metric.replace('_', ' ')} {self.ratio:.2g}x"


class Decision(BaseModel):
    """Outcome of comparing candidate B with baseline A on one metric.

    ``ratio`` is the Hodges-Lehmann estimate of B/A over the pairs: below 1 means B used less (time,
    memory, CPU). For time metrics the samples are per-repetition costs (see ``profiling.measure``).
    """

    verdict: Verdict
    metric: str = Field("", description="what was measured, e.g. 'time' (CPU seconds, kernel rusage)")
    ratio: float = Field(description="Hodges-Lehmann estimate of B/A (exp of the median Walsh average of log ratios)")
    ci_low: float = Field(description="lower end of the ratio's interval at level 1 - alpha_adjusted")
    ci_high: float = Field(description="upper end of the ratio's interval at level 1 - alpha_adjusted")
    p_value: float = Field(description="two-sided Wilcoxon signed-rank p of the paired log ratios")
    n_pairs: int = Field(description="interleaved pairs measured")
    samples_a: list[float] = Field(default_factory=list)
    samples_b: list[float] = Field(default_factory=list)
    seconds: float = Field(0.0, description="wall time spent measuring and deciding")
    median_a: float = 0.0
    median_b: float = 0.0
    lower_is_better: bool = True
    min_effect: float = 0.05
    alpha: float = 0.05
    comparisons: int = 1
    alpha_adjusted: float = Field(0.05, description="the level p had to reach: alpha / comparisons / looks")
    confidence: float = Field(CONFIDENCE, description="the interval's level, 1 - alpha_adjusted")
    unit: str = ""
    loop_count: int = Field(1, description="the smaller of the two programs' repetitions per sample")
    notes: list[str] = Field(default_factory=list)
    # -- the sequential plan and the measurement behind the numbers ---------------------------------------
    test: str = TEST_NAME
    interval: str = INTERVAL_NAME
    looks: list[int] = Field(default_factory=list, description="planned looks, in pairs")
    alpha_per_look: float = Field(0.05, description="alpha / comparisons / len(looks) (Bonferroni)")
    look: int = Field(1, description="the look (1-based) this decision was taken at")
    stopped: str = Field("", description="why measuring stopped: decided, inside the band, last look, budget")
    loop_count_a: int = Field(1, description="A's workload repetitions per sample (calibrated for A)")
    loop_count_b: int = Field(1, description="B's workload repetitions per sample (calibrated for B)")
    startup_a: float = Field(0.0, description="A's repeat-0 start-up cost subtracted from its samples")
    startup_b: float = Field(0.0, description="B's start-up cost subtracted (never more than A's)")
    side: list[SideMetric] = Field(default_factory=list, description="other metrics of the same samples")
    blocked_by: Optional[str] = Field(None, description="why a 'better' on this metric was not granted")
    profiles_a: list[Profile] = Field(default_factory=list, description="every timed sample of A, whole")
    profiles_b: list[Profile] = Field(default_factory=list, description="every timed sample of B, whole")

    @property
    def improvement(self) -> float:
        """Relative gain of B over A in the good direction (0.2 = 20% less time for lower-is-better)."""
        return (1.0 - self.ratio) if self.lower_is_better else (self.ratio - 1.0)

    @property
    def better(self) -> bool:
        return self.verdict == BETTER

    def summary(self) -> str:
        text = (f"{self.verdict}: B/A = {self.ratio:.3f} [{self.ci_low:.3f}, {self.ci_high:.3f}] "
                f"p = {self.p_value:.2g} (alpha/k/looks = {self.alpha_adjusted:.3g}), n = {self.n_pairs}")
        if self.blocked_by:
            text += f"; not better: {self.blocked_by}"
        return text


# -- the sequential plan ---------------------------------------------------------------------------------

LOOK_GROWTH = 1.5  # each planned look at ~1.5x the previous one's pairs
FIRST_LOOK_SLACK = 1  # the first look can reject even with this many Walsh averages on the wrong side


@dataclass(frozen=True)
class SequentialPlan:
    """Planned looks (pairs) and the level of each, fixed before any sample is taken.

    Alpha is spent by Bonferroni: each of the L looks tests at ``alpha / k / L``. Simple, valid under any
    dependence between looks, and flat -- the first look gets as much as the last, which is what lets a
    large effect stop there. The first look is at the fewest pairs that can reach its level with a margin
    (``FIRST_LOOK_SLACK``: one pair may be out of line), never fewer than ``first``; the others grow by
    ``LOOK_GROWTH`` up to ``last``. A look that the time budget cuts short is taken early with the level
    of the look it replaces, and the plan ends there (still inside the union bound).
    """

    looks: tuple[int, ...]
    alpha_per_look: float

    @classmethod
    def build(cls, alpha: float = 0.05, comparisons: int = 1, first: int = 6, last: int = 100) -> "SequentialPlan":
        if not 0 < alpha < 1 or comparisons < 1:
            raise ValueError("alpha must be in (0, 1) and comparisons >= 1")
        n1 = max(2, first)
        while True:
            looks = _looks(n1, max(last, n1))
            level = alpha / comparisons / len(looks)
            if critical_count(n1, level) >= FIRST_LOOK_SLACK:
                return cls(looks, level)
            n1 += 1

    @property
    def last(self) -> int:
        return self.looks[-1]


def _looks(first: int, last: int) -> tuple[int, ...]:
    if last <= first:
        return (first,)
    steps = max(1, math.ceil(math.log(last / first) / math.log(LOOK_GROWTH) - 1e-9))
    looks = sorted({round(first * (last / first) ** (j / steps)) for j in range(steps + 1)})
    return tuple(looks)


# -- the paired test and its interval ----------------------------------------------------------------------

@lru_cache(maxsize=128)
def _signed_rank_cdf(n: int):
    """P(T <= t) for t = 0 .. n(n+1)/2, T the signed-rank statistic of n untied non-zero pairs under H0."""
    import numpy as np

    total = n * (n + 1) // 2
    counts = np.zeros(total + 1)
    counts[0] = 1.0
    for rank in range(1, n + 1):
        shifted = np.zeros_like(counts)
        shifted[rank:] = counts[:total + 1 - rank]
        counts = counts + shifted
    return np.cumsum(counts) / 2.0 ** n


def critical_count(n: int, level: float, exact: bool = True) -> int:
    """The largest c with P(T <= c) <= level / 2: the interval runs from the (c+1)-th smallest to the
    (c+1)-th largest Walsh average. -1 when no interval at this level exists for n pairs."""
    if n < 1:
        return -1
    if exact and n <= EXACT_UP_TO:
        import numpy as np

        cdf = _signed_rank_cdf(n)
        return int(np.searchsorted(cdf, level / 2, side="right")) - 1
    from scipy.stats import norm

    mean, sd = n * (n + 1) / 4, math.sqrt(n * (n + 1) * (2 * n + 1) / 24)
    return int(math.floor(mean - norm.ppf(1 - level / 2) * sd))


def signed_rank_p(d: Sequence[float]) -> float:
    """Two-sided Wilcoxon signed-rank p of ``d`` (1.0 when every difference is zero)."""
    import numpy as np
    from scipy import stats

    d = np.asarray(d, dtype=float)
    if not np.any(d != 0):
        return 1.0
    exact = len(d) <= EXACT_UP_TO and np.all(d != 0) and len(np.unique(np.abs(d))) == len(d)
    res = stats.wilcoxon(d, zero_method="zsplit", method="exact" if exact else "approx")
    p = float(res.pvalue)
    return p if math.isfinite(p) else 1.0


def hodges_lehmann(d: Sequence[float], level: float) -> tuple[float, float, float]:
    """(estimate, low, high) of the pseudo-median of ``d`` with the signed-rank interval at 1 - level
    (infinite ends when no interval at this level exists for so few pairs)."""
    import numpy as np

    d = np.asarray(d, dtype=float)
    n = len(d)
    i, j = np.triu_indices(n)
    walsh = np.sort((d[i] + d[j]) / 2.0)
    estimate = float(np.median(walsh))
    exact = np.all(d != 0) and len(np.unique(np.abs(d))) == n
    c = critical_count(n, level, exact=bool(exact))
    if c < 0:
        return estimate, -math.inf, math.inf
    return estimate, float(walsh[c]), float(walsh[len(walsh) - 1 - c])


def _clean(values: Sequence[float]) -> list[float]:
    out = [float(v) for v in values]
    if any(not math.isfinite(v) for v in out):
        raise ValueError("samples must be finite numbers")
    return out


@dataclass(frozen=True)
class PairedComparison:
    """The paired test and interval of one metric: ratio, interval and p at one level."""

    ratio: float
    ci_low: float
    ci_high: float
    p_value: float


def compare_pairs(a: Sequence[float], b: Sequence[float], level: float) -> Optional[PairedComparison]:
    """Wilcoxon + Hodges-Lehmann on ``log(b_i / a_i)``; None when a value is not positive."""
    if not a or min(min(a), min(b)) <= 0:
        return None
    d = [math.log(y / x) for x, y in zip(a, b)]
    estimate, low, high = hodges_lehmann(d, level)
    return PairedComparison(math.exp(estimate), _exp(low), _exp(high), signed_rank_p(d))


def _exp(x: float) -> float:
    return math.exp(x) if math.isfinite(x) else (math.inf if x > 0 else 0.0)


def decide(samples_a: Sequence[float], samples_b: Sequence[float], *, lower_is_better: bool = True,
           min_effect: float = 0.05, alpha: float = 0.05, comparisons: int = 1, looks: int = 1,
           metric: str = "", unit: str = "", seed: int = 0) -> Decision:
    """Decide whether B (candidate) is better than A (baseline) from paired samples (``a[i]`` and ``b[i]``
    measured as one interleaved pair; extra samples on one side are ignored, with a note).

    ``comparisons`` is k, the candidates compared in the same job, and ``looks`` the planned looks of the
    sequential plan this is one of: the test and the interval are at ``alpha / k / looks``. Pure function of
    its inputs (``seed`` is accepted for compatibility; nothing here is random).
    """
    del seed
    if not 0 <= min_effect < 1:
        raise ValueError("min_effect must be in [0, 1)")
    if not 0 < alpha < 1:
        raise ValueError("alpha must be in (0, 1)")
    if comparisons < 1 or looks < 1:
        raise ValueError("comparisons and looks must be >= 1")
    start = time.monotonic()
    a, b = _clean(samples_a), _clean(samples_b)
    notes: list[str] = []
    if len(a) != len(b):
        notes.append(f"{len(a)} A and {len(b)} B samples: the first {min(len(a), len(b))} pairs used")
        a, b = a[:len(b)], b[:len(a)]
    level = alpha / comparisons / looks
    base = dict(metric=metric, unit=unit, samples_a=a, samples_b=b, n_pairs=len(a), lower_is_better=lower_is_better,
                min_effect=min_effect, alpha=alpha, comparisons=comparisons, alpha_adjusted=level,
                alpha_per_look=level, confidence=1 - level)
    undefined = dict(verdict=NO_DIFFERENCE, ratio=math.nan, ci_low=0.0, ci_high=math.inf, p_value=1.0)
    if len(a) < 2:
        return Decision(**undefined, notes=notes + ["fewer than 2 pairs: no decision possible"], **base)
    base.update(median_a=median(a), median_b=median(b))
    paired = compare_pairs(a, b, level)
    if paired is None:
        return Decision(**undefined, notes=notes + ["a sample is zero or negative: the ratio is undefined"], **base)
    low, high = paired.ci_low, paired.ci_high
    if math.isinf(high):
        notes.append(f"{len(a)} pairs are too few for an interval at level {1 - level:.4g}")
    significant = paired.p_value < level
    good, bad = (high < 1.0 - min_effect, low > 1.0 + min_effect)
    if not lower_is_better:
        good, bad = (low > 1.0 + min_effect, high < 1.0 - min_effect)
    verdict = BETTER if good and significant else WORSE if bad and significant else NO_DIFFERENCE
    if verdict == NO_DIFFERENCE and (good or bad):
        notes.append(f"interval clears {min_effect:.0%} but p = {paired.p_value:.3g} >= {level:.3g}")
    decision = Decision(verdict=verdict, ratio=paired.ratio, ci_low=low, ci_high=high, p_value=paired.p_value,
                        notes=notes, **base)
    decision.seconds = time.monotonic() - start
    return decision


def settled(decision: Decision) -> bool:
    """No more samples needed: decided, or the interval lies inside the +-min_effect band (confidently
    'no change' -- stopping there can only make a false 'better' rarer)."""
    if decision.verdict != NO_DIFFERENCE:
        return True
    band = decision.min_effect
    return 1.0 - band <= decision.ci_low and decision.ci_high <= 1.0 + band


def side_metric(metric: str, a: Sequence[float], b: Sequence[float], *, alpha: float, min_effect: float,
                blocking: bool) -> Optional[SideMetric]:
    """One side metric at level ``alpha`` (not divided: a worsening blocks more easily, the safe side)."""
    paired = compare_pairs(list(a), list(b), alpha)
    if paired is None or len(a) < 2:
        return None
    worse = paired.p_value < alpha and paired.ratio > 1.0 + min_effect
    return SideMetric(metric=metric, ratio=paired.ratio, ci_low=paired.ci_low, ci_high=paired.ci_high,
                      p_value=paired.p_value, blocking=blocking, worse=worse)
