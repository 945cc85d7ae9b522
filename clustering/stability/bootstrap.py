"""Cluster-wise bootstrap stability, as fpc::clusterboot computes it (Hennig 2007)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from border_readiness.clustering._jsonsafe import plain
from border_readiness.clustering.stability._chunks import FIT_BUDGET, kmeans_chunked
from border_readiness.clustering.stability._kmeans_batched import kmeans_batched
from border_readiness.clustering.stability._replicates import (
    BATCH_SIZE,
    FitPredict,
    _as_matrix,
    _call_labels,
    _check_int,
    _check_method,
    _encode_labels,
    _method_name,
)
from border_readiness.features._parallel import batch_slices, items_within, run_ordered
from border_readiness.features._parallel import child as _child
from border_readiness.features._parallel import seed_int as _seed_int

# Hennig's reading of the mean bootstrap Jaccard (fpc::clusterboot documentation): <= 0.5 the
# cluster has dissolved, >= 0.6 it shows a pattern, >= 0.75 it is stable, >= 0.85 highly stable.
DISSOLVED = 0.5
PATTERNS = 0.6
STABLE = 0.75
HIGHLY_STABLE = 0.85
#: The verdict of a one-region cluster, whatever its Jaccard.
SINGLETON = "singleton"
SINGLETON_NOTE = (
    "a one-region cluster is flagged 'singleton', never 'stable': Hennig's thresholds do not "
    "apply to it (its Jaccard only records whether that one region was again set apart, not "
    "whether a group of regions holds together)"
)


def hennig_verdict(mean_jaccard: float, size: int | None = None) -> str:
    """Hennig's reading of a cluster's mean bootstrap Jaccard similarity.

    ``<= 0.5`` "dissolved"; ``(0.5, 0.6)`` "unstable" (Hennig: do not trust it); ``[0.6, 0.75)``
    "patterns" (a real pattern, membership doubtful); ``[0.75, 0.85)`` "stable";
    ``>= 0.85`` "highly stable"; NaN "undetermined". A cluster of one region is "singleton"
    whatever its Jaccard (:data:`SINGLETON_NOTE`).

    Parameters
    ----------
    mean_jaccard : float
        A cluster's mean Jaccard similarity over bootstrap replicates, in [0, 1] or NaN.
    size : int, optional
        Regions in the cluster; 1 gives "singleton".

    Returns
    -------
    str
        One of "dissolved", "unstable", "patterns", "stable", "highly stable",
        "undetermined", "singleton".

    Examples
    --------
    >>> [hennig_verdict(v) for v in (0.5, 0.55, 0.6, 0.8, 0.85)]
    ['dissolved', 'unstable', 'patterns', 'stable', 'highly stable']
    >>> hennig_verdict(1.0, size=1)
    'singleton'
    """
    if size is not None and size <= 1:
        return SINGLETON
    if not np.isfinite(mean_jaccard):
        return "undetermined"
    if mean_jaccard <= DISSOLVED:
        return "dissolved"
    if mean_jaccard < PATTERNS:
        return "unstable"
    if mean_jaccard < STABLE:
        return "patterns"
    if mean_jaccard < HIGHLY_STABLE:
        return "stable"
    return "highly stable"


@dataclass(frozen=True, eq=False)
class StabilityResult:
    """Cluster-wise bootstrap stability, as fpc::clusterboot reports it, plus per-region values.

    Attributes
    ----------
    jaccard : ndarray of shape (B, k)
        Replicate r's Jaccard similarity of original cluster j with the most similar cluster of
        the replicate (clusterboot's ``bootresult``, transposed), NaN where cluster j had no point
        in the sample. clusterboot records 0 there instead; the two agree whenever every cluster
        is drawn, which with clusters of 3+ regions is almost always.
    clusters : tuple
        Original cluster labels, in the column order of ``jaccard``.
    sizes : Series
        Regions per original cluster.
    jaccard_mean : Series
        Mean over replicates (NaN ignored): clusterboot's ``bootmean``.
    dissolved : Series
        Replicates with Jaccard <= 0.5 (``bootbrd``).
    recovered : Series
        Replicates with Jaccard > 0.75 (``bootrecover``; clusterboot counts strictly above).
    verdict : Series
        :func:`hennig_verdict` of ``jaccard_mean`` and the cluster's size ("singleton" for a
        one-region cluster: Hennig's thresholds do not apply to it).
    membership_confidence : Series
        Per region: the share of the replicates that drew it in which it landed in the replicate's
        cluster matched to its original cluster (the one attaining the maximum Jaccard). NaN for
        noise regions. A region can sit in a stable cluster and still have low confidence: this is
        the per-region number clusterboot lacks.
    labels : Series
        The original partition, indexed by region.
    B, k : int
        Replicates; original clusters.
    method : str
        "kmeans", or the name of the fit_predict callable used.
    elapsed_s : float
        Wall time of the whole call.
    """

    jaccard: np.ndarray
    clusters: tuple
    sizes: pd.Series
    jaccard_mean: pd.Series
    dissolved: pd.Series
    recovered: pd.Series
    verdict: pd.Series
    membership_confidence: pd.Series
    labels: pd.Series
    B: int
    k: int
    method: str
    elapsed_s: float

    def to_frame(self) -> pd.DataFrame:
        """One row per original cluster: size, mean Jaccard, counts and verdict.

        Returns
        -------
        DataFrame
            Indexed by ``cluster``; columns ``size``, ``jaccard_mean``, ``dissolved`` and
            ``recovered`` (replicate counts) and ``verdict`` (:func:`hennig_verdict`).
        """
        return pd.DataFrame(
            {
                "size": self.sizes,
                "jaccard_mean": self.jaccard_mean,
                "dissolved": self.dissolved,
                "recovered": self.recovered,
                "verdict": self.verdict,
            }
        ).rename_axis("cluster")

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values for export (the per-replicate values included).

        Returns
        -------
        dict
            ``method``, ``B``, ``k``, ``elapsed_s``, ``clusters``, the per-cluster and
            per-region series as ``{label: value}`` dicts, and ``jaccard`` as a B x k list
            of lists.
        """

        def _py(series: pd.Series) -> dict:
            return {plain(i): plain(v) for i, v in series.items()}

        return {
            "method": self.method,
            "B": self.B,
            "k": self.k,
            "elapsed_s": self.elapsed_s,
            "clusters": [plain(c) for c in self.clusters],
            "sizes": _py(self.sizes),
            "jaccard_mean": _py(self.jaccard_mean),
            "dissolved": _py(self.dissolved),
            "recovered": _py(self.recovered),
            "verdict": _py(self.verdict),
            "membership_confidence": _py(self.membership_confidence),
            "jaccard": self.jaccard.tolist(),
        }


def _bootstrap_batch(
    X: np.ndarray,
    codes: np.ndarray,
    k_orig: int,
    children: list[np.random.SeedSequence],
    method: Any,
    k: int | None,
    n_init: int,
    max_iter: int,
    init: str = "k-means++",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = X.shape[0]
    m = len(children)
    present = np.zeros((m, n), dtype=bool)
    fit_seqs = []
    for r, child in enumerate(children):
        # clusterboot's "boot" with multipleboot=FALSE: draw n with replacement, keep distinct.
        draw = np.random.default_rng(_child(child, 0)).integers(0, n, size=n)
        present[r, draw] = True
        fit_seqs.append(_child(child, 1))
    if isinstance(method, str):
        # In sub-batches whose working arrays (replicates x starts x k x n) fit a byte budget.
        boot = kmeans_chunked(
            X,
            k,
            n_init=n_init,
            max_iter=max_iter,
            rng=[np.random.default_rng(s) for s in fit_seqs],
            sample_weight=present.astype(float),
            init=init,
        )
    else:
        boot = np.full((m, n), -1, dtype=np.intp)
        for r in range(m):
            rows = np.flatnonzero(present[r])
            raw = _call_labels(method, X[rows], _seed_int(fit_seqs[r]))
            boot[r, rows] = _encode_labels(raw, rows.size)[0]
    jac, matched = _best_jaccard(codes, boot, present, k_orig)
    # A region "stays" when it lands in the replicate cluster matched to its original cluster.
    hit = present & (codes >= 0) & (boot == matched[:, np.maximum(codes, 0)])
    # Per-region counts over the batch, not (replicates x n) masks: the caller only adds them.
    return jac, hit.sum(axis=0), present.sum(axis=0)


def _best_jaccard(
    codes: np.ndarray, boot: np.ndarray, present: np.ndarray, k_orig: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per replicate and original cluster: max Jaccard over replicate clusters, and its argmax.

    Computed on the distinct drawn points only (clusterboot compares ``c1[bsamp]`` with the
    replicate's clusters, noise excluded from every cluster).
    """
    m, n = boot.shape
    kb = max(int(boot.max()) + 1, 1)
    in_orig = present & (codes >= 0)[None, :]
    in_boot = present & (boot >= 0)
    both = in_orig & in_boot
    rep = np.broadcast_to(np.arange(m)[:, None], (m, n))
    cell = (rep * k_orig + codes[None, :]) * kb + boot
    inter = np.bincount(cell[both], minlength=m * k_orig * kb).reshape(m, k_orig, kb)
    size_orig = np.bincount((rep * k_orig + codes[None, :])[in_orig], minlength=m * k_orig).reshape(
        m, k_orig
    )
    size_boot = np.bincount((rep * kb + boot)[in_boot], minlength=m * kb).reshape(m, kb)
    union = size_orig[:, :, None] + size_boot[:, None, :] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        jac = np.where(union > 0, inter / union, 0.0)
    matched = jac.argmax(axis=2)  # first maximum, as clusterboot's strict ">" keeps the first
    best = jac.max(axis=2)
    best[size_orig == 0] = np.nan
    return best, matched


def bootstrap_jaccard(
    X: np.ndarray | pd.DataFrame,
    labels: Any = None,
    *,
    method: str | FitPredict = "kmeans",
    k: int | None = None,
    B: int = 100,
    n_init: int = 10,
    max_iter: int = 100,
    random_state: int | None = 0,
    n_jobs: int | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
    init: str = "k-means++",
) -> StabilityResult:
    """Cluster-wise stability by the bootstrap, following fpc::clusterboot.

    Each replicate draws n regions with replacement and keeps the distinct ones (clusterboot's
    default ``bootmethod="boot"``, ``multipleboot=FALSE``), clusters them, and records for every
    original cluster the Jaccard similarity |A ∩ C| / |A ∪ C| between the cluster's drawn regions
    A and the most similar cluster C of the replicate, both on the drawn regions only.

    Parameters
    ----------
    X : DataFrame or ndarray of shape (n, d)
        Regions x features, complete; rows of a DataFrame are labelled by its index.
    labels : array-like of shape (n,), optional
        The partition to assess, in the row order of ``X`` (negative numbers are noise, as from
        HDBSCAN). Default: cluster ``X`` with ``method`` and ``k``, seeded from
        ``random_state``, as clusterboot does.
    method : "kmeans" or callable, default "kmeans"
        "kmeans": :func:`kmeans_batched` with ``k`` clusters and ``n_init`` starts over a
        whole batch at once (fpc's ``kmeansCBI`` with ``runs=n_init``). A callable
        ``fit_predict(X_sub, seed) -> labels`` is called once per replicate; see
        :func:`sklearn_fit_predict` for scikit-learn's Ward, GMM, HDBSCAN, ...
    k : int, optional
        Clusters per replicate for "kmeans"; default the number of clusters in ``labels``.
        Ignored by callables, which decide for themselves.
    B : int, default 100
        Bootstrap replicates (clusterboot's default).
    n_init, max_iter : int
        Passed to :func:`kmeans_batched`.
    random_state : int, optional
        Root seed: replicate r uses child r of ``SeedSequence(random_state).spawn(B)`` for its
        draw and its clustering seed.
    n_jobs : int, optional
        joblib workers over batches (``None``: joblib's default, one unless a
        ``joblib.parallel_config`` says otherwise).
    batch_size : int, default 250
        Replicates per batch (per joblib task). Results do not depend on it.
    progress : callable, optional
        Called as ``progress(done, total)`` after each batch, e.g. to drive a progress bar.
    init : {"k-means++", "random"}, default "k-means++"
        Seeding of "kmeans": the main fit's k-means++ (scikit-learn's ``KMeans``), or R's
        uniformly random points (``kmeans(x, k)`` inside fpc's ``kmeansruns``).

    Returns
    -------
    StabilityResult

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 0.3, (10, 2)), rng.normal(5, 0.3, (10, 2))])
    >>> res = bootstrap_jaccard(X, k=2, B=20)
    >>> res.verdict.tolist(), bool(res.jaccard_mean.min() > 0.95)
    (['highly stable', 'highly stable'], True)
    """
    start = time.perf_counter()
    values, index, _ = _as_matrix(X)
    n = values.shape[0]
    _check_method(method)
    B = _check_int("B", B, 1)
    batch_size = _check_int("batch_size", batch_size, 1)
    n_init = _check_int("n_init", n_init, 1)
    max_iter = _check_int("max_iter", max_iter, 1)
    root = np.random.SeedSequence(random_state)

    if labels is None:
        if method == "kmeans" and k is None:
            raise ValueError("k is required when labels is None and method is 'kmeans'")
        if isinstance(method, str):
            labels = kmeans_batched(
                values[None],
                _check_int("k", k, 1),
                n_init=n_init,
                max_iter=max_iter,
                rng=np.random.default_rng(root),
                init=init,
            )[0]
        else:
            labels = _call_labels(method, values, _seed_int(root))
    codes, clusters = _encode_labels(labels, n)
    k_orig = len(clusters)
    if k_orig == 0:
        raise ValueError("labels hold no cluster (all noise)")
    if isinstance(method, str):
        k = _check_int("k", k_orig if k is None else k, 1)
        if k > n:
            raise ValueError(f"k={k} exceeds the number of regions ({n})")

    children = root.spawn(B)
    # The Jaccard step holds about eight (replicates x n) integer arrays per batch: batches are
    # cut to the fit budget too (results never depend on the batch size).
    batches = batch_slices(B, min(batch_size, items_within(FIT_BUDGET, 64 * n)))
    parts = run_ordered(
        _bootstrap_batch,
        [(values, codes, k_orig, children[s], method, k, n_init, max_iter, init) for s in batches],
        n_jobs=n_jobs,
        sizes=[s.stop - s.start for s in batches],
        progress=progress,
    )
    jaccard = np.concatenate([p[0] for p in parts])
    hits = np.sum([p[1] for p in parts], axis=0)
    drawn = np.sum([p[2] for p in parts], axis=0)

    cluster_index = pd.Index(clusters, name="cluster")
    with np.errstate(invalid="ignore"):
        mean = np.array([np.nanmean(c) if np.isfinite(c).any() else np.nan for c in jaccard.T])
        confidence = np.where((codes >= 0) & (drawn > 0), hits / np.maximum(drawn, 1), np.nan)
    jaccard_mean = pd.Series(mean, index=cluster_index, name="jaccard_mean")
    sizes = pd.Series(
        np.bincount(codes[codes >= 0], minlength=k_orig), index=cluster_index, name="size"
    )
    verdict = [hennig_verdict(j, size=s) for j, s in zip(mean, sizes, strict=True)]
    return StabilityResult(
        jaccard=jaccard,
        clusters=clusters,
        sizes=sizes,
        jaccard_mean=jaccard_mean,
        dissolved=pd.Series(
            (jaccard <= DISSOLVED).sum(axis=0), index=cluster_index, name="dissolved"
        ),
        recovered=pd.Series((jaccard > STABLE).sum(axis=0), index=cluster_index, name="recovered"),
        verdict=pd.Series(verdict, index=cluster_index, name="verdict"),
        membership_confidence=pd.Series(confidence, index=index, name="membership_confidence"),
        labels=pd.Series(np.asarray(labels), index=index, name="cluster"),
        B=B,
        k=k_orig,
        method=_method_name(method),
        elapsed_s=time.perf_counter() - start,
    )
