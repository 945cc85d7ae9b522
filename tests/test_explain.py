"""Explanations: exact SHAP of the additive scores, surrogate trees, disagreement drivers."""

from __future__ import annotations

import io
import itertools
import json
import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from border_readiness.clustering.explain import (
    MIN_FIDELITY,
    additive_shap,
    disagreement_drivers,
    surrogate_explanation,
)
from border_readiness.features.composite import aggregate

PROJECT = Path(__file__).resolve().parents[1]
LEVELS = ("transport_communication", "joint_projects", "social_services")
REGIONS12 = [
    "RU-AST", "RU-VGG", "RU-SAR", "RU-SAM", "RU-ORE", "RU-CHE",
    "RU-KGN", "RU-TYU", "RU-OMS", "RU-NVS", "RU-ALT", "RU-AL",
]  # fmt: skip


def _random_levels(rng, n_regions=8, per_level=(2, 3, 2)):
    features = [f"{lv[:5]}_{i}" for lv, k in zip(LEVELS, per_level, strict=True) for i in range(k)]
    groups = pd.Series(
        [lv for lv, k in zip(LEVELS, per_level, strict=True) for _ in range(k)], index=features
    )
    weights = pd.Series(rng.uniform(0.2, 3.0, len(features)), index=features)
    Xn = pd.DataFrame(
        rng.uniform(0, 100, (n_regions, len(features))),
        index=[f"R{i}" for i in range(n_regions)],
        columns=features,
    )
    return Xn, weights, groups


# --------------------------------------------------------------------------------------------
# additive_shap
# --------------------------------------------------------------------------------------------


def test_additive_shap_hand_worked():
    Xn = pd.DataFrame({"a": [20.0, 50, 90], "b": [80.0, 50, 10]}, index=["A", "B", "C"])
    # weights 1 : 3 become 0.25 / 0.75; means a = 160/3, b = 140/3
    s = additive_shap(Xn, {"a": 1, "b": 3}, {"a": "t", "b": "t"})
    assert list(s.columns[:4]) == ["region_id", "target", "feature", "shap_value"]
    table = s.set_index(["region_id", "feature"])["shap_value"]
    expected = {
        ("A", "a"): 0.25 * (20 - 160 / 3),  # -8.333
        ("A", "b"): 0.75 * (80 - 140 / 3),  # 25
        ("B", "a"): 0.25 * (50 - 160 / 3),
        ("B", "b"): 0.75 * (50 - 140 / 3),
        ("C", "a"): 0.25 * (90 - 160 / 3),
        ("C", "b"): 0.75 * (10 - 140 / 3),
    }
    for key, value in expected.items():
        assert table[key] == pytest.approx(value, abs=1e-12)
    assert table["A", "b"] == pytest.approx(25.0)
    assert s.attrs["base_values"] == {"t": pytest.approx(145 / 3)}
    np.testing.assert_allclose(s["base_value"], 145 / 3, rtol=1e-12)
    # efficiency, by hand: A scores 0.25 * 20 + 0.75 * 80 = 65
    a_rows = s[s.region_id == "A"]
    assert a_rows.base_value.iloc[0] + a_rows.shap_value.sum() == pytest.approx(65.0)
    assert a_rows.feature_value.tolist() == [20.0, 80.0]


def test_additive_shap_relative_to_background():
    Xn = pd.DataFrame({"a": [20.0, 50], "b": [80.0, 50]}, index=["A", "B"])
    background = pd.DataFrame({"a": [0.0, 10, 20, np.nan], "b": [40.0, 50, 60, 70]})
    s = additive_shap(Xn, {"a": 1, "b": 1}, {"a": "t", "b": "t"}, background=background)
    table = s.set_index(["region_id", "feature"])["shap_value"]
    # E[a] = 10 over the regions reporting a; E[b] = 55
    assert table["A", "a"] == pytest.approx(0.5 * (20 - 10))
    assert table["B", "b"] == pytest.approx(0.5 * (50 - 55))
    assert s.attrs["base_values"]["t"] == pytest.approx(0.5 * 10 + 0.5 * 55)


def test_additive_shap_efficiency_matches_aggregate():
    rng = np.random.default_rng(1)
    Xn, weights, groups = _random_levels(rng)
    background = pd.DataFrame(rng.uniform(0, 100, (30, Xn.shape[1])), columns=Xn.columns)
    s = additive_shap(Xn, weights, groups, background=background)
    scores = aggregate(Xn, weights, groups)
    assert list(pd.unique(s.target)) == list(LEVELS)
    recon = (
        s.groupby(["region_id", "target"])
        .agg(total=("shap_value", "sum"), base=("base_value", "first"))
        .eval("total + base")
    )
    for region in Xn.index:
        for level in LEVELS:
            assert recon[region, level] == pytest.approx(scores.loc[region, level], rel=1e-12)
    # the base value is the mean score of the background
    base = s.groupby("target").base_value.first()
    assert base[LEVELS[1]] == pytest.approx(
        aggregate(background, weights, groups)[LEVELS[1]].mean()
    )


def test_additive_shap_matches_shap_linear_explainer():
    shap = pytest.importorskip("shap")
    rng = np.random.default_rng(2)
    Xn, weights, groups = _random_levels(rng, n_regions=10)
    background = pd.DataFrame(rng.uniform(0, 100, (25, Xn.shape[1])), columns=Xn.columns)
    s = additive_shap(Xn, weights, groups, background=background)
    for level in LEVELS:
        cols = list(groups.index[groups == level])
        coef = (weights[cols] / weights[cols].sum()).to_numpy()
        explainer = shap.explainers.Linear((coef, 0.0), background[cols].to_numpy())
        reference = explainer(Xn[cols].to_numpy())
        ours = (
            s[s.target == level]
            .pivot(index="region_id", columns="feature", values="shap_value")
            .loc[Xn.index, cols]
        )
        np.testing.assert_allclose(ours.to_numpy(), reference.values, rtol=1e-10, atol=1e-10)
        assert s[s.target == level].base_value.iloc[0] == pytest.approx(
            float(np.ravel(reference.base_values)[0])
        )


def _shapley_by_definition(f, x, background):
    """Shapley values of v(S) = mean_b f(x_S, b_rest), by enumerating every coalition."""
    p = x.size

    def v(subset):
        masked = background.copy()
        masked[:, list(subset)] = x[list(subset)]
        return f(masked).mean()

    phi = np.zeros(p)
    for i in range(p):
        rest = [j for j in range(p) if j != i]
        for size in range(p):
            share = math.factorial(size) * math.factorial(p - size - 1) / math.factorial(p)
            for subset in itertools.combinations(rest, size):
                phi[i] += share * (v((*subset, i)) - v(subset))
    return phi


def test_additive_shap_equals_shapley_definition():
    rng = np.random.default_rng(3)
    Xn, weights, groups = _random_levels(rng, n_regions=4, per_level=(4, 1, 1))
    background = rng.uniform(0, 100, (6, Xn.shape[1]))
    s = additive_shap(Xn, weights, groups, background=pd.DataFrame(background, columns=Xn.columns))
    cols = list(groups.index[groups == LEVELS[0]])
    idx = [Xn.columns.get_loc(c) for c in cols]
    w = (weights[cols] / weights[cols].sum()).to_numpy()

    def score(A):
        return A @ w

    for region in Xn.index:
        phi = _shapley_by_definition(score, Xn.loc[region, cols].to_numpy(), background[:, idx])
        ours = s[(s.region_id == region) & (s.target == LEVELS[0])].shap_value.to_numpy()
        np.testing.assert_allclose(ours, phi, rtol=1e-10, atol=1e-9)


def test_additive_shap_accepts_catalogue_mappings_and_refuses_gaps():
    Xn = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 5.0]}, index=["A", "B"])
    groups = {"a": "t", "b": "t", "unused": "s"}
    weights = {"a": 1.0, "b": 1.0, "unused": 9.0}
    s = additive_shap(Xn, weights, groups)
    assert set(s.feature) == {"a", "b"}
    assert s.attrs["base_values"] == {"t": pytest.approx(2.75)}
    with pytest.raises(ValueError, match="missing or infinite"):
        additive_shap(Xn.assign(a=[1.0, np.nan]), weights, groups)
    with pytest.raises(ValueError, match="no level"):
        additive_shap(Xn, weights, {"a": "t"})


# --------------------------------------------------------------------------------------------
# surrogate_explanation
# --------------------------------------------------------------------------------------------


def _separable(rng):
    clusters = np.repeat([0, 1], 6)
    X = pd.DataFrame(
        {
            "noise_1": rng.normal(size=12),
            "gap": np.where(clusters == 0, 0.0, 10.0) + rng.uniform(0, 1, 12),
            "noise_2": rng.normal(size=12),
        },
        index=REGIONS12,
    )
    return X, pd.Series(clusters, index=REGIONS12)


def test_surrogate_recovers_a_separating_feature():
    X, labels = _separable(np.random.default_rng(4))
    res = surrogate_explanation(X, labels)
    assert res.fidelity_loo == 1.0
    assert res.fidelity_train == 1.0
    assert res.explains_well
    assert not any("explains poorly" in note for note in res.notes)
    s = res.shap_values
    assert set(s.target) == {"cluster 0", "cluster 1"}
    assert len(s) == 12 * 3 and s.own_class.all()
    mass = s.shap_value.abs().groupby(s.feature).sum()
    assert mass["gap"] / mass.sum() > 0.999
    assert res.feature_importance().index[0] == "gap"
    assert "gap" in res.rules and "noise" not in res.rules
    # TreeSHAP is exact: base + sum = the tree's probability of the region's own class
    proba = res.model.predict_proba(X)
    for r, region in enumerate(X.index):
        rows = s[s.region_id == region]
        own = int(labels[region])
        assert rows.base_value.iloc[0] + rows.shap_value.sum() == pytest.approx(proba[r, own])


def test_surrogate_on_random_labels_reports_poor_fidelity():
    rng = np.random.default_rng(5)
    X = pd.DataFrame(rng.normal(size=(12, 4)), index=REGIONS12, columns=list("abcd"))
    labels = pd.Series(rng.permutation(np.repeat([0, 1, 2], 4)), index=REGIONS12)
    res = surrogate_explanation(X, labels)
    assert res.fidelity_loo < MIN_FIDELITY
    assert res.fidelity_train > res.fidelity_loo  # the tree memorises, it does not generalise
    assert not res.explains_well
    poor = [n for n in res.notes if "surrogate explains poorly" in n]
    assert poor and "do not read its SHAP values as reasons" in poor[0]
    frame = res.to_frame()
    assert (frame.fidelity_loo == res.fidelity_loo).all()
    summary = res.to_dict()
    json.dumps(summary)
    assert summary["explains_well"] is False
    assert len(summary["misclassified_loo"]) == round(12 * (1 - res.fidelity_loo))


def test_surrogate_all_classes_and_type_names():
    X, clusters = _separable(np.random.default_rng(6))
    types = clusters.map({0: "periphery", 1: "hub"})
    types.iloc[0] = "corridor"  # a type with a single member
    res = surrogate_explanation(X, types, all_classes=True)
    s = res.shap_values
    assert set(s.target) == {"periphery", "hub", "corridor"}
    assert len(s) == 12 * 3 * 3
    assert s.own_class.sum() == 12 * 3
    # class probabilities sum to one, so per feature the SHAP values over classes sum to zero
    # (TreeSHAP accumulates in float32, hence the tolerance)
    per_feature = s.groupby(["region_id", "feature"]).shap_value.sum()
    np.testing.assert_allclose(per_feature.to_numpy(), 0.0, atol=1e-6)
    assert res.class_sizes["corridor"] == 1
    assert any("corridor has 1 member" in note for note in res.notes)
    assert res.loo_predictions[REGIONS12[0]] != "corridor"  # nothing left to learn it from


def test_surrogate_refuses_bad_input():
    X, labels = _separable(np.random.default_rng(7))
    with pytest.raises(ValueError, match="at least two classes"):
        surrogate_explanation(X, np.zeros(12, dtype=int))
    with pytest.raises(ValueError, match="no label for region"):
        surrogate_explanation(X, labels.iloc[1:])
    with pytest.raises(ValueError, match="max_depth"):
        surrogate_explanation(X, labels, max_depth=0)


# --------------------------------------------------------------------------------------------
# disagreement_drivers
# --------------------------------------------------------------------------------------------


def test_disagreement_net_sums_to_squared_distance_difference():
    rng = np.random.default_rng(8)
    X = pd.DataFrame(rng.normal(size=(12, 5)), index=REGIONS12, columns=list("abcde"))
    expert = pd.Series(np.repeat(["west", "centre", "east"], 4), index=REGIONS12)
    data = expert.copy()
    data.iloc[[1, 6]] = ["east", "west"]
    d = disagreement_drivers(X, data, expert)
    assert list(pd.unique(d.region_id)) == [REGIONS12[1], REGIONS12[6]]

    z = ((X - X.mean()) / X.std(ddof=1)).to_numpy()
    for region in pd.unique(d.region_id):
        i = REGIONS12.index(region)
        others = np.arange(12) != i
        c_data = z[others & (data == data[region]).to_numpy()].mean(axis=0)
        c_expert = z[others & (expert == expert[region]).to_numpy()].mean(axis=0)
        distance_gap = np.sum((z[i] - c_expert) ** 2) - np.sum((z[i] - c_data) ** 2)
        rows = d[d.region_id == region].set_index("feature").loc[list("abcde")]
        assert rows.net.sum() == pytest.approx(distance_gap, rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(rows.toward_data + rows.away_from_expert, rows.net, atol=1e-12)
        np.testing.assert_allclose(rows.centroid_data, c_data, atol=1e-12)  # without the region
        np.testing.assert_allclose(rows.z, z[i], atol=1e-12)
        assert sorted(rows["rank"]) == [1, 2, 3, 4, 5]


def test_disagreement_planted_feature_ranks_first():
    rng = np.random.default_rng(9)
    expert = pd.Series(["low"] * 6 + ["high"] * 6, index=REGIONS12)
    X = pd.DataFrame(rng.normal(0, 1, (12, 4)), index=REGIONS12, columns=["a", "b", "c", "d"])
    X["crossings"] = np.where(expert == "low", 0.0, 10.0) + rng.uniform(0, 0.5, 12)
    mover = REGIONS12[5]
    X.loc[mover, "crossings"] = 10.2  # an expert-"low" region that looks "high" on crossings
    data = expert.copy()
    data[mover] = "high"
    d = disagreement_drivers(X, data, expert, regions=[mover, REGIONS12[0]])
    assert set(d.region_id) == {mover}  # the agreeing region has nothing to explain
    top = d.iloc[0]
    assert (top.feature, top["rank"]) == ("crossings", 1)
    assert top.data_type == "high" and top.expert_type == "low"
    assert top.net > 0 and top.toward_data > 0 and top.away_from_expert > 0
    assert top.net > d.net.iloc[1:].abs().max()


def test_disagreement_skips_lonely_regions_and_needs_aligned_labels():
    X = pd.DataFrame({"a": [0.0, 1, 2, 3], "b": [1.0, 0, 1, 0]}, index=list("ABCD"))
    expert = pd.Series(["x", "x", "y", "y"], index=X.index)
    data = pd.Series(["x", "x", "y", "z"], index=X.index)  # D alone in its data group
    with pytest.warns(UserWarning, match="alone in its data group"):
        d = disagreement_drivers(X, data, expert)
    assert d.empty and "net" in d.columns
    with pytest.raises(ValueError, match="share no label"):
        disagreement_drivers(X, pd.Series([0, 0, 1, 1], index=X.index), expert)
    with pytest.raises(ValueError, match="not in X"):
        disagreement_drivers(X, data, expert, regions=["RU-XXX"])


# --------------------------------------------------------------------------------------------
# light imports and figures
# --------------------------------------------------------------------------------------------


def test_importing_clustering_does_not_import_heavy_packages():
    code = (
        "import sys\n"
        "import border_readiness.clustering.explain, border_readiness.clustering.embedding\n"
        "import border_readiness.experiments._plots_explain\n"
        "heavy = ('shap', 'umap', 'mlflow', 'numba', 'matplotlib')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def _no_pyplot_figures_left() -> bool:
    import matplotlib.pyplot as plt

    return plt.get_fignums() == []


def test_explanation_figures_build_headless():
    pytest.importorskip("matplotlib")
    from border_readiness.experiments._plots_explain import disagreement_figure, shap_summary_figure

    rng = np.random.default_rng(10)
    Xn, weights, groups = _random_levels(rng)
    additive = additive_shap(Xn, weights, groups)
    X, labels = _separable(rng)
    surrogate = surrogate_explanation(X, labels).to_frame()
    expert = pd.Series(np.repeat(["a", "b"], 6), index=REGIONS12)
    data = expert.copy()
    data.iloc[0] = "b"
    drivers = disagreement_drivers(X, data, expert)

    figures = [
        shap_summary_figure(additive, LEVELS[1], "Joint projects"),
        shap_summary_figure(surrogate, "cluster 1", "Cluster 1"),
        shap_summary_figure(additive.drop(columns="feature_value"), LEVELS[0], "Transport"),
        disagreement_figure(drivers, REGIONS12[0]),
    ]
    for fig in figures:
        buf = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # layout or colour problems must not pass silently
            fig.savefig(buf, format="png")
        assert buf.getvalue().startswith(b"\x89PNG")
    assert "fidelity 1.00" in figures[1].axes[1].get_title()
    assert _no_pyplot_figures_left()  # built off pyplot: nothing to close, nothing leaked
    with pytest.raises(ValueError, match="available"):
        shap_summary_figure(additive, "overall", "Overall")
