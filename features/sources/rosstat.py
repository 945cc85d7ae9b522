"""Reader for Rosstat «Регионы России. Социально-экономические показатели» section workbooks.

Each sheet of a section workbook is one table: a title line starting with the table number
(``3.4. СРЕДНЕМЕСЯЧНАЯ ...``), usually a unit line in parentheses, one header row of years, one
row per region (Russian Federation, federal districts, subjects, and the Tyumen/Arkhangelsk rows
with and without their okrugs), then a rule ``_____`` and footnotes. Tables whose header spans
two rows (several columns per year, or a second header line) are refused with a clear message
rather than guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from border_readiness.features.regions import UnknownRegionError, resolve_region
from border_readiness.features.sources._cells import CellParseError, parse_cell, strip_footnote
from border_readiness.features.sources._errors import SourceFormatError
from border_readiness.features.sources._tidy import TIDY_COLUMNS, join_notes, source_file_label
from border_readiness.features.sources.rosstat_footnotes import FootnoteNote, inclusion_notes

__all__ = [
    "LONG_COLUMNS",
    "RosstatTable",
    "aggregate_id",
    "list_tables",
    "read_rosstat_table",
    "read_rosstat_tables",
    "source_label",
]

#: Columns of the tidy long table every reader returns.
LONG_COLUMNS = list(TIDY_COLUMNS)

_YEAR_MIN, _YEAR_MAX = 1990, 2035
# Rows inside a table that are headings, not regions; they must carry no values.
_HEADING_ROWS = re.compile(r"^(в том числе|из них|в т\.ч\.)", re.IGNORECASE)
# The rule above the footnotes is underscores, dashes, or "¾¾¾¾¾" (a line drawn in a symbol
# font that openpyxl reads as text).
_RULE = re.compile(r"^[_\-—¾]{3,}$")
_ACADEMIC_YEAR = re.compile(r"^(\d{4})/(\d{4})$")
_UNIT_LINE = re.compile(r"^\((.*)\)$", re.DOTALL)


@dataclass(frozen=True)
class RosstatTable:
    """One parsed table: its metadata and the long rows.

    ``skipped_rows`` lists the labelled rows that were not regions (headings without values),
    so that nothing leaves the table unaccounted for.
    """

    sheet: str
    title: str
    unit: str
    years: tuple[int, ...]
    data: pd.DataFrame
    skipped_rows: tuple[str, ...] = field(default=())


def source_label(path: str | Path, raw_root: str | Path | None = None) -> str:
    """Path of a source file relative to the raw folder, as recorded in ``source_file``.

    Without ``raw_root`` (a workbook read on its own) the parent folder and file name are kept.

    Parameters
    ----------
    path : path-like
        The source file.
    raw_root : path-like, optional
        The raw folder that ``path`` lies in.

    Returns
    -------
    str
        POSIX-style relative path, e.g. ``"rosstat_regions_of_russia_2023/Раздел 3.xlsx"``.

    Examples
    --------
    >>> source_label("/x/raw/rosstat_regions_of_russia_2023/Раздел 3.xlsx", "/x/raw")
    'rosstat_regions_of_russia_2023/Раздел 3.xlsx'
    """
    if raw_root is not None:
        return source_file_label(path, raw_root)
    path = Path(path)
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def _open(path: Path):
    import openpyxl  # openpyxl is slow to import; only readers need it

    if not path.is_file():
        raise SourceFormatError(f"{path}: file not found")
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        raise SourceFormatError(f"{path}: not a readable .xlsx workbook ({exc})") from None


def list_tables(path: str | Path) -> list[str]:
    """Sheet names of a section workbook that are tables (their name starts with a number).

    Parameters
    ----------
    path : path-like
        A Rosstat section workbook (``.xlsx``).

    Returns
    -------
    list of str
        The table sheets (name like "3.4.") in workbook order; other sheets are left out.

    Raises
    ------
    SourceFormatError
        When the file is missing or is not a readable workbook.

    Examples
    --------
    >>> raw = Path("../shared/data/raw/rosstat_regions_of_russia_2023")
    >>> book = raw / "Раздел 3 - Уровень жизни населения.xlsx"
    >>> list_tables(book)[:3]  # doctest: +SKIP
    ['3.1.1.', '3.1.2.', '3.1.3.']
    """
    wb = _open(Path(path))
    try:
        return [s for s in wb.sheetnames if re.match(r"^\d+\.\d", s.strip())]
    finally:
        wb.close()


def _as_year(cell: object) -> int | None:
    if isinstance(cell, bool) or cell is None:
        return None
    if isinstance(cell, (int, float)):
        if float(cell).is_integer() and _YEAR_MIN <= int(cell) <= _YEAR_MAX:
            return int(cell)
        return None
    text, _ = strip_footnote(str(cell).replace("\u00a0", " "))
    text = text.replace(" ", "").rstrip(".г")
    if text.isdigit() and _YEAR_MIN <= int(text) <= _YEAR_MAX:
        return int(text)
    # "2021/2022": an academic year of a table "на начало учебного года" (at its start, in
    # the autumn of the first calendar year), stored under that first year.
    m = _ACADEMIC_YEAR.match(text)
    if m and int(m.group(2)) == int(m.group(1)) + 1 and _YEAR_MIN <= int(m.group(1)) <= _YEAR_MAX:
        return int(m.group(1))
    # "20009": year 2000 with footnote 9 whose superscript formatting was lost in the file.
    if len(text) == 5 and text.isdigit() and _YEAR_MIN <= int(text[:4]) <= _YEAR_MAX:
        return int(text[:4])
    return None


def _is_year_header(row: tuple) -> bool:
    # The header has an empty first cell and at least two increasing years; a data row whose
    # values happen to lie in 1990..2035 has a region name in its first cell.
    if not row or _text(row[0]):
        return False
    years = [y for c in row[1:] if (y := _as_year(c)) is not None]
    return len(years) >= 2 and years == sorted(years)


def _text(cell: object) -> str:
    return "" if cell is None else re.sub(r"\s+", " ", str(cell)).strip()


def _unit_from_title(title: str) -> str:
    # Tables without a unit line state it in the title's lowercase tail:
    # "КОЭФФИЦИЕНТЫ МИГРАЦИОННОГО ПРИРОСТА на 10 000 человек населения".
    body, _ = strip_footnote(title)
    m = re.search(r"\s((?:на|в|тысяч|миллион|процент)[^A-ZА-ЯЁ]*)$", body)
    return m.group(1).strip() if m else ""


def read_rosstat_table(
    path: str | Path,
    sheet: str,
    *,
    indicator: str | None = None,
    raw_root: str | Path | None = None,
) -> RosstatTable:
    """Read one table of a Rosstat «Регионы России» section workbook into the long layout.

    Parameters
    ----------
    path : path-like
        The section workbook (``Раздел N - ....xlsx``).
    sheet : str
        The table's sheet name, e.g. ``"3.4."``.
    indicator : str, optional
        Name given to the series; default ``"rr2023_<table number>"``.
    raw_root : path-like, optional
        The raw folder, to record ``source_file`` relative to it.

    Returns
    -------
    RosstatTable
        ``data`` has the columns of :data:`LONG_COLUMNS`, one row per region and year of the
        table's grid; a cell that holds no number is kept with ``value`` NaN and its reason in
        ``note``.

    Raises
    ------
    SourceFormatError
        When the sheet is missing, is not laid out as a Rosstat table, has a two-level header,
        or holds text that is not a number in a value cell (the message names the cell).
    UnknownRegionError
        When a row label carrying values is not a known region (the message lists the closest).

    Examples
    --------
    >>> raw = Path("../shared/data/raw/rosstat_regions_of_russia_2023")
    >>> book = raw / "Раздел 3 - Уровень жизни населения.xlsx"
    >>> t = read_rosstat_table(book, "3.4.")  # doctest: +SKIP
    >>> t.unit  # doctest: +SKIP
    'рублей'
    """
    path = Path(path)
    wb = _open(path)
    try:
        return _parse_table(path, wb, sheet, indicator, raw_root)
    finally:
        wb.close()


def read_rosstat_tables(
    path: str | Path,
    sheets: dict[str, str | None],
    *,
    raw_root: str | Path | None = None,
) -> list[RosstatTable]:
    """Read several tables of one workbook, opening it once.

    Parameters
    ----------
    path : path-like
        The section workbook.
    sheets : dict
        Sheet name -> indicator name (None for the default ``rr2023_<number>``).
    raw_root : path-like, optional
        The raw folder, to record ``source_file`` relative to it.

    Returns
    -------
    list of RosstatTable
        One per entry of ``sheets``, in the same order.

    Examples
    --------
    >>> read_rosstat_tables(book, {"3.4.": "wage", "3.2.": None})  # doctest: +SKIP
    """
    path = Path(path)
    wb = _open(path)
    try:
        return [_parse_table(path, wb, s, ind, raw_root) for s, ind in sheets.items()]
    finally:
        wb.close()


def _parse_table(path: Path, wb, sheet: str, indicator: str | None, raw_root) -> RosstatTable:
    where = f"{path.name}, sheet {sheet!r}"
    if sheet not in wb.sheetnames:
        raise SourceFormatError(f"{where}: no such sheet (has {', '.join(wb.sheetnames[:8])}…)")
    rows = [tuple(r) for r in wb[sheet].iter_rows(values_only=True)]

    header_at = next((i for i, r in enumerate(rows) if _is_year_header(r)), None)
    if header_at is None:
        raise SourceFormatError(
            f"{where}: no header row of years found; expected a Rosstat table "
            "(title, unit line, a row of years, one row per region)"
        )
    header = rows[header_at]
    year_cols = {j: _as_year(c) for j, c in enumerate(header) if j > 0 and _as_year(c)}
    years = list(year_cols.values())
    academic = {
        j: t for j in year_cols if _ACADEMIC_YEAR.match(t := _text(header[j]).replace(" ", ""))
    }
    if len(set(years)) != len(years):
        dup = sorted({y for y in years if years.count(y) > 1})
        raise SourceFormatError(
            f"{where}: two-level header (several columns for {dup}); not supported"
        )
    stray = [j for j, c in enumerate(header) if j > 0 and c is not None and j not in year_cols]
    if stray:
        raise SourceFormatError(
            f"{where}: header row {header_at + 1} has non-year columns "
            f"({_text(header[stray[0]])!r}); a two-level header is not supported"
        )
    nxt = rows[header_at + 1] if header_at + 1 < len(rows) else ()
    if nxt and not _text(nxt[0]) and any(c is not None for c in nxt[1:]):
        raise SourceFormatError(
            f"{where}: two-level header (second header line at row {header_at + 2}); not supported"
        )

    above = [_text(r[0]) for r in rows[:header_at] if r and _text(r[0])]
    number = sheet.strip().rstrip(".")
    title = next((t for t in above if t.replace(" ", "").startswith(number.replace(" ", ""))), "")
    if not title:
        raise SourceFormatError(
            f"{where}: no title line starting with the table number {number!r} above the header"
        )
    unit_lines = [m.group(1).strip() for t in above if (m := _UNIT_LINE.match(t))]
    unit = unit_lines[-1] if unit_lines else _unit_from_title(title)
    percent = "процент" in unit or unit.strip() == "%"

    source_file = source_label(path, raw_root)
    name = indicator or f"rr2023_{number}"
    records: list[tuple] = []
    skipped: list[str] = []
    seen: dict[str, int] = {}
    labels: dict[str, str] = {}
    for i in range(header_at + 1, len(rows)):
        row = rows[i]
        label = _text(row[0]) if row else ""
        values = [row[j] if j < len(row) else None for j in year_cols]
        if _RULE.match(label) or label.startswith("___"):
            break
        if not label:
            if any(v is not None and _text(v) for v in values):
                raise SourceFormatError(f"{where}, row {i + 1}: values without a region name")
            continue
        if re.match(r"^\d\)", label):  # footnotes start with "1)" when no rule precedes them
            break
        # A heading may carry a stray dash in a value column, never a number.
        if (_HEADING_ROWS.match(label) or label.endswith(":")) and all(
            parse_cell(v).missing for v in values if _text(v) not in ("-", "–")
        ):
            skipped.append(f"row {i + 1}: {label!r} (heading, no values)")
            continue
        rid, row_unit = _resolve_row(label, unit, where, i)
        if rid in seen:
            raise SourceFormatError(
                f"{where}, rows {seen[rid] + 1} and {i + 1}: region {rid} appears twice"
            )
        seen[rid] = i
        labels[label] = rid
        _, label_marks = strip_footnote(label)
        for (j, year), raw in zip(year_cols.items(), values, strict=True):
            try:
                cell = parse_cell(raw, percent_unit=percent)
            except CellParseError as exc:
                # openpyxl is imported only here and by the readers: every command that loads
                # the built dataset imports this module for its column names, not for Excel.
                from openpyxl.utils import get_column_letter

                col = get_column_letter(j + 1)
                raise SourceFormatError(f"{where}, cell {col}{i + 1} ({year}): {exc}") from None
            note = cell.note
            if academic.get(j) and not cell.missing:
                note = join_notes(note, f"academic year {academic[j]}")
            if label_marks and not cell.missing:
                note = "; ".join(filter(None, [note, f"row footnote {label_marks}"]))
            records.append(
                (rid, year, name, cell.value, row_unit, source_file, sheet.strip(), note)
            )
    if not records:
        raise SourceFormatError(f"{where}: the table has a header but no region rows")
    data = pd.DataFrame.from_records(records, columns=LONG_COLUMNS)
    data = _keep_apart(data, inclusion_notes(sheet, rows, labels), where)
    data["year"] = data["year"].astype("int64")
    data["value"] = data["value"].astype("float64")
    return RosstatTable(sheet.strip(), title, unit, tuple(years), data, tuple(skipped))


def _resolve_row(label: str, unit: str, where: str, i: int) -> tuple[str, str]:
    """Region id and unit of a row.

    Some tables print the national total in a larger unit than the regions, in the label:
    «Российская Федерация, млрд руб.». The value is kept as published with that row's unit.
    """
    try:
        return resolve_region(label, country="RU"), unit
    except UnknownRegionError as exc:
        head, sep, tail = label.rpartition(",")
        if sep and tail.strip() and not tail.strip()[0].isdigit():
            try:
                return resolve_region(head, country="RU"), tail.strip()
            except UnknownRegionError:
                pass
        raise UnknownRegionError(f"{where}, row {i + 1}: {exc}") from None


def aggregate_id(host: str, included: str) -> str | None:
    """The registry id of the aggregate of two subjects, in whichever order it is registered.

    Parameters
    ----------
    host : str
        The subject whose row carries the figure.
    included : str
        The subject the footnote says is included.

    Returns
    -------
    str or None
        ``"host+included"`` (or ``"included+host"``) when the registry has it.

    Examples
    --------
    >>> aggregate_id("RU-MOW", "RU-MOS")
    'RU-MOW+RU-MOS'
    >>> aggregate_id("RU-MOS", "RU-MOW")
    'RU-MOW+RU-MOS'
    """
    from border_readiness.features.regions import region_table

    table = region_table()
    for rid in (f"{host}+{included}", f"{included}+{host}"):
        if rid in table.index and table.at[rid, "kind"] == "subjects_combined":
            return rid
    return None


def _keep_apart(data: pd.DataFrame, notes: list[FootnoteNote], where: str) -> pd.DataFrame:
    """Store a figure that a footnote says includes another subject under their aggregate id.

    The host row's cells (from the note's first year on) move to the aggregate id and keep the
    footnote's text; the included subject's cells stay without a value, noted as counted in the
    aggregate, so that nothing downstream takes them for a mere gap. A note whose included
    subject has a figure of its own in those years is refused: the table would then contradict
    its footnote.
    """
    from border_readiness.features.regions import region_table

    kinds = region_table()["kind"]
    for note in notes:
        if not note.territorial:
            continue
        for host in note.rows:
            # Rows that are aggregates already (Tyumen with its okrugs) are kept apart as is.
            if host == note.included or kinds.get(host) != "subject":
                continue
            agg = aggregate_id(host, note.included)
            if agg is None:
                raise SourceFormatError(
                    f"{where}: footnote {note.mark}) says the row of {host} includes "
                    f"{note.included} ({note.text!r}); register the aggregate "
                    f"'{host}+{note.included}' (kind subjects_combined) in regions_ru.csv"
                )
            years = data["year"].between(note.from_year or 0, (note.to_year or 9999) - 1)
            at_host = years & (data["region_id"] == host)
            at_other = years & (data["region_id"] == note.included)
            own = data.loc[at_other & data["value"].notna(), "year"].tolist()
            if own:
                raise SourceFormatError(
                    f"{where}: footnote {note.mark}) says {host} includes {note.included}, "
                    f"but {note.included} has its own figures for {own[:3]}"
                )
            text = f"footnote {note.mark}): {note.text}"
            data.loc[at_host, "region_id"] = agg
            data.loc[at_host, "note"] = [join_notes(n, text) for n in data.loc[at_host, "note"]]
            data.loc[at_other, "note"] = [
                join_notes(n, f"counted in {agg} ({text})") for n in data.loc[at_other, "note"]
            ]
    return data
