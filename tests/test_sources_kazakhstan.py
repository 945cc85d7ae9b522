"""Tests of the Kazakh source readers and the KZ part of the region registry.

Real-data tests read ``../shared/data/raw`` (PROVENANCE.md §4–5); synthetic tests build tiny
workbooks in ``tmp_path``. The whole module is skipped when the raw folder is absent.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlrd

from border_readiness.features.regions import (
    UnknownRegionError,
    normalize_name,
    region_table,
    resolve_region,
)
from border_readiness.features.sources._errors import SourceFormatError
from border_readiness.features.sources._kazakhstan_labels import _strip_marks
from border_readiness.features.sources._tidy import TIDY_COLUMNS, finalize_tidy, source_file_label
from border_readiness.features.sources.kazakhstan import (
    BNS_GRP_FILE,
    OPEN_DATA_FOLDER,
    read_all_kazakhstan,
    read_bns_grp,
    read_opendata_kazakhstan,
)

# One worker runs this module: its tests share a module fixture.
pytestmark = pytest.mark.xdist_group("test_sources_kazakhstan")

RAW = Path(__file__).resolve().parents[2] / "shared/data/raw"
if not RAW.is_dir():
    pytest.skip(f"raw data folder {RAW} absent", allow_module_level=True)

# The units of each era, from the domain: 14 oblasts (incl. South Kazakhstan) + Astana + Almaty
# before 2018; South Kazakhstan replaced by Turkistan + Shymkent in 2018; Abai, Jetisu and Ulytau
# added in 2022. "KZ" is the national total.
PRE_2018 = {
    "KZ", "KZ-11", "KZ-15", "KZ-19", "KZ-23", "KZ-27", "KZ-31", "KZ-35", "KZ-39", "KZ-43",
    "KZ-47", "KZ-55", "KZ-59", "KZ-63", "KZ-71", "KZ-75", "KZ-YUZ",
}  # fmt: skip
FROM_2018 = (PRE_2018 - {"KZ-YUZ"}) | {"KZ-61", "KZ-79"}
FROM_2022 = FROM_2018 | {"KZ-10", "KZ-33", "KZ-62"}


@pytest.fixture(scope="module")
def kz() -> pd.DataFrame:
    return read_all_kazakhstan(RAW)


def value(frame: pd.DataFrame, region: str, indicator: str, year: int) -> float:
    row = frame[(frame.region_id == region) & (frame.indicator == indicator) & (frame.year == year)]
    assert len(row) == 1, (region, indicator, year)
    return row["value"].item()


def present(frame: pd.DataFrame, indicator: str, year: int) -> set[str]:
    rows = frame[(frame.indicator == indicator) & (frame.year == year)].dropna(subset=["value"])
    return set(rows["region_id"])


# --- published figures ------------------------------------------------------------------------


def test_bns_grp_figures_read_by_eye(kz):
    # BNS workbook, sheet '2008-2023', cell BM18 (row 'Pavlodar', column '20232)'): 4346514,
    # footnote 2 "preliminary data".
    assert value(kz, "KZ-55", "kz_grp", 2023) == 4346514.0
    note = kz.query("region_id == 'KZ-55' and indicator == 'kz_grp' and year == 2023")["note"]
    assert "preliminary data" in note.item()
    # Sheet '1998-2007', cell B5 (row 'Akmola', column 1998): 48922.2.
    assert value(kz, "KZ-11", "kz_grp", 1998) == 48922.2
    # Sheet ' 1990-1997', cell I19 (row 'Astana city2)', column 1997): 25719.2; 1990 is empty
    # (footnote 2: Astana was part of Akmola oblast in 1990-1996) and in roubles (footnote 1).
    assert value(kz, "KZ-71", "kz_grp", 1997) == 25719.2
    assert math.isnan(value(kz, "KZ-71", "kz_grp_rub", 1990))
    assert value(kz, "KZ-11", "kz_grp_rub", 1990) == 3003.3  # cell B5 of ' 1990-1997'


def test_turkistan_rows_with_a_south_kazakhstan_footnote(kz):
    # source.xlsx, sheet 'Все население', row 17 «Туркестанская 1»: R17 (2016) = 2840871 is
    # South Kazakhstan (footnote 1: "Данные за 2000-2016гг. по Южно-Казахстанской области"),
    # S17 (2017) = 1966336 is Turkistan without Shymkent (S22 = 912300).
    assert value(kz, "KZ-YUZ", "kz_population", 2016) == 2840871.0
    assert value(kz, "KZ-61", "kz_population", 2017) == 1966336.0
    assert value(kz, "KZ-79", "kz_population", 2017) == 912300.0
    assert (
        "back-calculation"
        in kz.query("region_id == 'KZ-61' and indicator == 'kz_population' and year == 2017")[
            "note"
        ].item()
    )
    # Doctors xls, row 21 «Туркестанская**»: P21 (2017) = 9384 (footnote **: 2003-2017 are
    # South Kazakhstan data), Q21 (2018) = 5195.
    assert value(kz, "KZ-YUZ", "kz_doctors", 2017) == 9384.0
    assert value(kz, "KZ-61", "kz_doctors", 2018) == 5195.0


def test_unemployment_annual_only(kz):
    # unemploymentRate.xlsx: F19 = 11.5 is South Kazakhstan's 2001 'year' column; DG7 = 5 is
    # Abai's 2022 'year' column; quarters are not read.
    assert value(kz, "KZ-YUZ", "kz_unemployment_rate", 2001) == 11.5
    assert value(kz, "KZ-10", "kz_unemployment_rate", 2022) == 5.0
    rate = kz[kz.indicator == "kz_unemployment_rate"]
    assert rate.groupby(["region_id", "year"]).size().max() == 1
    assert rate["year"].between(2001, 2023).all()


# --- units of each era ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("indicator", "year", "expected"),
    [
        ("kz_grp_rub", 1990, PRE_2018 - {"KZ-71"}),  # Astana inside Akmola until 1996
        ("kz_grp", 1993, PRE_2018 - {"KZ-71"}),
        ("kz_grp", 1998, PRE_2018),
        ("kz_grp", 2010, PRE_2018),
        ("kz_grp", 2015, PRE_2018 | {"KZ-61", "KZ-79"}),  # BNS back-calculates both from 2011
        ("kz_grp", 2018, FROM_2018),
        ("kz_grp", 2021, FROM_2022),  # BNS already shows the 2022 oblasts for 2021
        ("kz_grp", 2023, FROM_2022),
        ("kz_grp_per_capita", 2017, PRE_2018),
        ("kz_grp_per_capita", 2021, FROM_2018),
        ("kz_grp_per_capita_usd", 2022, FROM_2022),
        ("kz_population", 2016, PRE_2018),
        ("kz_population", 2020, FROM_2018),
        ("kz_population", 2023, FROM_2022),
        ("kz_population_men_rural", 2023, FROM_2022 - {"KZ-71", "KZ-75", "KZ-79"}),
        ("kz_doctors", 2017, PRE_2018),
        ("kz_doctors", 2018, FROM_2018),
        ("kz_doctors", 2022, FROM_2022),
        ("kz_income_per_capita", 2017, PRE_2018),
        ("kz_income_per_capita", 2020, FROM_2018),
        ("kz_unemployment_rate", 2009, PRE_2018),
        ("kz_unemployment_rate", 2019, FROM_2018),
        ("kz_unemployment_rate", 2022, FROM_2022),
        ("kz_wage_avg_monthly", 2022, FROM_2022),
        ("kz_wage_avg_monthly__managers", 2022, FROM_2022),
    ],
)
def test_units_with_values_match_the_era(kz, indicator, year, expected):
    assert present(kz, indicator, year) == expected


def test_all_units_read(kz):
    assert set(kz["region_id"]) == PRE_2018 | FROM_2022
    kz_registry = region_table()[region_table()["country"] == "KZ"]
    assert set(kz_registry.index) == PRE_2018 | FROM_2022


def test_boundary_notes(kz):
    # BNS publishes 2021 in 2022 boundaries: East Kazakhstan 2021 excludes Abai.
    note = kz.query("region_id == 'KZ-63' and indicator == 'kz_grp' and year == 2021")["note"]
    assert "without Abai Region (KZ-10)" in note.item()
    # The per-capita workbook does not: its East Kazakhstan 2021 has no such note.
    note = kz.query("region_id == 'KZ-63' and indicator == 'kz_grp_per_capita' and year == 2021")
    assert "without" not in note["note"].item()
    missing = kz.query("region_id == 'KZ-10' and indicator == 'kz_population' and year == 2010")
    assert math.isnan(missing["value"].item())
    assert "formed in 2022" in missing["note"].item()


def test_wage_table_defect_row_is_withheld(kz):
    rows = kz[(kz.region_id == "KZ-YUZ") & kz.indicator.str.startswith("kz_wage")]
    assert len(rows) == 11 and rows["value"].isna().all()
    assert rows["note"].str.contains("source defect").all()
    assert "227021" in rows.query("indicator == 'kz_wage_avg_monthly'")["note"].item()


# --- the tidy table ---------------------------------------------------------------------------


def test_tidy_shape(kz):
    assert kz.columns.tolist() == list(TIDY_COLUMNS)
    assert kz["year"].dtype == "int64" and kz["value"].dtype == "float64"
    assert not kz.duplicated(["region_id", "indicator", "year"]).any()
    assert kz.equals(kz.sort_values(["region_id", "indicator", "year"]).reset_index(drop=True))
    assert kz["indicator"].str.startswith("kz_").all()
    assert (kz.groupby("indicator")["unit"].nunique() == 1).all()
    assert kz.loc[kz["value"].isna(), "note"].ne("").all()
    assert set(kz["source_file"]) == {
        BNS_GRP_FILE,
        f"{OPEN_DATA_FOLDER}/city-gdp-per-capita/6. ВРП на душу населения.xlsx",
        f"{OPEN_DATA_FOLDER}/city-unemployment-rate/unemploymentRate.xlsx",
        f"{OPEN_DATA_FOLDER}/city-avg-salary/pg16 optRK2022.xlsx",
        f"{OPEN_DATA_FOLDER}/population-projections-by-regions/source.xlsx",
        f"{OPEN_DATA_FOLDER}/average-per-capita-nominal-cash-income/output.csv",
        f"{OPEN_DATA_FOLDER}/doctors-by-region/Численность врачей всех специальностей.xls",
    }


def test_deterministic():
    a = read_opendata_kazakhstan(RAW / OPEN_DATA_FOLDER, RAW)
    b = read_opendata_kazakhstan(RAW / OPEN_DATA_FOLDER, RAW)
    pd.testing.assert_frame_equal(a, b)


# --- the CSV copies agree with the originals that are read instead ------------------------------


def _csv_rows(rel: str) -> list[dict]:
    with (RAW / OPEN_DATA_FOLDER / rel).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_csv_copies_agree(kz):
    pop = _csv_rows("population-projections-by-regions/kazpop.csv")
    for r in pop:
        name, mark = _strip_marks(r["Область"])
        rid = resolve_region(name, country="KZ")
        year = int(r["Год"])
        if mark and year <= 2016:
            rid = "KZ-YUZ"
        assert value(kz, rid, "kz_population", year) == float(r["Население"]), r
    doctors = _csv_rows("doctors-by-region/arzte.csv")
    for r in doctors:
        year = int(r.pop("Годы"))
        for name, v in r.items():
            rid = resolve_region(name, country="KZ")
            rid = "KZ-YUZ" if rid == "KZ-61" and year <= 2017 else rid
            assert value(kz, rid, "kz_doctors", year) == float(v), (name, year)
    for r in _csv_rows("city-unemployment-rate/unemploymentRate-final.csv"):
        rid = resolve_region(r["Region"], country="KZ")
        assert value(kz, rid, "kz_unemployment_rate", int(r["year"])) == float(r["rate"])
    for r in _csv_rows("city-gdp-per-capita/result1.csv"):
        rid = resolve_region(r["regions"], country="KZ")
        assert value(kz, rid, "kz_grp_per_capita", 2022) == float(r["Year 2022 ₸"])
        assert value(kz, rid, "kz_grp_per_capita_usd", 2022) == float(r["Year 2022 $"])
    for r in _csv_rows("city-avg-salary/avg_salary_.csv"):
        rid = resolve_region(r["regions"], country="KZ")
        if rid != "KZ-YUZ":  # the defect row, withheld
            assert value(kz, rid, "kz_wage_avg_monthly", 2022) == float(r["avg_salary"])


# --- every name in the raw files resolves ----------------------------------------------------


def _names_in_raw_files() -> set[str]:
    names: set[str] = set()
    xlsx = [RAW / BNS_GRP_FILE, *sorted((RAW / OPEN_DATA_FOLDER).rglob("*.xlsx"))]
    for path in xlsx:
        for ws in openpyxl.load_workbook(path, data_only=True).worksheets:
            for row in ws.iter_rows(values_only=True):
                if isinstance(row[0], str) and any(isinstance(v, (int, float)) for v in row[1:]):
                    names.add(row[0])
    for path in (RAW / OPEN_DATA_FOLDER).rglob("*.xls"):
        sheet = xlrd.open_workbook(path).sheet_by_index(0)
        for i in range(sheet.nrows):
            if any(isinstance(v, float) for v in sheet.row_values(i)[1:]):
                names.add(sheet.cell_value(i, 0))
    for path in (RAW / OPEN_DATA_FOLDER).rglob("*.csv"):
        rows = list(csv.reader(path.open(encoding="utf-8")))
        if rows[0][0] == "Годы":
            names.update(rows[0][1:])
        else:
            names.update(r[0] for r in rows[1:])
    for path in (RAW / "geometry_kz_oblasts").glob("*.geojson"):
        for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
            props = feature["properties"]
            for key in ("name", "local_name", "name_ru", "shapeName", "shapeISO"):
                if props.get(key):
                    names.add(props[key])
    return {n for n in names if isinstance(n, str) and n.strip() and n != "Регионы"}


def test_every_kz_name_in_the_raw_files_resolves():
    names = _names_in_raw_files()
    assert len(names) > 100
    unresolved = []
    for raw_name in sorted(names):
        name, _ = _strip_marks(raw_name)
        if normalize_name(name) == normalize_name("Almaty"):
            continue  # deliberately ambiguous, see the next test
        try:
            resolve_region(name, country="KZ")
        except UnknownRegionError:
            unresolved.append(raw_name)
    assert unresolved == []


def test_bare_almaty_is_ambiguous_and_not_an_alias():
    # BNS GRP: "Аlmaty" is the oblast (beside "Almaty city"); OSM-Boundaries: "Almaty" is the city.
    with pytest.raises(UnknownRegionError, match=r"KZ-75.*KZ-19|KZ-19.*KZ-75"):
        resolve_region("Almaty", country="KZ")
    bns = read_bns_grp(RAW / BNS_GRP_FILE, RAW)
    assert value(bns, "KZ-19", "kz_grp", 2000) == 124564.2  # '1998-2007' D7, row 'Аlmaty'
    assert value(bns, "KZ-75", "kz_grp", 2000) == 415154.1  # '1998-2007' D20, 'Almaty city'


def test_geoboundaries_codes_agree_with_names_except_the_relabelled_south():
    path = RAW / "geometry_kz_oblasts/geoBoundaries-KAZ-ADM1.geojson"
    mismatch = {}
    for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
        p = feature["properties"]
        by_code, by_name = resolve_region(p["shapeISO"]), resolve_region(p["shapeName"])
        if by_code != by_name:
            mismatch[p["shapeISO"]] = (by_code, by_name)
    # The pre-2018 polygon coded KZ-YUZ is labelled «Туркестанская область» in this copy.
    assert mismatch == {"KZ-YUZ": ("KZ-YUZ", "KZ-61")}


# --- synthetic workbooks -----------------------------------------------------------------------


def _bns_workbook(tmp_path: Path, rows: list[list], header: list | None = None) -> Path:
    path = tmp_path / "statgovkz_grp_oblast" / "grp.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "2020-2022"
    ws.append(["Gross regional product"])
    ws.append([None, None, None, "mln.tenge"])
    ws.append(header or [None, 2021, "1 quarter of 2022", "20222)"])
    for row in rows:
        ws.append(row)
    ws.append([])
    ws.append(["2) preliminary data"])
    wb.save(path)
    return path


def test_footnoted_year_header_parses_and_quarters_are_skipped(tmp_path):
    path = _bns_workbook(
        tmp_path, [["Republic of Kazakhstan", 10.5, 3.0, "12,5"], ["Akmola", 1, 2, 3]]
    )
    out = read_bns_grp(path, tmp_path)
    assert sorted(out["year"].unique()) == [2021, 2022]
    assert value(out, "KZ", "kz_grp", 2022) == 12.5
    assert out.query("year == 2022")["note"].str.contains("footnote 2: preliminary data").all()
    assert set(out["source_file"]) == {"statgovkz_grp_oblast/grp.xlsx"}
    assert set(out["source_table"]) == {"2020-2022"}


def test_unknown_header_raises(tmp_path):
    path = _bns_workbook(tmp_path, [["Akmola", 1, 2, 3]], header=[None, 2021, "total", 2022])
    with pytest.raises(SourceFormatError, match=r"C3.*'total'"):
        read_bns_grp(path, tmp_path)


def test_unknown_region_raises_with_closest_names(tmp_path):
    path = _bns_workbook(tmp_path, [["Akmolla oblast", 1, 2, 3]])
    with pytest.raises(UnknownRegionError, match=r"row 4.*closest known: .*KZ-11"):
        read_bns_grp(path, tmp_path)


def test_heading_rows_without_values_are_skipped(tmp_path):
    path = _bns_workbook(tmp_path, [["of which:", None, None, None], ["Akmola", 1, 2, 3]])
    assert set(read_bns_grp(path, tmp_path)["region_id"]) == {"KZ-11"}


def test_text_value_raises_naming_the_cell(tmp_path):
    path = _bns_workbook(tmp_path, [["Akmola", 1, 2, 3], ["Pavlodar", 1, 2, "n/a"]])
    with pytest.raises(SourceFormatError, match=r"grp\.xlsx \[2020-2022\] cell D5: 'n/a'"):
        read_bns_grp(path, tmp_path)


def test_conflicting_duplicates_raise_and_equal_ones_collapse(tmp_path):
    path = _bns_workbook(tmp_path, [["Akmola", 1, 2, 3], ["Akmolinskaya", 1, 2, 4]])
    with pytest.raises(SourceFormatError, match=r"conflicting values .*KZ-11.*cell D4.*cell D5"):
        read_bns_grp(path, tmp_path)
    path = _bns_workbook(tmp_path, [["Akmola", 1, 2, 3], ["Akmolinskaya", 1, 2, 3]])
    out = read_bns_grp(path, tmp_path)
    assert len(out) == 2 and out["note"].str.contains("also published").all()


def test_value_for_an_abolished_unit_raises(tmp_path):
    path = _bns_workbook(tmp_path, [["Ontustik Kazakhstan", 1, 2, 3]])
    with pytest.raises(SourceFormatError, match="KZ-YUZ, which ceased to exist after 2017"):
        read_bns_grp(path, tmp_path)


def test_unknown_file_in_open_data_folder_raises(tmp_path):
    folder = tmp_path / OPEN_DATA_FOLDER / "new-dataset"
    folder.mkdir(parents=True)
    (folder / "data.csv").write_text("a,b\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match=r"new-dataset/data\.csv: file unknown"):
        read_opendata_kazakhstan(tmp_path / OPEN_DATA_FOLDER, tmp_path)


def test_source_file_label(tmp_path):
    nested = tmp_path / OPEN_DATA_FOLDER / "doctors-by-region" / "arzte.csv"
    assert source_file_label(nested, tmp_path) == f"{OPEN_DATA_FOLDER}/doctors-by-region/arzte.csv"
    with pytest.raises(SourceFormatError, match="not inside the raw folder"):
        source_file_label("/elsewhere/x.csv", tmp_path)


def test_finalize_tidy_refuses_different_units():
    rec = dict(region_id="KZ", year=2020, indicator="kz_x", value=1.0, unit="%",
               source_file="f", source_table="a", note="")  # fmt: skip
    with pytest.raises(SourceFormatError, match="conflicting units"):
        finalize_tidy([rec, {**rec, "unit": "‰"}])
