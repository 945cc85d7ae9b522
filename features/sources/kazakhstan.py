"""Readers for the Kazakh regional statistics in the raw folder.

Two sources (``PROVENANCE.md`` sections 4 and 5):

* the Bureau of National Statistics (BNS) GRP workbook ``statgovkz_grp_oblast/1. Gross regional
  product.xlsx`` (English edition), read by :func:`read_bns_grp`;
* the Open Data Kazakhstan extracts of stat.gov.kz tables in ``open_data_kazakhstan/``, read by
  :func:`read_opendata_kazakhstan`.

Every reader returns one tidy long table with the columns of :data:`TIDY_COLUMNS`. Every cell of a
region × year grid becomes a row: a float, or NaN with the reason in ``note``; a cell that is
neither raises :class:`~border_readiness.features.sources._errors.SourceFormatError` naming the
file, the sheet and
the cell. Quarterly and cumulative (``9 months``) columns are not annual figures and are skipped,
but only when their header says so; any other header raises.

Boundary changes are handled through the registry (``features/data/regions_kz.csv``): South
Kazakhstan (``KZ-YUZ``, to 2017) was split in 2018 into Turkistan (``KZ-61``) and Shymkent
(``KZ-79``); Abai, Jetisu and Ulytau (``KZ-10``, ``KZ-33``, ``KZ-62``) were carved out of East
Kazakhstan, Almaty and Karaganda oblasts in 2022. A value for a unit in a year before it existed
is kept and noted as a back-calculation; a value for a unit after it was abolished is an error
(except the one documented defect of the 2022 wage table, see :func:`_read_wages`).
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pandas as pd
import xlrd
from openpyxl.utils import get_column_letter

from border_readiness.features.regions import (
    UnknownRegionError,
    normalize_name,
    region_table,
    resolve_region,
)
from border_readiness.features.sources._cells import CellParseError, parse_cell, strip_footnote
from border_readiness.features.sources._errors import SourceFormatError
from border_readiness.features.sources._tidy import finalize_tidy, source_file_label
from border_readiness.features.sources._tidy import join_notes as _join

__all__ = ["read_all_kazakhstan", "read_bns_grp", "read_opendata_kazakhstan"]

BNS_GRP_FILE = "statgovkz_grp_oblast/1. Gross regional product.xlsx"
OPEN_DATA_FOLDER = "open_data_kazakhstan"

# Headers of quarterly or cumulative-period columns (English and Russian editions). Only these
# are skipped; any other header that is not a year raises.
_PERIOD = re.compile(r"quarter|half-year|months|квартал|полугоди|месяц", re.IGNORECASE)
_YEAR = re.compile(r"(\d{4})(?:\s*(?:год|г\.?))?")
# A footnote line under a table: "2) preliminary data", "2)Hereinafter ...", "** Данные ...".
_FOOTNOTE_LINE = re.compile(r"^\s*(\d\)|\*+)\s*(.+?)\s*$", re.DOTALL)
# A footnote stating that a row labelled Turkistan holds South Kazakhstan data for some years,
# e.g. "Данные за 2000-2016гг. по Южно-Казахстанской области."
_YUZ_FOOTNOTE = re.compile(r"(\d{4})\s*[-–]\s*(\d{4})\s*г{1,2}\.?\s*по\s+Южно-Казахстанской")

# Units formed out of a continuing oblast, and the year they were formed: when a source already
# shows the new unit in an earlier year, the parent's figure for that year is in the new
# boundaries too, which contradicts the registry's "before 2022 includes ..." and is noted.
_CARVED_OUT_OF = {"KZ-10": "KZ-63", "KZ-33": "KZ-19", "KZ-62": "KZ-35"}


def read_bns_grp(path: str | Path, raw_root: str | Path) -> pd.DataFrame:
    """Read the BNS GRP workbook: annual GRP by oblast, all three sheets (1990–2023).

    Indicators: ``kz_grp`` (mln KZT, current prices; 1993 on) and ``kz_grp_rub`` (1990–1992,
    which the workbook gives in million roubles: the tenge was introduced in November 1993).
    The 2023 figures are preliminary (noted). Quarterly and ``9 months`` columns are skipped.

    Parameters
    ----------
    path : path-like
        ``<raw>/statgovkz_grp_oblast/1. Gross regional product.xlsx``.
    raw_root : path-like
        The raw folder, for ``source_file``.

    Returns
    -------
    pandas.DataFrame
        Tidy table with the columns of :data:`TIDY_COLUMNS`.

    Examples
    --------
    >>> raw = Path("../shared/data/raw")
    >>> grp = read_bns_grp(raw / BNS_GRP_FILE, raw)  # doctest: +SKIP
    >>> grp.query("region_id == 'KZ-55' and year == 2023")["value"].item()  # doctest: +SKIP
    4346514.0
    """
    ctx_file = source_file_label(path, raw_root)
    wb = openpyxl.load_workbook(path, data_only=True)
    records: list[dict] = []
    for ws in wb.worksheets:
        rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
        sheet = _Sheet(ctx_file, ws.title, rows)
        header = sheet.find_header(lambda r: sum(_is_year(v) for v in r[1:]) >= 2)
        if not any(_text(v) == "mln.tenge" for r in rows[:header] for v in r):
            raise SourceFormatError(f"{ctx_file} [{ws.title}]: unit line 'mln.tenge' not found")
        footnotes = _footnotes(rows)
        columns: dict[int, tuple[int, str, str]] = {}
        for j, year, mark in sheet.annual_columns(header):
            text = footnotes.get(mark, "") if mark else ""
            indicator = "kz_grp_rub" if "rubles" in text else "kz_grp"
            columns[j] = (year, indicator, sheet.footnote_note(mark, footnotes))
        units = {"kz_grp": "mln KZT, current prices", "kz_grp_rub": "mln RUB, current prices"}
        records += sheet.grid(
            header, columns, units=units, footnotes=footnotes, local_names=_bns_local_names(sheet)
        )
    return finalize_tidy(_annotate(records))


def read_opendata_kazakhstan(folder: str | Path, raw_root: str | Path) -> pd.DataFrame:
    """Read every Open Data Kazakhstan extract in ``open_data_kazakhstan/``.

    Where a folder holds both the stat.gov.kz original (xlsx/xls) and a CSV made from it, the
    original is read (it holds more); the CSV is read only where it is the sole source (money
    income). Any file not listed in the reader raises, so nothing is skipped unawares.

    Indicators (``kz_`` prefix; units as published or as PROVENANCE.md states them):
    ``kz_grp_per_capita`` (thou. KZT), ``kz_grp_per_capita_usd`` (USD at the NBK average rate),
    ``kz_unemployment_rate`` (% , LFS), ``kz_wage_avg_monthly`` and ``kz_wage_avg_monthly__<group>``
    (KZT per month, 2022, by occupation group), ``kz_population`` / ``_men`` / ``_women`` and the
    urban/rural splits of men and women (persons, beginning of year), ``kz_income_per_capita``
    (KZT per month, nominal money income), ``kz_doctors`` (persons, end of year).

    Parameters
    ----------
    folder : path-like
        ``<raw>/open_data_kazakhstan``.
    raw_root : path-like
        The raw folder, for ``source_file``.

    Examples
    --------
    >>> raw = Path("../shared/data/raw")
    >>> od = read_opendata_kazakhstan(raw / OPEN_DATA_FOLDER, raw)  # doctest: +SKIP
    >>> sorted(od["indicator"].unique())[:2]  # doctest: +SKIP
    ['kz_doctors', 'kz_grp_per_capita']
    """
    folder = Path(folder)
    records: list[dict] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        handler = _OPEN_DATA_FILES.get(rel)
        if handler is None:
            raise SourceFormatError(
                f"{source_file_label(path, raw_root)}: file unknown to the reader"
            )
        if callable(handler):
            records += handler(path, source_file_label(path, raw_root))
    return finalize_tidy(_annotate(records))


def read_all_kazakhstan(raw_root: str | Path) -> pd.DataFrame:
    """All Kazakh sources of the raw folder in one tidy table.

    Examples
    --------
    >>> kz = read_all_kazakhstan("../shared/data/raw")  # doctest: +SKIP
    >>> kz.columns.tolist() == list(TIDY_COLUMNS)  # doctest: +SKIP
    True
    """
    raw_root = Path(raw_root)
    frames = [
        read_bns_grp(raw_root / BNS_GRP_FILE, raw_root),
        read_opendata_kazakhstan(raw_root / OPEN_DATA_FOLDER, raw_root),
    ]
    return finalize_tidy(pd.concat(frames, ignore_index=True))


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


# --- registry-based notes ---------------------------------------------------------------------


def _annotate(records: list[dict]) -> list[dict]:
    """Add the notes that follow from the registry's validity years and boundary changes."""
    table = region_table()
    present = {
        (r["source_file"], r["indicator"], r["year"], r["region_id"])
        for r in records
        if not math.isnan(r["value"])
    }
    for r in records:
        rid, year, has = r["region_id"], r["year"], not math.isnan(r["value"])
        start, end = _years(rid)
        name = table.at[rid, "name_en"]
        if start is not None and year < start:
            r["note"] = _join(
                r["note"],
                f"back-calculation by the source: {name} was formed in {start}"
                if has
                else f"{name} was formed in {start}",
            )
        if end is not None and year > end:
            if has:
                raise SourceFormatError(
                    f"{r['_where']}: value for {rid}, which ceased to exist after {end}"
                )
            r["note"] = _join(r["note"], f"{name} ceased to exist after {end}")
        for child, parent in _CARVED_OUT_OF.items():
            child_start = _years(child)[0]
            if (
                rid == parent
                and year < child_start
                and (r["source_file"], r["indicator"], year, child) in present
            ):
                r["note"] = _join(
                    r["note"],
                    f"published in {child_start} boundaries, i.e. without "
                    f"{table.at[child, 'name_en']} ({child}), shown separately",
                )
    return records


def _years(rid: str) -> tuple[int | None, int | None]:
    row = region_table().loc[rid]
    return (
        int(row["valid_from"]) if row["valid_from"] else None,
        int(row["valid_to"]) if row["valid_to"] else None,
    )


def _valid_in(rid: str, year: int) -> bool:
    start, end = _years(rid)
    return (start is None or year >= start) and (end is None or year <= end)


# --- small helpers ----------------------------------------------------------------------------


def _bns_local_names(sheet: _Sheet) -> dict[str, str]:
    # BNS writes Almaty oblast as plain "Almaty" beside a row "Almaty city". Elsewhere the bare
    # English name means the city, so it is no registry alias; this sheet-local rule applies only
    # where the sheet itself has the separate city row.
    labels = {normalize_name(_split_mark(_text(r[0]))[0]) for r in sheet.rows if r and r[0]}
    if normalize_name("Almaty city") not in labels:
        return {}
    return {normalize_name("Almaty"): "KZ-19"}


def _classify_period(raw: object) -> tuple[str, int, str]:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if float(raw).is_integer() and 1900 <= raw <= 2100:
            return "year", int(raw), ""
        return "other", 0, ""
    text, mark = _strip_marks(_text(raw))
    if _PERIOD.search(text):
        return "period", 0, mark
    m = _YEAR.fullmatch(text)
    if m:
        return "year", int(m.group(1)), mark
    return "other", 0, mark


def _is_year(raw: object) -> bool:
    return not _blank(raw) and _classify_period(raw)[0] == "year"


def _year_of(raw: object, sheet: _Sheet, i: int, j: int) -> int:
    kind, year, _ = _classify_period(raw)
    if kind != "year":
        raise sheet.error(f"cell {get_column_letter(j + 1)}{i + 1}: {raw!r} is not a year")
    return year


def _strip_marks(text: str) -> tuple[str, str]:
    """Split trailing footnote marks: ``2)``-style (via strip_footnote), ``**`` and `` 1``."""
    body, mark = strip_footnote(text)
    if not mark:
        m = re.fullmatch(r"(.*?)\s*(\*+)", body, re.DOTALL)
        if m:
            body, mark = m.group(1), m.group(2)
    if not mark:
        # Population sheets write the mark as a bare digit after a space: «Туркестанская 1».
        m = re.fullmatch(r"(.*\D)\s+(\d)", body, re.DOTALL)
        if m:
            body, mark = m.group(1), m.group(2)
    return body.strip(), mark


def _split_mark(label: str) -> tuple[str, str]:
    return _strip_marks(label)


def _footnotes(rows: Sequence[tuple]) -> dict[str, str]:
    """Footnote lines under a table: mark (``'2'`` or ``'**'``) → text."""
    out: dict[str, str] = {}
    for row in rows:
        if not row or _blank(row[0]) or any(not _blank(v) for v in row[1:]):
            continue
        m = _FOOTNOTE_LINE.match(_text(row[0]))
        if m:
            out[m.group(1).rstrip(")")] = " ".join(m.group(2).split())
    return out


def _footnote_note(mark: str, footnotes: dict[str, str]) -> str:
    if not mark:
        return ""
    parts = []
    for one in mark.split(",") if "*" not in mark else [mark]:
        if one not in footnotes:
            raise KeyError(one)
        parts.append(f"footnote {one}: {footnotes[one]}")
    return "; ".join(parts)


def _yuz_years(mark: str, footnotes: dict[str, str]) -> tuple[int, int] | None:
    if not mark or mark not in footnotes:
        return None
    m = _YUZ_FOOTNOTE.search(footnotes[mark])
    return (int(m.group(1)), int(m.group(2))) if m else None


def _resolvable(name: str) -> bool:
    try:
        resolve_region(name, country="KZ")
    except UnknownRegionError:
        return False
    return True


def _text(raw: object) -> str:
    return "" if raw is None else " ".join(str(raw).split())


def _blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _none_if_blank(raw: object) -> object:
    return None if _blank(raw) else raw
