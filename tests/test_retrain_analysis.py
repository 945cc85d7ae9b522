"""Retrain comparison analytics: hand-worked cases whose answers are derived in the comments."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from border_readiness.experiments.retrain_analysis import (
    DEFAULT_POLICY,
    cluster_transitions,
    hodges_lehmann,
    indicator_drift,
    matched_pairs_rank_biserial,
    promotion_decision,
    rank_changes,
    typology_agreement_over_time,
)


def _partition(groups: dict) -> pd.Series:
    """{label: [regions]} -> Series region -> label."""
    return pd.Series({r: label for label, regions in groups.items() for r in regions})


def _event(report, old_cluster):
    rows = report.events[report.events["old_cluster"] == old_cluster]
    assert len(rows) == 1
    return rows.iloc[0]


# --------------------------------------------------------------------------------------------
# cluster transitions
# --------------------------------------------------------------------------------------------

WEST = ["RU-AST", "RU-VGG", "RU-SAR", "RU-SAM"]
URALS = ["RU-ORE", "RU-CHE", "RU-KGN", "RU-TYU"]
SIBERIA = ["RU-OMS", "RU-NVS", "RU-ALT", "RU-AL"]


def test_identical_partitions_all_survive_with_ari_one_and_no_moves():
    old = _partition({0: WEST, 1: URALS, 2: SIBERIA})
    # Labels of the two models are unrelated: the same grouping under other names.
    new = _partition({"c": WEST, "a": URALS, "b": SIBERIA})
    report = cluster_transitions(old, new)

    assert list(report.events["transition"]) == ["survived"] * 3
    assert list(report.events["jaccard"]) == [1.0, 1.0, 1.0]
    assert [tuple(x) for x in report.events["new_clusters"]] == [("c",), ("a",), ("b",)]
    assert set(report.new_clusters["origin"]) == {"survivor"}
    assert report.ari == 1.0
    assert not report.region_moves["moved"].any()
    assert report.moved_regions == ()
    assert report.n_regions == 12
    assert np.array_equal(np.sort(report.contingency.to_numpy().ravel()), [0] * 6 + [4] * 3)


def test_cluster_of_four_split_two_and_two():
    old = _partition({0: WEST, 1: URALS, 2: SIBERIA})
    new = _partition({"w": WEST, "u1": URALS[:2], "u2": URALS[2:], "s": SIBERIA})
    report = cluster_transitions(old, new)

    urals = _event(report, 1)
    assert urals["transition"] == "split"
    assert set(urals["new_clusters"]) == {"u1", "u2"}
    # Both halves are Urals regions only, so together they hold the whole old cluster.
    assert urals["overlap"] == 1.0 and urals["jaccard"] == 1.0
    assert _event(report, 0)["transition"] == "survived"
    assert _event(report, 2)["transition"] == "survived"
    origin = report.new_clusters.set_index("new_cluster")["origin"]
    assert origin["u1"] == origin["u2"] == "split"
    assert "emerged" not in set(report.events["transition"])
    assert set(report.moved_regions) == set(URALS)
    # Pairs within: 1 + 1 + 6 + 6 = 14; old pairs 3 * 6 = 18; new pairs 1 + 1 + 6 + 6 = 14;
    # expected 18 * 14 / 66 = 42/11; ARI = (14 - 42/11) / (16 - 42/11) = 112/134 = 56/67.
    assert report.ari == pytest.approx(56 / 67)


def test_two_clusters_of_three_merge_both_absorbed_and_merged_cluster_not_emerged():
    a, b = ["RU-AST", "RU-VGG", "RU-SAR"], ["RU-SAM", "RU-ORE", "RU-CHE"]
    c, d = ["RU-KGN", "RU-TYU", "RU-OMS"], ["RU-NVS", "RU-ALT", "RU-AL"]
    old = _partition({"A": a, "B": b, "C": c, "D": d})
    new = _partition({1: a + b, 2: c, 3: d})
    report = cluster_transitions(old, new)

    for label in ("A", "B"):
        event = _event(report, label)
        assert event["transition"] == "absorbed"
        assert tuple(event["new_clusters"]) == (1,)
        # All 3 regions go to the merged cluster of 6: overlap 3/3, Jaccard 3/6.
        assert event["overlap"] == 1.0
        assert event["jaccard"] == 0.5
    assert _event(report, "C")["transition"] == "survived"
    merged = report.new_clusters.set_index("new_cluster").loc[1]
    assert merged["origin"] == "merged"
    assert set(merged["from_old"]) == {"A", "B"}
    assert "emerged" not in set(report.events["transition"])
    # Neither half survives into the merged cluster, so its six regions all changed type.
    assert set(report.moved_regions) == set(a + b)


def test_large_cluster_survives_when_it_takes_in_a_single_region():
    big = WEST + URALS[:1]
    old = _partition({"big": big, "lone": ["RU-CHE"], "east": SIBERIA})
    new = _partition({0: big + ["RU-CHE"], 1: SIBERIA})
    report = cluster_transitions(old, new)
    # big: best match both ways, share 5/5, Jaccard 5/6 -> survived; lone goes wholly into
    # the same cluster -> absorbed.
    assert _event(report, "big")["transition"] == "survived"
    assert _event(report, "big")["jaccard"] == pytest.approx(5 / 6)
    assert _event(report, "lone")["transition"] == "absorbed"
    assert report.new_clusters.set_index("new_cluster").loc[0, "origin"] == "survivor"
    assert report.moved_regions == ("RU-CHE",)


def test_swamped_core_is_not_a_survivor():
    x, p, q = (
        ["x1", "x2", "x3", "x4"],
        ["p1", "p2", "p3", "p4", "p5"],
        ["q1", "q2", "q3", "q4", "q5"],
    )
    old = _partition({"X": x, "P": p, "Q": q})
    new = _partition({"Y": x[:3] + p[:2] + q[:2], "Z": [x[3]] + p[2:], "W": q[2:]})
    report = cluster_transitions(old, new)
    # X -> Y: best match both ways (3 > 2, 2) and share 3/4, but Jaccard 3/|4 ∪ 7| = 3/8 < 0.5:
    # Y is mostly newcomers. Y holds only 2/5 of P and of Q, so no absorption; parts Y (3/4)
    # and Z (1/4) each reach split_share 0.25: a split.
    x_event = _event(report, "X")
    assert x_event["transition"] == "split"
    assert tuple(x_event["new_clusters"]) == ("Y", "Z")
    # P -> Z: share 3/5, Jaccard 3/(5 + 4 - 3) = 1/2 -> survived; Q -> W: 3/5, 3/5 -> survived.
    assert _event(report, "P")["transition"] == "survived"
    assert _event(report, "P")["jaccard"] == 0.5
    assert _event(report, "Q")["transition"] == "survived"


def test_new_cluster_from_one_region_of_each_of_three_old_clusters_emerged():
    old = _partition({"W": WEST, "U": URALS, "S": SIBERIA})
    picked = [WEST[3], URALS[3], SIBERIA[3]]
    new = _partition({"W": WEST[:3], "U": URALS[:3], "S": SIBERIA[:3], "N": picked})
    report = cluster_transitions(old, new)

    for label in ("W", "U", "S"):
        event = _event(report, label)
        # 3 of 4 stay together: share 3/4, Jaccard 3/|4 ∪ 3| = 3/4.
        assert event["transition"] == "survived"
        assert event["overlap"] == 0.75 and event["jaccard"] == 0.75
    emerged = report.events[report.events["transition"] == "emerged"]
    assert len(emerged) == 1
    assert tuple(emerged.iloc[0]["new_clusters"]) == ("N",)
    assert emerged.iloc[0]["old_cluster"] is None
    assert set(emerged.iloc[0]["regions"]) == set(picked)
    assert set(report.new_clusters.set_index("new_cluster").loc["N", "from_old"]) == {
        "W",
        "U",
        "S",
    }
    assert set(report.moved_regions) == set(picked)


def test_scattered_cluster_splits_or_disappears_depending_on_split_share():
    # Old cluster X (4 regions) sends one region to each of four new clusters.
    rest = [WEST[:2], URALS[:2], SIBERIA[:2], ["KZ-1", "KZ-2"]]
    scattered = [WEST[2], URALS[2], SIBERIA[2], "KZ-3"]
    old = _partition({"X": scattered, **{f"K{i}": g for i, g in enumerate(rest)}})
    new = _partition({f"N{i}": g + [scattered[i]] for i, g in enumerate(rest)})
    # Each part holds 1/4 = 0.25 of X: a split at the default split_share 0.25 ...
    assert _event(cluster_transitions(old, new), "X")["transition"] == "split"
    # ... and no part qualifies at 0.3, so X disappeared.
    report = cluster_transitions(old, new, split_share=0.3)
    event = _event(report, "X")
    assert event["transition"] == "disappeared"
    assert set(event["new_clusters"]) == {"N0", "N1", "N2", "N3"}
    assert event["overlap"] == 0.25


def test_regions_in_one_model_only_are_reported_not_compared():
    old = _partition({0: ["RU-OMS", "RU-NVS", "RU-ALT"], 1: ["RU-ORE", "RU-CHE"]})
    new = _partition({0: ["RU-OMS", "RU-NVS", "RU-AL"], 1: ["RU-ORE", "RU-CHE"]})
    report = cluster_transitions(old, new)
    assert report.only_old == ("RU-ALT",) and report.only_new == ("RU-AL",)
    assert report.n_regions == 4
    assert int(report.contingency.to_numpy().sum()) == 4
    moves = report.region_moves.set_index("region_id")
    assert moves.loc["RU-ALT", "presence"] == "old only"
    assert moves.loc["RU-AL", "presence"] == "new only"
    assert moves.loc["RU-ALT", "moved"] is pd.NA
    assert moves.loc["RU-AL", "old_cluster"] is None
    # Integer labels stay integers next to the None of a region missing from one side.
    assert moves.loc["RU-OMS", "new_cluster"] == 0 and isinstance(
        moves.loc["RU-OMS", "new_cluster"], int
    )
    assert any("RU-ALT" in note for note in report.notes)


def test_transition_report_exports_json():
    old = _partition({0: WEST, 1: URALS})
    new = _partition({"a": WEST + URALS})
    d = cluster_transitions(old, new).to_dict()
    text = json.dumps(d, allow_nan=False)
    assert json.loads(text)["contingency"] == {
        "old_clusters": [0, 1],
        "new_clusters": ["a"],
        "counts": [[4], [4]],
    }
    assert [e["transition"] for e in d["events"]] == ["absorbed", "absorbed"]
    assert d["ari"] == 0.0
    assert len(cluster_transitions(old, new).to_frame()) == 2


def test_cluster_transitions_rejects_bad_input():
    old = _partition({0: WEST})
    with pytest.raises(ValueError, match="split_share"):
        cluster_transitions(old, old, split_share=0.6)
    with pytest.raises(ValueError, match="survive"):
        cluster_transitions(old, old, survive=0)
    with pytest.raises(ValueError, match="share no region"):
        cluster_transitions(old, _partition({0: URALS}))
    with pytest.raises(ValueError, match="RU-SAR"):
        cluster_transitions(old, old.where(old.index != "RU-SAR"))


# --------------------------------------------------------------------------------------------
# rank changes
# --------------------------------------------------------------------------------------------


def _scores(ranks: dict, level: str = "overall") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region_id": list(ranks),
            "level": level,
            "score": [100.0 - 10 * r for r in ranks.values()],
            "rank": list(ranks.values()),
        }
    )


def _uncertainty(intervals: dict, level: str = "overall") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region_id": list(intervals),
            "level": level,
            "rank_p05": [lo for lo, _ in intervals.values()],
            "rank_median": [(lo + hi) / 2 for lo, hi in intervals.values()],
            "rank_p95": [hi for _, hi in intervals.values()],
        }
    )


def test_rank_changes_hand_example_one_beyond_one_within():
    old_s = _scores({"RU-OMS": 1, "RU-ORE": 3, "RU-AST": 2, "RU-SAR": 4})
    new_s = _scores({"RU-OMS": 4, "RU-ORE": 2, "RU-AST": 3, "RU-SAR": 1})
    old_u = _uncertainty({"RU-OMS": (1, 2), "RU-ORE": (2, 5), "RU-AST": (2, 2), "RU-SAR": (1, 4)})
    new_u = _uncertainty({"RU-OMS": (3, 5), "RU-ORE": (1, 4), "RU-AST": (1, 4), "RU-SAR": (1, 3)})
    out = rank_changes(old_s, new_s, old_u, new_u).set_index("region_id")

    # OMS: new rank 4 is outside the old 1–2 and old rank 1 outside the new 3–5: beyond.
    oms = out.loc["RU-OMS"]
    assert bool(oms["beyond_uncertainty"])
    assert not oms["intervals_overlap"]
    assert oms["rank_change"] == 3
    assert oms["score_change"] == pytest.approx(-30.0)
    assert (oms["old_interval"], oms["new_interval"]) == ("1–2", "3–5")
    # ORE: new rank 2 lies inside the old 2–5: within.
    assert not out.loc["RU-ORE", "beyond_uncertainty"]
    assert out.loc["RU-ORE", "intervals_overlap"]
    # AST: new rank 3 is outside the old 2–2, but old rank 2 is inside the new 1–4: only one
    # direction, so not beyond.
    assert not out.loc["RU-AST", "beyond_uncertainty"]
    # SAR moved from 4 to 1, both inside the other model's interval.
    assert not out.loc["RU-SAR", "beyond_uncertainty"]
    assert out.loc["RU-SAR", "rank_change"] == -3
    assert list(out.index) == ["RU-SAR", "RU-ORE", "RU-AST", "RU-OMS"]  # by new rank


def test_rank_changes_missing_rows_give_na_and_a_note():
    old_s = pd.concat([_scores({"A": 1, "B": 2}), _scores({"A": 1}, "social_services")])
    new_s = pd.concat([_scores({"A": 2, "C": 1}), _scores({"A": 1}, "social_services")])
    old_u = _uncertainty({"A": (1, 1), "B": (1, 2)})
    new_u = _uncertainty({"A": (2, 2), "C": (1, 1)})
    out = rank_changes(old_s, new_s, old_u, new_u)
    # The level order of the study puts social_services before overall.
    assert list(out["level"]) == ["social_services", "overall", "overall", "overall"]
    by = out.set_index(["level", "region_id"])
    assert by.loc[("social_services", "A"), "beyond_uncertainty"] is pd.NA
    assert by.loc[("social_services", "A"), "note"] == "no old or new rank interval"
    assert by.loc[("overall", "B"), "note"] == "only in the old scores"
    assert by.loc[("overall", "C"), "note"] == "only in the new scores"
    assert by.loc[("overall", "A"), "beyond_uncertainty"]  # 2 outside 1–1, 1 outside 2–2


def test_rank_changes_rejects_missing_columns_and_duplicates():
    s, u = _scores({"A": 1}), _uncertainty({"A": (1, 1)})
    with pytest.raises(ValueError, match="rank_p95"):
        rank_changes(s, s, u, u.drop(columns="rank_p95"))
    with pytest.raises(ValueError, match="more than one row"):
        rank_changes(pd.concat([s, s]), s, u, u)


# --------------------------------------------------------------------------------------------
# indicator drift
# --------------------------------------------------------------------------------------------


def test_rank_biserial_hand_examples():
    # |d| = 1, 2, 3, 0.5 -> ranks 2, 3, 4 (positive) and 1 (negative): (9 - 1) / 10.
    assert matched_pairs_rank_biserial([1, 2, 3, -0.5]) == pytest.approx(0.8)
    # Zero differences are dropped before ranking, as in Wilcoxon.
    assert matched_pairs_rank_biserial([0, 1, 2, 3, -0.5, 0]) == pytest.approx(0.8)
    # Tied |d| share ranks: 1, -1, 2 -> 1.5, 1.5, 3: (4.5 - 1.5) / 6.
    assert matched_pairs_rank_biserial([1, -1, 2]) == pytest.approx(0.5)
    assert matched_pairs_rank_biserial([-1, -2]) == -1.0


def test_hodges_lehmann_hand_examples():
    # Walsh averages of 1, 2, 4: 1, 1.5, 2.5, 2, 3, 4 -> median (2 + 2.5) / 2.
    assert hodges_lehmann([1, 2, 4]) == pytest.approx(2.25)
    # 1, 2, 3, -0.5 and the six pair means 1.5, 2, 0.25, 2.5, 0.75, 1.25:
    # sorted -0.5 .25 .75 1 1.25 | 1.5 2 2 2.5 3 -> (1.25 + 1.5) / 2.
    assert hodges_lehmann([1, 2, 3, -0.5]) == pytest.approx(1.375)
    assert math.isnan(hodges_lehmann([]))


IDS = ["RU-AST", "RU-VGG", "RU-SAR", "RU-SAM", "RU-ORE", "RU-CHE"]


def test_drift_all_differences_zero_is_negligible():
    old = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}, index=IDS)
    row = indicator_drift(old, old.copy()).iloc[0]
    assert row["rank_biserial"] == 0.0
    assert row["effect"] == "negligible"
    assert row["hodges_lehmann"] == 0.0
    assert row["wilcoxon_p"] == 1.0
    assert row["n_nonzero"] == 0
    assert "all differences are zero" in row["note"]


def test_drift_effect_labels_shift_and_exact_p():
    old = pd.DataFrame(
        {
            "up": [1.0, 2, 3, 4, 5, 6],
            "mixed": [0.0, 0, 0, 0, 0, 0],
            "medium": [10.0, 10, 10, 10, 10, 10],
            "flat_mad": [0.0, 0, 0, 0, 5, 5],
        },
        index=IDS,
    )
    new = pd.DataFrame(
        {
            # Every region +1: r = 1 (large). Old MAD of 1..6: median 3.5, |x - 3.5| =
            # 2.5 1.5 .5 .5 1.5 2.5 -> MAD 1.5, shift = median d / (1.4826 * 1.5).
            "up": [2.0, 3, 4, 5, 6, 7],
            # d = 1, -2, -3, 4, 5, -6: R+ = 10, R- = 11, r = -1/21 -> negligible.
            "mixed": [1.0, -2, -3, 4, 5, -6],
            # d = 1, 2, 3, 4, -5, 0: zero dropped, R+ = 10, R- = 5, r = 5/15 -> medium.
            "medium": [11.0, 12, 13, 14, 5, 10],
            # Old MAD is 0 (median 0, four zeros); IQR of 0 0 0 0 5 5 (linear) = 3.75 - 0.
            "flat_mad": [1.0, 1, 1, 1, 6, 6],
        },
        index=IDS,
    )
    out = indicator_drift(old, new).set_index("feature")
    assert out.loc["up", "rank_biserial"] == 1.0 and out.loc["up", "effect"] == "large"
    assert out.loc["up", "robust_shift"] == pytest.approx(1 / (1.4826 * 1.5))
    assert out.loc["up", "spread_kind"] == "MAD"
    assert out.loc["mixed", "rank_biserial"] == pytest.approx(-1 / 21)
    assert out.loc["mixed", "effect"] == "negligible"
    assert out.loc["medium", "rank_biserial"] == pytest.approx(1 / 3)
    assert out.loc["medium", "effect"] == "medium"
    assert out.loc["medium", "n_nonzero"] == 5
    assert out.loc["flat_mad", "spread_kind"] == "IQR"
    assert out.loc["flat_mad", "robust_shift"] == pytest.approx(1 / (3.75 / 1.349))


def test_drift_exact_wilcoxon_p_value():
    # d = 1..5, all positive and untied: W- = 0 has probability 1/32, two-sided p = 2/32.
    old = pd.DataFrame({"x": [0.0] * 5}, index=IDS[:5])
    new = pd.DataFrame({"x": [1.0, 2, 3, 4, 5]}, index=IDS[:5])
    row = indicator_drift(old, new).iloc[0]
    assert row["wilcoxon_p"] == pytest.approx(0.0625)
    assert row["wilcoxon_method"] == "exact"
    assert "cannot fall below" in row["note"]
    assert row["hodges_lehmann"] == 3.0


def test_drift_reports_features_and_regions_in_one_matrix_only():
    old = pd.DataFrame({"a": [1.0, 2, 3], "only_old": [1.0, 1, 1]}, index=IDS[:3])
    new = pd.DataFrame({"a": [2.0, 3, 4], "only_new": [1.0, 1, 1]}, index=IDS[1:4])
    out = indicator_drift(old, new).set_index("feature")
    assert list(out.index) == ["a", "only_old", "only_new"]
    assert out.loc["only_old", "note"] == "only in the old matrix"
    assert out.loc["only_new", "note"] == "only in the new matrix"
    assert math.isnan(out.loc["only_old", "rank_biserial"])
    # Paired on the two shared regions (VGG 2 -> 2, SAR 3 -> 3): no change.
    assert out.loc["a", "n_pairs"] == 2
    assert out.loc["a", "median_difference"] == 0.0
    assert "RU-AST" in out.loc["a", "note"] and "RU-SAM" in out.loc["a", "note"]


# --------------------------------------------------------------------------------------------
# agreement over time
# --------------------------------------------------------------------------------------------


def test_typology_agreement_over_time_sorted_with_changes():
    rows = [
        {"year": 2023, "typology": "sokolov", "ari": 0.2, "p_value": 0.3},
        {"year": 2021, "typology": "federal", "ari": 0.5},
        {"year": 2021, "typology": "sokolov", "ari": 0.6},
        {"year": 2022, "typology": "federal", "ari": 0.75},
    ]
    out = typology_agreement_over_time(rows)
    assert list(zip(out["typology"], out["year"], strict=True)) == [
        ("federal", 2021),
        ("federal", 2022),
        ("sokolov", 2021),
        ("sokolov", 2023),
    ]
    change = out["change_vs_previous"].tolist()
    assert math.isnan(change[0]) and math.isnan(change[2])
    assert change[1] == pytest.approx(0.25) and change[3] == pytest.approx(-0.4)
    assert out["previous_year"].tolist()[3] == 2021
    assert math.isnan(out["ari_ci_low"].iloc[0])
    with pytest.raises(ValueError, match="more than one row"):
        typology_agreement_over_time(rows + [rows[0]])
    # Its own output can be fed back in (promotion_decision does so) with the same result.
    again = typology_agreement_over_time(out.to_dict("records"))
    pd.testing.assert_frame_equal(again, out)
    decision = promotion_decision(
        new_year=2022,
        old_year=2021,
        transitions=None,
        drift=None,
        ranks=None,
        new_stability_min_jaccard=0.8,
        new_agreement=out,
    )
    assert any("federal" in r for r in decision.reasons + decision.notes)


# --------------------------------------------------------------------------------------------
# promotion decision
# --------------------------------------------------------------------------------------------


def _decide(**kwargs):
    args = dict(transitions=None, drift=None, ranks=None, new_stability_min_jaccard=0.8)
    args.update(kwargs)
    return promotion_decision(**args)


def _all_text(decision) -> str:
    return " ".join([*decision.reasons, *decision.notes, decision.summary]).lower()


def test_later_year_and_stable_promotes():
    old = _partition({0: WEST, 1: URALS})
    transitions = cluster_transitions(old, old)
    decision = _decide(new_year=2023, old_year=2022, transitions=transitions)
    assert decision.action == "promote" and decision.promote
    assert decision.checks == {"later_year": True, "not_dissolved": True}
    assert any("2023" in r and "2022" in r for r in decision.reasons)
    assert decision.policy == dict(DEFAULT_POLICY)
    assert any("0 of 8 regions moved" in n for n in decision.notes)


@pytest.mark.parametrize("new_year", [2022, 2021])
def test_same_or_earlier_year_keeps_and_names_the_years(new_year):
    decision = _decide(new_year=new_year, old_year=2022)
    assert decision.action == "keep"
    assert decision.checks["later_year"] is False
    assert len(decision.reasons) == 1
    assert str(new_year) in decision.reasons[0] and "2022" in decision.reasons[0]


def test_same_year_allowed_by_policy_but_earlier_year_never():
    assert _decide(new_year=2022, old_year=2022, policy={"allow_same_year": True}).promote
    assert not _decide(new_year=2021, old_year=2022, policy={"allow_same_year": True}).promote


@pytest.mark.parametrize("jaccard", [0.5, 0.3, float("nan")])
def test_dissolved_clustering_keeps(jaccard):
    decision = _decide(new_year=2023, old_year=2022, new_stability_min_jaccard=jaccard)
    assert decision.action == "keep"
    assert decision.checks == {"later_year": True, "not_dissolved": False}
    assert len(decision.reasons) == 1
    assert "dissolved" in decision.reasons[0] or "undetermined" in decision.reasons[0]
    # A looser policy accepts a cluster at 0.5.
    if jaccard == 0.5:
        assert _decide(
            new_year=2023,
            old_year=2022,
            new_stability_min_jaccard=jaccard,
            policy={"min_stability_jaccard": 0.4},
        ).promote


def test_agreement_collapse_and_stability_drop_keep():
    agreement = [
        {"year": 2022, "typology": "federal", "ari": 0.9},
        {"year": 2023, "typology": "federal", "ari": 0.3},  # drop 0.6 > 0.5
        {"year": 2022, "typology": "sokolov", "ari": 0.5},
        {"year": 2023, "typology": "sokolov", "ari": 0.2},  # drop 0.3 <= 0.5
    ]
    decision = _decide(new_year=2023, old_year=2022, new_agreement=agreement)
    assert decision.action == "keep"
    assert decision.checks["agreement:federal"] is False
    assert decision.checks["agreement:sokolov"] is True
    assert len(decision.reasons) == 1 and "federal" in decision.reasons[0]

    # Stability 0.9 -> 0.6 is a drop of 0.3 > 0.25; 0.9 -> 0.7 is within.
    assert not _decide(
        new_year=2023, old_year=2022, new_stability_min_jaccard=0.6, old_stability_min_jaccard=0.9
    ).promote
    assert _decide(
        new_year=2023, old_year=2022, new_stability_min_jaccard=0.7, old_stability_min_jaccard=0.9
    ).promote


def test_optional_limits_and_first_model():
    old = _partition({0: WEST, 1: URALS})
    new = _partition({0: WEST[:2] + URALS[:2], 1: WEST[2:] + URALS[2:]})
    transitions = cluster_transitions(old, new)
    assert _decide(new_year=2023, old_year=2022, transitions=transitions).promote
    decision = _decide(
        new_year=2023, old_year=2022, transitions=transitions, policy={"max_moved_share": 0.5}
    )
    assert decision.checks["moved_share"] is False and not decision.promote
    assert _decide(new_year=2023, old_year=None).promote
    with pytest.raises(ValueError, match="unknown policy key"):
        _decide(new_year=2023, old_year=2022, policy={"min_jacard": 0.5})


def test_decision_never_speaks_of_overwriting_or_deleting():
    decisions = [
        _decide(new_year=2023, old_year=2022),
        _decide(new_year=2021, old_year=2022),
        _decide(new_year=2023, old_year=2022, new_stability_min_jaccard=0.2),
    ]
    for decision in decisions:
        text = _all_text(decision)
        assert "overwrit" not in text and "delet" not in text
        assert "alias" in text
        json.dumps(decision.to_dict(), allow_nan=False)


def test_a_same_year_refit_keeps_both_fits_apart_in_the_agreement_table():
    # Found by running the README's retrain example after a first run of the same year: two
    # rows for (typology, 2021) crashed the table. A `fit` key tells the two fits apart.
    rows = [
        {"year": 2021, "fit": "registered", "typology": "fd", "ari": 0.30},
        {"year": 2021, "fit": "new", "typology": "fd", "ari": 0.10},
    ]
    out = typology_agreement_over_time(rows)
    assert out["fit"].tolist() == ["registered", "new"]
    assert out["change_vs_previous"].iloc[1] == pytest.approx(-0.20)
    with pytest.raises(ValueError, match="more than one row"):
        typology_agreement_over_time([rows[0], rows[0]])
