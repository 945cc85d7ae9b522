"""The readiness model as scikit-learn estimators.

Estimator checks, hand-worked cases, and the proof that the Monte Carlo engine's nominal
replicate is the fitted model (all 36 choices).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from border_readiness.clustering.shapley import exact_shapley, readiness_shap
from border_readiness.features import composite
from border_readiness.features.composite import (
    IndicatorWeights,
    LevelAggregator,
    Normaliser,
    OutlierTreatment,
    ReadinessModel,
)
from border_readiness.features.composite._engine import _Engine

GRID = list(
    itertools.product(composite.NORMALISATIONS, composite.WEIGHTINGS, composite.AGGREGATIONS)
)


@parametrize_with_checks(
    [
        OutlierTreatment(),
        Normaliser(),
        Normaliser(method="zscore"),
        Normaliser(method="rank"),
        IndicatorWeights(),
        IndicatorWeights(method="pca"),
        LevelAggregator(),
        LevelAggregator(method="geometric"),
        LevelAggregator(method="copeland"),
        ReadinessModel(),
        ReadinessModel(aggregation="copeland", weighting="pca", normalisation="rank"),
    ]
)
def test_sklearn_estimator_checks(estimator, check):
    # No check is skipped. The estimators declare allow_nan (a missing indicator is kept and
    # re-weighted over), so scikit-learn checks that infinities are refused instead.
    check(estimator)


def test_the_grid_is_4_by_3_by_3():
    assert len(GRID) == 36


def _synthetic(n_ref=30, seed=0):
    """Synthetic regions (labelled as such: generated here, never bundled).

    A skewed column so that the outlier rule acts, a reversed one, two levels.
    """
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "t1": rng.lognormal(size=n_ref),
            "t2": rng.uniform(1, 10, n_ref),
            "j1": np.r_[rng.uniform(1, 2, n_ref - 1), 60.0],  # one extreme outlier
            "j2": rng.normal(5, 1, n_ref),
            "j3": rng.uniform(0.5, 3, n_ref),
        },
        index=[f"R{i:02d}" for i in range(n_ref)],
    )
    info = {
        "directions": {"t1": 1, "t2": -1, "j1": 1, "j2": 1, "j3": -1},
        "groups": {"t1": "t", "t2": "t", "j1": "j", "j2": "j", "j3": "j"},
        "catalogue_weights": {"t1": 1.0, "t2": 3.0, "j1": 2.0, "j2": 1.0, "j3": 1.0},
        "national_values": X.median().to_dict(),
    }
    return X, info


def test_treatment_reproduces_treat_outliers_on_the_reference_and_clips_new_values():
    X, _ = _synthetic()
    expected, log = composite.treat_outliers(X)
    t = OutlierTreatment().set_output(transform="pandas").fit(X)
    pd.testing.assert_frame_equal(t.transform(X), expected)
    assert list(t.action_) == list(log["action"])
    assert t.treatment_log()["action"].tolist() == log["action"].tolist()
    j = list(X.columns).index("j1")
    assert t.action_[j] == "winsorised"
    # a new region far beyond the reference is clipped to the treated reference's maximum
    new = X.iloc[[0]].copy()
    new["j1"] = 1e6
    assert t.transform(new)["j1"].iloc[0] == expected["j1"].max()


def test_normaliser_hand_worked_minmax_and_zscore():
    ref = np.array([[0.0], [5.0], [10.0]])
    assert Normaliser().fit(ref).transform([[2.5]]).tolist() == [[25.0]]
    assert Normaliser(directions=[-1]).fit(ref).transform([[2.5]]).tolist() == [[75.0]]
    # sample sd of 0, 5, 10 is 5: (2.5 - 5) / 5
    assert Normaliser(method="zscore").fit(ref).transform([[2.5]]).tolist() == [[-0.5]]


def test_geometric_scale_puts_the_reference_minimum_at_one():
    # minmax 0..100 -> geometric of x + 1; two indicators with weights 1/2: sqrt(1 * 101)
    agg = LevelAggregator(method="geometric").fit([[0.0, 100.0], [100.0, 0.0]])
    np.testing.assert_allclose(agg.shift_, [1.0, 1.0])
    np.testing.assert_allclose(agg.transform([[0.0, 100.0]])[0, 0], np.sqrt(101.0))


def test_copeland_counts_wins_minus_losses_against_the_reference():
    ref = [[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]
    agg = LevelAggregator(method="copeland").fit(ref)
    # (2.5, 2.5) beats the first two reference regions and loses to the third
    assert agg.transform([[2.5, 2.5]])[0, 0] == 1.0
    # scoring a region alone or with others gives it the same score
    both = agg.transform([[2.5, 2.5], [0.0, 0.0]])
    assert both[0, 0] == 1.0 and both[1, 0] == -3.0


def test_model_is_clonable_and_scores_do_not_depend_on_which_regions_are_scored():
    X, info = _synthetic()
    for norm, weighting, agg in GRID:
        m = ReadinessModel(norm, weighting, agg, **info).set_output(transform="pandas")
        assert clone(m).get_params() == m.get_params()
        m.fit(X)
        whole = m.transform(X)
        part = m.transform(X.iloc[3:9])
        pd.testing.assert_frame_equal(part, whole.iloc[3:9])
        assert list(whole.columns) == ["t", "j", "overall"]


def _engine_nominal(model: ReadinessModel, X: pd.DataFrame, X_ref: pd.DataFrame, info, choice):
    norm, weighting, agg = choice
    treated_ref = model.treat(X_ref)
    engine = _Engine(
        treated_ref.loc[X.index],
        info["directions"],
        info["groups"],
        fit_on=treated_ref,
        reference=dict(zip(X_ref.columns, model.national_values_, strict=True)),
        # the first option of each factor is the nominal one; the rest are there so that the
        # engine is built as for a real Monte Carlo
        normalisations=(norm, *[n for n in composite.NORMALISATIONS if n != norm]),
        weightings=(weighting, *[w for w in composite.WEIGHTINGS if w != weighting]),
        aggregations=(agg, *[a for a in composite.AGGREGATIONS if a != agg]),
        catalogue_weights=info["catalogue_weights"],
        dropout=True,
        level_weights=None,
    )
    codes = np.zeros((1, len(engine.factor_sizes)), dtype=np.intp)
    levels = engine.scores(codes)[0]
    overall = levels @ engine.level_weights
    return np.column_stack([levels, overall]), engine.ranks(codes)[0]


@pytest.mark.parametrize("choice", GRID, ids=["-".join(c) for c in GRID])
def test_engine_nominal_replicate_equals_the_fitted_model(choice):
    X_ref, info = _synthetic(n_ref=30, seed=1)
    scored = X_ref.iloc[:9]
    model = ReadinessModel(*choice, **info).set_output(transform="pandas").fit(X_ref)
    expected = model.transform(scored)
    scores, ranks = _engine_nominal(model, scored, X_ref, info, choice)
    np.testing.assert_allclose(scores, expected.to_numpy(), rtol=0, atol=1e-9)
    # ranks among the scored regions (1 = most ready, ties averaged), from the model's scores
    model_ranks = expected.round(9).rank(ascending=False, method="average").to_numpy()
    np.testing.assert_array_equal(ranks, model_ranks)


def test_exact_shapley_agrees_with_shap_and_with_the_closed_form():
    shap = pytest.importorskip("shap")
    X_ref, info = _synthetic(n_ref=20, seed=2)
    m = ReadinessModel("minmax", "catalogue", "geometric", **info).fit(X_ref)
    Xn, bg = m.normalise(X_ref.iloc[:3]), m.reference_normalised()
    cols = ["j1", "j2", "j3"]
    agg = m.aggregator_

    def f(rows):
        return agg.score_level(rows, "j")

    ours, base = exact_shapley(f, Xn[cols].to_numpy(), bg[cols].to_numpy())
    masker = shap.maskers.Independent(bg[cols].to_numpy(), max_samples=len(bg))
    theirs = shap.explainers.Exact(f, masker)(Xn[cols].to_numpy())
    np.testing.assert_allclose(ours, theirs.values, atol=1e-9)
    np.testing.assert_allclose(base, theirs.base_values[0], atol=1e-9)
    # arithmetic: the closed form w_i (x_i - mean_i) (Lundberg and Lee's linear case)
    lin = ReadinessModel("minmax", "catalogue", "arithmetic", **info).fit(X_ref)
    s = readiness_shap(lin, lin.normalise(X_ref.iloc[:3]))
    w = pd.Series(info["catalogue_weights"])[cols] / 4.0
    first = s[(s.region_id == "R00") & (s.target == "j")].set_index("feature").shap_value
    Xl, bgl = lin.normalise(X_ref.iloc[:1]), lin.reference_normalised()
    np.testing.assert_allclose(first[cols], w * (Xl[cols].iloc[0] - bgl[cols].mean()), atol=1e-9)


@pytest.mark.parametrize("agg", ["geometric", "copeland"])
def test_readiness_shap_is_efficient_for_every_aggregation(agg):
    X_ref, info = _synthetic(n_ref=25, seed=3)
    m = ReadinessModel("rank", "equal", agg, **info).set_output(transform="pandas").fit(X_ref)
    s = readiness_shap(m, m.normalise(X_ref.iloc[:5]))
    total = s.groupby(["region_id", "target"]).shap_value.sum()
    base = s.groupby(["region_id", "target"]).base_value.first()
    scores = m.transform(X_ref.iloc[:5])
    for (region, level), value in (total + base).items():
        assert value == pytest.approx(scores.at[region, level], abs=1e-9)


def test_copeland_fast_path_equals_the_generic_exact_shapley():
    X_ref, info = _synthetic(n_ref=15, seed=4)
    m = ReadinessModel("minmax", "catalogue", "copeland", **info).fit(X_ref)
    Xn, bg = m.normalise(X_ref.iloc[:4]), m.reference_normalised()
    s = readiness_shap(m, Xn)
    cols = ["j1", "j2", "j3"]
    generic, base = exact_shapley(
        lambda r: m.aggregator_.score_level(r, "j"), Xn[cols].to_numpy(), bg[cols].to_numpy()
    )
    fast = s[s.target == "j"].shap_value.to_numpy().reshape(4, 3)
    np.testing.assert_allclose(fast, generic, atol=1e-12)
    assert s[s.target == "j"].base_value.iloc[0] == pytest.approx(base)


def test_the_readme_python_example_of_the_model_runs():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = text.split("#### The model in Python: `ReadinessModel`", 1)[1]
    block = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)
    scores, parts = namespace["scores"], namespace["parts"]
    assert list(scores.columns) == [
        "transport_communication",
        "joint_projects",
        "social_services",
        "overall",
    ]
    # exact contributions: the parts of each region's level sum to its level score
    sums = parts[parts.level != "overall"].groupby(["row", "level"]).contribution.sum()
    for (region, level), total in sums.items():
        assert total == pytest.approx(scores.at[region, level], abs=1e-9)
