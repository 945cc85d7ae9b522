"""Reader of Rosstat «Регионы России» section workbooks: synthetic layouts and published figures."""

import math

import pytest
from conftest import make_rosstat_workbook, rosstat_rows

from border_readiness.features.regions import UnknownRegionError
from border_readiness.features.sources._errors import SourceFormatError
from border_readiness.features.sources.rosstat import LONG_COLUMNS, read_rosstat_table

SECTION3 = "rosstat_regions_of_russia_2023/Раздел 3 - Уровень жизни населения.xlsx"


def _book(tmp_path, body, *, years=(2010, 2011), unit="(рублей)", title="3.4. ЗАРПЛАТА"):
    return make_rosstat_workbook(
        tmp_path / "t.xlsx", "3.4.", rosstat_rows(title, unit, list(years), body)
    )


def test_synthetic_table_parses_every_cell(tmp_path):
    book = _book(
        tmp_path,
        [
            ["Российская Федерация1)", "20\xa0952", "23\xa0369"],
            ["Центральный федеральный округ", 25377, 28449],
            ["в том числе:", None, None],
            ["Омская область", "17,83)", "-"],
            ["Тюменская область без автономных округов", "…", None],
        ],
    )
    t = read_rosstat_table(book, "3.4.", indicator="wage")
    assert list(t.data.columns) == LONG_COLUMNS
    assert t.unit == "рублей" and t.years == (2010, 2011)
    assert len(t.data) == 8  # 4 regions x 2 years: every cell kept
    d = t.data.set_index(["region_id", "year"])
    assert d.loc[("RU", 2010), "value"] == 20952.0
    assert d.loc[("RU", 2010), "note"] == "row footnote 1"
    assert d.loc[("RU-OMS", 2010), "value"] == 17.8
    assert d.loc[("RU-OMS", 2010), "note"] == "footnote 3"
    assert math.isnan(d.loc[("RU-OMS", 2011), "value"])
    assert d.loc[("RU-OMS", 2011), "note"].startswith("no such phenomenon")
    assert d.loc[("RU-TYU", 2010), "note"].startswith("not available")
    assert d.loc[("RU-TYU", 2011), "note"] == "empty cell"
    assert t.skipped_rows and "в том числе" in t.skipped_rows[0]
    assert set(t.data["source_table"]) == {"3.4."}


def test_year_header_with_footnote_marks(tmp_path):
    book = _book(tmp_path, [["Омская область", 1, 2]], years=("20211)", "2022 2)"))
    assert read_rosstat_table(book, "3.4.").years == (2021, 2022)


def test_national_total_in_another_unit_keeps_its_unit(tmp_path):
    book = _book(
        tmp_path,
        [["Российская Федерация, млрд руб.", 100, 200], ["Омская область", 1, 2]],
        unit="(миллионов рублей)",
    )
    d = read_rosstat_table(book, "3.4.").data.set_index("region_id")
    assert d.loc["RU", "unit"].iloc[0] == "млрд руб."
    assert d.loc["RU-OMS", "unit"].iloc[0] == "миллионов рублей"


def test_unit_from_title_when_no_unit_line(tmp_path):
    book = _book(
        tmp_path,
        [["Омская область", 1, 2]],
        unit=None,
        title="3.4. КОЭФФИЦИЕНТЫ МИГРАЦИОННОГО ПРИРОСТА на 10 000 человек населения1)",
    )
    assert read_rosstat_table(book, "3.4.").unit == "на 10 000 человек населения"


def test_unknown_region_names_row_and_closest(tmp_path):
    book = _book(tmp_path, [["Омскя облсть", 1, 2]])
    with pytest.raises(
        UnknownRegionError, match=r"t\.xlsx, sheet '3\.4\.', row \d+: .*Омская область"
    ):
        read_rosstat_table(book, "3.4.")


def test_text_in_value_cell_names_the_cell(tmp_path):
    book = _book(tmp_path, [["Омская область", "abc", 2]])
    with pytest.raises(SourceFormatError, match=r"cell B\d+ \(2010\)"):
        read_rosstat_table(book, "3.4.")


def test_duplicate_region_rows_refused(tmp_path):
    book = _book(tmp_path, [["Омская область", 1, 2], ["Омская  область", 1, 2]])
    with pytest.raises(SourceFormatError, match="appears twice"):
        read_rosstat_table(book, "3.4.")


def test_two_level_header_refused(tmp_path):
    rows = rosstat_rows(
        "3.4. ПЕНСИИ", "(рублей)", [2016, 2017, 2017], [["Омская область", 1, 2, 3]]
    )
    book = make_rosstat_workbook(tmp_path / "t.xlsx", "3.4.", rows)
    with pytest.raises(SourceFormatError, match="two-level header"):
        read_rosstat_table(book, "3.4.")


def test_second_header_line_refused(tmp_path):
    rows = rosstat_rows(
        "3.4. ПЕНСИИ",
        "(рублей)",
        [2016, 2017],
        [[None, "всего", "в % к"], ["Омская область", 1, 2]],
    )
    book = make_rosstat_workbook(tmp_path / "t.xlsx", "3.4.", rows)
    with pytest.raises(SourceFormatError, match="two-level header"):
        read_rosstat_table(book, "3.4.")


def test_not_a_rosstat_table(tmp_path):
    book = make_rosstat_workbook(tmp_path / "t.xlsx", "3.4.", [["name", "value"], ["a", 1]])
    with pytest.raises(SourceFormatError, match="no header row of years"):
        read_rosstat_table(book, "3.4.")


def test_not_a_workbook(tmp_path):
    bad = tmp_path / "t.xlsx"
    bad.write_text("hello")
    with pytest.raises(SourceFormatError, match=r"not a readable \.xlsx"):
        read_rosstat_table(bad, "3.4.")


def test_missing_sheet(tmp_path):
    book = _book(tmp_path, [["Омская область", 1, 2]])
    with pytest.raises(SourceFormatError, match="no such sheet"):
        read_rosstat_table(book, "9.9.")


# --- the real workbooks -------------------------------------------------------------------------


def test_omsk_wage_equals_published_figures(raw_root):
    # PROVENANCE.md and the issue: Omsk 3.4. = 16 708 / 27 234 / 46 952.3 rubles.
    t = read_rosstat_table(raw_root / SECTION3, "3.4.", raw_root=raw_root)
    omsk = t.data[t.data.region_id == "RU-OMS"].set_index("year")["value"]
    assert omsk[2010] == 16708 and omsk[2015] == 27234 and omsk[2022] == 46952.3
    assert t.unit == "рублей"
    assert set(t.data["source_file"]) == {SECTION3}


def test_orenburg_unemployment_equals_published(raw_root):
    # PROVENANCE.md: Orenburg LFS unemployment 7.2 / 4.8 / 3.5 % in 2010 / 2015 / 2022.
    t = read_rosstat_table(
        raw_root / "rosstat_regions_of_russia_2023/Раздел 2 - Труд.xlsx", "2.10.1."
    )
    s = t.data[t.data.region_id == "RU-ORE"].set_index("year")["value"]
    assert (s[2010], s[2015], s[2022]) == (7.2, 4.8, 3.5)


def test_every_region_row_of_a_real_table_is_kept(raw_root):
    t = read_rosstat_table(raw_root / SECTION3, "3.4.")
    # RF + 8 districts + 85 subjects + Tyumen and Arkhangelsk with okrugs = 96 rows.
    assert t.data["region_id"].nunique() == 96
    assert len(t.data) == 96 * len(t.years)


def test_real_two_level_table_is_refused_clearly(raw_root):
    with pytest.raises(SourceFormatError, match=r"3\.7\..*two-level header"):
        read_rosstat_table(raw_root / SECTION3, "3.7.")


def test_derived_csv_agrees_with_workbook(raw_root):
    # Cross-check against the independently flattened copy in derived/ (made by another script).
    import pandas as pd

    wide = pd.read_csv(
        raw_root / "rosstat_regions_of_russia_2023/derived/border_regions_key_indicators_long.csv"
    )
    wage = wide[(wide.sheet == "3.4.") & (wide.region == "Омская область")].set_index("year")[
        "value"
    ]
    t = read_rosstat_table(raw_root / SECTION3, "3.4.")
    ours = t.data[t.data.region_id == "RU-OMS"].set_index("year")["value"]
    for year, v in wage.dropna().items():
        assert ours[int(year)] == pytest.approx(float(v))
