"""Indicator drift and agreement over time.

Hand-worked cases whose answers are derived in the comments.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from border_readiness.clustering.drift import (
    hodges_lehmann,
    indicator_drift,
    matched_pairs_rank_biserial,
    typology_agreement_over_time,
)
from border_readiness.experiments.retrain import promotion_decision


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
        typology_agreement_over_time([*rows, rows[0]])
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
