"""Consensus clustering over item subsamples, as ConsensusClusterPlus computes it."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from border_readiness.clustering.stability._chunks import (
    co_membership,
    consensus_matrices,
    kmeans_chunked,
    upper_values,
)
from border_readiness.clustering.stability._hartigan_wong import hartigan_wong_batched
from border_readiness.clustering.stability._kmeans_batched import draws_per_start
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
from border_readiness.features._parallel import batch_slices, run_ordered
from border_readiness.features._parallel import child as _child
from border_readiness.features._parallel import seed_int as _seed_int

#: Consensus schemes: "ccp" is ConsensusClusterPlus's stock k-means (``clusterAlg = "km"``:
#: ``kmeans(..., iter.max = 10, nstart = 1)``, pItem 0.8, pFeature 1); "multistart" runs
#: ``n_init`` starts of up to ``max_iter`` iterations per subsample, as the main fit does.
SCHEMES = ("ccp", "multistart")
#: One start run to convergence: R's ``iter.max = 10`` counts Hartigan-Wong passes, each of which
#: visits every point and rarely binds, whereas 10 of our Lloyd steps and capped transfer sweeps
#: stop many starts short of a local optimum (PAC was then 0.1-0.24 above ConsensusClusterPlus's
#: on the bench matrix; run to convergence it agrees within Monte Carlo error).
_CCP_N_INIT, _CCP_MAX_ITER = 1, 100
#: Hierarchical methods run as one tree per subsample, cut at every k of ``k_range``
#: (ConsensusClusterPlus's ``clusterAlg = "hc"`` does the same): the partitions equal a fit per
#: k, since an agglomerative tree's k-cluster partition is its cut at k.
HIERARCHICAL = ("ward", "average", "complete", "single")
#: k-means algorithms of the consensus: the main fit's Lloyd steps with Hartigan transfers
#: (:func:`kmeans_batched`), or R's Hartigan-Wong (AS 136, :func:`hartigan_wong_batched`), which
#: ConsensusClusterPlus's ``kmeans`` runs: for comparisons with it like for like.
ALGORITHMS = ("lloyd-transfers", "hartigan-wong")
#: R's ``kmeans(..., iter.max = 10)`` in ConsensusClusterPlus: Hartigan-Wong passes.
_CCP_HW_MAX_ITER = 10

# PAC's ambiguity window, ConsensusClusterPlus/Senbabaoglu et al. 2014: (x1, x2] = (0.1, 0.9].
_PAC_WINDOW = (0.1, 0.9)


def membership_confidence(consensus_matrix: Any, labels: Any) -> pd.Series:
    """Mean consensus of each region with the other members of its cluster.

    ConsensusClusterPlus's item consensus with the region's own cluster (``calcICL``): for region
    i in cluster C, the mean of M[i, j] over j in C, j != i. 1 means the region was clustered
    with all its cluster mates in every subsample that drew both; NaN for singletons and noise.

    Parameters
    ----------
    consensus_matrix : DataFrame or ndarray of shape (n, n)
        Consensus values in [0, 1] (:meth:`ConsensusResult.matrix`).
    labels : array-like of shape (n,)
        Cluster of each region, in the row order of the matrix; -1 marks noise.

    Returns
    -------
    Series
        Named ``membership_confidence``, indexed like the matrix rows.

    Raises
    ------
    ValueError
        If the matrix is not square.

    Examples
    --------
    >>> import numpy as np
    >>> M = np.array([[1.0, 0.8, 0.1], [0.8, 1.0, 0.0], [0.1, 0.0, 1.0]])
    >>> membership_confidence(M, [0, 0, 1]).tolist()
    [0.8, 0.8, nan]
    """
    if isinstance(consensus_matrix, pd.DataFrame):
        index = consensus_matrix.index
        M = consensus_matrix.to_numpy(dtype=float)
    else:
        M = np.asarray(consensus_matrix, dtype=float)
        index = pd.RangeIndex(M.shape[0]) if M.ndim == 2 else None
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise ValueError(f"consensus_matrix must be square, got shape {M.shape}")
    codes, _ = _encode_labels(labels, M.shape[0])
    same = (codes[:, None] == codes[None, :]) & (codes[:, None] >= 0)
    np.fill_diagonal(same, False)
    mates = same.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(mates > 0, (M * same).sum(axis=1) / mates, np.nan)
    return pd.Series(out, index=index, name="membership_confidence")


@dataclass(frozen=True, eq=False)
class ConsensusResult:
    """Consensus matrices, their CDFs and PAC for each k, as ConsensusClusterPlus computes them.

    Attributes
    ----------
    k_range : tuple of int
        The numbers of clusters tried, as given.
    matrices : dict
        k -> (n, n) consensus matrix: times i and j were clustered together / times both were
        drawn (0 where never drawn together, as in ConsensusClusterPlus).
    index : Index
        Region labels.
    pac : Series
        Proportion of ambiguous clustering per k: CDF(0.9) - CDF(0.1) of the upper-triangle
        consensus values.
    cdf : DataFrame
        Long table ``k, x, cdf`` on the grid 0, 1/grid, ..., 1 (share of values <= x).
    area : Series
        Area under the CDF by ConsensusClusterPlus's histogram rule.
    delta_area : Series
        ConsensusClusterPlus's delta K: the area at the first k, then the relative change
        (A_k - A_prev) / A_prev.
    best_k : int
        The k of minimum PAC (the smallest such k on ties).
    reps : int
        Subsampling replicates.
    p_item : float
        Share of the regions drawn in each replicate.
    method : str
        "kmeans", or the name of the fit_predict callable used.
    elapsed_s : float
        Wall time of the whole call.
    scheme : str
        "ccp" (one k-means start per subsample, ConsensusClusterPlus's stock scheme) or
        "multistart" (``n_init`` starts).
    n_init : int
        k-means starts per subsample actually used.
    """

    k_range: tuple
    matrices: dict
    index: pd.Index
    pac: pd.Series
    cdf: pd.DataFrame
    area: pd.Series
    delta_area: pd.Series
    best_k: int
    reps: int
    p_item: float
    method: str
    elapsed_s: float
    scheme: str = "multistart"
    n_init: int = 10

    def matrix(self, k: int) -> pd.DataFrame:
        """The consensus matrix for ``k`` as a regions x regions DataFrame.

        Parameters
        ----------
        k : int
            A number of clusters in :attr:`k_range`.

        Returns
        -------
        DataFrame
            Share of the subsamples drawing both regions in which they were clustered
            together; rows and columns are :attr:`index`.

        Raises
        ------
        ValueError
            If ``k`` was not computed.
        """
        if k not in self.matrices:
            raise ValueError(f"k={k} was not computed; k_range is {list(self.k_range)}")
        return pd.DataFrame(self.matrices[k], index=self.index, columns=self.index)

    def labels(self, k: int) -> pd.Series:
        """ConsensusClusterPlus's consensus classes: average linkage on 1 - M cut at k.

        Parameters
        ----------
        k : int
            A number of clusters in :attr:`k_range`.

        Returns
        -------
        Series
            Named ``cluster``, indexed by region; classes numbered 0, 1, … by first appearance.
        """
        M = self.matrix(k).to_numpy()
        tree = linkage(squareform(1.0 - M, checks=False), method="average")
        raw = fcluster(tree, t=k, criterion="maxclust")
        first = {c: i for i, c in enumerate(dict.fromkeys(raw))}
        return pd.Series([first[c] for c in raw], index=self.index, name="cluster")

    def membership_confidence(self, k: int, labels: Any = None) -> pd.Series:
        """:func:`membership_confidence` for ``k``; default labels are ``self.labels(k)``.

        Parameters
        ----------
        k : int
            A number of clusters in :attr:`k_range`.
        labels : array-like of shape (n,), optional
            The partition to score (e.g. the clustering's own labels); default the consensus
            classes :meth:`labels`.

        Returns
        -------
        Series
            Per region, its mean consensus with its cluster mates; NaN for singletons.
        """
        return membership_confidence(self.matrix(k), self.labels(k) if labels is None else labels)

    def to_frame(self) -> pd.DataFrame:
        """One row per k: PAC, area under the CDF and delta area.

        Returns
        -------
        DataFrame
            Indexed by ``k``; columns ``pac``, ``area`` and ``delta_area``.
        """
        return pd.DataFrame(
            {"pac": self.pac, "area": self.area, "delta_area": self.delta_area}
        ).rename_axis("k")

    def to_dict(self) -> dict[str, Any]:
        """Summary values (the matrices stay available through :meth:`matrix`).

        Returns
        -------
        dict
            ``method``, ``scheme``, ``n_init``, ``reps``, ``p_item``, ``k_range``, ``best_k``,
            ``elapsed_s`` and
            ``pac``, ``area``, ``delta_area`` as ``{k: value}``.
        """
        return {
            "method": self.method,
            "scheme": self.scheme,
            "n_init": self.n_init,
            "reps": self.reps,
            "p_item": self.p_item,
            "k_range": list(self.k_range),
            "best_k": self.best_k,
            "pac": {int(k): float(v) for k, v in self.pac.items()},
            "area": {int(k): float(v) for k, v in self.area.items()},
            "delta_area": {int(k): float(v) for k, v in self.delta_area.items()},
            "elapsed_s": self.elapsed_s,
        }


def _cut_trees(trees: np.ndarray, ks: tuple[int, ...]) -> np.ndarray:
    """Labels (m, size, len(ks)) of m trees, each cut into every k, all trees at once.

    The k-cluster partition of an agglomerative tree is the one its first ``size - k`` merges
    make (for the monotone linkages here, also ``fcluster(maxclust)``'s whenever that gives k
    clusters; scipy's ``cut_tree`` returns other partitions when heights tie). The merges are
    replayed on all trees together, one vectorised step per merge, instead of scipy's
    validated per-tree, per-k calls that cost more than the trees themselves.
    """
    m, merges, _ = trees.shape
    size = merges + 1
    node = np.broadcast_to(np.arange(size), (m, size)).copy()  # each point's current cluster
    want = {size - k: j for j, k in enumerate(ks)}  # merges done -> column of out
    out = np.empty((m, size, len(ks)), dtype=np.intp)
    rows = np.arange(m)[:, None]
    pair = trees[:, :, :2].astype(np.intp)
    for done in range(max(want) + 1):
        if done:
            i = done - 1
            hit = (node == pair[:, i, :1]) | (node == pair[:, i, 1:])
            node[hit] = size + i
        if done in want:
            # Compact the node ids (< 2 size) to 0..k-1 per tree, by rank.
            present = np.zeros((m, 2 * size), dtype=bool)
            present[rows, node] = True
            rank = np.cumsum(present, axis=1) - 1
            out[:, :, want[done]] = np.take_along_axis(rank, node, axis=1)
    return out


def _start_uniforms(
    children: list[np.random.SeedSequence], ks: tuple[int, ...], n: int, n_init: int, init: str
) -> tuple[np.ndarray, dict[int, int]]:
    """Every replicate's k-means start uniforms for k = 1..max(ks), from one hash each.

    Replicate r's block for k sits at a fixed offset of the words its clustering child
    generates for all k up to max(ks), so it depends on (random_state, r, k) only, never on the
    batch or on which other k are in ``k_range``. One ``generate_state`` per replicate replaces
    a SeedSequence and a Generator per replicate and k, which cost a quarter of the consensus.
    """
    offset, total = {}, 0
    for k in range(1, max(ks) + 1):
        offset[k] = total
        total += n_init * draws_per_start(k, n, init)
    words = np.stack([_child(c, 1).generate_state(total, np.uint64) for c in children])
    # The top 53 bits as a double in [0, 1), as numpy's own random() does.
    return (words >> np.uint64(11)) * (1.0 / 9007199254740992.0), offset


def _consensus_batch(
    X: np.ndarray,
    children: list[np.random.SeedSequence],
    ks: tuple[int, ...],
    size: int,
    method: Any,
    n_init: int,
    max_iter: int,
    init: str = "k-means++",
    algorithm: str = "lloyd-transfers",
) -> tuple[np.ndarray, np.ndarray]:
    n = X.shape[0]
    m = len(children)
    # ConsensusClusterPlus: sort(sample(n, floor(n * pItem))), one subsample per replicate
    # shared by every k.
    idx = np.stack(
        [
            np.sort(np.random.default_rng(_child(c, 0)).choice(n, size=size, replace=False))
            for c in children
        ]
    )
    drawn = np.zeros((m, n))
    np.put_along_axis(drawn, idx, 1.0, axis=1)
    together = np.zeros((len(ks), n, n))
    uniforms = offset = None
    cuts = None
    if method in HIERARCHICAL:
        # One tree per subsample, cut at every k at once.
        cuts = _cut_trees(np.stack([linkage(X[i], method=method) for i in idx]), ks)
    for ik, k in enumerate(ks):
        labels = np.full((m, n), -1, dtype=np.intp)
        if cuts is not None:
            np.put_along_axis(labels, idx, cuts[:, :, ik], axis=1)
        elif isinstance(method, str):
            if uniforms is None:
                uniforms, offset = _start_uniforms(children, ks, n, n_init, init)
            need = draws_per_start(k, n, init)
            if algorithm == "hartigan-wong":
                # R's kmeans(x[subsample, ], k): k distinct points uniformly at random (the k
                # smallest keys among the drawn points, as kmeans_batched's random seeding),
                # then Hartigan-Wong on the subsample itself, unrounded, as R runs it.
                keys = uniforms[:, offset[k] : offset[k] + need]
                order = np.argsort(np.where(drawn > 0, keys, np.inf), axis=1, kind="stable")
                seeds = np.stack([np.searchsorted(idx[r], order[r, :k]) for r in range(m)])
                fitted = hartigan_wong_batched(X[idx], seeds, max_iter)[0]
                np.put_along_axis(labels, idx, fitted, axis=1)
                together[ik] = co_membership(labels)
                continue
            # The subsample as 0/1 weights on the shared matrix: no copies, same clustering;
            # in sub-batches whose working arrays fit a byte budget.
            fitted = kmeans_chunked(
                X,
                k,
                n_init=n_init,
                max_iter=max_iter,
                rng=uniforms[:, offset[k] : offset[k] + n_init * need].reshape(m, n_init, need),
                sample_weight=drawn,
                init=init,
            )
            labels[drawn > 0] = fitted[drawn > 0]
        else:
            seqs = [_child(_child(c, 1), k) for c in children]
            for r in range(m):
                raw = _call_labels(method, X[idx[r]], _seed_int(seqs[r]), k=k)
                labels[r, idx[r]] = _encode_labels(raw, size)[0]
        # Sums of 0/1 products over sub-batches of replicates: exact integers in any order.
        together[ik] = co_membership(labels)
    return together, drawn.T @ drawn


def consensus(
    X: np.ndarray | pd.DataFrame,
    *,
    method: str | FitPredict = "kmeans",
    k_range: Sequence[int] = range(2, 6),
    reps: int = 1000,
    p_item: float = 0.8,
    n_init: int = 10,
    max_iter: int = 100,
    grid: int = 100,
    random_state: int | None = 0,
    n_jobs: int | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
    scheme: str = "multistart",
    init: str = "k-means++",
    algorithm: str = "lloyd-transfers",
) -> ConsensusResult:
    """Consensus clustering over item subsamples, following ConsensusClusterPlus.

    Each replicate draws ``floor(p_item * n)`` regions without replacement (all features:
    ``pFeature = 1``) and clusters them for every k; M_k[i, j] is the number of replicates that
    put i and j in one cluster divided by the number that drew both. The CDF of the upper-triangle
    values, its area (histogram rule on ``grid`` bins) and the delta area follow
    ConsensusClusterPlus; PAC = CDF(0.9) - CDF(0.1) (Senbabaoglu et al. 2014) picks ``best_k``.

    Parameters
    ----------
    X : DataFrame or ndarray of shape (n, d)
        Indicator matrix, one row per region; a DataFrame's index labels the regions.
    method : "kmeans", "ward", "average", "complete", "single" or callable, default "kmeans"
        "kmeans": :func:`kmeans_batched`. A hierarchical linkage (:data:`HIERARCHICAL`): one
        scipy tree per subsample, cut at every k by replaying its first n - k merges (all
        subsamples of a batch at once), the same partitions as an agglomerative fit per k at a
        fraction of the cost. A callable is called
        ``method(X_sub, seed, k=k)``;
        :func:`sklearn_fit_predict` objects accept this.
    k_range : sequence of int, default range(2, 6)
        The numbers of clusters to compare (distinct); each must fit in a subsample.
    reps : int, default 1000
        Replicates (ConsensusClusterPlus recommends about 1000).
    p_item : float, default 0.8
        Share of the regions drawn per replicate, in (0, 1] (ConsensusClusterPlus's
        ``pItem``).
    n_init : int, default 10
        Random starts per k-means fit. ConsensusClusterPlus runs one start (``nstart=1``), which
        mixes local optima of k-means into the consensus; ``n_init=1`` reproduces that.
    max_iter : int, default 100
        Lloyd iterations per k-means start.
    grid : int, default 100
        CDF bins (ConsensusClusterPlus's 100-bin histogram).
    random_state, n_jobs, batch_size, progress
        As in :func:`bootstrap_jaccard`; results do not depend on ``n_jobs`` or ``batch_size``.
        Memory: the consensus matrices are n x n per k by definition (8 bytes each: 800 MB
        per k at 10,000 regions); the running totals become them in place, each batch
        holds its own k x n x n counts, and its k-means fits work in sub-batches of
        about 256 MB.
    scheme : {"multistart", "ccp"}, default "multistart"
        "ccp" overrides ``n_init`` and ``max_iter`` with ConsensusClusterPlus's stock k-means
        (one start, run to convergence as R's Hartigan-Wong is within its 10 passes);
        "multistart" uses them as given. A callable
        ``method`` decides its own starts: build it with one start for "ccp".
    init : {"k-means++", "random"}, default "k-means++"
        Seeding of "kmeans" (:func:`kmeans_batched`): the main fit's k-means++, or
        ConsensusClusterPlus's uniformly random points (``kmeans(x, k)``).
    algorithm : {"lloyd-transfers", "hartigan-wong"}, default "lloyd-transfers"
        The k-means of "kmeans": the main fit's (:func:`kmeans_batched`: Lloyd steps and
        single-point Hartigan transfers, on data rounded to about 20 significant bits), or R's
        Hartigan-Wong (:func:`hartigan_wong_batched`, identical to R's ``kmeans`` from the same
        starts), which needs ``init="random"`` and, under "ccp", runs ConsensusClusterPlus's
        ``iter.max = 10``: for comparing with ConsensusClusterPlus like for like.

    Returns
    -------
    ConsensusResult
        Matrices, CDFs, areas, PAC and ``best_k`` for every k of ``k_range``.

    Raises
    ------
    ValueError
        If ``method`` is not "kmeans" or a callable, ``scheme`` is unknown, ``k_range`` is
        empty or repeats a k, a
        count is not a positive integer, ``p_item`` is outside (0, 1], or a subsample cannot
        hold the largest k.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> X = np.vstack([rng.normal(c, 0.2, (8, 2)) for c in (0, 4, 8)])
    >>> res = consensus(X, k_range=range(2, 5), reps=40)
    >>> res.best_k, float(res.pac[3])
    (3, 0.0)
    """
    start = time.perf_counter()
    values, index, _ = _as_matrix(X)
    n = values.shape[0]
    _check_method(method, ("kmeans", *HIERARCHICAL))
    ks = tuple(_check_int("k in k_range", k, 1) for k in k_range)
    if not ks or len(set(ks)) != len(ks):
        raise ValueError(f"k_range must hold distinct integers, got {list(k_range)}")
    reps = _check_int("reps", reps, 1)
    grid = _check_int("grid", grid, 1)
    batch_size = _check_int("batch_size", batch_size, 1)
    n_init = _check_int("n_init", n_init, 1)
    max_iter = _check_int("max_iter", max_iter, 1)
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}, got {scheme!r}")
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {', '.join(ALGORITHMS)}, got {algorithm!r}")
    if algorithm == "hartigan-wong" and (method != "kmeans" or init != "random"):
        raise ValueError(
            "algorithm 'hartigan-wong' is R's k-means from uniformly random starts: it needs "
            f"method='kmeans' and init='random', got method={method!r}, init={init!r}"
        )
    if scheme == "ccp":
        n_init, max_iter = _CCP_N_INIT, _CCP_MAX_ITER
        if algorithm == "hartigan-wong":
            max_iter = _CCP_HW_MAX_ITER
    if algorithm == "hartigan-wong" and n_init != 1:
        raise ValueError(
            f"algorithm 'hartigan-wong' runs one start per subsample, got n_init={n_init}"
        )
    if not (isinstance(p_item, (int, float)) and 0 < p_item <= 1):
        raise ValueError(f"p_item must be in (0, 1], got {p_item!r}")
    size = int(np.floor(n * p_item))
    if size < max(ks):
        raise ValueError(
            f"a subsample of floor({n} * {p_item}) = {size} regions "
            f"cannot hold k={max(ks)} clusters"
        )

    children = np.random.SeedSequence(random_state).spawn(reps)
    batches = batch_slices(reps, batch_size)
    # The batches' counts are added up as they arrive (integers: any order gives the same
    # sums), so memory holds the running totals and the batches in flight, never all of them;
    # the first batch's counts become the totals (no zero-filled k x n x n to add them to).
    totals: list[np.ndarray] = []

    def add(_i: int, part: tuple[np.ndarray, np.ndarray]) -> None:
        if not totals:
            # A result deserialised from a worker (Dask) may be a read-only buffer.
            totals.extend(p if p.flags.writeable else p.copy() for p in part)
            return
        np.add(totals[0], part[0], out=totals[0])
        np.add(totals[1], part[1], out=totals[1])

    run_ordered(
        _consensus_batch,
        [
            (values, children[s], ks, size, method, n_init, max_iter, init, algorithm)
            for s in batches
        ],
        n_jobs=n_jobs,
        sizes=[s.stop - s.start for s in batches],
        progress=progress,
        collect=add,
    )
    together, drawn = totals

    x = np.arange(grid + 1) / grid
    matrices, pac, area, cdf_rows = {}, {}, {}, []
    # n x n per k by definition; divided in place, so the totals become the matrices.
    for k, M in zip(ks, consensus_matrices(together, drawn), strict=True):
        matrices[k] = M
        v = upper_values(M)
        cdf = np.searchsorted(v, x, side="right") / v.size
        lo, hi = (np.searchsorted(v, t, side="right") / v.size for t in _PAC_WINDOW)
        pac[k] = float(hi - lo)
        # ConsensusClusterPlus: sum over bins of CDF at the bin's upper edge x bin width.
        area[k] = float(cdf[1:].sum() / grid)
        cdf_rows.append(pd.DataFrame({"k": k, "x": x, "cdf": cdf}))
    order = sorted(ks)
    delta = {order[0]: area[order[0]]}
    for prev, k in pairwise(order):
        delta[k] = (area[k] - area[prev]) / area[prev] if area[prev] > 0 else np.nan
    pac_s = pd.Series(pac, name="pac").rename_axis("k").sort_index()
    return ConsensusResult(
        k_range=ks,
        matrices=matrices,
        index=index,
        pac=pac_s,
        cdf=pd.concat(cdf_rows, ignore_index=True),
        area=pd.Series(area, name="area").rename_axis("k").sort_index(),
        delta_area=pd.Series(delta, name="delta_area").rename_axis("k").sort_index(),
        best_k=int(pac_s.idxmin()),
        reps=reps,
        p_item=float(p_item),
        method=_method_name(method),
        elapsed_s=time.perf_counter() - start,
        scheme=scheme,
        n_init=n_init,
    )
