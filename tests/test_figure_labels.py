"""Every figure says what it shows (issue 15, item 6).

Title, axis labels with units, legend titles, region names and the configuration; the
surrogate's rules are in the indicators' own units.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from matplotlib.text import Text  # noqa: E402

from border_readiness.experiments._plots import (  # noqa: E402
    consensus_figure,
    rank_interval_figure,
)
from border_readiness.experiments._plots_explain import (  # noqa: E402
    embedding_figure,
    shap_summary_figure,
    surrogate_shap_figure,
)
from border_readiness.experiments._surrogate_rules import (  # noqa: E402
    raw_rules_text,
    raw_splits,
    surrogate_raw_rules,
)
from border_readiness.features.regions import region_table  # noqa: E402


@pytest.fixture(autouse=True)
def _close_pyplot_figures():
    # The score and consensus figures are made with pyplot and kept open for inspection here;
    # other modules check that nothing is left in pyplot's registry.
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


IDS = ["RU-AST", "RU-VGG", "RU-SAR", "RU-SAM", "RU-ORE", "RU-CHE"]
NAMES = region_table()["name_en"]


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def _all_text(fig) -> str:
    return "\n".join(_texts(fig))


def _legend_titles(fig) -> list[str]:
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend()] + list(fig.legends)
    return [lg.get_title().get_text() for lg in legends]


def _names_shown(fig, ids) -> bool:
    text = _all_text(fig)
    return all(str(NAMES[r]).split(" (")[0] in text for r in ids)


def test_rank_interval_figure_names_config_units_and_regions():
    rows, unc = [], []
    for level in ["transport_communication", "joint_projects", "social_services", "overall"]:
        for i, r in enumerate(IDS):
            rows.append({"region_id": r, "level": level, "rank": i + 1})
            unc.append(
                {
                    "region_id": r,
                    "level": level,
                    "rank_median": i + 1.5,
                    "rank_p05": max(1, i),
                    "rank_p95": min(6, i + 2),
                }
            )
    config = SimpleNamespace(normalisation="zscore", weighting="pca", aggregation="geometric")
    fig = rank_interval_figure(
        pd.DataFrame(rows), pd.DataFrame(unc), NAMES, 2021, 500, config=config
    )
    title = fig.get_suptitle()
    assert "2021" in title and "zscore" in title and "pca" in title and "geometric" in title
    for ax in fig.axes:
        assert ax.get_title() and ax.get_ylabel()
        assert ax.get_xlabel() == "rank among the 6 regions (1 = most ready)"
    assert all(_legend_titles(fig)) and _legend_titles(fig)
    assert _names_shown(fig, IDS)
    # Ranks are whole numbers on the axis, never "8.000".
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks == [str(i) for i in range(1, 7)]


def test_consensus_figure_names_method_k_year_and_regions():
    labels = pd.Series([0, 0, 1, 1, 2, 2], index=IDS)
    same = (labels.to_numpy()[:, None] == labels.to_numpy()[None, :]).astype(float)
    cdf = pd.DataFrame({"k": [2, 2, 3, 3], "x": [0, 1, 0, 1], "cdf": [0.5, 1, 0.6, 1]})
    consensus = SimpleNamespace(
        matrix=lambda k: pd.DataFrame(same, index=IDS, columns=IDS), cdf=cdf, pac={2: 0.3, 3: 0.1}
    )
    fig = consensus_figure(consensus, 3, labels, NAMES, method="ward", year=2020)
    title = fig.get_suptitle()
    assert "ward" in title and "k = 3" in title and "2020" in title
    heat, cdf_ax, bar = fig.axes
    assert heat.get_xlabel() and heat.get_ylabel() and bar.get_ylabel()
    assert "share of region pairs" in cdf_ax.get_ylabel() and cdf_ax.get_xlabel()
    assert _legend_titles(fig) == ["clusters (PAC)"]
    assert _names_shown(fig, IDS)
    # Two lines per boundary between the three clusters.
    assert len(heat.lines) == 4


def test_embedding_figure_axes_legends_and_typology():
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(6, 4)) * [3, 2, 1, 0.5], index=IDS)
    coords = PCA(n_components=2, svd_solver="full").fit(X)
    frame = pd.DataFrame(coords.transform(X), index=IDS, columns=["x", "y"])
    emb = SimpleNamespace(coordinates=frame, method="pca", notes=("a note",))
    expert = pd.Series(["Southern", "Southern", "Volga", "Volga", "Ural", "Ural"], index=IDS)
    fig = embedding_figure(
        emb,
        pd.Series([0, 0, 1, 1, 1, 0], index=IDS),
        expert,
        NAMES,
        title="kmeans, k = 2, data year 2021",
        cluster_title="data cluster (kmeans, k = 2)",
        expert_title="Federal districts",
        matrix=X,
    )
    assert "kmeans, k = 2, data year 2021" in fig.get_suptitle()
    # Reference: scikit-learn's own explained variance ratio, not the figure's arithmetic.
    share = [f"{v * 100:.0f} %" for v in coords.explained_variance_ratio_]
    for ax in fig.axes:
        assert ax.get_xlabel() == f"PC1 ({share[0]} of variance)"
        assert ax.get_ylabel() == f"PC2 ({share[1]} of variance)"
    assert _legend_titles(fig) == ["data cluster (kmeans, k = 2)", "Federal districts"]
    legend_items = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend_items == ["cluster 0", "cluster 1"]
    assert "Federal districts" in fig.axes[1].get_title()
    assert _names_shown(fig, IDS)


def test_umap_axes_are_named():
    frame = pd.DataFrame({"x": [0.0, 1, 2], "y": [1.0, 0, 2]}, index=IDS[:3])
    emb = SimpleNamespace(coordinates=frame, method="umap", notes=())
    fig = embedding_figure(emb, pd.Series([0, 1, 1], index=IDS[:3]), names=NAMES)
    assert (fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()) == ("UMAP 1", "UMAP 2")


def test_level_shap_figure_has_units_and_names_a_region():
    rows = [
        {"region_id": r, "target": "transport", "feature": f, "shap_value": v, "feature_value": v}
        for f, scale in (("roads", 3.0), ("rail", 1.0))
        for r, v in zip(IDS, np.linspace(-0.5, 1, len(IDS)) * scale, strict=True)
    ]
    fig = shap_summary_figure(
        pd.DataFrame(rows), "transport", "SHAP of transport, 2021", names=NAMES
    )
    bar_ax, dot_ax = fig.axes[:2]
    assert fig.get_suptitle() == "SHAP of transport, 2021"
    assert "points of the level score" in bar_ax.get_xlabel()
    assert "points of the level score" in dot_ax.get_xlabel()
    assert bar_ax.get_ylabel() == "indicator"
    assert fig.axes[2].get_ylabel()  # the colour bar says what the colour is
    # The region moving each indicator most (|SHAP| largest: the last one) is named.
    assert str(NAMES[IDS[-1]]) in _texts(fig)


# A hand-built case: two indicators with known affine normalisations, one of them
# decreasing (direction -1), and a tree of depth 2 that splits on both.
RAW = pd.DataFrame(
    {
        "roads": [10.0, 20, 40, 50, 45, 15],
        "waiting_days": [100.0, 80, 40, 20, 90, 30],
        "idle": [3.0, 1, 2, 3, 1, 2],
    },
    index=IDS,
)


def _norm(feature, values):
    values = np.asarray(values, dtype=float)
    if feature == "roads":
        return values / 100.0  # min-max against a reference from 0 to 100
    if feature == "waiting_days":
        return (120.0 - values) / 100.0  # fewer days is more ready
    return values / 10.0


NORM = pd.DataFrame({c: _norm(c, RAW[c]) for c in RAW}, index=IDS)
UNITS = {"roads": "km per 1000 km2", "waiting_days": "days"}


def _tree():
    from sklearn.tree import DecisionTreeClassifier

    # Cluster 1: roads >= 40. Cluster 2 among the rest: waiting under 60 days (RU-CHE).
    y = np.array([0, 0, 1, 1, 1, 2])
    return DecisionTreeClassifier(max_depth=2, random_state=0).fit(NORM, y)


def test_raw_thresholds_are_the_hand_worked_inverse():
    tree = _tree()
    splits = raw_splits(tree, NORM, RAW, _norm, UNITS)
    by_feature = {s.feature: s for s in splits.values()}
    assert set(by_feature) == {"roads", "waiting_days"}
    roads, wait = by_feature["roads"], by_feature["waiting_days"]
    # roads: regions at 0.20 and 0.40 normalised -> split 0.30 -> 30 km per 1000 km2.
    assert roads.threshold == pytest.approx(0.30)
    # The tree keeps its thresholds in float32: the inverse is exact of the stored value.
    assert roads.raw_threshold == pytest.approx(roads.threshold * 100, abs=1e-9)
    assert roads.raw_threshold == pytest.approx(30.0, abs=1e-5)
    assert roads.increasing
    # waiting_days among RU-AST, RU-VGG, RU-CHE: normalised 0.2, 0.4, 0.9 -> split 0.65,
    # i.e. 120 - 65 = 55 days; the tree's "<= 0.65" is "waiting >= 55 days".
    assert wait.threshold == pytest.approx(0.65)
    assert wait.raw_threshold == pytest.approx(120 - wait.threshold * 100, abs=1e-9)
    assert wait.raw_threshold == pytest.approx(55.0, abs=1e-5)
    assert not wait.increasing
    assert wait.condition(True) == "waiting_days >= 55 days"
    assert wait.condition(False) == "waiting_days < 55 days"
    assert roads.condition(False) == "roads > 30 km per 1000 km2"

    text = raw_rules_text(tree, splits, ["cluster 0", "cluster 1", "cluster 2"], NORM, NAMES)
    lines = text.splitlines()
    assert "roads <= 30 km per 1000 km2" in lines and "roads > 30 km per 1000 km2" in lines
    leaf = {ln.split(": ")[0].strip(): ln.split(": ")[1] for ln in lines if "->" in ln}
    assert set(leaf["-> cluster 2"].split(", ")) == {str(NAMES["RU-CHE"])}
    assert set(leaf["-> cluster 1"].split(", ")) == {str(NAMES[r]) for r in IDS[2:5]}
    # Every region sits in exactly one leaf, and the raw rules put it there.
    for r in IDS:
        w, rd = RAW.at[r, "waiting_days"], RAW.at[r, "roads"]
        expected = 1 if rd > 30 else (0 if w >= 55 else 2)
        assert str(NAMES[r]) in leaf[f"-> cluster {expected}"]


def test_surrogate_figure_states_zeros_null_and_raw_rules():
    from border_readiness.clustering.explain import surrogate_explanation

    labels = pd.Series([0, 0, 1, 1, 1, 2], index=IDS)
    sur = surrogate_explanation(NORM, labels, max_depth=2)
    model = SimpleNamespace(
        feature_names_in_=np.array(list(RAW.columns)),
        unit_=1.0,
        normalise=lambda frame: pd.DataFrame({c: _norm(c, frame[c]) for c in frame.columns}),
    )
    report = SimpleNamespace(normalised=NORM, model=model)
    _, rules = surrogate_raw_rules(sur, report, RAW, UNITS, NAMES)
    null = {"null_median": 0.5, "p_value": 0.04, "B_used": 24}
    fig = surrogate_shap_figure(
        sur.shap_values,
        "cluster 1",
        sur.fidelity_loo,
        rules=rules,
        null=null,
        method="kmeans",
        k=3,
        year=2021,
        names=NAMES,
    )
    text = _all_text(fig)
    used = {t.get_text() for t in fig.axes[0].get_yticklabels()}
    assert "idle" not in used
    zero = 3 - len(used)
    assert f"{zero} of 3 indicators have SHAP 0 for every region" in text
    assert "median of 0.50 on 24 structureless replicates" in text and "p = 0.04" in text
    assert "kmeans" in fig.get_suptitle() and "k = 3" in fig.get_suptitle()
    assert "2021" in fig.get_suptitle()
    # A threshold in raw units, with the unit: 30 km, not the normalised 0.3.
    assert re.search(r"roads <= 30 km per 1000 km2", text)
    assert "0.3 " not in text
    assert all(ax.get_xlabel() for ax in fig.axes[:2])
    assert _names_shown(fig, IDS)


def test_raw_rules_through_the_fitted_readiness_model():
    from border_readiness.clustering.explain import surrogate_explanation
    from border_readiness.features.composite import ReadinessModel

    reference = pd.concat(
        [
            RAW,
            pd.DataFrame(
                {"roads": [0.0, 100], "waiting_days": [0.0, 200], "idle": [0.0, 9]},
                index=["RU-OMS", "RU-KGN"],
            ),
        ]
    )
    model = ReadinessModel(
        normalisation="minmax",
        treat_outliers=False,
        directions={"roads": 1, "waiting_days": -1, "idle": 1},
    ).set_output(transform="pandas")
    model.fit(reference)
    report = SimpleNamespace(normalised=model.normalise(RAW), model=model)
    X = report.normalised / model.unit_
    sur = surrogate_explanation(X, pd.Series([0, 0, 1, 1, 1, 2], index=IDS), max_depth=2)
    splits, text = surrogate_raw_rules(sur, report, reference, UNITS, NAMES)
    by_feature = {s.feature: s for s in splits.values()}
    # Min-max against the reference, by hand: roads spans 0-100, waiting_days 0-200 reversed.
    roads, wait = by_feature["roads"], by_feature["waiting_days"]
    assert roads.raw_threshold == pytest.approx(0 + roads.threshold * 100, abs=1e-6)
    assert wait.raw_threshold == pytest.approx(200 - wait.threshold * 200, abs=1e-6)
    assert roads.increasing and not wait.increasing
    assert "roads <= 30 km per 1000 km2" in text


def test_disagreement_figure_names_region_and_typology():
    from border_readiness.clustering.explain import disagreement_drivers
    from border_readiness.experiments._plots_explain import disagreement_figure

    X = pd.DataFrame({"roads": [0.0, 1, 9, 10, 8], "clinics": [5.0, 4, 5, 4, 6]}, index=IDS[:5])
    expert = pd.Series(["low", "low", "high", "high", "low"], index=X.index)
    data = pd.Series(["low", "low", "high", "high", "high"], index=X.index)
    fig = disagreement_figure(
        disagreement_drivers(X, data, expert), IDS[4], names=NAMES, typology="Compass points"
    )
    ax = fig.axes[0]
    assert ax.get_title() == (
        f"{NAMES[IDS[4]]} ({IDS[4]}): data says high, expert (Compass points) says low"
    )
    assert ax.get_xlabel() and ax.get_ylabel() == "indicator"
