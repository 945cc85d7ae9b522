"""Indicator catalogue and compiler: formulas by hand, catalogue errors, recorded imputation."""

import math

import pandas as pd
import pytest

from border_readiness.features.catalogue import CatalogueError, load_catalogue, parse_formula
from border_readiness.features.indicators import compile_indicators, national_reference
from border_readiness.features.regions import BORDER_REGIONS, border_facts

REGIONS = ["RU-OMS", "RU-NVS", "RU-TOM"]


def _long(rows):
    return pd.DataFrame(rows, columns=["region_id", "year", "indicator", "value", "note"]).assign(
        unit="u", source_file="f", source_table="t"
    )


def _catalogue(tmp_path, entries: str):
    path = tmp_path / "cat.toml"
    path.write_text(entries, encoding="utf-8")
    return path


def _entry(id_, formula, level="transport_communication", direction=1, weight=1.0):
    return (
        f'[[indicator]]\nid = "{id_}"\nlevel = "{level}"\nformula = "{formula}"\n'
        f'unit = "u"\ndirection = {direction}\nweight = {weight}\nrationale = "r"\n'
    )


ALL_LEVELS = "".join(
    _entry(f"x_{lev}", "x", level=lev)
    for lev in ("transport_communication", "joint_projects", "social_services")
)


def _data():
    rows = []
    for rid, base in zip(REGIONS, (100.0, 200.0, 400.0), strict=True):
        for year in range(2015, 2022):
            rows.append((rid, year, "x", base * (1.1 ** (year - 2015)), ""))
            rows.append((rid, year, "population_avg", 2.0, ""))
    for year in range(2015, 2022):
        rows.append(("RU", year, "x", 1000.0, ""))
        rows.append(("RU", year, "population_avg", 100.0, ""))
    return _long(rows)


def test_formulas_hand_worked(tmp_path):
    entries = ALL_LEVELS + "".join(
        [
            _entry("pc", "per_capita(x)"),
            _entry("g5", "growth(x, 5)"),
            _entry("c5", "cagr(x, 5)"),
            _entry("m2", "mean(x, 2)"),
            _entry("nat", "national(x)"),
            _entry("sh", "share(x, x + x)"),
            _entry("neg", "-x + 1"),
        ]
    )
    cat = load_catalogue(_catalogue(tmp_path, entries))
    c = compile_indicators(_data(), year=2021, regions=REGIONS, catalogue=cat)
    omsk = c.raw.loc["RU-OMS"]
    x2021 = 100 * 1.1**6
    assert omsk["pc"] == pytest.approx(x2021 / 2.0)
    assert omsk["g5"] == pytest.approx(100 * (1.1**5 - 1))  # 61.051 %
    assert omsk["c5"] == pytest.approx(10.0)  # 10 % a year by construction
    assert omsk["m2"] == pytest.approx((100 * 1.1**6 + 100 * 1.1**5) / 2)
    assert omsk["nat"] == pytest.approx(100 * x2021 / 1000.0)
    assert omsk["sh"] == pytest.approx(50.0)
    assert omsk["neg"] == pytest.approx(1 - x2021)
    assert c.imputations.empty and c.refused.empty


def test_static_and_per_border_km():
    facts = border_facts()
    data = _long([("RU-OMS", 2021, "population_avg", 1800.0, ""), ("RU-OMS", 2021, "x", 5.0, "")])
    from border_readiness.features.catalogue import Indicator

    cat = [
        Indicator("b", "context", "static(border_kz_km)", "km", 1, 0.0, "r"),
        Indicator("p", "context", "per_border_km(population_avg)", "u", 1, 0.0, "r"),
        Indicator("a", "context", "per_area(x)", "u", 1, 0.0, "r"),
    ]
    for lev in ("transport_communication", "joint_projects", "social_services"):
        cat.append(Indicator(f"x_{lev}", lev, "x", "u", 1, 1.0, "r"))
    c = compile_indicators(data, year=2021, regions=["RU-OMS"], catalogue=cat)
    assert c.raw.at["RU-OMS", "b"] == facts.at["RU-OMS", "border_kz_km"]
    assert c.raw.at["RU-OMS", "p"] == pytest.approx(1800.0 / facts.at["RU-OMS", "border_kz_km"])
    assert c.raw.at["RU-OMS", "a"] == pytest.approx(5.0 / facts.at["RU-OMS", "area_km2"] * 1000)


def test_kz_gap_is_difference_to_mean_of_neighbours():
    # Omsk borders Pavlodar (KZ-55) and North Kazakhstan (KZ-59).
    data = _long(
        [
            ("RU-OMS", 2021, "u", 6.0, ""),
            ("KZ-55", 2021, "k", 4.0, ""),
            ("KZ-59", 2021, "k", 5.0, ""),
            ("KZ-63", 2021, "k", 100.0, ""),
        ]
    )
    from border_readiness.features.catalogue import Indicator

    cat = [Indicator("gap", "context", "kz_gap(u, k)", "pp", 1, 0.0, "r")]
    cat += [
        Indicator(f"x_{lev}", lev, "u", "u", 1, 1.0, "r")
        for lev in ("transport_communication", "joint_projects", "social_services")
    ]
    c = compile_indicators(data, year=2021, regions=["RU-OMS"], catalogue=cat)
    assert c.raw.at["RU-OMS", "gap"] == pytest.approx(6.0 - 4.5)


def test_structural_zero_carry_forward_and_refusal_are_recorded(tmp_path):
    rows = [
        ("RU-OMS", 2021, "x", math.nan, "no such phenomenon (published as -)"),
        ("RU-NVS", 2021, "x", math.nan, "not available (published as …)"),
        ("RU-NVS", 2020, "x", 7.0, ""),
        ("RU-TOM", 2021, "x", math.nan, "empty cell"),
    ]
    cat = load_catalogue(_catalogue(tmp_path, ALL_LEVELS))
    # The status column marks the structural zero (the note's wording alone does not).
    data = _long(rows).assign(status=["zero", "not_published", "value", "not_published"])
    c = compile_indicators(data, year=2021, regions=REGIONS, catalogue=cat, max_imputed_share=1.0)
    log = c.imputations.set_index(["region_id", "indicator"])
    # A structural zero is logged against the raw series it replaces.
    assert log.loc[("RU-OMS", "x"), "method"].startswith("structural zero")
    assert c.matrix.at["RU-OMS", "x_transport_communication"] == 0.0
    assert c.matrix.at["RU-NVS", "x_joint_projects"] == 7.0
    nvs = c.imputations.query("region_id == 'RU-NVS'")
    assert len(nvs) == 3 and (nvs["method"] == "carried forward from 2020").all()
    # Tomsk has nothing, not even two years back: with the threshold lifted it takes the
    # median of the Siberian subjects that have a value (Omsk's structural zero).
    tom = c.imputations.query("region_id == 'RU-TOM'")
    assert (tom["method"] == "median of RU-FD-SIB subjects").all() and len(tom) == 3
    assert c.refused.empty
    # With the default threshold (25 % of scored features) Novosibirsk, whose three features
    # were all carried forward, is refused too; the structural zero does not count.
    strict = compile_indicators(data, year=2021, regions=REGIONS, catalogue=cat)
    assert sorted(strict.refused["region_id"]) == ["RU-NVS", "RU-TOM"]
    assert "RU-OMS" in strict.matrix.index


def test_catalogue_errors_name_the_entry(tmp_path):
    data_series = {"x", "population_avg"}
    cases = {
        _entry("bad", "per_capita(x")
        + ALL_LEVELS: "indicator 'bad': formula 'per_capita(x': syntax",
        _entry("bad", "exp(x)")
        + ALL_LEVELS: "indicator 'bad': formula 'exp(x)': unknown function 'exp'",
        _entry("bad", "nosuch")
        + ALL_LEVELS: "indicator 'bad': formula reads unknown series nosuch",
        _entry("bad", "cagr(x, y)") + ALL_LEVELS: "window of cagr() must be an integer",
        ALL_LEVELS + '[[indicator]]\nid = "bad"\nlevel = "joint_projects"\nformula = "x"\n'
        'unit = "u"\nweight = 1\nrationale = "r"\n': "indicator 'bad': missing 'direction'",
        _entry("bad", "x", direction=2) + ALL_LEVELS: "direction must be 1 or -1",
        _entry("bad", "x", level="roads") + ALL_LEVELS: "level 'roads' is not one of",
        ALL_LEVELS + ALL_LEVELS: "duplicate id",
        _entry("x_t", "x"): "level 'joint_projects' has no indicator",
    }
    for text, fragment in cases.items():
        with pytest.raises(CatalogueError, match=None) as err:
            load_catalogue(_catalogue(tmp_path, text), known_series=data_series)
        assert fragment in str(err.value), (fragment, str(err.value))
        assert "cat.toml" in str(err.value)


def test_formula_parser_rejects_code():
    for formula in ("__import__('os')", "x.y", "x[0]", "lambda: 1", "x ** 2"):
        with pytest.raises(CatalogueError):
            parse_formula(formula)


def test_shipped_catalogue_has_six_per_level_with_dynamics():
    cat = load_catalogue()
    for level in ("transport_communication", "joint_projects", "social_services"):
        entries = [i for i in cat if i.level == level]
        assert len(entries) >= 6
        assert any(i.window > 0 for i in entries), level  # dynamics
        assert any(i.window == 0 for i in entries), level  # static levels
    assert any("kz_gap" in i.formula for i in cat)  # asymmetry against Kazakh neighbours
    assert all(i.rationale for i in cat)


def test_bundled_compile_2021_border_regions_complete():
    from border_readiness.features.dataset import load_dataset

    data = load_dataset()
    c = compile_indicators(data, year=2021)
    # Crimea and Sevastopol are not in the 2013 polygon layer: no distances to Kazakhstan and
    # no border length, 8 of the 25 scored features, over the 25 % a fit may impute.
    assert set(c.refused["region_id"]) == {"RU-CR", "RU-SEV"} and len(c.matrix) == 83
    missing = set(c.refused.set_index("region_id").at["RU-CR", "missing_features"].split("|"))
    assert {"kz_nearest_centre_km", "kz_astana_km", "border_length"} <= missing
    border = c.imputations[c.imputations.region_id.isin(BORDER_REGIONS)]
    # The only imputation among the border regions: the Altai Republic has no railways.
    assert set(border["region_id"]) == {"RU-AL"}
    assert border["method"].str.startswith("structural zero").all()
    # Published figure: Omsk average population 2021 is in the dataset; per-capita features
    # divide by it.
    ref = national_reference(data, year=2021)
    assert ref["grp_per_capita_vs_russia"] == pytest.approx(100.0)
    assert ref["income_vs_russia"] == pytest.approx(100.0)
