"""CSV cells that a spreadsheet would run as formulas, neutralised the OWASP way.

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a
formula by Excel, LibreOffice and Google Sheets when the CSV is opened ("CSV injection"). Every
CSV the package writes for users passes through :func:`guard_frame`, which prefixes such a cell
with a single quote ``'``, as OWASP recommends; the spreadsheet then shows the text as typed.
Not touched: numbers (numeric columns, and text cells that read as a number, so ``-6.6``
stays a number) and a lone ``-``, the dataset's marker of a structural zero
(:mod:`border_readiness.features.status`), which no spreadsheet runs.

A cell that already starts with quotes before such a character gets one more quote, so
:func:`unguard_frame` (applied when a CSV is read back) restores every cell exactly:
``data export`` files read back identically.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["FORMULA_STARTS", "guard_cell", "guard_frame", "unguard_cell", "unguard_frame"]

#: First characters that make a spreadsheet read a cell as a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _risky(text: str) -> bool:
    return text.startswith(FORMULA_STARTS) and text != "-" and not _is_number(text)


def guard_cell(value):
    """The cell with a ``'`` in front when a spreadsheet would run it as a formula.

    Parameters
    ----------
    value : object
        A cell; anything but a string is returned as it is.

    Returns
    -------
    object
        ``value``, or ``"'" + value`` for a risky string (also one already quoted before a
        risky start, so that :func:`unguard_cell` undoes exactly this).

    Examples
    --------
    >>> guard_cell("=HYPERLINK(1)"), guard_cell("-6.6"), guard_cell("-"), guard_cell("Omsk")
    ("'=HYPERLINK(1)", '-6.6', '-', 'Omsk')
    """
    if isinstance(value, str) and _risky(value.lstrip("'")):
        return "'" + value
    return value


def unguard_cell(value):
    """Undo :func:`guard_cell`: the one quote it added is removed, any other text is kept.

    Parameters
    ----------
    value : object

    Returns
    -------
    object

    Examples
    --------
    >>> unguard_cell("'=1+1"), unguard_cell("''=1+1"), unguard_cell("'quoted")
    ('=1+1', "'=1+1", "'quoted")
    """
    if isinstance(value, str) and value.startswith("'") and guard_cell(value[1:]) == value:
        return value[1:]
    return value


def _text_columns(frame: pd.DataFrame) -> list:
    return [
        c
        for c in frame.columns
        if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])
    ]


def guard_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with every risky text cell guarded (:func:`guard_cell`), headers included.

    Parameters
    ----------
    frame : DataFrame

    Returns
    -------
    DataFrame
        ``frame`` itself when nothing needed a guard, else a guarded copy; numeric columns
        are never changed.

    Examples
    --------
    >>> import pandas as pd
    >>> guard_frame(pd.DataFrame({"note": ["=1+1", "ok"], "x": [-1.0, 2.0]})).to_dict("list")
    {'note': ["'=1+1", 'ok'], 'x': [-1.0, 2.0]}
    """
    return _apply(frame, guard_cell)


def unguard_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`guard_frame` on a table read from a CSV.

    Parameters
    ----------
    frame : DataFrame

    Returns
    -------
    DataFrame
        ``frame`` itself when no cell was guarded, else a copy with the guards removed.

    Examples
    --------
    >>> import pandas as pd
    >>> unguard_frame(pd.DataFrame({"note": ["'=1+1"]})).to_dict("list")
    {'note': ['=1+1']}
    """
    return _apply(frame, unguard_cell)


def _apply(frame: pd.DataFrame, cell) -> pd.DataFrame:
    """``cell`` over every text column and the column names; ``frame`` itself if unchanged."""
    # Only candidate cells are mapped one by one (the bundled table has 170 000 rows).
    starts = ("'", *FORMULA_STARTS) if cell is guard_cell else "'"
    changed = {}
    for c in _text_columns(frame):
        # Checked on the distinct values first: ids, units and file names repeat a lot.
        try:
            distinct = pd.unique(frame[c])
        except TypeError:  # unhashable cells (lists): pandas writes them as their repr
            distinct = frame[c]
        if not any(isinstance(v, str) and v.startswith(starts) for v in distinct):
            continue
        candidates = frame[c].map(lambda v: isinstance(v, str) and v.startswith(starts))
        candidates = candidates.to_numpy(dtype=bool)
        if candidates.any():
            column = frame[c].copy()
            column[candidates] = column[candidates].map(cell)
            if not column.equals(frame[c]):
                changed[c] = column
    names = {c: cell(c) for c in frame.columns if isinstance(c, str) and cell(c) != c}
    if not changed and not names:
        return frame
    out = frame.copy()
    for c, s in changed.items():
        out[c] = s
    return out.rename(columns=names)
