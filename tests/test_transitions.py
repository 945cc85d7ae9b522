"""Cluster transitions between two fits.

Hand-worked cases whose answers are derived in the comments.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from border_readiness.clustering.transitions import cluster_transitions


def _partition(groups: dict) -> pd.Series:
    """{label: [regions]} -> Series region -> label."""
    return pd.Series({r: label for label, regions in groups.items() for r in regions})


def _event(report, old_cluster):
    rows = report.events[report.events["old_cluster"] == old_cluster]
    assert len(rows) == 1
    return rows.iloc[0]


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
    new = _partition({0: [*big, "RU-CHE"], 1: SIBERIA})
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
    new = _partition({"Y": x[:3] + p[:2] + q[:2], "Z": [x[3], *p[2:]], "W": q[2:]})
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
    new = _partition({f"N{i}": [*g, scattered[i]] for i, g in enumerate(rest)})
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
