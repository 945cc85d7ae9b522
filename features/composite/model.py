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
and Sobol' engine (``_engine``, behind :mod:`~border_readiness.features.composite.uncertainty` and
:mod:`~border_readiness.features.composite.sensitivity`) evaluates the same choices with the same
kernels (a test proves the two agree on every combination), and the registered model is this
object. The four step estimators live beside their kernels, in
:mod:`~border_readiness.features.composite.treatment`, ``normalisation``, ``weights`` and
``aggregation``.

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

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted, validate_data

from border_readiness.features.composite._checks import (
    _allow_nan_tags,
    _choices,
    _frame,
    _names,
    _per_feature,
    _quiet,
)
from border_readiness.features.composite.aggregation import AGGREGATIONS, LevelAggregator
from border_readiness.features.composite.normalisation import NORMALISATIONS, Normaliser
from border_readiness.features.composite.treatment import OutlierTreatment
from border_readiness.features.composite.weights import WEIGHTINGS, IndicatorWeights

__all__ = ["ReadinessModel"]


class ReadinessModel(TransformerMixin, BaseEstimator):
    """The readiness composite: treatment, normalisation, weights and aggregation.

    Fitted on reference regions and applied to any regions. ``fit`` builds and fits one
    :class:`~sklearn.pipeline.Pipeline` (``pipeline_``) of :class:`OutlierTreatment` (or
    ``'passthrough'``), :class:`Normaliser` and :class:`LevelAggregator` (with its
    :class:`IndicatorWeights`) on the reference regions -- in the package, all Russian subjects
    of the year. ``transform`` returns the level scores and ``overall`` of the regions given
    (columns :meth:`get_feature_names_out`).

    After outlier treatment a log-treated indicator no longer shares the national value's
    scale: its national value becomes the treated reference's median.

    Parameters
    ----------
    normalisation : {'minmax', 'zscore', 'rank', 'distance_to_reference'}, default 'minmax'
        How indicators are put on a common scale (:class:`Normaliser`).
    weighting : {'equal', 'catalogue', 'pca'}, default 'equal'
        How indicators are weighted within a level (:class:`IndicatorWeights`).
    aggregation : {'arithmetic', 'geometric', 'copeland'}, default 'arithmetic'
        How a level's indicators become its score (:class:`LevelAggregator`).
    treat_outliers : bool, default True
        Apply COINr's outlier rule (:class:`OutlierTreatment`) before normalising.
    directions, groups, catalogue_weights, national_values : mapping or sequence, optional
        Per indicator: direction (+1/-1), level, relative catalogue weight, national value.
    level_weights : mapping or sequence, optional
        Relative weight per level in ``overall``; equal by default.
    scale : (low, high), default (0, 100)
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
        """Scikit-learn tags: NaN (a missing indicator) is allowed in ``X``."""
        return _allow_nan_tags(super().__sklearn_tags__())

    def fit(self, X, y=None):
        """Fit treatment, normalisation, weights and aggregation on the reference regions.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_regions, n_indicators)
            Raw indicator values of the reference regions (NaN = missing). With a DataFrame,
            mapping-valued per-indicator parameters are read by column name.
        y : None
            Ignored; present for scikit-learn's API.

        Returns
        -------
        ReadinessModel
            The fitted model.

        Raises
        ------
        ValueError
            For an unknown normalisation, weighting or aggregation, or invalid per-indicator
            parameters (raised by the steps).
        """
        # Checked here rather than deep in a step, so that the message names this estimator's
        # parameter.
        _choices(self.normalisation, NORMALISATIONS, "normalisation")
        _choices(self.weighting, WEIGHTINGS, "weighting")
        _choices(self.aggregation, AGGREGATIONS, "aggregation")
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
        """Level scores and ``overall`` of the regions in ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_regions, n_indicators)
            Raw indicator values, indicators as in ``fit``.

        Returns
        -------
        numpy.ndarray of shape (n_regions, n_levels + 1)
            Columns :meth:`get_feature_names_out`: the levels, then ``overall`` (a DataFrame
            with ``set_output(transform="pandas")``).
        """
        return self.pipeline_.transform(self._frame(X)).to_numpy(dtype=float)

    def treat(self, X) -> pd.DataFrame:
        """The indicators after outlier treatment (regions x indicators).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_regions, n_indicators)
            Raw indicator values, indicators as in ``fit``.

        Returns
        -------
        pandas.DataFrame
            Treated values, columns the fitted indicator names (``X`` unchanged without
            treatment).
        """
        return self.pipeline_[:1].transform(self._frame(X))

    def normalise(self, X) -> pd.DataFrame:
        """The normalised indicators, higher is more ready (regions x indicators).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_regions, n_indicators)
            Raw indicator values, indicators as in ``fit``.

        Returns
        -------
        pandas.DataFrame
            Treated and normalised values, columns the fitted indicator names.
        """
        return self.pipeline_[:2].transform(self._frame(X))

    def contributions(self, X) -> pd.DataFrame:
        """Exact additive contributions of the indicators to the level scores, and of the levels.

        The levels' contributions to ``overall`` are included; see
        :meth:`LevelAggregator.contributions`.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_regions, n_indicators)
            Raw indicator values, indicators as in ``fit``.

        Returns
        -------
        pandas.DataFrame
            Long table ``row, level, indicator, contribution``; for ``level == 'overall'`` the
            indicator is a level.
        """
        return self.pipeline_[-1].contributions(self.normalise(X))

    @property
    def aggregator_(self) -> LevelAggregator:
        """The fitted aggregation step.

        Returns
        -------
        LevelAggregator
            The pipeline's last step (with the fitted weighting).
        """
        check_is_fitted(self, "pipeline_")
        return self.pipeline_[-1]

    @property
    def weights_(self) -> pd.Series:
        """Weight per indicator (summing to 1 within each level).

        Returns
        -------
        pandas.Series
            Named ``weight``, indexed by indicator name.
        """
        w = self.aggregator_.weighting_
        return pd.Series(w.weights_, index=list(_names(self, len(w.weights_))), name="weight")

    @property
    def groups_(self) -> pd.Series:
        """Level of each indicator.

        Returns
        -------
        pandas.Series
            Named ``level``, indexed by indicator name.
        """
        w = self.aggregator_.weighting_
        return pd.Series(w.groups_, index=list(_names(self, len(w.groups_))), name="level")

    @property
    def levels_(self) -> list[str]:
        """The levels, in the order of the output columns.

        Returns
        -------
        list of str
            Level names (without ``overall``).
        """
        return list(self.aggregator_.levels_)

    @property
    def unit_(self) -> float:
        """Width of one unit of the normalised scale; see :attr:`Normaliser.unit_`.

        Returns
        -------
        float
            ``high - low`` for ``minmax`` and ``rank``, 1 for ``zscore``, 100 for
            ``distance_to_reference``.
        """
        return float(self.pipeline_[1].unit_)

    def outlier_log(self) -> pd.DataFrame:
        """The treatment log of the reference regions (empty without treatment).

        Returns
        -------
        pandas.DataFrame
            :meth:`OutlierTreatment.treatment_log`, or an empty frame with columns
            ``indicator, action`` when ``treat_outliers`` is False.
        """
        check_is_fitted(self, "pipeline_")
        treat = self.pipeline_[0]
        if treat == "passthrough":
            return pd.DataFrame(columns=["indicator", "action"])
        return treat.treatment_log()

    def reference_normalised(self) -> pd.DataFrame:
        """The reference regions' normalised indicators (the SHAP background).

        Returns
        -------
        pandas.DataFrame
            Reference regions (positional index) x indicator names, as :meth:`normalise`
            gives them.
        """
        check_is_fitted(self, "pipeline_")
        normaliser = self.pipeline_[1]
        basis = _frame(normaliser.basis_, _names(self, normaliser.basis_.shape[1]))
        return normaliser.transform(basis)

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
        return self.aggregator_.get_feature_names_out()
