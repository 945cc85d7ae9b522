"""Composite-indicator engine: hand-worked cases, properties, Sobol' and Monte Carlo checks."""

from __future__ import annotations

import doctest
import importlib
import math
import pkgutil
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.stats as st
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as hs
from hypothesis.extra.numpy import arrays

import border_readiness.features.composite as composite
from border_readiness.features.composite import (
    aggregate,
    contributions,
    equal_weights,
    normalise,
    normalise_weights,
    overall_contributions,
    overall_score,
    pca_weights,
    treat_outliers,
)
from border_readiness.features.composite.weights import _varimax

# --------------------------------------------------------------------------------------------
# normalisation: three regions A, B, C; p has direction +1, q direction -1
#   p = 2, 4, 10      q = 1, 3, 5
# --------------------------------------------------------------------------------------------

X3 = pd.DataFrame({"p": [2.0, 4.0, 10.0], "q": [1.0, 3.0, 5.0]}, index=["A", "B", "C"])
DIR3 = {"p": 1, "q": -1}
# Two more regions for fit_on: D (p=0, q=9) and E (p=20, q=1).
ALL5 = pd.concat([X3, pd.DataFrame({"p": [0.0, 20.0], "q": [9.0, 1.0]}, index=["D", "E"])])


def test_minmax_hand_worked_with_negative_direction():
    out = normalise(X3, "minmax", directions=DIR3)
    # p: (x - 2) / (10 - 2) * 100 -> 0, 25, 100
    assert out["p"].tolist() == pytest.approx([0.0, 25.0, 100.0])
    # q reversed: -q = -1, -3, -5; (-q + 5) / 4 * 100 -> 100, 50, 0
    assert out["q"].tolist() == pytest.approx([100.0, 50.0, 0.0])
    # scale (1, 100): 1 + share * 99 -> p = 1, 25.75, 100
    assert normalise(X3, "minmax", directions=DIR3, scale=(1, 100))["p"].tolist() == (
        pytest.approx([1.0, 25.75, 100.0])
    )


def test_zscore_hand_worked_uses_sample_sd():
    out = normalise(X3, "zscore", directions=DIR3)
    # p: mean 16/3, deviations -10/3, -4/3, 14/3, sum of squares 312/9, sample var 52/3
    sd = math.sqrt(52 / 3)
    assert out["p"].tolist() == pytest.approx([-10 / 3 / sd, -4 / 3 / sd, 14 / 3 / sd])
    # q: mean 3, sample sd 2 -> z = -1, 0, 1, reversed -> 1, 0, -1
    assert out["q"].tolist() == pytest.approx([1.0, 0.0, -1.0])


def test_rank_hand_worked_with_ties():
    X = X3.assign(t=[5.0, 5.0, 1.0])
    out = normalise(X, "rank", directions={**DIR3, "t": 1})
    # ranks 1, 2, 3 -> (r - 1) / 2 * 100
    assert out["p"].tolist() == pytest.approx([0.0, 50.0, 100.0])
    # ranks of -q: 3, 2, 1
    assert out["q"].tolist() == pytest.approx([100.0, 50.0, 0.0])
    # t = 5, 5, 1: C is rank 1, A and B share ranks 2 and 3 -> 2.5 -> 75
    assert out["t"].tolist() == pytest.approx([75.0, 75.0, 0.0])


def test_distance_to_reference_interval_scale_hand_worked():
    # A growth rate can be negative: the distance is x - ref in per cent of the fitted range.
    X = pd.DataFrame({"g": [-2.0, 0.0, 6.0]}, index=["A", "B", "C"])
    out = normalise(X, "distance_to_reference", directions={"g": 1}, reference={"g": 2.0})
    # range 8: A = 100 + 100 * (-4) / 8 = 50; B = 100 - 25 = 75; C = 100 + 50 = 150
    assert out["g"].tolist() == [50.0, 75.0, 150.0]
    flipped = normalise(X, "distance_to_reference", directions={"g": -1}, reference={"g": 2.0})
    assert flipped["g"].tolist() == [150.0, 125.0, 50.0]


def test_distance_to_reference_hand_worked():
    out = normalise(X3, "distance_to_reference", directions=DIR3, reference={"p": 5, "q": 2})
    # p / 5 * 100 -> 40, 80, 200; q reversed: 2 / q * 100 -> 200, 66.67, 40
    assert out["p"].tolist() == pytest.approx([40.0, 80.0, 200.0])
    assert out["q"].tolist() == pytest.approx([200.0, 200 / 3, 40.0])


def test_fit_on_takes_statistics_from_all_regions():
    mm = normalise(X3, "minmax", directions=DIR3, fit_on=ALL5)
    # p over all five: min 0, max 20 -> 2, 4, 10 -> 10, 20, 50
    assert mm["p"].tolist() == pytest.approx([10.0, 20.0, 50.0])
    # -q over all five: min -9, max -1 -> (-q + 9) / 8 -> 100, 75, 50
    assert mm["q"].tolist() == pytest.approx([100.0, 75.0, 50.0])
    z = normalise(X3, "zscore", directions=DIR3, fit_on=ALL5)
    # p over all five: mean 36/5 = 7.2; squared deviations sum 260.8, sample var 65.2
    assert z["p"].tolist() == pytest.approx([(v - 7.2) / math.sqrt(65.2) for v in (2, 4, 10)])
    rk = normalise(X3, "rank", directions=DIR3, fit_on=ALL5)
    # p sorted over all five: 0, 2, 4, 10, 20 -> A, B, C have ranks 2, 3, 4 -> (r-1)/4 * 100
    assert rk["p"].tolist() == pytest.approx([25.0, 50.0, 75.0])
    # fitting on X itself is the same as not fitting
    plain = normalise(X3, "rank", directions=DIR3)
    pd.testing.assert_frame_equal(normalise(X3, "rank", directions=DIR3, fit_on=X3), plain)


def test_normalise_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"directions has no entry for indicator\(s\) \['q'\]"):
        normalise(X3, "minmax", directions={"p": 1})
    with pytest.raises(ValueError, match="must be \\+1 or -1"):
        normalise(X3, "minmax", directions={"p": 1, "q": 2})
    with pytest.raises(ValueError, match="needs `reference`"):
        normalise(X3, "distance_to_reference", directions=DIR3)
    with pytest.raises(ValueError, match="unknown option"):
        normalise(X3, "maxmin", directions=DIR3)


def test_constant_indicator_becomes_nan_with_warning():
    X = X3.assign(c=[7.0, 7.0, 7.0])
    with pytest.warns(UserWarning, match=r"\['c'\] have no spread"):
        out = normalise(X, "minmax", directions={**DIR3, "c": 1})
    assert out["c"].isna().all() and out["p"].notna().all()


# --------------------------------------------------------------------------------------------
# weights
# --------------------------------------------------------------------------------------------


def test_equal_and_normalised_weights():
    groups = pd.Series({"a": "t", "b": "t", "c": "t", "d": "s"})
    assert equal_weights(groups).tolist() == pytest.approx([1 / 3, 1 / 3, 1 / 3, 1.0])
    # t: 1, 1, 2 -> 0.25, 0.25, 0.5 ; s: 7 -> 1
    w = normalise_weights({"a": 1, "b": 1, "c": 2, "d": 7, "unused": 9}, groups)
    assert w.tolist() == pytest.approx([0.25, 0.25, 0.5, 1.0])
    with pytest.raises(ValueError, match="sum to 0 in level"):
        normalise_weights({"a": 0, "b": 0, "c": 0, "d": 1}, groups)
    with pytest.raises(ValueError, match=">= 0"):
        normalise_weights({"a": -1, "b": 1, "c": 1, "d": 1}, groups)


def test_pca_weights_two_collinear_and_one_independent_indicator():
    # a and b are perfectly correlated (b = 2a + 3); c = 5 + (1, -1, -1, 1) is uncorrelated
    # with a (sum of (a - mean) * (c - mean) = -1.5 + 0.5 - 0.5 + 1.5 = 0). The correlation
    # matrix [[1, 1, 0], [1, 1, 0], [0, 0, 1]] has eigenvalues 2, 1, 0: only the first is > 1,
    # with loadings (1, 1, 0); squared and scaled to unit sum: 0.5, 0.5, 0. The independent
    # indicator gets no weight -- the documented drawback of PCA weights.
    Xn = pd.DataFrame({"a": [1, 2, 3, 4], "b": [5, 7, 9, 11], "c": [6, 4, 4, 6]})
    w = pca_weights(Xn, {"a": "t", "b": "t", "c": "t"})
    assert w.tolist() == pytest.approx([0.5, 0.5, 0.0], abs=1e-9)


def test_pca_weights_two_blocks_need_the_varimax_rotation():
    # Two uncorrelated pairs of perfectly correlated indicators, interleaved: eigenvalues 2, 2,
    # 0, 0, so two factors are kept. Any basis of the 2-d eigenspace is a valid PCA solution;
    # varimax rotates it to one factor per pair, loadings (1, 1) -> scaled 0.5, 0.5, and each
    # factor explains half of the kept variance -> every indicator 0.5 * 0.5 = 0.25.
    a, c = np.array([1.0, 2, 3, 4]), np.array([6.0, 4, 4, 6])
    Xn = pd.DataFrame({"a": a, "c": c, "b": 2 * a + 3, "d": 3 * c})
    w = pca_weights(Xn, dict.fromkeys("abcd", "t"))
    assert w.tolist() == pytest.approx([0.25] * 4, abs=1e-6)
    # levels are independent: adding a second level leaves the first unchanged
    Xn2 = Xn.assign(e=[1.0, 5, 2, 3])
    w2 = pca_weights(Xn2, {**dict.fromkeys("abcd", "t"), "e": "s"})
    assert w2.tolist() == pytest.approx([0.25] * 4 + [1.0], abs=1e-6)


def test_varimax_recovers_simple_structure_from_rotated_loadings():
    # Simple structure (two indicators per factor) turned by 30 degrees: each row now loads
    # (cos 30, sin 30) = (0.866, 0.5) on both factors. Varimax maximises the variance of the
    # squared loadings, which is largest for the unturned 0/1 pattern, so it must undo the turn
    # (up to the order and sign of the factors).
    simple = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]) * 0.9
    turn = np.deg2rad(30)
    rotation = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    recovered = _varimax(simple @ rotation)
    order = np.argsort(-np.abs(recovered[0]))
    np.testing.assert_allclose(np.abs(recovered[:, order]), simple, atol=1e-8)


def test_pca_weights_guard_small_n_and_constant_columns():
    Xn = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 1.0]})
    with pytest.warns(UserWarning, match="equal weights used"):
        w = pca_weights(Xn, {"a": "t", "b": "t"})
    assert w.tolist() == pytest.approx([0.5, 0.5])
    Xc = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 4, 5, 9], "k": [1.0, 1, 1, 1]})
    w = pca_weights(Xc, dict.fromkeys("abk", "t"))
    assert w["k"] == 0.0 and w.sum() == pytest.approx(1.0)


# --------------------------------------------------------------------------------------------
# aggregation and contributions: 3 regions x 2 indicators, weights 0.25 / 0.75
#   A = (20, 80), B = (50, 50), C = (90, 10)
# --------------------------------------------------------------------------------------------

XN = pd.DataFrame({"a": [20.0, 50.0, 90.0], "b": [80.0, 50.0, 10.0]}, index=["A", "B", "C"])
W = {"a": 0.25, "b": 0.75}
G = {"a": "t", "b": "t"}


def test_arithmetic_hand_worked():
    # A: 0.25*20 + 0.75*80 = 65; B: 50; C: 22.5 + 7.5 = 30
    assert aggregate(XN, W, G, "arithmetic")["t"].tolist() == pytest.approx([65.0, 50.0, 30.0])
    # relative weights are rescaled: 1 and 3 are 0.25 and 0.75
    assert aggregate(XN, {"a": 1, "b": 3}, G)["t"].tolist() == pytest.approx([65.0, 50.0, 30.0])


def test_geometric_hand_worked():
    # A: 20^0.25 * 80^0.75 = 20 * 4^0.75 = 20 * 2^1.5; B: 50; C: 90^0.25 * 10^0.75 = 10 * 9^0.25
    expected = [20 * 2**1.5, 50.0, 10 * math.sqrt(3)]
    assert aggregate(XN, W, G, "geometric")["t"].tolist() == pytest.approx(expected)
    with pytest.raises(ValueError, match=r"values > 0.*\['a'\]"):
        aggregate(XN.assign(a=[0.0, 50, 90]), W, G, "geometric")


def test_copeland_hand_worked():
    # A vs B: a loses (-0.25), b wins (+0.75) -> margin +0.5, A wins. A vs C: same, A wins.
    # B vs C: -0.25 + 0.75 -> B wins. Wins - losses: A = 2, B = 0, C = -2.
    assert aggregate(XN, W, G, "copeland")["t"].tolist() == [2.0, 0.0, -2.0]
    # equal weights: every margin is 0.5 - 0.5 = 0 -> all pairs tie -> all scores 0
    assert aggregate(XN, {"a": 1, "b": 1}, G, "copeland")["t"].tolist() == [0.0, 0.0, 0.0]


def test_missing_indicator_is_reweighted_and_empty_level_is_an_error():
    X = XN.copy()
    X.loc["A", "a"] = np.nan
    # A has only b: its weight is rescaled to 1 -> 80
    assert aggregate(X, W, G)["t"]["A"] == pytest.approx(80.0)
    assert aggregate(X, W, G, "geometric")["t"]["A"] == pytest.approx(80.0)
    X.loc["A", "b"] = np.nan
    with pytest.raises(ValueError, match=r"\['A'\] have no indicator"):
        aggregate(X, W, G)


def test_two_levels_keep_their_order():
    X = XN.assign(c=[1.0, 2.0, 3.0])
    out = aggregate(X, {**W, "c": 5}, {**G, "c": "s"})
    assert list(out.columns) == ["t", "s"]
    assert out["s"].tolist() == [1.0, 2.0, 3.0]


def test_contributions_hand_worked():
    ar = contributions(XN, W, G, "arithmetic").set_index(["region", "indicator"]).contribution
    # A: 0.25 * 20 = 5 and 0.75 * 80 = 60
    assert (ar["A", "a"], ar["A", "b"]) == pytest.approx((5.0, 60.0))
    ge = contributions(XN, W, G, "geometric").set_index(["region", "indicator"]).contribution
    # A: log-score 0.25 ln 20 + 0.75 ln 80; share of a = 0.25 ln 20 / that
    score = 20 * 2**1.5
    share_a = 0.25 * math.log(20) / (0.25 * math.log(20) + 0.75 * math.log(80))
    assert ge["A", "a"] == pytest.approx(score * share_a)
    assert ge["A", "b"] == pytest.approx(score * (1 - share_a))
    co = contributions(XN, W, G, "copeland").set_index(["region", "indicator"]).contribution
    # A wins two pairs, each with margin 0.5: a gives -0.25/0.5 = -0.5 per pair, b 0.75/0.5
    assert (co["A", "a"], co["A", "b"]) == pytest.approx((-1.0, 3.0))
    # B loses to A (margin -0.5): a +0.25/0.5 = +0.5, b -0.75/0.5 = -1.5; B beats C (+0.5):
    # a -0.25/0.5 = -0.5, b +1.5 -> a: 0.5 - 0.5 = 0, b: -1.5 + 1.5 = 0 (score 0)
    assert (co["B", "a"], co["B", "b"]) == pytest.approx((0.0, 0.0))


def test_geometric_contributions_when_score_is_one():
    X = pd.DataFrame({"a": [1.0, 2.0], "b": [1.0, 8.0]}, index=["A", "B"])
    c = contributions(X, W, G, "geometric").set_index(["region", "indicator"]).contribution
    # A: score 1, log-score 0 -> split by weight: 0.25 and 0.75
    assert (c["A", "a"], c["A", "b"]) == pytest.approx((0.25, 0.75))


def test_overall_score_and_its_contributions():
    levels = pd.DataFrame(
        {"t": [30.0, 60.0], "j": [60.0, 60.0], "s": [90.0, 30.0]}, index=["A", "B"]
    )
    # equal: A = 60, B = 50; weights 2, 1, 1: A = (60 + 60 + 90) / 4 = 52.5
    assert overall_score(levels).tolist() == pytest.approx([60.0, 50.0])
    assert overall_score(levels, {"t": 2, "j": 1, "s": 1})["A"] == pytest.approx(52.5)
    parts = overall_contributions(levels, {"t": 2, "j": 1, "s": 1})
    assert parts[parts.region == "A"].contribution.tolist() == pytest.approx([15.0, 15.0, 22.5])


# --------------------------------------------------------------------------------------------
# outlier treatment
# --------------------------------------------------------------------------------------------


def test_one_huge_outlier_is_winsorised():
    x = np.r_[np.arange(1.0, 20.0), 100.0, np.nan]
    X = pd.DataFrame({"v": x, "calm": np.arange(21.0)}, index=[f"R{i}" for i in range(21)])
    treated, log = treat_outliers(X)
    row = log.set_index("indicator").loc["v"]
    # independent reference: scipy's bias-corrected skew and excess kurtosis (= COINr's)
    assert row.skew_before == pytest.approx(st.skew(x[:20], bias=False))
    assert row.kurt_before == pytest.approx(st.kurtosis(x[:20], bias=False))
    assert row.skew_before > 2 and row.kurt_before > 3.5  # ~3.97 and ~16.9: flagged
    assert (row.action, row.n_winsorised, row.winsorised_regions) == ("winsorised", 1, "R19")
    # the maximum 100 takes the next value, 19; the NaN stays
    expected = np.r_[np.arange(1.0, 20.0), 19.0, np.nan]
    np.testing.assert_array_equal(treated["v"].to_numpy(), expected)
    assert row.skew_after == pytest.approx(st.skew(expected[:20], bias=False))
    assert not row.flagged_after
    calm = log.set_index("indicator").loc["calm"]
    assert (calm.action, calm.n_winsorised, calm.winsorised_regions) == ("none", 0, "")
    pd.testing.assert_series_equal(treated["calm"], X["calm"])


# 93 ordinary values and 7 large ones: more outliers than the 5 winsorisable points
HEAVY = np.r_[np.arange(1.0, 94.0), np.arange(1000.0, 1700.0, 100.0)]


def test_column_needing_more_than_five_points_gets_log():
    X = pd.DataFrame({"v": HEAVY})
    # after winsorising the top 5 to 1100: skew 3.37, kurt 9.7 (scipy) -> still flagged
    w = HEAVY.copy()
    w[-5:] = 1100.0
    assert st.skew(w, bias=False) > 2 and st.kurtosis(w, bias=False) > 3.5
    treated, log = treat_outliers(X)
    row = log.iloc[0]
    assert (row.action, row.n_winsorised, row.winsorised_regions) == ("log", 0, "")
    # COINr log_CT on the original values: log(x - 1 + 0.01 * (1600 - 1))
    np.testing.assert_allclose(treated["v"], np.log(HEAVY - 1 + 15.99))
    assert row.skew_after == pytest.approx(st.skew(np.log(HEAVY - 1 + 15.99), bias=False))


def test_negative_skew_log_is_mirrored_and_keeps_order():
    X = pd.DataFrame({"v": -HEAVY})
    treated, log = treat_outliers(X)
    assert log.iloc[0].action == "log" and log.iloc[0].skew_before < -2
    # mirrored: -log(max - x + 0.01 * range) with max = -1, range = 1599
    np.testing.assert_allclose(treated["v"], -np.log(-1 + HEAVY + 15.99))
    assert (np.argsort(treated["v"].to_numpy()) == np.argsort(-HEAVY)).all()


def test_no_winsorising_allowed_goes_straight_to_log():
    X = pd.DataFrame({"v": np.r_[np.arange(1.0, 20.0), 100.0]})
    _, log = treat_outliers(X, max_winsorised=0)
    assert log.iloc[0].action == "log"


# --------------------------------------------------------------------------------------------
# properties (hypothesis)
# --------------------------------------------------------------------------------------------

GROUPS4 = {"a": "t", "b": "t", "c": "s", "d": "s"}
DIR4 = dict.fromkeys("abcd", 1)
# Values on a 0.1 grid: distinct values stay distinct (and ordered) under any rescaling.
matrices = arrays(np.float64, (5, 4), elements=hs.integers(1, 1000).map(lambda v: v / 10))
weight_sets = hs.lists(hs.floats(0.1, 1.0), min_size=4, max_size=4)
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _frame(values: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(values, columns=list("abcd"), index=[f"R{i}" for i in range(5)])


def _varies(values: np.ndarray) -> bool:
    return bool(np.all(np.ptp(values, axis=0) > 0))


@FAST
@given(
    matrices,
    weight_sets,
    hs.integers(0, 4),
    hs.integers(0, 3),
    hs.floats(0.1, 50.0),
    hs.sampled_from(["arithmetic", "geometric", "copeland"]),
)
def test_raising_an_indicator_never_lowers_the_region_score(values, w, region, col, delta, how):
    raised = values.copy()
    raised[region, col] += delta
    assume(_varies(values) and _varies(raised))
    weights = dict(zip("abcd", w, strict=True))
    # geometric needs positive inputs: minmax on (1, 100)
    scale = (1, 100) if how == "geometric" else (0, 100)
    level = GROUPS4["abcd"[col]]

    def score(v):
        Xn = normalise(_frame(v), "minmax", directions=DIR4, scale=scale)
        return aggregate(Xn, weights, GROUPS4, how)[level].iloc[region]

    before, after = score(values), score(raised)
    assert after >= before - 1e-9 * max(1.0, abs(before))


@FAST
@given(
    matrices,
    weight_sets,
    hs.integers(0, 3),
    hs.floats(1e-3, 1e3),
    hs.sampled_from(["minmax", "zscore", "rank"]),
)
def test_changing_an_indicator_unit_leaves_scores_unchanged(values, w, col, factor, method):
    assume(_varies(values))
    rescaled = values.copy()
    rescaled[:, col] *= factor
    weights = dict(zip("abcd", w, strict=True))
    a = aggregate(normalise(_frame(values), method, directions=DIR4), weights, GROUPS4)
    b = aggregate(normalise(_frame(rescaled), method, directions=DIR4), weights, GROUPS4)
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-9, atol=1e-9)


@FAST
@given(matrices, weight_sets, hs.sampled_from(["arithmetic", "geometric", "copeland"]))
def test_contributions_sum_to_the_level_scores(values, w, how):
    assume(_varies(values))
    Xn = normalise(_frame(values), "minmax", directions=DIR4, scale=(1, 100))
    Xn.iloc[0, 1] = np.nan  # a missing value exercises the re-weighting
    weights = dict(zip("abcd", w, strict=True))
    scores = aggregate(Xn, weights, GROUPS4, how)
    sums = contributions(Xn, weights, GROUPS4, how).groupby(["region", "level"]).contribution.sum()
    expected = scores.stack()
    np.testing.assert_allclose(
        sums.loc[expected.index].to_numpy(), expected.to_numpy(), rtol=1e-9, atol=1e-9
    )


def test_docstring_examples_run():
    # The examples live in the package's modules (testmod of the package alone finds none of the
    # re-exported functions); warnings are errors here, unlike in test_doctests.
    modules = [
        importlib.import_module(f"{composite.__name__}.{info.name}")
        for info in pkgutil.iter_modules(composite.__path__)
    ]
    failed = attempted = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for module in modules:
            result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
            failed, attempted = failed + result.failed, attempted + result.attempted
    assert failed == 0 and attempted > 10
