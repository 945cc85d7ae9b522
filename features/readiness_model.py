"""The readiness model as scikit-learn estimators, fitted on a reference set of regions.

The composite follows the OECD/JRC Handbook (2008) as COINr implements it, in four steps, each
an estimator with ``fit``/``transform``, ``get_params``/``clone``, ``set_output`` and
``get_feature_names_out``:

1. :class:`OutlierTreatment`: COINr's winsorise-or-log rule, fitted on the reference regions;
   new values are clipped to the range the treated reference spanned.
2. :class:`Normaliser`: min-max, z-score, rank or distance to the national value, with the
   statistics of the reference regions and a direction per indicator.
3. :class:`IndicatorWeights`: equal, catalogue or PCA weights within each level.
4. :class:`LevelAggregator`: arithmetic, geometric or Copeland aggregation per level, then the
   overall score as the weighted mean of the level scores.

:class:`ReadinessModel` composes them into one fitted :class:`~sklearn.pipeline.Pipeline`:
it is fitted on the reference regions (all Russian subjects by default in the package) and
applied to the scored ones. It is the only definition of the nominal composite: the Monte Carlo
and Sobol' engine of :mod:`border_readiness.features.composite` evaluates the same choices with the
same kernels
(a test proves the two agree on every combination), and the registered model is this object.

Two choices make every step a function of one region's values and the fitted reference, so that
scoring 12 regions or 85 gives each region the same score:

* **Geometric aggregation** takes the weighted geometric mean of ``x - m + 1``, where ``m`` is
  the indicator's minimum over the reference regions (one positive scale, for every
  normalisation: a min-max indicator on 0–100 becomes 1–101, a z-score ``z - min z + 1``).
* **Copeland aggregation** compares a region with every *reference* region: wins minus losses
  over the reference, so a score lies between ``-n_ref`` and ``n_ref``.

The module is pure computation (no file I/O, no tracking).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from contextlib import contextmanager

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin, clone
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted, validate_data

from border_readiness.features import composite

__all__ = [
    "IndicatorWeights",
    "LevelAggregator",
    "Normaliser",
    "OutlierTreatment",
    "ReadinessModel",
]


def _names(est, n: int) -> np.ndarray:
    names = getattr(est, "feature_names_in_", None)
    return np.asarray(names, dtype=object) if names is not None else _default_names(n)


def _default_names(n: int) -> np.ndarray:
    return np.array([f"x{i}" for i in range(n)], dtype=object)


def _per_feature(value, names: np.ndarray, default, what: str, numeric: bool = True) -> np.ndarray:
    """A per-indicator parameter (mapping keyed by name, or a sequence in column order)."""
    n = len(names)
    if value is None:
        return np.full(n, default, dtype=float if numeric else object)
    if isinstance(value, (Mapping, pd.Series)):
        mapping = dict(value.items())
        missing = [str(c) for c in names if c not in mapping]
        if missing:
            raise ValueError(f"{what} has no entry for indicator(s) {missing}")
        out = [mapping[c] for c in names]
    else:
        out = list(np.asarray(value, dtype=object).ravel())
        if len(out) != n:
            raise ValueError(f"{what} has {len(out)} entries for {n} indicators")
    return np.asarray(out, dtype=float if numeric else object)


def _frame(values: np.ndarray, names: np.ndarray, index=None) -> pd.DataFrame:
    return pd.DataFrame(values, columns=pd.Index(list(names)), index=index)


def _allow_nan_tags(tags):
    tags.input_tags.allow_nan = True
    return tags


# --------------------------------------------------------------------------------------------
# 1. outlier treatment
# --------------------------------------------------------------------------------------------


class OutlierTreatment(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """COINr's outlier rule as a transformer fitted on reference regions.

    ``fit`` applies :func:`border_readiness.features.composite.treat_outliers` to the reference
    regions: an
    indicator with ``|skew| >= skew_max`` and ``kurtosis >= kurt_max`` is winsorised (up to
    ``max_winsorised`` points), or log-transformed (COINr's ``log_CT``) when winsorising does
    not fix it. ``transform`` applies the fitted treatment to any regions: a winsorised
    indicator is clipped to the range of the treated reference, a log-treated one is clipped to
    the reference's range and then transformed with the reference's offset. On the reference
    regions ``fit_transform`` equals :func:`~border_readiness.features.composite.treat_outliers`
    exactly.

    Parameters
    ----------
    skew_max, kurt_max : float
        Thresholds of the rule (COINr defaults 2 and 3.5).
    max_winsorised : int
        Most points winsorised per indicator (COINr default 5).

    Attributes
    ----------
    action_ : ndarray of str
        ``'none'``, ``'winsorised'`` or ``'log'`` per indicator.
    lower_, upper_ : ndarray
        The clipping range per indicator (the treated reference's range for winsorised
        indicators, the raw reference range for log-treated ones; infinite otherwise).
    skew_ : ndarray
        Skewness of the reference before treatment (its sign chooses the log's side).
    log_ : dict
        The treatment log of the reference, column -> list (see :meth:`treatment_log`).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[*range(1, 20), 100]], dtype=float).T
    >>> t = OutlierTreatment().fit(X)
    >>> t.action_.tolist(), float(t.transform([[150.0]])[0, 0])
    (['winsorised'], 19.0)
    """

    def __init__(self, skew_max=2.0, kurt_max=3.5, max_winsorised=5):
        self.skew_max = skew_max
        self.kurt_max = kurt_max
        self.max_winsorised = max_winsorised

    def __sklearn_tags__(self):
        return _allow_nan_tags(super().__sklearn_tags__())

    def fit(self, X, y=None):
        index = X.index if isinstance(X, pd.DataFrame) else None
        values = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64)
        names = _names(self, values.shape[1])
        treated, log = composite.treat_outliers(
            _frame(values, names, index),
            skew_max=self.skew_max,
            kurt_max=self.kurt_max,
            max_winsorised=self.max_winsorised,
        )
        t = treated.to_numpy(dtype=float)
        self.action_ = log["action"].to_numpy(dtype=object)
        self.skew_ = log["skew_before"].to_numpy(dtype=float)
        lower = np.full(values.shape[1], -np.inf)
        upper = np.full(values.shape[1], np.inf)
        # Only indicators with at least four values are ever treated, so these are defined.
        for j in np.flatnonzero(self.action_ != "none"):
            source = t[:, j] if self.action_[j] == "winsorised" else values[:, j]
            lower[j], upper[j] = np.nanmin(source), np.nanmax(source)
        self.lower_, self.upper_ = lower, upper
        self.log_ = {c: log[c].tolist() for c in log.columns}
        self.log_["indicator"] = [str(c) for c in names]
        return self

    def transform(self, X):
        check_is_fitted(self, "action_")
        values = validate_data(
            self, X, ensure_all_finite="allow-nan", dtype=np.float64, reset=False
        )
        out = np.clip(values, self.lower_, self.upper_)
        for j in np.flatnonzero(self.action_ == "log"):
            lo, hi = self.lower_[j], self.upper_[j]
            offset = composite._LOG_OFFSET_SHARE * (hi - lo)
            x = out[:, j]
            # Same formula as composite._log_ct, with the reference's min, max and skew sign.
            out[:, j] = np.log(x - lo + offset) if self.skew_[j] >= 0 else -np.log(hi - x + offset)
        return out

    def treatment_log(self) -> pd.DataFrame:
        """The treatment log of the reference regions (one row per indicator)."""
        check_is_fitted(self, "log_")
        return pd.DataFrame(self.log_)


# --------------------------------------------------------------------------------------------
# 2. normalisation
# --------------------------------------------------------------------------------------------


class Normaliser(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Normalise indicators against the statistics of reference regions.

    ``fit`` keeps the reference regions' values; ``transform`` calls
    :func:`border_readiness.features.composite.normalise` with them as ``fit_on``, so a region's
    normalised value
    depends only on its own value and the reference (see that function for the formulas).

    Parameters
    ----------
    method : {'minmax', 'zscore', 'rank', 'distance_to_reference'}
    directions : mapping or sequence, optional
        +1 (more is more ready) or -1 per indicator, keyed by column name or in column order;
        all +1 by default.
    national_values : mapping or sequence, optional
        The national value per indicator, used by ``distance_to_reference`` (required there).
        A missing national value falls back to the reference regions' median.
    scale : (low, high)
        Target interval of ``minmax`` and ``rank``.

    Attributes
    ----------
    basis_ : ndarray
        The reference regions' values.
    directions_, national_values_ : ndarray
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
        return _allow_nan_tags(super().__sklearn_tags__())

    def fit(self, X, y=None):
        values = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64)
        composite._choices(self.method, composite.NORMALISATIONS, "method")
        lo, hi = composite._scale(self.scale)
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
        check_is_fitted(self, "basis_")
        values = validate_data(
            self, X, ensure_all_finite="allow-nan", dtype=np.float64, reset=False
        )
        names = _names(self, values.shape[1])
        # Positional column names: the fitted arrays are aligned by position.
        cols = np.arange(len(names))
        out = composite.normalise(
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


@contextmanager
def _quiet():
    """Silence numpy's all-NaN RuntimeWarnings inside a block (degenerate columns are handled)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


# --------------------------------------------------------------------------------------------
# 3. weights
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
        return _allow_nan_tags(super().__sklearn_tags__())

    def fit(self, X, y=None):
        values = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64)
        composite._choices(self.method, composite.WEIGHTINGS, "method")
        names = _names(self, values.shape[1])
        groups = _per_feature(self.groups, names, "level", "groups", numeric=False)
        g = pd.Series(groups, index=range(len(names)), dtype=object)
        if self.method == "equal":
            w = composite.equal_weights(g)
        elif self.method == "catalogue":
            if self.weights is None:
                raise ValueError("method 'catalogue' needs weights (one per indicator)")
            raw = _per_feature(self.weights, names, np.nan, "weights")
            w = composite.normalise_weights(pd.Series(raw, index=g.index), g)
        else:
            w = composite.pca_weights(_frame(values, g.index), g)
        self.weights_ = w.to_numpy(dtype=float)
        self.groups_ = groups
        self.levels_ = [str(v) for v in pd.unique(groups)]
        return self

    def transform(self, X):
        check_is_fitted(self, "weights_")
        values = validate_data(
            self, X, ensure_all_finite="allow-nan", dtype=np.float64, reset=False
        )
        return values * self.weights_


# --------------------------------------------------------------------------------------------
# 4. aggregation
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
        return _allow_nan_tags(super().__sklearn_tags__())

    def fit(self, X, y=None):
        values = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64)
        composite._choices(self.method, composite.AGGREGATIONS, "method")
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
            else composite._level_weights(
                pd.DataFrame(columns=levels, dtype=float),
                _per_feature(
                    self.level_weights, np.asarray(self.levels_, dtype=object), 0.0, "level_weights"
                ),
            )
        )
        self.level_weights_ = np.asarray(lw, dtype=float)
        self.shift_ = (
            composite.geometric_shift(values)
            if self.method == "geometric"
            else np.zeros(values.shape[1])
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
        Xn, weights, groups, reference = self._inputs(X)
        levels = composite.aggregate(Xn, weights, groups, self.method, reference=reference)
        scores = levels.to_numpy(dtype=float)
        return np.column_stack([scores, scores @ self.level_weights_])

    def contributions(self, X) -> pd.DataFrame:
        """Exact additive contribution of each indicator to each level score, and of each level
        to the overall score (see :func:`border_readiness.features.composite.contributions`).

        Returns a long table ``row, level, indicator, contribution`` (``row`` is the index of
        ``X`` when it is a DataFrame, else the position); for ``level == 'overall'`` the
        indicator is a level.
        """
        index = X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(len(X))
        Xn, weights, groups, reference = self._inputs(X)
        Xn.index = index
        if reference is not None:
            reference.index = [f"ref{i}" for i in range(len(reference))]
        parts = composite.contributions(Xn, weights, groups, self.method, reference=reference)
        names = _names(self.weighting_, Xn.shape[1])
        parts["indicator"] = names[parts["indicator"].to_numpy(dtype=int)]
        levels = composite.aggregate(Xn, weights, groups, self.method, reference=reference)
        overall = composite.overall_contributions(
            levels, dict(zip(levels.columns, self.level_weights_, strict=True))
        )
        overall = overall.rename(columns={"level": "indicator"}).assign(level="overall")
        out = pd.concat([parts, overall[parts.columns]], ignore_index=True)
        return out.rename(columns={"region": "row"})

    def score_level(self, values: np.ndarray, level: str) -> np.ndarray:
        """The score of one level from that level's normalised indicators only (columns in the
        order of the fitted indicators of the level); used to explain a level with SHAP."""
        check_is_fitted(self, "weighting_")
        idx = np.flatnonzero(self.weighting_.groups_ == level)
        values = np.asarray(values, dtype=float).reshape(-1, idx.size)
        w = self.weighting_.weights_[idx]
        reference = None if self.reference_ is None else self.reference_[:, idx]
        return composite.level_scores(
            values + self.shift_[idx], w / w.sum(), self.method, reference
        )

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "levels_")
        return np.asarray([*self.levels_, "overall"], dtype=object)


# --------------------------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------------------------


class ReadinessModel(TransformerMixin, BaseEstimator):
    """The readiness composite: treatment, normalisation, weights and aggregation, fitted on
    reference regions and applied to any regions.

    ``fit`` builds and fits one :class:`~sklearn.pipeline.Pipeline` (``pipeline_``) of
    :class:`OutlierTreatment` (or ``'passthrough'``), :class:`Normaliser` and
    :class:`LevelAggregator` (with its :class:`IndicatorWeights`) on the reference regions --
    in the package, all Russian subjects of the year. ``transform`` returns the level scores and
    ``overall`` of the regions given (columns :meth:`get_feature_names_out`).

    After outlier treatment a log-treated indicator no longer shares the national value's
    scale: its national value becomes the treated reference's median.

    Parameters
    ----------
    normalisation : {'minmax', 'zscore', 'rank', 'distance_to_reference'}
    weighting : {'equal', 'catalogue', 'pca'}
    aggregation : {'arithmetic', 'geometric', 'copeland'}
    treat_outliers : bool
    directions, groups, catalogue_weights, national_values : mapping or sequence, optional
        Per indicator: direction (+1/-1), level, relative catalogue weight, national value.
    level_weights : mapping or sequence, optional
        Relative weight per level in ``overall``; equal by default.
    scale : (low, high)
        Target interval of ``minmax`` and ``rank``.

    Attributes
    ----------
    pipeline_ : Pipeline
        The fitted steps ``treat``, ``normalise``, ``aggregate``.
    national_values_ : ndarray or None
        The national values as used: a log-treated indicator's is the treated reference's
        median, a missing one the reference's median (None without ``national_values``).
    n_reference_ : int
        Number of reference regions.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> ref = pd.DataFrame({"roads": [1.0, 2, 3, 4], "rail": [4.0, 3, 2, 1]})
    >>> m = ReadinessModel(groups={"roads": "transport", "rail": "transport"},
    ...                    treat_outliers=False).set_output(transform="pandas").fit(ref)
    >>> m.transform(ref.iloc[[0]]).round(6).to_dict("records")
    [{'transport': 50.0, 'overall': 50.0}]
    """

    def __init__(
        self,
        normalisation="minmax",
        weighting="equal",
        aggregation="arithmetic",
        treat_outliers=True,
        directions=None,
        groups=None,
        catalogue_weights=None,
        national_values=None,
        level_weights=None,
        scale=(0, 100),
    ):
        self.normalisation = normalisation
        self.weighting = weighting
        self.aggregation = aggregation
        self.treat_outliers = treat_outliers
        self.directions = directions
        self.groups = groups
        self.catalogue_weights = catalogue_weights
        self.national_values = national_values
        self.level_weights = level_weights
        self.scale = scale

    def __sklearn_tags__(self):
        return _allow_nan_tags(super().__sklearn_tags__())

    def fit(self, X, y=None):
        # Checked here rather than deep in a step, so that the message names this estimator's
        # parameter.
        composite._choices(self.normalisation, composite.NORMALISATIONS, "normalisation")
        composite._choices(self.weighting, composite.WEIGHTINGS, "weighting")
        composite._choices(self.aggregation, composite.AGGREGATIONS, "aggregation")
        frame = self._frame(X, reset=True)
        names = _names(self, frame.shape[1])
        treat = OutlierTreatment().set_output(transform="pandas") if self.treat_outliers else None
        treated = frame if treat is None else treat.fit(frame).transform(frame)
        national = self.national_values
        if national is not None:
            national = _per_feature(national, names, np.nan, "national_values")
            if treat is not None:
                with _quiet():
                    median = np.nanmedian(treated.to_numpy(dtype=float), axis=0)
                national = np.where(treat.action_ == "log", median, national)
        normaliser = Normaliser(
            method=self.normalisation,
            directions=None
            if self.directions is None
            else _per_feature(self.directions, names, 1.0, "directions"),
            national_values=national,
            scale=self.scale,
        ).set_output(transform="pandas")
        weighting = IndicatorWeights(
            method=self.weighting,
            groups=None
            if self.groups is None
            else _per_feature(self.groups, names, "level", "groups", numeric=False),
            weights=None
            if self.catalogue_weights is None
            else _per_feature(self.catalogue_weights, names, np.nan, "catalogue_weights"),
        )
        normalised = normaliser.fit(treated).transform(treated)
        aggregate = LevelAggregator(
            method=self.aggregation, weighting=weighting, level_weights=self.level_weights
        ).set_output(transform="pandas")
        aggregate.fit(normalised)
        self.pipeline_ = Pipeline(
            [("treat", treat or "passthrough"), ("normalise", normaliser), ("aggregate", aggregate)]
        )
        self.national_values_ = normaliser.national_values_
        self.n_reference_ = int(frame.shape[0])
        return self

    def _frame(self, X, reset: bool = False) -> pd.DataFrame:
        """X as a frame with the fitted column names (the steps are fitted on named frames)."""
        if not reset:
            check_is_fitted(self, "pipeline_")
        index = X.index if isinstance(X, pd.DataFrame) else None
        values = validate_data(
            self, X, ensure_all_finite="allow-nan", dtype=np.float64, reset=reset
        )
        return _frame(values, _names(self, values.shape[1]), index)

    def transform(self, X):
        return self.pipeline_.transform(self._frame(X)).to_numpy(dtype=float)

    def treat(self, X) -> pd.DataFrame:
        """The indicators after outlier treatment (regions x indicators)."""
        return self.pipeline_[:1].transform(self._frame(X))

    def normalise(self, X) -> pd.DataFrame:
        """The normalised indicators, higher is more ready (regions x indicators)."""
        return self.pipeline_[:2].transform(self._frame(X))

    def contributions(self, X) -> pd.DataFrame:
        """Exact additive contributions of the indicators to the level scores and of the levels
        to ``overall``; see :meth:`LevelAggregator.contributions`."""
        return self.pipeline_[-1].contributions(self.normalise(X))

    @property
    def aggregator_(self) -> LevelAggregator:
        check_is_fitted(self, "pipeline_")
        return self.pipeline_[-1]

    @property
    def weights_(self) -> pd.Series:
        """Weight per indicator (summing to 1 within each level)."""
        w = self.aggregator_.weighting_
        return pd.Series(w.weights_, index=list(_names(self, len(w.weights_))), name="weight")

    @property
    def groups_(self) -> pd.Series:
        w = self.aggregator_.weighting_
        return pd.Series(w.groups_, index=list(_names(self, len(w.groups_))), name="level")

    @property
    def levels_(self) -> list[str]:
        return list(self.aggregator_.levels_)

    @property
    def unit_(self) -> float:
        """See :attr:`Normaliser.unit_`."""
        return float(self.pipeline_[1].unit_)

    def outlier_log(self) -> pd.DataFrame:
        """The treatment log of the reference regions (empty without treatment)."""
        check_is_fitted(self, "pipeline_")
        treat = self.pipeline_[0]
        if treat == "passthrough":
            return pd.DataFrame(columns=["indicator", "action"])
        return treat.treatment_log()

    def reference_normalised(self) -> pd.DataFrame:
        """The reference regions' normalised indicators (the SHAP background)."""
        check_is_fitted(self, "pipeline_")
        normaliser = self.pipeline_[1]
        basis = _frame(normaliser.basis_, _names(self, normaliser.basis_.shape[1]))
        return normaliser.transform(basis)

    def get_feature_names_out(self, input_features=None):
        return self.aggregator_.get_feature_names_out()
