"""Weights of the indicators within each level: equal, catalogue (rescaled) or PCA/varimax.

The functions compute weights from a frame; :class:`IndicatorWeights` fits them on normalised
reference regions.
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
    _frame,
    _names,
    _per_feature,
    _structure,
    _values,
)

__all__ = ["WEIGHTINGS", "IndicatorWeights", "equal_weights", "normalise_weights", "pca_weights"]

WEIGHTINGS: tuple[str, ...] = ("equal", "catalogue", "pca")
# Eigenvalues equal to 1 up to round-off (an indicator uncorrelated with all others) must not
# count as "greater than 1" in the Kaiser criterion.
_KAISER_TOL = 1e-9


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
# the fitted transformer
# --------------------------------------------------------------------------------------------


class IndicatorWeights(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Weights of the indicators within each level, fitted on normalised reference regions.

    Parameters
    ----------
    method : {'equal', 'catalogue', 'pca'}
        ``equal`` within each level; ``catalogue`` rescales ``weights`` to sum to 1 per level;
        ``pca`` is the OECD Handbook's PCA weighting of each level
        (:func:`border_readiness.features.composite.pca_weights`), fitted on the data given to
        ``fit``.
    groups : mapping or sequence, optional
        The level of each indicator; one level (``'level'``) by default.
    weights : mapping or sequence, optional
        Relative weight per indicator, for ``catalogue`` (required there).

    Attributes
    ----------
    weights_ : ndarray
        Weight per indicator, summing to 1 within each level.
    groups_ : ndarray of str
        The level of each indicator, in column order.
    levels_ : list of str
        The levels in order of first appearance.

    ``transform`` returns each indicator multiplied by its weight: with no missing values, a
    level's arithmetic score is the sum of its weighted indicators.

    Examples
    --------
    >>> IndicatorWeights(groups=["t", "t", "s"]).fit([[1.0, 2, 3], [2, 3, 4]]).weights_.tolist()
    [0.5, 0.5, 1.0]
    """

    def __init__(self, method="equal", groups=None, weights=None):
        self.method = method
        self.groups = groups
        self.weights = weights

    def __sklearn_tags__(self):
        """Scikit-learn tags: NaN (a missing indicator) is allowed in ``X``."""
        return _allow_nan_tags(super().__sklearn_tags__())

    def fit(self, X, y=None):
        """Fit the weights on normalised reference regions (only ``pca`` looks at the values).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_regions, n_indicators)
            Normalised reference regions (NaN = missing). With a DataFrame, mapping-valued
            ``groups`` and ``weights`` are read by column name.
        y : None
            Ignored; present for scikit-learn's API.

        Returns
        -------
        IndicatorWeights
            The fitted weighting.

        Raises
        ------
        ValueError
            For an unknown method, or ``catalogue`` without ``weights``.
        """
        values = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64)
        _choices(self.method, WEIGHTINGS, "method")
        names = _names(self, values.shape[1])
        groups = _per_feature(self.groups, names, "level", "groups", numeric=False)
        g = pd.Series(groups, index=range(len(names)), dtype=object)
        if self.method == "equal":
            w = equal_weights(g)
        elif self.method == "catalogue":
            if self.weights is None:
                raise ValueError("method 'catalogue' needs weights (one per indicator)")
            raw = _per_feature(self.weights, names, np.nan, "weights")
            w = normalise_weights(pd.Series(raw, index=g.index), g)
        else:
            w = pca_weights(_frame(values, g.index), g)
        self.weights_ = w.to_numpy(dtype=float)
        self.groups_ = groups
        self.levels_ = [str(v) for v in pd.unique(groups)]
        return self

    def transform(self, X):
        """Each indicator multiplied by its weight.

        Parameters
        ----------
        X : array-like of shape (n_regions, n_indicators)
            Normalised regions, indicators as in ``fit``.

        Returns
        -------
        numpy.ndarray of shape (n_regions, n_indicators)
            ``X * weights_`` (NaN stays NaN).
        """
        check_is_fitted(self, "weights_")
        values = validate_data(
            self, X, ensure_all_finite="allow-nan", dtype=np.float64, reset=False
        )
        return values * self.weights_
