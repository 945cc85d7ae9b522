"""What every resampling of :mod:`~border_readiness.clustering.stability` shares.

Input checks (the data matrix, labels with noise), scikit-learn clusterers wrapped as
picklable ``fit_predict(X_sub, seed, k=None)`` callables, and the checks of the ``method``
argument. The seeded batching itself (child seeds, batches, joblib) is
:mod:`border_readiness.features._parallel`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

# Replicates per joblib task: large enough to vectorise, small enough to spread over workers.
BATCH_SIZE = 250

FitPredict = Callable[..., Any]


# --------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _as_matrix(X: Any, name: str = "X") -> tuple[np.ndarray, pd.Index, pd.Index]:
    """The float matrix of ``X`` with its row and column labels (ranges for an ndarray)."""
    if isinstance(X, pd.DataFrame):
        index, columns = X.index, X.columns
        try:
            values = X.to_numpy(dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must hold numbers only: {exc}") from None
    else:
        values = np.asarray(X, dtype=float)
        if values.ndim != 2:
            raise ValueError(f"{name} must be 2-D (regions x features), got shape {values.shape}")
        index, columns = pd.RangeIndex(values.shape[0]), pd.RangeIndex(values.shape[1])
    if values.ndim != 2 or values.shape[0] < 2 or values.shape[1] < 1:
        raise ValueError(f"{name} must be 2-D with >= 2 rows and >= 1 column, got {values.shape}")
    if not np.isfinite(values).all():
        bad = np.argwhere(~np.isfinite(values))[0]
        raise ValueError(
            f"{name} has a missing or infinite value at row {index[bad[0]]!r}, "
            f"column {columns[bad[1]]!r}; impute first"
        )
    return np.ascontiguousarray(values), index, columns


def _encode_labels(labels: Any, n: int) -> tuple[np.ndarray, tuple]:
    """Codes 0..k-1 for the clusters and -1 for noise (negative numeric labels, as HDBSCAN's)."""
    values = np.asarray(labels.to_numpy() if isinstance(labels, pd.Series) else labels)
    if values.ndim != 1 or values.shape[0] != n:
        raise ValueError(f"labels must be 1-D with one entry per region ({n}), got {values.shape}")
    if values.dtype.kind in "iuf":
        if values.dtype.kind == "f" and not np.isfinite(values).all():
            raise ValueError("labels must not contain NaN")
        noise = values < 0
    else:
        values = values.astype(object)
        noise = pd.isna(values)
    clusters, codes = np.unique(values[~noise], return_inverse=True)
    out = np.full(n, -1, dtype=np.intp)
    out[~noise] = codes
    return out, tuple(c.item() if hasattr(c, "item") else c for c in clusters)


# --------------------------------------------------------------------------------------------
# scikit-learn estimators as fit_predict callables
# --------------------------------------------------------------------------------------------


class SklearnFitPredict:
    """A picklable ``fit_predict(X_sub, seed, k=None) -> labels`` around a sklearn estimator.

    Each call clones the estimator, sets ``random_state=seed`` when it has one, sets the number
    of clusters when ``k`` is given (``k_param``, or the first of ``n_clusters``/``n_components``
    it has) and returns ``fit_predict(X_sub)`` (``fit(X_sub).predict(X_sub)`` for mixtures
    without ``fit_predict``).

    Parameters
    ----------
    estimator : sklearn estimator
    k_param : str, optional
        Name of the parameter holding the number of clusters.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.cluster import AgglomerativeClustering
    >>> f = SklearnFitPredict(AgglomerativeClustering(n_clusters=2))
    >>> f(np.array([[0.0], [0.1], [5.0]]), seed=0).tolist()
    [0, 0, 1]
    """

    def __init__(self, estimator: Any, k_param: str | None = None) -> None:
        self.estimator = estimator
        self.k_param = k_param

    def __repr__(self) -> str:
        return repr(self.estimator)

    def __call__(self, X_sub: np.ndarray, seed: int, k: int | None = None) -> np.ndarray:
        est = clone(self.estimator)
        params = est.get_params(deep=False)
        update: dict[str, Any] = {}
        if "random_state" in params:
            update["random_state"] = int(seed)
        if k is not None:
            name = self.k_param or next(
                (p for p in ("n_clusters", "n_components") if p in params), None
            )
            if name is None:
                raise ValueError(
                    f"{type(est).__name__} has no n_clusters/n_components parameter; "
                    "pass k_param= to sklearn_fit_predict"
                )
            update[name] = int(k)
        est.set_params(**update)
        if hasattr(est, "fit_predict"):
            return np.asarray(est.fit_predict(X_sub))
        return np.asarray(est.fit(X_sub).predict(X_sub))


def sklearn_fit_predict(estimator: Any, *, k_param: str | None = None) -> SklearnFitPredict:
    """Wrap a scikit-learn clusterer as the ``fit_predict`` callable this module takes.

    Parameters
    ----------
    estimator : sklearn estimator
        KMeans, AgglomerativeClustering (Ward), GaussianMixture, HDBSCAN, ...; cloned per call.
    k_param : str, optional
        Parameter holding the number of clusters, for :func:`consensus` (default: the first of
        ``n_clusters`` / ``n_components`` the estimator has).

    Returns
    -------
    SklearnFitPredict

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.mixture import GaussianMixture
    >>> f = sklearn_fit_predict(GaussianMixture(n_components=2))
    >>> X = np.array([[0.0], [0.2], [0.1], [9.0], [9.1], [9.2]])
    >>> labels = f(X, seed=3)
    >>> len(set(labels[:3])), len(set(labels[3:])), bool(labels[0] != labels[3])
    (1, 1, True)
    """
    return SklearnFitPredict(estimator, k_param=k_param)


def _method_name(method: Any) -> str:
    if isinstance(method, str):
        return method
    return getattr(method, "__name__", None) or repr(method)


def _check_method(method: Any, names: tuple[str, ...] = ("kmeans",)) -> None:
    # ``names``: the built-in methods the caller runs itself; anything else must be callable.
    known = method in names if isinstance(method, str) else callable(method)
    if known:
        return
    allowed = " or ".join(repr(n) for n in names)
    raise ValueError(f"method must be {allowed} or a fit_predict callable, got {method!r}")


def _call_labels(method: FitPredict, X_sub: np.ndarray, seed: int, **kwargs: Any) -> np.ndarray:
    out = np.asarray(method(X_sub, seed, **kwargs))
    if out.shape != (X_sub.shape[0],):
        raise ValueError(
            f"fit_predict returned shape {out.shape} for {X_sub.shape[0]} points; "
            "expected one label per point"
        )
    return out
