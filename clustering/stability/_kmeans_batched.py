"""k-means on many data sets at once: Lloyd plus Hartigan transfers, in a compiled kernel.

:func:`kmeans_batched` checks its input, rounds each data set to integers (:class:`_Data`), draws
the starts' uniforms and hands B data sets x ``n_init`` k-means++ (or random) starts to the numba
kernel of ``_kmeans_kernel``, which runs them one at a time, so a replicate's result never
depends on its batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from border_readiness.clustering.stability._replicates import _check_int
from border_readiness.features._parallel import single_threaded_blas

# A Hartigan transfer must lower the within-cluster sum of squares by more than this share of the
# average per-point SS: smaller "gains" are round-off of the distance expansion, and accepting
# them could make a start cycle between two equivalent partitions until max_iter.
_TRANSFER_TOL = 1e-9
# Most candidates one Hartigan sweep visits per start (a bound on the Python loop, per start so
# that results do not depend on the batch).
_SWEEP_CAP = 8
# Lloyd reassigns a point only when another centre is closer by more than round-off, for the
# same reason (ties between equidistant centres must not flip back and forth).
_CLOSER_TOL = 1e-12
#: Seedings of :func:`kmeans_batched`.
INITS = ("k-means++", "random")


def draws_per_start(k: int, n: int, init: str) -> int:
    """Uniforms one start of :func:`kmeans_batched` consumes (for ``rng`` given as an array).

    Parameters
    ----------
    k : int
        Number of clusters.
    n : int
        Points per data set.
    init : {"k-means++", "random"}
        The seeding.

    Returns
    -------
    int
        ``n`` for random seeding (one key per point), ``1 + (k - 1) * (2 + floor(log k))``
        for k-means++ (the first seed, then each further seed's candidates).

    Examples
    --------
    >>> draws_per_start(3, 80, "k-means++"), draws_per_start(3, 80, "random")
    (7, 80)
    """
    return n if init == "random" else 1 + (k - 1) * _local_trials(k)


def _start_draws(rng: Any, B: int, n_init: int, m: int) -> np.ndarray:
    """(B * n_init, m) uniforms: replicate b's come from its own Generator only."""
    if isinstance(rng, np.ndarray):
        if rng.shape != (B, n_init, m):
            raise ValueError(f"rng as uniforms must have shape {(B, n_init, m)}, got {rng.shape}")
        return rng.reshape(B * n_init, m)
    if isinstance(rng, np.random.Generator):
        return rng.random((B, n_init, m)).reshape(B * n_init, m)
    generators = list(rng)
    if len(generators) != B or not all(isinstance(g, np.random.Generator) for g in generators):
        raise ValueError(
            f"rng must be a numpy Generator or a sequence of B={B} Generators "
            f"(one per replicate), got {type(rng).__name__} of length {len(generators)}"
        )
    return np.stack([g.random((n_init, m)) for g in generators]).reshape(B * n_init, m)


def _local_trials(k: int) -> int:
    # scikit-learn's greedy k-means++ (Arthur & Vassilvitskii 2007): 2 + log(k) candidates.
    return 2 + int(np.log(k))


class _Data:
    """The data of the replicates, centred and rounded to integers so that point sums are exact.

    Each data set is centred and scaled by a power of two so that its largest absolute value
    is below 2^bits, then rounded. ``bits`` is chosen so that every sum the kernel forms of up to
    n integer-weighted points (and their squared distances) stays below 2^53: floating-point
    addition of such integers is exact, so the cluster sums that transfers update point by point
    equal the sums recomputed from the labels, and k-means++ potentials do not depend on the
    order of their terms. The rounding moves each value by at most 2^-bits of the data set's
    largest absolute value (about 1e-6 for 80 x 20), far below any meaningful difference.
    """

    def __init__(self, X: np.ndarray, w: np.ndarray, shared: bool) -> None:
        _B, n, d = X.shape
        # Each data set is centred on its own unweighted mean, computed alone, so that a
        # replicate's centring (and the bits of everything after) never depends on its batch,
        # nor on whether its batch happened to be a single, "shared" data set.
        sets = X[:1] if shared else X
        centred = np.stack([x - x.mean(axis=0) for x in sets])
        budget = n * d * max(float(w.max()), 1.0)
        self.bits = int(min(26, (52 - np.log2(budget)) // 2))
        exponent = np.frexp(np.abs(centred).max(axis=(1, 2)))[1]  # per data set: max < 2^e
        self.scale = np.ldexp(1.0, self.bits - exponent)  # (R,) powers of two
        self.points = np.rint(centred * self.scale[:, None, None])  # (R, n, d) integers
        self.centred = centred
        self.shared = shared


def kmeans_batched(
    Xb: np.ndarray,
    k: int,
    *,
    n_init: int = 10,
    max_iter: int = 100,
    rng: np.random.Generator | Sequence[np.random.Generator],
    sample_weight: np.ndarray | None = None,
    return_inertia: bool = False,
    init: str = "k-means++",
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """k-means on B data sets at once, each from ``n_init`` seeded starts, in a compiled kernel.

    Seeding is by default scikit-learn's ``KMeans``: greedy k-means++ (2 + log k candidates per
    seed), so that resampled fits follow the main fit's starts policy; ``init="random"`` takes
    k distinct data points uniformly at random instead, as R's ``kmeans(x, k)`` (repeated
    ``runs`` times by fpc's ``kmeansruns``) and ConsensusClusterPlus do. Each start then
    alternates Lloyd iterations (assign to the nearest centre, move centres to the
    weighted means) with sweeps of Hartigan single-point transfers whenever Lloyd is stable, so
    every start ends in a partition that no move of a single point improves, as R's default
    Hartigan-Wong algorithm does. A cluster left empty is re-seeded at the point farthest from
    its centre. Per replicate, the start with the lowest within-cluster sum of squares wins (the
    first on ties).

    The starts run one after another in a numba kernel (compiled once, then loaded from numba's
    cache), in plain loops without threads or fast-math: a replicate's result is bit-identical
    whatever the batch, the number of workers or the machine. The data are centred and rounded
    to about 20 significant bits (relative to each data set's largest absolute value) so that
    the kernel's sums of points are exact integers.

    Parameters
    ----------
    Xb : ndarray of shape (B, n, d)
        B data sets of n points. A read-only ``np.broadcast_to`` view of one matrix is used as
        such (no copy): that is how bootstrap replicates share the data.
    k : int
        Number of clusters.
    n_init : int, default 10
        Random starts per data set (R's ``runs``).
    max_iter : int, default 100
        Cap on Lloyd iterations plus transfer sweeps per start.
    rng : Generator, sequence of B Generators, or ndarray of shape (B, n_init, draws)
        Source of the starts. With one Generator per replicate, replicate b's result depends on
        ``rng[b]``, ``Xb[b]`` and ``sample_weight[b]`` only, never on the rest of the batch.
        An array gives the uniforms in [0, 1) themselves (``draws`` from
        :func:`draws_per_start`), for callers that derive them faster than one Generator each.
    sample_weight : ndarray of shape (B, n) or (n,), optional
        Non-negative weights; a point of weight 0 is left out of the fit (centres, seeds,
        objective) and only receives the label of its nearest final centre. This is how a
        bootstrap replicate "clusters the distinct drawn points" without changing shape.
    return_inertia : bool, default False
        Also return each replicate's weighted within-cluster sum of squares.
    init : {"k-means++", "random"}, default "k-means++"
        How each start picks its k seeds: scikit-learn's greedy k-means++ (weighted by
        ``sample_weight``), or R's k distinct points uniformly at random.

    Returns
    -------
    labels : ndarray of shape (B, n)
        Labels 0..k-1, numbered by first appearance among the weighted points.
    inertia : ndarray of shape (B,)
        Only with ``return_inertia``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]])
    >>> kmeans_batched(np.stack([X, X[::-1]]), 2, rng=np.random.default_rng(0))
    array([[0, 0, 1, 1],
           [0, 0, 1, 1]])
    """
    X = np.asarray(Xb, dtype=float)
    if X.ndim != 3:
        raise ValueError(f"Xb must have shape (B, n, d), got {X.shape}")
    B, n, _d = X.shape
    k = _check_int("k", k, 1)
    S = _check_int("n_init", n_init, 1)
    max_iter = _check_int("max_iter", max_iter, 1)
    if init not in INITS:
        raise ValueError(f"init must be one of {', '.join(INITS)}, got {init!r}")
    if not np.isfinite(X).all():
        raise ValueError("Xb contains missing or infinite values")
    if sample_weight is None:
        w = np.ones((B, n))
    else:
        w = np.broadcast_to(np.asarray(sample_weight, dtype=float), (B, n))
        if not (np.isfinite(w).all() and (w >= 0).all()):
            raise ValueError("sample_weight must be finite and non-negative")
    if (np.count_nonzero(w > 0, axis=1) < k).any():
        raise ValueError(f"every data set needs at least k={k} points of positive weight")

    return _kmeans(X, k, S, max_iter, rng, w, return_inertia, init)


def _kmeans(
    X: np.ndarray,
    k: int,
    S: int,
    max_iter: int,
    rng: Any,
    w: np.ndarray,
    return_inertia: bool,
    init: str,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    B, n, _d = X.shape
    shared = B == 1 or X.strides[0] == 0
    data = _Data(X, w, shared)
    u = _start_draws(rng, B, S, draws_per_start(k, n, init))
    data_of = np.zeros(B, dtype=np.int64) if shared else np.arange(B, dtype=np.int64)
    labels = _run_kernel(data.points, data_of, w, u, k, S, max_iter, init)
    labels = labels.astype(np.intp, copy=False)
    if return_inertia:
        return labels, _inertia(data.centred, w, labels, k, shared)
    return labels


def _run_kernel(
    points: np.ndarray,
    data_of: np.ndarray,
    w: np.ndarray,
    u: np.ndarray,
    k: int,
    S: int,
    max_iter: int,
    init: str,
) -> np.ndarray:
    """Labels (B, n) from the compiled kernel: replicate b clusters ``points[data_of[b]]``."""
    # numba is loaded here, not at import: commands that never cluster must not pay for it.
    from border_readiness.clustering.stability._kmeans_kernel import _kmeans_starts

    labels = np.empty(w.shape, dtype=np.int64)
    # Writeable C-contiguous float64 copies where needed: numba compiles one version per array
    # type, and a read-only view (np.broadcast_to) is another type, another compilation.
    _kmeans_starts(
        points,
        np.ascontiguousarray(points.transpose(0, 2, 1)),
        np.asarray(data_of, dtype=np.int64),
        np.require(w, np.float64, ["C", "W"]),
        np.require(u, np.float64, ["C", "W"]),
        k,
        S,
        max_iter,
        init == "random",
        _local_trials(k),
        _TRANSFER_TOL,
        _CLOSER_TOL,
        _SWEEP_CAP,
        labels,
    )
    return labels


def _inertia(
    centred: np.ndarray, w: np.ndarray, labels: np.ndarray, k: int, shared: bool
) -> np.ndarray:
    """Weighted within-cluster sum of squares of the unrounded data, per replicate."""
    # One replicate at a time: a batched matmul may sum in a different order for another
    # batch shape, and the inertia must not depend on which replicates share a call.
    out = np.empty(len(labels))
    with single_threaded_blas():
        for b, lab in enumerate(labels):
            points = centred[0 if shared else b]
            onehot = np.multiply(lab == np.arange(k)[:, None], w[b])  # (k, n)
            mass = onehot.sum(axis=-1)
            with np.errstate(divide="ignore", invalid="ignore"):
                centres = np.where(mass[:, None] > 0, (onehot @ points) / mass[:, None], 0.0)
            out[b] = float(w[b] @ ((points - centres[lab]) ** 2).sum(axis=-1))
    return out
