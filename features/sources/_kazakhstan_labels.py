"""Cell text, row labels and footnote marks of the Kazakh tables, and the units' validity years.

Small pure helpers shared by :mod:`.kazakhstan` (the BNS GRP workbook) and
``_kazakhstan_opendata`` (the Open Data Kazakhstan extracts): recognising year and period
headers, splitting footnote marks off labels, collecting the footnote lines under a table, and
telling from the registry whether a name is a Kazakh unit and in which years it existed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from border_readiness.features.regions import UnknownRegionError, region_table, resolve_region
from border_readiness.features.sources._cells import strip_footnote

# Headers of quarterly or cumulative-period columns (English and Russian editions). Only these
# are skipped; any other header that is not a year raises.
_PERIOD = re.compile(r"quarter|half-year|months|квартал|полугоди|месяц", re.IGNORECASE)
_YEAR = re.compile(r"(\d{4})(?:\s*(?:год|г\.?))?")
# A footnote line under a table: "2) preliminary data", "2)Hereinafter ...", "** Данные ...".
_FOOTNOTE_LINE = re.compile(r"^\s*(\d\)|\*+)\s*(.+?)\s*$", re.DOTALL)
# A footnote stating that a row labelled Turkistan holds South Kazakhstan data for some years,
# e.g. "Данные за 2000-2016гг. по Южно-Казахстанской области."
_YUZ_FOOTNOTE = re.compile(r"(\d{4})\s*[-–]\s*(\d{4})\s*г{1,2}\.?\s*по\s+Южно-Казахстанской")


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


def _years(rid: str) -> tuple[int | None, int | None]:
    row = region_table().loc[rid]
    return (
        int(row["valid_from"]) if row["valid_from"] else None,
        int(row["valid_to"]) if row["valid_to"] else None,
    )


def _valid_in(rid: str, year: int) -> bool:
    start, end = _years(rid)
    return (start is None or year >= start) and (end is None or year <= end)
