"""Clustering of regions on the indicator matrix, with k chosen by internal indices.

One estimator, :class:`RegionClusterer`, wraps scikit-learn's own algorithms — k-means, Ward,
Gaussian mixture, HDBSCAN, and Ward constrained to contiguous regions (a connectivity matrix
from the region registry's adjacency) — and chooses the number of clusters by an internal index
(silhouette, Calinski–Harabasz, Davies–Bouldin or the gap statistic) over ``k = 2 … k_max``.
:class:`ContiguousWard` is that contiguity-constrained Ward as the ``fit_predict(X_sub, seed,
k)`` callable the stability replicates call on subsamples.

Small n: with a dozen regions any clustering is fragile. ``k`` is capped at ``n // 3`` (so each
cluster can hold three regions on average) and every result carries a note saying so.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from joblib import parallel_config
from sklearn.base import BaseEstimator, ClusterMixin, clone
from sklearn.cluster import HDBSCAN, AgglomerativeClustering, KMeans
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils.validation import check_is_fitted, validate_data

from border_readiness.clustering._gmm_guard import GuardedGaussianMixture, admissible
from border_readiness.clustering._methods import METHODS
from border_readiness.clustering._small_n import small_n_note
from border_readiness.features._parallel import run_ordered, single_threaded

__all__ = [
    "CRITERIA",
    "METHODS",
    "ClusterAssignment",
    "ContiguousWard",
    "RegionClusterer",
    "adjacency_matrix",
    "gap_statistic",
    "internal_indices",
    "max_clusters",
    "small_n_note",
]

CRITERIA = ("silhouette", "calinski_harabasz", "davies_bouldin", "gap")


def max_clusters(n: int) -> int:
    """The largest k allowed for n regions: ``n // 3``, at least 2.

    Parameters
    ----------
    n : int
        Number of regions being clustered.

    Returns
    -------
    int
        The cap on the number of clusters, so that a cluster holds three regions on average.

    Examples
    --------
    >>> max_clusters(12)
    4
    """
    return max(2, n // 3)


def adjacency_matrix(regions: list[str]) -> np.ndarray:
    """Symmetric 0/1 contiguity matrix of ``regions`` from the registry's border facts.

    Regions with no neighbour among ``regions`` (e.g. the Altai Republic without Altai Krai)
    keep only themselves; Ward then cannot merge them and they stay singletons.

    Parameters
    ----------
    regions : list of str
        ISO 3166-2 codes (``"RU-OMS"`` …) in the row order of the indicator matrix; codes the
        registry does not know get no neighbours.

    Returns
    -------
    ndarray of int, shape (n, n)
        1 where two regions share a border (and on the diagonal), 0 elsewhere; rows and
        columns follow ``regions``.

    Examples
    --------
    >>> adjacency_matrix(["RU-OMS", "RU-NVS", "RU-AST"]).tolist()
    [[1, 1, 0], [1, 1, 0], [0, 0, 1]]
    """
    from border_readiness.features.regions import border_facts

    facts = border_facts()
    index = {r: i for i, r in enumerate(regions)}
    A = np.eye(len(regions), dtype=int)
    for r in regions:
        if r not in facts.index:
            continue
        for nb in str(facts.at[r, "ru_neighbours"]).split("|"):
            if nb in index:
                A[index[r], index[nb]] = A[index[nb], index[r]] = 1
    return A


def _within_dispersion(X: np.ndarray, labels: np.ndarray) -> float:
    total = 0.0
    for lab in np.unique(labels):
        pts = X[labels == lab]
        total += float(((pts - pts.mean(axis=0)) ** 2).sum())
    return total


def _reference_log_dispersion(R: np.ndarray, k: int, i: int, fit_predict) -> float:
    return float(np.log(_within_dispersion(R, fit_predict(R, k, i))))


def gap_statistic(
    X: np.ndarray,
    labels_for_k: dict[int, np.ndarray],
    fit_predict,
    *,
    n_refs: int = 20,
    random_state: int = 0,
) -> pd.DataFrame:
    """Tibshirani's gap statistic with its standard error ``s_k``.

    Reference data are uniform over the bounding box of the principal components of ``X``
    (Tibshirani, Walther & Hastie 2001, method b), clustered by the same ``fit_predict``.

    Parameters
    ----------
    X : ndarray, shape (n, d)
        The (standardised) indicator matrix that was clustered.
    labels_for_k : dict of int to ndarray
        For each k tried, the labels of the rows of ``X``.
    fit_predict : callable
        ``fit_predict(X, k, seed) -> labels``, the clustering applied to each reference set.
    n_refs : int, default 20
        Number of uniform reference data sets.
    random_state : int, default 0
        Seed of the reference draws.

    Returns
    -------
    DataFrame
        Indexed by k, with columns ``gap`` (mean reference log-dispersion minus the observed
        one) and ``s_k`` (its standard error, ``sd * sqrt(1 + 1/n_refs)``).
    """
    Xc = X - X.mean(axis=0)
    _, _, vt = np.linalg.svd(Xc, full_matrices=False)
    Z = Xc @ vt.T
    lo, hi = Z.min(axis=0), Z.max(axis=0)
    seeds = np.random.SeedSequence(random_state).spawn(n_refs)
    refs = []
    for s in seeds:
        rng = np.random.default_rng(s)
        refs.append(rng.uniform(lo, hi, size=Z.shape) @ vt + X.mean(axis=0))
    # One joblib task per (k, reference set); its seed is the reference index, not the worker.
    tasks = [(R, k, i, fit_predict) for k in labels_for_k for i, R in enumerate(refs)]
    logs = iter(run_ordered(_reference_log_dispersion, tasks))
    rows = {}
    for k, labels in labels_for_k.items():
        log_w = np.log(_within_dispersion(X, labels))
        ref_logs = np.array([next(logs) for _ in refs])
        rows[k] = {
            "gap": float(ref_logs.mean() - log_w),
            "s_k": float(ref_logs.std() * np.sqrt(1 + 1 / n_refs)),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("k")


def internal_indices(X: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Silhouette (higher better), Calinski–Harabasz (higher), Davies–Bouldin (lower).

    Parameters
    ----------
    X : ndarray, shape (n, d)
        The indicator matrix that was clustered.
    labels : ndarray of int, shape (n,)
        Cluster of each row of ``X``.

    Returns
    -------
    dict of str to float
        Keys ``silhouette``, ``calinski_harabasz`` and ``davies_bouldin``; all NaN when there
        is a single cluster or every region is its own cluster (the indices are undefined).

    Examples
    --------
    >>> X = np.array([[0.0], [0.1], [5.0], [5.1]])
    >>> round(internal_indices(X, np.array([0, 0, 1, 1]))["silhouette"], 3)
    0.98
    """
    n_labels = len(np.unique(labels))
    if n_labels < 2 or n_labels >= len(X):
        return {"silhouette": np.nan, "calinski_harabasz": np.nan, "davies_bouldin": np.nan}
    # Sequential: in a Dask joblib context scikit-learn splits the distances over the workers.
    with parallel_config(backend="sequential"):  # (the last bit would follow the worker count)
        scores = (silhouette_score, calinski_harabasz_score, davies_bouldin_score)
        return {f.__name__[:-6]: float(f(X, labels)) for f in scores}


class ContiguousWard:
    """``fit_predict(X_sub, seed, k)`` for Ward constrained to contiguous regions on subsamples.

    Bootstrap and consensus replicates pass only the rows drawn; the rows are matched back to
    their regions by value so that the contiguity matrix can be cut to the same regions.
    Leave-one-indicator-out passes all regions, in order, with a column fewer.

    Parameters
    ----------
    X : ndarray, shape (n, d)
        The full indicator matrix, one row per region, in the order of ``adjacency``.
    adjacency : array-like of int, shape (n, n)
        Contiguity matrix of the regions (:func:`adjacency_matrix`).
    k : int, optional
        Number of clusters when a call does not give one.
    """

    def __init__(self, X: np.ndarray, adjacency: np.ndarray, k: int | None = None):
        self.rows = {np.asarray(r, dtype=float).tobytes(): i for i, r in enumerate(X)}
        self.shape = X.shape
        self.adjacency = np.asarray(adjacency)
        self.k = k

    def __call__(self, X_sub: np.ndarray, seed: int = 0, k: int | None = None) -> np.ndarray:
        """Cluster the rows ``X_sub`` by contiguity-constrained Ward.

        Parameters
        ----------
        X_sub : ndarray, shape (m, d) or (n, d - 1)
            Rows of the ``X`` given at construction (a subsample, matched back by value), or
            all regions in order with one indicator left out.
        seed : int, default 0
            Ignored (Ward is deterministic); present for the replicates' calling convention.
        k : int, optional
            Number of clusters; default the ``k`` given at construction. Capped at ``m``.

        Returns
        -------
        ndarray of int, shape (m,)
            The cluster of each row of ``X_sub``, as numbered by scikit-learn.
        """
        if X_sub.shape[1] != self.shape[1] and len(X_sub) == self.shape[0]:
            sub = self.adjacency
        else:
            idx = np.array([self.rows[np.asarray(r, dtype=float).tobytes()] for r in X_sub])
            sub = self.adjacency[np.ix_(idx, idx)]
        n_clusters = int(k if k is not None else self.k)
        with warnings.catch_warnings():
            # Sklearn completes a disconnected graph (e.g. a sample without Altai Krai leaves
            # the Altai Republic isolated) and warns each time; that is expected here.
            warnings.simplefilter("ignore", UserWarning)
            est = AgglomerativeClustering(
                n_clusters=min(n_clusters, len(X_sub)), linkage="ward", connectivity=sub
            )
            return est.fit_predict(X_sub)


class RegionClusterer(ClusterMixin, BaseEstimator):
    """Cluster regions, choosing k by an internal index.

    Parameters
    ----------
    method : {"kmeans", "ward", "gmm", "hdbscan", "ward_contiguous"}, default "kmeans"
        The algorithm: k-means, Ward, a Gaussian mixture with diagonal covariances, HDBSCAN,
        or Ward merging only regions that share a border (needs ``connectivity``).
    n_clusters : int, optional
        Fix k; by default it is chosen over ``2 … k_max`` by ``criterion``. Ignored by HDBSCAN,
        which finds its own number of clusters (noise points get label -1).
    k_max : int, optional
        Default ``n // 3``; a larger value is capped there.
    criterion : {"silhouette", "calinski_harabasz", "davies_bouldin", "gap"}, default "silhouette"
        The gap statistic uses Tibshirani's rule (smallest k with gap(k) ≥ gap(k+1) − s(k+1)).
    connectivity : array-like (n, n), optional
        Required for ``ward_contiguous``: 1 where two regions share a border
        (:func:`adjacency_matrix`).
    n_init : int, default 10
        Restarts of k-means and of the Gaussian mixture; the best one is kept.
    min_cluster_size : int, optional
        For HDBSCAN; default ``max(2, n // 6)`` (2 for the 12 border regions).
    random_state : int, default 0
        Seed of k-means, the Gaussian mixture and the gap statistic's reference draws.

    Attributes
    ----------
    labels_ : ndarray
        Cluster of each region, numbered 0, 1, … by first appearance (-1: HDBSCAN noise).
    n_clusters_ : int
        The chosen (or fixed) k; for HDBSCAN the number of clusters found.
    k_scores_ : DataFrame
        Internal indices for every k tried (and the gap statistic when chosen by it).
    notes_ : list of str
        Caveats to report with the clustering (small n, k above the cap, noise regions).
    estimator_ : estimator or None
        The fitted scikit-learn estimator of the chosen k (None when k = 1).
    assignment_ : ClusterAssignment
        The rule :meth:`predict` applies to new regions.

    Examples
    --------
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [9, 9], [9, 8], [8, 9]], dtype=float)
    >>> RegionClusterer(random_state=0).fit(X).n_clusters_
    2
    """

    def __init__(
        self,
        method="kmeans",
        n_clusters=None,
        k_max=None,
        criterion="silhouette",
        connectivity=None,
        n_init=10,
        min_cluster_size=None,
        random_state=0,
    ):
        self.method = method
        self.n_clusters = n_clusters
        self.k_max = k_max
        self.criterion = criterion
        self.connectivity = connectivity
        self.n_init = n_init
        self.min_cluster_size = min_cluster_size
        self.random_state = random_state

    def _estimator(self, k: int, seed: int):
        if self.method == "kmeans":
            return KMeans(n_clusters=k, n_init=self.n_init, random_state=seed)
        if self.method == "ward":
            return AgglomerativeClustering(n_clusters=k, linkage="ward")
        if self.method == "ward_contiguous":
            return AgglomerativeClustering(
                n_clusters=k, linkage="ward", connectivity=np.asarray(self.connectivity)
            )
        if self.method == "gmm":
            # Diagonal covariances (a full one is not estimable from a dozen regions), and no
            # component under max(2, ceil(0.1 n)) regions: see _gmm_guard.
            return GuardedGaussianMixture(k, n_init=self.n_init, random_state=seed)
        raise AssertionError(self.method)

    def _fit_predict_k(self, X: np.ndarray, k: int, seed: int) -> np.ndarray:
        est = self._estimator(k, seed)
        return np.asarray(est.fit_predict(X))

    def fit(self, X, y=None):
        """Cluster the regions, choosing k unless ``n_clusters`` is fixed.

        Parameters
        ----------
        X : array-like, shape (n, d)
            Indicator matrix, one row per region (at least 3 regions).
        y : None
            Ignored; present for scikit-learn's API.

        Returns
        -------
        RegionClusterer
            ``self``, fitted (``labels_``, ``n_clusters_``, ``k_scores_``, ``notes_`` …).

        Raises
        ------
        ValueError
            If ``method`` or ``criterion`` is unknown, ``ward_contiguous`` lacks an n x n
            ``connectivity``, or a fixed ``n_clusters`` is outside ``1..n``.
        """
        # One thread: on a dozen regions OpenMP threads only wait, and a fit then does not
        # depend on the machine's number of cores even in the last bit of the inertia.
        with single_threaded():
            return self._fit(X)

    def _fit(self, X):
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=3)
        n = X.shape[0]
        if self.method not in METHODS:
            raise ValueError(f"method {self.method!r} is not one of {', '.join(METHODS)}")
        if self.criterion not in CRITERIA:
            raise ValueError(f"criterion {self.criterion!r} is not one of {', '.join(CRITERIA)}")
        if self.method == "ward_contiguous":
            if self.connectivity is None:
                raise ValueError("method 'ward_contiguous' needs a connectivity matrix")
            if np.asarray(self.connectivity).shape != (n, n):
                raise ValueError(f"connectivity must be {n} x {n}")
        self.notes_ = [note] if (note := small_n_note(n)) else []
        if self.method == "hdbscan":
            size = self.min_cluster_size if self.min_cluster_size is not None else n // 6
            est = HDBSCAN(min_cluster_size=max(2, int(size)), copy=True)
            self.labels_ = _relabel(est.fit_predict(X))
            self.n_clusters_ = len(set(self.labels_) - {-1})
            self.k_scores_ = pd.DataFrame(
                [{"k": self.n_clusters_, **internal_indices(X, self.labels_)}]
            ).set_index("k")
            if (self.labels_ == -1).any():
                self.notes_.append(
                    f"HDBSCAN left {int((self.labels_ == -1).sum())} region(s) as noise (label -1)"
                )
            self.estimator_ = est
            self.assignment_ = ClusterAssignment.from_fit(
                "hdbscan", None, X, self.labels_, self.labels_
            )
            return self
        cap = max_clusters(n)
        if self.n_clusters is not None:
            k = int(self.n_clusters)
            if not 1 <= k <= n:
                raise ValueError(f"n_clusters must be in 1..{n}, got {k}")
            if k > cap:
                self.notes_.append(f"k = {k} exceeds n // 3 = {cap}: clusters will be tiny")
            candidates = [k]
        else:
            k_max = cap if self.k_max is None else min(int(self.k_max), cap)
            candidates = list(range(2, max(2, k_max) + 1))
        labels, fitted = {}, {}
        for k in candidates:
            if k > 1:
                fitted[k] = self._estimator(k, self.random_state)
                labels[k] = np.asarray(fitted[k].fit_predict(X))
            else:
                labels[k] = np.zeros(n, dtype=int)
        candidates = admissible(candidates, fitted, self.notes_)
        rows = {k: internal_indices(X, lab) for k, lab in labels.items()}
        scores = pd.DataFrame.from_dict(rows, orient="index").rename_axis("k")
        if self.criterion == "gap" and len(candidates) > 1:
            gap = gap_statistic(X, labels, self._fit_predict_k, random_state=self.random_state)
            scores = scores.join(gap)
        if len(candidates) == 1:
            chosen = candidates[0]
        elif self.criterion == "gap":
            chosen = candidates[-1]
            for k in candidates[:-1]:
                if scores.at[k, "gap"] >= scores.at[k + 1, "gap"] - scores.at[k + 1, "s_k"]:
                    chosen = k
                    break
        elif self.criterion == "davies_bouldin":
            chosen = int(scores.loc[candidates, "davies_bouldin"].idxmin())
        else:
            chosen = int(scores.loc[candidates, self.criterion].idxmax())
        self.k_scores_ = scores
        self.n_clusters_ = int(chosen)
        self.labels_ = _relabel(labels[chosen])
        # The fitted estimator of the chosen k (k = 1 is all one cluster, nothing fitted).
        self.estimator_ = fitted.get(chosen)
        self.assignment_ = ClusterAssignment.from_fit(
            self.method,
            getattr(fitted.get(chosen), "estimator_", fitted.get(chosen)),
            X,
            labels[chosen],
            self.labels_,
        )
        return self

    def predict(self, X):
        """The cluster of new regions (see :class:`ClusterAssignment`).

        On the regions of the fit it returns ``labels_``.

        Parameters
        ----------
        X : array-like, shape (m, d)
            Indicator rows of the regions to assign, with the columns of the fit.

        Returns
        -------
        ndarray of int, shape (m,)
            The cluster of each region (-1 only for HDBSCAN noise).
        """
        check_is_fitted(self, "assignment_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return self.assignment_.predict(X)

    def fit_predict(self, X, y=None, **kwargs):
        """Fit on ``X`` and return ``labels_``.

        Parameters
        ----------
        X : array-like, shape (n, d)
            Indicator matrix, one row per region.
        y : None
            Ignored; present for scikit-learn's API.
        **kwargs : dict
            Ignored; present for scikit-learn's API.

        Returns
        -------
        ndarray of int, shape (n,)
            The cluster of each region, numbered 0, 1, … by first appearance.
        """
        return self.fit(X).labels_

    def clone_for(self, k: int):
        """A copy with k fixed (used by stability replicates).

        Parameters
        ----------
        k : int
            The number of clusters to fix.

        Returns
        -------
        RegionClusterer
            An unfitted clone with ``n_clusters=k`` and the other parameters unchanged.
        """
        return clone(self).set_params(n_clusters=k)


class ClusterAssignment:
    """Assign regions to the clusters of a fitted clustering, reproducing it on its own regions.

    A fitted rule, not an estimator: it is made from a fit (:meth:`from_fit`, as
    :class:`RegionClusterer` does) and only predicts, so it has no ``fit`` of its own.

    k-means assigns a region to the nearest centre and a Gaussian mixture to its most probable
    component (the fitted scikit-learn estimator's own ``predict``); the hierarchical methods
    and HDBSCAN have no such rule, so a region takes the cluster of the nearest region of the
    fit (``KNeighborsClassifier(n_neighbors=1)``). Labels are renumbered as the clustering
    numbered them.

    Parameters
    ----------
    estimator : fitted estimator with ``predict``
        The fitted k-means or Gaussian mixture, or a 1-nearest-neighbour classifier on the
        regions of the fit.
    label_map : array-like of int, optional
        ``label_map[raw]`` is the cluster of the estimator's raw label ``raw``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [0.1], [5.0], [5.1]])
    >>> a = ClusterAssignment.from_fit("ward", None, X, np.array([1, 1, 0, 0]),
    ...                                np.array([0, 0, 1, 1]))
    >>> a.predict(np.array([[4.0], [0.4]])).tolist()
    [1, 0]
    """

    def __init__(self, estimator, label_map=None):
        self.estimator = estimator
        self.label_map = label_map

    def __repr__(self) -> str:
        """Name the rule by the estimator it applies."""
        return f"ClusterAssignment({type(self.estimator).__name__})"

    @classmethod
    def from_fit(cls, method, fitted, X, raw_labels, labels) -> ClusterAssignment:
        """The assignment rule of a clustering ``method`` fitted as ``fitted`` on ``X``.

        Parameters
        ----------
        method : str
            One of :data:`METHODS`; only ``kmeans`` and ``gmm`` use ``fitted`` itself.
        fitted : estimator or None
            The fitted scikit-learn estimator of the chosen k (None when k = 1 or for
            HDBSCAN, which then fall back to the nearest region).
        X : ndarray, shape (n, d)
            The indicator matrix of the fit.
        raw_labels : ndarray of int, shape (n,)
            Labels as the estimator numbered them.
        labels : ndarray of int, shape (n,)
            The same clusters as :class:`RegionClusterer` renumbered them.

        Returns
        -------
        ClusterAssignment
            A rule whose :meth:`predict` returns ``labels`` on the rows of ``X``.
        """
        if method in ("kmeans", "gmm") and fitted is not None:
            size = int(np.max(raw_labels)) + 1
            label_map = np.full(size, -1, dtype=int)
            label_map[np.asarray(raw_labels, dtype=int)] = np.asarray(labels, dtype=int)
            return cls(fitted, label_map)
        knn = KNeighborsClassifier(n_neighbors=1, n_jobs=1).fit(X, np.asarray(labels, int))
        return cls(knn, None)

    def predict(self, X) -> np.ndarray:
        """The cluster of each region in ``X``.

        Parameters
        ----------
        X : array-like, shape (m, d)
            Indicator rows with the columns of the fit.

        Returns
        -------
        ndarray of int, shape (m,)
            Clusters in the clustering's numbering.
        """
        raw = np.asarray(self.estimator.predict(np.asarray(X, dtype=float)), dtype=int)
        return raw if self.label_map is None else np.asarray(self.label_map)[raw]


def _relabel(labels: np.ndarray) -> np.ndarray:
    # Number clusters 0, 1, … by first appearance so labels do not depend on the algorithm's
    # arbitrary numbering (same data and seed -> same labels across methods' versions).
    order: dict[int, int] = {}
    for lab in labels:
        if lab not in order and lab != -1:
            order[lab] = len(order)
    return np.array([order.get(lab, -1) for lab in labels])
