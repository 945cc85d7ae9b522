"""Tests of the reader of Rosstat's GRP workbook VRP_s1998.xlsx (PROVENANCE.md §2).

Real-data tests read ``../shared/data/raw``; synthetic tests build tiny workbooks in
``tmp_path``. The whole module is skipped when the raw folder is absent.
"""

from __future__ import annotations

import math
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from border_readiness.features.regions import BORDER_REGIONS, UnknownRegionError, region_table
from border_readiness.features.sources._errors import SourceFormatError
from border_readiness.features.sources._tidy import TIDY_COLUMNS
from border_readiness.features.sources.rosstat_grp import VRP_FILE, read_vrp_s1998

RAW = Path(__file__).resolve().parents[2] / "shared/data/raw"
if not RAW.is_dir():
    pytest.skip(f"raw data folder {RAW} absent", allow_module_level=True)

UNITS = {
    "grp": "mln RUB, current prices",
    "grp_per_capita": "RUB",
    "grp_volume_index": "% of previous year, constant prices",
    "grp_per_capita_volume_index": "% of previous year",
    "grp_share_of_russia": "% of the sum of the subjects",
    "household_final_consumption": "mln RUB, current market prices",
    "household_final_consumption_per_capita": "RUB, current market prices",
    "grp_income_compensation_of_employees": "mln RUB, current prices",
    "grp_income_other_net_taxes_on_production": "mln RUB, current prices",
    "grp_income_gross_profit_and_mixed_income": "mln RUB, current prices",
    "grp_income_compensation_of_employees_share": "% of GRP",
    "grp_income_other_net_taxes_on_production_share": "% of GRP",
    "grp_income_gross_profit_and_mixed_income_share": "% of GRP",
}


@pytest.fixture(scope="module")
def vrp() -> pd.DataFrame:
    return read_vrp_s1998(RAW / VRP_FILE, RAW)


def value(frame: pd.DataFrame, region: str, indicator: str, year: int) -> float:
    row = frame[(frame.region_id == region) & (frame.indicator == indicator) & (frame.year == year)]
    assert len(row) == 1, (region, indicator, year)
    return row["value"].item()


def test_published_figures(vrp):
    # PROVENANCE.md §2: Omsk GRP 1998 = 26 855 mln RUB, 2023 = 1 056 600.3; Orenburg 2023.
    assert value(vrp, "RU-OMS", "grp", 1998) == 26855.0
    assert value(vrp, "RU-OMS", "grp", 2023) == 1056600.3
    assert value(vrp, "RU-ORE", "grp", 2023) == 1763998.8


def test_indicators_units_and_years(vrp):
    assert vrp.groupby("indicator")["unit"].agg(set).map(len).eq(1).all()
    assert dict(vrp.groupby("indicator")["unit"].first()) == UNITS
    years = vrp.groupby("indicator")["year"].agg(["min", "max"])
    assert tuple(years.loc["grp"]) == (1998, 2023)
    assert tuple(years.loc["grp_volume_index"]) == (1998, 2023)
    assert tuple(years.loc["grp_per_capita_volume_index"]) == (2005, 2023)
    assert tuple(years.loc["household_final_consumption"]) == (2016, 2023)


def test_every_registry_unit_is_read(vrp):
    table = region_table()
    kinds = {"subject", "federal_district", "subject_with_okrugs", "subjects_total"}
    expected = table.index[(table["country"] == "RU") & table["kind"].isin(kinds)]
    assert len(expected) == 96  # 85 subjects, 2 whole oblasts, 8 districts, subjects' total
    assert set(vrp["region_id"]) == set(expected)
    grp = vrp[vrp.indicator == "grp"]
    assert grp.groupby("region_id").size().eq(26).all()  # 1998-2023, one row per year


def test_border_regions_have_grp(vrp):
    grp = vrp[vrp.indicator == "grp"]
    for rid in BORDER_REGIONS:
        years = grp[(grp.region_id == rid) & grp["value"].notna()]["year"]
        # Tyumen without its okrugs is published from 2011 only ('…' before).
        first = 2011 if rid == "RU-TYU" else 1998
        assert years.tolist() == list(range(first, 2024)), rid


def test_sheet_2_tyumen_row_is_the_oblast_without_okrugs(vrp):
    # Sheet 2 row 73 «Тюменская область» = 967 530.8 for 2016 equals sheet 13's row «Тюменская
    # область (кроме ХМАО-Югры и ЯНАО)»; sheet 13's whole oblast is 6 125 961.8.
    assert value(vrp, "RU-TYU", "grp", 2016) == 967530.8
    assert value(vrp, "RU-TYU-WHOLE", "grp", 2016) == 6125961.8
    grp = vrp[vrp.indicator == "grp"].pivot(index="region_id", columns="year", values="value")
    for year in range(2016, 2024):
        parts = grp.loc[["RU-TYU", "RU-KHM", "RU-YAN"], year].sum()
        assert math.isclose(grp.at["RU-TYU-WHOLE", year], parts, abs_tol=0.2), year
        assert math.isclose(
            grp.at["RU-ARK-WHOLE", year], grp.loc[["RU-ARK", "RU-NEN"], year].sum(), abs_tol=0.2
        )
        ural = ["RU-KGN", "RU-SVE", "RU-TYU-WHOLE", "RU-CHE"]
        assert math.isclose(grp.at["RU-FD-URA", year], grp.loc[ural, year].sum(), abs_tol=0.5)


def test_national_rows_are_the_subjects_total(vrp):
    # Sheet 2 B4 «Валовой региональный продукт по субъектам РФ ...» 2016 = 74 120 174.8; sheet 13
    # labels the same figure «Российская Федерация»: neither is the national GDP.
    assert value(vrp, "RU-SUBJECTS-TOTAL", "grp", 2016) == 74120174.8
    assert "RU" not in set(vrp["region_id"])
    hfc = vrp.query(
        "region_id == 'RU-SUBJECTS-TOTAL' and indicator == 'household_final_consumption'"
    )
    assert hfc["note"].str.contains("labelled «Российская Федерация»").all()
    share = value(vrp, "RU-SUBJECTS-TOTAL", "grp_share_of_russia", 2005)
    assert math.isclose(share, 100.0)  # stored as 100.00000000000001 (a formula result)


def test_notes(vrp):
    row = vrp.query("region_id == 'RU-OMS' and indicator == 'grp' and year == 2022")
    note = row["note"].item()
    assert "preliminary" in note and "footnote 2: Без учета" in note
    assert "also published in rosstat_grp_vrp_s1998/VRP_s1998.xlsx [13]" in note
    assert math.isnan(value(vrp, "RU-NEN", "grp", 1998))
    assert (
        "not available (published as …)"
        in vrp.query("region_id == 'RU-NEN' and indicator == 'grp' and year == 1998")["note"].item()
    )
    assert vrp.loc[vrp["value"].isna(), "note"].ne("").all()


def test_tidy_shape(vrp):
    assert vrp.columns.tolist() == list(TIDY_COLUMNS)
    assert not vrp.duplicated(["region_id", "indicator", "year"]).any()
    assert vrp.equals(vrp.sort_values(["region_id", "indicator", "year"]).reset_index(drop=True))
    assert set(vrp["source_file"]) == {VRP_FILE}
    assert set(vrp["source_table"]) == {str(i) for i in range(1, 15)}


# --- synthetic workbooks -----------------------------------------------------------------------

TITLE = "Валовой региональный продукт в 2016-2023 гг.1)\n(в текущих  ценах; миллионов рублей)"


def _workbook(tmp_path: Path, sheets: dict[str, list[list]], title: str = TITLE) -> Path:
    path = tmp_path / VRP_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        ws.append(["К содержанию"])
        ws.append([title])
        for row in rows:
            ws.append(row)
        ws.append([])
        ws.append(["1) Данные с 2016 года по новой методологии."])
        ws.append(["2) Без учета статистической информации по новым субъектам."])
    wb.save(path)
    return path


def test_footnoted_year_header_parses(tmp_path):
    path = _workbook(tmp_path, {"2": [[None, 2021, "20222)"], ["Омская область", 1.5, "2,5"]]})
    out = read_vrp_s1998(path, tmp_path)
    assert value(out, "RU-OMS", "grp", 2022) == 2.5
    note = out.query("year == 2022")["note"].item()
    assert "footnote 2: Без учета" in note and "preliminary" in note
    assert "footnote 1: Данные с 2016" in note  # the title's footnote concerns every cell


def test_unknown_region_raises_with_closest_names(tmp_path):
    path = _workbook(tmp_path, {"2": [[None, 2021, 2022], ["Омскяа облсать", 1, 2]]})
    with pytest.raises(UnknownRegionError, match=r"\[2\] row 4: .*closest known: .*RU-OMS"):
        read_vrp_s1998(path, tmp_path)


def test_heading_rows_without_values_are_skipped(tmp_path):
    rows = [[None, 2021, 2022], ["в том числе:", None, None], ["Омская область", 1, 2]]
    out = read_vrp_s1998(_workbook(tmp_path, {"2": rows}), tmp_path)
    assert set(out["region_id"]) == {"RU-OMS"}


def test_text_value_raises_naming_the_cell(tmp_path):
    path = _workbook(tmp_path, {"2": [[None, 2021, 2022], ["Омская область", 1, "н/д"]]})
    with pytest.raises(SourceFormatError, match=r"VRP_s1998\.xlsx \[2\] cell C4: 'н/д'"):
        read_vrp_s1998(path, tmp_path)


def test_overlapping_sheets_must_agree(tmp_path):
    one = [[None, 2015, 2016], ["Омская область", 1, 2]]
    two = [[None, 2016, 2017], ["Омская область", 3, 4]]
    path = _workbook(tmp_path, {"1": one, "2": two})
    with pytest.raises(SourceFormatError, match=r"conflicting values .*RU-OMS.*\[1\] cell C4"):
        read_vrp_s1998(path, tmp_path)
    two[1][1] = 2.0
    out = read_vrp_s1998(_workbook(tmp_path, {"1": one, "2": two}), tmp_path)
    assert value(out, "RU-OMS", "grp", 2016) == 2.0 and len(out) == 3


def test_total_must_equal_the_sum_of_the_districts(tmp_path):
    rows = [
        [None, 2021, 2022],
        ["Российская Федерация", 10, 21],
        ["Центральный федеральный округ", 4, 10],
        ["Сибирский федеральный округ", 6, 10],
    ]
    with pytest.raises(SourceFormatError, match=r"cell C4: total 21 differs from the sum"):
        read_vrp_s1998(_workbook(tmp_path, {"2": rows}), tmp_path)
    rows[1][2] = 20
    out = read_vrp_s1998(_workbook(tmp_path, {"2": rows}), tmp_path)
    assert value(out, "RU-SUBJECTS-TOTAL", "grp", 2022) == 20.0


def test_wrong_unit_line_raises(tmp_path):
    title = "Валовой региональный продукт\n(тысяч рублей)"
    path = _workbook(tmp_path, {"2": [[None, 2021, 2022], ["Омская область", 1, 2]]}, title)
    with pytest.raises(SourceFormatError, match="unit line 'тысяч рублей'"):
        read_vrp_s1998(path, tmp_path)


def test_unknown_sheet_raises(tmp_path):
    path = _workbook(tmp_path, {"16": [[None, 2021, 2022], ["Омская область", 1, 2]]})
    with pytest.raises(SourceFormatError, match=r"\[16\]: sheet unknown"):
        read_vrp_s1998(path, tmp_path)


@pytest.mark.parametrize(
    ("okrug_prefix", "expected"), [("", "RU-TYU"), ("в т.ч. ", "RU-TYU-WHOLE")]
)
def test_okrug_layout(tmp_path, okrug_prefix, expected):
    rows = [
        [None, 2021, 2022],
        ["Тюменская область", 10, 20],
        [f"{okrug_prefix}Ханты-Мансийский автономный округ", 1, 2],
        ["Ямало-Ненецкий автономный округ", 3, 4],
    ]
    out = read_vrp_s1998(_workbook(tmp_path, {"2": rows}), tmp_path)
    assert set(out["region_id"]) == {expected, "RU-KHM", "RU-YAN"}
    assert value(out, expected, "grp", 2021) == 10.0
