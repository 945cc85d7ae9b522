"""Which clusterer the stability resamplings re-run, for each method of the main fit.

The bootstrap, the consensus and the leave-one-out refits must re-run the algorithm the main
fit used (:class:`~border_readiness.clustering.models.RegionClusterer`), by the fastest path
that gives the same partitions: k-means through the batched ``kmeans_batched`` (k-means++
starts, as scikit-learn's ``KMeans``), Ward's consensus as one scipy tree per subsample cut at
every k, and the other methods through their scikit-learn estimator, one fit per replicate.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def fit_predict_for(method: str, X: np.ndarray, regions: list[str], k: int, n_init: int) -> Any:
    """The bootstrap's clusterer for ``method``: "kmeans" (batched) or a fit_predict callable.

    Parameters
    ----------
    method : str
        The main fit's method (:data:`border_readiness.clustering.models.METHODS`).
    X : ndarray of shape (n, d)
        The clustering matrix (contiguous Ward matches subsamples back to its rows).
    regions : list of str
        Region ids in the row order of ``X`` (for the adjacency of contiguous Ward).
    k : int
        The main fit's number of clusters.
    n_init : int
        Starts of k-means and of the Gaussian mixture.

    Returns
    -------
    str or callable
        "kmeans", a :class:`~border_readiness.clustering.models.ContiguousWard`, or a
        ``sklearn_fit_predict`` around the main fit's :class:`RegionClusterer`.

    Examples
    --------
    >>> import numpy as np
    >>> fit_predict_for("kmeans", np.zeros((6, 2)), list("abcdef"), 2, 10)
    'kmeans'
    """
    from border_readiness.clustering.models import (
        ContiguousWard,
        RegionClusterer,
        adjacency_matrix,
    )
    from border_readiness.clustering.stability import sklearn_fit_predict

    if method == "kmeans":
        return "kmeans"
    if method == "ward_contiguous":
        return ContiguousWard(X, adjacency_matrix(regions), k)
    return sklearn_fit_predict(
        RegionClusterer(method=method, n_clusters=k, n_init=n_init), k_param="n_clusters"
    )


def consensus_method_for(
    method: str,
    X: np.ndarray,
    regions: list[str],
    fit_predict: Any,
    k: int,
    n_init: int,
    scheme: str,
) -> Any:
    """The consensus's clusterer for ``method``, refitted at every k of its range.

    k-means: the batched k-means ("kmeans", starts by ``scheme``). Ward: "ward", one scipy tree
    per subsample cut at every k, whose partitions equal scikit-learn's Ward per k. The Gaussian
    mixture: its estimator with one start under the "ccp" scheme, ``n_init`` otherwise.
    Contiguous Ward: its connectivity-constrained estimator, refitted per k (the constrained
    tree is scikit-learn's, not scipy's). Anything else: the bootstrap's ``fit_predict``.

    Parameters
    ----------
    method : str
        The main fit's method.
    X : ndarray of shape (n, d)
        The clustering matrix.
    regions : list of str
        Region ids in the row order of ``X``.
    fit_predict : str or callable
        The bootstrap's clusterer (:func:`fit_predict_for`).
    k : int
        The main fit's number of clusters.
    n_init : int
        The main fit's starts.
    scheme : {"ccp", "multistart"}
        The consensus scheme (one start, or ``n_init``).

    Returns
    -------
    str or callable
        A method name :func:`~border_readiness.clustering.stability.consensus` runs itself, or
        a callable taking ``k=``.

    Examples
    --------
    >>> import numpy as np
    >>> consensus_method_for("ward", np.zeros((6, 2)), list("abcdef"), None, 2, 10, "ccp")
    'ward'
    """
    from border_readiness.clustering.models import ContiguousWard, adjacency_matrix

    if method == "ward":
        return "ward"
    if method == "gmm":
        # The ccp scheme's one start applies to the mixture's starts too.
        return fit_predict_for(method, X, regions, k, 1 if scheme == "ccp" else n_init)
    if method == "ward_contiguous":
        return ContiguousWard(X, adjacency_matrix(regions))
    return fit_predict


def kmeans_fit_predict(k: int, n_init: int) -> Any:
    """scikit-learn's ``KMeans`` (k-means++, ``n_init`` starts) as a fit_predict callable.

    The leave-one-out refits use the main fit's estimator itself: there are only n + d of them.

    Parameters
    ----------
    k : int
        Number of clusters.
    n_init : int
        Starts.

    Returns
    -------
    SklearnFitPredict

    Examples
    --------
    >>> kmeans_fit_predict(3, 10)
    KMeans(n_clusters=3, n_init=10)
    """
    from sklearn.cluster import KMeans

    from border_readiness.clustering.stability import sklearn_fit_predict

    return sklearn_fit_predict(KMeans(n_clusters=k, n_init=n_init))
