"""The composite's uncertainty: Sobol' indices and Monte Carlo rank intervals.

Sobol' indices against analytic values; the vectorised Monte Carlo replicates against the
step-by-step composite.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from border_readiness.features.composite import (
    aggregate,
    equal_weights,
    monte_carlo_ranks,
    normalise,
    overall_score,
    pca_weights,
    rank_sensitivity,
    sobol_indices,
)

# --------------------------------------------------------------------------------------------
# Sobol' indices
# --------------------------------------------------------------------------------------------


def test_sobol_additive_function_matches_analytic_indices():
    # Y = x1 + 2 x2 + 3 x3, X_i ~ U[0, 1): V_i = a_i^2 / 12, so S1 = ST = a_i^2 / 14
    a = np.array([1.0, 2.0, 3.0])
    out = sobol_indices(
        lambda f: a[0] * f["x1"] + a[1] * f["x2"] + a[2] * f["x3"],
        {"x1": None, "x2": None, "x3": None},
        n=4096,
    )
    analytic = a**2 / np.sum(a**2)
    np.testing.assert_allclose(out.S1, analytic, atol=0.03)
    np.testing.assert_allclose(out.ST, analytic, atol=0.03)
    assert (out.S1_conf > 0).all() and (out.ST_conf > 0).all()


def test_sobol_product_function_matches_analytic_indices():
    # Y = x1 x2 on U[0, 1)^2: E Y = 1/4, E Y^2 = 1/9, V = 1/9 - 1/16 = 7/144.
    # V1 = Var(x1 / 2) = 1/48 -> S1 = (1/48) / (7/144) = 3/7; ST1 = 1 - S2 = 4/7.
    out = sobol_indices(lambda f: f["x1"] * f["x2"], {"x1": None, "x2": None}, n=4096)
    np.testing.assert_allclose(out.S1, [3 / 7, 3 / 7], atol=0.05)
    np.testing.assert_allclose(out.ST, [4 / 7, 4 / 7], atol=0.05)


def test_sobol_several_outputs_are_weighted_by_their_variance():
    # outputs x1 (variance 1/12) and 10 x2 (variance 100/12): S1(x1) = 1/101, S1(x2) = 100/101
    # (a plain average of the per-output indices would give 0.5 each)
    out = sobol_indices(
        lambda f: np.column_stack([f["x1"], 10 * f["x2"]]), {"x1": None, "x2": None}, n=2048
    )
    np.testing.assert_allclose(out.S1, [1 / 101, 100 / 101], atol=0.02)


def test_sobol_discrete_factors():
    values = {"a": 0.0, "b": 1.0, "c": 2.0}
    out = sobol_indices(
        lambda f: np.array([values[m] for m in f["method"]]) + 0 * f["x"],
        {"method": ["a", "b", "c"], "x": 4},
        n=1024,
    ).set_index("factor")
    # only `method` matters: the model ignores x, so A_B^x gives exactly f(A) -> 0
    assert out.loc["x", "S1"] == 0.0 and out.loc["x", "ST"] == 0.0
    assert out.loc["method", "S1"] == pytest.approx(1.0, abs=0.05)
    assert out.loc["method", "ST"] == pytest.approx(1.0, abs=0.05)


# --------------------------------------------------------------------------------------------
# Monte Carlo and rank sensitivity
# --------------------------------------------------------------------------------------------

LEVELS6 = {"t1": "t", "t2": "t", "j1": "j", "j2": "j", "s1": "s", "s2": "s"}
DIR6 = {"t1": 1, "t2": 1, "j1": 1, "j2": -1, "s1": 1, "s2": 1}


def _random_data(n_regions: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        rng.lognormal(1.0, 0.6, size=(n_regions, 6)),
        columns=list(LEVELS6),
        index=[f"R{i:02d}" for i in range(n_regions)],
    )


def test_same_seed_identical_and_batch_size_irrelevant():
    X = _random_data(12, 1)
    kwargs = dict(
        n_replicates=2500,
        normalisations=("minmax", "zscore", "rank"),
        weightings=("equal", "pca"),
        aggregations=("arithmetic", "geometric"),
    )
    a = monte_carlo_ranks(X, DIR6, LEVELS6, batch_size=100, random_state=7, **kwargs)
    b = monte_carlo_ranks(X, DIR6, LEVELS6, batch_size=2500, random_state=7, **kwargs)
    c = monte_carlo_ranks(X, DIR6, LEVELS6, batch_size=100, random_state=7, **kwargs)
    np.testing.assert_array_equal(a.ranks, b.ranks)
    np.testing.assert_array_equal(a.ranks, c.ranks)
    pd.testing.assert_frame_equal(a.design, b.design)
    # two joblib workers over batches of 700 (not a multiple of the seed block) change nothing
    e = monte_carlo_ranks(X, DIR6, LEVELS6, batch_size=700, n_jobs=2, random_state=7, **kwargs)
    np.testing.assert_array_equal(a.ranks, e.ranks)
    d = monte_carlo_ranks(X, DIR6, LEVELS6, batch_size=100, random_state=8, **kwargs)
    assert not np.array_equal(a.ranks, d.ranks)


def test_well_separated_regions_have_rank_intervals_around_the_nominal_rank():
    # every indicator rises with the region number (gaps of 10, noise below 5; j2 is reversed),
    # so any normalisation, weighting, aggregation or dropout puts R11 first and R00 last
    rng = np.random.default_rng(3)
    base = 10.0 * np.arange(1, 13)[:, None] + rng.uniform(0, 5, size=(12, 6))
    X = pd.DataFrame(base, columns=list(LEVELS6), index=[f"R{i:02d}" for i in range(12)])
    X["j2"] = 1000.0 / X["j2"]
    res = monte_carlo_ranks(
        X,
        DIR6,
        LEVELS6,
        n_replicates=500,
        reference=X.mean(),
        catalogue_weights=dict.fromkeys(LEVELS6, 1.0),
        aggregations=("arithmetic", "geometric", "copeland"),
    )
    iv = res.rank_intervals()
    expected_rank = 12 - iv.region.str[1:].astype(int)  # R00 -> 12, R11 -> 1
    assert (iv.rank_nominal == expected_rank).all()
    assert ((iv.rank_p05 <= iv.rank_nominal) & (iv.rank_nominal <= iv.rank_p95)).all()


def test_prob_strongest_level_sums_to_one_and_frame_is_complete():
    X = _random_data(9, 2)
    res = monte_carlo_ranks(
        X, DIR6, LEVELS6, n_replicates=300, normalisations=("minmax", "rank"), weightings=("equal",)
    )
    p = res.prob_strongest_level()
    np.testing.assert_allclose(p.groupby("region").probability.sum(), 1.0)
    assert set(p.level) == {"t", "j", "s"}
    frame = res.to_frame()
    assert len(frame) == 9 * 4 and frame[frame.level == "overall"].prob_strongest.isna().all()


def _public_ranks(X, F, row, reference, catalogue) -> np.ndarray:
    """Ranks of one replicate recomputed step by step with the public functions."""
    dropped = [row[f"drop_{lv}"] for lv in ("t", "j", "s")]
    keep = [c for c in X.columns if c not in dropped]
    groups = pd.Series(LEVELS6)[keep]
    method, agg = row["normalisation"], row["aggregation"]
    common = dict(directions=DIR6, reference=reference, fit_on=F)
    Fn = normalise(F[keep], method, **common)
    Xn = normalise(X[keep], method, **common)
    if agg == "geometric":
        # one positive scale: the lowest value over all regions (F) becomes 1
        Xn = Xn - Fn.min() + 1
    if row["weighting"] == "equal":
        w = equal_weights(groups)
    elif row["weighting"] == "catalogue":
        w = pd.Series(catalogue)[keep]
    else:
        w = pca_weights(normalise(F[keep], method, **common), groups)
    # Copeland compares each region with every region of F, the reference
    levels = aggregate(Xn, w, groups, agg, reference=Fn if agg == "copeland" else None)
    table = levels.assign(overall=overall_score(levels))
    # rounding makes ties that differ in the last bit (mean of integer Copeland scores) ties
    return table.round(9).rank(ascending=False, method="average").to_numpy()


def test_vectorised_replicates_equal_the_step_by_step_composite():
    F = _random_data(20, 4)  # all regions; X (the "border" regions) is part of them
    X = F.iloc[:7]
    reference = F.median()
    catalogue = {"t1": 1, "t2": 3, "j1": 2, "j2": 2, "s1": 5, "s2": 1}
    res = monte_carlo_ranks(
        X,
        DIR6,
        LEVELS6,
        fit_on=F,
        reference=reference,
        catalogue_weights=catalogue,
        n_replicates=60,
        aggregations=("arithmetic", "geometric", "copeland"),
    )
    for r, row in res.design.iterrows():
        np.testing.assert_allclose(
            res.ranks[r], _public_ranks(X, F, row, reference, catalogue), err_msg=str(row.to_dict())
        )
    nominal = {
        "normalisation": "minmax",
        "weighting": "equal",
        "aggregation": "arithmetic",
        "drop_t": "none",
        "drop_j": "none",
        "drop_s": "none",
    }
    np.testing.assert_allclose(
        res.nominal_ranks, _public_ranks(X, F, nominal, reference, catalogue)
    )


def test_factors_report_what_was_varied_and_dropout_never_empties_a_level():
    X = _random_data(6, 5)
    X.loc["R00", "t1"] = np.nan  # R00 relies on t2 alone in level t: t2 cannot be dropped
    with pytest.warns(UserWarning, match="catalogue"):
        res = monte_carlo_ranks(
            X, DIR6, LEVELS6, n_replicates=200, normalisations=("minmax", "rank")
        )
    factors = res.factors.set_index("factor")
    assert factors.loc["weighting", "values"] == ["equal", "pca"]
    assert "no `catalogue_weights` given" in factors.loc["weighting", "note"]
    assert factors.loc["drop_t", "values"] == ["none", "t1"]
    assert factors.loc["drop_j", "values"] == ["none", "j1", "j2"]
    assert set(res.design.drop_t) <= {"none", "t1"}
    assert not np.isnan(res.ranks).any()


def test_rank_sensitivity_attributes_rank_changes_to_the_aggregation():
    # A = (100, 1), B = (45, 45), C = (1, 100). minmax: A = (100, 0), B = (44.4, 44.4),
    # C = (0, 100). Arithmetic: A = C = 50 > B = 44.4; geometric on (1, 100): A = C = 10 < B.
    # Only the aggregation is varied, so it explains all the rank variance; the other factors
    # have a single option and explain exactly nothing.
    X = pd.DataFrame({"a": [100.0, 45, 1], "b": [1.0, 45, 100]}, index=["A", "B", "C"])
    out = rank_sensitivity(
        X,
        {"a": 1, "b": 1},
        {"a": "t", "b": "t"},
        n=256,
        normalisations=("minmax",),
        weightings=("equal",),
        dropout=False,
    )
    table = out.set_index(["level", "factor"])
    assert table.loc[("t", "aggregation"), "ST"] == pytest.approx(1.0, abs=0.1)
    assert table.loc[("t", "aggregation"), "S1"] == pytest.approx(1.0, abs=0.1)
    assert table.loc[("t", "normalisation"), "ST"] == 0.0
    assert list(out.level.unique()) == ["t", "overall"]
