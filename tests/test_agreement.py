"""Agreement with expert typologies: hand-worked partitions, permutation and bootstrap checks."""

from __future__ import annotations

import doctest
import importlib
import json
import math
import pkgutil

import joblib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from sklearn.metrics import adjusted_rand_score

import border_readiness.clustering.agreement as agreement_module
from border_readiness.clustering.agreement import (
    METRICS,
    AgreementAssertionError,
    AgreementReport,
    agreement,
    assert_agreement,
    expert_ceiling,
    vectorised_ari,
)

# Twelve border regions, three expert zones of four (the shape of the study's data).
REGIONS = [
    "RU-AST", "RU-VGG", "RU-SAR", "RU-SAM",  # Western
    "RU-ORE", "RU-CHE", "RU-KGN", "RU-TYU",  # Central
    "RU-OMS", "RU-NVS", "RU-ALT", "RU-AL",   # Eastern
]  # fmt: skip
EXPERT = pd.Series(["Western"] * 4 + ["Central"] * 4 + ["Eastern"] * 4, index=REGIONS)
# The same partition under renamed labels: Western -> 7, Central -> 3, Eastern -> 5.
RENAMED = pd.Series([7] * 4 + [3] * 4 + [5] * 4, index=REGIONS)
FAST = {"n_permutations": 999, "n_bootstrap": 200}


def planted(*swaps: tuple[str, int]) -> pd.Series:
    clusters = RENAMED.copy()
    for region, label in swaps:
        clusters[region] = label
    return clusters


# --------------------------------------------------------------------------------------------
# vectorised ARI: hand-worked values and equality with scikit-learn
# --------------------------------------------------------------------------------------------


def test_vectorised_ari_hand_worked_values():
    # ARI = (sum C(n_ij, 2) - E) / ((a + b) / 2 - E), E = a * b / C(n, 2), a and b the sums of
    # C(size, 2) over the true and predicted groups.
    # [0,0,1,1] vs [0,0,1,2]: sum = 1, a = 2, b = 1, C(4,2) = 6, E = 1/3 -> (2/3)/(7/6) = 4/7.
    # [0,0,0,1,1,1] vs [0,0,1,1,2,2]: cells 2,1,1,2 -> sum = 2, a = 6, b = 3, C(6,2) = 15,
    #   E = 1.2, max = 4.5 -> 0.8 / 3.3 = 8/33.
    out = vectorised_ari([0, 0, 1, 1], [[0, 0, 1, 2], ["b", "b", "a", "a"], [0, 1, 0, 1]])
    assert out.tolist() == pytest.approx([4 / 7, 1.0, -0.5])
    six = vectorised_ari([0, 0, 0, 1, 1, 1], np.array([[0, 0, 1, 1, 2, 2]]))
    assert six[0] == pytest.approx(8 / 33)
    # 12 regions, 3 types x 2 clusters, every cell 2 (independent): sum = 6, a = 3 * C(4,2) = 18,
    # b = 2 * C(6,2) = 30, E = 540/66 = 90/11, max = 24 -> (-24/11) / (174/11) = -4/29.
    cross = vectorised_ari(EXPERT.to_numpy(), np.array([[0, 0, 1, 1] * 3]))
    assert cross[0] == pytest.approx(-4 / 29)


@settings(max_examples=60, deadline=None)
@given(
    data=hs.data(),
    n=hs.integers(1, 25),
    m=hs.integers(1, 6),
    k_true=hs.integers(1, 5),
    k_pred=hs.integers(1, 8),
)
def test_vectorised_ari_equals_sklearn(data, n, m, k_true, k_pred):
    true = data.draw(hs.lists(hs.integers(0, k_true - 1), min_size=n, max_size=n))
    batch = [
        data.draw(hs.lists(hs.integers(0, k_pred - 1), min_size=n, max_size=n)) for _ in range(m)
    ]
    out = vectorised_ari(true, np.array(batch))
    expected = [adjusted_rand_score(true, row) for row in batch]
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-15)


def test_vectorised_ari_equals_sklearn_on_random_string_labels():
    rng = np.random.default_rng(3)
    true = rng.choice(["Western", "Central", "Eastern"], size=40)
    batch = rng.choice(["k1", "k2", "k3", "k4"], size=(200, 40))
    expected = [adjusted_rand_score(true, row) for row in batch]
    np.testing.assert_allclose(vectorised_ari(true, batch), expected, rtol=1e-12, atol=1e-15)


def test_vectorised_ari_rejects_bad_shapes_and_missing_labels():
    with pytest.raises(ValueError, match="shape"):
        vectorised_ari([0, 1, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="missing"):
        vectorised_ari([0, 1, 1], [[0, None, 1]])


# --------------------------------------------------------------------------------------------
# metrics on hand-worked partitions
# --------------------------------------------------------------------------------------------


def test_renamed_partition_agrees_perfectly():
    report = agreement(EXPERT, RENAMED, n_permutations=9999, n_bootstrap=500)
    assert report.ari == 1.0 and report.ami == pytest.approx(1.0)
    assert report.nmi == pytest.approx(1.0) and report.fmi == pytest.approx(1.0)
    assert report.matching == {7: "Western", 3: "Central", 5: "Eastern"}
    table = report.contingency.to_numpy()
    assert np.array_equal(table, np.diag([4, 4, 4]))
    assert list(report.contingency.index) == ["Western", "Central", "Eastern"]
    assert list(report.contingency.columns) == [7, 3, 5]
    assert report.disagreements.empty
    assert report.ari_ci == (1.0, 1.0)


def test_permutation_p_value_of_perfect_agreement_matches_exact_probability():
    # A shuffle reproduces the partition (ARI = 1) with probability 1 / (number of ways to
    # split 12 regions into 3 unlabelled groups of 4) = 1 / (12! / (4!^3 * 3!)) = 1 / 5775.
    ways = math.factorial(12) // (math.factorial(4) ** 3 * math.factorial(3))
    assert ways == 5775
    m = 9999
    report = agreement(EXPERT, RENAMED, n_permutations=m, n_bootstrap=0)
    hits = report.p_value * (m + 1) - 1  # p = (1 + b) / (m + 1)
    assert hits == pytest.approx(round(hits))
    # b ~ Binomial(9999, 1/5775), mean 1.73; P(b > 12) < 1e-6.
    assert 0 <= round(hits) <= 12
    assert 1 / (m + 1) <= report.p_value <= 0.01


def test_six_region_hand_example_through_agreement():
    # Expert A A A B B B, clusters 0 0 1 1 2 2: ARI = 8/33 (see above);
    # FMI = TP / sqrt(pairs together in expert * pairs together in clusters) = 2 / sqrt(6 * 3).
    expert = pd.Series(list("AAABBB"), index=list("uvwxyz"))
    clusters = pd.Series([0, 0, 1, 1, 2, 2], index=list("uvwxyz"))
    report = agreement(expert, clusters, n_permutations=0, n_bootstrap=0)
    assert report.ari == pytest.approx(8 / 33)
    assert report.fmi == pytest.approx(2 / math.sqrt(18))
    assert report.matching == {0: "A", 2: "B"}
    # Cluster 1 (w from A, x from B) is left without a type: both regions disagree.
    assert report.disagreements.region_id.tolist() == ["w", "x"]
    assert report.disagreements.data_type.tolist() == ["unmatched cluster 1"] * 2
    assert math.isnan(report.p_value) and report.p_values == {}


def test_independent_partitions_have_ami_near_zero_and_p_value_one():
    # Every cell of the 3 x 2 table holds 2 regions: MI = 0 exactly, ARI = -4/29, and both are
    # the smallest values the margins allow, so every shuffle ties or beats them: p = 1.
    clusters = pd.Series([0, 0, 1, 1] * 3, index=REGIONS)
    report = agreement(EXPERT, clusters, n_permutations=499, n_bootstrap=0, p_value_metrics=METRICS)
    assert report.ari == pytest.approx(-4 / 29)
    assert report.nmi == 0.0
    assert -0.2 < report.ami <= 0.0
    assert report.p_values == {m: 1.0 for m in METRICS}


def test_random_typologies_give_ari_near_zero_and_large_p_values():
    rng = np.random.default_rng(20240501)
    aris, ps = [], []
    for _ in range(20):
        clusters = pd.Series(rng.permutation(RENAMED.to_numpy()), index=REGIONS)
        report = agreement(EXPERT, clusters, n_permutations=999, n_bootstrap=0)
        aris.append(report.ari)
        ps.append(report.p_value)
    # Under the null E[ARI] = 0 (sd about 0.1 at n = 12) and p is uniform (mean 0.5).
    assert abs(np.mean(aris)) < 0.08
    assert np.mean(ps) > 0.1 and np.median(ps) > 0.1


def test_bootstrap_interval_contains_estimate_and_stays_in_range():
    report = agreement(EXPERT, planted(("RU-AST", 3), ("RU-ORE", 7)), **FAST)
    lo, hi = report.ari_ci
    assert -1 <= lo <= report.ari <= hi <= 1
    assert lo < hi  # two swaps out of 12 leave real uncertainty
    assert report.ci_level == 0.95


def _ari_distinct_pairs_brute_force(index, true, pred):
    """ARI over pairs (i < j) of a bootstrap sample whose items are different regions."""
    tp = fp = fn = tn = 0
    for i in range(len(index)):
        for j in range(i + 1, len(index)):
            if index[i] == index[j]:
                continue
            a = true[index[i]] == true[index[j]]
            b = pred[index[i]] == pred[index[j]]
            tp += a and b
            fn += a and not b
            fp += b and not a
            tn += not a and not b
    return 2 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))


def test_bootstrap_ari_leaves_out_pairs_of_copies():
    from border_readiness.clustering.agreement._kernels import _ari_codes, _sum_squared_counts

    true = np.array([0, 0, 0, 1, 1, 1, 2, 2])
    pred = np.array([0, 0, 1, 1, 1, 2, 2, 2])
    rng = np.random.default_rng(1)
    index = rng.integers(0, 8, size=(20, 8))
    copies = _sum_squared_counts(index) - 8
    fast = _ari_codes(true[index], pred[index], copies)
    slow = [_ari_distinct_pairs_brute_force(row, true, pred) for row in index]
    assert np.allclose(fast, slow)
    # Without the correction the copies' agreeing pairs inflate the ARI.
    assert (_ari_codes(true[index], pred[index]) >= fast - 1e-12).all()


def test_bootstrap_interval_is_not_pushed_above_a_null_estimate():
    # Unrelated partitions: the interval must straddle the observed ARI near 0 rather than sit
    # above it, as it would if duplicated regions counted as agreeing pairs.
    expert = pd.Series([t for t in "AAAABBBBCCCC"], index=[f"r{i}" for i in range(12)])
    clusters = pd.Series([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2], index=expert.index)
    report = agreement(expert, clusters, n_permutations=0, n_bootstrap=2000)
    lo, hi = report.ari_ci
    assert lo < report.ari - 0.1 and report.ari + 0.1 < hi


# --------------------------------------------------------------------------------------------
# alignment and disagreements
# --------------------------------------------------------------------------------------------


def test_disagreements_name_exactly_the_planted_regions():
    clusters = planted(("RU-SAR", 3), ("RU-OMS", 7))
    report = agreement(EXPERT, clusters, **FAST)
    assert report.matching == {7: "Western", 3: "Central", 5: "Eastern"}
    dis = report.disagreements.set_index("region_id")
    assert sorted(dis.index) == ["RU-OMS", "RU-SAR"]
    assert dis.loc["RU-SAR", "expert_type"] == "Western"
    assert dis.loc["RU-SAR", "data_type"] == "Central"
    assert dis.loc["RU-SAR", "reason"] == "cluster 3 is matched to 'Central'; expert says 'Western'"
    assert dis.loc["RU-OMS", "data_type"] == "Western"
    # Aligned table: diagonal 3, 4, 3; the two moved regions off the diagonal.
    assert np.array_equal(report.contingency.to_numpy(), [[3, 1, 0], [0, 4, 0], [1, 0, 3]])


def test_extra_cluster_is_reported_unmatched():
    # Four clusters for three types: cluster 9 (two Eastern regions) has no type left.
    clusters = planted(("RU-ALT", 9), ("RU-AL", 9))
    report = agreement(EXPERT, clusters, n_permutations=0, n_bootstrap=0)
    assert 9 not in report.matching
    assert list(report.contingency.columns) == [7, 3, 5, 9]
    dis = report.disagreements
    assert dis.region_id.tolist() == ["RU-ALT", "RU-AL"]
    assert set(dis.data_type) == {"unmatched cluster 9"}
    assert any("cluster(s) matched to no expert type: 9" in note for note in report.notes)


# --------------------------------------------------------------------------------------------
# several types per region
# --------------------------------------------------------------------------------------------


def test_multi_type_best_match_hand_example():
    # Single-type regions align cluster 0 <-> W and 1 <-> E.
    #   r6 (E, W) sits in cluster 0 -> W (not its first type);
    #   r7 (N, E) sits in cluster 1 -> E;
    #   r8 (N, S) sits in cluster 1, aligned to E, not one of its types; the second alignment
    #     (N and S count 1/2 each) still gives 1 <-> E, so r8 keeps its first type N.
    # Resolved: W W W E E E W E N vs 0 0 0 1 1 1 0 1 1.
    # ARI: sum C(n_ij, 2) = C(4,2) + C(4,2) = 12, a = 12, b = C(4,2) + C(5,2) = 16, C(9,2) = 36,
    #   E = 16/3, max = 14 -> (20/3) / (26/3) = 10/13.
    expert = pd.Series(
        ["W", "W", "W", "E", "E", "E", ("E", "W"), ["N", "E"], ("N", "S")],
        index=[f"r{i}" for i in range(9)],
    )
    clusters = pd.Series([0, 0, 0, 1, 1, 1, 0, 1, 1], index=expert.index)
    report = agreement(expert, clusters, n_permutations=99, n_bootstrap=0)
    multi = report.resolved_multi_type.set_index("region_id")
    assert multi.expert_type.to_dict() == {"r6": "W", "r7": "E", "r8": "N"}
    assert multi.resolution.to_dict() == {
        "r6": "matched on single-type alignment",
        "r7": "matched on single-type alignment",
        "r8": "first listed type",
    }
    assert report.ari == pytest.approx(10 / 13)
    assert report.disagreements.region_id.tolist() == ["r8"]
    assert report.disagreements.expert_type.tolist() == ["N / S"]
    assert any("r6 -> 'W'" in note for note in report.notes)


def test_multi_type_second_alignment_over_all_regions():
    # Type N has no single-type region, so the first alignment leaves cluster 2 unaligned; the
    # second one (r5, r6 count 1/2 for each type) aligns 2 <-> N and both regions take N.
    expert = pd.Series({"r1": "W", "r2": "W", "r3": "E", "r4": "E", "r5": ("E", "N"),
                        "r6": ("W", "N")})  # fmt: skip
    clusters = pd.Series({"r1": 0, "r2": 0, "r3": 1, "r4": 1, "r5": 2, "r6": 2})
    report = agreement(expert, clusters, n_permutations=0, n_bootstrap=0)
    resolved = report.resolved_multi_type.set_index("region_id")
    assert resolved.expert_type.to_dict() == {"r5": "N", "r6": "N"}
    assert set(resolved.resolution) == {"matched on alignment over all regions"}
    assert report.ari == 1.0 and report.disagreements.empty


def test_multi_type_exclude_leaves_them_out():
    expert = EXPERT.astype(object).copy()
    expert["RU-ORE"] = ("Central", "Western")
    report = agreement(expert, RENAMED, n_permutations=0, n_bootstrap=0, multi_type="exclude")
    assert report.n_regions == 11
    assert report.excluded.region_id.tolist() == ["RU-ORE"]
    assert "multi_type='exclude'" in report.excluded.reason[0]
    with pytest.raises(ValueError, match="multi_type"):
        agreement(EXPERT, RENAMED, multi_type="first")


# --------------------------------------------------------------------------------------------
# regions left out, report export, determinism
# --------------------------------------------------------------------------------------------


def test_unassigned_and_missing_regions_are_excluded_with_reasons():
    expert = EXPERT.astype(object).copy()
    expert["RU-SAM"] = np.nan
    expert["RU-TYU"] = ()
    expert["RU-XXX"] = "Western"  # not clustered
    clusters = RENAMED.astype(float).copy()
    clusters["RU-AL"] = np.nan
    clusters["KZ-ZAP"] = 1.0  # not typed by the expert
    report = agreement(expert, clusters, n_permutations=0, n_bootstrap=0)
    reasons = report.excluded.set_index("region_id").reason.to_dict()
    assert reasons == {
        "RU-SAM": "no expert type",
        "RU-TYU": "no expert type",
        "RU-AL": "no cluster label (missing value)",
        "RU-XXX": "no cluster label (absent from clusters)",
        "KZ-ZAP": "not in the expert typology",
    }
    assert report.n_regions == 9 and report.ari == 1.0
    # Float labels from a NaN-holed column come back as the integers they were.
    assert report.matching == {7: "Western", 3: "Central", 5: "Eastern"}


def test_small_n_note_and_export():
    report = agreement(EXPERT, planted(("RU-SAR", 3)), **FAST)
    assert report.notes[0] == (
        "n = 12 regions: agreement figures are fragile; read the contingency table"
    )
    d = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    for key in ("ari", "ami", "nmi", "fmi", "v_measure", "p_value", "ari_ci", "n_regions",
                "n_permutations"):  # fmt: skip
        assert key in d
    assert d["n_regions"] == 12 and d["n_permutations"] == 999 and len(d["ari_ci"]) == 2
    assert d["disagreements"][0]["region_id"] == "RU-SAR"
    frame = report.to_frame()
    assert frame.metric.tolist() == list(METRICS)
    assert frame.loc[0, "value"] == report.ari and frame.loc[0, "p_value"] == report.p_value


def test_same_seed_same_report_whatever_the_batches_and_backend():
    clusters = planted(("RU-SAR", 3), ("RU-NVS", 7))
    kw = {"n_permutations": 2500, "n_bootstrap": 1200, "p_value_metrics": METRICS}
    first = agreement(EXPERT, clusters, random_state=11, **kw)
    again = agreement(EXPERT, clusters, random_state=11, **kw)
    small_batches = agreement(EXPERT, clusters, random_state=11, batch_size=7, **kw)
    with joblib.parallel_config(backend="threading", n_jobs=3):
        threaded = agreement(EXPERT, clusters, random_state=11, batch_size=400, **kw)
    for other in (again, small_batches, threaded):
        assert other.to_dict() == first.to_dict()
        pd.testing.assert_frame_equal(other.to_frame(), first.to_frame())
        pd.testing.assert_frame_equal(other.contingency, first.contingency)
    other_seed = agreement(EXPERT, clusters, random_state=12, **kw)
    assert other_seed.ari_ci != first.ari_ci


def test_input_errors():
    with pytest.raises(ValueError, match="more than once"):
        agreement(pd.Series(["A", "B"], index=["r", "r"]), pd.Series([0, 1], index=["r", "s"]))
    with pytest.raises(TypeError, match="one label per region"):
        agreement(EXPERT, RENAMED.astype(object).map(lambda c: (c, c)))
    with pytest.raises(ValueError, match="at least 2 regions"):
        agreement(pd.Series({"r": "A"}), pd.Series({"r": 0}))
    with pytest.raises(ValueError, match="n_permutations"):
        agreement(EXPERT, RENAMED, n_permutations=-1)
    with pytest.raises(ValueError, match="p_value_metrics"):
        agreement(EXPERT, RENAMED, p_value_metrics=("rand",))


# --------------------------------------------------------------------------------------------
# expert ceiling and assertions
# --------------------------------------------------------------------------------------------


def test_expert_ceiling_pairs():
    other = EXPERT.astype(object).copy()
    other["RU-ORE"] = "Western"
    other["RU-KGN"] = ("Central", "Eastern")  # cannot stand in for one cluster label
    table = expert_ceiling({"roy2022": EXPERT, "zoning2023": other}, **FAST)
    assert table.shape[0] == 1
    row = table.iloc[0]
    assert (row.typology_a, row.typology_b) == ("roy2022", "zoning2023")
    assert row.n_regions == 11 and row.n_excluded == 1
    assert 0 < row.ari < 1 and 0 <= row.p_value <= 1
    same = expert_ceiling({"a": EXPERT, "b": EXPERT}, n_permutations=99, n_bootstrap=0)
    assert same.ari[0] == 1.0 and same.ami[0] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="at least two"):
        expert_ceiling({"a": EXPERT})


def test_assert_agreement_raises_above_and_passes_below():
    clusters = planted(("RU-SAR", 3), ("RU-OMS", 7))
    report = agreement(EXPERT, clusters, **FAST)
    assert assert_agreement(report, min_ari=report.ari - 0.01) is report
    with pytest.raises(AgreementAssertionError) as err:
        assert_agreement(report, min_ari=report.ari + 0.01)
    message = str(err.value)
    assert "\n" not in message
    assert f"ARI = {report.ari:.3g} < min_ari" in message and "n = 12 regions" in message
    assert isinstance(err.value, AssertionError)
    # From raw inputs, with a p-value criterion.
    passed = assert_agreement(EXPERT, RENAMED, max_p=0.01, **FAST)
    assert isinstance(passed, AgreementReport)
    shuffled = pd.Series([0, 0, 1, 1] * 3, index=REGIONS)
    with pytest.raises(AgreementAssertionError, match=r"p = 1 > max_p = 0.05"):
        assert_agreement(EXPERT, shuffled, max_p=0.05, **FAST)
    with pytest.raises(ValueError, match="min_ari and/or max_p"):
        assert_agreement(report)
    with pytest.raises(ValueError, match="cannot be reached"):
        assert_agreement(report, max_p=1e-5)


def test_doctests_pass():
    # pytest's testpaths do not include clustering/, so run the examples here, in every module
    # of the package (testmod finds only the objects defined in the module it is given).
    prefix = agreement_module.__name__ + "."
    modules = [agreement_module] + [
        importlib.import_module(info.name)
        for info in pkgutil.iter_modules(agreement_module.__path__, prefix)
    ]
    results = [doctest.testmod(m, optionflags=doctest.NORMALIZE_WHITESPACE) for m in modules]
    assert sum(r.failed for r in results) == 0 and sum(r.attempted for r in results) > 10


def test_sum_squared_counts_by_table_equals_by_sorting_and_by_hand():
    from border_readiness.clustering.agreement._kernels import (
        _sum_squared_counts,
        _sum_squared_counts_sorted,
    )

    # By hand: [0, 0, 1] has counts 2 and 1 -> 4 + 1; [3, 3, 3] -> 9; [0, 1, 2] -> 3.
    hand = np.array([[0, 0, 1], [3, 3, 3], [0, 1, 2]])
    assert _sum_squared_counts(hand).tolist() == [5, 9, 3]
    assert _sum_squared_counts_sorted(hand).tolist() == [5, 9, 3]
    rng = np.random.default_rng(0)
    for width in (2, 7, 60, 5000):  # table path for the small widths, sorting for the last
        codes = rng.integers(0, width, size=(9, 300))
        by_table = _sum_squared_counts(codes)
        assert by_table.tolist() == _sum_squared_counts_sorted(codes).tolist()
        expected = [int((np.bincount(row) ** 2).sum()) for row in codes]
        assert by_table.tolist() == expected
