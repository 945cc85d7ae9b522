"""Agreement between an expert typology and data clusters: metrics, alignment, significance.

An expert typology gives each region zero, one or several *types*; a clustering gives each
region exactly one *cluster*. A cluster is not a type until it has been aligned to one, so the
report aligns them with the Hungarian method (maximum total overlap) before it names any region
as disagreeing. It then answers three questions a regional economist asks:

* how close are the two partitions (ARI, AMI, NMI, Fowlkes-Mallows, V-measure, from
  scikit-learn);
* could that closeness come from chance (Monte Carlo permutation p-value: cluster labels are
  shuffled over the regions, which keeps the sizes of both partitions fixed);
* how sure are we of the ARI (percentile bootstrap over regions);

and it lists the aligned contingency table and the regions on which expert and data disagree.

With 12 regions an exact permutation null (12! relabellings) is out of reach and every figure
is fragile, so the report always carries a small-n note and the contingency table.

The module is pure computation (numpy, pandas, scipy, scikit-learn): no file I/O, no tracking.
Replicates draw their random numbers from ``numpy.random.SeedSequence(random_state)``, one child
per fixed block of replicates, so the same seed gives the same report for any ``batch_size``,
any joblib backend and any number of workers.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn import metrics as skm

__all__ = [
    "METRICS",
    "AgreementAssertionError",
    "AgreementReport",
    "agreement",
    "assert_agreement",
    "expert_ceiling",
    "vectorised_ari",
]

METRICS: tuple[str, ...] = ("ari", "ami", "nmi", "fmi", "v_measure")
MULTI_TYPE_RULES: tuple[str, ...] = ("best_match", "exclude")

# Below this many regions the report always warns that the figures are fragile (design.md,
# "Small n"): one region moving changes the ARI by a lot.
_SMALL_N = 30
# Replicates draw their random numbers in blocks of this many, each block from its own child
# SeedSequence, so that replicate r depends only on (random_state, r) and never on batch_size
# or on how batches are spread over workers.
_SEED_BLOCK = 1000
# Mutual information is a float sum; a permuted table equal in value to the observed one may
# differ in the last bits, and a tie must count as "at least as large".
_MI_TIE_TOL = 1e-12
# Labels of the multi-type resolution, also used in notes and tests.
_SINGLE = "single type"
_STAGE1 = "matched on single-type alignment"
_STAGE2 = "matched on alignment over all regions"
_FIRST = "first listed type"


class AgreementAssertionError(AssertionError):
    """Raised by :func:`assert_agreement` when agreement falls below the agreed level."""


# --------------------------------------------------------------------------------------------
# fast ARI over many label vectors
# --------------------------------------------------------------------------------------------


def _sum_squared_counts(codes: np.ndarray) -> np.ndarray:
    """Sum over distinct values of (count of the value)^2, for each row of an integer matrix.

    Sorting each row puts equal values in runs; a run of length L contributes
    1 + 3 + ... + (2L - 1) = L^2 when every element adds 2 * (its offset in the run) + 1. No
    dense contingency table is built, so the cost does not grow with the number of labels.
    """
    ordered = np.sort(codes, axis=1)
    n = ordered.shape[1]
    starts = np.ones(ordered.shape, dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    position = np.broadcast_to(np.arange(n), ordered.shape)
    run_start = np.maximum.accumulate(np.where(starts, position, 0), axis=1)
    return (2 * (position - run_start) + 1).sum(axis=1, dtype=np.int64)


def _ari_codes(
    true_codes: np.ndarray, pred_codes: np.ndarray, copy_pairs: np.ndarray | int = 0
) -> np.ndarray:
    """ARI of each row pair; codes are non-negative integers, ``true_codes`` (n,) or (m, n).

    Uses scikit-learn's pair-confusion form (ordered pairs) and its convention that a perfect
    match with no discordant pair is 1.0, so the values equal ``adjusted_rand_score``.
    ``copy_pairs`` (per row) is the number of ordered pairs of two copies of one item in a
    bootstrap sample; they agree in any two partitions, so they are removed from the agreeing
    pairs (the other three pair counts never contain them).
    """
    pred_codes = np.atleast_2d(pred_codes).astype(np.int64, copy=False)
    true_codes = np.broadcast_to(np.asarray(true_codes, dtype=np.int64), pred_codes.shape)
    n = pred_codes.shape[1]
    width = int(pred_codes.max(initial=0)) + 1
    same_both = _sum_squared_counts(true_codes * width + pred_codes)
    same_true = _sum_squared_counts(true_codes)
    same_pred = _sum_squared_counts(pred_codes)
    tp = same_both - n - np.asarray(copy_pairs, dtype=np.int64)
    fp = same_pred - same_both
    fn = same_true - same_both
    tn = n * n - same_true - same_pred + same_both
    # Exact integer products while n^4 fits in int64; the single division then rounds exactly
    # like scikit-learn's Python-int arithmetic (below 2^53), so ties stay ties.
    if n**4 >= 2**62:
        tp, fp, fn, tn = (x.astype(float) for x in (tp, fp, fn, tn))
    numerator = 2 * (tp * tn - fn * fp)
    denominator = (tp + fn) * (fn + tn) + (tp + fp) * (fp + tn)
    perfect = (fn == 0) & (fp == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ari = numerator.astype(float) / denominator.astype(float)
    return np.where(perfect, 1.0, ari)


def _factorize(values: np.ndarray, what: str) -> np.ndarray:
    codes, _ = pd.factorize(np.asarray(values, dtype=object).ravel(), sort=False)
    if (codes < 0).any():
        raise ValueError(f"{what} must not contain missing values")
    return codes


def vectorised_ari(labels_true: Sequence | np.ndarray, labels_pred_batch: np.ndarray) -> np.ndarray:
    """Adjusted Rand index of one reference labelling against many labellings at once.

    Equal to ``sklearn.metrics.adjusted_rand_score(labels_true, row)`` for every row, computed
    from pair counts with numpy only, so thousands of permutations cost milliseconds.

    Parameters
    ----------
    labels_true : array-like of shape (n,)
        Reference labels (any hashable values).
    labels_pred_batch : array-like of shape (m, n)
        One labelling per row (any hashable values, shared or not between rows).

    Returns
    -------
    ndarray of shape (m,)
        ARI of each row.

    Examples
    --------
    >>> vectorised_ari([0, 0, 1, 1], [[0, 0, 1, 2], [5, 5, 7, 7], [0, 1, 0, 1]])
    array([ 0.57142857,  1.        , -0.5       ])
    """
    true = np.asarray(labels_true, dtype=object)
    batch = np.asarray(labels_pred_batch, dtype=object)
    if true.ndim != 1:
        raise ValueError(f"labels_true must be 1-D, got shape {true.shape}")
    if batch.ndim != 2 or batch.shape[1] != true.shape[0]:
        raise ValueError(
            f"labels_pred_batch must have shape (m, {true.shape[0]}), got {batch.shape}; "
            "use .reshape(1, -1) for a single labelling"
        )
    true_codes = _factorize(true, "labels_true")
    pred_codes = _factorize(batch, "labels_pred_batch").reshape(batch.shape)
    return _ari_codes(true_codes, pred_codes)


def _mutual_info_codes(
    true_codes: np.ndarray, pred_codes: np.ndarray, n_true: int, n_pred: int
) -> np.ndarray:
    """Mutual information (nats) of a fixed labelling against each row of ``pred_codes``."""
    m, n = pred_codes.shape
    cells = n_true * n_pred
    flat = np.arange(m)[:, None] * cells + true_codes[None, :] * n_pred + pred_codes
    joint = np.bincount(flat.ravel(), minlength=m * cells).reshape(m, n_true, n_pred)
    size_true = np.bincount(true_codes, minlength=n_true).astype(float)
    size_pred = np.bincount(pred_codes[0], minlength=n_pred).astype(float)
    joint = joint.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.log(joint * n) - np.log(size_true)[:, None] - np.log(size_pred)[None, :]
        terms = np.where(joint > 0, joint * log_ratio, 0.0)
    return terms.sum(axis=(1, 2)) / n


# --------------------------------------------------------------------------------------------
# replicates: seeds, batches, joblib
# --------------------------------------------------------------------------------------------


def _uniform_rows(blocks: Sequence[np.random.SeedSequence], start: int, stop: int, width: int):
    """Uniform [0, 1) draws for replicates ``start .. stop - 1``, ``width`` per replicate.

    Replicate r takes row ``r % _SEED_BLOCK`` of the matrix drawn (row-major) from block
    ``r // _SEED_BLOCK``; drawing only a prefix of a block gives the same rows, so any batch
    boundaries give the same numbers.
    """
    parts = []
    for b in range(start // _SEED_BLOCK, (stop - 1) // _SEED_BLOCK + 1):
        lo = max(start, b * _SEED_BLOCK) - b * _SEED_BLOCK
        hi = min(stop, (b + 1) * _SEED_BLOCK) - b * _SEED_BLOCK
        parts.append(np.random.default_rng(blocks[b]).random((hi, width))[lo:])
    return np.concatenate(parts)


def _permutation_batch(start, stop, blocks, true_codes, pred_codes, with_mi):
    n = true_codes.shape[0]
    # argsort of iid uniforms is a uniformly random permutation (ties have probability ~0).
    order = np.argsort(_uniform_rows(blocks, start, stop, n), axis=1)
    shuffled = pred_codes[order]
    ari = _ari_codes(true_codes, shuffled)
    mi = None
    if with_mi:
        n_true, n_pred = int(true_codes.max()) + 1, int(pred_codes.max()) + 1
        mi = _mutual_info_codes(true_codes, shuffled, n_true, n_pred)
    return ari, mi


def _bootstrap_batch(start, stop, blocks, true_codes, pred_codes):
    n = true_codes.shape[0]
    # floor(u * n) is a uniform index. A region drawn twice is two items, but the pairs its
    # copies form with each other are left out: they agree under any two partitions and would
    # push every resampled ARI up (the interval then misses the observed ARI at small n).
    index = np.minimum((_uniform_rows(blocks, start, stop, n) * n).astype(np.intp), n - 1)
    copy_pairs = _sum_squared_counts(index) - n
    return _ari_codes(true_codes[index], pred_codes[index], copy_pairs)


def _run_batches(task, n_total: int, batch_size: int, n_jobs: int | None, *args) -> list:
    bounds = [(s, min(s + batch_size, n_total)) for s in range(0, n_total, batch_size)]
    if len(bounds) <= 1:
        return [task(s, e, *args) for s, e in bounds]
    from joblib import Parallel, delayed

    # n_jobs=None defers to the caller's joblib.parallel_config (backend and workers).
    return Parallel(n_jobs=n_jobs)(delayed(task)(s, e, *args) for s, e in bounds)


def _seed_blocks(seed: np.random.SeedSequence, n_replicates: int):
    return seed.spawn(max(1, -(-n_replicates // _SEED_BLOCK)))


# --------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _plain(value: Any) -> Any:
    """numpy scalars -> Python scalars; integral floats -> int (labels from a NaN-holed column)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _as_series(obj: Any, name: str) -> pd.Series:
    if isinstance(obj, pd.Series):
        series = obj
    elif isinstance(obj, Mapping):
        series = pd.Series(dict(obj), dtype=object)
    else:
        raise TypeError(
            f"{name} must be a pandas Series region_id -> label, got {type(obj).__name__}"
        )
    if series.index.has_duplicates:
        twice = series.index[series.index.duplicated()].unique()[:5]
        raise ValueError(f"{name} lists region(s) more than once: {', '.join(map(str, twice))}")
    return series


def _expert_types(region: Hashable, value: Any) -> tuple:
    """The region's expert types as a tuple, in the order given; () when unassigned."""
    if isinstance(value, str):
        items: list = [value]
    elif isinstance(value, (set, frozenset)):
        # A set has no "first" type, so fix one: sorted by text.
        items = sorted(value, key=str)
    elif isinstance(value, (tuple, list, np.ndarray, pd.Series, pd.Index)):
        items = list(value)
    elif _is_missing(value):
        return ()
    else:
        items = [value]
    types: list = []
    for item in items:
        if isinstance(item, str):
            item = item.strip()
            if not item:
                continue
        elif _is_missing(item):
            continue
        if not isinstance(item, Hashable):
            raise TypeError(f"expert type of region {region!r} must be hashable, got {item!r}")
        item = _plain(item)
        if item not in types:
            types.append(item)
    return tuple(types)


def _cluster_label(region: Hashable, value: Any) -> Any:
    """The region's cluster label, or None when missing."""
    if isinstance(value, (tuple, list, set, frozenset, np.ndarray)):
        raise TypeError(f"clusters must give one label per region; region {region!r} has {value!r}")
    if _is_missing(value):
        return None
    if not isinstance(value, Hashable):
        raise TypeError(f"cluster label of region {region!r} must be hashable, got {value!r}")
    return _plain(value)


def _ordered(values) -> list:
    """Distinct values in a fixed order (sorted when comparable) so results ignore row order."""
    distinct = list(dict.fromkeys(values))
    try:
        return sorted(distinct)
    except TypeError:
        return sorted(distinct, key=lambda v: (type(v).__name__, str(v)))


def _count_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def _seed(random_state: Any) -> np.random.SeedSequence:
    if isinstance(random_state, np.random.SeedSequence):
        return random_state
    if random_state is None or (
        isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool)
    ):
        if random_state is not None and random_state < 0:
            raise ValueError(f"random_state must be non-negative, got {random_state!r}")
        return np.random.SeedSequence(random_state)
    raise TypeError(
        f"random_state must be an int, None or numpy.random.SeedSequence, got {random_state!r}"
    )


# --------------------------------------------------------------------------------------------
# alignment
# --------------------------------------------------------------------------------------------


def _match(weights: np.ndarray) -> list[tuple[int, int]]:
    """Hungarian pairs (row, column) of maximum total weight; zero-overlap pairs are dropped.

    A rectangular table always gets min(rows, columns) pairs from the solver, but a cluster
    that shares no region with a type is not aligned to it in any meaningful sense.
    """
    if weights.size == 0:
        return []
    rows, cols = linear_sum_assignment(weights, maximize=True)
    return [(int(i), int(j)) for i, j in zip(rows, cols, strict=True) if weights[i, j] > 0]


def _weights(regions, types, clusters, type_weights, cluster_of) -> np.ndarray:
    row = {t: i for i, t in enumerate(types)}
    col = {c: j for j, c in enumerate(clusters)}
    table = np.zeros((len(types), len(clusters)))
    for region in regions:
        for t, w in type_weights(region):
            table[row[t], col[cluster_of[region]]] += w
    return table


def _resolve_multi_type(regions, types_of, cluster_of) -> tuple[dict, dict]:
    """Pick one type per region; see :func:`agreement` for the rule. Returns (type, how)."""
    resolved: dict = {}
    how: dict = {}
    for region in regions:
        if len(types_of[region]) == 1:
            resolved[region], how[region] = types_of[region][0], _SINGLE
    pending = [r for r in regions if r not in resolved]
    if not pending:
        return resolved, how
    all_types = list(dict.fromkeys(t for r in regions for t in types_of[r]))
    clusters = _ordered(cluster_of[r] for r in regions)

    def aligned(table):
        return {clusters[j]: all_types[i] for i, j in _match(table)}

    def settle(matching, label):
        for region in list(pending):
            matched = matching.get(cluster_of[region])
            if matched is not None and matched in types_of[region]:
                resolved[region], how[region] = matched, label
                pending.remove(region)

    single = [r for r in regions if how.get(r) == _SINGLE]
    first_type = lambda r: [(types_of[r][0], 1.0)]  # noqa: E731
    settle(aligned(_weights(single, all_types, clusters, first_type, cluster_of)), _STAGE1)

    # Still open: align on every region; an open region counts 1/k for each of its k types so
    # that it weighs as much as any other region.
    def share(region):
        if region in resolved:
            return [(resolved[region], 1.0)]
        k = len(types_of[region])
        return [(t, 1.0 / k) for t in types_of[region]]

    settle(aligned(_weights(regions, all_types, clusters, share, cluster_of)), _STAGE2)
    for region in pending:
        resolved[region], how[region] = types_of[region][0], _FIRST
    return resolved, how


def _aligned_table(labels_type: list, labels_cluster: list) -> tuple[pd.DataFrame, dict]:
    # Types keep the expert's order (a typology lists its types in a meaningful order, e.g.
    # west to east); clusters are sorted.
    types = list(dict.fromkeys(labels_type))
    clusters = _ordered(labels_cluster)
    row = {t: i for i, t in enumerate(types)}
    col = {c: j for j, c in enumerate(clusters)}
    counts = np.zeros((len(types), len(clusters)), dtype=np.int64)
    for t, c in zip(labels_type, labels_cluster, strict=True):
        counts[row[t], col[c]] += 1
    pairs = sorted(_match(counts.astype(float)))
    matched_rows = [i for i, _ in pairs]
    matched_cols = [j for _, j in pairs]
    # Matched pairs on the diagonal, in type order; the unmatched keep their order at the end.
    row_order = matched_rows + [i for i in range(len(types)) if i not in matched_rows]
    col_order = matched_cols + [j for j in range(len(clusters)) if j not in matched_cols]
    table = pd.DataFrame(
        counts[np.ix_(row_order, col_order)],
        index=pd.Index([types[i] for i in row_order], name="expert_type"),
        columns=pd.Index([clusters[j] for j in col_order], name="cluster"),
    )
    matching = {clusters[j]: types[i] for i, j in pairs}
    matching = dict(sorted(matching.items(), key=lambda kv: col_order.index(col[kv[0]])))
    return table, matching


def _quote(types: Sequence) -> str:
    return " or ".join(f"'{t}'" for t in types)


def _type_text(types: tuple) -> Any:
    return types[0] if len(types) == 1 else " / ".join(map(str, types))


# --------------------------------------------------------------------------------------------
# the report
# --------------------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(_plain(k)): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return [_jsonable(rec) for rec in value.to_dict("records")]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass(frozen=True, eq=False)
class AgreementReport:
    """Agreement between an expert typology and data clusters on the regions both assign.

    Attributes
    ----------
    ari, ami, nmi, fmi, v_measure : float
        Adjusted Rand index, adjusted mutual information, normalised mutual information,
        Fowlkes-Mallows index and V-measure (scikit-learn, arithmetic normalisation).
    p_value : float
        Monte Carlo permutation p-value of the ARI, ``(b + 1) / (m + 1)``; NaN when
        ``n_permutations == 0``.
    p_values : dict
        p-value per metric named in ``p_value_metrics`` (always ``'ari'`` when computed).
    ari_ci : tuple of float
        ``(low, high)`` percentile bootstrap interval of the ARI at ``ci_level``; NaNs when
        ``n_bootstrap == 0``.
    ci_level : float
        Coverage of ``ari_ci`` (0.95 by default).
    n_regions : int
        Regions evaluated: present and assigned in both partitions.
    n_permutations, n_bootstrap : int
        Replicates used.
    contingency : DataFrame
        Counts, rows expert types (``expert_type``), columns clusters (``cluster``); aligned
        pairs on the diagonal, unaligned types and clusters last.
    matching : dict
        Cluster -> the expert type it is aligned to (clusters aligned to no type are absent).
    disagreements : DataFrame
        ``region_id, expert_type, data_type, reason, cluster``: regions whose cluster is
        aligned to a type that is not (one of) their expert type(s), or to no type.
    excluded : DataFrame
        ``region_id, reason`` for regions left out of the evaluation.
    assignments : DataFrame
        One row per evaluated region: ``region_id, expert_types`` (all, as given),
        ``expert_type`` (the one used for the metrics), ``resolution`` (how it was chosen),
        ``cluster, data_type, agrees``.
    notes : list of str
        Caveats to show next to the figures (always a small-n note below 30 regions).

    Examples
    --------
    >>> import pandas as pd
    >>> expert = pd.Series({"A": "West", "B": "West", "C": "East", "D": "East"})
    >>> report = agreement(expert, pd.Series({"A": 1, "B": 1, "C": 0, "D": 0}),
    ...                    n_permutations=99, n_bootstrap=0)
    >>> report.ari, report.matching
    (1.0, {1: 'West', 0: 'East'})
    >>> report.notes[0]
    'n = 4 regions: agreement figures are fragile; read the contingency table'
    """

    ari: float
    ami: float
    nmi: float
    fmi: float
    v_measure: float
    p_value: float
    p_values: dict
    ari_ci: tuple[float, float]
    ci_level: float
    n_regions: int
    n_permutations: int
    n_bootstrap: int
    contingency: pd.DataFrame
    matching: dict
    disagreements: pd.DataFrame
    excluded: pd.DataFrame
    assignments: pd.DataFrame
    notes: list[str]

    @property
    def resolved_multi_type(self) -> pd.DataFrame:
        """Rows of :attr:`assignments` for regions that carried several expert types.

        Examples
        --------
        >>> import pandas as pd
        >>> expert = pd.Series({"A": "W", "B": "W", "C": "E", "D": ("E", "W")})
        >>> report = agreement(expert, pd.Series({"A": 0, "B": 0, "C": 1, "D": 0}),
        ...                    n_permutations=0, n_bootstrap=0)
        >>> report.resolved_multi_type[["region_id", "expert_type", "resolution"]].values.tolist()
        [['D', 'W', 'matched on single-type alignment']]
        """
        many = self.assignments["expert_types"].map(len) > 1
        return self.assignments[many].reset_index(drop=True)

    def to_dict(self) -> dict:
        """JSON-ready summary (NaN becomes None, tables become lists of records).

        Examples
        --------
        >>> import json, pandas as pd
        >>> report = agreement(pd.Series({"A": "W", "B": "W", "C": "E"}),
        ...                    pd.Series({"A": 0, "B": 0, "C": 1}), n_permutations=9,
        ...                    n_bootstrap=0)
        >>> d = report.to_dict()
        >>> d["ari"], d["p_value"], d["ari_ci"], d["n_regions"]
        (1.0, 0.4, [None, None], 3)
        >>> json.loads(json.dumps(d, allow_nan=False))["matching"]
        {'0': 'W', '1': 'E'}
        """
        return _jsonable(
            {
                "ari": self.ari,
                "ami": self.ami,
                "nmi": self.nmi,
                "fmi": self.fmi,
                "v_measure": self.v_measure,
                "p_value": self.p_value,
                "p_values": self.p_values,
                "ari_ci": list(self.ari_ci),
                "ci_level": self.ci_level,
                "n_regions": self.n_regions,
                "n_permutations": self.n_permutations,
                "n_bootstrap": self.n_bootstrap,
                "n_types": int(self.contingency.shape[0]),
                "n_clusters": int(self.contingency.shape[1]),
                "matching": self.matching,
                "contingency": {
                    "expert_types": list(self.contingency.index),
                    "clusters": list(self.contingency.columns),
                    "counts": self.contingency.to_numpy().tolist(),
                },
                "disagreements": self.disagreements,
                "excluded": self.excluded,
                "resolved_multi_type": self.resolved_multi_type.assign(
                    expert_types=lambda f: f["expert_types"].map(list)
                ),
                "notes": list(self.notes),
            }
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per metric: ``metric, value, p_value, ci_low, ci_high, ci_level, n_regions``.

        Examples
        --------
        >>> import pandas as pd
        >>> report = agreement(pd.Series({"A": "W", "B": "W", "C": "E"}),
        ...                    pd.Series({"A": 0, "B": 0, "C": 1}), n_permutations=9,
        ...                    n_bootstrap=0)
        >>> report.to_frame()[["metric", "value", "p_value"]].head(2)
          metric  value  p_value
        0    ari    1.0      0.4
        1    ami    1.0      NaN
        """
        values = [self.ari, self.ami, self.nmi, self.fmi, self.v_measure]
        return pd.DataFrame(
            {
                "metric": list(METRICS),
                "value": values,
                "p_value": [self.p_values.get(m, math.nan) for m in METRICS],
                "ci_low": [self.ari_ci[0]] + [math.nan] * 4,
                "ci_high": [self.ari_ci[1]] + [math.nan] * 4,
                "ci_level": [self.ci_level] + [math.nan] * 4,
                "n_regions": self.n_regions,
            }
        )


def agreement(
    expert: pd.Series | Mapping,
    clusters: pd.Series | Mapping,
    *,
    n_permutations: int = 9999,
    n_bootstrap: int = 2000,
    random_state: int | np.random.SeedSequence | None = 0,
    multi_type: Literal["best_match", "exclude"] = "best_match",
    p_value_metrics: Sequence[str] = ("ari",),
    ci_level: float = 0.95,
    batch_size: int = 1000,
    n_jobs: int | None = None,
) -> AgreementReport:
    """Compare an expert typology with data clusters on the regions both assign.

    **Regions.** A region is evaluated when it is in both Series with an expert type (not
    NaN, not an empty string or tuple) and a cluster label (not NaN). Every other region is
    listed in ``excluded`` with the reason. Evaluated regions keep the order of ``expert``.

    **Several types per region.** Segment-level typologies may give a region two types. The
    metrics need one, so with ``multi_type="best_match"`` the type is chosen as follows:

    1. align types and clusters with the Hungarian method on the single-type regions only; a
       region whose cluster is aligned to one of its types takes that type;
    2. for the regions still open, align again on all regions, where a chosen region counts 1
       for its type and an open region with k types counts 1/k for each; a region whose
       cluster is now aligned to one of its types takes that type;
    3. otherwise the region takes its first listed type (it then disagrees).

    The choice and the step that made it are in ``assignments`` (``resolution``) and
    ``resolved_multi_type``, and summarised in ``notes``. Because the chosen type is the one
    the data agree with where possible, best_match errs towards agreement; use
    ``multi_type="exclude"`` to leave such regions out instead.

    **Alignment.** The final contingency table (expert types x clusters) is aligned with
    ``scipy.optimize.linear_sum_assignment``, maximising the number of regions on aligned
    pairs; pairs with no region in common are not aligned. Ties go to the first type and
    cluster in sorted order. A region disagrees when its cluster is aligned to a type that is
    not one of its expert types, or to none ("unmatched cluster N").

    **Permutation p-value.** Cluster labels are shuffled over the evaluated regions (sizes of
    both partitions fixed, as in Qannari et al. 2014); ``p = (b + 1) / (m + 1)`` where b of
    the m shuffles reach at least the observed ARI, so p is never 0 and never below
    ``1 / (m + 1)``. With fixed sizes FMI is an increasing function of the same pair count as
    ARI, and AMI, NMI and V-measure of the mutual information, so ``p_value_metrics`` may ask
    for any of them at no extra cost: ``fmi`` gets the ARI's p-value, the three MI-based
    metrics share the p-value of the mutual information.

    **Bootstrap interval.** Regions are drawn n times with replacement and the ARI is
    computed on the drawn (type, cluster) pairs, a region drawn twice counting as two
    regions but the pairs formed by copies of one region left out (they agree under any two
    partitions and would lean every resampled ARI upwards). With 12 regions read the interval
    as a rough range, not a guarantee. The interval is the ``(1 - ci_level) / 2`` and
    ``(1 + ci_level) / 2`` quantiles.

    Parameters
    ----------
    expert : Series or mapping
        region_id -> type, or -> tuple/list of types. Missing or empty means unassigned.
    clusters : Series or mapping
        region_id -> cluster label (any hashable; NaN means unassigned). Every label is a
        cluster, HDBSCAN's noise label -1 included: drop those regions first if needed.
    n_permutations : int
        Monte Carlo shuffles for the p-value; 0 skips the test (p-value NaN).
    n_bootstrap : int
        Bootstrap resamples for ``ari_ci``; 0 skips it (interval NaN).
    random_state : int, SeedSequence or None
        Root seed; permutations and bootstrap draw from two children of
        ``SeedSequence(random_state)``, each split into blocks of 1000 replicates.
    multi_type : {"best_match", "exclude"}
        What to do with regions that carry several expert types.
    p_value_metrics : sequence of str
        Metrics, among ``METRICS``, that get a permutation p-value (``'ari'`` always does).
    ci_level : float
        Coverage of the bootstrap interval, in (0, 1).
    batch_size : int
        Replicates computed together; does not change the result.
    n_jobs : int, optional
        joblib workers over batches; ``None`` follows ``joblib.parallel_config``.

    Returns
    -------
    AgreementReport

    Examples
    --------
    >>> import pandas as pd
    >>> expert = pd.Series({"RU-AST": "West", "RU-VGG": "West", "RU-SAR": "West",
    ...                     "RU-OMS": "East", "RU-NVS": "East", "RU-ALT": "East"})
    >>> clusters = pd.Series({"RU-AST": 0, "RU-VGG": 0, "RU-SAR": 1,
    ...                       "RU-OMS": 1, "RU-NVS": 1, "RU-ALT": 1})
    >>> report = agreement(expert, clusters, n_permutations=999, n_bootstrap=200)
    >>> round(report.ari, 4), report.matching
    (0.3243, {0: 'West', 1: 'East'})
    >>> report.disagreements.loc[0, ["region_id", "data_type", "reason"]].tolist()
    ['RU-SAR', 'East', "cluster 1 is matched to 'East'; expert says 'West'"]
    >>> report.contingency  # doctest: +NORMALIZE_WHITESPACE
    cluster      0  1
    expert_type
    West         2  1
    East         0  3
    """
    expert = _as_series(expert, "expert")
    clusters = _as_series(clusters, "clusters")
    n_permutations = _count_int(n_permutations, "n_permutations")
    n_bootstrap = _count_int(n_bootstrap, "n_bootstrap")
    if _count_int(batch_size, "batch_size") < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if multi_type not in MULTI_TYPE_RULES:
        raise ValueError(f"multi_type must be one of {MULTI_TYPE_RULES}, got {multi_type!r}")
    if isinstance(p_value_metrics, str):
        p_value_metrics = (p_value_metrics,)
    unknown = [m for m in p_value_metrics if m not in METRICS]
    if unknown:
        raise ValueError(f"p_value_metrics must be among {METRICS}, got {unknown}")
    if not (isinstance(ci_level, (int, float)) and 0 < ci_level < 1):
        raise ValueError(f"ci_level must be in (0, 1), got {ci_level!r}")
    permutation_seed, bootstrap_seed = _seed(random_state).spawn(2)

    # ---- which regions are evaluated, and why the others are not
    types_of = {r: _expert_types(r, v) for r, v in expert.items()}
    label_of = {r: _cluster_label(r, v) for r, v in clusters.items()}
    regions: list = []
    excluded: list[tuple[Any, str]] = []
    for region in list(expert.index) + [r for r in clusters.index if r not in types_of]:
        reasons = []
        if region not in types_of:
            reasons.append("not in the expert typology")
        elif not types_of[region]:
            reasons.append("no expert type")
        if region not in label_of:
            reasons.append("no cluster label (absent from clusters)")
        elif label_of[region] is None:
            reasons.append("no cluster label (missing value)")
        if not reasons and multi_type == "exclude" and len(types_of[region]) > 1:
            reasons.append(
                f"several expert types ({_quote(types_of[region])}) and multi_type='exclude'"
            )
        if reasons:
            excluded.append((region, "; ".join(reasons)))
        else:
            regions.append(region)
    n = len(regions)
    if n < 2:
        raise ValueError(
            f"agreement needs at least 2 regions with an expert type and a cluster label, got {n}"
        )
    cluster_of = {r: label_of[r] for r in regions}

    # ---- one type per region, then the aligned table
    resolved, how = _resolve_multi_type(regions, types_of, cluster_of)
    expert_labels = [resolved[r] for r in regions]
    cluster_labels = [cluster_of[r] for r in regions]
    contingency, matching = _aligned_table(expert_labels, cluster_labels)

    rows, disagreeing = [], []
    for region in regions:
        cluster = cluster_of[region]
        matched = matching.get(cluster)
        data_type = matched if matched is not None else f"unmatched cluster {cluster}"
        agrees = matched is not None and matched in types_of[region]
        rows.append(
            (region, types_of[region], resolved[region], how[region], cluster, data_type, agrees)
        )
        if not agrees:
            said = _quote(types_of[region])
            reason = (
                f"cluster {cluster} is matched to '{matched}'; expert says {said}"
                if matched is not None
                else f"cluster {cluster} is matched to no expert type; expert says {said}"
            )
            disagreeing.append((region, _type_text(types_of[region]), data_type, reason, cluster))
    assignments = pd.DataFrame(
        rows,
        columns=[
            "region_id",
            "expert_types",
            "expert_type",
            "resolution",
            "cluster",
            "data_type",
            "agrees",
        ],
    )
    disagreements = pd.DataFrame(
        disagreeing, columns=["region_id", "expert_type", "data_type", "reason", "cluster"]
    )

    # ---- metrics on integer codes (labels may mix types)
    true_codes = _factorize(np.array(expert_labels, dtype=object), "expert types")
    pred_codes = _factorize(np.array(cluster_labels, dtype=object), "cluster labels")
    ari = float(skm.adjusted_rand_score(true_codes, pred_codes))
    ami = float(skm.adjusted_mutual_info_score(true_codes, pred_codes))
    nmi = float(skm.normalized_mutual_info_score(true_codes, pred_codes))
    fmi = float(skm.fowlkes_mallows_score(true_codes, pred_codes))
    v_measure = float(skm.v_measure_score(true_codes, pred_codes))

    # ---- permutation test
    p_values: dict[str, float] = {}
    p_value = math.nan
    if n_permutations:
        with_mi = any(m in p_value_metrics for m in ("ami", "nmi", "v_measure"))
        parts = _run_batches(
            _permutation_batch,
            n_permutations,
            batch_size,
            n_jobs,
            _seed_blocks(permutation_seed, n_permutations),
            true_codes,
            pred_codes,
            with_mi,
        )
        # The observed value goes through the same code as the null, so equal tables tie.
        null_ari = np.concatenate([a for a, _ in parts])
        observed_ari = _ari_codes(true_codes, pred_codes[None, :])[0]
        p_value = float((1 + np.count_nonzero(null_ari >= observed_ari)) / (n_permutations + 1))
        p_values["ari"] = p_value
        if "fmi" in p_value_metrics:
            p_values["fmi"] = p_value
        if with_mi:
            null_mi = np.concatenate([m for _, m in parts])
            k_true, k_pred = int(true_codes.max()) + 1, int(pred_codes.max()) + 1
            observed_mi = _mutual_info_codes(true_codes, pred_codes[None, :], k_true, k_pred)[0]
            b = np.count_nonzero(null_mi >= observed_mi - _MI_TIE_TOL)
            for metric in ("ami", "nmi", "v_measure"):
                if metric in p_value_metrics:
                    p_values[metric] = float((1 + b) / (n_permutations + 1))

    # ---- bootstrap interval of the ARI
    ari_ci = (math.nan, math.nan)
    if n_bootstrap:
        boot = np.concatenate(
            _run_batches(
                _bootstrap_batch,
                n_bootstrap,
                batch_size,
                n_jobs,
                _seed_blocks(bootstrap_seed, n_bootstrap),
                true_codes,
                pred_codes,
            )
        )
        lo, hi = np.quantile(boot, [(1 - ci_level) / 2, (1 + ci_level) / 2])
        ari_ci = (float(lo), float(hi))

    notes = _notes(n, excluded, assignments, contingency, matching, n_permutations)
    return AgreementReport(
        ari=ari,
        ami=ami,
        nmi=nmi,
        fmi=fmi,
        v_measure=v_measure,
        p_value=p_value,
        p_values=p_values,
        ari_ci=ari_ci,
        ci_level=float(ci_level),
        n_regions=n,
        n_permutations=n_permutations,
        n_bootstrap=n_bootstrap,
        contingency=contingency,
        matching=matching,
        disagreements=disagreements,
        excluded=pd.DataFrame(excluded, columns=["region_id", "reason"]),
        assignments=assignments,
        notes=notes,
    )


def _notes(n, excluded, assignments, contingency, matching, n_permutations) -> list[str]:
    notes = []
    if n < _SMALL_N:
        notes.append(f"n = {n} regions: agreement figures are fragile; read the contingency table")
    n_clusters = contingency.shape[1]
    if n_clusters > n / 3:
        notes.append(
            f"{n_clusters} clusters for {n} regions (more than n/3): clusters are tiny and "
            "agreement is easy to reach or to miss by one region"
        )
    if excluded:
        notes.append(f"{len(excluded)} region(s) left out of the evaluation: see `excluded`")
    multi = assignments[assignments["resolution"] != _SINGLE]
    if len(multi):
        listed = ", ".join(
            f"{r.region_id} -> '{r.expert_type}' ({r.resolution})" for r in multi.itertuples()
        )
        notes.append(f"{len(multi)} region(s) with several expert types resolved: {listed}")
    loose_clusters = [c for c in contingency.columns if c not in matching]
    if loose_clusters:
        notes.append("cluster(s) matched to no expert type: " + ", ".join(map(str, loose_clusters)))
    loose_types = [t for t in contingency.index if t not in matching.values()]
    if loose_types:
        notes.append("expert type(s) matched to no cluster: " + _quote(loose_types))
    if n_permutations:
        notes.append(
            f"p-value from {n_permutations} random relabellings with cluster sizes fixed; "
            f"the smallest attainable is {1 / (n_permutations + 1):.2g}"
        )
    return notes


# --------------------------------------------------------------------------------------------
# expert vs expert, and assertions for CI
# --------------------------------------------------------------------------------------------


def expert_ceiling(typologies: Mapping[str, pd.Series], **kw: Any) -> pd.DataFrame:
    """Pairwise agreement between expert typologies: the ceiling for model-expert agreement.

    Two experts typing the same regions rarely agree perfectly; data clusters cannot be
    expected to agree with one expert better than a second expert does. Every unordered pair
    of typologies, in the order given, is compared with :func:`agreement`, the first as the
    expert and the second in the place of the clusters. Regions with several types in the
    second typology cannot stand in for a single cluster label and are left out of that pair
    (counted in ``n_excluded``); those of the first follow ``multi_type``.

    Parameters
    ----------
    typologies : mapping of str to Series
        Name -> typology (region_id -> type or tuple of types). At least two.
    **kw
        Passed to :func:`agreement` (``n_permutations``, ``n_bootstrap``, ``random_state``,
        ``multi_type``, ...).

    Returns
    -------
    DataFrame
        One row per pair: ``typology_a, typology_b, n_regions, ari, ari_ci_low, ari_ci_high,
        ami, nmi, fmi, v_measure, p_value, n_excluded``.

    Examples
    --------
    >>> import pandas as pd
    >>> zoning = pd.Series({"A": "West", "B": "West", "C": "East", "D": "East"})
    >>> levels = pd.Series({"A": "high", "B": "low", "C": "low", "D": "low"})
    >>> table = expert_ceiling({"zoning": zoning, "levels": levels, "same": zoning},
    ...                        n_permutations=99, n_bootstrap=0)
    >>> table[["typology_a", "typology_b", "n_regions", "ari"]].round(3)
      typology_a typology_b  n_regions  ari
    0     zoning     levels          4  0.0
    1     zoning       same          4  1.0
    2     levels       same          4  0.0
    """
    if not isinstance(typologies, Mapping) or len(typologies) < 2:
        raise ValueError("expert_ceiling needs a mapping of at least two named typologies")
    names = list(typologies)
    rows = []
    for i, name_a in enumerate(names):
        for name_b in names[i + 1 :]:
            second = _as_series(typologies[name_b], f"typology {name_b!r}")
            types = {r: _expert_types(r, v) for r, v in second.items()}
            as_labels = pd.Series({r: t[0] for r, t in types.items() if len(t) == 1}, dtype=object)
            report = agreement(typologies[name_a], as_labels, **kw)
            rows.append(
                {
                    "typology_a": name_a,
                    "typology_b": name_b,
                    "n_regions": report.n_regions,
                    "ari": report.ari,
                    "ari_ci_low": report.ari_ci[0],
                    "ari_ci_high": report.ari_ci[1],
                    "ami": report.ami,
                    "nmi": report.nmi,
                    "fmi": report.fmi,
                    "v_measure": report.v_measure,
                    "p_value": report.p_value,
                    # Regions dropped from the second typology are absent from the labels, so
                    # the report already counts them.
                    "n_excluded": len(report.excluded),
                }
            )
    return pd.DataFrame(rows)


def assert_agreement(
    report_or_expert: AgreementReport | pd.Series | Mapping,
    clusters: pd.Series | Mapping | None = None,
    *,
    min_ari: float | None = None,
    max_p: float | None = None,
    **kw: Any,
) -> AgreementReport:
    """Fail loudly when agreement with the expert typology drops below an agreed level.

    Meant for a retraining CI: ``assert_agreement(expert, new_clusters, min_ari=0.4,
    max_p=0.05)`` passes silently (returning the report) or raises
    :class:`AgreementAssertionError`, an ``AssertionError``, so pytest shows it as a failed
    test.

    Parameters
    ----------
    report_or_expert : AgreementReport or Series or mapping
        A finished report, or the expert typology (then ``clusters`` is required).
    clusters : Series or mapping, optional
        Cluster labels, when ``report_or_expert`` is a typology.
    min_ari : float, optional
        Fail when ``ARI < min_ari``.
    max_p : float, optional
        Fail when the ARI's permutation p-value exceeds ``max_p``.
    **kw
        Passed to :func:`agreement` when a typology is given.

    Returns
    -------
    AgreementReport

    Raises
    ------
    AgreementAssertionError
        One line naming every failed criterion with the figures.

    Examples
    --------
    >>> import pandas as pd
    >>> expert = pd.Series({"A": "W", "B": "W", "C": "W", "D": "E", "E": "E", "F": "E"})
    >>> clusters = pd.Series({"A": 0, "B": 0, "C": 1, "D": 1, "E": 1, "F": 1})
    >>> assert_agreement(expert, clusters, min_ari=0.2, n_permutations=99).ari > 0.2
    True
    >>> assert_agreement(expert, clusters, min_ari=0.5, n_permutations=99, n_bootstrap=0)
    ... # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    border_readiness.clustering.agreement.AgreementAssertionError: agreement check failed: ARI =
    0.324 < ...
    """
    if min_ari is None and max_p is None:
        raise ValueError("assert_agreement needs min_ari and/or max_p")
    if min_ari is not None and not (isinstance(min_ari, (int, float)) and -1 <= min_ari <= 1):
        raise ValueError(f"min_ari must be a number in [-1, 1], got {min_ari!r}")
    if max_p is not None and not (isinstance(max_p, (int, float)) and 0 < max_p <= 1):
        raise ValueError(f"max_p must be a number in (0, 1], got {max_p!r}")
    if isinstance(report_or_expert, AgreementReport):
        if clusters is not None or kw:
            raise TypeError("pass either a finished AgreementReport or expert and clusters")
        report = report_or_expert
    else:
        if clusters is None:
            raise TypeError("clusters is required when report_or_expert is an expert typology")
        report = agreement(report_or_expert, clusters, **kw)
    if max_p is not None:
        if report.n_permutations == 0:
            raise ValueError("max_p needs a p-value: run agreement with n_permutations > 0")
        if max_p < 1 / (report.n_permutations + 1):
            raise ValueError(
                f"max_p = {max_p:g} cannot be reached with {report.n_permutations} "
                f"permutations (smallest p is {1 / (report.n_permutations + 1):.2g})"
            )
    failed = []
    if min_ari is not None and not report.ari >= min_ari:
        failed.append(f"ARI = {report.ari:.3g} < min_ari = {min_ari:g}")
    if max_p is not None and not report.p_value <= max_p:
        failed.append(f"p = {report.p_value:.3g} > max_p = {max_p:g}")
    if failed:
        lo, hi = report.ari_ci
        figures = f"n = {report.n_regions} regions, p = {report.p_value:.3g}"
        if not math.isnan(lo):
            figures += f", {report.ci_level:.0%} CI [{lo:.3g}, {hi:.3g}]"
        raise AgreementAssertionError(f"agreement check failed: {'; '.join(failed)} ({figures})")
    return report
