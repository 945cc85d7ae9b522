"""Parsing of single published cells.

This is the one place that knows how statistical offices write numbers. Rosstat and the
Kazakh BNS write values as numbers, as text with decimal commas and (non-breaking) spaces, with
footnote marks glued on (``17,83)`` is 17.8 with footnote 3), or as conventional symbols for "no
such phenomenon" (``-``) and "not available" (``…``). Every cell ends up either as a float, or as
a missing value with a recorded reason, or as an error: never silently dropped.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = ["CellParseError", "ParsedCell", "parse_cell", "strip_footnote"]

# A footnote mark is one digit followed by ")" (several may follow each other: "1);2)").
# Rosstat numbers its footnotes per table from 1 and never reaches 10 in the tables we read,
# so the last digit before ")" belongs to the mark, not to the number.
_FOOTNOTES = re.compile(r"(?:\s*[;,]?\s*\d\))+\s*$")
_SUPERSCRIPT_FOOTNOTES = re.compile(r"[\u00b9\u00b2\u00b3\u2070-\u2079]+\u207e?\s*$")
_DASHES = {"-", "–", "‐", "−", "—"}
_NOT_AVAILABLE = {"…", "...", "..", "…."}
_TIMES = re.compile(r"^в\s*(\d+(?:[.,]\d+)?)\s*р\.?$")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009\u00ad]+")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


class CellParseError(ValueError):
    """A cell holds text that is neither a number nor a known statistical symbol."""


@dataclass(frozen=True)
class ParsedCell:
    """The outcome of parsing one cell.

    ``value`` is a float or NaN; ``note`` says why the value is missing, or carries the footnote
    marks and conversions applied to a present value ('' when there is nothing to say).
    """

    value: float
    note: str = ""

    @property
    def missing(self) -> bool:
        return math.isnan(self.value)


def strip_footnote(text: str) -> tuple[str, str]:
    """Split trailing footnote marks off a label or number.

    Examples
    --------
    >>> strip_footnote("17,83)")
    ('17,8', '3')
    >>> strip_footnote("Российская Федерация1);2)")
    ('Российская Федерация', '1,2')
    """
    text = text.strip()
    marks: list[str] = []
    m = _FOOTNOTES.search(text)
    if m and m.start() > 0:
        marks = re.findall(r"(\d)\)", m.group(0))
        text = text[: m.start()].rstrip()
    m = _SUPERSCRIPT_FOOTNOTES.search(text)
    if m and m.start() > 0:
        sup = m.group(0).translate(str.maketrans("¹²³⁰⁴⁵⁶⁷⁸⁹", "1230456789", "⁾ "))
        marks.extend(sup)
        text = text[: m.start()].rstrip()
    return text, ",".join(marks)


def parse_cell(raw: object, *, percent_unit: bool = False) -> ParsedCell:
    r"""Parse one published cell into a float or a missing value with its reason.

    Parameters
    ----------
    raw : object
        The cell as read from the workbook or CSV (number, text or None).
    percent_unit : bool, default False
        Whether the table's unit is percent. Rosstat writes indices above 200 % as "в 5,8 р."
        (5.8 times); in a percent table this is converted to 580 and noted, elsewhere it is
        an error.

    Returns
    -------
    ParsedCell

    Raises
    ------
    CellParseError
        When the text is neither a number nor a known symbol.

    Examples
    --------
    >>> parse_cell("2\xa0308,0")
    ParsedCell(value=2308.0, note='')
    >>> parse_cell("17,83)")
    ParsedCell(value=17.8, note='footnote 3')
    >>> parse_cell("-").note
    'no such phenomenon (published as -)'
    >>> parse_cell("в 5,8 р.", percent_unit=True)
    ParsedCell(value=580.0, note='published as "в 5,8 р." (times), converted to percent')
    """
    if raw is None:
        return ParsedCell(math.nan, "empty cell")
    if isinstance(raw, bool):
        raise CellParseError(f"boolean {raw!r} is not a statistic")
    if isinstance(raw, (int, float)):
        value = float(raw)
        if math.isnan(value):
            return ParsedCell(math.nan, "empty cell")
        if math.isinf(value):
            raise CellParseError(f"infinite value {raw!r}")
        return ParsedCell(value)
    text = _SPACES.sub(" ", str(raw)).strip()
    if not text:
        return ParsedCell(math.nan, "empty cell")
    body, marks = strip_footnote(text)
    fn = f"footnote {marks}" if marks else ""
    compact = body.replace(" ", "")
    if compact in _DASHES:
        return ParsedCell(math.nan, _join("no such phenomenon (published as -)", fn))
    if compact in _NOT_AVAILABLE:
        return ParsedCell(math.nan, _join("not available (published as …)", fn))
    m = _TIMES.match(body)
    if m:
        if not percent_unit:
            raise CellParseError(f"{text!r} ('times') in a table whose unit is not percent")
        times = float(m.group(1).replace(",", "."))
        note = f'published as "{body}" (times), converted to percent'
        return ParsedCell(round(times * 100, 6), _join(note, fn))
    number = compact.replace(",", ".").replace("−", "-").replace("–", "-")
    if _NUMBER.match(number):
        return ParsedCell(float(number), fn)
    raise CellParseError(f"{text!r} is not a number or a known statistical symbol")


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)
