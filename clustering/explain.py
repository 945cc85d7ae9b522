"""Why a region scores, clusters or disagrees as it does: SHAP values and distance contrasts.

Three one-shot analyses, each exact where it can be:

* :func:`additive_shap` -- exact SHAP values of the arithmetic level scores. A weighted mean
  is linear, so the SHAP value of indicator i is ``w_i * (x_i - E[x_i])``; no sampling and no
  model are involved.
* :func:`surrogate_explanation` -- a shallow decision tree that reproduces cluster (or type)
  membership, its leave-one-out fidelity, its rules and its TreeSHAP values (exact for trees).
  A surrogate's SHAP values describe the surrogate, not the clustering; they are only worth
  reading when the fidelity is high, so the fidelity travels with them everywhere.
* :func:`disagreement_drivers` -- for a region the data puts in another type than the expert,
  the indicators that pull it towards the data's group and away from the expert's.

The module is pure computation on the matrices given to it: no file I/O, no tracking. scikit-
learn and shap are imported inside the functions that need them, so that importing
``clustering`` stays light.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from border_readiness.clustering._explain_common import _SHAP_COLUMNS, _finite_matrix, _labels
from border_readiness.clustering._jsonsafe import plain
from border_readiness.clustering._surrogate import (
    MIN_FIDELITY,
    SurrogateExplanation,
    surrogate_explanation,
)
from border_readiness.features.composite import normalise_weights

__all__ = [
    "MIN_FIDELITY",
    "SurrogateExplanation",
    "additive_shap",
    "disagreement_drivers",
    "surrogate_explanation",
]

_DRIVER_COLUMNS = [
    "region_id",
    "data_type",
    "expert_type",
    "feature",
    "z",
    "centroid_data",
    "centroid_expert",
    "toward_data",
    "away_from_expert",
    "net",
    "rank",
]


# --------------------------------------------------------------------------------------------
# 1. exact SHAP values of the additive level scores
# --------------------------------------------------------------------------------------------


def additive_shap(
    Xn: pd.DataFrame,
    weights: pd.Series | Mapping,
    groups: pd.Series | Mapping,
    background: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Exact SHAP values of each readiness level's arithmetic score.

    A level score is the weighted arithmetic mean ``score(x) = sum_i w_i x_i`` of the normalised
    indicators of that level, with the weights rescaled to sum to 1 within the level (as in
    :func:`border_readiness.features.composite.aggregate` with ``method='arithmetic'``). For a
    linear function
    and interventional (independent) masking over a background, the Shapley value of indicator
    i is exactly ``w_i * (x_i - E[x_i])``, and the base value is ``sum_i w_i E[x_i]``, the mean
    score of the background. Efficiency holds to round-off: ``base_value + sum_i shap_value_i
    = score``.

    The background sets what a SHAP value is relative to. It defaults to ``Xn`` itself; the
    package passes all Russian subjects, so a value reads as "points above or below the average
    Russian region owed to this indicator".

    Parameters
    ----------
    Xn : DataFrame
        Normalised regions x indicators (higher = more ready); no missing values, because with a
        gap :func:`~border_readiness.features.composite.aggregate` re-weights over the other
        indicators and the
        score is no longer this linear function.
    weights : Series or mapping
        Relative weight per indicator (may cover more indicators than ``Xn``).
    groups : Series or mapping
        Level of each indicator (may cover more indicators than ``Xn``).
    background : DataFrame, optional
        Regions whose indicator means define ``E[x_i]``; must have every column of ``Xn``. A gap
        in the background is skipped: ``E[x_i]`` is the mean over the regions reporting i.

    Returns
    -------
    DataFrame
        Long table, level by level, region by region, with columns ``region_id``, ``target``
        (the level), ``feature``, ``shap_value``, ``feature_value`` (the region's ``x_i``) and
        ``base_value`` (the level's ``sum_i w_i E[x_i]``, repeated on each row so that it
        survives filtering, merging and export). ``attrs['base_values']`` also maps each level
        to its base value, for convenience only: pandas drops ``attrs`` in many operations.

    Examples
    --------
    >>> import pandas as pd
    >>> Xn = pd.DataFrame({"a": [0.0, 30, 60], "b": [90.0, 60, 30]}, index=["A", "B", "C"])
    >>> s = additive_shap(Xn, {"a": 1, "b": 2}, {"a": "transport", "b": "transport"})
    >>> s[s.region_id == "A"].shap_value.round(9).tolist()
    [-10.0, 20.0]
    >>> s.attrs["base_values"]
    {'transport': 50.0}
    >>> # efficiency: 50 - 10 + 20 = 60 = (0 * 1 + 90 * 2) / 3, region A's score
    """
    values = _finite_matrix(Xn, "Xn")
    g = groups if isinstance(groups, pd.Series) else pd.Series(dict(groups), dtype=object)
    unknown = [c for c in Xn.columns if c not in g.index]
    if unknown:
        raise ValueError(f"groups has no level for indicator(s) {unknown}")
    if g.index.has_duplicates:
        dups = sorted(map(str, g.index[g.index.duplicated()].unique()))
        raise ValueError(f"groups has duplicated indicator entries: {dups}")
    g = g.reindex(Xn.columns)
    if g.isna().any():
        raise ValueError(f"groups has no level for indicator(s) {list(g.index[g.isna()])}")
    # Rescaled within the levels present in Xn, so that extra catalogue indicators in
    # `weights`/`groups` do not dilute the weights actually used.
    w = normalise_weights(weights, g).to_numpy(dtype=float)

    if background is None:
        mean = values.mean(axis=0)
    else:
        if not isinstance(background, pd.DataFrame):
            raise TypeError(f"background must be a DataFrame, got {type(background).__name__}")
        missing = [c for c in Xn.columns if c not in background.columns]
        if missing:
            raise ValueError(f"background has no column for indicator(s) {missing}")
        basis = background[Xn.columns].to_numpy(dtype=float)
        basis = np.where(np.isfinite(basis), basis, np.nan)
        empty = [
            c for c, ok in zip(Xn.columns, (~np.isnan(basis)).any(axis=0), strict=True) if not ok
        ]
        if empty:
            raise ValueError(f"background has no value for indicator(s) {empty}")
        mean = np.nanmean(basis, axis=0)

    levels = list(pd.unique(g.to_numpy()))
    n = values.shape[0]
    frames, bases = [], {}
    for level in levels:
        idx = np.flatnonzero(g.to_numpy() == level)
        shap_values = w[idx] * (values[:, idx] - mean[idx])
        base = float(w[idx] @ mean[idx])
        bases[level] = base
        frames.append(
            pd.DataFrame(
                {
                    "region_id": np.repeat(Xn.index.to_numpy(), idx.size),
                    "target": level,
                    "feature": np.tile(Xn.columns.to_numpy()[idx], n),
                    "shap_value": shap_values.ravel(),
                    "feature_value": values[:, idx].ravel(),
                    "base_value": base,
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)[_SHAP_COLUMNS]
    out.attrs["base_values"] = bases
    return out


# --------------------------------------------------------------------------------------------
# 3. why the data disagrees with the expert about a region
# --------------------------------------------------------------------------------------------


def disagreement_drivers(
    X: pd.DataFrame,
    data_labels: pd.Series | Sequence | np.ndarray,
    expert_labels: pd.Series | Sequence | np.ndarray,
    regions: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Indicators that pull a region towards the data's type and away from the expert's.

    For a region r whose data type (its cluster *after alignment* to the expert's types)
    differs from its expert type, compare its squared distances to two group centroids:

    * the *data's group*: the other regions with r's data type (by ``data_labels``);
    * the *expert's group*: the other regions with r's expert type (by ``expert_labels``).

    Both centroids leave r out: with a dozen regions, r would otherwise pull each centroid
    towards itself and make every group it is in look closer than it is. Everything is on
    z-scores over the regions in ``X`` (mean 0, sample standard deviation 1 per feature, a
    constant feature becomes 0), so no unit dominates the distance.

    Per feature, with z the region's z-score and c the centroids,

    * ``net = (z - c_expert)**2 - (z - c_data)**2``: positive = the feature pulls r towards the
      data's group; summed over features it is exactly ``d(r, expert)^2 - d(r, data)^2``,
      positive when r is closer to the data's group;
    * split at the average region (z = 0) into ``toward_data = z**2 - (z - c_data)**2`` (how
      much closer to the data's group the feature puts r than the average region) and
      ``away_from_expert = (z - c_expert)**2 - z**2`` (how much farther from the expert's
      group); ``toward_data + away_from_expert = net``.

    ``rank`` orders the features of each region by ``net``, 1 = strongest pull towards the
    data's type. A region alone in its data or expert group has no leave-one-out centroid; it
    is skipped with a warning. Regions whose two labels agree are skipped: there is nothing to
    explain.

    Parameters
    ----------
    X : DataFrame
        Regions x features, no missing values.
    data_labels : Series or array-like
        The data's type per region, in the expert's vocabulary (aligned clusters).
    expert_labels : Series or array-like
        The expert's type per region.
    regions : sequence of str, optional
        Regions to explain; default every region whose labels differ.

    Returns
    -------
    DataFrame
        ``region_id, data_type, expert_type, feature, z, centroid_data, centroid_expert,
        toward_data, away_from_expert, net, rank``, by region then rank.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"roads": [0.0, 1, 9, 10, 8], "clinics": [5.0, 4, 5, 4, 6]},
    ...                  index=["A", "B", "C", "D", "E"])
    >>> expert = pd.Series(["low", "low", "high", "high", "low"], index=X.index)
    >>> data = pd.Series(["low", "low", "high", "high", "high"], index=X.index)
    >>> d = disagreement_drivers(X, data, expert)
    >>> d[["region_id", "feature", "rank"]].values.tolist()
    [['E', 'roads', 1], ['E', 'clinics', 2]]
    >>> bool(d.net.sum() > 0)  # E is closer to the data's group
    True
    """
    values = _finite_matrix(X, "X")
    data = _labels(data_labels, X.index, "data_labels")
    expert = _labels(expert_labels, X.index, "expert_labels")
    if not set(data) & set(expert):
        raise ValueError(
            "data_labels and expert_labels share no label; align the clusters to the expert's "
            "types first (e.g. by Hungarian matching) so that equal labels mean agreement"
        )
    if regions is None:
        chosen = list(X.index[(data != expert).to_numpy()])
    else:
        chosen = [regions] if isinstance(regions, str) else list(regions)
        unknown = [str(r) for r in chosen if r not in X.index]
        if unknown:
            raise ValueError(f"regions {unknown} are not in X")

    n = values.shape[0]
    sd = values.std(axis=0, ddof=1) if n > 1 else np.zeros(values.shape[1])
    spread = sd > 0
    z = np.zeros_like(values)
    z[:, spread] = (values[:, spread] - values[:, spread].mean(axis=0)) / sd[spread]

    data_v, expert_v = data.to_numpy(), expert.to_numpy()
    frames = []
    for region in chosen:
        i = X.index.get_loc(region)
        if data_v[i] == expert_v[i]:
            continue
        others = np.arange(n) != i
        in_data = others & (data_v == data_v[i])
        in_expert = others & (expert_v == expert_v[i])
        if not in_data.any() or not in_expert.any():
            alone = "data" if not in_data.any() else "expert"
            warnings.warn(
                f"region {region!s} is alone in its {alone} group; no leave-one-out centroid, "
                "skipped",
                UserWarning,
                stacklevel=2,
            )
            continue
        x = z[i]
        c_data, c_expert = z[in_data].mean(axis=0), z[in_expert].mean(axis=0)
        toward = x**2 - (x - c_data) ** 2
        away = (x - c_expert) ** 2 - x**2
        # net straight from the two distances (not toward + away), so that its sum is the
        # squared-distance difference to round-off.
        net = (x - c_expert) ** 2 - (x - c_data) ** 2
        part = pd.DataFrame(
            {
                "region_id": region,
                "data_type": plain(data_v[i]),
                "expert_type": plain(expert_v[i]),
                "feature": X.columns,
                "z": x,
                "centroid_data": c_data,
                "centroid_expert": c_expert,
                "toward_data": toward,
                "away_from_expert": away,
                "net": net,
            }
        )
        part["rank"] = part["net"].rank(ascending=False, method="first").astype(int)
        frames.append(part.sort_values("rank", kind="stable"))
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in _DRIVER_COLUMNS})
    return pd.concat(frames, ignore_index=True)[_DRIVER_COLUMNS]
