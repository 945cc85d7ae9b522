"""Composite indicators: outlier treatment, normalisation, weights, aggregation, robustness.

The steps follow the OECD/JRC *Handbook on Constructing Composite Indicators* (2008) and the
conventions of COINr (R, JRC): treat outliers, normalise with a direction per indicator, weight
the indicators within each readiness level, aggregate them to level scores, then ask how much
the ranking depends on those choices (Monte Carlo rank intervals, variance-based sensitivity).

Conventions shared by every function here:

* ``X`` / ``Xn`` are DataFrames with one row per region and one column per indicator.
* ``directions`` maps each indicator to +1 (more is more ready) or -1 (more is less ready).
* ``groups`` maps each indicator to its level (``transport_communication``, ...). Levels keep the
  order in which they first appear among the columns of ``X``.
* Mappings (directions, groups, weights, reference) are pandas Series or dicts keyed by
  indicator; they may hold extra indicators (the whole catalogue), but every column of ``X``
  needs an entry.
* After normalisation a higher value always means "more ready"; ranks are 1 = most ready.

The module is pure computation: numpy and pandas (scipy only for quasi-random numbers), no
file I/O, no tracking, deterministic given ``random_state``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

__all__ = [
    "UncertaintyResult",
    "aggregate",
    "contributions",
    "equal_weights",
    "geometric_shift",
    "monte_carlo_ranks",
    "normalise",
    "normalise_weights",
    "overall_contributions",
    "overall_score",
    "pca_weights",
    "rank_sensitivity",
    "sobol_indices",
    "treat_outliers",
]

NORMALISATIONS: tuple[str, ...] = ("minmax", "zscore", "rank", "distance_to_reference")
WEIGHTINGS: tuple[str, ...] = ("equal", "catalogue", "pca")
AGGREGATIONS: tuple[str, ...] = ("arithmetic", "geometric", "copeland")

# COINr's default second-stage treatment `log_CT`: log(x - min + 0.01 * (max - min)). The offset
# is a share of the range (not COINr's older "+ 1") so that the transform does not depend on the
# unit of the indicator.
_LOG_OFFSET_SHARE = 0.01
# Eigenvalues equal to 1 up to round-off (an indicator uncorrelated with all others) must not
# count as "greater than 1" in the Kaiser criterion.
_KAISER_TOL = 1e-9
# Copeland margins are sums of +-w_i; with weights such as 1/3 an exact tie can come out as
# 1e-17, and a tie must stay a tie.
_TIE_TOL = 1e-12
# Random draws of the Monte Carlo design come in blocks of this many replicates, each block from
# its own child SeedSequence, so that replicate r depends only on (random_state, r) and never on
# batch_size or the number of workers.
_SEED_BLOCK = 1000
# Copeland margins form a (replicates x regions^2) matrix; chunking keeps it to a few MB.
_COPELAND_CHUNK = 256


# --------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------


def _values(X: pd.DataFrame, name: str = "X") -> np.ndarray:
    """Check a regions x indicators frame and return its values as float."""
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            f"{name} must be a pandas DataFrame (regions x indicators), got {type(X).__name__}"
        )
    if X.columns.has_duplicates:
        dups = sorted(map(str, X.columns[X.columns.duplicated()].unique()))
        raise ValueError(f"{name} has duplicated indicator columns: {dups}")
    if X.index.has_duplicates:
        dups = sorted(map(str, X.index[X.index.duplicated()].unique()))
        raise ValueError(f"{name} has duplicated regions in its index: {dups}")
    bad = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    if bad:
        raise ValueError(f"{name} has non-numeric indicator columns: {bad}")
    values = X.to_numpy(dtype=float)
    inf_cols = [c for c, flag in zip(X.columns, np.isinf(values).any(axis=0), strict=True) if flag]
    if inf_cols:
        raise ValueError(f"{name} has infinite values in columns {inf_cols}")
    return values


def _aligned(mapping: pd.Series | Mapping, columns: pd.Index, what: str) -> pd.Series:
    """Return ``mapping`` as a Series ordered like ``columns``; every column needs an entry."""
    series = mapping if isinstance(mapping, pd.Series) else pd.Series(dict(mapping), dtype=object)
    if series.index.has_duplicates:
        dups = sorted(map(str, series.index[series.index.duplicated()].unique()))
        raise ValueError(f"{what} has duplicated indicator entries: {dups}")
    missing = [c for c in columns if c not in series.index]
    if missing:
        raise ValueError(f"{what} has no entry for indicator(s) {missing}; expected one per column")
    return series.reindex(columns)


def _directions(directions: pd.Series | Mapping, columns: pd.Index) -> np.ndarray:
    d = _aligned(directions, columns, "directions")
    bad = [c for c, v in d.items() if not (isinstance(v, (int, float, np.number)) and v in (1, -1))]
    if bad:
        raise ValueError(f"directions must be +1 or -1; indicator(s) {bad} have other values")
    return d.to_numpy(dtype=float)


def _structure(groups: pd.Series | Mapping, columns: pd.Index) -> tuple[list, list[np.ndarray]]:
    """Levels (in order of first appearance) and the column positions of each level."""
    g = _aligned(groups, columns, "groups")
    if g.isna().any():
        raise ValueError(f"groups has no level for indicator(s) {list(g.index[g.isna()])}")
    levels = list(pd.unique(g.to_numpy()))
    positions = [np.flatnonzero(g.to_numpy() == level) for level in levels]
    return levels, positions


def _scale(scale: tuple[float, float]) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in scale)
    except (TypeError, ValueError):
        raise ValueError(f"scale must be a pair (low, high), got {scale!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"scale must be finite with low < high, got {scale!r}")
    return lo, hi


def _choices(given: Sequence[str], allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
    chosen = (given,) if isinstance(given, str) else tuple(given)
    if not chosen:
        raise ValueError(f"{what} must name at least one of {list(allowed)}")
    unknown = [c for c in chosen if c not in allowed]
    if unknown:
        raise ValueError(f"{what}: unknown option(s) {unknown}; expected some of {list(allowed)}")
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"{what} lists an option twice: {list(chosen)}")
    return chosen


# --------------------------------------------------------------------------------------------
# 1. outlier treatment
# --------------------------------------------------------------------------------------------


def _skew_kurt(x: np.ndarray) -> tuple[float, float]:
    """Sample skewness and excess kurtosis as COINr computes them (e1071 type 2, Excel's SKEW and
    KURT), ignoring NaN; NaN when there are fewer than 4 values or no spread."""
    v = x[~np.isnan(x)]
    n = v.size
    if n < 4:
        return math.nan, math.nan
    d = v - v.mean()
    m2 = float(np.sum(d**2))
    if m2 == 0.0:
        return math.nan, math.nan
    g1 = math.sqrt(n) * float(np.sum(d**3)) / m2**1.5
    skew = g1 * math.sqrt(n * (n - 1)) / (n - 2)
    r = n * float(np.sum(d**4)) / m2**2
    kurt = ((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
    return skew, kurt


def _flagged(skew: float, kurt: float, skew_max: float, kurt_max: float) -> bool:
    # COINr's check_SkewKurt passes when |skew| < threshold OR kurt < threshold, so a column
    # fails exactly when both reach their thresholds.
    if math.isnan(skew) or math.isnan(kurt):
        return False
    return abs(skew) >= skew_max and kurt >= kurt_max


def _log_ct(x: np.ndarray, skew: float) -> np.ndarray:
    lo, hi = np.nanmin(x), np.nanmax(x)
    offset = _LOG_OFFSET_SHARE * (hi - lo)
    if skew >= 0:
        return np.log(x - lo + offset)
    # COINr applies the same formula whatever the sign of the skew, which makes a left-skewed
    # column worse; mirroring (and negating, to keep the indicator's direction) treats the long
    # left tail the way the right tail is treated.
    return -np.log(hi - x + offset)


def treat_outliers(
    X: pd.DataFrame, *, skew_max: float = 2.0, kurt_max: float = 3.5, max_winsorised: int = 5
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Treat outliers indicator by indicator with COINr's two-stage rule.

    An indicator is *flagged* when ``|skew| >= skew_max`` and ``kurtosis >= kurt_max`` (COINr's
    ``check_SkewKurt`` passes a column if either statistic is below its threshold). Skewness
    and excess kurtosis are the bias-corrected sample statistics COINr uses (e1071 type 2, equal
    to ``scipy.stats.skew(bias=False)`` and ``scipy.stats.kurtosis(bias=False)``), computed
    over the non-missing values.

    A flagged indicator is winsorised one step at a time: the most extreme value on the side of
    the skew (the maximum if skew >= 0, else the minimum) is set to the next most extreme value;
    tied extremes move together. Steps stop as soon as the indicator is no longer flagged, or
    before a step would winsorise more than ``max_winsorised`` points in total. If it is still
    flagged, winsorisation is undone and COINr's ``log_CT`` transform is applied to the original
    values: ``log(x - min + 0.01 (max - min))`` for positive skew and, for negative skew, the
    mirrored ``-log(max - x + 0.01 (max - min))``, which keeps the indicator's direction.
    Indicators with fewer than four values or no spread are left alone. NaN stay NaN.

    Parameters
    ----------
    X : DataFrame
        Regions x indicators.
    skew_max, kurt_max : float
        Thresholds of the rule (COINr defaults 2 and 3.5).
    max_winsorised : int
        Most points winsorised per indicator (COINr default 5).

    Returns
    -------
    treated : DataFrame
        Same shape as ``X``.
    log : DataFrame
        One row per indicator: ``indicator, skew_before, kurt_before, action`` (``'none'``,
        ``'winsorised'`` or ``'log'``), ``n_winsorised``, ``winsorised_regions`` (index labels
        joined by ``'|'``), ``skew_after, kurt_after`` and ``flagged_after`` (a log transform
        does not always pass the rule; COINr keeps it anyway).

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"roads": [*range(1, 20), 100]}, index=[f"R{i}" for i in range(20)])
    >>> treated, log = treat_outliers(X)
    >>> log.loc[0, "action"], int(log.loc[0, "n_winsorised"]), log.loc[0, "winsorised_regions"]
    ('winsorised', 1, 'R19')
    >>> float(treated.loc["R19", "roads"])
    19.0
    """
    values = _values(X)
    if max_winsorised < 0:
        raise ValueError(f"max_winsorised must be >= 0, got {max_winsorised}")
    treated = values.copy()
    rows = []
    for j, column in enumerate(X.columns):
        x = values[:, j]
        skew0, kurt0 = _skew_kurt(x)
        action = "none"
        moved = np.zeros(x.size, dtype=bool)
        out = x
        if _flagged(skew0, kurt0, skew_max, kurt_max):
            w = x.copy()
            flagged = True
            present = ~np.isnan(w)
            while flagged:
                skew, _ = _skew_kurt(w)
                extreme = np.nanmax(w) if skew >= 0 else np.nanmin(w)
                at = present & (w == extreme)
                rest = w[present & ~at]
                if rest.size == 0 or np.count_nonzero(moved | at) > max_winsorised:
                    break
                w[at] = rest.max() if skew >= 0 else rest.min()
                moved |= at
                flagged = _flagged(*_skew_kurt(w), skew_max, kurt_max)
            if flagged:
                action, out, moved = "log", _log_ct(x, skew0), np.zeros(x.size, dtype=bool)
            else:
                action, out = "winsorised", w
        treated[:, j] = out
        skew1, kurt1 = _skew_kurt(out)
        rows.append(
            {
                "indicator": column,
                "skew_before": skew0,
                "kurt_before": kurt0,
                "action": action,
                "n_winsorised": int(moved.sum()),
                "winsorised_regions": "|".join(str(r) for r in X.index[moved]),
                "skew_after": skew1,
                "kurt_after": kurt1,
                "flagged_after": _flagged(skew1, kurt1, skew_max, kurt_max),
            }
        )
    return pd.DataFrame(treated, index=X.index, columns=X.columns), pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# 2. normalisation
# --------------------------------------------------------------------------------------------


def _mid_ranks(x: np.ndarray, basis: np.ndarray) -> tuple[np.ndarray, int]:
    """Average rank (1 = lowest) of each x among the non-missing basis values."""
    ref = np.sort(basis[~np.isnan(basis)])
    below = np.searchsorted(ref, x, side="left")
    upto = np.searchsorted(ref, x, side="right")
    ranks = below + (upto - below + 1) / 2.0
    return np.where(np.isnan(x), np.nan, ranks), ref.size


def normalise(
    X: pd.DataFrame,
    method: str,
    *,
    directions: pd.Series | Mapping,
    reference: pd.Series | Mapping | None = None,
    scale: tuple[float, float] = (0, 100),
    fit_on: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Bring indicators to a common scale on which higher always means more ready.

    For ``minmax``, ``zscore`` and ``rank`` an indicator with direction -1 is negated first
    (as COINr does), so it is flipped: ``minmax`` gives ``high - ...``, ``zscore`` gives ``-z``
    and ``rank`` ranks ``-x``. The statistics (min, max, mean, sd, the ranked values) come from
    ``fit_on`` when given -- e.g. all Russian regions, so that the border regions are placed on
    the national scale -- otherwise from ``X`` itself. ``X``'s values outside ``fit_on``'s range
    then fall outside ``scale`` (no clipping, except for ranks).

    The methods:

    ``minmax``
        ``low + (x - min) / (max - min) * (high - low)``.
    ``zscore``
        ``(x - mean) / sd`` with the *sample* standard deviation (ddof = 1, as COINr's
        ``n_zscore``); ``scale`` is not used.
    ``rank``
        Average ranks (1 = lowest, ties share the mean rank), mapped linearly so that the
        lowest rank is ``low`` and the highest is ``high``: ``low + (r - 1) / (n - 1) *
        (high - low)``. With ``fit_on``, ``r`` is the average rank the value has among
        ``fit_on``'s values (exact when the region is one of them), clipped to the scale.
    ``distance_to_reference``
        The OECD "distance to a reference" ratio ``x / reference * 100`` for direction +1
        (100 = the national value), and ``reference / x * 100`` for direction -1. Needs a
        positive ``reference`` per indicator, ``x >= 0`` (``x > 0`` for direction -1);
        ``scale`` and ``fit_on`` are not used.

    An indicator whose fitted values have no spread (or fewer than two values) becomes NaN with
    a warning, so that aggregation re-weights over the other indicators instead of dividing by
    zero.

    Parameters
    ----------
    X : DataFrame
        Regions x indicators (NaN allowed, kept).
    method : {'minmax', 'zscore', 'rank', 'distance_to_reference'}
    directions : Series or mapping
        +1 or -1 per indicator.
    reference : Series or mapping, optional
        Reference (national) value per indicator, for ``distance_to_reference``.
    scale : (low, high)
        Target interval of ``minmax`` and ``rank``.
    fit_on : DataFrame, optional
        Regions whose values define the statistics; must have every column of ``X``.

    Returns
    -------
    DataFrame
        Same index and columns as ``X``.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"roads": [2.0, 4.0, 10.0], "distance": [1.0, 3.0, 5.0]},
    ...                  index=["A", "B", "C"])
    >>> d = {"roads": 1, "distance": -1}
    >>> normalise(X, "minmax", directions=d)["distance"].tolist()
    [100.0, 50.0, 0.0]
    >>> normalise(X, "rank", directions=d)["roads"].tolist()
    [0.0, 50.0, 100.0]
    """
    values = _values(X)
    d = _directions(directions, X.columns)
    method = _choices(method, NORMALISATIONS, "method")[0]
    lo, hi = _scale(scale)

    if method == "distance_to_reference":
        if reference is None:
            raise ValueError("method 'distance_to_reference' needs `reference` (one per indicator)")
        ref = pd.to_numeric(_aligned(reference, X.columns, "reference")).to_numpy(dtype=float)
        bad = [c for c, r in zip(X.columns, ref, strict=True) if not math.isfinite(r)]
        if bad:
            raise ValueError(f"reference must be finite; indicator(s) {bad} are not")
        basis = values if fit_on is None else fit_on[X.columns].to_numpy(dtype=float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            lo_b, hi_b = np.nanmin(basis, axis=0), np.nanmax(basis, axis=0)
        # Ratio-scale indicators (never negative, positive reference) are divided by the
        # national value, as COINr's dist2ref does. Growth rates and balances can be negative,
        # where a ratio means nothing; for them the distance is the difference from the
        # national value in per cent of the fitted range, so 100 still means "as Russia".
        ratio_scale = (lo_b >= 0) & (ref > 0) & ~((d < 0) & (lo_b <= 0))
        present = ~np.isnan(values)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(d > 0, values / ref, ref / values) * 100.0
            spread = np.where(hi_b > lo_b, hi_b - lo_b, np.nan)
            interval = 100.0 + d * 100.0 * (values - ref) / spread
        out = np.where(ratio_scale, ratio, interval)
        bad_ratio = present & ratio_scale & ~np.isfinite(out)
        if bad_ratio.any():
            cols = list(X.columns[bad_ratio.any(axis=0)])
            raise ValueError(f"distance_to_reference: x = 0 with direction -1 in {cols}")
        return pd.DataFrame(np.where(present, out, np.nan), index=X.index, columns=X.columns)

    if fit_on is None:
        basis = values
    else:
        _values(fit_on, "fit_on")
        missing = [c for c in X.columns if c not in fit_on.columns]
        if missing:
            raise ValueError(f"fit_on has no column for indicator(s) {missing}")
        basis = fit_on[X.columns].to_numpy(dtype=float)
    oriented, basis = values * d, basis * d

    # Columns without spread have no scale to normalise to; NaN lets aggregation skip them.
    count = np.sum(~np.isnan(basis), axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        spread = np.nanmax(basis, axis=0) - np.nanmin(basis, axis=0)
    degenerate = (count < 2) | ~(spread > 0)
    if degenerate.any():
        warnings.warn(
            f"indicator(s) {list(X.columns[degenerate])} have no spread in the fitted values; "
            f"their normalised values are NaN",
            UserWarning,
            stacklevel=2,
        )
    out = np.full(values.shape, np.nan)
    ok = ~degenerate
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if method == "minmax":
            low = np.nanmin(basis, axis=0)
            out[:, ok] = lo + (oriented[:, ok] - low[ok]) / spread[ok] * (hi - lo)
        elif method == "zscore":
            mean = np.nanmean(basis, axis=0)
            sd = np.nanstd(basis, axis=0, ddof=1)
            out[:, ok] = (oriented[:, ok] - mean[ok]) / sd[ok]
        else:  # rank
            for j in np.flatnonzero(ok):
                ranks, n = _mid_ranks(oriented[:, j], basis[:, j])
                out[:, j] = lo + np.clip((ranks - 1.0) / (n - 1.0), 0.0, 1.0) * (hi - lo)
    return pd.DataFrame(out, index=X.index, columns=X.columns)


# --------------------------------------------------------------------------------------------
# 3. weights
# --------------------------------------------------------------------------------------------


def _groups_series(groups: pd.Series | Mapping) -> pd.Series:
    g = groups if isinstance(groups, pd.Series) else pd.Series(dict(groups), dtype=object)
    if g.index.has_duplicates:
        raise ValueError(f"groups lists indicator(s) twice: {list(g.index[g.index.duplicated()])}")
    if g.isna().any():
        raise ValueError(f"groups has no level for indicator(s) {list(g.index[g.isna()])}")
    return g


def equal_weights(groups: pd.Series | Mapping) -> pd.Series:
    """Equal weights within each level, summing to 1 per level.

    Parameters
    ----------
    groups : Series or mapping
        Level of each indicator.

    Returns
    -------
    Series
        Weight per indicator (index as ``groups``), named ``weight``.

    Examples
    --------
    >>> equal_weights({"a": "transport", "b": "transport", "c": "social"}).tolist()
    [0.5, 0.5, 1.0]
    """
    g = _groups_series(groups)
    sizes = g.map(g.value_counts())
    return (1.0 / sizes.astype(float)).rename("weight")


def normalise_weights(w: pd.Series | Mapping, groups: pd.Series | Mapping) -> pd.Series:
    """Rescale user or catalogue weights so that they sum to 1 within each level.

    Weights are relative (as in COINr): only their ratios within a level matter. They must be
    finite and non-negative, with a positive sum in every level.

    Parameters
    ----------
    w : Series or mapping
        Weight per indicator; may hold extra indicators, must cover all of ``groups``.
    groups : Series or mapping
        Level of each indicator.

    Returns
    -------
    Series
        Weights indexed like ``groups``, named ``weight``.

    Examples
    --------
    >>> normalise_weights({"a": 2, "b": 6, "c": 5}, {"a": "t", "b": "t", "c": "s"}).tolist()
    [0.25, 0.75, 1.0]
    """
    g = _groups_series(groups)
    weights = pd.to_numeric(_aligned(w, g.index, "weights")).astype(float)
    bad = list(weights.index[~np.isfinite(weights.to_numpy()) | (weights.to_numpy() < 0)])
    if bad:
        raise ValueError(f"weights must be finite and >= 0; indicator(s) {bad} are not")
    totals = weights.groupby(g).transform("sum")
    empty = sorted(map(str, g[totals <= 0].unique()))
    if empty:
        raise ValueError(f"weights sum to 0 in level(s) {empty}")
    return (weights / totals).rename("weight")


def _varimax(loadings: np.ndarray, tol: float = 1e-12, max_sweeps: int = 500) -> np.ndarray:
    """Varimax rotation with Kaiser row normalisation, by Kaiser's pairwise planar rotations.

    Each pair of factors is turned by the angle that maximises the varimax criterion in its
    plane (closed form, Kaiser 1959), sweeping over all pairs until no angle exceeds ``tol``.
    The SVD fixed-point iteration of R's ``varimax`` is shorter but can oscillate between two
    rotations on symmetric loadings and stop at neither optimum; planar steps cannot.
    """
    p, m = loadings.shape
    if m < 2:
        return loadings
    h = np.sqrt(np.sum(loadings**2, axis=1))
    h[h == 0] = 1.0
    lam = loadings / h[:, None]
    for _ in range(max_sweeps):
        largest = 0.0
        for j in range(m - 1):
            for k in range(j + 1, m):
                x, y = lam[:, j], lam[:, k]
                u, v = x**2 - y**2, 2 * x * y
                a, b = u.sum(), v.sum()
                numerator = 2 * np.sum(u * v) - 2 * a * b / p
                denominator = np.sum(u**2 - v**2) - (a**2 - b**2) / p
                angle = math.atan2(numerator, denominator) / 4
                largest = max(largest, abs(angle))
                c, s = math.cos(angle), math.sin(angle)
                lam[:, j], lam[:, k] = c * x + s * y, -s * x + c * y
        if largest < tol:
            break
    return lam * h[:, None]


def _pca_level(values: np.ndarray) -> tuple[np.ndarray, str | None]:
    """OECD Handbook PCA weights for the indicators of one level (columns of ``values``)."""
    k = values.shape[1]
    if k == 1:
        return np.ones(1), None
    rows = values[~np.isnan(values).any(axis=1)]
    sd = rows.std(axis=0, ddof=1) if rows.shape[0] >= 2 else np.zeros(k)
    usable = np.isfinite(sd) & (sd > 0)
    if rows.shape[0] < 3 or usable.sum() < 2:
        # PCA needs at least three complete regions and two varying indicators; below that the
        # correlation structure is noise, so share the weight equally among what varies.
        w = usable / usable.sum() if usable.any() else np.full(k, 1.0 / k)
        return w.astype(float), (
            f"{rows.shape[0]} complete region(s) and {int(usable.sum())} varying indicator(s): "
            "equal weights used instead of PCA"
        )
    z = (rows[:, usable] - rows[:, usable].mean(axis=0)) / sd[usable]
    corr = z.T @ z / (z.shape[0] - 1)
    eigval, eigvec = np.linalg.eigh(corr)
    order = np.argsort(eigval)[::-1]
    eigval, eigvec = np.clip(eigval[order], 0.0, None), eigvec[:, order]
    keep = max(1, int(np.sum(eigval > 1.0 + _KAISER_TOL)))
    loadings = _varimax(eigvec[:, :keep] * np.sqrt(eigval[:keep]))
    squared = loadings**2
    factor_variance = squared.sum(axis=0)
    scaled = squared / factor_variance
    share = factor_variance / factor_variance.sum()
    best = np.argmax(scaled, axis=1)
    w = np.zeros(k)
    w[usable] = scaled[np.arange(scaled.shape[0]), best] * share[best]
    return w / w.sum(), None


def pca_weights(Xn: pd.DataFrame, groups: pd.Series | Mapping) -> pd.Series:
    """Weights from principal components, as in the OECD/JRC Handbook (2008, section 6.1).

    For each level separately, on the regions with no missing indicator in that level:

    1. PCA of the correlation matrix of the (normalised) indicators -- so ``minmax`` and
       ``zscore`` inputs give the same weights;
    2. keep the components with eigenvalue > 1 (Kaiser), at least one;
    3. varimax-rotate their loadings (with Kaiser normalisation);
    4. square the rotated loadings and scale them to sum to 1 within each factor;
    5. give each indicator its largest scaled squared loading times that factor's share of the
       variance explained by the kept factors;
    6. rescale to sum to 1 within the level.

    An indicator uncorrelated with the rest of its level gets (almost) no weight -- the known
    drawback of PCA weights. Indicators without spread get weight 0. A level with one
    indicator gets weight 1; a level with fewer than three complete regions or fewer than two
    varying indicators falls back to equal weights among the varying indicators, with a
    warning.

    Parameters
    ----------
    Xn : DataFrame
        Normalised regions x indicators.
    groups : Series or mapping
        Level of each indicator.

    Returns
    -------
    Series
        Weight per indicator (columns of ``Xn``), summing to 1 per level.

    Examples
    --------
    >>> import pandas as pd
    >>> Xn = pd.DataFrame({"a": [1, 2, 3, 4], "b": [5, 7, 9, 11], "c": [6, 4, 4, 6]})
    >>> pca_weights(Xn, {"a": "t", "b": "t", "c": "t"}).round(6).tolist()
    [0.5, 0.5, 0.0]
    """
    values = _values(Xn, "Xn")
    levels, positions = _structure(groups, Xn.columns)
    w = np.zeros(values.shape[1])
    for level, idx in zip(levels, positions, strict=True):
        w[idx], note = _pca_level(values[:, idx])
        if note:
            warnings.warn(f"level {level!r}: {note}", UserWarning, stacklevel=2)
    return pd.Series(w, index=Xn.columns, name="weight")


# --------------------------------------------------------------------------------------------
# 4-5. aggregation and contributions
# --------------------------------------------------------------------------------------------


def _pairwise_signs(V: np.ndarray, R: np.ndarray | None = None) -> np.ndarray:
    """sign(V[a, i] - R[b, i]) as an (a, b, i) array (R defaults to V); 0 where either value
    is missing."""
    diff = V[:, None, :] - (V if R is None else R)[None, :, :]
    signs = np.sign(diff)
    signs[np.isnan(diff)] = 0.0
    return signs


def _copeland_margins(
    V: np.ndarray, w: np.ndarray, R: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    signs = _pairwise_signs(V, R)
    margins = signs @ w
    margins[np.abs(margins) <= _TIE_TOL * w.sum()] = 0.0
    return margins, signs


def geometric_shift(Xn_reference) -> np.ndarray:
    """The shift ``1 - min`` per indicator that puts the reference's lowest value at 1.

    Geometric aggregation takes logarithms, so it needs positive values whatever the
    normalisation: it aggregates ``x + shift``, one positive scale for every normalisation (a
    min-max indicator on 0--100 becomes 1--101, a z-score ``z - min(z) + 1``). Indicators with
    no value get a shift of 0.

    Examples
    --------
    >>> geometric_shift([[0.0, -2.0], [100.0, 3.0]]).tolist()
    [1.0, 3.0]
    """
    values = np.asarray(Xn_reference, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low = np.nanmin(values, axis=0) if values.shape[0] else np.full(values.shape[1], np.nan)
    return np.where(np.isfinite(low), 1.0 - low, 0.0)


def _reference_values(reference, Xn: pd.DataFrame) -> np.ndarray | None:
    if reference is None:
        return None
    _values(reference, "reference")  # numeric, finite, no duplicates
    missing = [c for c in Xn.columns if c not in reference.columns]
    if missing:
        raise ValueError(f"reference has no column for indicator(s) {missing}")
    return reference[Xn.columns].to_numpy(dtype=float)


def _prepare(Xn: pd.DataFrame, weights, groups, method: str):
    values = _values(Xn, "Xn")
    method = _choices(method, AGGREGATIONS, "method")[0]
    levels, positions = _structure(groups, Xn.columns)
    g = pd.Series(np.empty(len(Xn.columns), dtype=object), index=Xn.columns)
    for level, idx in zip(levels, positions, strict=True):
        g.iloc[idx] = level
    w = normalise_weights(_aligned(weights, Xn.columns, "weights"), g).to_numpy()
    present = ~np.isnan(values)
    for level, idx in zip(levels, positions, strict=True):
        covered = (present[:, idx] * w[idx]).sum(axis=1) > 0
        if not covered.all():
            regions = list(Xn.index[~covered])
            raise ValueError(
                f"region(s) {regions} have no indicator with positive weight in level "
                f"{level!r}; a level score needs at least one"
            )
    if method == "geometric" and np.any(values[present] <= 0):
        cols = list(Xn.columns[(present & (values <= 0)).any(axis=0)])
        raise ValueError(
            f"geometric aggregation needs values > 0; indicator(s) {cols} have values <= 0 "
            "(normalise with scale=(1, 100), or aggregate with method='arithmetic')"
        )
    return values, present, w, levels, positions, method


def aggregate(
    Xn: pd.DataFrame,
    weights: pd.Series | Mapping,
    groups: pd.Series | Mapping,
    method: str = "arithmetic",
    *,
    reference: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Aggregate normalised indicators to one score per region and level.

    The methods:

    ``arithmetic``
        Weighted mean ``sum(w_i x_i) / sum(w_i)`` (fully compensatory; COINr ``a_amean``).
    ``geometric``
        Weighted geometric mean ``exp(sum(w_i log x_i) / sum(w_i))`` (partly compensatory;
        COINr ``a_gmean``). Needs every value > 0: a ``ValueError`` is raised otherwise, so
        normalise with ``scale=(1, 100)`` rather than the default ``(0, 100)``.
    ``copeland``
        Non-compensatory Copeland outranking (Munda and Nardo; OECD Handbook 6.3). For each pair
        of regions (a, b) the margin is ``c_ab = sum_i w_i * sign(x_ai - x_bi)`` -- the weight
        of the indicators on which a beats b minus those on which b beats a -- over the
        indicators both regions have. a wins the pair if ``c_ab > 0``, loses if ``< 0``, ties
        otherwise; the score is wins minus losses, between ``-(n-1)`` and ``n-1``. Only the
        order of values matters, so any increasing normalisation gives the same scores. (COINr's
        ``a_copeland`` instead sums the outranking matrix, a weighted Borda-type count.) With
        ``reference``, each region of ``Xn`` is compared with every row of ``reference``
        instead (a region compared with itself ties), so its score does not depend on which
        other regions are scored; it lies between ``-len(reference)`` and ``len(reference)``.

    Missing indicators: a region's score is computed over the indicators it has, with the
    weights of those indicators rescaled to sum to 1 (for Copeland, a pair is compared on the
    indicators both have). A region with no indicator of positive weight in a level is an error.
    Weights are rescaled to sum to 1 within each level first.

    Parameters
    ----------
    Xn : DataFrame
        Normalised regions x indicators (higher = more ready).
    weights : Series or mapping
        Relative weight per indicator.
    groups : Series or mapping
        Level of each indicator.
    method : {'arithmetic', 'geometric', 'copeland'}
    reference : DataFrame, optional
        For ``copeland``: the regions to compare with (normalised like ``Xn``); default ``Xn``.

    Returns
    -------
    DataFrame
        Regions x levels.

    Examples
    --------
    >>> import pandas as pd
    >>> Xn = pd.DataFrame({"a": [20, 50, 90], "b": [80, 50, 10]}, index=["A", "B", "C"])
    >>> w, g = {"a": 0.25, "b": 0.75}, {"a": "transport", "b": "transport"}
    >>> aggregate(Xn, w, g)["transport"].tolist()
    [65.0, 50.0, 30.0]
    >>> aggregate(Xn, w, g, "copeland")["transport"].tolist()
    [2.0, 0.0, -2.0]
    """
    values, present, w, levels, positions, method = _prepare(Xn, weights, groups, method)
    R = _reference_values(reference, Xn) if method == "copeland" else None
    scores = np.empty((values.shape[0], len(levels)))
    for col, idx in enumerate(positions):
        scores[:, col] = level_scores(
            values[:, idx], w[idx], method, None if R is None else R[:, idx]
        )
    return pd.DataFrame(scores, index=Xn.index, columns=pd.Index(levels, name="level"))


def level_scores(
    V: np.ndarray, w: np.ndarray, method: str, R: np.ndarray | None = None
) -> np.ndarray:
    """The kernel of :func:`aggregate` for one level, on arrays (no checks).

    ``V`` holds the level's normalised indicators (NaN = missing), ``w`` their weights summing
    to 1, ``R`` the reference rows of a Copeland score (default ``V``). Geometric inputs must
    be positive.
    """
    P = ~np.isnan(V)
    if method == "copeland":
        margins, _ = _copeland_margins(V, w, R)
        return np.sign(margins).sum(axis=1)
    den = (P * w).sum(axis=1)
    if method == "arithmetic":
        return np.where(P, V, 0.0) @ w / den
    return np.exp(np.where(P, np.log(np.where(P, V, 1.0)), 0.0) @ w / den)


def contributions(
    Xn: pd.DataFrame,
    weights: pd.Series | Mapping,
    groups: pd.Series | Mapping,
    method: str = "arithmetic",
    *,
    reference: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Exact additive contribution of each indicator to each region's level score.

    The contributions of a region's indicators in a level sum to its score from
    :func:`aggregate` (missing indicators contribute 0):

    * ``arithmetic``: ``w_i x_i / sum(w_j)`` over the available indicators;
    * ``geometric``: ``score * (w_i log x_i) / sum(w_j log x_j)``, i.e. the score split in
      proportion to each indicator's share of the log-score. When ``sum(w_j log x_j) = 0``
      (score 1) the shares are undefined and the score is split by weight, ``score * w_i /
      sum(w_j)``. With values >= 1 (minmax on ``(1, 100)``) every contribution is >= 0;
      values below 1 give negative log terms and contributions of mixed sign;
    * ``copeland``: each decided pair (a, b) adds ``sign(c_ab)`` to a's score; it is split over
      indicators as ``w_i sign(x_ai - x_bi) / |c_ab|``, so an indicator on which a loses a
      pair that a wins overall contributes negatively. Tied pairs contribute nothing.

    Parameters
    ----------
    Xn, weights, groups, method, reference
        As in :func:`aggregate`.

    Returns
    -------
    DataFrame
        Long table ``region, level, indicator, contribution``.

    Examples
    --------
    >>> import pandas as pd
    >>> Xn = pd.DataFrame({"a": [20, 50, 90], "b": [80, 50, 10]}, index=["A", "B", "C"])
    >>> w, g = {"a": 0.25, "b": 0.75}, {"a": "transport", "b": "transport"}
    >>> c = contributions(Xn, w, g)
    >>> c[c.region == "A"].contribution.tolist()
    [5.0, 60.0]
    """
    values, present, w, levels, positions, method = _prepare(Xn, weights, groups, method)
    R = _reference_values(reference, Xn) if method == "copeland" else None
    n = values.shape[0]
    frames = []
    for level, idx in zip(levels, positions, strict=True):
        V, P, wl = values[:, idx], present[:, idx], w[idx]
        den = (P * wl).sum(axis=1, keepdims=True)
        if method == "arithmetic":
            parts = np.where(P, V, 0.0) * wl / den
        elif method == "geometric":
            logs = np.where(P, np.log(np.where(P, V, 1.0)), 0.0) * wl / den
            log_score = logs.sum(axis=1, keepdims=True)
            score = np.exp(log_score)
            degenerate = np.abs(log_score) < 1e-12
            safe = np.where(degenerate, 1.0, log_score)
            parts = np.where(degenerate, score * P * wl / den, score * logs / safe)
        else:
            margins, signs = _copeland_margins(V, wl, None if R is None else R[:, idx])
            decided = margins != 0
            inverse = np.where(decided, 1.0 / np.where(decided, np.abs(margins), 1.0), 0.0)
            parts = np.einsum("abi,ab->ai", signs * wl, inverse)
        frames.append(
            pd.DataFrame(
                {
                    "region": np.repeat(Xn.index.to_numpy(), len(idx)),
                    "level": level,
                    "indicator": np.tile(Xn.columns.to_numpy()[idx], n),
                    "contribution": parts.ravel(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _level_weights(level_scores: pd.DataFrame, level_weights) -> np.ndarray:
    values = _values(level_scores, "level_scores")
    if np.isnan(values).any():
        raise ValueError("level_scores has missing values; every region needs every level score")
    if level_weights is None:
        return np.full(values.shape[1], 1.0 / values.shape[1])
    lw = pd.to_numeric(_aligned(level_weights, level_scores.columns, "level_weights"))
    lw = lw.to_numpy(dtype=float)
    if not (np.all(np.isfinite(lw)) and np.all(lw >= 0) and lw.sum() > 0):
        raise ValueError("level_weights must be finite, >= 0 and not all 0")
    return lw / lw.sum()


def overall_score(
    level_scores: pd.DataFrame, level_weights: pd.Series | Mapping | None = None
) -> pd.Series:
    """Overall readiness: weighted arithmetic mean of the level scores.

    Parameters
    ----------
    level_scores : DataFrame
        Regions x levels, e.g. from :func:`aggregate`.
    level_weights : Series or mapping, optional
        Relative weight per level; equal weights by default.

    Returns
    -------
    Series
        Score per region, named ``overall``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"t": [30.0, 60.0], "j": [60.0, 60.0], "s": [90.0, 30.0]})
    >>> overall_score(s).tolist()
    [60.0, 50.0]
    """
    lw = _level_weights(level_scores, level_weights)
    return pd.Series(
        level_scores.to_numpy(dtype=float) @ lw, index=level_scores.index, name="overall"
    )


def overall_contributions(
    level_scores: pd.DataFrame, level_weights: pd.Series | Mapping | None = None
) -> pd.DataFrame:
    """Contribution ``w_l * score_l`` of each level to the overall score (they sum to it).

    Parameters
    ----------
    level_scores, level_weights
        As in :func:`overall_score`.

    Returns
    -------
    DataFrame
        Long table ``region, level, contribution``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"t": [30.0], "j": [60.0], "s": [90.0]}, index=["A"])
    >>> overall_contributions(s).contribution.tolist()
    [10.0, 20.0, 30.0]
    """
    lw = _level_weights(level_scores, level_weights)
    parts = level_scores.to_numpy(dtype=float) * lw
    n, m = parts.shape
    return pd.DataFrame(
        {
            "region": np.repeat(level_scores.index.to_numpy(), m),
            "level": np.tile(level_scores.columns.to_numpy(), n),
            "contribution": parts.ravel(),
        }
    )


# --------------------------------------------------------------------------------------------
# 6. Monte Carlo uncertainty
# --------------------------------------------------------------------------------------------


def _descending_ranks(scores: np.ndarray) -> np.ndarray:
    """Average ranks along axis 1 of a (replicates, regions, outputs) array, 1 = highest."""
    # Sort once (n log n) rather than compare all pairs (n^2): this step dominates the run time.
    order = np.argsort(-scores, axis=1, kind="stable")
    ordered = np.take_along_axis(scores, order, axis=1)
    n = scores.shape[1]
    position = np.arange(n).reshape(1, n, 1)
    # Neighbours closer than round-off are tied: e.g. two regions with the same integer Copeland
    # level scores in a different order get overall means that differ in the last bit.
    size = np.max(np.abs(ordered), axis=1, keepdims=True)
    differs = (ordered[:, :-1] - ordered[:, 1:]) > _TIE_TOL * np.where(size > 0, size, 1.0)
    opens = np.ones(ordered.shape, dtype=bool)
    opens[:, 1:] = differs
    closes = np.ones(ordered.shape, dtype=bool)
    closes[:, :-1] = differs
    first = np.maximum.accumulate(np.where(opens, position, 0), axis=1)
    last = np.minimum.accumulate(np.where(closes, position, n - 1)[:, ::-1], axis=1)[:, ::-1]
    ranks = np.empty(scores.shape)
    np.put_along_axis(ranks, order, (first + last) / 2.0 + 1.0, axis=1)
    return ranks


class _Engine:
    """Everything the replicates share, precomputed once: normalised matrices per method,
    weight tables per (weighting, normalisation, dropped indicator), Copeland sign tensors."""

    def __init__(
        self,
        X,
        directions,
        groups,
        *,
        fit_on,
        reference,
        normalisations,
        weightings,
        aggregations,
        catalogue_weights,
        dropout,
        level_weights,
    ):
        values = _values(X)
        if values.shape[0] < 2:
            raise ValueError("ranking needs at least two regions in X")
        self.regions, self.indicators = X.index, X.columns
        self.levels, self.positions = _structure(groups, X.columns)
        self.notes: dict[str, str] = {}

        normalisations = _choices(normalisations, NORMALISATIONS, "normalisations")
        if "distance_to_reference" in normalisations and reference is None:
            normalisations = self._omit(
                "normalisation", normalisations, "distance_to_reference", "no `reference` given"
            )
        weightings = _choices(weightings, WEIGHTINGS, "weightings")
        if "catalogue" in weightings and catalogue_weights is None:
            weightings = self._omit(
                "weighting", weightings, "catalogue", "no `catalogue_weights` given"
            )
        self.normalisations = normalisations
        self.weightings = weightings
        self.aggregations = _choices(aggregations, AGGREGATIONS, "aggregations")
        self.dropout = bool(dropout)

        g = pd.Series(np.empty(len(X.columns), dtype=object), index=X.columns)
        for level, idx in zip(self.levels, self.positions, strict=True):
            g.iloc[idx] = level
        level_frame = pd.DataFrame(columns=self.levels, dtype=float)
        self.level_weights = _level_weights(level_frame, level_weights)

        K, (N, n_ind) = len(normalisations), values.shape
        self.Z = np.zeros((K, N, n_ind))
        self.logZ = np.zeros((K, N, n_ind))
        self.mask = np.zeros((K, N, n_ind), dtype=bool)
        # The normalised reference regions of each normalisation: they fit the PCA weights, the
        # geometric shift and are the regions a Copeland score compares with, exactly as in
        # border_readiness.features.readiness_model (the nominal model).
        fitted = []
        basis = X if fit_on is None else fit_on
        common = {"directions": directions, "reference": reference}
        for k, method in enumerate(normalisations):
            with warnings.catch_warnings():
                # Indicators without spread are reported once, by the nominal model.
                warnings.simplefilter("ignore", UserWarning)
                Zk = normalise(X, method, fit_on=fit_on, **common).to_numpy()
                fitted.append(normalise(basis, method, fit_on=fit_on, **common).to_numpy())
            self.mask[k] = ~np.isnan(Zk)
            self.Z[k] = np.where(self.mask[k], Zk, 0.0)
            if "geometric" in self.aggregations:
                positive = Zk + geometric_shift(fitted[k])
                bad = self.mask[k] & ~(positive > 0)
                if bad.any():
                    raise ValueError(
                        f"geometric aggregation after {method!r} normalisation meets values more "
                        f"than one unit below the reference minimum in indicator(s) "
                        f"{list(X.columns[bad.any(axis=0)])}; remove one of them from "
                        f"`normalisations` / `aggregations`"
                    )
                self.logZ[k] = np.where(
                    self.mask[k], np.log(np.where(self.mask[k], positive, 1)), 0.0
                )

        present = self.mask.all(axis=0)
        for level, idx in zip(self.levels, self.positions, strict=True):
            empty = ~present[:, idx].any(axis=1)
            if empty.any():
                raise ValueError(
                    f"region(s) {list(X.index[empty])} have no usable indicator in level {level!r}"
                )

        # Drop options per level: index 0 is "none"; an indicator can be dropped only if every
        # region keeps another usable indicator in the level, so no level is ever emptied.
        self.drop_options: list[list[int | None]] = []
        for idx in self.positions:
            options: list[int | None] = [None]
            if self.dropout and idx.size > 1:
                for i in idx:
                    others = idx[idx != i]
                    if present[:, others].any(axis=1).all():
                        options.append(int(i))
            self.drop_options.append(options)

        catalogue = None
        if "catalogue" in weightings:
            catalogue = normalise_weights(
                _aligned(catalogue_weights, X.columns, "catalogue_weights"), g
            ).to_numpy()
        # tables[level][weighting, normalisation, drop option] -> weights of the level's indicators
        self.tables = []
        fallbacks: set[str] = set()
        for idx, options in zip(self.positions, self.drop_options, strict=True):
            table = np.zeros((len(weightings), K, len(options), idx.size))
            for o, dropped in enumerate(options):
                keep = idx != dropped if dropped is not None else np.ones(idx.size, dtype=bool)
                for wi, name in enumerate(weightings):
                    for k in range(K):
                        if name == "equal":
                            w = keep.astype(float)
                        elif name == "catalogue":
                            w = np.where(keep, catalogue[idx], 0.0)
                        else:
                            w = np.zeros(idx.size)
                            w[keep], note = _pca_level(fitted[k][:, idx[keep]])
                            if note:
                                level = self.levels[len(self.tables)]
                                fallbacks.add(f"pca in level {level!r}: {note}")
                        total = w.sum()
                        if total <= 0:
                            raise ValueError(
                                f"{name} weights sum to 0 in level "
                                f"{self.levels[len(self.tables)]!r} after dropping "
                                f"{X.columns[dropped] if dropped is not None else 'nothing'}"
                            )
                        table[wi, k, o] = w / total
            self.tables.append(table)
        if fallbacks:
            self.notes["weighting"] = "; ".join(
                [self.notes.get("weighting", ""), *sorted(fallbacks)]
            ).strip("; ")

        self.signs = None
        self.n_reference = basis.shape[0]
        if "copeland" in self.aggregations:
            R = self.n_reference
            self.signs = [
                [
                    _pairwise_signs(
                        np.where(self.mask[k], self.Z[k], np.nan)[:, idx], fitted[k][:, idx]
                    ).reshape(N * R, idx.size)
                    for idx in self.positions
                ]
                for k in range(K)
            ]

    def _omit(self, factor: str, options: tuple[str, ...], option: str, why: str):
        kept = tuple(o for o in options if o != option)
        if not kept:
            raise ValueError(f"{factor}: the only option {option!r} cannot be used: {why}")
        self.notes[factor] = f"{option!r} omitted: {why}"
        warnings.warn(f"{factor} {option!r} is not varied: {why}", UserWarning, stacklevel=4)
        return kept

    # -- design ------------------------------------------------------------------------------

    @property
    def factor_sizes(self) -> list[int]:
        sizes = [len(self.normalisations), len(self.weightings), len(self.aggregations)]
        return sizes + [len(options) for options in self.drop_options]

    @property
    def factor_names(self) -> list[str]:
        return ["normalisation", "weighting", "aggregation"] + [f"drop_{lv}" for lv in self.levels]

    def draw(self, n_replicates: int, random_state) -> np.ndarray:
        blocks = -(-n_replicates // _SEED_BLOCK)
        children = np.random.SeedSequence(random_state).spawn(blocks)
        parts = []
        for b, child in enumerate(children):
            size = min(_SEED_BLOCK, n_replicates - b * _SEED_BLOCK)
            rng = np.random.default_rng(child)
            parts.append(np.column_stack([rng.integers(s, size=size) for s in self.factor_sizes]))
        return np.concatenate(parts).astype(np.intp)

    def option_labels(self, column: int) -> list[str]:
        if column == 0:
            return list(self.normalisations)
        if column == 1:
            return list(self.weightings)
        if column == 2:
            return list(self.aggregations)
        options = self.drop_options[column - 3]
        return ["none" if i is None else str(self.indicators[i]) for i in options]

    def design_frame(self, codes: np.ndarray) -> pd.DataFrame:
        data = {}
        for c, name in enumerate(self.factor_names):
            labels = np.asarray(self.option_labels(c), dtype=object)
            data[name] = pd.Categorical(labels[codes[:, c]], categories=pd.unique(labels))
        return pd.DataFrame(data, index=pd.RangeIndex(codes.shape[0], name="replicate"))

    def factors_frame(self) -> pd.DataFrame:
        rows = []
        for c, name in enumerate(self.factor_names):
            labels = self.option_labels(c)
            note = self.notes.get(name, "")
            if name.startswith("drop_"):
                level = name[len("drop_") :]
                if not self.dropout:
                    note = "dropout disabled"
                elif len(labels) == 1:
                    note = f"level {level!r} has no indicator that can be dropped"
                else:
                    note = (
                        f"at most one indicator of {level!r} dropped; 'none' keeps all; "
                        "weights re-normalised over the rest"
                    )
            rows.append(
                {
                    "factor": name,
                    "values": labels,
                    "n_values": len(labels),
                    "distribution": "uniform over values",
                    "note": note,
                }
            )
        return pd.DataFrame(rows)

    # -- evaluation --------------------------------------------------------------------------

    def scores(self, codes: np.ndarray) -> np.ndarray:
        norm, weighting, agg = codes[:, 0], codes[:, 1], codes[:, 2]
        b, N = codes.shape[0], len(self.regions)
        W = np.zeros((b, len(self.indicators)))
        for lev, idx in enumerate(self.positions):
            W[:, idx] = self.tables[lev][weighting, norm, codes[:, 3 + lev]]
        out = np.empty((b, N, len(self.levels)))
        for k in np.unique(norm):
            for a in np.unique(agg[norm == k]):
                sel = np.flatnonzero((norm == k) & (agg == a))
                method = self.aggregations[a]
                for lev, idx in enumerate(self.positions):
                    out[sel, :, lev] = self._level(method, k, lev, idx, W[np.ix_(sel, idx)])
        return out

    def _level(self, method: str, k: int, lev: int, idx: np.ndarray, Wl: np.ndarray) -> np.ndarray:
        if method == "copeland":
            signs = self.signs[k][lev]
            N, R = len(self.regions), self.n_reference
            out = np.empty((Wl.shape[0], N))
            for start in range(0, Wl.shape[0], _COPELAND_CHUNK):
                chunk = Wl[start : start + _COPELAND_CHUNK]
                margins = chunk @ signs.T
                margins[np.abs(margins) <= _TIE_TOL] = 0.0
                out[start : start + _COPELAND_CHUNK] = np.sign(margins).reshape(-1, N, R).sum(-1)
            return out
        V = (self.Z if method == "arithmetic" else self.logZ)[k][:, idx]
        M = self.mask[k][:, idx]
        # Broadcast-and-sum (not BLAS matmul): each score is reduced over the same contiguous
        # vector whatever the batch, so results do not depend on batch_size.
        num = (Wl[:, None, :] * V[None]).sum(axis=-1)
        den = (Wl[:, None, :] * M[None]).sum(axis=-1)
        if np.any(den <= 0):
            raise ValueError(
                f"a region has no indicator with positive weight in level {self.levels[lev]!r} "
                "in some replicate (PCA can give weight 0); drop 'pca' from `weightings`"
            )
        return num / den if method == "arithmetic" else np.exp(num / den)

    def ranks(self, codes: np.ndarray) -> np.ndarray:
        scores = self.scores(codes)
        overall = (scores * self.level_weights).sum(axis=-1)
        return _descending_ranks(np.concatenate([scores, overall[..., None]], axis=-1))

    def ranks_batched(self, codes: np.ndarray, batch_size: int, n_jobs: int | None) -> np.ndarray:
        slices = [slice(s, s + batch_size) for s in range(0, codes.shape[0], batch_size)]
        if n_jobs in (None, 1) or len(slices) == 1:
            parts = [self.ranks(codes[s]) for s in slices]
        else:
            from joblib import Parallel, delayed

            parts = Parallel(n_jobs=n_jobs)(delayed(self.ranks)(codes[s]) for s in slices)
        return np.concatenate(parts)


@dataclass(frozen=True, eq=False)
class UncertaintyResult:
    """Ranks of every region under every Monte Carlo replicate, and what was varied.

    Attributes
    ----------
    ranks : ndarray of shape (n_replicates, n_regions, n_levels + 1)
        Average ranks (1 = most ready) per replicate, region and level; the last level is
        ``overall``.
    regions : Index
        Region labels (the index of ``X``).
    levels : tuple of str
        The levels, then ``'overall'``.
    nominal_ranks : DataFrame
        Regions x levels ranks of the nominal composite: the first option of each factor and
        no indicator dropped.
    factors : DataFrame
        One row per varied factor: ``factor, values, n_values, distribution, note`` -- exactly
        what was varied, including options that were requested but could not be used.
    design : DataFrame
        The factor values of each replicate (index ``replicate``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.lognormal(size=(6, 4)), columns=list("abcd"))
    >>> groups = {"a": "t", "b": "t", "c": "s", "d": "s"}
    >>> res = monte_carlo_ranks(X, dict.fromkeys("abcd", 1), groups, n_replicates=50,
    ...                         normalisations=("minmax", "rank"), weightings=("equal",))
    >>> res.ranks.shape
    (50, 6, 3)
    >>> res.prob_strongest_level().groupby("region").probability.sum().round(9).unique()
    array([1.])
    """

    ranks: np.ndarray
    regions: pd.Index
    levels: tuple[str, ...]
    nominal_ranks: pd.DataFrame
    factors: pd.DataFrame
    design: pd.DataFrame

    def rank_intervals(self, q: Sequence[float] = (0.05, 0.5, 0.95)) -> pd.DataFrame:
        """Rank quantiles per region and level, with the nominal and mean rank.

        Parameters
        ----------
        q : sequence of float
            Quantiles in [0, 1]; 0.5 is named ``rank_median``, others ``rank_p`` + percent
            (``rank_p05``, ``rank_p95``, ``rank_p2.5``).

        Returns
        -------
        DataFrame
            ``region, level, rank_nominal, rank_mean`` and one column per quantile.

        Examples
        --------
        >>> import pandas as pd
        >>> X = pd.DataFrame({"a": [1.0, 2, 3], "b": [1.0, 3, 2]})
        >>> res = monte_carlo_ranks(X, {"a": 1, "b": 1}, {"a": "t", "b": "t"}, n_replicates=20,
        ...                         normalisations=("minmax", "rank"), weightings=("equal",))
        >>> list(res.rank_intervals().columns)
        ['region', 'level', 'rank_nominal', 'rank_mean', 'rank_p05', 'rank_median', 'rank_p95']
        """
        qs = np.asarray(q, dtype=float)
        if qs.ndim != 1 or np.any((qs < 0) | (qs > 1)):
            raise ValueError(f"q must be quantiles in [0, 1], got {q!r}")
        n, m = self.ranks.shape[1:]
        table = {
            "region": np.repeat(self.regions.to_numpy(), m),
            "level": np.tile(np.asarray(self.levels, dtype=object), n),
            "rank_nominal": self.nominal_ranks.to_numpy().ravel(),
            "rank_mean": self.ranks.mean(axis=0).ravel(),
        }
        quantiles = np.quantile(self.ranks, qs, axis=0)
        for value, row in zip(qs, quantiles, strict=True):
            name = "rank_median" if value == 0.5 else f"rank_p{value * 100:02g}"
            table[name] = row.ravel()
        return pd.DataFrame(table)

    def prob_strongest_level(self) -> pd.DataFrame:
        """Probability that each level is the region's strongest.

        Level scores live on different scales (and Copeland scores are counts), so each
        replicate compares a region's *percentile ranks* among the regions, ``(n - rank) /
        (n - 1)`` (1 = best), across the levels (``overall`` excluded). Ties split the
        replicate equally, so each region's probabilities sum to 1.

        Returns
        -------
        DataFrame
            ``region, level, probability``.

        Examples
        --------
        >>> import pandas as pd
        >>> X = pd.DataFrame({"a": [1.0, 2, 3], "b": [3.0, 2, 1]})
        >>> res = monte_carlo_ranks(X, {"a": 1, "b": 1}, {"a": "t", "b": "s"}, n_replicates=10,
        ...                         normalisations=("minmax", "rank"), weightings=("equal",))
        >>> res.prob_strongest_level().probability.tolist()
        [0.0, 1.0, 0.5, 0.5, 1.0, 0.0]
        """
        n = self.ranks.shape[1]
        percentile = (n - self.ranks[:, :, :-1]) / (n - 1)
        best = percentile.max(axis=-1, keepdims=True)
        strongest = percentile == best
        share = strongest / strongest.sum(axis=-1, keepdims=True)
        probability = share.mean(axis=0)
        levels = self.levels[:-1]
        return pd.DataFrame(
            {
                "region": np.repeat(self.regions.to_numpy(), len(levels)),
                "level": np.tile(np.asarray(levels, dtype=object), n),
                "probability": probability.ravel(),
            }
        )

    def to_frame(self) -> pd.DataFrame:
        """Summary per region and level: rank intervals and ``prob_strongest`` (NaN for
        ``overall``); the raw replicate ranks stay in :attr:`ranks`.

        Examples
        --------
        >>> import pandas as pd
        >>> X = pd.DataFrame({"a": [1.0, 2, 3], "b": [3.0, 2, 1]})
        >>> res = monte_carlo_ranks(X, {"a": 1, "b": 1}, {"a": "t", "b": "s"}, n_replicates=10,
        ...                         normalisations=("minmax", "rank"), weightings=("equal",))
        >>> res.to_frame().shape
        (9, 8)
        """
        strongest = self.prob_strongest_level().rename(columns={"probability": "prob_strongest"})
        return self.rank_intervals().merge(strongest, on=["region", "level"], how="left")


def monte_carlo_ranks(
    X: pd.DataFrame,
    directions: pd.Series | Mapping,
    groups: pd.Series | Mapping,
    *,
    fit_on: pd.DataFrame | None = None,
    reference: pd.Series | Mapping | None = None,
    n_replicates: int = 10_000,
    normalisations: Sequence[str] = NORMALISATIONS,
    weightings: Sequence[str] = WEIGHTINGS,
    aggregations: Sequence[str] = ("arithmetic", "geometric"),
    catalogue_weights: pd.Series | Mapping | None = None,
    dropout: bool = True,
    level_weights: pd.Series | Mapping | None = None,
    random_state: int | None = 0,
    batch_size: int = 1000,
    n_jobs: int | None = None,
) -> UncertaintyResult:
    """Monte Carlo uncertainty analysis of the regions' ranks (Saisana, Saltelli, Tarantola 2005).

    Each replicate draws, independently and uniformly:

    * a normalisation from ``normalisations`` (statistics from ``fit_on`` if given);
    * a weighting from ``weightings``: ``equal``, ``catalogue`` (``catalogue_weights``,
      rescaled per level) or ``pca`` (:func:`pca_weights` of the normalised ``fit_on``, or of
      ``X`` without it -- PCA on 12 regions is fragile, so pass ``fit_on``);
    * an aggregation from ``aggregations`` (any of ``arithmetic``, ``geometric``,
      ``copeland``);
    * if ``dropout``, for each level either nothing or exactly one of its indicators is
      dropped, uniformly over ``{none, indicator_1, ..., indicator_k}``. Keeping ``none`` in the
      draw keeps the nominal composite in the support. An indicator is never dropped if that
      would leave a region without data in the level, and a one-indicator level is never
      emptied. Weights are re-normalised over the remaining indicators; PCA weights are
      recomputed without the dropped indicator.

    Level scores are then aggregated to ``overall`` with :func:`overall_score`'s weighted
    arithmetic mean (``level_weights``, equal by default) whatever the level aggregation, and
    every output is ranked among the regions of ``X`` (1 = most ready, ties share the average
    rank).

    The choices are those of :class:`~border_readiness.features.readiness_model.ReadinessModel`,
    evaluated with the same kernels: geometric means aggregate ``x - min + 1`` with the minimum
    of each normalised indicator over ``fit_on`` (:func:`geometric_shift`), and a Copeland score
    counts wins minus losses against every region of ``fit_on`` (``X`` without it). The
    replicate with the first option of every factor and nothing dropped equals the fitted
    model's scores and ranks (a test checks every combination). Options that cannot be used
    (``distance_to_reference`` without ``reference``, ``catalogue`` without
    ``catalogue_weights``) are left out with a warning and recorded in ``factors``.

    Determinism: the draws come from ``SeedSequence(random_state).spawn(...)``, one child per
    fixed block of 1000 replicates, and every replicate is computed independently, so the same
    seed gives identical ranks for any ``batch_size`` and ``n_jobs`` (joblib).

    Parameters
    ----------
    X : DataFrame
        Raw (treated) regions x indicators.
    directions, groups : Series or mapping
        Direction (+1/-1) and level of each indicator.
    fit_on : DataFrame, optional
        Regions that define the normalisation statistics (e.g. all Russian regions).
    reference : Series or mapping, optional
        Reference value per indicator, for ``distance_to_reference``.
    n_replicates : int
    normalisations, weightings, aggregations : sequence of str
        Options to vary; the first of each is the nominal choice.
    catalogue_weights : Series or mapping, optional
        Relative weight per indicator (the indicator catalogue's weights).
    dropout : bool
        Whether to vary which indicator is dropped per level.
    level_weights : Series or mapping, optional
        Relative weight per level in ``overall``.
    random_state : int or None
    batch_size : int
        Replicates computed together (memory ~ batch_size x regions^2 x levels bytes).
    n_jobs : int, optional
        joblib workers over batches; ``None`` runs in-process.

    Returns
    -------
    UncertaintyResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> X = pd.DataFrame(np.random.default_rng(1).lognormal(size=(5, 4)), columns=list("abcd"))
    >>> res = monte_carlo_ranks(X, dict.fromkeys("abcd", 1), dict(a="t", b="t", c="s", d="s"),
    ...                         n_replicates=200, normalisations=("minmax", "zscore", "rank"),
    ...                         weightings=("equal", "pca"))
    >>> res.factors.factor.tolist()
    ['normalisation', 'weighting', 'aggregation', 'drop_t', 'drop_s']
    """
    if not (isinstance(n_replicates, (int, np.integer)) and n_replicates >= 1):
        raise ValueError(f"n_replicates must be a positive integer, got {n_replicates!r}")
    if not (isinstance(batch_size, (int, np.integer)) and batch_size >= 1):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    engine = _Engine(
        X,
        directions,
        groups,
        fit_on=fit_on,
        reference=reference,
        normalisations=normalisations,
        weightings=weightings,
        aggregations=aggregations,
        catalogue_weights=catalogue_weights,
        dropout=dropout,
        level_weights=level_weights,
    )
    codes = engine.draw(int(n_replicates), random_state)
    ranks = engine.ranks_batched(codes, int(batch_size), n_jobs)
    levels = (*engine.levels, "overall")
    nominal = engine.ranks(np.zeros((1, len(engine.factor_sizes)), dtype=np.intp))[0]
    return UncertaintyResult(
        ranks=ranks,
        regions=X.index,
        levels=levels,
        nominal_ranks=pd.DataFrame(nominal, index=X.index, columns=pd.Index(levels, name="level")),
        factors=engine.factors_frame(),
        design=engine.design_frame(codes),
    )


# --------------------------------------------------------------------------------------------
# 7. variance-based sensitivity
# --------------------------------------------------------------------------------------------


def _factor_values(factor_levels: Mapping[str, int | Sequence | None]):
    """Per factor: None for continuous U[0, 1), else the array of its discrete values."""
    if not factor_levels:
        raise ValueError("factor_levels must name at least one factor")
    specs = {}
    for name, spec in factor_levels.items():
        if spec is None:
            specs[name] = None
        elif isinstance(spec, (int, np.integer)) and not isinstance(spec, bool):
            if spec < 1:
                raise ValueError(f"factor {name!r}: number of levels must be >= 1, got {spec}")
            specs[name] = np.arange(int(spec))
        elif isinstance(spec, (Sequence, np.ndarray, pd.Index)) and not isinstance(spec, str):
            if len(spec) == 0:
                raise ValueError(f"factor {name!r} has no levels")
            specs[name] = np.asarray(list(spec), dtype=object if isinstance(spec[0], str) else None)
        else:
            raise ValueError(
                f"factor {name!r}: expected a number of levels, a list of levels or None "
                f"(continuous U[0, 1)), got {spec!r}"
            )
    return specs


def _saltelli(model, factor_levels, n: int, random_state):
    """Evaluate ``model`` on Saltelli's N (d + 2) design; return (names, yA, yB, yAB, rng)."""
    from scipy.stats import qmc

    if not (isinstance(n, (int, np.integer)) and n >= 2):
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    specs = _factor_values(factor_levels)
    names = list(specs)
    d = len(names)
    sample_seed, boot_seed = np.random.SeedSequence(random_state).spawn(2)
    # Saltelli (2010) draws A and B from one 2d-dimensional quasi-random (Sobol') sequence.
    sampler = qmc.Sobol(d=2 * d, scramble=True, rng=np.random.default_rng(sample_seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # balance warning when n is not 2**m
        base = sampler.random(int(n))
    A, B = base[:, :d], base[:, d:]
    AB = np.repeat(A[None], d, axis=0)
    for i in range(d):
        AB[i, :, i] = B[:, i]
    U = np.concatenate([A, B, AB.reshape(d * n, d)])
    inputs = {}
    for j, name in enumerate(names):
        values = specs[name]
        if values is None:
            inputs[name] = U[:, j]
        else:
            codes = np.minimum((U[:, j] * len(values)).astype(np.intp), len(values) - 1)
            inputs[name] = values[codes]
    y = np.asarray(model(inputs), dtype=float)
    if y.shape[0] != U.shape[0]:
        raise ValueError(f"model returned {y.shape[0]} rows for {U.shape[0]} inputs")
    y = y.reshape(U.shape[0], -1)
    if not np.all(np.isfinite(y)):
        raise ValueError("model returned non-finite values")
    return (
        names,
        y[:n],
        y[n : 2 * n],
        y[2 * n :].reshape(d, n, -1),
        np.random.default_rng(boot_seed),
    )


def _sobol_estimates(yA, yB, yAB) -> tuple[np.ndarray, np.ndarray]:
    """S1 (Saltelli 2010) and ST (Jansen 1999), variance-weighted over outputs."""
    # Centring does not change what S1 estimates (E[f(A_B^i) - f(A)] = 0) but removes the
    # mean from the product f(B) (f(A_B^i) - f(A)), whose variance it would inflate (as SALib).
    centre = np.mean(np.concatenate([yA, yB]), axis=0)
    yA, yB, yAB = yA - centre, yB - centre, yAB - centre
    variance = np.var(np.concatenate([yA, yB]), axis=0).sum()
    if variance <= 0:
        nan = np.full(yAB.shape[0], np.nan)
        return nan, nan
    first = np.mean(yB * (yAB - yA), axis=1).sum(axis=-1)
    total = 0.5 * np.mean((yA - yAB) ** 2, axis=1).sum(axis=-1)
    return first / variance, total / variance


def _sobol_table(names, yA, yB, yAB, rng, n_boot: int, conf_level: float) -> pd.DataFrame:
    S1, ST = _sobol_estimates(yA, yB, yAB)
    n = yA.shape[0]
    boot1, bootT = [], []
    for _ in range(n_boot):
        pick = rng.integers(n, size=n)
        b1, bT = _sobol_estimates(yA[pick], yB[pick], yAB[:, pick])
        boot1.append(b1)
        bootT.append(bT)
    z = NormalDist().inv_cdf(0.5 + conf_level / 2)
    if n_boot >= 2:
        conf1 = z * np.std(boot1, axis=0, ddof=1)
        confT = z * np.std(bootT, axis=0, ddof=1)
    else:
        conf1 = confT = np.full(len(names), np.nan)
    return pd.DataFrame({"factor": names, "S1": S1, "ST": ST, "S1_conf": conf1, "ST_conf": confT})


def sobol_indices(
    model: Callable[[dict[str, np.ndarray]], np.ndarray],
    factor_levels: Mapping[str, int | Sequence | None],
    *,
    n: int = 1024,
    random_state: int | None = 0,
    n_boot: int = 100,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """First-order and total Sobol' indices with Saltelli's N (d + 2) design.

    Two independent N x d sample matrices A and B come from one scrambled Sobol' quasi-random
    sequence of dimension 2d; ``A_B^i`` is A with column i taken from B. The model is evaluated
    once on all ``N (d + 2)`` rows, then (Saltelli et al. 2010, Table 2)

    * ``S1_i = mean(f(B) (f(A_B^i) - f(A))) / V`` (Saltelli 2010),
    * ``ST_i = mean((f(A) - f(A_B^i))^2) / (2 V)`` (Jansen 1999),

    with ``V`` the variance of ``f`` over A and B together; ``f`` is first centred on its mean
    over A and B (as SALib), which leaves the estimands unchanged and cuts the variance of the
    S1 estimator when the output mean is large. Confidence half-widths are
    ``z * sd`` of ``n_boot`` bootstrap resamples of the N rows (as SALib).

    Factors: an integer k is a discrete factor with values ``0..k-1``; a list is a discrete
    factor with those values; ``None`` is continuous on [0, 1). Each is drawn uniformly and
    independently.

    Several outputs (``model`` returning shape (M, k), e.g. the rank of every region) are
    summarised by averaging the per-output indices weighted by each output's variance, i.e.
    ``sum_j V_ij / sum_j V_j`` -- the share of the total output variance due to the factor
    (Gamboa et al. 2014). Outputs that never vary count for nothing; if none varies, the
    indices are NaN.

    Parameters
    ----------
    model : callable
        Vectorised: takes ``{factor: array of length M}``, returns an array (M,) or (M, k).
    factor_levels : mapping
        Factor name -> number of levels, list of levels, or None (continuous).
    n : int
        Base sample size N (a power of two keeps the Sobol' sequence balanced).
    random_state : int or None
    n_boot : int
        Bootstrap resamples for the confidence half-widths.
    conf_level : float

    Returns
    -------
    DataFrame
        ``factor, S1, ST, S1_conf, ST_conf``.

    Examples
    --------
    >>> res = sobol_indices(lambda f: f["x1"] + 2 * f["x2"], {"x1": None, "x2": None}, n=1024)
    >>> res.round(1)[["factor", "S1", "ST"]].values.tolist()
    [['x1', 0.2, 0.2], ['x2', 0.8, 0.8]]
    """
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be in (0, 1), got {conf_level}")
    names, yA, yB, yAB, rng = _saltelli(model, factor_levels, n, random_state)
    return _sobol_table(names, yA, yB, yAB, rng, int(n_boot), conf_level)


def rank_sensitivity(
    X: pd.DataFrame,
    directions: pd.Series | Mapping,
    groups: pd.Series | Mapping,
    *,
    fit_on: pd.DataFrame | None = None,
    reference: pd.Series | Mapping | None = None,
    normalisations: Sequence[str] = NORMALISATIONS,
    weightings: Sequence[str] = WEIGHTINGS,
    aggregations: Sequence[str] = ("arithmetic", "geometric"),
    catalogue_weights: pd.Series | Mapping | None = None,
    dropout: bool = True,
    level_weights: pd.Series | Mapping | None = None,
    n: int = 512,
    random_state: int | None = 0,
    n_boot: int = 100,
) -> pd.DataFrame:
    """Which modelling choice moves the ranks: Sobol' indices of the composite's assumptions.

    The factors are those of :func:`monte_carlo_ranks` -- ``normalisation``, ``weighting``,
    ``aggregation`` and, with ``dropout``, one ``drop_<level>`` factor per level (which
    indicator is dropped, or none) -- each uniform over its options. The output of a level is
    the *vector of ranks* of all regions in that level, and the indices are variance-weighted
    over regions (see :func:`sobol_indices`): ``ST`` is the share of the total rank variance
    that involves the factor. The model is evaluated ``n (d + 2)`` times once, and the indices
    are computed for each level and ``overall`` from the same runs.

    Parameters
    ----------
    X, directions, groups, fit_on, reference, normalisations, weightings, aggregations,
    catalogue_weights, dropout, level_weights
        As in :func:`monte_carlo_ranks`.
    n : int
        Base sample size (``n (d + 2)`` composites are computed).
    random_state : int or None
    n_boot : int
        Bootstrap resamples for the confidence half-widths.

    Returns
    -------
    DataFrame
        ``level, factor, S1, ST, S1_conf, ST_conf``.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"a": [100.0, 45, 1], "b": [1.0, 45, 100]}, index=["A", "B", "C"])
    >>> out = rank_sensitivity(X, {"a": 1, "b": 1}, {"a": "t", "b": "t"}, n=64,
    ...                        normalisations=("minmax",), weightings=("equal",), dropout=False)
    >>> round(float(out.set_index(["level", "factor"]).loc[("t", "aggregation"), "ST"]), 1)
    1.0
    """
    engine = _Engine(
        X,
        directions,
        groups,
        fit_on=fit_on,
        reference=reference,
        normalisations=normalisations,
        weightings=weightings,
        aggregations=aggregations,
        catalogue_weights=catalogue_weights,
        dropout=dropout,
        level_weights=level_weights,
    )
    names = engine.factor_names if dropout else engine.factor_names[:3]
    sizes = engine.factor_sizes
    factor_levels = dict(zip(names, sizes, strict=False))

    def model(inputs: dict[str, np.ndarray]) -> np.ndarray:
        m = len(next(iter(inputs.values())))
        codes = np.zeros((m, len(sizes)), dtype=np.intp)
        for c, name in enumerate(names):
            codes[:, c] = inputs[name]
        return engine.ranks_batched(codes, 1000, None).reshape(m, -1)

    factor_names, yA, yB, yAB, rng = _saltelli(model, factor_levels, n, random_state)
    n_regions, n_out = len(engine.regions), len(engine.levels) + 1
    frames = []
    for j, level in enumerate((*engine.levels, "overall")):
        # the (regions x outputs) flattening puts level j of region r at column r * n_out + j
        cols = np.arange(n_regions) * n_out + j
        table = _sobol_table(
            factor_names, yA[:, cols], yB[:, cols], yAB[:, :, cols], rng, int(n_boot), 0.95
        )
        frames.append(table.assign(level=level))
    out = pd.concat(frames, ignore_index=True)
    return out[["level", "factor", "S1", "ST", "S1_conf", "ST_conf"]]
