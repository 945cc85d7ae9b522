"""Subjects whose figure a table publishes only together with another subject's: kept apart.

Table 17.8 (mobile subscriptions) prints Moscow's figure «включая данные по Московской
области» and ``...`` for the oblast. The reader stores that figure under the aggregate id
``RU-MOW+RU-MOS`` (kind ``subjects_combined`` in the registry) and gives neither subject a value
of its own. Left there, the compiler would fill both subjects' cells with district medians, as
if the figures were merely missing, and the oblast's subscribers would be counted once in the
aggregate and once more in the imputed oblast.

The choice here: the covered subjects are **excluded from that feature** -- their cell stays
missing (NaN) and no imputation is recorded. The composite treats a missing cell as a missing
indicator: it does not enter the normalisation bounds. A covered subject is itself refused when
it is among the regions scored (as the compiler refuses a region it cannot score on published
figures), since clustering and serving need every feature of a scored region; none of them is a
border region. Scoring the aggregate in the subjects' place
was not chosen: it is no subject, has no area, population or border facts of its own, and
splitting it by population would invent figures.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import pandas as pd

from border_readiness.features.catalogue import SCORED_LEVELS, formula_series, parse_formula
from border_readiness.features.regions import region_table

if TYPE_CHECKING:  # only for the annotations: indicators calls keep_apart itself
    from border_readiness.features.indicators import CompiledIndicators

__all__ = ["KEPT_APART_COLUMNS", "LOOK_BACK_YEARS", "keep_apart", "kept_apart_cells"]

#: Columns of :func:`kept_apart_cells`.
KEPT_APART_COLUMNS = ["region_id", "feature", "series", "aggregate", "year", "note"]

#: Years before the scored one in which an aggregate row still explains a missing cell: the
#: catalogue's dynamics and the carry-forward look back at most this far.
LOOK_BACK_YEARS = 10


def _members(aggregate: str) -> list[str]:
    return aggregate.split("+")


def kept_apart_cells(compiled: CompiledIndicators, data: pd.DataFrame) -> pd.DataFrame:
    """The (subject, feature) cells that are missing because an aggregate holds the figure.

    Parameters
    ----------
    compiled : CompiledIndicators
        As returned by ``compile_indicators``.
    data : pandas.DataFrame
        The long dataset it was compiled from.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`KEPT_APART_COLUMNS`: the covered subject, the feature whose raw value is
        missing, the series an aggregate row holds for it in the look-back window, the aggregate
        id, the latest such year and that row's note (the footnote's text). A cell with a raw
        value of its own is never listed.

    Examples
    --------
    >>> from border_readiness.features.dataset import load_dataset
    >>> from border_readiness.features.indicators import compile_indicators
    >>> data = load_dataset()
    >>> cells = kept_apart_cells(compile_indicators(data, year=2021), data)
    >>> sorted(cells.loc[cells.feature == "mobile_subscriptions_per_1000", "region_id"])
    ['RU-LEN', 'RU-MOS', 'RU-MOW', 'RU-SPE']
    """
    kinds = region_table()["kind"]
    combined = [r for r in pd.unique(data["region_id"]) if kinds.get(r) == "subjects_combined"]
    year = compiled.year
    rows = data[
        data["region_id"].isin(combined)
        & data["year"].between(year - LOOK_BACK_YEARS, year)
        & data["value"].notna()
    ]
    latest = rows.sort_values("year").groupby(["region_id", "indicator"], sort=True).last()
    reads = {i.id: formula_series(parse_formula(i.formula)) for i in compiled.catalogue}
    out = []
    for (agg, series), row in latest.iterrows():
        for member in _members(agg):
            if member not in compiled.raw.index:
                continue
            for feature, names in reads.items():
                if series in names and pd.isna(compiled.raw.at[member, feature]):
                    out.append((member, feature, series, agg, int(row["year"]), row["note"]))
    cells = pd.DataFrame.from_records(out, columns=KEPT_APART_COLUMNS)
    return cells.sort_values(["feature", "region_id"], ignore_index=True)


def keep_apart(compiled: CompiledIndicators, data: pd.DataFrame) -> CompiledIndicators:
    """The compiled matrix with the cells of :func:`kept_apart_cells` left missing, not imputed.

    Parameters
    ----------
    compiled : CompiledIndicators
        As returned by ``compile_indicators``.
    data : pandas.DataFrame
        The long dataset it was compiled from.

    Returns
    -------
    CompiledIndicators
        A copy whose ``matrix`` is NaN in those cells and whose ``imputations`` no longer hold
        their gap fills (carried forward or district median). A subject with such a cell in a
        scored feature is added to ``refused`` (it cannot be scored on its own figures) but
        stays in ``matrix``, where its other features still enter the normalisation as a
        reference subject; the rest is unchanged.

    Examples
    --------
    >>> from border_readiness.features.dataset import load_dataset
    >>> from border_readiness.features.indicators import compile_indicators
    >>> data = load_dataset()
    >>> c = compile_indicators(data, year=2021)  # calls keep_apart itself
    >>> keep_apart(c, data).refused.equals(c.refused)  # and again changes nothing
    True
    >>> bool(c.matrix.loc["RU-MOS", "mobile_subscriptions_per_1000"] == c.matrix.loc["RU-MOS",
    ...      "mobile_subscriptions_per_1000"])  # NaN: not imputed
    False
    """
    cells = kept_apart_cells(compiled, data)
    if cells.empty:
        return compiled
    matrix = compiled.matrix.copy()
    pairs = set(zip(cells["region_id"], cells["feature"], strict=True))
    for rid, feature in pairs:
        if rid in matrix.index:
            matrix.at[rid, feature] = float("nan")
    imp = compiled.imputations
    covered = pd.Series(
        [(r, f) in pairs for r, f in zip(imp["region_id"], imp["indicator"], strict=True)],
        index=imp.index,
        dtype=bool,
    )
    gap_fill = ~imp["method"].str.startswith("structural zero")
    imputations = imp[~(covered & gap_fill)].reset_index(drop=True)
    # A covered subject lacks a scored feature: it stays in the matrix as a reference subject
    # (its other features still set the bounds) but is refused if scored, as the compiler
    # refuses a region it cannot score on published figures (clustering and serving need
    # every feature of a scored region).
    scored = [i.id for i in compiled.catalogue if i.level in SCORED_LEVELS and i.weight > 0]
    lacking = cells[cells["feature"].isin(scored) & cells["region_id"].isin(matrix.index)]
    lacking = lacking[~lacking["region_id"].isin(compiled.refused["region_id"])]  # idempotent
    extra = [
        {
            "region_id": rid,
            "missing_share": round(len(part) / max(len(scored), 1), 4),
            "missing_features": "|".join(part["feature"]),
        }
        for rid, part in lacking.groupby("region_id", sort=True)
    ]
    refused = compiled.refused
    if extra:
        refused = pd.concat([refused, pd.DataFrame(extra)], ignore_index=True)
    return dataclasses.replace(compiled, matrix=matrix, imputations=imputations, refused=refused)
