"""Layering a user's rows over a long table (``--add FILE`` over the bundled data or ``--data``).

A row of an added file whose key ``(region_id, year, indicator)`` is new is appended; one whose
key the base (or an earlier added file) already holds with the same value and status is accepted
as it is; one with a different value -- a NaN against a number, or a structural zero against
"not published", counts as different -- is an error naming the file, its line, the key and both
values, unless ``replace`` is given: then the added value wins and every replaced value is
listed. Pure pandas: the caller reads and validates the files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from border_readiness.features.dataset import LONG_COLUMNS, DataValidationError
from border_readiness.features.regions import resolve_region

__all__ = ["REPLACED_COLUMNS", "LayerConflictError", "Layered", "file_lines", "layer"]

KEY = ["region_id", "year", "indicator"]

#: Columns of :attr:`Layered.replaced`.
REPLACED_COLUMNS = [*KEY, "old_value", "new_value", "old_status", "new_status", "file", "row"]


class LayerConflictError(DataValidationError):
    """An added row gives a different value for a key the data already holds."""


@dataclass(frozen=True)
class Layered:
    """The layered table and what the layering did.

    Attributes
    ----------
    data : DataFrame
        The long table, normalised and sorted as :func:`~.dataset.validate_long` returns it.
    replaced : DataFrame
        One row per replaced value (:data:`REPLACED_COLUMNS`); empty without ``replace``.
    added : DataFrame
        Per added file: ``file, rows, new, identical, replaced``.
    """

    data: pd.DataFrame
    replaced: pd.DataFrame
    added: pd.DataFrame


def file_lines(raw: pd.DataFrame, validated: pd.DataFrame) -> pd.Series:
    """The 1-based line in its file (header = line 1) of each row of a validated table.

    Parameters
    ----------
    raw : DataFrame
        The table as read from the file, in file order.
    validated : DataFrame
        ``validate_long(raw)`` (same rows, sorted; keys are unique).

    Returns
    -------
    Series
        Line numbers aligned with ``validated.index``.

    Examples
    --------
    >>> raw = pd.DataFrame({"region_id": ["RU-OMS", "RU-AL"], "year": [2020, 2020],
    ...                     "indicator": ["x", "x"], "value": [1.0, 2.0]})
    >>> valid = raw.sort_values("region_id", ignore_index=True)
    >>> file_lines(raw, valid).tolist()
    [3, 2]
    """
    ids = {r: resolve_region(r) for r in pd.unique(raw["region_id"].astype(str))}
    keys = pd.MultiIndex.from_arrays(
        [
            raw["region_id"].astype(str).map(ids),
            pd.to_numeric(raw["year"]).astype("int64"),
            raw["indicator"].astype(str).str.strip(),
        ]
    )
    line = pd.Series(np.arange(2, len(raw) + 2), index=keys)
    return pd.Series(
        line.reindex(pd.MultiIndex.from_frame(validated[KEY])).to_numpy(), index=validated.index
    )


def _show(v: float, status: str) -> str:
    if status != "value":
        return {"zero": "a structural zero (-)", "confidential": "confidential (x)"}.get(
            status, "not published (empty)"
        )
    return "empty" if pd.isna(v) else repr(float(v))


def layer(
    base: pd.DataFrame,
    added_frames: Sequence[tuple[str, pd.DataFrame]],
    replace: bool = False,
) -> Layered:
    """Layer validated long tables over a base table, in order.

    Parameters
    ----------
    base : DataFrame
        A validated long table (the bundled dataset or ``--data``).
    added_frames : sequence of (str, DataFrame)
        ``(file name, validated table)`` pairs, applied in order; a table may carry a ``line``
        column (its rows' 1-based lines in the file, :func:`file_lines`), else lines are
        counted from its order.
    replace : bool, default False
        Let an added value override a different one; without it a difference is an error.

    Returns
    -------
    Layered

    Raises
    ------
    LayerConflictError
        A key present with a different value (``replace`` not given), or an added row in a
        different unit from the series it joins.

    Examples
    --------
    >>> base = pd.DataFrame({"region_id": ["RU-AL"], "year": [2020], "indicator": ["x"],
    ...                      "value": [1.0], "status": ["value"], "unit": [""], "source_file": [""],
    ...                      "source_table": [""], "note": [""]})
    >>> new = base.assign(year=2021, value=2.0)
    >>> layer(base, [("new.csv", new)]).data["year"].tolist()
    [2020, 2021]
    """
    data = base[LONG_COLUMNS].copy()
    replaced: list[dict] = []
    added: list[dict] = []
    for name, frame in added_frames:
        lines = frame["line"].to_numpy() if "line" in frame else np.arange(2, len(frame) + 2)
        frame = frame[LONG_COLUMNS].reset_index(drop=True).assign(_line=lines)
        joined = frame.merge(
            data[[*KEY, "value", "status", "unit"]].rename(
                columns={"value": "_old", "status": "_old_status", "unit": "_old_unit"}
            ),
            on=KEY,
            how="left",
            indicator="_where",
        )
        both = joined["_where"] == "both"
        same = (
            both
            & (joined["status"] == joined["_old_status"])
            & (
                (joined["value"] == joined["_old"])
                | (joined["value"].isna() & joined["_old"].isna())
            )
        )
        differ = both & ~same
        series_units = data.groupby(["region_id", "indicator"])["unit"].first()
        unit_of = series_units.reindex(pd.MultiIndex.from_frame(joined[["region_id", "indicator"]]))
        unit_clash = unit_of.notna().to_numpy() & (unit_of.to_numpy() != joined["unit"].to_numpy())
        unit_clash &= (joined["unit"] != "").to_numpy() & (unit_of.fillna("") != "").to_numpy()
        if unit_clash.any():
            r = joined[unit_clash].iloc[0]
            raise LayerConflictError(
                f"{name}, row {r['_line']}: {r['indicator']} for {r['region_id']} is in "
                f"{r['unit']!r}, the data it is added to in {unit_of[unit_clash].iloc[0]!r}"
            )
        if differ.any() and not replace:
            r = joined[differ].iloc[0]
            more = int(differ.sum()) - 1
            raise LayerConflictError(
                f"{name}, row {r['_line']}: ({r['region_id']}, {r['year']}, {r['indicator']}) "
                f"is {_show(r['value'], r['status'])} here and "
                f"{_show(r['_old'], r['_old_status'])} in the data it is added to"
                + (f" ({more} more such row(s))" if more else "")
                + "; pass --replace to let the added values win"
            )
        for r in joined[differ].to_dict("records"):
            replaced.append(
                {
                    "region_id": r["region_id"],
                    "year": r["year"],
                    "indicator": r["indicator"],
                    "old_value": r["_old"],
                    "new_value": r["value"],
                    "old_status": r["_old_status"],
                    "new_status": r["status"],
                    "file": name,
                    "row": r["_line"],
                }
            )
        take = frame[(~same).to_numpy()].drop(columns="_line")
        # A row without a unit joins its series in the series' unit (a four-column file).
        known = unit_of[(~same).to_numpy()].to_numpy()
        blank = (take["unit"] == "").to_numpy() & pd.notna(known)
        take.loc[blank, "unit"] = known[blank]
        keys = pd.MultiIndex.from_frame(take[KEY])
        keep = ~pd.MultiIndex.from_frame(data[KEY]).isin(keys)
        data = pd.concat([data[keep], take], ignore_index=True)
        added.append(
            {
                "file": name,
                "rows": len(frame),
                "new": int((~both).sum()),
                "identical": int(same.sum()),
                "replaced": int(differ.sum()),
            }
        )
    data = data.sort_values(["region_id", "indicator", "year"], ignore_index=True)
    data["year"] = data["year"].astype("int64")
    data["value"] = data["value"].astype("float64")
    return Layered(
        data,
        pd.DataFrame(replaced, columns=REPLACED_COLUMNS),
        pd.DataFrame(added, columns=["file", "rows", "new", "identical", "replaced"]),
    )
