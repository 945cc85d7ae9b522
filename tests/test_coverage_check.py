"""Say what is missing before the work: per indicator, the series, regions and years lacking."""

from __future__ import annotations

import pandas as pd
import pytest

from border_readiness.experiments.cli import main
from border_readiness.experiments.steps import PreparationError, prepare
from border_readiness.features.catalogue import Indicator, parse_formula
from border_readiness.features.coverage_check import check_coverage, formula_reads
from border_readiness.features.dataset import load_dataset, validate_long, write_dataset_csv
from border_readiness.features.regions import BORDER_REGIONS

pytestmark = pytest.mark.xdist_group("test_coverage_check")


def test_formula_reads_hand_worked():
    # cagr(mean(x, 2), 3) at year t reads mean(x, 2) at t and t-3, i.e. x at t, t-1, t-3, t-4.
    assert formula_reads(parse_formula("cagr(mean(x, 2), 3)")) == {
        ("x", 0, "region"), ("x", 1, "region"), ("x", 3, "region"), ("x", 4, "region"),
    }  # fmt: skip
    assert formula_reads(parse_formula("national(per_capita(y))")) == {
        ("y", 0, "region"), ("population_avg", 0, "region"),
        ("y", 0, "national"), ("population_avg", 0, "national"),
    }  # fmt: skip
    assert formula_reads(parse_formula("kz_gap(u, k) + static(area_km2)")) == {
        ("u", 0, "region"), ("k", 0, "kz"),
    }  # fmt: skip


def test_gaps_list_series_regions_years_and_a_structural_zero_is_not_missing():
    # Synthetic table (test only): x in 2021 and 2019 for three Siberian regions.
    rows = [
        ("RU-OMS", 2021, "x", "4"), ("RU-OMS", 2019, "x", "2"),
        ("RU-NVS", 2021, "x", "6"), ("RU-NVS", 2019, "x", ""),  # not published
        ("RU-TOM", 2021, "x", "-"), ("RU-TOM", 2019, "x", "-"),  # structural zeros
    ]  # fmt: skip
    data = validate_long(pd.DataFrame(rows, columns=["region_id", "year", "indicator", "value"]))
    cat = [
        Indicator("x_growth", "transport_communication", "growth(x, 2)", "%", 1, 1.0, "r"),
        Indicator("z_level", "social_services", "z", "u", 1, 1.0, "r"),
    ]
    check = check_coverage(data, year=2021, regions=["RU-OMS", "RU-NVS", "RU-TOM"], catalogue=cat)
    assert not check.ok
    assert check.absent.to_dict("records") == [
        {"series": "z", "indicators": "z_level", "close_matches": ""}
    ]
    assert check.gaps.to_dict("records") == [
        {"indicator": "x_growth", "series": "x", "year": 2019, "regions": "RU-NVS", "n_regions": 1}
    ]
    lines = check.lines()
    assert lines[0].startswith("series 'z': absent from the file; read by z_level")
    assert lines[1] == "x_growth: 1 cell(s) missing, x 2019: RU-NVS"


def _border_2022(tmp_path):
    """The issue's audit case: the bundled rows of the 12 border regions for 2022 only."""
    d = load_dataset()
    path = tmp_path / "border_2022.csv"
    write_dataset_csv(d[d.region_id.isin(BORDER_REGIONS) & (d.year == 2022)], path)
    return d, path


def test_validate_with_year_lists_what_is_missing_and_fails_on_absent_series(tmp_path, capsys):
    d, path = _border_2022(tmp_path)
    assert main(["data", "validate", str(path)]) == 0  # the layout itself is fine
    capsys.readouterr()
    assert main(["data", "validate", str(path), "--year", "2022"]) == 2
    out, err = capsys.readouterr()
    # Which series are absent, from the table itself: read by the catalogue, no 2022 border row.
    have = set(d.loc[d.region_id.isin(BORDER_REGIONS) & (d.year == 2022), "indicator"])
    for series in ("exports_cis", "imports_cis", "kz_population", "kz_unemployment_rate"):
        assert series not in have
        assert f"series {series!r}: absent from the file" in out
    # A five-year growth needs 2017: every border region lacks it (the file has 2022 only).
    assert "paved_road_density 2017: all 12 regions" in out
    line = err.strip()
    assert len(line.splitlines()) == 1 and str(path) in line and "2022" in line
    assert "'exports_cis'" in line and "all 12 regions" in line
    assert "unknown series" not in line and "catalogue" not in line


def test_validate_with_year_passes_and_lists_the_few_gaps_of_the_bundled_2021(tmp_path, capsys):
    d = load_dataset()
    path = tmp_path / "all.csv"
    write_dataset_csv(d, path)
    assert main(["data", "validate", str(path), "--year", "2021"]) == 0
    out = capsys.readouterr().out
    # KZ-10 (Abai Region, formed in 2022) is a Kazakh neighbour of a border region and has no
    # GRP per capita for 2021 in the table: the one gap of the default year.
    kz10 = d[(d.region_id == "KZ-10") & (d.indicator == "kz_grp_per_capita")]
    assert kz10.loc[kz10.year == 2021, "value"].isna().all()
    assert "kz_grp_per_capita 2021: KZ-10" in out
    assert "imputed when scoring" in out


def test_scoring_error_names_file_series_regions_and_year(tmp_path, capsys):
    _, path = _border_2022(tmp_path)
    out = tmp_path / "out"
    code = main(["score", "--data", str(path), "--year", "2022", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and not out.exists()
    head = f"border-readiness: error: --data {path}: to score all 12 regions in 2022"
    assert err.startswith(head)
    assert "'imports_cis'" in err and "formula reads unknown series" not in err


def test_prepare_names_the_missing_series_not_the_catalogue():
    d = load_dataset()
    without = d[d.indicator != "railway_density"]
    with pytest.raises(PreparationError) as err:
        prepare(without, data_label="mine.csv", year=2021)
    msg = str(err.value)
    assert msg.startswith("--data mine.csv: to score all 12 regions in 2021")
    assert "series 'railway_density'" in msg and "railway_density" in msg.split("read by")[1]
