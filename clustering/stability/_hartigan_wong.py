"""Hartigan-Wong k-means (Applied Statistics algorithm AS 136), as R's ``kmeans`` runs it.

ConsensusClusterPlus clusters each subsample with ``kmeans(x, k, iter.max = 10, nstart =
1)``, i.e. R's Fortran ``kmns.f``: an optimal-transfer pass over the points (each moved to
the cluster that lowers the WSS most, over the "live" clusters only), then quick-transfer
passes (each point against its second-closest cluster) until M steps pass without a move,
repeated up to ``iter.max`` times. Lloyd steps with single-point transfers end in other local
optima in other proportions, so a like-for-like comparison with ConsensusClusterPlus needs
this algorithm itself. The numba kernels are in ``_hartigan_wong_kernel`` and are imported
(and compiled, or loaded from numba's cache) at the first call, never at package import.

``benchmarks/check_hartigan_wong_r.py`` runs R's ``kmeans(..., algorithm = "Hartigan-Wong")``
on the same data and initial centres and compares partitions and WSS.
"""

from __future__ import annotations

import numpy as np

__all__ = ["hartigan_wong", "hartigan_wong_batched"]

# R's kmeans(): isteps.Qtran <- as.integer(min(.Machine$integer.max, 50 * m)).
_INT_MAX = 2**31 - 1
_FAULTS = {
    1: "empty cluster: try a better set of initial centres",
    3: "the number of clusters must lie between 2 and n - 1",
}


def _kernel():
    # Deferred: numba costs about a second to import and must stay out of the CLI's start.
    from . import _hartigan_wong_kernel

    return _hartigan_wong_kernel


def _distinct(rows: np.ndarray) -> np.ndarray:
    """Whether the k rows of each (..., k, d) stack are pairwise different (R's ``duplicated``)."""
    k = rows.shape[-2]
    equal = (rows[..., :, None, :] == rows[..., None, :, :]).all(axis=-1)
    return equal.sum(axis=(-2, -1)) == k  # only the diagonal


def _max_qtran(m: int) -> int:
    return min(_INT_MAX, 50 * m)


def _check_iter(max_iter: int) -> int:
    if int(max_iter) != max_iter or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
    return int(max_iter)


def hartigan_wong(
    X: np.ndarray, centres: np.ndarray, max_iter: int = 10
) -> tuple[np.ndarray, np.ndarray, int, bool]:
    """Cluster the rows of ``X`` by Hartigan-Wong k-means from the given initial centres.

    The same computation as R's ``kmeans(X, centers = centres, iter.max = max_iter,
    algorithm = "Hartigan-Wong")``: same partition, same cluster numbering (cluster ``l``
    grows from initial centre ``l``), same WSS to round-off.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        The points (float64; converted if not).
    centres : ndarray of shape (k, d)
        Distinct initial centres, 2 <= k < n (R takes k distinct rows of ``X``).
    max_iter : int, default 10
        R's ``iter.max``: at most this many optimal-transfer passes (ConsensusClusterPlus
        uses 10).

    Returns
    -------
    labels : ndarray of shape (n,), int64
        Cluster of each point, 0 .. k-1 (R's ``cluster`` minus 1).
    wss : ndarray of shape (k,)
        Within-cluster sum of squares per cluster (R's ``withinss``).
    iterations : int
        R's ``iter``: the passes run; ``max_iter + 1`` when it did not converge.
    converged : bool
        False where R warns (``did not converge in iter.max iterations``, or the
        quick-transfer stage exceeding 50 n steps); the partition is returned all the same,
        as R does.

    Raises
    ------
    ValueError
        If a value is not finite, the centres repeat, k is out of range, or a cluster is
        empty after the first assignment (R stops there too).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [2.0], [3.0], [4.0], [9.0], [10.0]])
    >>> labels, wss, iterations, converged = hartigan_wong(X, X[[0, 4]], max_iter=10)
    >>> labels.tolist(), wss.tolist(), converged
    ([0, 0, 0, 0, 1, 1], [8.75, 0.5], True)
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    centres = np.array(centres, dtype=np.float64, order="C")  # a copy: the kernel writes it
    if X.ndim != 2 or centres.ndim != 2 or centres.shape[1] != X.shape[1]:
        raise ValueError(f"X must be (n, d) and centres (k, d); got {X.shape}, {centres.shape}")
    if not (np.isfinite(X).all() and np.isfinite(centres).all()):
        raise ValueError("X and centres must be finite (R: NA/NaN/Inf in foreign function call)")
    if not _distinct(centres):
        raise ValueError("initial centres are not distinct")
    max_iter = _check_iter(max_iter)
    n, k = X.shape[0], centres.shape[0]
    labels = np.empty(n, dtype=np.int64)
    wss = np.empty(k)
    iterations, fault = _kernel().kmns(X, centres, max_iter, _max_qtran(n), labels, wss)
    if fault in _FAULTS:
        raise ValueError(_FAULTS[fault])
    return labels, wss, int(iterations), fault == 0


def hartigan_wong_batched(
    Xb: np.ndarray, seeds: np.ndarray, max_iter: int = 10
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Run :func:`hartigan_wong` on each data set of a batch, one after the other.

    One compiled loop over the batch, no threads: each data set's result is exactly the one
    it gets alone, whatever the batch it is in.

    Parameters
    ----------
    Xb : ndarray of shape (B, n, d)
        B data sets of n points each (e.g. subsamples).
    seeds : ndarray of shape (B, k), int
        For each data set, the row indices of its k initial centres (distinct points; R's
        ``x[sample.int(n, k), ]`` drawn by the caller's own generator).
    max_iter : int, default 10
        R's ``iter.max``.

    Returns
    -------
    labels : ndarray of shape (B, n), int64
        Cluster of each point, 0 .. k-1.
    wss : ndarray of shape (B, k)
        Within-cluster sums of squares.
    iterations : ndarray of shape (B,), int64
        R's ``iter`` per data set.
    converged : ndarray of shape (B,), bool
        False where R would warn (see :func:`hartigan_wong`).

    Raises
    ------
    ValueError
        If a value is not finite, the seeds of a data set are out of range or name equal
        points, or a cluster comes out empty; the message names the data set.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [2.0], [3.0], [4.0], [9.0], [10.0]])
    >>> labels, wss, iterations, converged = hartigan_wong_batched(
    ...     np.stack([X, X[::-1]]), np.array([[0, 4], [1, 5]])
    ... )
    >>> labels.tolist()
    [[0, 0, 0, 0, 1, 1], [0, 0, 1, 1, 1, 1]]
    """
    Xb = np.ascontiguousarray(Xb, dtype=np.float64)
    seeds = np.ascontiguousarray(seeds, dtype=np.int64)
    if Xb.ndim != 3 or seeds.ndim != 2 or seeds.shape[0] != Xb.shape[0]:
        raise ValueError(f"Xb must be (B, n, d) and seeds (B, k); got {Xb.shape}, {seeds.shape}")
    if not np.isfinite(Xb).all():
        raise ValueError("Xb must be finite (R: NA/NaN/Inf in foreign function call)")
    max_iter = _check_iter(max_iter)
    nb, n, _ = Xb.shape
    k = seeds.shape[1]
    if seeds.size and (seeds.min() < 0 or seeds.max() >= n):
        raise ValueError(f"seeds must be row indices in 0 .. {n - 1}")
    repeated = ~_distinct(np.take_along_axis(Xb, seeds[:, :, None], axis=1))
    if repeated.any():
        first = np.flatnonzero(repeated)[0]
        raise ValueError(f"data set {first}: initial centres are not distinct")
    labels = np.empty((nb, n), dtype=np.int64)
    wss = np.empty((nb, k))
    iterations = np.empty(nb, dtype=np.int64)
    faults = np.empty(nb, dtype=np.int64)
    _kernel().kmns_batched(Xb, seeds, max_iter, _max_qtran(n), labels, wss, iterations, faults)
    for b in np.flatnonzero(np.isin(faults, list(_FAULTS))):
        raise ValueError(f"data set {b}: {_FAULTS[int(faults[b])]}")
    return labels, wss, iterations, faults == 0
