"""Selection-aware agreement: the multi-type resolution is redone inside every replicate.

The references are independent of the package's batched kernels: plain Python loops that
permute (or resample) the labels, apply the documented resolution rule through the public
``agreement`` (with no replicates) to each permuted labelling, and score it with
scikit-learn. The permutation and bootstrap draws are rebuilt from the documented streams
(two children of ``SeedSequence(random_state)``, blocks of 1000 replicates, argsort of
uniforms for a shuffle, ``floor(u * n)`` for a draw), so the comparison is exact.
"""

from __future__ import annotations

import math

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score, mutual_info_score, pair_confusion_matrix

from border_readiness.clustering.agreement import agreement
from border_readiness.features._parallel import seed_blocks

# SYNTHETIC (test-only): 9 regions, three of them with two expert types, three clusters.
SYN_EXPERT = pd.Series(
    {
        "R1": "A",
        "R2": ("A", "B"),
        "R3": "A",
        "R4": "B",
        "R5": ("B", "C"),
        "R6": "B",
        "R7": "C",
        "R8": ("C", "A"),
        "R9": "C",
    },
    dtype=object,
)
SYN_CLUSTERS = pd.Series(
    {"R1": 0, "R2": 1, "R3": 0, "R4": 1, "R5": 2, "R6": 1, "R7": 2, "R8": 0, "R9": 0}
)


def _draws(random_state: int, which: int, m: int, n: int) -> np.ndarray:
    """The documented uniforms of replicates 0..m-1 (which: 0 permutations, 1 bootstrap)."""
    seed = np.random.SeedSequence(random_state).spawn(2)[which]
    blocks = seed_blocks(seed, m, 1000)
    rows = []
    for b, block in enumerate(blocks):
        size = min(1000, m - 1000 * b)
        rows.append(np.random.default_rng(block).random((size, n)))
    return np.concatenate(rows)


def _resolved(expert: pd.Series, clusters: pd.Series) -> tuple[list, list]:
    """(type, cluster) per evaluated region, the type chosen by the public rule."""
    a = agreement(expert, clusters, n_permutations=0, n_bootstrap=0)
    return list(a.assignments["expert_type"]), list(a.assignments["cluster"])


def _reference_p(expert, clusters, m, random_state=0, resolve=True, score=adjusted_rand_score):
    regions = [r for r in expert.index if r in clusters.index]
    labels = clusters.loc[regions].to_numpy()
    if resolve:
        types, _ = _resolved(expert.loc[regions], clusters.loc[regions])
    else:
        types = list(expert.loc[regions])
    observed = score(types, labels)
    u = _draws(random_state, 0, m, len(regions))
    b = 0
    for row in u:
        permuted = pd.Series(labels[np.argsort(row)], index=regions)
        if resolve:
            t, c = _resolved(expert.loc[regions], permuted)
        else:
            t, c = types, list(permuted)
        # A tolerance for the float sum of mutual information (equal tables tie).
        b += score(t, c) >= observed - 1e-12
    return (1 + b) / (m + 1)


def _ari_without_copy_pairs(types, labels, weights) -> float:
    # scikit-learn's pair confusion (ordered pairs); pairs of two copies of one region agree in
    # any two partitions and are left out, as the documented bootstrap does.
    (tn, fp), (fn, tp) = pair_confusion_matrix(types, labels).astype(np.int64)
    tp -= int(sum(w * (w - 1) for w in weights))
    if fn == 0 and fp == 0:
        return 1.0
    return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))


def _reference_ci(expert, clusters, m, random_state=0, resolve=True, level=0.95):
    regions = [r for r in expert.index if r in clusters.index]
    n = len(regions)
    u = _draws(random_state, 1, m, n)
    values = []
    for row in u:
        weights = np.bincount(np.minimum((row * n).astype(int), n - 1), minlength=n)
        # The resample as a typology of its own: copies keep the regions' order.
        names = [f"{r}#{j}" for r, w in zip(regions, weights, strict=True) for j in range(w)]
        source = [r for r, w in zip(regions, weights, strict=True) for _ in range(w)]
        e = pd.Series(list(expert.loc[source]), index=names, dtype=object)
        c = pd.Series(list(clusters.loc[source]), index=names)
        if resolve:
            t, lab = _resolved(e, c)
        else:
            t, lab = list(e), list(c)
        values.append(_ari_without_copy_pairs(t, lab, [w for w in weights if w]))
    lo, hi = np.quantile(values, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def test_batched_selection_aware_p_and_ci_equal_a_from_scratch_loop():
    report = agreement(
        SYN_EXPERT,
        SYN_CLUSTERS,
        n_permutations=299,
        n_bootstrap=120,
        p_value_metrics=("ari", "ami"),
    )
    assert report.selection_aware
    assert report.p_value == pytest.approx(_reference_p(SYN_EXPERT, SYN_CLUSTERS, 299), abs=1e-15)
    mi = _reference_p(SYN_EXPERT, SYN_CLUSTERS, 299, score=mutual_info_score)
    assert report.p_values["ami"] == pytest.approx(mi, abs=1e-15)
    assert report.ari_ci == pytest.approx(_reference_ci(SYN_EXPERT, SYN_CLUSTERS, 120), abs=1e-12)
    # And the naive p-value (resolution frozen at the observed choice) is a different number,
    # so the test above could tell the two apart.
    frozen = SYN_EXPERT.copy()
    frozen.loc[:] = report.assignments.set_index("region_id")["expert_type"].reindex(frozen.index)
    naive = _reference_p(frozen, SYN_CLUSTERS, 299, resolve=False)
    assert naive != report.p_value


def test_selection_aware_figures_do_not_depend_on_batches_or_workers():
    base = agreement(SYN_EXPERT, SYN_CLUSTERS, n_permutations=2500, n_bootstrap=1500)
    small = agreement(
        SYN_EXPERT, SYN_CLUSTERS, n_permutations=2500, n_bootstrap=1500, batch_size=333
    )
    with joblib.parallel_config(backend="threading"):
        workers = agreement(
            SYN_EXPERT,
            SYN_CLUSTERS,
            n_permutations=2500,
            n_bootstrap=1500,
            n_jobs=2,
            batch_size=700,
            p_value_metrics=("ari", "ami"),
        )
    assert base.p_value == small.p_value == workers.p_value
    assert base.ari_ci == small.ari_ci == workers.ari_ci


def test_every_admissible_resolution_is_listed_with_its_sklearn_ari():
    report = agreement(SYN_EXPERT, SYN_CLUSTERS, n_permutations=0, n_bootstrap=0)
    table = report.resolutions
    assert report.n_resolutions == 8 and len(table) == 8
    multi = ["R2", "R5", "R8"]
    labels = SYN_CLUSTERS.loc[SYN_EXPERT.index]
    seen = set()
    for row in table.to_dict("records"):
        choice = {r: row[r] for r in multi}
        assert all(choice[r] in SYN_EXPERT[r] for r in multi)
        types = [choice.get(r, SYN_EXPERT[r]) for r in SYN_EXPERT.index]
        assert row["ari"] == pytest.approx(adjusted_rand_score(types, labels), abs=1e-12)
        seen.add(tuple(choice.values()))
    assert len(seen) == 8  # every combination of the two types of each region, once
    chosen = table[table["chosen"]]
    assert len(chosen) == 1 and chosen["ari"].iloc[0] == pytest.approx(report.ari, abs=1e-12)
    assert report.ari_range == (table["ari"].min(), table["ari"].max())
    d = report.to_dict()
    assert d["n_resolutions"] == 8 and len(d["resolutions"]) == 8 and d["selection_aware"]
    frame = report.to_frame().set_index("metric")
    assert frame.loc["ari", "range_low"] == report.ari_range[0]
    assert any(
        "selection-aware" in n
        for n in agreement(SYN_EXPERT, SYN_CLUSTERS, n_permutations=9, n_bootstrap=0).notes
    )


def test_many_resolutions_are_capped_and_the_chosen_one_kept(monkeypatch):
    from border_readiness.clustering.agreement import _selection

    monkeypatch.setattr(_selection, "MAX_RESOLUTIONS", 3)
    report = agreement(SYN_EXPERT, SYN_CLUSTERS, n_permutations=0, n_bootstrap=0)
    assert report.n_resolutions == 8
    assert 3 <= len(report.resolutions) <= 4 and report.resolutions["chosen"].sum() == 1


def test_without_multi_type_regions_p_and_ci_are_the_plain_ones():
    # SYNTHETIC: one type per region; nothing is chosen with the clusters, so the plain
    # permutation and bootstrap (fixed typology) must come out, value for value.
    expert = SYN_EXPERT.map(lambda t: t[0] if isinstance(t, tuple) else t)
    report = agreement(expert, SYN_CLUSTERS, n_permutations=499, n_bootstrap=300)
    assert not report.selection_aware and report.n_resolutions == 1
    assert report.ari_range == (report.ari, report.ari)
    assert report.p_value == pytest.approx(
        _reference_p(expert, SYN_CLUSTERS, 499, resolve=False), abs=1e-15
    )
    assert report.ari_ci == pytest.approx(
        _reference_ci(expert, SYN_CLUSTERS, 300, resolve=False), abs=1e-12
    )
    assert not any("selection-aware" in n for n in report.notes)


# --------------------------------------------------------------------------------------------
# The 2021 default data (real): the audit figures


@pytest.fixture(scope="module")
def default_clusters_2021() -> pd.Series:
    # The default k-means clusters (k = 2) of the 2021 data under the catalogue the issue-10
    # audit used, i.e. before issue 14's revision changed the indicators (and k). Fixed here
    # because the audit's figures below belong to this partition, not to today's catalogue.
    labels = {
        "RU-AST": 0, "RU-VGG": 1, "RU-SAR": 1, "RU-SAM": 1, "RU-ORE": 0, "RU-CHE": 1,
        "RU-KGN": 0, "RU-TYU": 1, "RU-OMS": 0, "RU-NVS": 1, "RU-ALT": 0, "RU-AL": 0,
    }  # fmt: skip
    return pd.Series(labels, name="cluster").rename_axis("region_id")


def test_sokolov_rudneva_2021_p_value_is_the_audits_selection_aware_one(default_clusters_2021):
    from border_readiness.clustering.typologies import typology

    expert = typology("sokolov_rudneva_border_stability").as_series(multi="tuple")
    m = 1999
    report = agreement(expert, default_clusters_2021, n_permutations=m, n_bootstrap=500)
    # The audit (issue 10): p = 0.446 with the rule redone in every permutation.
    assert abs(report.p_value - 0.446) < 4 * math.sqrt(0.446 * 0.554 / m)
    # The 8 resolutions of the three two-type regions give ARI -0.113..0.165; the max is used.
    assert report.n_resolutions == 8
    assert sorted(report.resolutions.columns[1:-2]) == ["RU-AST", "RU-ORE", "RU-VGG"]
    assert tuple(round(v, 3) for v in report.ari_range) == (-0.113, 0.165)
    assert round(report.ari, 3) == 0.165
    # Freezing the observed resolution gives back the audit's anti-conservative 0.286.
    frozen = expert.copy()
    chosen = report.assignments.set_index("region_id")["expert_type"]
    frozen.loc[chosen.index] = chosen
    naive = agreement(frozen, default_clusters_2021, n_permutations=m, n_bootstrap=0)
    assert abs(naive.p_value - 0.286) < 4 * math.sqrt(0.286 * 0.714 / m)
    # The interval includes the selection too: it differs from the frozen one.
    frozen_ci = agreement(frozen, default_clusters_2021, n_permutations=0, n_bootstrap=500).ari_ci
    assert report.ari_ci != frozen_ci


def test_federal_districts_2021_p_value_unchanged(default_clusters_2021):
    from border_readiness.clustering.typologies import typology

    expert = typology("federal_districts").as_series(multi="tuple")
    report = agreement(expert, default_clusters_2021, n_permutations=999, n_bootstrap=200)
    assert not report.selection_aware
    assert report.p_value == pytest.approx(
        _reference_p(expert, default_clusters_2021, 999, resolve=False), abs=1e-15
    )
    assert report.ari_ci == pytest.approx(
        _reference_ci(expert, default_clusters_2021, 200, resolve=False), abs=1e-12
    )
