"""The tidy long table that every source reader returns, and the helpers that build it."""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from border_readiness.features.sources._errors import SourceFormatError

__all__ = ["TIDY_COLUMNS", "finalize_tidy", "join_notes", "source_file_label"]

#: Columns of every tidy table returned by the source readers, in this order.
TIDY_COLUMNS: tuple[str, ...] = (
    "region_id", "year", "indicator", "value", "unit", "source_file", "source_table", "note",
)  # fmt: skip


def join_notes(*parts: str) -> str:
    """Join non-empty notes with '; '.

    Examples
    --------
    >>> join_notes("footnote 2", "", "preliminary")
    'footnote 2; preliminary'
    """
    return "; ".join(p for p in parts if p)


def source_file_label(path: str | Path, raw_root: str | Path) -> str:
    """The path of a raw file relative to the raw folder, with ``/`` separators.

    Examples
    --------
    >>> source_file_label("/data/raw/open_data_kazakhstan/doctors-by-region/arzte.csv", "/data/raw")
    'open_data_kazakhstan/doctors-by-region/arzte.csv'
    """
    path, root = Path(path).absolute(), Path(raw_root).absolute()
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        raise SourceFormatError(f"{path}: not inside the raw folder {root}") from None


def finalize_tidy(records: Iterable[dict] | pd.DataFrame) -> pd.DataFrame:
    """Turn records into a sorted tidy table, collapsing equal duplicates and refusing others.

    The same (region, indicator, year) may be published twice, e.g. in two sheets of one
    workbook. Values equal at the published precision of 0.1 (or both missing) are collapsed
    into the first record, whose note then names where else it was published; different values
    raise :class:`SourceFormatError` naming both places.

    Examples
    --------
    >>> rec = dict(region_id="KZ", year=2020, indicator="kz_x", value=1.0, unit="%",
    ...            source_file="f.xlsx", source_table="a", note="")
    >>> finalize_tidy([rec, {**rec, "source_table": "b"}])["note"].tolist()
    ['also published in f.xlsx [b]']
    """
    frame = pd.DataFrame(records)
    if frame.empty:
        frame = pd.DataFrame(columns=[*TIDY_COLUMNS, "_where"])
    if "_where" not in frame:
        frame["_where"] = frame["source_file"] + " [" + frame["source_table"] + "]"
    frame = frame.reset_index(drop=True)
    key = ["region_id", "indicator", "year"]
    dup = frame.duplicated(key, keep=False)
    drop: list[int] = []
    for _, group in frame[dup].groupby(key, sort=False):
        first = group.index[0]
        for idx in group.index[1:]:
            a, b = frame.at[first, "value"], frame.at[idx, "value"]
            if not _same_value(a, b):
                raise SourceFormatError(
                    f"conflicting values for {tuple(group.loc[first, key])}: {a!r} at "
                    f"{frame.at[first, '_where']} vs {b!r} at {frame.at[idx, '_where']}"
                )
            if frame.at[first, "unit"] != frame.at[idx, "unit"]:
                raise SourceFormatError(
                    f"conflicting units for {tuple(group.loc[first, key])}: "
                    f"{frame.at[first, 'unit']!r} vs {frame.at[idx, 'unit']!r}"
                )
            also = f"also published in {frame.at[idx, '_where'].split(' cell ')[0]}"
            frame.at[first, "note"] = join_notes(frame.at[first, "note"], also)
            drop.append(idx)
    frame = frame.drop(index=drop)
    frame["year"] = frame["year"].astype("int64")
    frame["value"] = frame["value"].astype("float64")
    for col in ("region_id", "indicator", "unit", "source_file", "source_table", "note"):
        frame[col] = frame[col].astype(str)
    frame = frame.sort_values(key, kind="mergesort").reset_index(drop=True)
    return frame.loc[:, list(TIDY_COLUMNS)]


def _same_value(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    # Equal at the published precision (one decimal); float noise in the files is far smaller.
    return abs(a - b) <= 0.05 + 1e-9 * max(abs(a), abs(b))
