"""Find the bundled Rosstat tables in any edition of «Регионы России», by title and unit.

Table numbers shift between editions of «Регионы России. Социально-экономические показатели»
(a table is inserted, a sub-table split off), so a sheet name alone does not say which series it
holds. Each table the bundle reads is described in ``features/data/rosstat_tables.toml`` by its
heading (the title lines above the year header, table numbers and footnote marks removed) and
its unit line. The sheet named in ``bundle.toml`` is tried first; when its heading or unit
differs, every table sheet of the workbook is searched, and exactly one must match. Anything
else is a :class:`~border_readiness.features.sources._errors.SourceFormatError` naming the table.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from border_readiness.features.sources._cells import strip_footnote
from border_readiness.features.sources._errors import SourceFormatError
from border_readiness.features.sources.rosstat import (
    RosstatTable,
    _is_year_header,
    _open,
    _parse_table,
    _text,
    _unit_from_title,
)

__all__ = [
    "TableSpec",
    "load_table_specs",
    "locate_tables",
    "normalise_heading",
    "read_edition_tables",
    "read_rosstat_bundle",
    "table_heading",
]

# Lines above the header that every sheet of the yearbook carries and that say nothing about the
# table: the book's running title and the section heading ("3. УРОВЕНЬ ЖИЗНИ НАСЕЛЕНИЯ").
_BOILERPLATE = re.compile(r"^социально-экономические показатели по субъектам", re.IGNORECASE)
_SECTION_HEADING = re.compile(r"^\d+\.\s+[^\d]*$")
_NUMBER_PREFIX = re.compile(r"^\d+(?:\.\s*\d+)*\.?\s*")
_UNIT_LINE = re.compile(r"^\((.*)\)$", re.DOTALL)
# How far down a sheet the header of years may lie; Rosstat's sit on rows 5-8.
_HEAD_ROWS = 15


@dataclass(frozen=True)
class TableSpec:
    """What one bundled table is: the indicator it feeds, its heading and unit, its usual sheet."""

    indicator: str
    sheet: str
    titles: tuple[str, ...]
    units: tuple[str, ...]

    def describe(self) -> str:
        """Short label for messages: sheet, quoted heading and unit.

        Returns
        -------
        str
            E.g. ``"table 3.4. «денежные доходы населения / ...» (рублей)"``.
        """
        return f"table {self.sheet} «{self.titles[0]}» ({self.units[0] or 'no unit line'})"


def normalise_heading(text: str) -> str:
    """Heading text as compared across editions: lower case, ``ё`` as ``е``, one space, no marks.

    Parameters
    ----------
    text : str
        A title, sub-title or unit line as printed.

    Returns
    -------
    str
        The text without a leading table number or trailing footnote marks, lower-cased, with
        dashes unified and whitespace collapsed.

    Examples
    --------
    >>> normalise_heading("21.2.1.  Экспорт1)")
    'экспорт'
    >>> normalise_heading("3.4. СРЕДНЕМЕСЯЧНАЯ  НОМИНАЛЬНАЯ")
    'среднемесячная номинальная'
    """
    text = re.sub(r"\s+", " ", str(text)).strip()
    text = _NUMBER_PREFIX.sub("", text)
    text, _ = strip_footnote(text)
    text = text.lower().replace("ё", "е")
    text = re.sub(r"[–—‑]", "-", text)
    return re.sub(r"\s+", " ", text).strip(" .")


def table_heading(rows: list[tuple]) -> tuple[str, str] | None:
    """Heading and unit of a sheet from its top rows, as :class:`TableSpec` records them.

    Parameters
    ----------
    rows : list of tuple
        The sheet's first rows (values only).

    Returns
    -------
    (str, str) or None
        The normalised title lines above the year header joined by ``" / "`` (the parent
        table's title first, so "Экспорт" of far-abroad and of CIS trade differ), and the
        normalised unit (the last line in parentheses, else the title's lowercase tail, else
        ``""``); None when the sheet has no header row of years.

    Examples
    --------
    >>> table_heading([("21.1. ТОРГОВЛЯ",), ("21.1.1. Экспорт",), ("(млн)",), (None, 2000, 2001)])
    ('торговля / экспорт', 'млн')
    """
    header_at = next((i for i, r in enumerate(rows) if _is_year_header(r)), None)
    if header_at is None:
        return None
    lines = [_text(r[0]) for r in rows[:header_at] if r and _text(r[0])]
    units = [m.group(1).strip() for t in lines if (m := _UNIT_LINE.match(t))]
    titles = [
        t
        for t in lines
        if not _UNIT_LINE.match(t) and not _BOILERPLATE.match(t) and not _SECTION_HEADING.match(t)
    ]
    unit = units[-1] if units else (_unit_from_title(titles[-1]) if titles else "")
    return " / ".join(normalise_heading(t) for t in titles), normalise_heading(unit)


def load_table_specs(path: str | Path | None = None) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Expected heading(s) and unit(s) of every bundled Rosstat table, keyed by indicator.

    Parameters
    ----------
    path : path-like, optional
        A TOML file with one ``[indicator]`` table holding ``title`` and ``unit`` (a string or a
        list of accepted alternatives); default the packaged ``rosstat_tables.toml``.

    Returns
    -------
    dict
        indicator -> (titles, units), each a tuple of normalised strings.

    Examples
    --------
    >>> specs = load_table_specs()
    >>> specs["wage_avg_monthly_nominal"][1]
    ('рублей',)
    """
    path = (
        Path(path)
        if path
        else Path(
            str(resources.files("border_readiness.features") / "data" / "rosstat_tables.toml")
        )
    )
    with open(path, "rb") as fh:
        raw = tomllib.load(fh)

    def many(value) -> tuple[str, ...]:
        values = [value] if isinstance(value, str) else list(value)
        return tuple(normalise_heading(v) for v in values)

    return {ind: (many(e["title"]), many(e["unit"])) for ind, e in raw.items()}


def _heading_of(wb, sheet: str) -> tuple[str, str] | None:
    return table_heading(
        [tuple(r) for r in wb[sheet].iter_rows(max_row=_HEAD_ROWS, values_only=True)]
    )


def _matches(spec: TableSpec, heading: tuple[str, str] | None) -> bool:
    return heading is not None and heading[0] in spec.titles and heading[1] in spec.units


def locate_tables(path: str | Path, specs: list[TableSpec]) -> dict[str, str]:
    """Sheet of a workbook that holds each expected table, matched by heading and unit.

    Parameters
    ----------
    path : path-like
        A section workbook of any edition.
    specs : list of TableSpec
        The tables wanted from it.

    Returns
    -------
    dict
        indicator -> sheet name in this workbook (the usual sheet when it still matches).

    Raises
    ------
    SourceFormatError
        When no sheet, or more than one, has the expected heading and unit; the message names
        the table, what the usual sheet holds now, and the sheets that came closest.

    Examples
    --------
    >>> locate_tables(book, [TableSpec("wage", "3.4.", ("...",), ("рублей",))])  # doctest: +SKIP
    {'wage': '3.4.'}
    """
    path = Path(path)
    wb = _open(path)
    try:
        found: dict[str, str] = {}
        cache: dict = {}
        for spec in specs:
            found[spec.indicator] = _locate_one(wb, path, spec, cache)
        return found
    finally:
        wb.close()


def _locate_one(wb, path: Path, spec: TableSpec, cache: dict) -> str:
    if spec.sheet in wb.sheetnames and _matches(spec, _heading_of(wb, spec.sheet)):
        return spec.sheet
    if "headings" not in cache:  # every table's heading is read once, only when a number moved
        cache["headings"] = {
            s: _heading_of(wb, s) for s in wb.sheetnames if re.match(r"^\d+\.\d", s.strip())
        }
    headings = cache["headings"]
    hits = [s for s, h in headings.items() if _matches(spec, h)]
    if len(hits) == 1:
        return hits[0]
    raise SourceFormatError(_mismatch(path, spec, headings, hits))


def _mismatch(path: Path, spec: TableSpec, headings: dict, hits: list[str]) -> str:
    where = f"{path.name}: {spec.describe()} for {spec.indicator!r}"
    if hits:
        return f"{where} matches several sheets ({', '.join(hits)}); give the sheet's title"
    now = headings.get(spec.sheet)
    held = (
        f"sheet {spec.sheet} now holds «{now[0]}» ({now[1] or 'no unit line'})"
        if now
        else f"no sheet {spec.sheet}"
        if spec.sheet not in headings
        else f"sheet {spec.sheet} is not a table (no header row of years)"
    )
    same_title = [s for s, h in headings.items() if h and h[0] in spec.titles]
    near = (
        f"; {', '.join(same_title)} has that title in another unit "
        f"({', '.join(headings[s][1] or 'no unit line' for s in same_title)})"
        if same_title
        else "; no sheet has that title and unit"
    )
    return f"{where} not found: {held}{near}"


def read_edition_tables(
    path: str | Path,
    specs: list[TableSpec],
    *,
    raw_root: str | Path | None = None,
) -> tuple[list[RosstatTable], dict[str, str]]:
    """Read the expected tables of one workbook, wherever this edition numbers them.

    Parameters
    ----------
    path : path-like
        A section workbook of any edition.
    specs : list of TableSpec
        The tables wanted, with their usual sheet.
    raw_root : path-like, optional
        The raw folder, to record ``source_file`` relative to it.

    Returns
    -------
    (list of RosstatTable, dict)
        One table per spec in order, and indicator -> new sheet for the tables found under
        another number than the usual one (empty for the edition the bundle was made from).

    Raises
    ------
    SourceFormatError
        When a table is not found by heading and unit, or cannot be read.

    Examples
    --------
    >>> tables, moved = read_edition_tables(book, specs)  # doctest: +SKIP
    """
    path = Path(path)
    wb = _open(path)
    try:
        tables: list[RosstatTable] = []
        moved: dict[str, str] = {}
        used: dict[str, str] = {}
        cache: dict = {}
        # Each table is located and read before the next, so the first problem in the
        # workbook's order is the one reported.
        for spec in specs:
            sheet = _locate_one(wb, path, spec, cache)
            if sheet in used:
                raise SourceFormatError(
                    f"{path.name}: sheet {sheet} matches both {used[sheet]!r} and "
                    f"{spec.indicator!r}; their titles in rosstat_tables.toml must differ"
                )
            used[sheet] = spec.indicator
            if sheet != spec.sheet:
                moved[spec.indicator] = sheet
            tables.append(_parse_table(path, wb, sheet, spec.indicator, raw_root))
        return tables, moved
    finally:
        wb.close()


def _rosstat_folder(raw_root: Path, name: str) -> Path:
    # The bundle names the 2023 edition's folder; a raw folder holding one other edition
    # (rosstat_regions_of_russia_2024/) is read from there instead.
    if (raw_root / name).is_dir():
        return raw_root / name
    stem = re.sub(r"\d{4}$", "", name)
    editions = sorted(p for p in raw_root.glob(f"{stem}*") if p.is_dir())
    if len(editions) == 1:
        return editions[0]
    found = ", ".join(p.name for p in editions) or "none"
    raise SourceFormatError(
        f"{raw_root}: no folder {name}/ and not exactly one {stem}*/ edition (found: {found})"
    )


def _section_workbook(folder: Path, file: str, manifest: str) -> Path:
    # Editions keep the section number ("Раздел 16 - ...") but may reword the file name.
    if (folder / file).is_file():
        return folder / file
    section = re.match(r"^(Раздел\s+\d+)\b", file)
    hits = (
        sorted(p for p in folder.glob("*.xlsx") if re.match(rf"^{section.group(1)}\b", p.name))
        if section
        else []
    )
    if len(hits) == 1:
        return hits[0]
    raise SourceFormatError(f"{folder / file}: file not found (listed in {manifest})")


def read_rosstat_bundle(raw_root, spec: dict, manifest: str, say, moved_tables: list[str]):
    """Read every Rosstat table a bundle manifest lists, in any edition of the yearbook.

    Parameters
    ----------
    raw_root : path-like
        The raw folder.
    spec : dict
        The manifest's ``[rosstat]`` table: ``folder`` and the ``table`` groups (``file`` and
        its ``tables`` entries with ``sheet`` and ``indicator``).
    manifest : str
        The manifest's file name, for messages.
    say : callable
        Progress messages.
    moved_tables : list of str
        Filled with one line per table found under another number than the manifest's.

    Yields
    ------
    (pathlib.Path, list of (dict, RosstatTable))
        Per workbook, each manifest entry with the table read for it.

    Raises
    ------
    SourceFormatError
        When a workbook is missing, or a table is not found by its title and unit.

    Examples
    --------
    >>> parts = read_rosstat_bundle(raw, spec, "bundle.toml", print, [])  # doctest: +SKIP
    >>> for path, tables in parts:  # doctest: +SKIP
    ...     pass
    """
    raw_root = Path(raw_root)
    folder = _rosstat_folder(raw_root, spec["folder"])
    expected = load_table_specs()
    for group in spec["table"]:
        path = _section_workbook(folder, group["file"], manifest)
        say(f"reading {path.name} ({len(group['tables'])} tables)")
        specs = []
        for entry in group["tables"]:
            if entry["indicator"] not in expected:
                raise SourceFormatError(
                    f"{manifest}: table {entry['sheet']} ({entry['indicator']}) has no title and "
                    "unit in rosstat_tables.toml; tables are matched by title and unit"
                )
            titles, units = expected[entry["indicator"]]
            specs.append(TableSpec(entry["indicator"], entry["sheet"], titles, units))
        tables, moved = read_edition_tables(path, specs, raw_root=raw_root)
        for entry in group["tables"]:
            if entry["indicator"] in moved:
                moved_tables.append(
                    f"{path.name}: {entry['sheet']} -> {moved[entry['indicator']]} "
                    f"({entry['indicator']}, matched by title and unit)"
                )
                say(moved_tables[-1])
        yield path, list(zip(group["tables"], tables, strict=True))
