"""Rank changes against their uncertainty.

Hand-worked cases whose answers are derived in the comments.
"""

from __future__ import annotations

import pandas as pd
import pytest

from border_readiness.clustering.rank_changes import rank_changes


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
