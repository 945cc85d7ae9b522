"""Chunked memory for scale (issue 13 item 5): every chunked path equals the unchunked one.

Each test forces a tiny byte budget (so the work is cut into many chunks) and compares with a
budget large enough for one chunk, and where possible with a reference written out here by
hand (pair loops in plain Python), never with the code's own earlier output. The data are
small synthetic arrays generated in the tests.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest

from border_readiness.clustering.stability import (
    _chunks,
    bootstrap_jaccard,
    consensus,
    kmeans_batched,
)
from border_readiness.clustering.stability import bootstrap as bootstrap_module
from border_readiness.features._parallel import run_ordered
from border_readiness.features.composite import _copeland, _engine, aggregate, monte_carlo_ranks
from border_readiness.features.composite import contributions as composite_contributions


def _reference_copeland(V, w, R):
    """Wins minus losses by two plain loops over the pairs (the definition, nothing shared)."""
    out = []
    for a in V:
        score = 0
        for b in R:
            margin = sum(
                wi * np.sign(x - y)
                for wi, x, y in zip(w, a, b, strict=True)
                if not (np.isnan(x) or np.isnan(y))
            )
            if abs(margin) > 1e-12 * sum(w):
                score += 1 if margin > 0 else -1
        out.append(float(score))
    return np.array(out)


def _indicators(n, m, seed, missing=0.1, ties=True):
    rng = np.random.default_rng(seed)
    V = rng.integers(0, 5, size=(n, m)).astype(float) if ties else rng.normal(size=(n, m))
    V[rng.random((n, m)) < missing] = np.nan
    return V


@pytest.mark.parametrize("with_reference", [False, True])
def test_copeland_scores_in_row_chunks_equal_the_pair_loop(monkeypatch, with_reference):
    V = _indicators(13, 4, seed=1)  # integer values: many tied indicators; some missing
    R = _indicators(7, 4, seed=2) if with_reference else None
    w = np.array([1 / 3, 1 / 3, 1 / 6, 1 / 6])  # exact ties come out as round-off here
    expected = _reference_copeland(V, w, V if R is None else R)
    monkeypatch.setattr(_copeland, "_ROW_BUDGET", 1)  # one row per chunk
    assert _copeland._row_step(13, 4) == 1
    one_row = _copeland.copeland_scores(V, w, R)
    monkeypatch.setattr(_copeland, "_ROW_BUDGET", 2**40)  # every row in one chunk
    whole = _copeland.copeland_scores(V, w, R)
    np.testing.assert_array_equal(one_row, expected)
    np.testing.assert_array_equal(whole, expected)


def test_copeland_contributions_in_row_chunks_equal_one_chunk_and_sum_to_scores(monkeypatch):
    V, R = _indicators(11, 3, seed=3), _indicators(6, 3, seed=4)
    w = np.array([0.5, 0.3, 0.2])
    monkeypatch.setattr(_copeland, "_ROW_BUDGET", 8 * 6 * 7 * 3)  # three rows per chunk
    assert _copeland._row_step(6, 3) == 3
    chunked = _copeland.copeland_contributions(V, w, R)
    monkeypatch.setattr(_copeland, "_ROW_BUDGET", 2**40)
    whole = _copeland.copeland_contributions(V, w, R)
    np.testing.assert_array_equal(chunked, whole)
    np.testing.assert_allclose(chunked.sum(axis=1), _reference_copeland(V, w, R), atol=1e-12)


def test_public_copeland_aggregate_and_contributions_do_not_depend_on_the_chunks(monkeypatch):
    rng = np.random.default_rng(5)
    Xn = pd.DataFrame(rng.integers(0, 4, size=(15, 4)).astype(float), columns=list("abcd"))
    w, g = dict.fromkeys("abcd", 1.0), {"a": "t", "b": "t", "c": "s", "d": "s"}
    monkeypatch.setattr(_copeland, "_ROW_BUDGET", 1)
    small = aggregate(Xn, w, g, "copeland"), composite_contributions(Xn, w, g, "copeland")
    monkeypatch.setattr(_copeland, "_ROW_BUDGET", 2**40)
    large = aggregate(Xn, w, g, "copeland"), composite_contributions(Xn, w, g, "copeland")
    pd.testing.assert_frame_equal(small[0], large[0])
    pd.testing.assert_frame_equal(small[1], large[1])
    values = Xn[["a", "b"]].to_numpy()
    np.testing.assert_array_equal(
        small[0]["t"].to_numpy(), _reference_copeland(values, [0.5, 0.5], values)
    )


def test_copeland_scoring_memory_stays_linear_in_the_rows(monkeypatch):
    # 2000 regions x 10 indicators: the dense sign tensor alone would be 2000^2 x 10 x 8 bytes
    # = 320 MB (and its differences as much again); in 4 MB row chunks the peak stays near
    # the chunk, whatever the number of rows.
    rng = np.random.default_rng(6)
    V, w = rng.normal(size=(2000, 10)), np.full(10, 0.1)
    monkeypatch.setattr(_copeland, "_ROW_BUDGET", 4 * 2**20)
    tracemalloc.start()
    try:
        scores = _copeland.copeland_scores(V, w)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20
    np.testing.assert_array_equal(scores[:4], _reference_copeland(V[:4], w, V))


def _mc(**kw):
    rng = np.random.default_rng(7)
    X = pd.DataFrame(rng.lognormal(size=(10, 5)), columns=list("abcde"))
    groups = {"a": "t", "b": "t", "c": "t", "d": "s", "e": "s"}
    return monte_carlo_ranks(
        X,
        dict.fromkeys("abcde", 1),
        groups,
        n_replicates=60,
        normalisations=("minmax", "rank", "zscore"),
        weightings=("equal", "pca"),
        **kw,
    ).ranks


def test_monte_carlo_copeland_row_chunks_equal_the_cached_whole_signs(monkeypatch):
    kw = {"aggregations": ("arithmetic", "geometric", "copeland"), "batch_size": 25}
    monkeypatch.setattr(_engine, "_COPELAND_BUDGET", 2**40)  # whole signs, cached
    whole = _mc(**kw)
    # 10 regions x 10 reference x 3 indicators x 8 bytes = 2400 > budget: two rows per chunk
    monkeypatch.setattr(_engine, "_COPELAND_BUDGET", 8 * 10 * 7 * 2)
    assert _copeland._row_step(10, 3, _engine._COPELAND_BUDGET) == 2
    chunked = _mc(**kw)
    np.testing.assert_array_equal(chunked, whole)


def test_monte_carlo_sub_batches_equal_one_batch(monkeypatch):
    kw = {"aggregations": ("arithmetic", "geometric", "copeland"), "batch_size": 60}
    monkeypatch.setattr(_engine, "_BATCH_BUDGET", 2**40)
    whole = _mc(**kw)
    monkeypatch.setattr(_engine, "_BATCH_BUDGET", 1)  # one replicate per sub-batch
    single = _mc(**kw)
    np.testing.assert_array_equal(single, whole)
    assert np.all(whole >= 1) and np.all(whole <= 10)


def test_run_ordered_collect_hands_over_each_result_in_order():
    seen = []
    out = run_ordered(
        pow, [(2, i) for i in range(6)], n_jobs=2, collect=lambda i, r: seen.append((i, r))
    )
    assert out == [] and seen == [(i, 2**i) for i in range(6)]
    serial = []
    run_ordered(pow, [(3, 1), (3, 2)], n_jobs=1, collect=lambda i, r: serial.append(r))
    assert serial == [3, 9]


def test_kmeans_in_sub_batches_equals_one_call():
    rng = np.random.default_rng(8)
    X = np.vstack([rng.normal(c, 0.7, (15, 3)) for c in (0, 3, 6)])
    weights = (rng.random((7, 45)) < 0.8).astype(float)
    seeds = np.random.SeedSequence(1).spawn(7)
    one = kmeans_batched(
        np.broadcast_to(X, (7, 45, 3)),
        3,
        n_init=4,
        max_iter=30,
        rng=[np.random.default_rng(s) for s in seeds],
        sample_weight=weights,
    )
    for budget in (1, 3 * (8 * 45 * 4 * 14 + 45 * 3)):  # one replicate per call; three per call
        chunked = _chunks.kmeans_chunked(
            X,
            3,
            n_init=4,
            max_iter=30,
            rng=[np.random.default_rng(s) for s in seeds],
            sample_weight=weights,
            budget=budget,
        )
        np.testing.assert_array_equal(chunked, one)


def test_co_membership_in_sub_batches_counts_pairs_like_a_loop():
    rng = np.random.default_rng(9)
    labels = rng.integers(-1, 3, size=(9, 6))
    expected = np.zeros((6, 6))
    for row in labels:
        for i in range(6):
            for j in range(6):
                expected[i, j] += row[i] >= 0 and row[i] == row[j]
    for budget in (1, 2**40):
        np.testing.assert_array_equal(_chunks.co_membership(labels, budget=budget), expected)


def test_consensus_matrices_in_place_and_upper_values():
    rng = np.random.default_rng(10)
    drawn = rng.integers(0, 3, size=(5, 5)).astype(float)
    together = np.minimum(rng.integers(0, 3, size=(2, 5, 5)).astype(float), drawn)
    expected = [
        [[t[i, j] / drawn[i, j] if drawn[i, j] > 0 else 0.0 for j in range(5)] for i in range(5)]
        for t in together
    ]
    got = _chunks.consensus_matrices(together, drawn)
    np.testing.assert_array_equal(np.array(got), np.array(expected))
    assert got[0].base is together or got[0].base is together.base  # no second copy
    values = [expected[0][i][j] for i in range(5) for j in range(i + 1, 5)]
    np.testing.assert_array_equal(_chunks.upper_values(got[0]), sorted(values))


def _blobs():
    rng = np.random.default_rng(11)
    return np.vstack([rng.normal(c, 0.8, (12, 2)) for c in (0, 3, 6)])


def test_consensus_with_tiny_budgets_equals_one_chunk(monkeypatch):
    X = _blobs()
    kw = {"k_range": range(2, 5), "reps": 30, "n_init": 3, "batch_size": 7}
    monkeypatch.setattr(_chunks, "FIT_BUDGET", 2**40)
    whole = consensus(X, **kw)
    monkeypatch.setattr(_chunks, "FIT_BUDGET", 1)  # one replicate per fit and per product
    tiny = consensus(X, **kw, n_jobs=2)
    for k in whole.k_range:
        np.testing.assert_array_equal(tiny.matrices[k], whole.matrices[k])
    pd.testing.assert_series_equal(tiny.pac, whole.pac)
    pd.testing.assert_frame_equal(tiny.cdf, whole.cdf)
    one_batch = consensus(X, **{**kw, "batch_size": 30})
    np.testing.assert_array_equal(one_batch.matrices[3], whole.matrices[3])


def test_bootstrap_with_tiny_budgets_equals_one_chunk(monkeypatch):
    X = _blobs()
    kw = {"k": 3, "B": 25, "n_init": 3, "batch_size": 10}
    for module in (_chunks, bootstrap_module):
        monkeypatch.setattr(module, "FIT_BUDGET", 2**40)
    whole = bootstrap_jaccard(X, **kw)
    for module in (_chunks, bootstrap_module):
        monkeypatch.setattr(module, "FIT_BUDGET", 1)  # one replicate per batch and per fit
    tiny = bootstrap_jaccard(X, **kw)
    np.testing.assert_array_equal(tiny.jaccard, whole.jaccard)
    pd.testing.assert_series_equal(tiny.membership_confidence, whole.membership_confidence)
    assert whole.jaccard.shape == (25, 3)


def test_budgets_bound_the_chunks():
    for n, d, k, s in [(100, 30, 5, 10), (10_000, 30, 5, 10), (100_000, 30, 8, 10)]:
        step = _chunks.fit_chunk(n, d, k, s)
        assert step >= 1
        # Uniforms of every start (n per start at most) and their copy, weights, labels, and
        # the finiteness check's d bytes per point.
        assert step == 1 or step * (8 * n * (2 * s + 2) + n * d) <= _chunks.FIT_BUDGET
    for R, m in [(10, 3), (10_000, 10), (100_000, 10)]:
        rows = _copeland._row_step(R, m)
        assert rows == 1 or rows * 8 * R * (2 * m + 1) <= _copeland._ROW_BUDGET


def test_silhouette_in_row_chunks_equals_whole_and_sklearn(monkeypatch):
    from sklearn.metrics import silhouette_score

    from border_readiness.clustering import structure

    rng = np.random.default_rng(12)
    Xb = rng.normal(size=(4, 17, 3))
    labels = np.stack([rng.permutation(np.arange(17) % 3) for _ in range(4)])
    monkeypatch.setattr(structure, "_SILHOUETTE_BUDGET", 2**40)
    whole = structure.silhouette_batched(Xb, labels)
    monkeypatch.setattr(structure, "_SILHOUETTE_BUDGET", 1)  # one row per chunk
    chunked = structure.silhouette_batched(Xb, labels)
    np.testing.assert_array_equal(chunked, whole)
    reference = [silhouette_score(x, lab) for x, lab in zip(Xb, labels, strict=True)]
    np.testing.assert_allclose(chunked, reference, rtol=0, atol=1e-12)
