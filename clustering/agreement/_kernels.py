"""Vectorised agreement kernels: ARI and mutual information over many labellings at once.

Pair counts come from counting label pairs (``bincount``) or, for sparse codes, from sorted
runs, so thousands of permuted or resampled labellings cost milliseconds. The permutation and
bootstrap batches draw their random numbers per fixed block of replicates (see
:func:`_uniform_rows`), so any batching gives the same numbers; they run through
:func:`border_readiness.features._parallel.run_ordered`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from border_readiness.features._parallel import batch_slices, run_ordered, seed_blocks

# Replicates draw their random numbers in blocks of this many, each block from its own child
# SeedSequence, so that replicate r depends only on (random_state, r) and never on batch_size
# or on how batches are spread over workers.
_SEED_BLOCK = 1000
# Mutual information is a float sum; a permuted table equal in value to the observed one may
# differ in the last bits, and a tie must count as "at least as large".
_MI_TIE_TOL = 1e-12


def _sum_squared_counts(codes: np.ndarray) -> np.ndarray:
    """Sum over distinct values of (count of the value)^2, for each row of an integer matrix.

    Codes are non-negative. With few distinct values per row (labels, pairs of labels, the
    indices of a bootstrap sample) they are counted directly (``bincount``, linear in the
    size); otherwise by sorting (:func:`_sum_squared_counts_sorted`). Both are exact integer
    sums, so they give the same numbers.
    """
    m = codes.shape[0]
    width = int(codes.max(initial=0)) + 1
    if m * width > 4 * codes.size:
        return _sum_squared_counts_sorted(codes)
    flat = (np.arange(m, dtype=np.int64)[:, None] * width + codes).ravel()
    counts = np.bincount(flat, minlength=m * width).reshape(m, width)
    return (counts * counts).sum(axis=1, dtype=np.int64)


def _sum_squared_counts_sorted(codes: np.ndarray) -> np.ndarray:
    """:func:`_sum_squared_counts` by sorting, for codes too sparse to count in a table.

    Sorting each row puts equal values in runs; a run of length L contributes
    1 + 3 + ... + (2L - 1) = L^2 when every element adds 2 * (its offset in the run) + 1.
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
    # n_jobs=None defers to the caller's joblib.parallel_config (backend and workers).
    tasks = [(s.start, s.stop, *args) for s in batch_slices(n_total, batch_size)]
    return run_ordered(task, tasks, n_jobs=n_jobs)


def _seed_blocks(seed: np.random.SeedSequence, n_replicates: int):
    return seed_blocks(seed, n_replicates, _SEED_BLOCK)
