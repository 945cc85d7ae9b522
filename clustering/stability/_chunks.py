"""Replicate batches cut to a byte budget, so the stability resamplings scale in memory.

A batch of bootstrap or consensus replicates is clustered by :func:`kmeans_batched` in one
call whose inputs are replicates x starts x n uniforms (random seeding): 250 replicates of 10
starts at 100,000 regions would be 2 GB. :func:`kmeans_chunked` feeds it sub-batches sized to
:data:`FIT_BUDGET` instead; every replicate's labels depend on its
own generator, data and weights only (``kmeans_batched``'s contract), so the labels are those of
one call. :func:`co_membership` adds up consensus co-memberships over sub-batches of
replicates (sums of 0/1 products, exact integers in any order), and :func:`consensus_matrices`
turns the sums into consensus matrices in place. The consensus matrices themselves are n x n
per k by definition; what these helpers bound is everything besides them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from border_readiness.clustering.stability._kmeans_batched import kmeans_batched
from border_readiness.features._parallel import batch_slices, items_within

# Working bytes of one k-means sub-batch (and of one co-membership product's indicators).
FIT_BUDGET = 256 * 2**20


def fit_chunk(n: int, d: int, k: int, n_init: int, budget: int | None = None) -> int:
    """Replicates per k-means sub-batch whose working arrays fit ``budget`` bytes (at least 1).

    Per replicate, :func:`kmeans_batched` holds its starts' uniforms (at most ``n_init * n``
    float64 values, k-means++ needs far fewer) and their reshaped copy, its weights and labels
    (about ``2 n`` values) and a d-wide finiteness check of the data; the compiled kernel's own
    scratch (a few k x n and n x d arrays) is per call, not per replicate.

    Examples
    --------
    >>> fit_chunk(100, 30, 5, 10)
    13030
    >>> fit_chunk(100_000, 30, 5, 10)
    13
    """
    budget = FIT_BUDGET if budget is None else budget
    per_replicate = 8 * n * (2 * n_init + 2) + n * d
    return items_within(budget, per_replicate)


def kmeans_chunked(
    X: np.ndarray,
    k: int,
    *,
    n_init: int,
    max_iter: int,
    rng: Sequence[np.random.Generator] | np.ndarray,
    sample_weight: np.ndarray,
    budget: int | None = None,
    init: str = "k-means++",
) -> np.ndarray:
    """:func:`kmeans_batched` of one shared matrix under per-replicate weights, in sub-batches.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        The data every replicate shares.
    k, n_init, max_iter
        As in :func:`kmeans_batched`.
    rng : sequence of B Generators, or ndarray of shape (B, n_init, draws)
        One per replicate, or each replicate's uniforms as :func:`kmeans_batched` takes them.
    sample_weight : ndarray of shape (B, n)
        Each replicate's weights (0 = not drawn).
    budget : int, optional
        Bytes per sub-batch; default :data:`FIT_BUDGET`.
    init : {"k-means++", "random"}, default "k-means++"
        The seeding, as in :func:`kmeans_batched`.

    Returns
    -------
    ndarray of shape (B, n)
        The labels, equal to one :func:`kmeans_batched` call over all B replicates.

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]])
    >>> w = np.ones((3, 4))
    >>> gens = [np.random.default_rng(i) for i in range(3)]
    >>> kmeans_chunked(X, 2, n_init=2, max_iter=10, rng=gens, sample_weight=w, budget=1)
    array([[0, 0, 1, 1],
           [0, 0, 1, 1],
           [0, 0, 1, 1]])
    """
    n, d = X.shape
    if not isinstance(rng, np.ndarray):
        rng = list(rng)
    out = np.empty(sample_weight.shape, dtype=np.intp)
    for s in batch_slices(len(rng), fit_chunk(n, d, k, n_init, budget)):
        m = s.stop - s.start
        out[s] = kmeans_batched(
            np.broadcast_to(X, (m, n, d)),
            k,
            n_init=n_init,
            max_iter=max_iter,
            rng=rng[s],
            sample_weight=sample_weight[s],
            init=init,
        )
    return out


def co_membership(labels: np.ndarray, budget: int | None = None) -> np.ndarray:
    """Times each pair of points shares a cluster, over the replicates (rows) of ``labels``.

    Parameters
    ----------
    labels : ndarray of shape (B, n)
        Cluster codes 0.. per replicate; -1 = not drawn (never counted).
    budget : int, optional
        Bytes of the (n, replicates x clusters) indicators per product; default
        :data:`FIT_BUDGET`.

    Returns
    -------
    ndarray of shape (n, n)
        Float64 counts (exact integers: sums of 0/1 products, in any order).

    Examples
    --------
    >>> co_membership(np.array([[0, 0, 1], [0, 1, -1]])).tolist()
    [[2.0, 1.0, 0.0], [1.0, 2.0, 0.0], [0.0, 0.0, 1.0]]
    """
    budget = FIT_BUDGET if budget is None else budget
    m, n = labels.shape
    kb = max(int(labels.max()) + 1, 1)
    together = np.zeros((n, n))
    for s in batch_slices(m, items_within(budget, 8 * n * kb)):
        member = (labels[s, :, None] == np.arange(kb)).transpose(1, 0, 2).reshape(n, -1)
        member = member.astype(float)
        together += member @ member.T
    return together


def consensus_matrices(together: np.ndarray, drawn: np.ndarray) -> list[np.ndarray]:
    """``together[i] / drawn`` where ``drawn > 0``, else 0, computed in place.

    Parameters
    ----------
    together : ndarray of shape (n_k, n, n)
        Co-membership counts per k; overwritten by the consensus values.
    drawn : ndarray of shape (n, n)
        Times each pair was drawn together.

    Returns
    -------
    list of ndarray of shape (n, n)
        Views of ``together``, one per k: no second copy of n_k x n x n.

    Examples
    --------
    >>> t = np.array([[[2.0, 1.0], [1.0, 0.0]]])
    >>> [m.tolist() for m in consensus_matrices(t, np.array([[2.0, 2.0], [2.0, 0.0]]))]
    [[[1.0, 0.5], [0.5, 0.0]]]
    """
    positive = drawn > 0
    out = []
    for M in together:
        np.divide(M, drawn, out=M, where=positive)
        M[~positive] = 0.0
        out.append(M)
    return out


def upper_values(M: np.ndarray) -> np.ndarray:
    """The values above the diagonal of a square matrix, sorted (one n(n-1)/2 copy).

    Examples
    --------
    >>> upper_values(np.array([[1.0, 0.9, 0.2], [0.9, 1.0, 0.5], [0.2, 0.5, 1.0]])).tolist()
    [0.2, 0.5, 0.9]
    """
    n = M.shape[0]
    # Row by row rather than through triu_indices, whose two index arrays would take twice
    # the memory of the values themselves.
    v = np.concatenate([M[i, i + 1 :] for i in range(n - 1)]) if n > 1 else np.empty(0)
    v.sort()
    return v
