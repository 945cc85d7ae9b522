"""The bundled dataset: coverage, published figures, reproducibility from the raw folder."""

import gzip

import numpy as np
import pandas as pd
import pytest

from border_readiness.features.dataset import (
    CORE_INDICATORS,
    LONG_COLUMNS,
    bundled_dataset_path,
    coverage_summary,
    load_dataset,
    validate_long,
    write_dataset_csv,
)
from border_readiness.features.regions import BORDER_REGIONS, russian_subjects

# One worker runs this module: its tests share a module fixture.
pytestmark = pytest.mark.xdist_group("test_dataset")


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return load_dataset()


@pytest.fixture(scope="module")
def summary(data) -> dict:
    return coverage_summary(data)


def _series(data, rid, ind):
    s = data[(data.region_id == rid) & (data.indicator == ind)]
    return s.set_index("year")["value"]


def test_layout(data):
    assert list(data.columns) == LONG_COLUMNS
    assert not data.duplicated(["region_id", "year", "indicator"]).any()
    # Missing values always say why.
    assert (data.loc[data.value.isna(), "note"] != "").all()
    assert (data["unit"] != "").all() and (data["source_file"] != "").all()


def test_coverage_targets_of_the_issue(summary):
    assert summary["russian_subjects"] >= 80
    assert summary["subjects_with_40_full_indicators"] >= 80
    assert summary["indicators"] >= 40
    assert summary["year_min"] <= 2010 and summary["year_max"] >= 2023


def test_omsk_wage_as_published(data):
    s = _series(data, "RU-OMS", "wage_avg_monthly_nominal")
    assert (s[2010], s[2015], s[2022]) == (16708, 27234, 46952.3)


def test_grp_to_2023_as_published(data):
    # PROVENANCE.md: Omsk GRP 1998 = 26 855, 2023 = 1 056 600.3; Orenburg 2023 = 1 763 998.8.
    assert _series(data, "RU-OMS", "grp")[1998] == 26855
    assert _series(data, "RU-OMS", "grp")[2023] == 1056600.3
    assert _series(data, "RU-ORE", "grp")[2023] == 1763998.8


def test_source_table_names_rosstat_table_number(data):
    wage = data[data.indicator == "wage_avg_monthly_nominal"]
    assert set(wage["source_table"]) == {"3.4."}
    assert set(wage["source_file"]) == {
        "rosstat_regions_of_russia_2023/Раздел 3 - Уровень жизни населения.xlsx"
    }


# Gaps of the 12 border regions in the core indicators 2010–2021 where the source itself has no
# figure, checked by eye in the workbooks: Tyumen without okrugs has no rows in the budget
# tables 19.1/19.2 (only the whole oblast), no 2010–2012 investment, retail and wholesale, and
# no GRP for 2010 ('…' in VRP_s1998); the Altai Republic has no railways ('-' in 16.1); the
# Chelyabinsk cell of 21.2.1 for 2011 is empty in the workbook.
DOCUMENTED_GAPS = (
    {
        ("RU-TYU", ind, y)
        for ind in ("budget_revenue", "budget_expenditure")
        for y in range(2010, 2022)
    }
    | {
        ("RU-TYU", ind, y)
        for ind in ("investment_fixed_capital", "retail_turnover", "wholesale_turnover")
        for y in (2010, 2011, 2012)
    }
    | {("RU-TYU", "grp", 2010), ("RU-TYU", "grp_per_capita", 2010)}
    | {("RU-AL", "rail_freight_dispatched", y) for y in range(2010, 2022)}
    | {("RU-CHE", "exports_cis", 2011)}
)


def test_border_regions_complete_except_documented_gaps(summary):
    found = {(g["region_id"], g["indicator"], g["year"]) for g in summary["border_region_gaps"]}
    assert found == DOCUMENTED_GAPS
    for gap in summary["border_region_gaps"]:
        assert gap["note"], gap


def test_tyumen_is_the_row_without_okrugs(data):
    tyu = _series(data, "RU-TYU", "population_avg")
    whole = _series(data, "RU-TYU-WHOLE", "population_avg")
    khm = _series(data, "RU-KHM", "population_avg")
    yan = _series(data, "RU-YAN", "population_avg")
    # The whole oblast is the sum of its three parts (to rounding of the published figures).
    assert np.allclose(whole[2015], tyu[2015] + khm[2015] + yan[2015], atol=1.0)
    assert tyu[2015] < whole[2015] / 2


def test_kazakh_series_present(data):
    kz = data[data.region_id.str.startswith("KZ")]
    inds = set(kz["indicator"])
    for needed in ("kz_grp", "kz_population", "kz_unemployment_rate"):
        assert any(i.startswith(needed) for i in inds), (needed, sorted(inds))
    # Kazakh oblasts on the Russian border are all present.
    for rid in ("KZ-27", "KZ-23", "KZ-15", "KZ-39", "KZ-59", "KZ-55", "KZ-63", "KZ-10"):
        assert rid in set(kz["region_id"])


def test_all_subjects_have_population(data):
    pop = data[(data.indicator == "population_avg") & (data.year == 2021)]
    assert set(russian_subjects()) <= set(pop.dropna(subset=["value"])["region_id"])


def test_core_indicators_exist(data):
    assert set(CORE_INDICATORS) <= set(data["indicator"])


def test_grp_sources_agree(data, raw_root):
    # Independent check: RR2023 table 8.1 (2023 edition) and the VRP_s1998 file (updated 2025)
    # are separate Rosstat publications; they agree exactly to 2020, while 2021 was revised in
    # the later file (by up to 7 % for the border regions).
    from border_readiness.features.sources.rosstat import read_rosstat_table

    t = read_rosstat_table(
        raw_root / "rosstat_regions_of_russia_2023/Раздел 8 - Валовой региональный продукт.xlsx",
        "8.1.",
    )
    rr = t.data.set_index(["region_id", "year"])["value"]
    vrp = data[data.indicator == "grp"].set_index(["region_id", "year"])["value"]
    for rid in BORDER_REGIONS:
        for y in range(2010, 2021):
            if not np.isnan(rr.get((rid, y), np.nan)):
                # equal up to the last published digit (0.1 mln RUB rounding)
                assert abs(vrp[(rid, y)] - rr[(rid, y)]) <= 0.15, (rid, y)
        assert vrp[(rid, 2021)] == pytest.approx(rr[(rid, 2021)], rel=0.1)


def test_csv_writer_is_reproducible_and_round_trips(tmp_path, data):
    part = data[data.region_id.isin(BORDER_REGIONS[:2])]
    a, b = tmp_path / "a.csv.gz", tmp_path / "b.csv.gz"
    write_dataset_csv(part, a)
    write_dataset_csv(part.sample(frac=1, random_state=1), b)  # order must not matter after sort
    assert a.read_bytes() == b.read_bytes()
    back = validate_long(pd.read_csv(a, keep_default_na=False, na_values={"value": [""]}))
    pd.testing.assert_frame_equal(back, validate_long(part), check_dtype=False)
    assert gzip.decompress(a.read_bytes())[:40].decode().startswith("region_id,year,indicator")


@pytest.mark.slow
def test_rebuild_reproduces_committed_file_byte_for_byte(tmp_path, raw_root):
    from border_readiness.experiments.cli import main

    assert main(["data", "build", "--raw", str(raw_root), "--out", str(tmp_path), "--quiet"]) == 0
    committed = bundled_dataset_path().parent
    for name in (
        "regions_long.csv.gz",
        "border_facts.csv",
        "polygons.geojson",
        "dataset_manifest.json",
    ):
        assert (tmp_path / name).read_bytes() == (committed / name).read_bytes(), name


def test_each_load_of_the_bundled_dataset_is_its_own_copy():
    # load_dataset() keeps the parsed bundled table in memory; a caller that changes its copy
    # must not change what the next caller reads (compared with a fresh parse of the file).
    first = load_dataset()
    first.loc[:, "value"] = -1.0
    first.drop(index=first.index[:10], inplace=True)
    fresh = validate_long(
        pd.read_csv(bundled_dataset_path(), dtype={"region_id": str, "indicator": str}),
        source="bundled",
    )
    pd.testing.assert_frame_equal(load_dataset(), fresh)
