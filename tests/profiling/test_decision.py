"""The decision rule on synthetic samples (no sandbox): error rates, effect detection, Bonferroni."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from profiling import BETTER, NO_DIFFERENCE, WORSE, decide
from profiling.decision import settled


def draw(rng, n, scale=1.0, cv=0.03):
    # Timings are positive and right-skewed: lognormal with the given coefficient of variation.
    return list(scale * rng.lognormal(0.0, cv, n))


def test_identical_distributions_false_better_rate_within_alpha():
    rng = np.random.default_rng(2026)
    trials = 300
    better = sum(decide(draw(rng, 20, cv=0.05), draw(rng, 20, cv=0.05)).verdict == BETTER for _ in range(trials))
    # The 5% minimum effect makes a false "better" far rarer than alpha; never above alpha/2 (one-sided).
    assert better / trials <= 0.025


@settings(derandomize=True, max_examples=60, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), n=st.integers(20, 80), cv=st.floats(0.005, 0.04),
       scale=st.floats(1e-3, 1e3))
def test_same_distribution_is_never_better(seed, n, cv, scale):
    rng = np.random.default_rng(seed)
    decision = decide(draw(rng, n, scale, cv), draw(rng, n, scale, cv))
    assert decision.verdict != BETTER
    assert decision.ci_low <= decision.ratio <= decision.ci_high


@settings(derandomize=True, max_examples=40, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), cv=st.floats(0.005, 0.04))
def test_a_25_percent_speed_up_is_better_and_the_slow_down_worse(seed, cv):
    rng = np.random.default_rng(seed)
    a, b = draw(rng, 20, 1.0, cv), draw(rng, 20, 0.75, cv)
    faster = decide(a, b)
    assert faster.verdict == BETTER
    assert faster.ci_low <= 0.75 * 1.05 and faster.ci_high < 0.95
    assert faster.improvement == pytest.approx(1 - faster.ratio)
    assert decide(b, a).verdict == WORSE


def test_detection_rate_of_a_25_percent_shift():
    rng = np.random.default_rng(7)
    hits = sum(decide(draw(rng, 20, cv=0.05), draw(rng, 20, 0.75, cv=0.05)).verdict == BETTER for _ in range(100))
    assert hits >= 95


def test_small_effect_below_min_effect_is_no_difference():
    rng = np.random.default_rng(3)
    # A real 2% speed-up, measured precisely: significant, but below the 5% minimum effect.
    d = decide(draw(rng, 200, cv=0.01), draw(rng, 200, 0.98, cv=0.01))
    assert d.p_value < 1e-6
    assert d.verdict == NO_DIFFERENCE
    assert settled(d)  # the interval sits inside the +-5% band: more samples would not change the answer


def test_noisy_samples_give_no_significant_difference():
    rng = np.random.default_rng(11)
    d = decide(draw(rng, 20, cv=0.5), draw(rng, 20, 0.9, cv=0.5))
    assert d.verdict == NO_DIFFERENCE
    assert not settled(d)  # wide interval: a measurement loop would take more pairs


def test_bonferroni_divides_alpha_by_the_number_of_candidates():
    # Fully separated samples of five: the exact two-sided Mann-Whitney p is 2/252 = 0.0079.
    a = [1.00, 1.01, 1.02, 1.03, 1.04]
    b = [0.70, 0.71, 0.72, 0.73, 0.74]
    one = decide(a, b)
    assert one.p_value == pytest.approx(2 / 252, rel=1e-6)
    assert one.verdict == BETTER
    ten = decide(a, b, comparisons=10)
    assert ten.alpha_adjusted == pytest.approx(0.005)
    assert ten.verdict == NO_DIFFERENCE
    assert any("alpha/k" in note for note in ten.notes)


def test_higher_is_better_flips_the_direction():
    rng = np.random.default_rng(5)
    a, b = draw(rng, 30, 1.0), draw(rng, 30, 1.3)
    assert decide(a, b, lower_is_better=False).verdict == BETTER
    assert decide(a, b).verdict == WORSE


def test_min_effect_is_respected():
    rng = np.random.default_rng(9)
    a, b = draw(rng, 60, 1.0, 0.01), draw(rng, 60, 0.9, 0.01)
    assert decide(a, b, min_effect=0.05).verdict == BETTER
    assert decide(a, b, min_effect=0.2).verdict == NO_DIFFERENCE


def test_identical_constant_samples():
    d = decide([4096.0] * 20, [4096.0] * 20)
    assert (d.verdict, d.ratio, d.ci_low, d.ci_high, d.p_value) == (NO_DIFFERENCE, 1.0, 1.0, 1.0, 1.0)


def test_ties_do_not_break_the_interval():
    # Memory peaks come in pages: many ties. The interval must stay finite.
    a = [8192.0] * 15 + [12288.0] * 5
    b = [4096.0] * 18 + [8192.0] * 2
    d = decide(a, b)
    assert math.isfinite(d.ci_low) and math.isfinite(d.ci_high)
    assert d.verdict == BETTER


def test_degenerate_inputs():
    assert decide([1.0], [0.5]).verdict == NO_DIFFERENCE
    zero = decide([0.0] * 5, [0.0] * 5)
    assert zero.verdict == NO_DIFFERENCE and math.isnan(zero.ratio)
    with pytest.raises(ValueError):
        decide([1.0, float("nan")], [1.0, 2.0])
    with pytest.raises(ValueError):
        decide([1.0, 2.0], [1.0, 2.0], comparisons=0)
    with pytest.raises(ValueError):
        decide([1.0, 2.0], [1.0, 2.0], min_effect=1.5)


def test_decision_is_typed_and_serialisable():
    rng = np.random.default_rng(1)
    d = decide(draw(rng, 20), draw(rng, 20, 0.7), metric="time", unit="s")
    data = d.model_dump(mode="json")
    for key in ("verdict", "metric", "ratio", "ci_low", "ci_high", "p_value", "n_pairs", "samples_a", "samples_b",
                "seconds"):
        assert key in data
    assert data["n_pairs"] == 20 and len(data["samples_a"]) == 20
    assert decide(d.samples_a, d.samples_b, metric="time", unit="s").ratio == d.ratio  # deterministic
