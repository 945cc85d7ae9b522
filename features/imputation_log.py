"""The imputation log of every matrix a computation uses: the reference subjects and the scored.

:func:`~border_readiness.features.indicators.compile_indicators` records each imputed cell of
the matrix of all Russian subjects. The composite normalises against all of them (the
reference regions) and ranks only the scored ones, so an imputed Moscow cell moves every
min-max bound though Moscow is never ranked: :func:`imputation_log` keeps every cell and says
which role its region plays, which kind of imputation it is and which scored features it feeds.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from border_readiness.features.catalogue import formula_series, parse_formula
from border_readiness.features.indicators import CompiledIndicators

__all__ = ["IMPUTATION_COLUMNS", "imputation_log", "imputation_summary"]

IMPUTATION_COLUMNS = [
    "region_id",
    "indicator",
    "year",
    "method",
    "value",
    "kind",
    "cell",
    "features",
    "used_in",
]


def imputation_log(
    compiled: CompiledIndicators, regions: Sequence[str], features: Sequence[str]
) -> pd.DataFrame:
    """Every imputed cell of the reference matrix and of the scored regions' rows.

    Parameters
    ----------
    compiled : CompiledIndicators
        The compiled matrix of all subjects (refused regions already removed).
    regions : sequence of str
        The scored regions.
    features : sequence of str
        The features the composite uses (scored levels, positive weight).

    Returns
    -------
    pandas.DataFrame
        The compiler's columns ``region_id, indicator, year, method, value`` and ``kind``
        (``structural zero``: a source cell published as ``-``, read as 0; ``gap fill``:
        carried forward or district median), ``cell`` (``source series`` for a structural
        zero -- ``indicator`` is then the series -- ``feature`` for a gap fill), ``features``
        (the used features computed from that cell, ``|``-joined) and ``used_in``
        (``reference|scored`` for a scored region, ``reference`` for any other subject of
        the normalisation; ``none`` if the cell feeds no used feature).

    Examples
    --------
    >>> from border_readiness.features.dataset import load_dataset
    >>> from border_readiness.features.indicators import compile_indicators
    >>> c = compile_indicators(load_dataset(), year=2021)
    >>> used = [i.id for i in c.catalogue if i.weight > 0]
    >>> log = imputation_log(c, ["RU-AL", "RU-OMS"], used)
    >>> sorted(log.used_in.unique())  # "none": rail freight's '-', read by a context indicator
    ['none', 'reference', 'reference|scored']
    """
    used = list(features)
    reads = {
        i.id: formula_series(parse_formula(i.formula)) for i in compiled.catalogue if i.id in used
    }
    log = compiled.imputations.copy()
    log = log[log["region_id"].isin(compiled.matrix.index)]
    zero = log["method"].str.startswith("structural zero")
    log["kind"] = zero.map({True: "structural zero", False: "gap fill"})
    log["cell"] = zero.map({True: "source series", False: "feature"})
    log["features"] = [
        "|".join(f for f in used if s in reads[f]) if z else (s if s in used else "")
        for s, z in zip(log["indicator"], zero, strict=True)
    ]
    scored = set(regions)
    log["used_in"] = [
        "none" if not f else ("reference|scored" if r in scored else "reference")
        for r, f in zip(log["region_id"], log["features"], strict=True)
    ]
    return log[IMPUTATION_COLUMNS].reset_index(drop=True)


def imputation_summary(log: pd.DataFrame) -> list[dict]:
    """Counts of imputed cells by kind, method and role, with the regions concerned.

    Parameters
    ----------
    log : DataFrame
        :func:`imputation_log`.

    Returns
    -------
    list of dict
        One record per (kind, method, used_in): ``kind, method, used_in, cells, regions``.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"kind": ["gap fill"] * 2, "method": ["m"] * 2,
    ...                     "used_in": ["reference"] * 2, "region_id": ["B", "A"]})
    >>> imputation_summary(log)
    [{'kind': 'gap fill', 'method': 'm', 'used_in': 'reference', 'cells': 2, 'regions': 'A, B'}]
    """
    rows = []
    for (kind, method, used_in), part in log.groupby(["kind", "method", "used_in"], sort=True):
        rows.append(
            {
                "kind": kind,
                "method": method,
                "used_in": used_in,
                "cells": len(part),
                "regions": ", ".join(sorted(part["region_id"].unique())),
            }
        )
    return rows
