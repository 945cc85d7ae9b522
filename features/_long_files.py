"""Reading a long-layout file of any supported kind, told from its content, not its name.

Private to :mod:`border_readiness.features.dataset`, which re-exports :func:`read_long_file`.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd

from border_readiness.errors import UserInputError
from border_readiness.features._csv_cells import unguard_frame
from border_readiness.features._file_kinds import (
    decode_utf8,
    describe,
    gunzip,
    read_user_bytes,
    sniff,
)

__all__ = ["DataValidationError", "read_long_file"]

_REQUIRED = "region_id, year, indicator, value"
_TEXT_COLUMNS = ("region_id", "indicator", "unit", "source_file", "source_table", "note", "status")


class DataValidationError(UserInputError):
    """A dataset that does not meet the long-layout contract; the message names the place."""

    # Defined here so that the reader needs no import of dataset.py (which imports it);
    # users meet it as border_readiness.features.dataset.DataValidationError.
    __module__ = "border_readiness.features.dataset"


def _cls() -> type[Exception]:
    return DataValidationError


def _error(message: str) -> Exception:
    return _cls()(message)


def _read_csv(text: str, label: str) -> pd.DataFrame:
    if not text.strip():
        raise _error(f"{label}: the file is empty; expected a long table with columns {_REQUIRED}")
    frame = pd.read_csv(
        io.StringIO(text),
        dtype=dict.fromkeys(_TEXT_COLUMNS, str),
        keep_default_na=False,
        na_values={"value": [""]},
        # The default parser is off by an ulp for some numbers; re-read must be exact.
        float_precision="round_trip",
    )
    return unguard_frame(frame)  # the ' that write_dataset_csv put before a formula


def _read_parquet(raw: bytes, label: str) -> pd.DataFrame:
    if not raw.endswith(b"PAR1"):  # the footer, which holds the schema, is written last
        raise _error(f"{label}: truncated or corrupt Parquet file (no footer); write it again")
    frame = pd.read_parquet(io.BytesIO(raw))
    # Categorical columns (pandas' and R's factors) would refuse the empty strings and ids the
    # validation writes into them; their values are what counts.
    for col in frame.columns:
        if isinstance(frame[col].dtype, pd.CategoricalDtype):
            frame[col] = frame[col].astype(object)
    return frame


def _read_xlsx(raw: bytes, label: str) -> pd.DataFrame:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(raw)).namelist())
    except zipfile.BadZipFile:
        raise _error(f"{label}: truncated or corrupt ZIP/Excel file; save it again") from None
    if "xl/workbook.xml" not in names:
        listed = ", ".join(sorted(names)[:3]) or "nothing"
        raise _error(
            f"{label}: a ZIP archive, not an Excel workbook (it holds {listed}); unpack it "
            "and give the CSV, Parquet or XLSX file inside"
        )
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        return pd.read_excel(io.BytesIO(raw), engine="openpyxl", dtype={"region_id": str})
    except (KeyError, zipfile.BadZipFile, InvalidFileException) as exc:
        raise _error(f"{label}: truncated or corrupt Excel workbook ({exc})") from None


def read_long_file(path: str | Path) -> pd.DataFrame:
    r"""Read a long-layout file (CSV, gzip-compressed CSV, Parquet or XLSX) without validating it.

    The kind is told from the content, not the name: a CSV saved as ``.xlsx`` is read as
    CSV, a ``.csv`` that is a workbook as a workbook.

    Parameters
    ----------
    path : path-like
        The file. CSV must be UTF-8 (a byte-order mark is accepted); a gzip file must hold a
        CSV; of a workbook the first sheet is read.

    Returns
    -------
    pandas.DataFrame
        The table as read: text columns as strings, empty ``value`` cells as NaN, categorical
        columns as plain values. Pass it to ``validate_long`` before use.

    Raises
    ------
    DataValidationError
        One line naming the file: missing, a folder, empty, truncated or corrupt (gzip, ZIP,
        Parquet), an Excel 97-2003 ``.xls``, a ZIP that is no workbook, binary junk, text
        that is not UTF-8, or a table that cannot be parsed.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile(suffix=".xlsx") as fh:  # a CSV, whatever its name
    ...     _ = fh.write(b"region_id,year,indicator,value\nRU-OMS,2021,grp,1.5\n")
    ...     fh.flush()
    ...     read_long_file(fh.name)["value"].tolist()
    [1.5]
    """
    path = Path(path)
    label = str(path)
    raw = read_user_bytes(path, _cls())
    if not raw:
        raise _error(f"{label}: the file is empty; expected a long table with columns {_REQUIRED}")
    kind = sniff(raw)
    if kind == "gzip":
        raw = gunzip(raw, label, _cls())
        kind = sniff(raw)
        if kind != "text":
            raise _error(
                f"{label}: binary content inside the gzip ({describe(kind)}); expected a "
                "gzip-compressed CSV"
            )
    try:
        if kind == "text":
            return _read_csv(decode_utf8(raw, label, _cls()), label)
        if kind == "parquet":
            return _read_parquet(raw, label)
        if kind == "zip":
            return _read_xlsx(raw, label)
    except (ValueError, OSError, ImportError, pd.errors.ParserError) as exc:
        if isinstance(exc, _cls()):
            raise
        raise _error(f"{label}: cannot be read ({str(exc).splitlines()[0]})") from None
    if kind == "utf16":
        raise _error(f"{label}: UTF-16 text (Excel's 'Unicode text'); save it as UTF-8 CSV")
    if kind == "ole2":
        raise _error(
            f"{label}: {describe(kind)}; save it as .xlsx or UTF-8 CSV (the long layout: "
            f"{_REQUIRED})"
        )
    raise _error(
        f"{label}: binary content ({describe(kind)}); expected a long table in CSV, Parquet or XLSX"
    )
