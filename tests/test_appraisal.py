"""The appraisal formulas (auditor/appraisal.py) against a worked public example, closed
forms, brute-force enumeration, and a brute-force simulation of repeated samples."""

from __future__ import annotations

import math
import random
from statistics import fmean

import pytest

from auditor.appraisal import (
    attribute_appraisal,
    binomial_limits,
    combined_appraisal,
    hypergeometric_limits,
    variable_appraisal,
)


def test_binomial_matches_the_worked_example_of_r_binom_test():
    # R, ?binom.test: Conover (1971), Practical Nonparametric Statistics, pp. 97-104;
    # 682 of 925 peas, 95 percent confidence interval 0.7076683 0.7654066
    got = binomial_limits(682, 925, 0.95)
    assert (round(got["lower"], 7), round(got["upper"], 7)) == (0.7076683, 0.7654066)


def test_binomial_one_sided_upper_with_no_error_is_the_closed_form():
    # x = 0: P(X = 0) = (1 - p)^n = a  =>  p = 1 - a^(1/n)
    got = binomial_limits(0, 20, 0.95)
    assert got["upper_one_sided"] == pytest.approx(1 - 0.05 ** (1 / 20), rel=1e-9)
    assert got["lower"] == 0.0 and got["lower_one_sided"] == 0.0


def _hyper_pmf(k: int, big_n: int, errors: int, n: int) -> float:
    return math.comb(errors, k) * math.comb(big_n - errors, n - k) / math.comb(big_n, n)


@pytest.mark.parametrize("x, n, big_n", [(0, 10, 40), (2, 8, 20), (5, 12, 30), (3, 3, 9)])
def test_hypergeometric_limits_by_enumeration(x, n, big_n):
    """The limits are the extreme error counts K the observed x does not reject at level a."""
    got = hypergeometric_limits(x, n, big_n, 0.90)
    a = 0.10
    possible = range(x, big_n - (n - x) + 1)
    le = {k: sum(_hyper_pmf(j, big_n, k, n) for j in range(0, x + 1)) for k in possible}
    ge = {k: sum(_hyper_pmf(j, big_n, k, n) for j in range(x, n + 1)) for k in possible}
    assert got["upper_one_sided_count"] == max(k for k in possible if le[k] > a)
    assert got["upper_count"] == max(k for k in possible if le[k] > a / 2)
    assert got["lower_count"] == min(k for k in possible if ge[k] > a / 2)
    assert got["upper"] == got["upper_count"] / big_n


def test_hypergeometric_approaches_binomial_in_a_large_frame():
    hyper = hypergeometric_limits(3, 50, 200_000, 0.90)
    binom = binomial_limits(3, 50, 0.90)
    assert hyper["upper_one_sided"] == pytest.approx(binom["upper_one_sided"], abs=1e-4)
    assert hyper["lower"] == pytest.approx(binom["lower"], abs=1e-4)


def test_headline_method_follows_the_sampling_fraction():
    assert attribute_appraisal(2, 30, 100, 0.9)["method"] == "hypergeometric"
    assert attribute_appraisal(2, 30, 10_000, 0.9)["method"] == "binomial"


def test_stratified_combination_with_proportional_allocation_is_the_plain_rate():
    strata = [{"N": 100, "n": 10, "errors": 2}, {"N": 300, "n": 30, "errors": 6}]
    got = combined_appraisal(strata, 0.90)
    assert got["rate"] == pytest.approx(0.2)
    assert got["n"] == 40 and got["errors"] == 8
    assert got["lower"] < 0.2 < got["upper"]


def test_variable_appraisal_by_hand():
    # N = 100 lines paid 100 each (X = 10,000); 4 reviewed: audited 100, 50, 0, 100
    got = variable_appraisal(
        [{"N": 100, "X": 10_000.0, "paid": [100.0] * 4, "audited": [100.0, 50.0, 0.0, 100.0]}]
    )
    # d = 0, 50, 100, 0: mean 37.5, s^2 = 6875 / 3; se = 100 sqrt((1 - 4/100) s^2 / 4)
    se = 100 * math.sqrt(0.96 * (6875 / 3) / 4)
    assert got["df"] == 3 and round(got["t"], 6) == 1.637744  # t(0.90; 3)
    assert got["difference"]["point"] == pytest.approx(3750.0)
    assert got["difference"]["se"] == pytest.approx(se)
    assert got["difference"]["lower"] == pytest.approx(3750.0 - 1.6377443572159062 * se)
    # mean-per-unit: X - N mean(y) = 10,000 - 100 x 62.5 (s_y = s_d here: x is constant)
    assert got["mean_per_unit"]["point"] == pytest.approx(3750.0)
    assert got["mean_per_unit"]["se"] == pytest.approx(se)


# --- brute-force simulation: coverage over repeated samples ----------------------------------


def test_simulated_coverage_of_the_attribute_limits():
    """Draw 2,000 samples of 25 from a frame of 120 with 18 errors: the one-sided 90% upper
    limit (hypergeometric and binomial) and the two-sided 90% interval must cover the true
    rate at least 90% of the time (exact methods are conservative)."""
    rng = random.Random(20261205)
    big_n, errors, n, reps = 120, 18, 25, 2000
    frame = [1] * errors + [0] * (big_n - errors)
    true_rate = errors / big_n
    cache: dict[int, dict] = {}
    cover = {"hyper_upper": 0, "binom_upper": 0, "hyper_two": 0}
    rates = []
    for _ in range(reps):
        x = sum(rng.sample(frame, n))
        a = cache.setdefault(x, attribute_appraisal(x, n, big_n, 0.90))
        rates.append(a["rate"])
        cover["hyper_upper"] += true_rate <= a["hypergeometric"]["upper_one_sided"]
        cover["binom_upper"] += true_rate <= a["binomial"]["upper_one_sided"]
        h = a["hypergeometric"]
        cover["hyper_two"] += h["lower"] <= true_rate <= h["upper"]
    assert all(c / reps >= 0.90 for c in cover.values()), cover
    assert fmean(rates) == pytest.approx(true_rate, abs=0.01)  # unbiased


def test_simulated_coverage_of_the_overpayment_lower_limit():
    """A frame of 400 claim lines with skewed overpayments; 1,000 simple random samples of 60:
    the lower limit of the one-sided 90% interval stays below the true overpayment in about
    90% of samples (t-based, so approximately), and the point estimates average to it."""
    rng = random.Random(7)
    paid = [round(rng.uniform(20, 200), 2) for _ in range(400)]
    over = [p if rng.random() < 0.15 else (p / 2 if rng.random() < 0.1 else 0.0) for p in paid]
    truth = sum(over)
    reps, below, points = 1000, 0, []
    for _ in range(reps):
        idx = rng.sample(range(400), 60)
        stratum = {
            "N": 400,
            "X": sum(paid),
            "paid": [paid[i] for i in idx],
            "audited": [paid[i] - over[i] for i in idx],
        }
        got = variable_appraisal([stratum])["difference"]
        below += got["lower"] <= truth
        points.append(got["point"])
    assert 0.86 <= below / reps <= 0.95
    assert fmean(points) == pytest.approx(truth, rel=0.02)
