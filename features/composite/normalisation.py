"""Normalisation: min-max, z-score, rank or distance to the national value, higher = more ready.

:func:`normalise` is the kernel; :class:`Normaliser` fits it on reference regions (their values
become ``fit_on``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from border_readiness.features.composite._checks import (
    _aligned,
    _allow_nan_tags,
    _choices,
    _directions,
    _frame,
    _names,
    _per_feature,
    _quiet,
    _scale,
    _values,
)

__all__ = ["NORMALISATIONS", "Normaliser", "normalise"]

NORMALISATIONS: tuple[str, ...] = ("minmax", "zscore", "rank", "distance_to_reference")


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
    ok = ~degenerate
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if method in ("minmax", "zscore"):
            # In place on `oriented` (a new array of our own), in the formula's order, so the
            # bits are those of the expression: at 100,000 units each temporary is a fresh
            # 24 MB block whose page faults cost more than the arithmetic.
            out = oriented
            if method == "minmax":  # lo + (x - min) / spread * (high - low)
                out -= np.nanmin(basis, axis=0)
                out /= spread
                out *= hi - lo
                out += lo
            else:  # (x - mean) / sd
                out -= np.nanmean(basis, axis=0)
                out /= np.nanstd(basis, axis=0, ddof=1)
            out[:, degenerate] = np.nan
        else:  # rank
            out = np.full(values.shape, np.nan)
            for j in np.flatnonzero(ok):
                ranks, n = _mid_ranks(oriented[:, j], basis[:, j])
                out[:, j] = lo + np.clip((ranks - 1.0) / (n - 1.0), 0.0, 1.0) * (hi - lo)
    return pd.DataFrame(out, index=X.index, columns=X.columns)


# --------------------------------------------------------------------------------------------
# the fitted transformer
# --------------------------------------------------------------------------------------------


class Normaliser(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Normalise indicators against the statistics of reference regions.

    ``fit`` keeps the reference regions' values; ``transform`` calls
    :func:`border_readiness.features.composite.normalise` with them as ``fit_on``, so a region's
    normalised value depends only on its own value and the reference (see that function for the
    formulas).

    Parameters
    ----------
    method : {'minmax', 'zscore', 'rank', 'distance_to_reference'}
        The normalisation, as in :func:`border_readiness.features.composite.normalise`.
    directions : mapping or sequence, optional
        +1 (more is more ready) or -1 per indicator, keyed by column name or in column order;
        all +1 by default.
    national_values : mapping or sequence, optional
        The national value per indicator, used by ``distance_to_reference`` (required there).
        A missing national value falls back to the reference regions' median.
    scale : (low, high), default (0, 100)
        Target interval of ``minmax`` and ``rank``.

    Attributes
    ----------
    basis_ : ndarray
        The reference regions' values.
    directions_, national_values_ : ndarray
        The fitted directions (+1/-1) and national values (reference median where missing;
        None when no national values were given), in column order.
    unit_ : float
        The width of one unit of the scale: ``high - low`` for ``minmax`` and ``rank``, 1 for
        ``zscore``, 100 (the national value) for ``distance_to_reference``. Dividing by it puts
        every normalisation on a comparable footing for distances (the clustering matrix).

    Examples
    --------
    >>> import numpy as np
    >>> ref = np.array([[0.0, 10.0], [5.0, 20.0], [10.0, 30.0]])
    >>> n = Normaliser(directions=[1, -1]).fit(ref)
    >>> n.transform([[2.5, 15.0]]).tolist()
    [[25.0, 75.0]]
    """

    def __init__(self, method="minmax", directions=None, national_values=None, scale=(0, 100)):
        self.method = method
        self.directions = directions
        self.national_values = national_values
        self.scale = scale

    def __sklearn_tags__(self):
        """Scikit-learn tags: NaN (a missing indicator) is allowed in ``X``."""
        return _allow_nan_tags(super().__sklearn_tags__())

    def fit(self, X, y=None):
        """Keep the reference regions' values, the directions and the national values.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_regions, n_indicators)
            Raw indicator values of the reference regions (NaN = missing). With a DataFrame,
            mapping-valued ``directions`` and ``national_values`` are read by column name.
        y : None
            Ignored; present for scikit-learn's API.

        Returns
        -------
        Normaliser
            The fitted normaliser.

        Raises
        ------
        ValueError
            For an unknown method, a direction other than +1/-1, or ``distance_to_reference``
            without ``national_values``.
        """
        values = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64)
        _choices(self.method, NORMALISATIONS, "method")
        lo, hi = _scale(self.scale)
        names = _names(self, values.shape[1])
        d = _per_feature(self.directions, names, 1.0, "directions")
        if not np.all(np.isin(d, (1.0, -1.0))):
            raise ValueError("directions must be +1 or -1 for every indicator")
        self.directions_ = d
        self.national_values_ = None
        if self.method == "distance_to_reference" and self.national_values is None:
            raise ValueError("method 'distance_to_reference' needs national_values")
        if self.national_values is not None:
            nat = _per_feature(self.national_values, names, np.nan, "national_values")
            with _quiet():
                median = np.nanmedian(values, axis=0)
            self.national_values_ = np.where(np.isfinite(nat), nat, median)
        self.basis_ = values.copy()
        self.unit_ = {"zscore": 1.0, "distance_to_reference": 100.0}.get(self.method, hi - lo)
        return self

    def transform(self, X):
        """Normalise ``X`` against the fitted reference regions.

        Parameters
        ----------
        X : array-like of shape (n_regions, n_indicators)
            Raw indicator values, indicators as in ``fit``.

        Returns
        -------
        numpy.ndarray of shape (n_regions, n_indicators)
            Normalised values, higher = more ready; NaN where ``X`` is missing or the indicator
            has no spread among the reference regions.
        """
        check_is_fitted(self, "basis_")
        values = validate_data(
            self, X, ensure_all_finite="allow-nan", dtype=np.float64, reset=False
        )
        names = _names(self, values.shape[1])
        # Positional column names: the fitted arrays are aligned by position.
        cols = np.arange(len(names))
        out = normalise(
            _frame(values, cols),
            self.method,
            directions=dict(zip(cols, self.directions_, strict=True)),
            reference=(
                None
                if self.national_values_ is None
                else dict(zip(cols, self.national_values_, strict=True))
            ),
            scale=self.scale,
            fit_on=_frame(self.basis_, cols),
        )
        return out.to_numpy(dtype=float)
