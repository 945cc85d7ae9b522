"""Issue 14: which side of the border each indicator reads, the levels in words, the weights.

The side is derived from the formula (features/catalogue.py, ``border_side``); the hand cases
below state it from the meaning of each series, not from the code.
"""

from __future__ import annotations

import pytest

from border_readiness.features.catalogue import (
    SCORED_LEVELS,
    CatalogueError,
    border_side,
    load_catalogue,
    load_level_notes,
    parse_formula,
)


@pytest.mark.parametrize(
    ("formula", "side"),
    [
        ("per_capita(road_freight)", "russian"),  # Rosstat series only
        ("static(area_km2)", "russian"),  # the region's own area
        ("static(border_kz_km)", "both"),  # the shared line
        ("static(kz_astana_km)", "both"),  # Russian capital to Kazakh capital
        ("kz_potential(kz_grp)", "kazakh"),  # Kazakh masses only
        ("kz_near(cagr(kz_grp_per_capita, 5))", "kazakh"),
        ("unemployment_rate_lfs - kz_near(kz_unemployment_rate)", "both"),
        ("per_border_km(population_avg)", "both"),  # Russian people per km of shared border
    ],
)
def test_the_side_of_the_border_follows_the_series_read(formula, side):
    assert border_side(parse_formula(formula)) == side


def test_every_level_scores_at_least_two_indicators_that_read_kazakhstan():
    # Issue 14, "done when": every level scores with cross-border indicators that carry weight.
    for level in SCORED_LEVELS:
        cross = [
            i.id
            for i in load_catalogue()
            if i.level == level and i.weight > 0 and i.side != "russian"
        ]
        assert len(cross) >= 2, (level, cross)


def test_a_weight_other_than_equal_says_why():
    # Weights differ from 1 only where the rationale gives the reason (issue 14, item 2).
    for ind in load_catalogue():
        if ind.level != "context" and ind.weight != 1.0:
            assert "weight" in ind.rationale.lower(), ind.id


def test_no_living_standard_indicator_is_scored():
    # The revision moved general living standards to context (issue 14's reading of the old
    # social level: "more hospital beds = more ready").
    scored = {i.formula for i in load_catalogue() if i.weight > 0}
    for series in ("hospital_beds_per_10000", "poverty_rate", "life_expectancy"):
        assert not any(series in f for f in scored), series


def test_the_shipped_levels_are_described_with_what_is_not_published():
    notes = load_level_notes()
    assert list(notes) == list(SCORED_LEVELS)
    # The three gaps the study would need that no open source publishes (issue 14, item 5).
    assert "Trade with Kazakhstan by Russian region" in notes["joint_projects"].not_published
    assert "throughput" in notes["transport_communication"].not_published
    assert "agreements" in notes["joint_projects"].not_published


def _catalogue(tmp_path, levels: str):
    """A minimal valid catalogue (one indicator per level) followed by ``levels``."""
    text = "".join(
        f'[[indicator]]\nid = "{level}_cars"\nlevel = "{level}"\nformula = "cars_per_1000"\n'
        'unit = "u"\ndirection = 1\nrationale = "r"\n'
        for level in SCORED_LEVELS
    )
    path = tmp_path / "cat.toml"
    path.write_text(text + levels, encoding="utf-8")
    return path


def test_a_catalogue_without_levels_has_no_notes(tmp_path):
    assert load_level_notes(_catalogue(tmp_path, "")) == {}


@pytest.mark.parametrize(
    ("levels", "message"),
    [
        ('[levels.roads]\nmeaning = "m"\nnot_published = "n"\n', r"\[levels.roads\]: not one of"),
        (
            '[levels.joint_projects]\nmeaning = "m"\n',
            "exactly the fields meaning and not_published",
        ),
        ('[levels.joint_projects]\nmeaning = " "\nnot_published = "n"\n', "non-empty text"),
    ],
)
def test_a_bad_levels_table_is_refused_naming_the_file(tmp_path, levels, message):
    with pytest.raises(CatalogueError, match=message) as err:
        load_catalogue(_catalogue(tmp_path, levels))
    assert str(err.value).startswith("cat.toml, [levels.")
