"""The promotion decision: hand-worked cases whose answers are derived in the comments."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from border_readiness.clustering.drift import typology_agreement_over_time
from border_readiness.clustering.transitions import cluster_transitions
from border_readiness.experiments.retrain import DEFAULT_POLICY, promotion_decision


def _partition(groups: dict) -> pd.Series:
    """{label: [regions]} -> Series region -> label."""
    return pd.Series({r: label for label, regions in groups.items() for r in regions})


# The partitions of tests/test_transitions.py.
WEST = ["RU-AST", "RU-VGG", "RU-SAR", "RU-SAM"]
URALS = ["RU-ORE", "RU-CHE", "RU-KGN", "RU-TYU"]
SIBERIA = ["RU-OMS", "RU-NVS", "RU-ALT", "RU-AL"]


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
