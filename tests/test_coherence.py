"""Coherence per level, the full imputation log and the merge of identical weighting schemes.

Coherence: Cronbach's α, item–rest correlations, PC1 share, negative pairs.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA

from border_readiness.features.composite import monte_carlo_ranks, rank_sensitivity
from border_readiness.features.composite.coherence import (
    coherence,
    cronbach_alpha,
    item_rest_correlations,
)

# -- hand-worked coherence (synthetic matrix, invented for the test) -----------------------------

# Five units, three items; item c runs against a and b.
HAND = pd.DataFrame(
    {"a": [1.0, 2, 3, 4, 5], "b": [2.0, 1, 4, 3, 5], "c": [5.0, 3, 4, 1, 2]},
    index=list("VWXYZ"),
)


def _var(xs):
    m = sum(xs) / len(xs)
    return sum((x - m) ** 2 for x in xs) / (len(xs) - 1)


def _corr(xs, ys):
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    return sxy / (sxx * syy) ** 0.5


def test_alpha_matches_the_formula_worked_by_hand():
    # Σσ²ᵢ = 2.5 + 2.5 + 2.5 = 7.5; totals 8, 6, 11, 8, 12 (mean 9) -> σ²ₜ = 24/4 = 6;
    # α = 3/2 · (1 − 7.5/6) = −0.375.
    cols = [list(HAND[c]) for c in HAND]
    totals = [sum(row) for row in zip(*cols, strict=True)]
    assert totals == [8, 6, 11, 8, 12]
    assert _var(totals) == pytest.approx(6.0)
    by_hand = 3 / 2 * (1 - sum(_var(c) for c in cols) / _var(totals))
    assert by_hand == pytest.approx(-0.375)
    assert cronbach_alpha(HAND) == pytest.approx(by_hand)
    # Two identical items: α = 1; α on a two-item pair (a, b) by the formula.
    ab = [list(HAND.a), list(HAND.b)]
    tot = [x + y for x, y in zip(*ab, strict=True)]
    assert cronbach_alpha(HAND[["a", "b"]]) == pytest.approx(
        2 * (1 - (_var(ab[0]) + _var(ab[1])) / _var(tot))
    )


def test_item_rest_correlations_from_scratch():
    ir = item_rest_correlations(HAND)
    for c in HAND:
        rest = [sum(HAND.loc[i, d] for d in HAND if d != c) for i in HAND.index]
        assert ir[c] == pytest.approx(_corr(list(HAND[c]), rest))
    # a against b + c: deviations (-2..2) · (1, -2, 2, -2, 1) sum to 0.
    assert ir["a"] == pytest.approx(0.0, abs=1e-12)
    assert ir["c"] < 0 < ir["b"]


def test_level_table_pc1_negative_pairs_and_flag():
    X = HAND.assign(d=[10.0, 20, 30, 40, 50], e=[3.0, 1, 2, 5, 4])
    groups = {"a": "t", "b": "t", "c": "t", "d": "s", "e": "s"}
    levels, items = coherence(X, groups)
    t = levels.set_index("level").loc["t"]
    # Negative pairs by hand: corr(a, b) = 0.8, corr(a, c) = -0.8, corr(b, c) = -0.3.
    assert _corr(list(HAND.a), list(HAND.b)) == pytest.approx(0.8)
    assert _corr(list(HAND.b), list(HAND.c)) == pytest.approx(-0.3)
    assert t.n_pairs == 3 and t.n_negative_pairs == 2
    assert set(t.negative_pairs.split("|")) == {"a~c", "b~c"}
    # PC1 share of the standardised items = sklearn's explained variance ratio on z-scores.
    z = (HAND - HAND.mean()) / HAND.std(ddof=1)
    assert t.pc1_share == pytest.approx(PCA().fit(z).explained_variance_ratio_[0])
    assert t.cronbach_alpha == pytest.approx(-0.375)
    # A bipolar first component (c loads against a and b) still explains over half the
    # variance: PC1 share alone does not see opposed items, α and item–rest do.
    assert t.pc1_share > 0.5
    assert t.flag == "alpha<0.7|item_rest<0.3"
    assert "c" in t.low_item_rest.split("|")
    s = levels.set_index("level").loc["s"]
    assert s.n_negative_pairs == 0
    assert items.set_index("indicator").loc["c", "flag"] == "item_rest<0.3"
    # A coherent level passes: two nearly collinear items.
    ok, _ = coherence(pd.DataFrame({"p": [1.0, 2, 3, 4], "q": [1.1, 2, 3.2, 3.9]}), dict(p=0, q=0))
    assert ok.flag.tolist() == ["ok"]


# -- the 2021 default ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def default_2021():
    from border_readiness.features.dataset import load_dataset
    from border_readiness.features.indicators import compile_indicators
    from border_readiness.features.regions import BORDER_REGIONS
    from border_readiness.features.scoring import ScoreConfig, score_regions

    data = load_dataset()
    compiled = compile_indicators(data, year=2021)
    report = score_regions(
        compiled,
        list(BORDER_REGIONS),
        config=ScoreConfig(n_replicates=200, sobol_n=16),
    )
    return data, compiled, report


def test_transport_level_is_not_coherent_in_2021(default_2021):
    # The audit of issue 10: α = 0.18 over the 85 subjects, 17 of 36 pairs negative. After
    # issue 14's revision (distances, border length, the paved share; densities at half weight)
    # it is α = 0.40 over the 83 subjects with every transport figure, 19 of 36 pairs negative:
    # Crimea and Sevastopol, absent from the 2013 polygon layer, lack the distances and the
    # border and are refused from the reference matrix (8 of 24 features missing > 25 %).
    _, compiled, report = default_2021
    c = report.coherence.set_index("level")
    t = c.loc["transport_communication"]
    assert len(compiled.matrix) == 85 - 2 and t.n_regions == 83
    assert not {"RU-CR", "RU-SEV"} & set(compiled.matrix.index)
    assert t.cronbach_alpha == pytest.approx(0.401, abs=0.005)
    assert (t.n_negative_pairs, t.n_pairs) == (19, 36)
    assert t.flag.startswith("alpha<0.7")
    # α again from the normalised matrix with the textbook formula, not the package's function,
    # over the subjects with every transport indicator.
    cols = report.weights.indicator[report.weights.level == "transport_communication"]
    X = report.normalised_all[list(cols)].dropna()
    assert len(X) == t.n_regions
    k = X.shape[1]
    by_formula = k / (k - 1) * (1 - X.var().sum() / X.sum(axis=1).var())
    assert t.cronbach_alpha == pytest.approx(by_formula)


def test_imputation_log_has_every_cell_of_the_reference_matrix(default_2021):
    data, compiled, report = default_2021
    log = report.imputations
    # Issue 14's catalogue: 11 structural zeros and one gap fill (RU-NEN's CIS trade growth,
    # `...` with no footnote). Crimea and Sevastopol are refused, not filled; the cells kept
    # apart (railways of Sevastopol inside Crimea's, 16.3) are left missing, not filled.
    # Six more cells feed only a context indicator (weight 0: reported, not scored): the '-'
    # of rail freight (16.1), read only by rail_freight_per_capita; listed with used_in "none".
    unused = log[log.used_in == "none"]
    assert len(unused) == 6 and set(unused.indicator) == {"rail_freight_dispatched"}
    log = log[log.used_in != "none"]
    assert len(log) == 12
    scored = list(report.weights.indicator)
    # Gap fills: the NaNs of the raw matrix over the scored features and the subjects kept,
    # but for the cells kept apart (an aggregate id holds their figure).
    from border_readiness.features.territories import kept_apart_cells

    apart = kept_apart_cells(compiled, data)
    apart = set(zip(apart.region_id, apart.feature, strict=True))
    raw = compiled.raw.loc[compiled.matrix.index, scored]
    nan_cells = {(r, c) for r in raw.index for c in raw.columns if np.isnan(raw.at[r, c])} - apart
    gaps = log[log.kind == "gap fill"]
    assert len(gaps) == len(nan_cells) == 1
    assert set(zip(gaps.region_id, gaps.indicator, strict=True)) == nan_cells
    assert set(gaps.region_id) == {"RU-NEN"}
    assert not {"RU-MOS", "RU-LEN", "RU-MOW", "RU-SPE"} & set(gaps.region_id)
    # Structural zeros: '-' cells of the (series, year) pairs the 2021 formulas read, listed by
    # hand from the catalogue: every Russian series in 2021, the 5-year growth series in 2016
    # too, the 3-year mean over 2019-2021 (Kazakh series are not rows of the Russian matrix).
    in_2021 = {
        "paved_roads_share", "paved_road_density", "railway_density", "cars_per_1000",
        "households_internet_share", "exports_cis", "imports_cis", "exports_far_abroad",
        "imports_far_abroad", "population_avg", "grp_per_capita",
        "investment_fixed_capital_per_capita", "organisations", "unemployment_rate_lfs",
        "foreign_workers_patents", "students_higher_per_10000", "doctors_per_10000",
        "paid_services_per_capita", "collective_accommodation_guests",
    }  # fmt: skip
    in_2016 = {"exports_cis", "imports_cis", "paved_road_density"}
    reads = {(s, 2021) for s in in_2021} | {(s, 2016) for s in in_2016}
    reads |= {("arrivals_from_abroad_share", y) for y in range(2019, 2022)}
    dash = data[
        data.value.isna()
        & data.note.str.startswith("no such phenomenon")
        & data.region_id.isin(compiled.matrix.index)
    ]
    expected = {
        (r, s, y)
        for r, s, y in zip(dash.region_id, dash.indicator, dash.year, strict=True)
        if (s, y) in reads
    }
    zeros = log[log.kind == "structural zero"]
    assert set(zip(zeros.region_id, zeros.indicator, zeros.year, strict=True)) == expected
    assert len(zeros) == len(expected) == 11
    # Roles: only the Altai Republic's railway zero is in a scored region.
    scored_rows = log[log.used_in == "reference|scored"]
    assert set(scored_rows.region_id) == {"RU-AL"} and len(scored_rows) == 1
    assert set(log.used_in) == {"reference", "reference|scored"}
    assert set(log.cell) == {"source series", "feature"}


def test_default_run_samples_the_three_weighting_schemes(default_2021):
    # Issue 14's catalogue weights differ from equal (half weights with their reasons), so the
    # catalogue scheme is no longer merged into the equal one.
    _, compiled, report = default_2021
    assert not (compiled.weights[report.weights.indicator] == 1.0).all()
    w = report.factors.set_index("factor").loc["weighting"]
    assert list(w["values"]) == ["equal", "catalogue", "pca"]
    assert "merged" not in str(w["note"])


# -- identical weighting schemes -----------------------------------------------------------------

RNG_X = pd.DataFrame(
    np.random.default_rng(3).lognormal(size=(7, 5)), columns=list("abcde"), index=list("PQRSTUV")
)
GROUPS = {"a": "t", "b": "t", "c": "t", "d": "s", "e": "s"}
DIRS = dict.fromkeys("abcde", 1)


def _mc(weightings, catalogue, seed=5):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return monte_carlo_ranks(
            RNG_X,
            DIRS,
            GROUPS,
            n_replicates=300,
            normalisations=("minmax", "rank"),
            weightings=weightings,
            aggregations=("arithmetic", "geometric"),
            catalogue_weights=catalogue,
            random_state=seed,
        )


def test_identical_catalogue_weights_are_merged_and_equal_the_unlisted_scheme():
    ones = dict.fromkeys("abcde", 1.0)
    merged = _mc(("equal", "catalogue", "pca"), ones)
    w = merged.factors.set_index("factor").loc["weighting"]
    assert list(w["values"]) == ["equal", "pca"]
    assert "identical" in w["note"] and "every catalogue weight is 1.0" in w["note"]
    assert "2/3" in w["note"]
    # Merging is exactly not listing the duplicate: same draws, same ranks.
    plain = _mc(("equal", "pca"), ones)
    np.testing.assert_array_equal(merged.ranks, plain.ranks)
    # Constant within each level (not 1) is the same scheme too; the first listed is kept.
    levelwise = {"a": 2.0, "b": 2.0, "c": 2.0, "d": 5.0, "e": 5.0}
    kept_cat = _mc(("catalogue", "equal"), levelwise)
    w2 = kept_cat.factors.set_index("factor").loc["weighting"]
    assert list(w2["values"]) == ["catalogue"] and "constant within every level" in w2["note"]
    # Deterministic given the seed.
    np.testing.assert_array_equal(merged.ranks, _mc(("equal", "catalogue", "pca"), ones).ranks)


def test_different_catalogue_weights_are_not_merged():
    unequal = {"a": 1.0, "b": 3.0, "c": 1.0, "d": 1.0, "e": 2.0}
    res = _mc(("equal", "catalogue", "pca"), unequal)
    w = res.factors.set_index("factor").loc["weighting"]
    assert list(w["values"]) == ["equal", "catalogue", "pca"] and w["note"] == ""


def test_sobol_samples_the_merged_schemes():
    kw = dict(normalisations=("minmax", "rank"), aggregations=("arithmetic",), n=32, random_state=1)
    ones = dict.fromkeys("abcde", 1.0)
    merged = rank_sensitivity(
        RNG_X, DIRS, GROUPS, weightings=("equal", "catalogue"), catalogue_weights=ones, **kw
    )
    plain = rank_sensitivity(RNG_X, DIRS, GROUPS, weightings=("equal",), **kw)
    pd.testing.assert_frame_equal(merged, plain)
    # Distinct catalogue weights keep a weighting factor that moves the ranks.
    unequal = {"a": 1.0, "b": 9.0, "c": 1.0, "d": 1.0, "e": 9.0}
    distinct = rank_sensitivity(
        RNG_X, DIRS, GROUPS, weightings=("equal", "catalogue"), catalogue_weights=unequal, **kw
    )
    st = distinct.set_index(["level", "factor"]).ST
    assert st.loc[("overall", "weighting")] > 0
