"""Readers of the Open Data Kazakhstan extracts (``open_data_kazakhstan/``), one per table.

Also home of :class:`_Sheet`, the values of one sheet with the cell-by-cell parsing and the
error messages naming file, sheet and cell, which the BNS GRP reader in :mod:`.kazakhstan` uses
too. :data:`_OPEN_DATA_FILES` lists every file of the folder with its reader, or the reason it is
not read; :func:`border_readiness.features.sources.kazakhstan.read_opendata_kazakhstan` walks it.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import xlrd
from openpyxl.utils import get_column_letter

from border_readiness.features.regions import UnknownRegionError, normalize_name, resolve_region
from border_readiness.features.sources._cells import CellParseError, parse_cell
from border_readiness.features.sources._errors import SourceFormatError
from border_readiness.features.sources._kazakhstan_labels import (
    _FOOTNOTE_LINE,
    _PERIOD,
    _blank,
    _classify_period,
    _footnote_note,
    _footnotes,
    _is_year,
    _none_if_blank,
    _resolvable,
    _split_mark,
    _strip_marks,
    _text,
    _valid_in,
    _yuz_years,
)
from border_readiness.features.sources._tidy import join_notes as _join

# --- one sheet of a workbook ------------------------------------------------------------------


@dataclass
class _Sheet:
    """The rows of one sheet (values only) and where they came from, for messages."""

    source_file: str
    table: str
    rows: list[tuple]
    records: list[dict] = field(default_factory=list)

    def where(self, i: int, j: int) -> str:
        return f"{self.source_file} [{self.table}] cell {get_column_letter(j + 1)}{i + 1}"

    def error(self, message: str) -> SourceFormatError:
        return SourceFormatError(f"{self.source_file} [{self.table}]: {message}")

    def find_header(self, is_header: Callable[[tuple], bool]) -> int:
        for i, row in enumerate(self.rows):
            if is_header(row):
                return i
        raise self.error("no header row with years found")

    def annual_columns(self, header: int) -> list[tuple[int, int, str]]:
        """(column, year, footnote mark) of the annual columns; period columns are skipped."""
        out = []
        for j, raw in enumerate(self.rows[header]):
            if j == 0 or _blank(raw):
                continue
            kind, year, mark = _classify_period(raw)
            if kind == "period":
                continue
            if kind != "year":
                raise self.error(
                    f"cell {get_column_letter(j + 1)}{header + 1}: header {raw!r} is "
                    "neither a year nor a quarterly/cumulative period"
                )
            out.append((j, year, mark))
        if not out:
            raise self.error("no annual column")
        return out

    def cell(
        self,
        i: int,
        j: int,
        *,
        region_id: str,
        year: int,
        indicator: str,
        unit: str,
        notes: Sequence[str] = (),
        percent_unit: bool = False,
        withheld: str = "",
    ) -> None:
        """Parse cell (i, j) into a record; ``withheld`` keeps it as NaN with that reason."""
        if withheld:
            value, note = math.nan, withheld
        else:
            raw = self.rows[i][j] if j < len(self.rows[i]) else None
            try:
                parsed = parse_cell(_none_if_blank(raw), percent_unit=percent_unit)
            except CellParseError as exc:
                raise SourceFormatError(f"{self.where(i, j)}: {exc}") from None
            value, note = parsed.value, parsed.note
        self.records.append({
            "region_id": region_id, "year": int(year), "indicator": indicator,
            "value": value, "unit": unit, "source_file": self.source_file,
            "source_table": self.table, "note": _join(note, *notes), "_where": self.where(i, j),
        })  # fmt: skip

    def footnote_note(self, mark: str, footnotes: dict[str, str]) -> str:
        try:
            return _footnote_note(mark, footnotes)
        except KeyError as exc:
            raise self.error(f"footnote mark {exc.args[0]!r} without a footnote text") from None

    def region(self, i: int, label: str, local_names: dict[str, str] | None = None) -> str:
        name, _ = _split_mark(label)
        if local_names and normalize_name(name) in local_names:
            return local_names[normalize_name(name)]
        try:
            return resolve_region(name, country="KZ")
        except UnknownRegionError as exc:
            raise UnknownRegionError(
                f"{self.source_file} [{self.table}] row {i + 1}: {exc}"
            ) from None

    def grid(
        self,
        header: int,
        columns: dict[int, tuple[int, str, str]],
        *,
        units: dict[str, str],
        footnotes: dict[str, str],
        local_names: dict[str, str] | None = None,
        sections: dict[str, str] | None = None,
        percent_unit: bool = False,
        row_notes: Sequence[str] = (),
    ) -> list[dict]:
        """Read the region rows under ``header``; ``columns`` maps column → (year, indicator, note).

        With ``sections`` (label → indicator suffix), a label row with no values switches the
        indicator of the columns (population sheets: total / urban / rural blocks).
        """
        suffix = ""
        for i in range(header + 1, len(self.rows)):
            row = self.rows[i]
            label = _text(row[0]) if row else ""
            values = [row[j] if j < len(row) else None for j in columns]
            empty = all(_blank(v) for v in values)
            if sections is not None and empty and label in sections:
                suffix = sections[label]
                continue
            if not label:
                if not empty:
                    raise self.error(f"row {i + 1}: values without a region label")
                continue
            if empty and (_FOOTNOTE_LINE.match(label) or not _resolvable(_split_mark(label)[0])):
                continue  # a heading, remark or footnote line
            rid = self.region(i, label, local_names)
            _, mark = _split_mark(label)
            notes = [*row_notes, self.footnote_note(mark, footnotes)]
            yuz_years = _yuz_years(mark, footnotes)
            if yuz_years and rid != "KZ-61":
                raise self.error(f"row {i + 1}: South Kazakhstan footnote on a row for {rid}")
            for j, (year, indicator, col_note) in columns.items():
                unit = units[indicator]
                indicator += suffix
                unit_rid = "KZ-YUZ" if yuz_years and yuz_years[0] <= year <= yuz_years[1] else rid
                self.cell(
                    i,
                    j,
                    region_id=unit_rid,
                    year=year,
                    indicator=indicator,
                    unit=unit,
                    notes=[*notes, col_note],
                    percent_unit=percent_unit,
                )
        return self.records


def _year_of(raw: object, sheet: _Sheet, i: int, j: int) -> int:
    kind, year, _ = _classify_period(raw)
    if kind != "year":
        raise sheet.error(f"cell {get_column_letter(j + 1)}{i + 1}: {raw!r} is not a year")
    return year


# --- the Open Data Kazakhstan files -----------------------------------------------------------


def _read_grp_per_capita(path: Path, source_file: str) -> list[dict]:
    wb = openpyxl.load_workbook(path, data_only=True)
    records: list[dict] = []
    specs = {
        "тыс.тенге": ("kz_grp_per_capita", "thou. KZT, current prices"),
        "долл. США": (
            "kz_grp_per_capita_usd",
            "USD, current prices, at the NBK average exchange rate",
        ),
    }
    for ws in wb.worksheets:
        rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
        sheet = _Sheet(source_file, ws.title, rows)
        header = sheet.find_header(lambda r: sum(_is_year(v) for v in r[1:]) >= 2)
        unit_lines = {_text(v) for r in rows[:header] for v in r if not _blank(v)}
        spec = [s for key, s in specs.items() if key in unit_lines]
        if len(spec) != 1:
            raise sheet.error(f"expected one unit line of {list(specs)} above the header")
        indicator, unit = spec[0]
        if indicator.endswith("_usd") and not any(
            "среднему курсу доллара" in _text(r[0]) for r in rows if r
        ):
            raise sheet.error("the remark on the exchange rate used is missing")
        footnotes = _footnotes(rows)
        columns = {
            j: (y, indicator, sheet.footnote_note(m, footnotes))
            for j, y, m in sheet.annual_columns(header)
        }
        records += sheet.grid(header, columns, units={indicator: unit}, footnotes=footnotes)
    return records


def _read_unemployment(path: Path, source_file: str) -> list[dict]:
    wb = openpyxl.load_workbook(path, data_only=True)
    if len(wb.worksheets) != 1:
        raise SourceFormatError(f"{source_file}: expected one sheet, found {wb.sheetnames}")
    ws = wb.worksheets[0]
    rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
    sheet = _Sheet(source_file, ws.title, rows)
    # Two header rows: the year (merged over its five columns) above the period.
    years_row = sheet.find_header(lambda r: sum(_is_year(v) for v in r[1:]) >= 2)
    periods = rows[years_row + 1]
    if not any(_text(v) == "in percent" for r in rows[:years_row] for v in r):
        raise sheet.error("unit line 'in percent' not found")
    footnotes = _footnotes(rows)
    columns: dict[int, tuple[int, str, str]] = {}
    year = None
    for j in range(1, len(periods)):
        if not _blank(rows[years_row][j]):
            year = _year_of(rows[years_row][j], sheet, years_row, j)
        if _blank(periods[j]):
            if any(not _blank(r[j]) for r in rows[years_row + 2 :] if j < len(r)):
                raise sheet.error(f"column {get_column_letter(j + 1)} has values but no period")
            continue
        text, mark = _strip_marks(_text(periods[j]))
        if _PERIOD.search(text):
            continue
        if text != "year" or year is None:
            raise sheet.error(
                f"cell {get_column_letter(j + 1)}{years_row + 2}: unknown period {periods[j]!r}"
            )
        columns[j] = (year, "kz_unemployment_rate", sheet.footnote_note(mark, footnotes))
    return sheet.grid(
        years_row + 1,
        columns,
        units={"kz_unemployment_rate": "%"},
        footnotes=footnotes,
        percent_unit=True,
    )


# Occupation groups of the 2022 wage table (ISCO-08 major groups as named by BNS).
_WAGE_GROUPS = {
    "Всего персонала": "",
    "руководители и государственные служащие": "managers",
    "специалисты-профессионалы": "professionals",
    "специалисты-техники и иной вспомогательный профессиональный персонал": "technicians",
    "служащие в области администрирования": "clerical",
    "работники сферы услуг и продаж": "service_sales",
    "фермеры и рабочие сельского и лесного хозяйства, рыбоводства и рыболовства": "agriculture",
    "рабочие промышленности, строительства, транспорта и других родственных занятий": "craft",
    "операторы производственного оборудования, сборщики и водители": "operators",
    "неквалифицированные рабочие": "elementary",
    "работники, не входящие в другие группы": "other",
}


def _read_wages(path: Path, source_file: str) -> list[dict]:
    """The 2022 wage table (one year: the year is in the file name only).

    Known defect: the table has a row «South Kazakhstan Region», an oblast abolished in 2018.
    Its values are the Pavlodar row shifted one column to the left (its first value is North
    Kazakhstan's total). The row is kept with NaN values and the published ones in the note,
    after checking that the shift is exactly that; any other row for a unit that did not exist
    in the table's year raises.
    """
    m = re.search(r"(\d{4})\.xlsx$", path.name)
    if not m:
        raise SourceFormatError(f"{source_file}: no year in the file name")
    year = int(m.group(1))
    wb = openpyxl.load_workbook(path, data_only=True)
    ws = wb.worksheets[0]
    rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
    sheet = _Sheet(source_file, ws.title, rows)
    header = rows[0]
    if _text(header[0]) != "Регионы":
        raise sheet.error("cell A1: expected 'Регионы'")
    columns: dict[int, str] = {}
    for j in range(1, len(header)):
        group = _WAGE_GROUPS.get(_text(header[j]))
        if group is None:
            raise sheet.error(f"cell {get_column_letter(j + 1)}1: unknown group {header[j]!r}")
        columns[j] = "kz_wage_avg_monthly" + (f"__{group}" if group else "")
    by_region = {}
    for i in range(1, len(rows)):
        if not _text(rows[i][0]):
            if any(not _blank(v) for v in rows[i][1:]):
                raise sheet.error(f"row {i + 1}: values without a region label")
            continue
        by_region.setdefault(sheet.region(i, _text(rows[i][0])), []).append(i)
    for rid, found in by_region.items():
        if len(found) > 1:
            raise sheet.error(f"rows {[i + 1 for i in found]}: two rows for {rid}")
    for rid, (i,) in by_region.items():
        withheld = ""
        if not _valid_in(rid, year):
            withheld = _check_wage_defect(sheet, rid, i, by_region, year)
        for j, indicator in columns.items():
            note = f"{withheld}; published value {rows[i][j]!r} withheld" if withheld else ""
            sheet.cell(
                i,
                j,
                region_id=rid,
                year=year,
                indicator=indicator,
                unit="KZT per month",
                withheld=note,
            )
    return sheet.records


def _check_wage_defect(sheet: _Sheet, rid: str, i: int, by_region: dict, year: int) -> str:
    rows = sheet.rows
    if rid != "KZ-YUZ" or "KZ-55" not in by_region or "KZ-59" not in by_region:
        raise sheet.error(f"row {i + 1}: {rid} did not exist in {year}")
    pav, sev = rows[by_region["KZ-55"][0]], rows[by_region["KZ-59"][0]]
    if list(rows[i][2:-1]) != list(pav[3:]) or rows[i][1] != sev[1]:
        raise sheet.error(f"row {i + 1}: {rid} did not exist in {year}")
    return (
        f"source defect: row for South Kazakhstan (abolished 2018) in a {year} table; its "
        "values repeat the Pavlodar row shifted by one column"
    )


_POPULATION_SECTIONS = {
    "Все население": {None: ""},
    "Мужчины": {"Мужчины": "", "Городское население": "_urban", "Сельское население": "_rural"},
    "Женщины": {"Женщины": "", "Городское население": "_urban", "Сельское население": "_rural"},
}


def _read_population(path: Path, source_file: str) -> list[dict]:
    wb = openpyxl.load_workbook(path, data_only=True)
    if set(wb.sheetnames) != set(_POPULATION_SECTIONS):
        raise SourceFormatError(
            f"{source_file}: sheets {wb.sheetnames}, expected {list(_POPULATION_SECTIONS)}"
        )
    sheets = {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    # The total sheet has neither unit line nor footnotes: its row «Туркестанская 1» carries the
    # mark whose text ("2000-2016 are South Kazakhstan data") is printed on the other two sheets.
    footnotes: dict[str, str] = {}
    for rows in sheets.values():
        for mark, text in _footnotes(rows).items():
            if footnotes.setdefault(mark, text) != text:
                raise SourceFormatError(f"{source_file}: footnote {mark} differs between sheets")
    for name in ("Мужчины", "Женщины"):
        if not any(_text(v) == "человек, на начало года" for r in sheets[name] for v in r):
            raise SourceFormatError(f"{source_file} [{name}]: unit line 'человек, ...' missing")
    records: list[dict] = []
    unit = "persons, beginning of year"
    for name, rows in sheets.items():
        sheet = _Sheet(source_file, name, rows)
        header = sheet.find_header(lambda r: sum(_is_year(v) for v in r[1:]) >= 2)
        base = {
            "Все население": "kz_population",
            "Мужчины": "kz_population_men",
            "Женщины": "kz_population_women",
        }[name]
        columns = {
            j: (y, base, sheet.footnote_note(m, footnotes))
            for j, y, m in sheet.annual_columns(header)
        }
        sections = {k: v for k, v in _POPULATION_SECTIONS[name].items() if k is not None}
        units = {base: unit}
        records += sheet.grid(
            header, columns, units=units, footnotes=footnotes, sections=sections or None
        )
    return records


def _read_doctors(path: Path, source_file: str) -> list[dict]:
    book = xlrd.open_workbook(path)
    if book.nsheets != 1:
        raise SourceFormatError(f"{source_file}: expected one sheet, found {book.sheet_names()}")
    xs = book.sheet_by_index(0)
    rows = [tuple(xs.row_values(i)) for i in range(xs.nrows)]
    sheet = _Sheet(source_file, xs.name, rows)
    header = sheet.find_header(lambda r: sum(_is_year(v) for v in r[1:]) >= 2)
    if not any("человек" in _text(v) for r in rows[:header] for v in r):
        raise sheet.error("unit line with 'человек' not found")
    footnotes = _footnotes(rows)
    # The title's mark says where the figures come from in which years: it concerns every cell.
    title = next(_text(r[0]) for r in rows if _text(r[0]))
    title_note = sheet.footnote_note(_split_mark(title)[1], footnotes)
    columns = {
        j: (y, "kz_doctors", sheet.footnote_note(m, footnotes))
        for j, y, m in sheet.annual_columns(header)
    }
    return sheet.grid(
        header,
        columns,
        units={"kz_doctors": "persons, end of year"},
        footnotes=footnotes,
        row_notes=[title_note],
    )


def _read_income(path: Path, source_file: str) -> list[dict]:
    """Per-capita nominal money income: a long CSV (region, date, value), the only source."""
    table = path.name
    records: list[dict] = []
    sheet = _Sheet(source_file, table, [])
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        head = next(reader)
        if head != ["region", "date", "value"]:
            raise sheet.error(f"header {head}, expected ['region', 'date', 'value']")
        for line, row in enumerate(reader, start=2):
            if len(row) != 3:
                raise sheet.error(f"line {line}: {len(row)} fields")
            m = re.fullmatch(r"(\d{4})-12-31", row[1].strip())
            if not m:
                raise sheet.error(f"line {line}: date {row[1]!r} is not a year end")
            try:
                rid = resolve_region(row[0], country="KZ")
            except UnknownRegionError as exc:
                raise UnknownRegionError(f"{source_file} line {line}: {exc}") from None
            try:
                parsed = parse_cell(row[2])
            except CellParseError as exc:
                raise SourceFormatError(f"{source_file} line {line}: {exc}") from None
            records.append({
                "region_id": rid, "year": int(m.group(1)), "indicator": "kz_income_per_capita",
                "value": parsed.value, "unit": "KZT per month", "source_file": source_file,
                "source_table": table, "note": parsed.note, "_where": f"{source_file} line {line}",
            })  # fmt: skip
    return records


# Every file of open_data_kazakhstan/: a reader, or the reason it is not read.
_OPEN_DATA_FILES: dict[str, Callable[[Path, str], list[dict]] | str] = {
    "average-per-capita-nominal-cash-income/output.csv": _read_income,
    "average-per-capita-nominal-cash-income/datapackage.json": "metadata",
    "city-avg-salary/pg16 optRK2022.xlsx": _read_wages,
    "city-avg-salary/avg_salary_.csv": "CSV copy of pg16 optRK2022.xlsx",
    "city-gdp-per-capita/6. ВРП на душу населения.xlsx": _read_grp_per_capita,
    "city-gdp-per-capita/result1.csv": "CSV extract (2022, 16 rows) of the xlsx",
    "city-unemployment-rate/unemploymentRate.xlsx": _read_unemployment,
    "city-unemployment-rate/unemploymentRate-final.csv": "CSV extract (2022) of the xlsx",
    "doctors-by-region/Численность врачей всех специальностей.xls": _read_doctors,
    "doctors-by-region/arzte.csv": "CSV copy of the xls (without the 2022 new oblasts)",
    "population-projections-by-regions/source.xlsx": _read_population,
    "population-projections-by-regions/kazpop.csv": "CSV copy of the xlsx total sheet",
    "population-projections-by-regions/datapackage.json": "metadata",
}
