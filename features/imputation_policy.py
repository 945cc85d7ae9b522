"""How much a fit leans on imputation: counts per indicator and method, and the policy limit.

The compiler fills a gap of a scored feature by carrying the region's own value forward or by
its federal district's median (:mod:`.indicators`), and refuses a *region* that would need this
for more than ``max_imputed_share`` of its features. A fit can also lean on one *indicator*
that is imputed for most regions -- 2022's CIS trade, carried forward from 2021 for all 12
border regions because regional foreign trade is published to 2021 only. The policy here
refuses such a fit unless the limit ``max_imputed_share_indicator`` is raised on purpose.
Structural zeros (a published ``-`` read as 0) are figures, not imputations: they are counted
but never limited.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from border_readiness.errors import UserInputError

__all__ = [
    "DEFAULT_MAX_IMPUTED_SHARE_INDICATOR",
    "ImputationPolicyError",
    "check_indicator_share",
    "imputation_counts",
    "indicator_shares",
]

#: Default largest share of the scored regions whose value of one indicator may be a gap fill.
DEFAULT_MAX_IMPUTED_SHARE_INDICATOR = 0.5


class ImputationPolicyError(UserInputError):
    """A fit leans on imputation beyond the policy."""


def _gap_fills(imputations: pd.DataFrame) -> pd.DataFrame:
    return imputations[~imputations["method"].str.startswith("structural zero")]


def imputation_counts(imputations: pd.DataFrame, regions: Sequence[str]) -> pd.DataFrame:
    """Imputed cells of the given regions per indicator and method, most frequent first.

    Parameters
    ----------
    imputations : DataFrame
        The compiler's (or the imputation log's) columns ``region_id, indicator, method``.
    regions : sequence of str
        The regions counted (usually the scored ones).

    Returns
    -------
    DataFrame
        ``indicator, method, cells``, sorted by cells (descending), indicator, method.

    Examples
    --------
    >>> log = pd.DataFrame({"region_id": ["A", "B", "A"], "indicator": ["x", "x", "y"],
    ...                     "method": ["carried forward from 2021"] * 2 + ["structural zero"]})
    >>> imputation_counts(log, ["A", "B"]).to_dict("records")[0]
    {'indicator': 'x', 'method': 'carried forward from 2021', 'cells': 2}
    """
    part = imputations[imputations["region_id"].isin(list(regions))]
    counts = part.groupby(["indicator", "method"]).size().rename("cells").reset_index()
    counts = counts.sort_values(
        ["cells", "indicator", "method"], ascending=[False, True, True], ignore_index=True
    )
    return counts[["indicator", "method", "cells"]]


def indicator_shares(imputations: pd.DataFrame, regions: Sequence[str]) -> pd.Series:
    """Share of the regions whose value of each gap-filled indicator is imputed.

    Parameters
    ----------
    imputations : DataFrame
        Columns ``region_id, indicator, method``; structural zeros are not counted.
    regions : sequence of str

    Returns
    -------
    Series
        Share in [0, 1] per indicator with at least one gap fill, largest first.

    Examples
    --------
    >>> log = pd.DataFrame({"region_id": ["A", "B"], "indicator": ["x", "x"],
    ...                     "method": ["carried forward from 2021"] * 2})
    >>> indicator_shares(log, ["A", "B", "C", "D"]).to_dict()
    {'x': 0.5}
    """
    regions = list(regions)
    gap = _gap_fills(imputations[imputations["region_id"].isin(regions)])
    shares = gap.groupby("indicator")["region_id"].nunique() / max(len(regions), 1)
    return shares.sort_values(ascending=False, kind="stable")


def check_indicator_share(
    imputations: pd.DataFrame,
    regions: Sequence[str],
    max_share: float = DEFAULT_MAX_IMPUTED_SHARE_INDICATOR,
    *,
    year: int | None = None,
) -> None:
    """Refuse a fit where an indicator is imputed for more than ``max_share`` of the regions.

    Parameters
    ----------
    imputations : DataFrame
        Columns ``region_id, indicator, method``.
    regions : sequence of str
        The scored regions.
    max_share : float, default 0.5
        The largest admissible share; 1 admits any.
    year : int, optional
        Named in the message.

    Raises
    ------
    ImputationPolicyError
        One line listing each indicator over the limit with its share and methods.

    Examples
    --------
    >>> log = pd.DataFrame({"region_id": ["A", "B"], "indicator": ["x", "x"],
    ...                     "method": ["carried forward from 2021"] * 2})
    >>> check_indicator_share(log, ["A", "B"], max_share=1.0)
    """
    regions = list(regions)
    shares = indicator_shares(imputations, regions)
    over = shares[shares > max_share + 1e-12]
    if over.empty:
        return
    gap = _gap_fills(imputations[imputations["region_id"].isin(regions)])
    parts = []
    for ind, share in over.items():
        methods = gap.loc[gap["indicator"] == ind, "method"].value_counts()
        how = ", ".join(f"{m} × {n}" for m, n in sorted(methods.items()))
        parts.append(f"{ind} {round(share * len(regions))} of {len(regions)} ({how})")
    when = f"{year}: " if year is not None else ""
    raise ImputationPolicyError(
        f"{when}the fit leans on imputation beyond max_imputed_share_indicator = {max_share:g}: "
        + "; ".join(parts)
        + " — raise [score] max_imputed_share_indicator (or --max-imputed-share-indicator) "
        "to accept it, or add the missing figures"
    )
