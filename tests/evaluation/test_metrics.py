"""The metric formulas against values computed by hand (the comments show the arithmetic)."""

import math

import pytest

from evaluation.metrics import (accuracy, agreement, fix_at_1, improvement_summary, mean_pass_at_k, pass_at_k,
                                reliability_bins)
from evaluation.suites.mcq import parse_letter


@pytest.mark.parametrize("n,c,k,expected", [
    (5, 2, 1, 0.4),  # c/n
    (5, 2, 2, 0.7),  # 1 - C(3,2)/C(5,2) = 1 - 3/10
    (10, 1, 5, 0.5),  # 1 - C(9,5)/C(10,5) = 1 - 126/252
    (4, 0, 1, 0.0),
    (3, 3, 2, 1.0),
    (6, 4, 3, 1.0),  # n - c < k: every draw of 3 contains a correct one
    (20, 5, 10, 1 - math.comb(15, 10) / math.comb(20, 10)),
])
def test_pass_at_k_unbiased_estimator(n, c, k, expected):
    assert pass_at_k(n, c, k) == pytest.approx(expected)


def test_pass_at_k_rejects_impossible_counts():
    for n, c, k in ((3, 4, 1), (3, 1, 4), (3, 1, 0)):
        with pytest.raises(ValueError):
            pass_at_k(n, c, k)


def test_mean_pass_at_1_is_the_share_of_correct_single_samples():
    assert mean_pass_at_k([(1, 1), (1, 0), (1, 1), (1, 1)], 1) == pytest.approx(0.75)
    assert mean_pass_at_k([(5, 2), (10, 1)], 2) == pytest.approx((0.7 + 0.2) / 2)  # 1 - C(9,2)/C(10,2) = 0.2


def test_fix_at_1():
    assert fix_at_1([True, False, True, True]) == pytest.approx(0.75)
    assert math.isnan(fix_at_1([]))


def test_significant_improvement_share_and_median():
    outcomes = [("better", 0.2), ("better", 0.4), ("no significant difference", 0.1), ("worse", -0.3),
                ("better", 0.3)]
    summary = improvement_summary(outcomes)
    assert summary["share"] == pytest.approx(3 / 5)  # 3 significantly better of 5 measured
    assert summary["median_improvement"] == pytest.approx(0.3)  # median of 0.2, 0.4, 0.3
    assert summary["improved"] == 3 and summary["programs"] == 5
    assert math.isnan(improvement_summary([("worse", -0.1)])["median_improvement"])


def test_mcq_accuracy_counts_unreadable_as_wrong():
    assert accuracy(["A", None, "c", "D"], ["A", "B", "C", "A"]) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        accuracy(["A"], ["A", "B"])


def test_agreement_mad_and_spearman():
    result = agreement([5, 4, 3, 2], [4, 4, 2, 2])
    assert result["mad"] == pytest.approx(0.5)  # (1 + 0 + 1 + 0) / 4
    # ranks 4,3,2,1 vs 3.5,3.5,1.5,1.5: deviations (1.5,.5,-.5,-1.5)·(1,1,-1,-1) = 4; norms sqrt(5), 2
    assert result["spearman"] == pytest.approx(4 / (2 * math.sqrt(5)))
    assert result["n"] == 4


def test_agreement_drops_missing_pairs_and_constant_series():
    result = agreement([5, None, 5, 5], [4, 3, None, 5])
    assert result["n"] == 2 and result["mad"] == pytest.approx(0.5)
    assert math.isnan(result["spearman"])  # fewer than 3 pairs / a constant series: undefined, not 0


def test_reliability_bins():
    bins = {b["judge"]: b for b in reliability_bins([5, 5, 4, 2], [4, 5, 3, 1])}
    assert bins[5]["n"] == 2 and bins[5]["human_mean"] == pytest.approx(4.5)
    assert bins[4]["human_mean"] == pytest.approx(3) and bins[3]["n"] == 0


@pytest.mark.parametrize("text,letter", [
    ("B", "B"), ("C.", "C"), ("The answer is D", "D"), ("Answer: (a)", "A"), ("**B** because", "B"),
    ("a good choice is C", "C"), ("I am not sure", None), ("", None),
])
def test_mcq_letter_parsing(text, letter):
    assert parse_letter(text) == letter
