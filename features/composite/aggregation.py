"""Aggregation: indicators to level scores, level scores to ``overall``, and contributions.

Arithmetic, geometric and Copeland aggregation per level (:func:`aggregate`, and its array
kernel :func:`level_scores`), the exact additive :func:`contributions` of each indicator, the
overall score and its contributions, and :class:`LevelAggregator`, which fits all of it on
normalised reference regions.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, clone
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
from border_readiness.features.composite._copeland import copeland_contributions, copeland_scores
from border_readiness.features.composite.weights import IndicatorWeights, normalise_weights

__all__ = [
    "AGGREGATIONS",
    "LevelAggregator",
    "aggregate",
    "contributions",
    "geometric_shift",
    "level_scores",
    "overall_contributions",
    "overall_score",
]

AGGREGATIONS: tuple[str, ...] = ("arithmetic", "geometric", "copeland")


def geometric_shift(Xn_reference) -> np.ndarray:
    """The shift ``1 - min`` per indicator that puts the reference's lowest value at 1.

    Geometric aggregation takes logarithms, so it needs positive values whatever the
    normalisation: it aggregates ``x + shift``, one positive scale for every normalisation (a
    min-max indicator on 0--100 becomes 1--101, a z-score ``z - min(z) + 1``). Indicators with
    no value get a shift of 0.

    Parameters
    ----------
    Xn_reference : array-like of shape (n_regions, n_indicators)
        Normalised reference regions (NaN = missing).

    Returns
    -------
    numpy.ndarray of shape (n_indicators,)
        ``1 - min`` of each column over its non-missing values; 0 for an all-missing column.

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
    values, _present, w, levels, positions, method = _prepare(Xn, weights, groups, method)
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

    Parameters
    ----------
    V : numpy.ndarray of shape (n_regions, n_indicators)
        The level's normalised indicators (NaN = missing); positive for ``geometric``.
    w : numpy.ndarray of shape (n_indicators,)
        Their weights, summing to 1.
    method : {'arithmetic', 'geometric', 'copeland'}
        As in :func:`aggregate`.
    R : numpy.ndarray of shape (n_reference, n_indicators), optional
        The reference rows of a Copeland score; default ``V``. Ignored by the other methods.

    Returns
    -------
    numpy.ndarray of shape (n_regions,)
        The level score of each row of ``V``.
    """
    P = ~np.isnan(V)
    if method == "copeland":
        # In row chunks: the (rows, reference, indicators) signs never exist all at once.
        return copeland_scores(V, w, R)
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
            parts = copeland_contributions(V, wl, None if R is None else R[:, idx])
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
# the fitted transformer
# --------------------------------------------------------------------------------------------


class LevelAggregator(TransformerMixin, BaseEstimator):
    """Aggregate normalised indicators to level scores and an overall score.

    Parameters
    ----------
    method : {'arithmetic', 'geometric', 'copeland'}
        ``arithmetic``: weighted mean over the indicators a region has. ``geometric``: weighted
        geometric mean of ``x - m + 1``, ``m`` the indicator's minimum over the regions given to
        ``fit`` (so the reference's lowest value is 1; a new value more than one unit below it
        is an error). ``copeland``: for each reference region b, the weighted majority of the
        indicators decides whether the region beats b; the score is wins minus losses over the
        reference regions (see :func:`border_readiness.features.composite.aggregate`).
    weighting : IndicatorWeights, optional
        Cloned and fitted on the data given to ``fit``; equal weights by default. Its
        ``groups`` define the levels.
    level_weights : mapping or sequence, optional
        Relative weight per level in ``overall``; equal by default.

    Attributes
    ----------
    weighting_ : IndicatorWeights
        The fitted weighting.
    levels_ : list of str
        The levels, in the order of the weighting's groups.
    shift_ : ndarray
        ``1 - m`` per indicator for ``geometric`` (zeros otherwise).
    reference_ : ndarray or None
        The normalised reference regions, for ``copeland``.
    level_weights_ : ndarray
        Weights of the levels in ``overall``, summing to 1.

    Examples
    --------
    >>> agg = LevelAggregator(weighting=IndicatorWeights(groups=["t", "t", "s"]))
    >>> agg.fit([[0.0, 100, 50], [100, 0, 50]]).transform([[20.0, 80, 10]]).tolist()
    [[50.0, 10.0, 30.0]]
    >>> list(agg.get_feature_names_out())
    ['t', 's', 'overall']
    """

    def __init__(self, method="arithmetic", weighting=None, level_weights=None):
        self.method = method
        self.weighting = weighting
        self.level_weights = level_weights

    def __sklearn_tags__(self):
        """Scikit-learn tags: NaN (a missing indicator) is allowed in ``X``."""
        return _allow_nan_tags(super().__sklearn_tags__())

    def fit(self, X, y=None):
        """Fit the weighting, the geometric shift and the Copeland reference on ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_regions, n_indicators)
            Normalised reference regions (NaN = missing). A DataFrame is passed to the weighting
            as it is, so mapping-valued ``groups`` and ``weights`` are read by column name.
        y : None
            Ignored; present for scikit-learn's API.

        Returns
        -------
        LevelAggregator
            The fitted aggregator.
        """
        values = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64)
        _choices(self.method, AGGREGATIONS, "method")
        weighting = IndicatorWeights() if self.weighting is None else self.weighting
        if isinstance(X, pd.DataFrame):
            self.weighting_ = clone(weighting).fit(X)
        else:
            self.weighting_ = clone(weighting).fit(values)
        self.levels_ = list(self.weighting_.levels_)
        levels = pd.Index(self.levels_)
        lw = (
            np.full(len(levels), 1.0 / len(levels))
            if self.level_weights is None
            else _level_weights(
                pd.DataFrame(columns=levels, dtype=float),
                _per_feature(
                    self.level_weights, np.asarray(self.levels_, dtype=object), 0.0, "level_weights"
                ),
            )
        )
        self.level_weights_ = np.asarray(lw, dtype=float)
        self.shift_ = (
            geometric_shift(values) if self.method == "geometric" else np.zeros(values.shape[1])
        )
        self.reference_ = values.copy() if self.method == "copeland" else None
        return self

    def _inputs(self, X):
        check_is_fitted(self, "weighting_")
        values = validate_data(
            self, X, ensure_all_finite="allow-nan", dtype=np.float64, reset=False
        )
        cols = np.arange(values.shape[1])
        groups = dict(zip(cols, self.weighting_.groups_, strict=True))
        weights = dict(zip(cols, self.weighting_.weights_, strict=True))
        reference = None if self.reference_ is None else _frame(self.reference_, cols)
        return _frame(values + self.shift_, cols), weights, groups, reference

    def transform(self, X):
        """Level scores and the overall score of each row.

        Parameters
        ----------
        X : array-like of shape (n_regions, n_indicators)
            Normalised regions, indicators as in ``fit``.

        Returns
        -------
        numpy.ndarray of shape (n_regions, n_levels + 1)
            One column per level in :attr:`levels_` order, then ``overall``.
        """
        Xn, weights, groups, reference = self._inputs(X)
        levels = aggregate(Xn, weights, groups, self.method, reference=reference)
        scores = levels.to_numpy(dtype=float)
        return np.column_stack([scores, scores @ self.level_weights_])

    def contributions(self, X) -> pd.DataFrame:
        """Exact additive contribution of each indicator to each level score, and of each level.

        Each level's contribution to the overall score is included too (see
        :func:`border_readiness.features.composite.contributions`).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_regions, n_indicators)
            Normalised regions, indicators as in ``fit``.

        Returns
        -------
        pandas.DataFrame
            Long table ``row, level, indicator, contribution`` (``row`` is the index of ``X``
            when it is a DataFrame, else the position); for ``level == 'overall'`` the
            indicator is a level.
        """
        index = X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(len(X))
        Xn, weights, groups, reference = self._inputs(X)
        Xn.index = index
        if reference is not None:
            reference.index = [f"ref{i}" for i in range(len(reference))]
        parts = contributions(Xn, weights, groups, self.method, reference=reference)
        names = _names(self.weighting_, Xn.shape[1])
        parts["indicator"] = names[parts["indicator"].to_numpy(dtype=int)]
        levels = aggregate(Xn, weights, groups, self.method, reference=reference)
        overall = overall_contributions(
            levels, dict(zip(levels.columns, self.level_weights_, strict=True))
        )
        overall = overall.rename(columns={"level": "indicator"}).assign(level="overall")
        out = pd.concat([parts, overall[parts.columns]], ignore_index=True)
        return out.rename(columns={"region": "row"})

    def score_level(self, values: np.ndarray, level: str) -> np.ndarray:
        """The score of one level from that level's normalised indicators only.

        Used to explain a level with SHAP.

        Parameters
        ----------
        values : array-like of shape (n_samples, n_level_indicators)
            Normalised values of the level's indicators, columns in the order of the fitted
            indicators of the level (reshaped to that many columns).
        level : str
            A level of :attr:`levels_`.

        Returns
        -------
        numpy.ndarray of shape (n_samples,)
            The level score, as :meth:`transform` computes it for that level.
        """
        check_is_fitted(self, "weighting_")
        idx = np.flatnonzero(self.weighting_.groups_ == level)
        values = np.asarray(values, dtype=float).reshape(-1, idx.size)
        w = self.weighting_.weights_[idx]
        reference = None if self.reference_ is None else self.reference_[:, idx]
        return level_scores(values + self.shift_[idx], w / w.sum(), self.method, reference)

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns: the levels, then ``overall``.

        Parameters
        ----------
        input_features : None
            Ignored; present for scikit-learn's API.

        Returns
        -------
        numpy.ndarray of str
            :attr:`levels_` followed by ``"overall"``.
        """
        check_is_fitted(self, "levels_")
        return np.asarray([*self.levels_, "overall"], dtype=object)
