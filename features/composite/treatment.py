"""Outlier treatment: COINr's winsorise-or-log rule, as a function and as a fitted transformer.

:func:`treat_outliers` treats a frame of regions in one go; :class:`OutlierTreatment` fits the
same rule on reference regions and applies it to any regions.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from border_readiness.features.composite._checks import _allow_nan_tags, _frame, _names, _values

__all__ = ["OutlierTreatment", "treat_outliers"]

# COINr's default second-stage treatment `log_CT`: log(x - min + 0.01 * (max - min)). The offset
# is a share of the range (not COINr's older "+ 1") so that the transform does not depend on the
# unit of the indicator.
_LOG_OFFSET_SHARE = 0.01


def _skew_kurt(x: np.ndarray) -> tuple[float, float]:
    """Sample skewness and excess kurtosis as COINr computes them, ignoring NaN.

    The estimators are e1071's type 2 (Excel's SKEW and KURT); NaN when there are fewer than 4
    values or no spread.
    """
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
# the fitted transformer
# --------------------------------------------------------------------------------------------


class OutlierTreatment(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """COINr's outlier rule as a transformer fitted on reference regions.

    ``fit`` applies :func:`border_readiness.features.composite.treat_outliers` to the reference
    regions: an indicator with ``|skew| >= skew_max`` and ``kurtosis >= kurt_max`` is
    winsorised (up to ``max_winsorised`` points), or log-transformed (COINr's ``log_CT``) when
    winsorising does not fix it. ``transform`` applies the fitted treatment to any regions: a
    winsorised indicator is clipped to the range of the treated reference, a log-treated one is
    clipped to the reference's range and then transformed with the reference's offset. On the
    reference regions ``fit_transform`` equals
    :func:`~border_readiness.features.composite.treat_outliers` exactly.

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
        """Scikit-learn tags: NaN (a missing indicator) is allowed in ``X``."""
        return _allow_nan_tags(super().__sklearn_tags__())

    def fit(self, X, y=None):
        """Decide and fit each indicator's treatment on the reference regions.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_regions, n_indicators)
            Raw indicator values of the reference regions (NaN = missing). A DataFrame's index
            names the regions in the treatment log.
        y : None
            Ignored; present for scikit-learn's API.

        Returns
        -------
        OutlierTreatment
            The fitted treatment.
        """
        index = X.index if isinstance(X, pd.DataFrame) else None
        values = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64)
        names = _names(self, values.shape[1])
        treated, log = treat_outliers(
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
        """Apply the fitted treatment: clip to the fitted range, then log where fitted so.

        Parameters
        ----------
        X : array-like of shape (n_regions, n_indicators)
            Raw indicator values, indicators as in ``fit``.

        Returns
        -------
        numpy.ndarray of shape (n_regions, n_indicators)
            Treated values; untreated indicators unchanged, NaN stays NaN.
        """
        check_is_fitted(self, "action_")
        values = validate_data(
            self, X, ensure_all_finite="allow-nan", dtype=np.float64, reset=False
        )
        out = np.clip(values, self.lower_, self.upper_)
        for j in np.flatnonzero(self.action_ == "log"):
            lo, hi = self.lower_[j], self.upper_[j]
            offset = _LOG_OFFSET_SHARE * (hi - lo)
            x = out[:, j]
            # Same formula as _log_ct, with the reference's min, max and skew sign.
            out[:, j] = np.log(x - lo + offset) if self.skew_[j] >= 0 else -np.log(hi - x + offset)
        return out

    def treatment_log(self) -> pd.DataFrame:
        """The treatment log of the reference regions (one row per indicator).

        Returns
        -------
        pandas.DataFrame
            The ``log`` of :func:`border_readiness.features.composite.treat_outliers` on the
            reference regions, with ``indicator`` holding the column names as text.
        """
        check_is_fitted(self, "log_")
        return pd.DataFrame(self.log_)
