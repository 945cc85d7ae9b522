"""Reader for Rosstat's GRP workbook ``rosstat_grp_vrp_s1998/VRP_s1998.xlsx`` (PROVENANCE.md §2).

The workbook (updated 9 Apr 2025) holds 14 region × year tables: GRP, GRP per capita, volume
indices, the regional structure, households' actual final consumption and GRP by income
components. Each table is split in two sheets by period (e.g. 1998–2015 and 2016–2023); both are
read, and where two sheets publish the same (region, indicator, year) the values must be equal
(sheet 13 repeats the GRP of sheet 2), or :class:`SourceFormatError` is raised.

Rows are a national total, the federal districts and the subjects, with «в т.ч.» sub-rows for
the autonomous okrugs. Every national row of this regional-accounts workbook is the total over the
subjects (``RU-SUBJECTS-TOTAL``), not the national figure: sheets 1–10 say so in its label, and in
sheets 11–14, where it is labelled «Российская Федерация», it equals the sum of the districts
(checked for the sheets of amounts).

Tyumen and Arkhangelsk need care: most sheets have the whole oblast, its okrugs and the oblast
without them (``RU-TYU-WHOLE``, ``RU-KHM``/``RU-YAN``, ``RU-TYU``), but sheet 2
lists only «Тюменская область» beside the okrugs as separate rows, and there that row is the
oblast *without* them (its values equal sheet 13's okrug-free row): see :func:`_okrug_layout`.

The 2022–2023 figures are preliminary according to PROVENANCE.md §2 (the workbook itself only
footnotes them as excluding the DNR, LNR, Zaporozhye and Kherson oblasts); they are noted.
"""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.utils import get_column_letter

from border_readiness.features.regions import UnknownRegionError, resolve_region
from border_readiness.features.sources._cells import CellParseError, parse_cell, strip_footnote
from border_readiness.features.sources._errors import SourceFormatError
from border_readiness.features.sources._tidy import finalize_tidy, source_file_label

__all__ = ["VRP_FILE", "read_vrp_s1998"]

VRP_FILE = "rosstat_grp_vrp_s1998/VRP_s1998.xlsx"

# sheet → (indicator, unit line as printed in the title, unit as stated here, percent table)
_SHEETS: dict[str, tuple[str, str, str, bool]] = {
    "1": ("grp", "в текущих ценах; миллионов рублей", "mln RUB, current prices", False),
    "2": ("grp", "в текущих ценах; миллионов рублей", "mln RUB, current prices", False),
    "3": ("grp_per_capita", "рублей", "RUB", False),
    "4": ("grp_per_capita", "рублей", "RUB", False),
    "5": (
        "grp_volume_index",
        "в постоянных ценах; в процентах к предыдущему году",
        "% of previous year, constant prices",
        True,
    ),
    "6": (
        "grp_volume_index",
        "в постоянных ценах; в процентах к предыдущему году",
        "% of previous year, constant prices",
        True,
    ),
    "7": ("grp_share_of_russia", "в процентах", "% of the sum of the subjects", True),
    "8": ("grp_share_of_russia", "в процентах", "% of the sum of the subjects", True),
    "9": (
        "grp_per_capita_volume_index",
        "в процентах к предыдущему году",
        "% of previous year",
        True,
    ),
    "10": (
        "grp_per_capita_volume_index",
        "в процентах к предыдущему году",
        "% of previous year",
        True,
    ),
    "11": (
        "household_final_consumption",
        "в текущих рыночных ценах; миллионов рублей",
        "mln RUB, current market prices",
        False,
    ),
    "12": (
        "household_final_consumption_per_capita",
        "в текущих рыночных ценах; рублей",
        "RUB, current market prices",
        False,
    ),
}
# Sheets 13–14: four columns per year, one per income component (sheet 14: shares of GRP).
_COMPONENT_SHEETS: dict[str, tuple[str, str, str, bool]] = {
    "13": ("", "в текущих ценах; миллионов рублей", "mln RUB, current prices", False),
    "14": ("_share", "в процентах", "% of GRP", True),
}
# (column header, indicator) of each year block of sheets 13-14, in this order.
_COMPONENTS: tuple[tuple[str, str], ...] = (
    ("Валовой региональный продукт", "grp"),
    (
        "Оплата труда наемных работников "
        "(без учета ненаблюдаемых оплаты труда и смешанных доходов)",
        "grp_income_compensation_of_employees",
    ),
    ("Другие чистые налоги на производство", "grp_income_other_net_taxes_on_production"),
    (
        "Валовая прибыль экономики и валовые смешанные доходы",
        "grp_income_gross_profit_and_mixed_income",
    ),
)
_NOT_DATA = {"Содержание": "table of contents", "15": "calendar of later publications"}

_PRELIMINARY = (2022, 2023)
_PRELIMINARY_NOTE = "preliminary (2022-2023, per PROVENANCE.md §2; not marked in the workbook)"
_RELABELLED_NOTE = (
    "row labelled «Российская Федерация»; in this workbook the national row is the total over "
    "the subjects"
)
_INCLUDING = re.compile(r"^(в\s*т\.\s*ч\.|в том числе)\s*", re.IGNORECASE)
_FOOTNOTE_LINE = re.compile(r"^\s*(\d)\)\s*(.+?)\s*$", re.DOTALL)


def read_vrp_s1998(path: str | Path, raw_root: str | Path) -> pd.DataFrame:
    """Read all region × year tables of Rosstat's ``VRP_s1998.xlsx`` into one tidy table.

    Indicators and units (as printed in each sheet's title): ``grp`` (mln RUB, current prices;
    sheets 1, 2, 13), ``grp_per_capita`` (RUB; 3, 4), ``grp_volume_index`` (% of previous year,
    constant prices; 5, 6), ``grp_share_of_russia`` (% of the sum of the subjects; 7, 8),
    ``grp_per_capita_volume_index`` (% of previous year; 9, 10), ``household_final_consumption``
    (actual final consumption of households, mln RUB, current market prices; 11) and
    ``household_final_consumption_per_capita`` (RUB; 12), ``grp_income_*`` (GRP by income
    component, mln RUB; 13) and ``grp_income_*_share`` (% of GRP; 14).

    Parameters
    ----------
    path : path-like
        ``<raw>/rosstat_grp_vrp_s1998/VRP_s1998.xlsx``.
    raw_root : path-like
        The raw folder, for ``source_file``.

    Returns
    -------
    pandas.DataFrame
        Columns ``region_id, year, indicator, value, unit, source_file, source_table, note``,
        sorted by region, indicator and year.

    Raises
    ------
    UnknownRegionError
        A row with values whose name the registry does not know (the message lists the closest).
    SourceFormatError
        A sheet whose layout, unit line or cells are not as expected, or two sheets that
        disagree.

    Examples
    --------
    >>> raw = Path("../shared/data/raw")
    >>> vrp = read_vrp_s1998(raw / VRP_FILE, raw)  # doctest: +SKIP
    >>> vrp.query("region_id == 'RU-OMS' and indicator == 'grp' and year == 1998")["value"].item()
    ... # doctest: +SKIP
    26855.0
    """
    source_file = source_file_label(path, raw_root)
    wb = openpyxl.load_workbook(path, data_only=True)
    records: list[dict] = []
    for ws in wb.worksheets:
        rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
        sheet = _VrpSheet(source_file, ws.title, rows)
        if ws.title in _SHEETS:
            records += sheet.read_simple(*_SHEETS[ws.title])
        elif ws.title in _COMPONENT_SHEETS:
            records += sheet.read_components(*_COMPONENT_SHEETS[ws.title])
        elif ws.title not in _NOT_DATA:
            raise sheet.error("sheet unknown to the reader")
    return finalize_tidy(records)


class _VrpSheet:
    def __init__(self, source_file: str, table: str, rows: list[tuple]):
        self.source_file, self.table, self.rows = source_file, table, rows
        self.records: list[dict] = []

    def error(self, message: str) -> SourceFormatError:
        return SourceFormatError(f"{self.source_file} [{self.table}]: {message}")

    def where(self, i: int, j: int) -> str:
        return f"{self.source_file} [{self.table}] cell {get_column_letter(j + 1)}{i + 1}"

    # -- layout ---------------------------------------------------------------------------------

    def header(self) -> int:
        for i, row in enumerate(self.rows):
            if sum(_year(v)[0] is not None for v in row[1:]) >= 2:
                return i
        raise self.error("no header row with years found")

    def title_notes(self, header: int, expected_unit: str) -> list[str]:
        """Check the unit line of the title and return the title's footnotes as notes."""
        titles = [str(r[0]) for r in self.rows[:header] if r and r[0] and "(" in str(r[0])]
        if len(titles) != 1:
            raise self.error(f"expected one title with a unit line above row {header + 1}")
        m = re.search(r"\(([^()]*)\)\s*$", titles[0])
        unit = " ".join(m.group(1).split()).lower() if m else ""
        if unit != expected_unit:
            raise self.error(f"unit line {unit!r}, expected {expected_unit!r}")
        _, marks = strip_footnote(titles[0].splitlines()[0])
        return [self.footnote(mark) for mark in filter(None, marks.split(","))]

    def footnote(self, mark: str) -> str:
        for row in self.rows:
            if row and isinstance(row[0], str) and all(_blank(v) for v in row[1:]):
                m = _FOOTNOTE_LINE.match(row[0])
                if m and m.group(1) == mark:
                    return f"footnote {mark}: {' '.join(m.group(2).split())}"
        raise self.error(f"footnote mark {mark} without a footnote text")

    def year_columns(self, header: int) -> dict[int, tuple[int, list[str]]]:
        """Column → (year, notes) for every non-empty header cell; anything else raises."""
        out = {}
        for j, raw in enumerate(self.rows[header]):
            if j == 0 or _blank(raw):
                continue
            year, marks = _year(raw)
            if year is None:
                raise self.error(
                    f"cell {get_column_letter(j + 1)}{header + 1}: {raw!r} is not a year"
                )
            notes = [self.footnote(m) for m in filter(None, marks.split(","))]
            out[j] = (year, notes + ([_PRELIMINARY_NOTE] if year in _PRELIMINARY else []))
        return out

    # -- rows -----------------------------------------------------------------------------------

    def region_rows(self, first: int, columns: list[int]) -> dict[str, tuple[int, str]]:
        """Region id → (row index, row note) for the data rows from ``first`` on."""
        found: dict[str, tuple[int, str]] = {}
        including: set[str] = set()
        for i in range(first, len(self.rows)):
            row = self.rows[i]
            label = " ".join(str(row[0]).split()) if row and not _blank(row[0]) else ""
            empty = all(_blank(row[j]) for j in columns if j < len(row))
            if not label:
                if not empty:
                    raise self.error(f"row {i + 1}: values without a region label")
                continue
            name, is_part = _INCLUDING.sub("", label), bool(_INCLUDING.match(label))
            note = ""
            try:
                rid = resolve_region(name, country="RU")
            except UnknownRegionError as exc:
                if empty:
                    continue  # a heading or footnote line
                raise UnknownRegionError(
                    f"{self.source_file} [{self.table}] row {i + 1}: {exc}"
                ) from None
            if rid == "RU":
                # Every national row of this regional-accounts workbook is the total over the
                # subjects, not the national figure (sheets 1-10 say so in the label; in sheets
                # 11 and 13 «Российская Федерация» equals the sum of the districts, checked).
                rid, note = "RU-SUBJECTS-TOTAL", _RELABELLED_NOTE
            if rid in found:
                raise self.error(f"rows {found[rid][0] + 1} and {i + 1} are both {rid}")
            found[rid] = (i, note)
            if is_part:
                including.add(rid)
        return _okrug_layout(found, including)

    def emit(
        self,
        i: int,
        j: int,
        *,
        rid: str,
        year: int,
        indicator: str,
        unit: str,
        notes: list[str],
        percent: bool,
    ) -> None:
        raw = self.rows[i][j] if j < len(self.rows[i]) else None
        try:
            parsed = parse_cell(None if _blank(raw) else raw, percent_unit=percent)
        except CellParseError as exc:
            raise SourceFormatError(f"{self.where(i, j)}: {exc}") from None
        self.records.append({
            "region_id": rid, "year": year, "indicator": indicator, "value": parsed.value,
            "unit": unit, "source_file": self.source_file, "source_table": self.table,
            "note": "; ".join(n for n in (parsed.note, *notes) if n), "_where": self.where(i, j),
        })  # fmt: skip

    def check_total(self, found: dict[str, tuple[int, str]], columns: list[int]) -> None:
        """In a sheet of additive amounts, the subjects' total must equal the districts' sum."""
        if "RU-SUBJECTS-TOTAL" not in found:
            return
        districts = [i for rid, (i, _) in found.items() if rid.startswith("RU-FD-")]
        total_row = found["RU-SUBJECTS-TOTAL"][0]
        for j in columns:
            cells = [self.rows[i][j] for i in districts]
            total = self.rows[total_row][j]
            if not all(isinstance(c, (int, float)) for c in [*cells, total]):
                continue
            # Rounding of the published district figures: at most 0.05 each.
            if abs(sum(cells) - total) > 0.05 * len(cells) + 1e-6 * abs(total):
                raise SourceFormatError(
                    f"{self.where(total_row, j)}: total {total!r} differs from the sum of the "
                    f"{len(cells)} federal districts {sum(cells)!r}"
                )

    # -- the two layouts ------------------------------------------------------------------------

    def read_simple(self, indicator: str, unit_line: str, unit: str, percent: bool) -> list[dict]:
        header = self.header()
        title_notes = self.title_notes(header, unit_line)
        columns = self.year_columns(header)
        found = self.region_rows(header + 1, list(columns))
        if "миллионов рублей" in unit_line:
            self.check_total(found, list(columns))
        for rid, (i, row_note) in found.items():
            for j, (year, col_notes) in columns.items():
                self.emit(
                    i,
                    j,
                    rid=rid,
                    year=year,
                    indicator=indicator,
                    unit=unit,
                    notes=[row_note, *title_notes, *col_notes],
                    percent=percent,
                )
        return self.records

    def read_components(self, suffix: str, unit_line: str, unit: str, percent: bool) -> list[dict]:
        header = self.header()
        title_notes = self.title_notes(header, unit_line)
        starts = self.year_columns(header)
        names = self.rows[header + 1]
        columns: dict[int, tuple[int, list[str], str]] = {}
        for start, (year, col_notes) in starts.items():
            for k, (expected, component) in enumerate(_COMPONENTS):
                j = start + k
                if " ".join(str(names[j] or "").split()) != expected:
                    raise self.error(
                        f"cell {get_column_letter(j + 1)}{header + 2}: expected "
                        f"component {expected!r}, found {names[j]!r}"
                    )
                columns[j] = (year, col_notes, component)
        extra = [j for j, v in enumerate(names) if j and not _blank(v) and j not in columns]
        if extra:
            raise self.error(f"row {header + 2}: component columns outside the year blocks {extra}")
        found = self.region_rows(header + 2, list(columns))
        if "миллионов рублей" in unit_line:
            self.check_total(found, list(columns))
        for rid, (i, row_note) in found.items():
            for j, (year, col_notes, component) in columns.items():
                if component == "grp" and suffix:
                    # The GRP column of the structure table is 100 by definition: checked, not kept.
                    if not _blank(self.rows[i][j]) and self.rows[i][j] != 100:
                        raise self.error(
                            f"{self.where(i, j)}: GRP share {self.rows[i][j]!r}, expected 100"
                        )
                    continue
                indicator = component + (suffix if component != "grp" else "")
                self.emit(
                    i,
                    j,
                    rid=rid,
                    year=year,
                    indicator=indicator,
                    unit=unit,
                    notes=[row_note, *title_notes, *col_notes],
                    percent=percent,
                )
        return self.records


def _okrug_layout(found: dict[str, tuple[int, str]], including: set[str]) -> dict:
    """Re-read a whole-oblast row as the okrug-free oblast where the sheet's layout says so.

    A sheet that lists an oblast's okrugs as rows of their own (not «в т.ч.» sub-rows) and has
    no row for the oblast without them publishes, under the plain oblast name, the oblast without
    its okrugs: sheet 2 shows «Тюменская область» 967 530.8 (2016) where sheet 13 shows the
    whole oblast at 6 125 961.8 and the okrug-free oblast at 967 530.8.
    """
    out = dict(found)
    for whole, part, okrugs in (
        ("RU-TYU-WHOLE", "RU-TYU", ("RU-KHM", "RU-YAN")),
        ("RU-ARK-WHOLE", "RU-ARK", ("RU-NEN",)),
    ):
        if (
            whole in out
            and part not in out
            and all(o in out for o in okrugs)
            and not any(o in including for o in okrugs)
        ):
            i, note = out.pop(whole)
            note = "; ".join(
                filter(
                    None,
                    [
                        note,
                        "published under the whole oblast's name, but "
                        "the sheet lists the okrugs as separate rows: read as "
                        "the oblast without its okrugs",
                    ],
                )
            )
            out[part] = (i, note)
    return out


def _year(raw: object) -> tuple[int | None, str]:
    """(year, footnote marks) of a header cell such as ``2021`` or ``"20222)"``."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if float(raw).is_integer() and 1900 <= raw <= 2100:
            return int(raw), ""
        return None, ""
    if isinstance(raw, str):
        body, marks = strip_footnote(raw)
        if re.fullmatch(r"\d{4}", body):
            return int(body), marks
    return None, ""


def _blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())
