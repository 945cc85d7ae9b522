"""What a value means: a figure, a structural zero, not published, or confidential.

The meaning of a cell of the long table is carried by the value itself or by the optional
``status`` column, never by free text such as ``note``: a file with only the four required
columns (``region_id, year, indicator, value``) means exactly what the bundled file means.

=================  =================================================  =====================
status             meaning                                            written in ``value``
=================  =================================================  =====================
``value``          a published figure (0 is a figure: "zero tonnes")  the number
``zero``           structural zero, Rosstat's ``-`` "no such          ``-`` (or empty, or 0
                   phenomenon" (the Altai Republic has no railways)   with the status)
``not_published``  the source gives no number (``…``, empty cell)     empty, ``…`` or ``...``
``confidential``   withheld for confidentiality (Rosstat's ``к``)     ``x`` or ``к``
=================  =================================================  =====================

Without a ``status`` column (or where its cell is empty) the status is read from ``value``: a
number is a figure, ``-`` a structural zero, an empty cell or ``…`` not published, ``x``/``к``
confidential. The table keeps ``value`` NaN for every status but ``value``; the compiler reads a
structural zero as 0 and logs it as such.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from border_readiness.errors import UserInputError
from border_readiness.features._text import stripped_text

__all__ = [
    "STATUS_CODES",
    "VALUE_MARKERS",
    "StatusError",
    "cell_text",
    "resolve_status",
    "status_from_source_note",
]

#: The closed set of status codes, in the order of the table above.
STATUS_CODES = ("value", "zero", "not_published", "confidential")

#: Text accepted in ``value`` in place of a number, and the status it stands for. Rosstat's
#: conventions («-» нет явления, «…» нет данных, «к» конфиденциально) and their ASCII forms.
VALUE_MARKERS = {
    "-": "zero", "–": "zero", "—": "zero", "−": "zero", "‐": "zero",
    "…": "not_published", "...": "not_published", "..": "not_published",
    "x": "confidential", "X": "confidential", "х": "confidential", "Х": "confidential",
    "к": "confidential", "К": "confidential",
}  # fmt: skip

# What the writer puts in ``value`` for each status that has no number: one marker per status
# so that trimming an exported file to four columns keeps the meaning.
_WRITTEN = {"zero": "-", "confidential": "x", "not_published": ""}

_NO_PHENOMENON = "no such phenomenon"


class StatusError(UserInputError):
    """A ``status`` or ``value`` cell outside the contract; the message names the file and row."""


def cell_text(value: float, status: str) -> str:
    """The text written in the ``value`` cell of a CSV.

    Parameters
    ----------
    value : float
        The number (NaN unless ``status`` is ``"value"``).
    status : str
        One of :data:`STATUS_CODES`.

    Returns
    -------
    str
        A figure in its shortest round-tripping form (so the file is stable byte for byte);
        ``"-"`` for a structural zero, ``"x"`` for confidential, ``""`` for not published.

    Examples
    --------
    >>> cell_text(12.0, "value"), cell_text(float("nan"), "zero")
    ('12', '-')
    """
    if status != "value":
        return _WRITTEN[status]
    v = float(value)  # numpy scalars repr as "np.float64(...)"
    if math.isnan(v):
        return ""
    return repr(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)


def status_from_source_note(value: pd.Series, note: pd.Series) -> pd.Series:
    """Status of cells read from the official workbooks, from the readers' own notes.

    Only the source readers (``features/sources``) write these notes, in a fixed wording
    (``"no such phenomenon (published as -)"``); a user's file is never read this way.

    Parameters
    ----------
    value : pandas.Series
        Float values, NaN where the source gives no number.
    note : pandas.Series
        The readers' notes, aligned with ``value``.

    Returns
    -------
    pandas.Series
        ``"value"`` where a number is present, ``"zero"`` where the note says no such
        phenomenon, ``"not_published"`` otherwise.

    Examples
    --------
    >>> status_from_source_note(pd.Series([1.0, np.nan]),
    ...                         pd.Series(["", "no such phenomenon (published as -)"])).tolist()
    ['value', 'zero']
    """
    zero = value.isna() & note.fillna("").astype(str).str.startswith(_NO_PHENOMENON)
    out = np.where(value.notna(), "value", np.where(zero, "zero", "not_published"))
    return pd.Series(out, index=value.index, dtype=object)


def resolve_status(
    value: pd.Series, status: pd.Series | None, *, source: str, line: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """Numbers and statuses of a ``value`` column (and an optional ``status`` column).

    Parameters
    ----------
    value : pandas.Series
        The column as read: numbers, empty cells (NaN or ""), or the markers of
        :data:`VALUE_MARKERS`.
    status : pandas.Series or None
        The optional ``status`` column as read (empty cells: read from ``value``).
    source : str
        What to call the table in error messages (the file path).
    line : pandas.Series
        The spreadsheet line of each row (header is line 1), aligned with ``value``.

    Returns
    -------
    (pandas.Series, pandas.Series)
        ``value`` as float64 (NaN unless the status is ``value``) and ``status`` as text codes.

    Raises
    ------
    StatusError
        An unknown status code, text in ``value`` that is neither a number nor a marker, or a
        status that contradicts the value (a figure without a number, a structural zero with a
        number other than 0, a number marked not published or confidential).

    Examples
    --------
    >>> v, s = resolve_status(pd.Series(["12.5", "-", "", "x"]), None, source="f.csv",
    ...                       line=pd.Series([2, 3, 4, 5]))
    >>> s.tolist()
    ['value', 'zero', 'not_published', 'confidential']
    """
    if value.dtype == object:
        text = value.astype(str).str.strip().where(value.notna(), "")
        text = text.mask(text.isin(["nan", "NaN"]), "")
        numbers = pd.to_numeric(text.where(~text.isin(VALUE_MARKERS) & (text != "")), "coerce")
        # pandas' string parser can be an ulp off; Python's float() is exact, so a file written
        # with the shortest round-tripping repr reads back bit for bit.
        parsed = numbers.notna()
        numbers = numbers.astype("float64")
        numbers[parsed] = text[parsed].map(float).to_numpy(dtype="float64")
        bad = numbers.isna() & (text != "") & ~text.isin(VALUE_MARKERS)
        if bad.any():
            i = bad.idxmax()
            raise StatusError(
                f"{source}, row {line[i]}, column value: {value[i]!r} is not a number; "
                "write a structural zero as -, an unpublished value as an empty cell or …, "
                "a confidential one as x (or give the `status` column)"
            )
        implied = text.map(VALUE_MARKERS).fillna("not_published")
    else:
        numbers = pd.to_numeric(value).astype("float64")
        implied = pd.Series("not_published", index=value.index, dtype=object)
    numbers = numbers.astype("float64")
    implied = implied.mask(numbers.notna(), "value")
    if status is None:
        return numbers.where(implied == "value"), implied.astype(object)

    given = stripped_text(status.fillna(""))
    unknown = (given != "") & ~given.isin(STATUS_CODES)
    if unknown.any():
        i = unknown.idxmax()
        raise StatusError(
            f"{source}, row {line[i]}, column status: unknown code {status[i]!r}; "
            f"allowed: {', '.join(STATUS_CODES)} (or an empty cell)"
        )
    final = given.mask(given == "", implied)
    conflicts = [
        (final == "value") & numbers.isna(),
        (final == "zero") & numbers.notna() & (numbers != 0),
        final.isin(["not_published", "confidential"]) & numbers.notna(),
        (final != "value") & (implied != "value") & (implied != "not_published")
        & (implied != final),
    ]  # fmt: skip
    for bad in conflicts:
        if bad.any():
            i = bad.idxmax()
            raise StatusError(
                f"{source}, row {line[i]}: status {final[i]!r} contradicts value {value[i]!r}"
            )
    return numbers.where(final == "value"), final.astype(object)
