"""The decision rule on synthetic pairs (no sandbox): the paired test, its interval, the sequential plan,
error rates and Bonferroni over candidates and looks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from profiling import BETTER, NO_DIFFERENCE, WORSE, compare_programs, decide
from profiling.decision import SequentialPlan, critical_count, hodges_lehmann, settled, signed_rank_p
from profiling.metrics import Profile
from sandbox.models import Result, RunSpec, Status


def draw(rng, n, scale=1.0, cv=0.03):
    # Timings are positive and right-skewed: lognormal with the given coefficient of variation.
    return list(scale * rng.lognormal(0.0, cv, n))


# -- the paired test and its interval -------------------------------------------------------------------------

def test_signed_rank_p_is_scipys_exact_wilcoxon():
    rng = np.random.default_rng(1)
    d = rng.normal(-0.1, 0.1, 12)
    assert signed_rank_p(d) == pytest.approx(stats.wilcoxon(d, method="exact").pvalue)
    assert signed_rank_p([0.0] * 8) == 1.0
    assert signed_rank_p([-0.3] * 9) < 0.01  # one tied value on every pair: the normal approximation


@settings(derandomize=True, max_examples=60, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), n=st.integers(6, 60), level=st.sampled_from([0.05, 0.01, 0.002]))
def test_the_interval_excludes_zero_exactly_when_the_test_rejects(seed, n, level):
    d = np.random.default_rng(seed).normal(0.05, 0.1, n)
    _, low, high = hodges_lehmann(d, level)
    if critical_count(n, level) < 0:
        assert math.isinf(low) and math.isinf(high)
        return
    assert (low > 0 or high < 0) == (signed_rank_p(d) <= level) or n > 50  # exact up to 50 pairs


def test_hodges_lehmann_interval_covers_the_true_shift():
    rng = np.random.default_rng(4)
    covered = 0
    for _ in range(400):
        d = rng.normal(-0.2, 0.05, 15)
        _, low, high = hodges_lehmann(d, 0.05)
        covered += low <= -0.2 <= high
    assert covered / 400 >= 0.93  # a 95% interval (discrete: at least 95% by construction, give or take)


# -- one look ---------------------------------------------------------------------------------------------

def test_identical_distributions_false_better_rate_within_alpha():
    rng = np.random.default_rng(2026)
    trials = 300
    better = sum(decide(draw(rng, 20, cv=0.05), draw(rng, 20, cv=0.05)).verdict == BETTER for _ in range(trials))
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


def test_pairing_cancels_drift_that_a_rank_sum_test_would_drown_in():
    # The machine slows down 3x over the run; each pair sees the same speed. B is 10% faster in every pair.
    speed = np.linspace(1.0, 3.0, 20)
    rng = np.random.default_rng(8)
    a = list(speed * rng.lognormal(0, 0.01, 20))
    b = list(0.9 * speed * rng.lognormal(0, 0.01, 20))
    assert stats.mannwhitneyu(a, b).pvalue > 0.2  # unpaired: nothing to see
    assert decide(a, b).verdict == BETTER


def test_small_effect_below_min_effect_is_no_difference():
    rng = np.random.default_rng(3)
    # A real 2% speed-up, measured precisely: significant, but below the 5% minimum effect.
    d = decide(draw(rng, 200, cv=0.01), draw(rng, 200, 0.98, cv=0.01))
    assert d.p_value < 1e-6
    assert d.verdict == NO_DIFFERENCE
    assert settled(d)  # the interval sits inside the +-5% band: more samples would not change the answer


def test_noisy_samples_give_no_significant_difference():
    rng = np.random.default_rng(12)
    d = decide(draw(rng, 20, cv=0.5), draw(rng, 20, 0.9, cv=0.5))
    assert d.verdict == NO_DIFFERENCE
    assert not settled(d)  # wide interval: a measurement loop would take more pairs


def test_bonferroni_divides_alpha_by_candidates_and_looks():
    # Eight pairs, B faster in every one: the exact two-sided signed-rank p is 2 / 2**8 = 0.0078.
    a = [1.00, 1.01, 1.02, 1.03, 1.04, 1.05, 1.06, 1.07]
    b = [0.70, 0.71, 0.72, 0.73, 0.74, 0.75, 0.76, 0.77]
    one = decide(a, b)
    assert one.p_value == pytest.approx(2 / 256)
    assert one.verdict == BETTER
    ten = decide(a, b, comparisons=10)
    assert ten.alpha_adjusted == pytest.approx(0.005) and ten.verdict == NO_DIFFERENCE
    assert any("too few" in note for note in ten.notes) and math.isinf(ten.ci_high)
    looks = decide(a, b, looks=10)
    assert looks.alpha_adjusted == pytest.approx(0.005) and looks.verdict == NO_DIFFERENCE


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
    assert settled(d)


def test_ties_do_not_break_the_interval():
    # Memory peaks come in pages: many ties and zero differences. The interval must stay finite.
    a = [8192.0] * 15 + [12288.0] * 5
    b = [4096.0] * 18 + [8192.0] * 2
    d = decide(a, b)
    assert math.isfinite(d.ci_low) and math.isfinite(d.ci_high)
    assert d.verdict == BETTER


def test_degenerate_inputs():
    assert decide([1.0], [0.5]).verdict == NO_DIFFERENCE
    zero = decide([0.0] * 5, [0.0] * 5)
    assert zero.verdict == NO_DIFFERENCE and math.isnan(zero.ratio)
    short = decide([1.0] * 4, [0.5] * 4)  # 4 pairs cannot reach 0.05 two-sided (1/16 > 0.025)
    assert short.verdict == NO_DIFFERENCE and math.isinf(short.ci_high)
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
                "seconds", "test", "alpha_per_look", "looks", "loop_count_a", "loop_count_b", "side", "blocked_by"):
        assert key in data
    assert data["n_pairs"] == 20 and len(data["samples_a"]) == 20
    assert decide(d.samples_a, d.samples_b, metric="time", unit="s").ratio == d.ratio  # deterministic


# -- the sequential plan ------------------------------------------------------------------------------------

def test_plan_spends_alpha_over_looks_and_candidates():
    plan = SequentialPlan.build(0.05, 1, first=6, last=60)
    assert plan.looks[0] >= 6 and plan.looks[-1] == 60
    assert all(later > earlier for earlier, later in zip(plan.looks, plan.looks[1:]))
    assert plan.alpha_per_look * len(plan.looks) == pytest.approx(0.05)
    # The first look can reject with one pair out of line, at its own level.
    assert critical_count(plan.looks[0], plan.alpha_per_look) >= 1
    eight = SequentialPlan.build(0.05, 8, first=6, last=60)
    assert eight.alpha_per_look * len(eight.looks) == pytest.approx(0.05 / 8)
    assert eight.looks[0] > plan.looks[0]  # a smaller level needs more pairs before it can reject
    assert SequentialPlan.build(0.05, 1, first=20, last=60).looks[0] == 20


class RatioRunner:
    """Fake sandbox for programs that run once per sample: A always costs 1 s of CPU; B's i-th measured run
    costs exp(d[i]) (then 1 s), so the pairs' log ratios are exactly ``d``."""

    def __init__(self, d):
        self.d, self.b_runs = list(d), 0

    def run(self, spec: RunSpec) -> Result:
        cpu = 1.0
        if spec.source == "B":
            self.b_runs += 1
            measured = self.b_runs - 2  # after the warm-up run
            cpu = math.exp(self.d[measured]) if 0 <= measured < len(self.d) else 1.0
        return Result(status=Status.OK, profile=Profile(cpu_time_s=cpu, wall_time_s=cpu, peak_memory_bytes=1))


def test_a_look_is_held_to_its_share_of_alpha():
    # At the first look (9 pairs, with the plan ending at 60) B is ~20% faster in 7 pairs and a little slower
    # in 2: exact p = 0.0195 and the 95% interval [0.78, 0.93] clears 5%. A plan that tests every look at the
    # full alpha says "better" here; at alpha / looks the interval reaches 1.06, and the neutral pairs that
    # follow end it.
    d = [-0.20, 0.05, -0.21, -0.22, -0.23, 0.06, -0.24, -0.25, -0.26] + [0.0] * 60
    assert decide([1.0] * 9, [math.exp(x) for x in d[:9]]).verdict == BETTER  # one look at full alpha
    looks: list = []
    spec_a, spec_b = RunSpec(language="cpp", source="A"), RunSpec(language="cpp", source="B")
    final = compare_programs(RatioRunner(d), spec_a, spec_b, seed=1, budget_s=1e9, max_pairs=60,
                             on_progress=lambda n, dec: dec is not None and looks.append(dec))
    assert looks[0].n_pairs == 9 and looks[0].verdict == NO_DIFFERENCE
    assert looks[0].alpha_adjusted == pytest.approx(0.05 / len(final.looks))
    assert final.verdict == NO_DIFFERENCE


def test_the_whole_plan_keeps_its_false_positive_rate_within_alpha():
    # A/A through compare_programs with min_effect = 0, so significance alone decides: each of the six looks
    # tested at the full alpha would reject ~12% of the trials; spent over the looks, ~3% (<= 5% by the
    # union bound). The runner's noise and the pair order come from different seeds.
    from tests.profiling.test_measure_unit import ScriptedRunner, py

    trials, rejected = 240, 0
    for i in range(trials):
        runner = ScriptedRunner({"a": 0.001}, noise=0.05, seed=i)
        d = compare_programs(runner, py("a"), py("a"), seed=100_000 + i, min_effect=0.0, budget_s=1e9, max_pairs=60)
        rejected += d.verdict != NO_DIFFERENCE
    assert rejected / trials <= 0.05
