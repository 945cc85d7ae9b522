"""Another edition of «Регионы России»: tables are found by title and unit, not by number.

The edition tests modify a copy of the real 2023 section 21 workbook the way a later edition
differs (tables renumbered, one more year column, a region row under its new name). The values
in the added year column are synthetic (row number × 10), labelled so in the workbook; every
other value is compared with the original workbook's cell read directly with openpyxl.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from border_readiness.errors import UserInputError
from border_readiness.features.sources._errors import SourceFormatError
from border_readiness.features.sources.rosstat_editions import (
    TableSpec,
    load_table_specs,
    locate_tables,
    normalise_heading,
    read_edition_tables,
    table_heading,
)
from tests.conftest import make_rosstat_workbook, rosstat_rows

BOOK = "Раздел 21 - Внешняя торговля.xlsx"
TRADE = ["exports_far_abroad", "imports_far_abroad", "exports_cis", "imports_cis"]
USUAL = {"exports_far_abroad": "21.1.1.", "imports_far_abroad": "21.1.2."}
USUAL |= {"exports_cis": "21.2.1.", "imports_cis": "21.2.2."}
# The renumbering of the modified edition: far-abroad and CIS trade swap places.
SWAP = {"21.1.": "21.2.", "21.2.": "21.1."}
NEW_YEAR = 2022  # the 2023 edition's trade tables end in 2021
UNIT = "(в фактически действовавших ценах; миллионов долларов США)"


def _specs() -> list[TableSpec]:
    expected = load_table_specs()
    return [TableSpec(i, USUAL[i], *expected[i]) for i in TRADE]


# --- headings, by hand ---------------------------------------------------------------------------


def test_normalise_heading_drops_number_marks_case_and_spacing():
    assert normalise_heading("21.2.1.  Экспорт") == "экспорт"
    assert normalise_heading("1.6.2. Население в трудоспособном возрасте1);2)") == (
        "население в трудоспособном возрасте"
    )
    assert normalise_heading("Республика Северная Осетия – Алания") == (
        "республика северная осетия - алания"
    )
    assert normalise_heading("ЁЛКИ") == "елки"


def test_heading_joins_the_parent_title_and_skips_boilerplate():
    rows = rosstat_rows("21.2.1. Экспорт", UNIT, [2020, 2021], [])
    rows.insert(3, ["21.2. ВНЕШНЯЯ ТОРГОВЛЯ СО СТРАНАМИ СНГ1)"])
    assert table_heading(rows) == (
        "внешняя торговля со странами снг / экспорт",
        "в фактически действовавших ценах; миллионов долларов сша",
    )
    assert table_heading([["x", "y"], [1, 2]]) is None


def _two_exports(path, cis_sheet="21.2.1.", cis_unit=UNIT):
    import openpyxl

    wb = openpyxl.Workbook()
    for sheet, parent, unit in [
        (
            "21.1.1.",
            "21.1. ВНЕШНЯЯ ТОРГОВЛЯ СО СТРАНАМИ ДАЛЬНЕГО ЗАРУБЕЖЬЯ",
            UNIT,
        ),
        (cis_sheet, f"{cis_sheet[:-3]}. ВНЕШНЯЯ ТОРГОВЛЯ СО СТРАНАМИ СНГ", cis_unit),
    ]:
        ws = wb.create_sheet(sheet)
        rows = rosstat_rows(f"{sheet} Экспорт", unit, [2020, 2021], [["Омская область", 1, 2]])
        rows.insert(3, [parent])
        for row in rows:
            ws.append(row)
    wb.remove(wb["Sheet"])
    wb.save(path)
    return path


def test_same_subtitle_under_two_parents_is_told_apart(tmp_path):
    book = _two_exports(tmp_path / "b.xlsx", cis_sheet="21.5.1.")
    expected = load_table_specs()
    specs = [TableSpec(i, USUAL[i], *expected[i]) for i in ("exports_far_abroad", "exports_cis")]
    assert locate_tables(book, specs) == {"exports_far_abroad": "21.1.1.", "exports_cis": "21.5.1."}


def test_a_table_in_another_unit_is_a_one_line_error_naming_it(tmp_path):
    book = _two_exports(
        tmp_path / BOOK, cis_unit="(в фактически действовавших ценах; тысяч долларов США)"
    )
    expected = load_table_specs()
    spec = TableSpec("exports_cis", "21.2.1.", *expected["exports_cis"])
    with pytest.raises(SourceFormatError) as err:
        locate_tables(book, [spec])
    msg = str(err.value)
    assert isinstance(err.value, UserInputError) and "\n" not in msg
    assert "table 21.2.1. «внешняя торговля со странами снг / экспорт»" in msg
    assert "'exports_cis' not found" in msg
    assert (
        "21.2.1. has that title in another unit "
        "(в фактически действовавших ценах; тысяч долларов сша)" in msg
    )
    # The README shows this case's message as the CLI prints it.
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert f"border-readiness: error: {msg}\n" in readme


def test_a_missing_table_names_it_and_what_its_sheet_holds_now(tmp_path):
    rows = rosstat_rows("1.1. ЧИСЛЕННОСТЬ ЗАНЯТЫХ", "(тысяч человек)", [2020, 2021], [])
    book = make_rosstat_workbook(tmp_path / "b.xlsx", "1.1.", rows)
    spec = TableSpec("population_end_year", "1.1.", *load_table_specs()["population_end_year"])
    with pytest.raises(SourceFormatError, match=r"sheet 1\.1\. now holds «численность занятых»"):
        locate_tables(book, [spec])


def test_every_bundled_table_has_a_heading_and_unit():
    import tomllib
    from importlib import resources

    bundle = resources.files("border_readiness.features") / "data" / "bundle.toml"
    spec = tomllib.loads(bundle.read_text(encoding="utf-8"))
    wanted = {t["indicator"] for g in spec["rosstat"]["table"] for t in g["tables"]}
    assert wanted == set(load_table_specs())


# --- a modified copy of the real 2023 workbook ---------------------------------------------------


def _modified_edition(src, dst):
    """Copy of the 2023 trade workbook as a later edition might print it (see module doc)."""
    import openpyxl

    wb = openpyxl.load_workbook(src)
    for ws in wb.worksheets[1:]:
        ws.title = "tmp" + ws.title
    for ws in wb.worksheets[1:]:
        old = ws.title[3:]
        new = SWAP[old[:5]] + old[5:]
        ws.title = new
        for row in ws.iter_rows(max_row=6, max_col=1):
            cell = row[0]
            if isinstance(cell.value, str):
                cell.value = re.sub(r"^21\.[12]\.", lambda m: SWAP[m.group(0)], cell.value)
        header = next(r for r in range(1, 10) if ws.cell(r, 2).value == 2000)
        col = max(c for c in range(2, ws.max_column + 1) if ws.cell(header, c).value) + 1
        ws.cell(header, col).value = NEW_YEAR
        for r in range(header + 1, ws.max_row + 1):
            label = ws.cell(r, 1).value
            if not isinstance(label, str) or label.startswith("_"):
                break
            if label.strip() == "Кемеровская область":
                ws.cell(r, 1).value = "Кемеровская область - Кузбасс"  # its name since 2019
            if ws.cell(r, 2).value is not None:
                ws.cell(r, col).value = r * 10.0  # synthetic value, test only
    wb.save(dst)


def _published(src, sheet, label):
    """Year -> value of a region row of the original workbook, read cell by cell."""
    import openpyxl

    ws = openpyxl.load_workbook(src, read_only=True, data_only=True)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    header = next(r for r in rows if r[1] == 2000)
    row = next(r for r in rows if isinstance(r[0], str) and r[0].strip() == label)
    return {y: float(v) for y, v in zip(header[1:], row[1:], strict=False) if y and v is not None}


@pytest.fixture(scope="module")
def edition(raw_root, tmp_path_factory):
    src = raw_root / "rosstat_regions_of_russia_2023" / BOOK
    dst = tmp_path_factory.mktemp("edition") / BOOK
    _modified_edition(src, dst)
    return src, dst


def test_modified_edition_is_read_by_title_and_unit(edition):
    src, dst = edition
    tables, moved = read_edition_tables(dst, _specs())
    assert moved == {i: SWAP[s[:5]] + s[5:] for i, s in USUAL.items()}
    for indicator, table in zip(TRADE, tables, strict=True):
        assert table.years[-1] == NEW_YEAR and NEW_YEAR - 1 in table.years
        data = table.data.set_index(["region_id", "year"])["value"]
        for label, rid in [("Омская область", "RU-OMS"), ("Кемеровская область", "RU-KEM")]:
            want = _published(src, USUAL[indicator], label)
            got = data.loc[rid].drop(NEW_YEAR).dropna().to_dict()
            assert got == pytest.approx(want), (indicator, rid)
        assert data.loc[("RU-KEM", NEW_YEAR)] > 0  # the renamed row carries the new column


def test_data_build_reads_another_edition_folder(edition, raw_root, tmp_path):
    from border_readiness.experiments.cli import main
    from border_readiness.features.dataset import bundled_dataset_path, load_dataset

    _, dst = edition
    raw = tmp_path / "raw"
    raw.mkdir()
    for entry in raw_root.iterdir():
        if entry.name != "rosstat_regions_of_russia_2023":
            (raw / entry.name).symlink_to(entry)
    folder = raw / "rosstat_regions_of_russia_2024"
    folder.mkdir()
    for book in (raw_root / "rosstat_regions_of_russia_2023").glob("*.xlsx"):
        (folder / book.name).symlink_to(book)
    (folder / BOOK).unlink()
    shutil.copy(dst, folder / BOOK)

    out = tmp_path / "built"
    assert main(["data", "build", "--raw", str(raw), "--out", str(out), "--quiet"]) == 0

    def load(path):  # through the package's reader: `value` carries the markers - and x
        return load_dataset(path)

    built, bundled = load(out / "regions_long.csv.gz"), load(bundled_dataset_path())
    key = ["region_id", "year", "indicator"]
    is_trade = built["indicator"].isin(TRADE)
    # Outside the trade tables the other edition's folder gives the bundled rows.
    other = built[~is_trade].drop(columns="source_file").reset_index(drop=True)
    pd.testing.assert_frame_equal(
        other,
        bundled[~bundled["indicator"].isin(TRADE)]
        .drop(columns="source_file")
        .reset_index(drop=True),
    )
    trade = built[is_trade]
    assert set(trade.loc[trade["year"] == NEW_YEAR, "indicator"]) == set(TRADE)
    old = trade[trade["year"] < NEW_YEAR].merge(bundled, on=key, suffixes=("", "_bundled"))
    assert len(old) == int(bundled["indicator"].isin(TRADE).sum())
    # openpyxl re-saves a float in its shortest form (28905.800000000003 -> 28905.8).
    assert old["value"].isna().equals(old["value_bundled"].isna())
    assert old["value"].dropna().to_numpy() == pytest.approx(
        old["value_bundled"].dropna().to_numpy(), rel=1e-12
    )
    exports_cis = old[old["indicator"] == "exports_cis"]
    assert set(exports_cis["source_table"]) == {"21.1.1."}  # read from where this edition prints it
    manifest = (out / "dataset_manifest.json").read_text(encoding="utf-8")
    assert "21.2.1. -> 21.1.1. (exports_cis, matched by title and unit)" in manifest
