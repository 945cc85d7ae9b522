"""Is there cluster structure at all? The gap statistic with k = 1 and two reference nulls.

Before any typology is read into the clusters, :func:`structure_test` asks whether the data
show cluster structure that k-means can find, against documented reference distributions of
structureless data:

* **gap statistic** (Tibshirani, Walther & Hastie 2001) for ``k = 1 … k_max``, reference data
  uniform over the box aligned with the principal components of the data (their method b; R
  ``cluster::clusGap(spaceH0 = "scaledPCA", d.power = 2)``), the within-cluster sum of squares
  as ``W_k``, ``s_k = sd_k sqrt(1 + 1/B)`` with the 1/B standard deviation of the paper, and
  Tibshirani's rule: the smallest k with ``gap(k) >= gap(k+1) - s_(k+1)`` (``maxSE`` method
  ``"Tibs2001SEmax"``), so k = 1, "no clusters", can be chosen;
* **the selection criterion** (silhouette by default) maximised over ``k = 2 … k_max``, as the
  clustering chooses k, against two nulls: every column permuted independently (the margins
  kept, any joint structure destroyed) and one Gaussian with the data's mean and covariance
  (sampled through the data's SVD, so a singular covariance, d > n, is fine). Each replicate
  is clustered and maximised over the same k range as the data, so the null is
  selection-aware; Monte Carlo ``p = (1 + #{null >= observed}) / (B + 1)``.

The verdict is "structure" only when the gap rule chooses k > 1 **and** both null p-values are
at most ``alpha``; otherwise "no structure", with a one-sentence reason naming the figures.
"At most": a Monte Carlo test rejecting when ``p <= alpha`` has exact level ``alpha`` (Hope
1968), and with the minimum B = 19 the smallest p is exactly 1/20 = 0.05.

Every fit here is k-means with random-point starts and Hartigan transfers (the bootstrap's
batched k-means, ``stability._kmeans_batched``), whatever method the main clustering uses: the
gap statistic is defined on k-means' objective, and observed and null data must be clustered
alike.
Each replicate draws from its own child seed, so results are identical for any ``n_jobs`` and
batch size. No I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from border_readiness.clustering.models import max_clusters
from border_readiness.features._parallel import batch_slices, child, items_within, run_ordered

__all__ = ["INDEX_CRITERIA", "NULLS", "StructureTest", "silhouette_batched", "structure_test"]

#: The reference nulls of the selection criterion, as named in the reports.
NULLS = {
    "permuted": "each column permuted independently",
    "gaussian": "one Gaussian with the data's mean and covariance",
}
#: The indices the criterion test accepts; Davies–Bouldin is lower-better and is negated.
INDEX_CRITERIA = ("silhouette", "calinski_harabasz", "davies_bouldin")
#: Reference of the gap statistic, as named in the reports.
GAP_REFERENCE = "uniform over the PCA-aligned bounding box (Tibshirani 2001 method b)"
_BATCH = 50
# Streams of the root seed: one per kind of replicate (fixed order: do not reorder).
_STREAMS = {"observed": 0, "gap": 1, "permuted": 2, "gaussian": 3}


@dataclass(frozen=True)
class StructureTest:
    """The result of :func:`structure_test`.

    Attributes
    ----------
    has_structure : bool
        True only if the gap rule chose k > 1 and both null p-values are at most ``alpha``.
    verdict : str
        ``"structure"`` or ``"no structure"``.
    reason : str
        One sentence naming the figures the verdict rests on.
    criterion : str
        The index tested against the nulls.
    gap_k : int
        The k chosen by Tibshirani's gap rule (1 = no clusters).
    best_k : int
        The k in ``2 … k_max`` with the best observed index.
    observed : float
        The best observed index over ``2 … k_max`` (Davies–Bouldin: the lowest).
    null_median : dict of str to float
        Per null, the median of its replicates' best index.
    p_values : dict of str to float
        Per null, the Monte Carlo p-value of ``observed`` (selection-aware).
    B : int
        Replicates per null and reference data sets of the gap statistic.
    alpha : float
        The level the p-values are compared with.
    per_k : DataFrame
        Indexed by ``k = 1 … k_max``: ``gap``, ``s_k``, ``log_w``, the observed index and, per
        null, ``<null>_median`` and ``<null>_p`` (the per-k, not selection-aware, p-value);
        index columns are NaN at k = 1.
    """

    has_structure: bool
    verdict: str
    reason: str
    criterion: str
    gap_k: int
    best_k: int
    observed: float
    null_median: dict[str, float]
    p_values: dict[str, float]
    B: int
    alpha: float
    per_k: pd.DataFrame = field(repr=False)
    n_init: int = 10
    random_state: int = 0

    def to_dict(self) -> dict:
        """The test as JSON-ready values (what ``stability.json`` stores).

        Returns
        -------
        dict
            verdict, has_structure, reason, criterion, gap_k, best_k, observed, p_values,
            null_median, B, alpha, the nulls and the gap reference described in words, the
            clustering used and its seed, and the per-k gap (None for NaN).
        """

        def r(v):
            return None if v != v else round(float(v), 4)

        return {
            "verdict": self.verdict,
            "has_structure": self.has_structure,
            "reason": self.reason,
            "criterion": self.criterion,
            "gap_k": self.gap_k,
            "best_k": self.best_k,
            "observed": r(self.observed),
            "p_values": {k: r(v) for k, v in self.p_values.items()},
            "null_median": {k: r(v) for k, v in self.null_median.items()},
            "B": self.B,
            "alpha": self.alpha,
            "nulls": dict(NULLS),
            "gap_reference": GAP_REFERENCE,
            "gap_rule": "Tibshirani 2001: smallest k with gap(k) >= gap(k+1) - s(k+1), k >= 1",
            "clustering": f"k-means, {self.n_init} random-point starts per fit",
            "random_state": self.random_state,
            "gap": {str(int(k)): r(v) for k, v in self.per_k["gap"].items()},
            "s_k": {str(int(k)): r(v) for k, v in self.per_k["s_k"].items()},
        }


# Bytes of one row chunk of silhouette_batched's pairwise differences and distances.
_SILHOUETTE_BUDGET = 128 * 2**20


def silhouette_batched(Xb: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Mean silhouette of B labelled data sets at once (scikit-learn's definition).

    A point alone in its cluster scores 0, as in :func:`sklearn.metrics.silhouette_score`.

    Parameters
    ----------
    Xb : ndarray, shape (B, n, d)
        B data sets of n points.
    labels : ndarray of int, shape (B, n)
        Labels ``0 … k-1`` of each data set, at least two clusters in each.

    Returns
    -------
    ndarray, shape (B,)
        The mean silhouette width of each data set.

    Examples
    --------
    >>> X = np.array([[0.0], [0.1], [5.0], [5.1]])
    >>> round(float(silhouette_batched(X[None], np.array([[0, 0, 1, 1]]))[0]), 3)
    0.98
    """
    Xb = np.asarray(Xb, dtype=float)
    labels = np.asarray(labels, dtype=int)
    k = int(labels.max()) + 1
    # Elementwise differences and reductions only: a replicate's result never depends on its
    # batch (no BLAS call whose blocking could change with the batch's shape).
    B, n, d = Xb.shape
    onehot = (labels[:, :, None] == np.arange(k)).astype(float)  # (B, n, k)
    # The distances are n x n per data set by definition; they are formed for a chunk of rows
    # at a time (the (B, rows, n, d) differences fit _SILHOUETTE_BUDGET), and each row's sums
    # run over the same values in the same order whatever the chunk.
    step = items_within(_SILHOUETTE_BUDGET, 8 * B * n * (2 * d + k + 1))
    sums = np.empty((B, n, k))
    for start in range(0, n, step):
        rows = slice(start, min(start + step, n))
        diff = Xb[:, rows, None, :] - Xb[:, None, :, :]
        D = np.sqrt((diff * diff).sum(axis=-1))  # (B, rows, n)
        sums[:, rows] = (D[:, :, :, None] * onehot[:, None, :, :]).sum(axis=2)
    counts = onehot.sum(axis=1)  # (B, k)
    own_count = np.take_along_axis(counts, labels, axis=1)  # (B, n)
    own_sum = np.take_along_axis(sums, labels[:, :, None], axis=2)[..., 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        a = own_sum / (own_count - 1)
        mean_other = sums / counts[:, None, :]
    mean_other = np.where(onehot.astype(bool) | (counts[:, None, :] == 0), np.inf, mean_other)
    b = mean_other.min(axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = (b - a) / np.maximum(a, b)
    s = np.where(own_count > 1, np.nan_to_num(s, nan=0.0), 0.0)
    return s.mean(axis=1)


def _index(criterion: str, Xb: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The criterion per data set, oriented so that higher is better."""
    if criterion == "silhouette":
        return silhouette_batched(Xb, labels)
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score

    if criterion == "calinski_harabasz":
        return np.array(
            [calinski_harabasz_score(x, lab) for x, lab in zip(Xb, labels, strict=True)]
        )
    return -np.array([davies_bouldin_score(x, lab) for x, lab in zip(Xb, labels, strict=True)])


def _log_w(Xb: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The log of the within-cluster sum of squares of each data set."""
    k = int(labels.max()) + 1
    total = np.zeros(len(Xb))
    for j in range(k):
        mask = (labels == j)[:, :, None]
        cnt = mask.sum(axis=1)
        mean = np.where(cnt > 0, (Xb * mask).sum(axis=1) / np.maximum(cnt, 1), 0.0)
        total += (((Xb - mean[:, None, :]) ** 2) * mask).sum(axis=(1, 2))
    return np.log(total)


def _draw(kind: str, X: np.ndarray, basis, rng: np.random.Generator) -> np.ndarray:
    """One reference data set of ``kind`` from ``rng``."""
    n = len(X)
    mean, vt, lo, hi, scale = basis
    if kind == "gap":
        return rng.uniform(lo, hi, size=(n, len(lo))) @ vt + mean
    if kind == "permuted":
        return rng.permuted(X, axis=0)
    # x = mean + z diag(s / sqrt(n - 1)) V': covariance V' diag(s^2 / (n - 1)) V, the data's.
    return mean + (rng.standard_normal((n, len(scale))) * scale) @ vt


def _replicates(kind, X, basis, seeds, ks, n_init, criterion):
    """Per replicate: the data set's log W_k (gap) or index (nulls) for each k in ``ks``."""
    from border_readiness.clustering.stability._kmeans_batched import kmeans_batched

    data_rngs = [np.random.default_rng(child(s, 0)) for s in seeds]
    Xb = np.stack([_draw(kind, X, basis, g) for g in data_rngs])
    out = np.full((len(seeds), len(ks)), np.nan)
    for j, k in enumerate(ks):
        if k == 1:
            labels = np.zeros(Xb.shape[:2], dtype=int)
        else:
            rngs = [np.random.default_rng(child(s, k)) for s in seeds]
            labels = kmeans_batched(Xb, k, n_init=n_init, rng=rngs)
        out[:, j] = _log_w(Xb, labels) if kind == "gap" else _index(criterion, Xb, labels)
    return out


def _basis(X: np.ndarray):
    n = len(X)
    mean = X.mean(axis=0)
    _, s, vt = np.linalg.svd(X - mean, full_matrices=False)
    rank = int((s > s[0] * 1e-10).sum()) if s.size and s[0] > 0 else 0
    vt = vt[:rank]
    Z = (X - mean) @ vt.T
    return mean, vt, Z.min(axis=0), Z.max(axis=0), s[:rank] / np.sqrt(n - 1)


def _gap_rule(gap: np.ndarray, s_k: np.ndarray, ks: list[int]) -> int:
    for i in range(len(ks) - 1):
        if gap[i] >= gap[i + 1] - s_k[i + 1]:
            return ks[i]
    return ks[-1]


def structure_test(
    X,
    *,
    k_max: int | None = None,
    B: int = 199,
    criterion: str = "silhouette",
    alpha: float = 0.05,
    n_init: int = 10,
    random_state: int = 0,
    n_jobs: int | None = None,
    batch_size: int = _BATCH,
) -> StructureTest:
    """Test whether ``X`` shows cluster structure (gap statistic and two reference nulls).

    Parameters
    ----------
    X : array-like, shape (n, d)
        The matrix that is clustered, one row per region (at least 4 rows).
    k_max : int, optional
        Largest k; default :func:`~border_readiness.clustering.models.max_clusters` (n // 3).
    B : int, default 199
        Replicates per null, and reference data sets of the gap statistic (at least 19, so
        that p can reach 0.05).
    criterion : {"silhouette", "calinski_harabasz", "davies_bouldin"}, default "silhouette"
        The index the clustering chooses k by, tested against the nulls.
    alpha : float, default 0.05
        Both null p-values must be at most it (and the gap rule choose k > 1) for "structure".
    n_init : int, default 10
        Random starts of every k-means fit (observed and reference data alike).
    random_state : int, default 0
        Root seed; each replicate draws from its own child of it.
    n_jobs : int, optional
        joblib workers over batches; results do not depend on it.
    batch_size : int, default 50
        Replicates per batch; results do not depend on it.

    Returns
    -------
    StructureTest
        Verdict, reason, gap-chosen k, p-values and null medians, and the per-k table.

    Raises
    ------
    ValueError
        If ``B < 19``, ``criterion`` is unknown, ``alpha`` is not in (0, 1) or X has fewer
        than 4 rows.

    Examples
    --------
    >>> rng = np.random.default_rng(0)  # synthetic: two well separated blobs
    >>> X = np.vstack([rng.normal(0, 0.3, (6, 3)), rng.normal(3, 0.3, (6, 3))])
    >>> t = structure_test(X, B=19)
    >>> t.verdict, t.gap_k
    ('structure', 2)
    """
    X = np.asarray(X, dtype=float)
    n = len(X)
    if B < 19:
        raise ValueError(f"B must be at least 19 replicates (p can then reach 0.05), got {B}")
    if criterion not in INDEX_CRITERIA:
        raise ValueError(f"criterion {criterion!r} is not one of {', '.join(INDEX_CRITERIA)}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if X.ndim != 2 or n < 4:
        raise ValueError(f"X must be a matrix with at least 4 rows, got shape {X.shape}")
    cap = max_clusters(n)
    k_max = cap if k_max is None else max(2, min(int(k_max), n - 1))
    ks = list(range(1, k_max + 1))
    index_ks = ks[1:]
    basis = _basis(X)
    root = np.random.SeedSequence(random_state)

    def run(kind: str, ks_run: list[int]) -> np.ndarray:
        stream = child(root, _STREAMS[kind])
        seeds = [child(stream, b) for b in range(B)]
        parts = run_ordered(
            _replicates,
            [
                (kind, X, basis, seeds[sl], ks_run, n_init, criterion)
                for sl in batch_slices(B, batch_size)
            ],
            n_jobs=n_jobs,
        )
        return np.vstack(parts)

    # The data are clustered by the same k-means (own stream) as the references.
    obs_seed = [child(root, _STREAMS["observed"])]
    obs_log_w, obs_index = _observed(X, obs_seed, ks, n_init, criterion)
    ref_log_w = run("gap", ks)
    gap = ref_log_w.mean(axis=0) - obs_log_w
    s_k = ref_log_w.std(axis=0) * np.sqrt(1 + 1 / B)
    gap_k = _gap_rule(gap, s_k, ks)
    per_k = pd.DataFrame({"k": ks, "gap": gap, "s_k": s_k, "log_w": obs_log_w}).set_index("k")
    sign = -1.0 if criterion == "davies_bouldin" else 1.0
    per_k[criterion] = np.r_[np.nan, sign * obs_index]
    observed_best = float(np.max(obs_index))
    best_k = index_ks[int(np.argmax(obs_index))]
    p_values, medians = {}, {}
    for kind in NULLS:
        null = run(kind, index_ks)  # (B, K - 1), higher is better
        best = null.max(axis=1)
        p_values[kind] = float((1 + np.sum(best >= observed_best - 1e-12)) / (B + 1))
        medians[kind] = float(sign * np.median(best))
        per_k[f"{kind}_median"] = np.r_[np.nan, sign * np.median(null, axis=0)]
        per_k[f"{kind}_p"] = np.r_[
            np.nan, (1 + (null >= obs_index[None, :] - 1e-12).sum(axis=0)) / (B + 1)
        ]
    has = bool(gap_k > 1 and all(p <= alpha for p in p_values.values()))
    reason = _reason(
        has, criterion, gap, s_k, gap_k, sign * observed_best, best_k, medians, p_values, alpha
    )
    return StructureTest(
        has_structure=has,
        verdict="structure" if has else "no structure",
        reason=reason,
        criterion=criterion,
        gap_k=int(gap_k),
        best_k=int(best_k),
        observed=sign * observed_best,
        null_median=medians,
        p_values=p_values,
        B=int(B),
        alpha=float(alpha),
        per_k=per_k,
        n_init=int(n_init),
        random_state=int(random_state),
    )


def _observed(X, seeds, ks, n_init, criterion):
    from border_readiness.clustering.stability._kmeans_batched import kmeans_batched

    Xb = X[None]
    log_w, index = [], []
    for k in ks:
        if k == 1:
            labels = np.zeros((1, len(X)), dtype=int)
        else:
            rng = [np.random.default_rng(child(seeds[0], k))]
            labels = kmeans_batched(Xb, k, n_init=n_init, rng=rng)
            index.append(float(_index(criterion, Xb, labels)[0]))
        log_w.append(float(_log_w(Xb, labels)[0]))
    return np.array(log_w), np.array(index)


def _reason(has, criterion, gap, s_k, gap_k, observed, best_k, medians, p_values, alpha) -> str:
    name = criterion.replace("_", "–").title() if criterion != "silhouette" else "silhouette"
    nulls = "; ".join(
        f"{'column-permuted' if k == 'permuted' else 'single-Gaussian'} null median "
        f"{medians[k]:.3f}, p = {p_values[k]:.3f}"
        for k in NULLS
    )
    if gap_k == 1:
        gap_text = f"the gap statistic chooses k = 1 (gap(1) = {gap[0]:.3f} >= gap(2) - s(2) = "
        gap_text += f"{gap[1] - s_k[1]:.3f})"
    else:
        gap_text = f"the gap statistic chooses k = {gap_k}"
    index_text = f"the best {name} ({observed:.3f}, at k = {best_k})"
    if has:
        return (
            f"Cluster structure: {gap_text} and {index_text} exceeds what structureless data "
            f"give ({nulls}; both at most {alpha:g})."
        )
    return (
        f"No cluster structure: {gap_text}, and {index_text} compared with structureless data "
        f"gives {nulls} (structure needs gap k > 1 and both p <= {alpha:g})."
    )
