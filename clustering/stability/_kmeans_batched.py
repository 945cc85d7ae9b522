"""k-means on many data sets at once: Lloyd plus Hartigan transfers, vectorised.

:func:`kmeans_batched` runs B data sets x ``n_init`` k-means++ (or random) starts in one set of
matrix products; the data are rounded to integers first so that every product is exact and a
replicate's result never depends on its batch (see :class:`_Data`).
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


def _draw(cum: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Per row, the index i with cum[i - 1] <= u * cum[-1] < cum[i] (a draw by weight).

    ``u`` is (T, L); rows are compared one chunk at a time so that memory stays bounded and
    a row's draw never depends on the other rows of its batch. Strict ``<`` never lands on a
    point of weight 0 (its cumulative sum equals the previous one).
    """
    T, n = cum.shape
    target = u * cum[:, -1:]
    out = np.empty(u.shape, dtype=np.intp)
    step = max(1, (1 << 22) // max(1, n * u.shape[1]))
    for a in range(0, T, step):
        b = min(T, a + step)
        out[a:b] = (cum[a:b, None, :] <= target[a:b, :, None]).sum(axis=-1)
    return np.minimum(out, n - 1)


def _kmeanspp(
    data: _Data, w_s: np.ndarray, replicate: np.ndarray, k: int, u: np.ndarray
) -> np.ndarray:
    """Greedy k-means++ seeds (T, k) per start, as scikit-learn's ``KMeans`` draws them.

    The first seed is drawn with probability proportional to the weight; each further seed is
    the best, by the potential sum(w * D^2) it leaves, of ``2 + log(k)`` candidates drawn with
    probability proportional to w * D^2, D the distance to the nearest seed so far
    (scikit-learn's ``_kmeans_plusplus``). Distances are those of the integer points of
    ``data``, exact, so every start's seeds are independent of its batch.
    """
    T = len(w_s)
    L = _local_trials(k)
    rows = np.arange(T)
    cum_w = np.cumsum(w_s, axis=1)
    seeds = np.empty((T, k), dtype=np.intp)
    seeds[:, 0] = _draw(cum_w, u[:, :1])[:, 0]
    pts = data.point(replicate, seeds[:, 0])  # (T, d)
    closest = data.distances(pts[:, None, :], np.ones((T, 1)), replicate)[:, 0]
    for c in range(1, k):
        cum = np.cumsum(w_s * closest, axis=1)
        # Fewer distinct weighted points than seeds so far: draw by weight alone.
        cum = np.where(cum[:, -1:] > 0, cum, cum_w)
        cand = _draw(cum, u[:, 1 + (c - 1) * L : 1 + c * L])  # (T, L)
        cand_pts = data.points[0][cand] if data.shared else data.points[replicate[:, None], cand]
        to_cand = data.distances(cand_pts, np.ones((T, L)), replicate)  # (T, L, n)
        np.minimum(to_cand, closest[:, None, :], out=to_cand)
        best = (to_cand * w_s[:, None, :]).sum(axis=-1).argmin(axis=1)
        seeds[:, c] = cand[rows, best]
        closest = to_cand[rows, best]
    return seeds


class _Data:
    """The data of the replicates, rounded to integers so that every gemm is exact.

    Each data set is centred and scaled by a power of two so that its largest absolute value
    is below 2^bits, then rounded. ``bits`` is chosen so that every sum a gemm forms here (sums
    of up to n integer-weighted points, their dot products with points) stays below 2^53:
    floating-point addition of such integers is exact, so a BLAS call gives the same bits in any
    summation order, whatever the shape of the call, the batch or the machine. That is what lets
    the k-means below drop converged starts from its gemms and still return bit-identical
    results for any batch. The rounding moves each value by at most 2^-bits of the data set's
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
        self.aug = np.concatenate([self.points, np.ones((len(self.points), n, 1))], axis=2)
        self.points_t = np.ascontiguousarray(self.points.transpose(0, 2, 1))
        self.sq = (self.points * self.points).sum(axis=-1)  # exact: < d * 4^bits
        self.centred = centred
        self.shared = shared

    def sums(self, onehot: np.ndarray, replicate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-cluster weighted sums (m, k, d) and masses (m, k) from weights (m, k, n)."""
        m, k, n = onehot.shape
        if self.shared:
            out = (onehot.reshape(m * k, n) @ self.aug[0]).reshape(m, k, -1)
        else:
            out = np.matmul(onehot, self.aug[replicate])
        return out[..., :-1], out[..., -1]

    def distances(self, sums: np.ndarray, mass: np.ndarray, replicate: np.ndarray) -> np.ndarray:
        """Squared distances (m, k, n) of every point to every centre sums / mass."""
        m, k, d = sums.shape
        if self.shared:
            cross = (sums.reshape(m * k, d) @ self.points_t[0]).reshape(m, k, -1)
            sq = self.sq[0]
        else:
            cross = np.matmul(sums, self.points_t[replicate])
            sq = self.sq[replicate][:, None, :]
        inv = np.divide(1.0, mass, out=np.zeros_like(mass), where=mass > 0)
        centre_sq = (sums * sums).sum(axis=-1) * inv * inv
        # In place on the gemm's output: these (m, k, n) passes are most of an iteration.
        cross *= (-2.0 * inv)[..., None]
        cross += sq
        cross += centre_sq[..., None]
        return np.maximum(cross, 0.0, out=cross)

    def point(self, replicate: np.ndarray, index: np.ndarray) -> np.ndarray:
        return self.points[0 if self.shared else replicate, index]


def _onehot(labels: np.ndarray, w: np.ndarray, k: int) -> np.ndarray:
    return np.multiply(labels[:, None, :] == np.arange(k)[:, None], w[:, None, :])


def _nearest(dist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index and value of the nearest centre; the first on ties, like argmin.

    ``min`` over the short cluster axis plus k comparisons beat ``argmin`` over it by far.
    """
    best = dist.min(axis=1)
    k = dist.shape[1]
    index = np.full(best.shape, k - 1, dtype=np.intp)
    for j in range(k - 2, -1, -1):
        np.copyto(index, j, where=dist[:, j] == best)
    return index, best


def _at_label(dist: np.ndarray, labels: np.ndarray) -> np.ndarray:
    # Plain fancy indexing: take_along_axis builds its index grids anew at every call.
    m, n = labels.shape
    return dist[np.arange(m)[:, None], labels, np.arange(n)]


def _fill_empty(
    labels: np.ndarray, own: np.ndarray, present: np.ndarray, mass: np.ndarray
) -> np.ndarray:
    """Re-seed empty clusters at the points farthest from their centre (in place).

    Empty clusters come from duplicated seeds or from Lloyd moving every point away; the farthest
    point is the one the current partition explains worst (scikit-learn does the same).
    Returns which starts were touched.
    """
    empty = mass <= 0
    touched = empty.any(axis=-1)
    for t in np.flatnonzero(touched):
        lab = labels[t]
        count = np.bincount(lab[present[t]], minlength=mass.shape[-1])
        farthest = np.argsort(-np.where(present[t], own[t], -np.inf), kind="stable")
        targets = list(np.flatnonzero(empty[t]))
        for p in farthest:
            if not targets:
                break
            # Never empty another cluster to fill this one.
            if present[t, p] and count[lab[p]] > 1:
                j = targets.pop(0)
                count[lab[p]] -= 1
                count[j] += 1
                lab[p] = j
    return touched


def _hartigan_sweep(
    labels: np.ndarray,
    dist: np.ndarray,
    own: np.ndarray,
    sums: np.ndarray,
    mass: np.ndarray,
    w: np.ndarray,
    present: np.ndarray,
    data: _Data,
    replicate: np.ndarray,
    rows: np.ndarray,
    binary: bool,
) -> np.ndarray:
    """Hartigan single-point transfers in the given Lloyd-stable starts (labels in place).

    Moving point i (weight w) from cluster a (mass A) to b (mass C) changes the within-cluster
    SS by ``C w/(C + w) |x - c_b|^2 - A w/(A - w) |x - c_a|^2`` (exact; Hartigan & Wong 1979).
    Lloyd's fixed points can still admit such improving moves; R's default Hartigan-Wong
    algorithm, which fpc's kmeansCBI uses, takes them, so we do too. The candidates (points
    whose move gains) are visited in index order and each re-evaluated against the centres as
    updated by the moves before it, as in Hartigan-Wong's sequential passes: one sweep moves
    several points. Returns, for ``rows``, which starts moved a point.
    """
    D, lab, W, wi, da, pr = dist[rows], labels[rows], mass[rows], w[rows], own[rows], present[rows]
    r_idx, c_idx = np.arange(rows.size)[:, None], np.arange(lab.shape[1])
    Wa = W[r_idx, lab]
    with np.errstate(divide="ignore", invalid="ignore"):
        # A singleton cannot leave its cluster: k-means keeps k clusters.
        removal = np.where((Wa > wi) & pr, Wa * wi / (Wa - wi) * da, -np.inf)
        if binary:  # weights 0/1 (bootstrap, subsamples): one factor per cluster
            addition = (W / (W + 1.0))[:, :, None] * D
        else:
            addition = W[:, :, None] * wi[:, None, :] / (W[:, :, None] + wi[:, None, :]) * D
    addition[r_idx, lab, c_idx] = np.inf
    tol = _TRANSFER_TOL * (wi * da).sum(axis=1) / pr.sum(axis=1)
    candidates = removal - addition.min(axis=1) > tol[:, None]  # (x, n)
    moved = np.zeros(rows.size, dtype=bool)
    row_of, point_of = np.nonzero(candidates)  # row-major: each row's candidates in order
    if row_of.size == 0:
        return moved
    count = np.bincount(row_of, minlength=rows.size)
    first = np.cumsum(count) - count
    count = np.minimum(count, _SWEEP_CAP)
    # Integer sums and masses update exactly; centres are recomputed from them at every step.
    Ssum = sums[rows]
    W = W.copy()
    for r in range(int(count.max())):
        # Each start visits its own first count[start] candidates, whatever the batch's steps.
        live = np.flatnonzero(r < count)
        span = np.arange(live.size)
        p = point_of[first[live] + r]
        xp = data.point(replicate[rows[live]], p)  # (l, d)
        wp = wi[live, p]
        a = lab[live, p]
        Wl = W[live]  # > 0: a singleton never leaves, so no cluster empties in a sweep
        dp = ((Ssum[live] / Wl[..., None] - xp[:, None, :]) ** 2).sum(axis=-1)  # (l, k)
        Wa = Wl[span, a]
        removal = np.full(live.size, -np.inf)
        np.divide(Wa * wp * dp[span, a], Wa - wp, out=removal, where=Wa > wp)
        addition = Wl * wp[:, None] / (Wl + wp[:, None]) * dp
        addition[span, a] = np.inf
        b = addition.argmin(axis=1)
        go = removal - addition[span, b] > tol[live]
        if not go.any():
            continue
        g, p, a, b, wp, xp = live[go], p[go], a[go], b[go], wp[go], xp[go]
        Ssum[g, a] -= wp[:, None] * xp
        Ssum[g, b] += wp[:, None] * xp
        W[g, a] -= wp
        W[g, b] += wp
        lab[g, p] = b
        moved[g] = True
    labels[rows] = lab
    return moved


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
    """k-means on B data sets at once, each from ``n_init`` seeded starts, all vectorised.

    Seeding is by default scikit-learn's ``KMeans``: greedy k-means++ (2 + log k candidates per
    seed), so that resampled fits follow the main fit's starts policy; ``init="random"`` takes
    k distinct data points uniformly at random instead, as R's ``kmeans(x, k)`` (repeated
    ``runs`` times by fpc's ``kmeansruns``) and ConsensusClusterPlus do. Each start then
    alternates Lloyd iterations (assign to the nearest centre, move centres to the
    weighted means) with sweeps of Hartigan single-point transfers whenever Lloyd is stable, so
    every start ends in a partition that no move of a single point improves, as R's default
    Hartigan-Wong algorithm does. A cluster left empty is re-seeded at the point farthest from
    its centre. Per replicate, the start with the lowest within-cluster sum of squares wins (the
    first on ties). All B x n_init starts advance together; a start leaves the computation
    once converged.

    The data are centred and rounded to about 20 significant bits (relative to each data set's
    largest absolute value) so that every matrix product sums exact integers: results are then
    bit-identical whatever the batch and the BLAS, as long as the weights are integers.

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

    with single_threaded_blas():
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
    binary = bool(np.isin(w, (0.0, 1.0)).all())
    data = _Data(X, w, shared)
    # Start t = b * S + s is start s of replicate b.
    replicate = np.repeat(np.arange(B), S)
    w_s = np.repeat(w, S, axis=0)
    present = w_s > 0
    if init == "random":
        # k smallest of iid uniform keys among the weighted points = a uniform k-subset.
        keys = _start_draws(rng, B, S, draws_per_start(k, n, init))
        seeds = np.argsort(np.where(present, keys, np.inf), axis=-1, kind="stable")[:, :k]
    else:
        u = _start_draws(rng, B, S, draws_per_start(k, n, init))
        seeds = _kmeanspp(data, w_s, replicate, k, u)
    seed_points = data.points[0][seeds] if shared else data.points[replicate[:, None], seeds]
    dist = data.distances(seed_points, np.ones((B * S, k)), replicate)
    labels, own = _nearest(dist)

    active = np.arange(B * S)
    for _ in range(max_iter):
        if active.size == 0:
            break
        lab, own_a, w_a, pr = labels[active], own[active], w_s[active], present[active]
        rep = replicate[active]
        sums, mass = data.sums(_onehot(lab, w_a, k), rep)
        reseeded = np.zeros(active.size, dtype=bool)
        if (mass <= 0).any():
            reseeded = _fill_empty(lab, own_a, pr, mass)
            sums, mass = data.sums(_onehot(lab, w_a, k), rep)
        dist = data.distances(sums, mass, rep)
        own_a = _at_label(dist, lab)
        closer = dist.min(axis=1) < own_a * (1.0 - _CLOSER_TOL)
        changed = (closer & pr).any(axis=1) | reseeded
        # Late iterations move few points: find the nearest centre only for those.
        where = np.nonzero(closer)
        lab[where] = dist[where[0], :, where[1]].argmin(axis=1)
        moved = np.zeros(active.size, dtype=bool)
        check = np.flatnonzero(~changed)
        if check.size:
            moved[check] = _hartigan_sweep(
                lab, dist, own_a, sums, mass, w_a, pr, data, rep, check, binary
            )
        labels[active], own[active] = lab, own_a
        active = active[changed | moved]

    # Converged starts hold the distances of their final labels; refresh those max_iter cut.
    if active.size:
        lab, w_a, rep = labels[active], w_s[active], replicate[active]
        sums, mass = data.sums(_onehot(lab, w_a, k), rep)
        if (mass <= 0).any():
            _fill_empty(lab, own[active], present[active], mass)
            labels[active] = lab
            sums, mass = data.sums(_onehot(lab, w_a, k), rep)
        own[active] = _at_label(data.distances(sums, mass, rep), lab)
    inertia = (w_s * own).sum(axis=1).reshape(B, S)
    pick = np.arange(B) * S + inertia.argmin(axis=1)
    chosen, w_p, rep = labels[pick], w_s[pick], replicate[pick]
    sums, mass = data.sums(_onehot(chosen, w_p, k), rep)
    # Unweighted points take their nearest final centre.
    chosen = np.where(present[pick], chosen, _nearest(data.distances(sums, mass, rep))[0])
    chosen = _relabel_by_first_appearance(chosen, present[pick], k)
    if return_inertia:
        return chosen, _inertia(data.centred, w, chosen, k, shared)
    return chosen


def _inertia(
    centred: np.ndarray, w: np.ndarray, labels: np.ndarray, k: int, shared: bool
) -> np.ndarray:
    """Weighted within-cluster sum of squares of the unrounded data, per replicate."""
    # One replicate at a time: a batched matmul may sum in a different order for another
    # batch shape, and the inertia must not depend on which replicates share a call.
    out = np.empty(len(labels))
    for b, lab in enumerate(labels):
        points = centred[0 if shared else b]
        onehot = _onehot(lab[None], w[b][None], k)[0]  # (k, n)
        mass = onehot.sum(axis=-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            centres = np.where(mass[:, None] > 0, (onehot @ points) / mass[:, None], 0.0)
        out[b] = float(w[b] @ ((points - centres[lab]) ** 2).sum(axis=-1))
    return out


def _relabel_by_first_appearance(labels: np.ndarray, present: np.ndarray, k: int) -> np.ndarray:
    B, n = labels.shape
    hit = present[:, :, None] & (labels[:, :, None] == np.arange(k))
    first = np.where(hit, np.arange(n)[None, :, None], n).min(axis=1)  # (B, k)
    order = np.argsort(first, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.broadcast_to(np.arange(k), (B, k)), axis=1)
    return np.take_along_axis(rank, labels, axis=1)
