"""Hartigan-Wong k-means (AS 136): a hand-worked case, properties, R's own labels, the batch.

R itself is not needed: the R labels below are embedded, and
``benchmarks/check_hartigan_wong_r.py`` re-derives them (its data set ``reference-15``).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from sklearn.cluster import KMeans

from border_readiness.clustering.stability._hartigan_wong import (
    hartigan_wong,
    hartigan_wong_batched,
)


def _mixture(seed: int, n: int = 60, d: int = 3, centres: int = 5) -> np.ndarray:
    """Synthetic test data: overlapping Gaussian clusters (not statistics)."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(centres, d))[np.arange(n) % centres] + rng.normal(size=(n, d))


def _wss(X: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    return np.array([((X[labels == c] - X[labels == c].mean(0)) ** 2).sum() for c in range(k)])


CASES = [(seed, k) for seed in range(6) for k in (2, 3, 4, 6)]


def test_hand_worked_line_where_lloyd_stops_short():
    # Points 0, 1, 2, 3, 4, 6; initial centres 3 and 4. Nearest centre: {0, 1, 2, 3} (mean
    # 1.5) and {4, 6} (mean 5), WSS 5 + 2 = 7. Lloyd stops there: 3 is 1.5 from 1.5 and 2
    # from 5. Hartigan-Wong moves 3: removing it saves 4/3 * 1.5^2 = 3, adding it to {4, 6}
    # costs 2/3 * 2^2 = 8/3 < 3. Then {0, 1, 2} (mean 1, WSS 2) and {3, 4, 6} (mean 13/3,
    # WSS 16/9 + 1/9 + 25/9 = 14/3); no further move pays (4: saves 3/2 * 1/9, costs 3/4 * 9).
    # The five splits of the sorted line have WSS 14.8, 9.25, 20/3, 7 and 10: this is the
    # optimum.
    X = np.array([0.0, 1, 2, 3, 4, 6])[:, None]
    labels, wss, iterations, converged = hartigan_wong(X, X[[3, 4]])
    assert labels.tolist() == [0, 0, 0, 1, 1, 1]
    np.testing.assert_allclose(wss, [2.0, 14 / 3], rtol=1e-14)
    assert converged and iterations == 1  # k = 2: one optimal- and one quick-transfer stage
    lloyd = KMeans(2, init=X[[3, 4]], n_init=1, algorithm="lloyd").fit(X)
    assert lloyd.inertia_ == pytest.approx(7.0)  # the trap worked out above


# 15 points typed by hand, and R 4.2.2's answer to
#   x <- matrix(c(0,0, 1,0, 0,1, 5,5, 6,5, 5,6, 10,0, 11,1, 10,1, 2,2, 8,3, 3,8, 7,7, 1,9,
#                 9,9), ncol = 2, byrow = TRUE)
#   kmeans(x, centers = x[c(2, 3, 10), ], iter.max = m, algorithm = "Hartigan-Wong")
# printed with sprintf("%.17g", withinss), for m = 10 and m = 1 (the latter warns "did not
# converge in 1 iteration", ifault 2, iter 2). benchmarks/check_hartigan_wong_r.py runs the
# same call (data set reference-15, first start of k = 3). Lloyd from the same centres ends at
# WSS 123.78, so this start needs the transfer stages.
REFERENCE = np.array(
    [[0, 0], [1, 0], [0, 1], [5, 5], [6, 5], [5, 6], [10, 0], [11, 1], [10, 1], [2, 2],
     [8, 3], [3, 8], [7, 7], [1, 9], [9, 9]],
    dtype=float,
)  # fmt: skip
R_SEEDS = [1, 2, 9]  # x[c(2, 3, 10), ]
R_RESULTS = {
    10: ("1 1 1 2 2 2 3 3 3 1 3 2 2 2 2", [5.5, 58.857142857142854, 9.5], 3, True),
    1: ("1 1 1 2 2 2 3 3 3 2 3 2 2 2 2", [1.3333333333333335, 89.375, 9.5], 2, False),
}


@pytest.mark.parametrize("max_iter", sorted(R_RESULTS))
def test_reference_case_gives_rs_labels_wss_and_iter(max_iter):
    r_labels, r_wss, r_iter, r_converged = R_RESULTS[max_iter]
    labels, wss, iterations, converged = hartigan_wong(REFERENCE, REFERENCE[R_SEEDS], max_iter)
    assert (labels + 1).tolist() == [int(v) for v in r_labels.split()]
    assert wss.tolist() == r_wss  # bit for bit: the same arithmetic in the same order
    assert (iterations, converged) == (r_iter, r_converged)


@pytest.mark.parametrize(("seed", "k"), CASES)
def test_at_convergence_no_single_transfer_lowers_the_wss(seed, k):
    X = _mixture(seed)
    rng = np.random.default_rng(100 + seed)
    for _ in range(5):
        labels, wss, _, converged = hartigan_wong(X, X[rng.choice(len(X), k, replace=False)], 100)
        assert converged
        np.testing.assert_allclose(wss, _wss(X, labels, k), rtol=1e-12)
        sizes = np.bincount(labels, minlength=k)
        means = np.array([X[labels == c].mean(0) for c in range(k)])
        dist = ((X[:, None, :] - means[None]) ** 2).sum(-1)  # (n, k)
        own = labels
        # The exact change of the total WSS when point i leaves a for b.
        gain = sizes / (sizes + 1.0) * dist
        cost = sizes[own] / np.maximum(sizes[own] - 1.0, 1.0) * dist[np.arange(len(X)), own]
        delta = gain - cost[:, None]
        delta[np.arange(len(X)), own] = np.inf
        delta[sizes[own] == 1] = np.inf  # a singleton never moves (AS 136 keeps k clusters)
        assert delta.min() >= -1e-9 * wss.sum()


def test_the_transfer_check_can_fail():
    # The same brute force on Lloyd's trap in the hand-worked case finds the improving move.
    X = np.array([0.0, 1, 2, 3, 4, 6])[:, None]
    labels = np.array([0, 0, 0, 0, 1, 1])
    sizes = np.bincount(labels)
    means = np.array([[1.5], [5.0]])
    gain = sizes[1] / (sizes[1] + 1) * (X[3, 0] - means[1, 0]) ** 2
    cost = sizes[0] / (sizes[0] - 1) * (X[3, 0] - means[0, 0]) ** 2
    assert gain - cost == pytest.approx(8 / 3 - 3)
    assert _wss(X, labels, 2).sum() + (gain - cost) == pytest.approx(20 / 3)  # 7 - 1/3


@pytest.mark.parametrize(("seed", "k"), CASES)
def test_never_above_lloyd_when_started_where_lloyd_ends(seed, k):
    # From Lloyd's fixed point, the first assignment is Lloyd's partition and every transfer
    # lowers the WSS, so Hartigan-Wong cannot end higher. (From the same start it can: on
    # these mixtures it ends above Lloyd in about 5 % of starts, another local optimum.)
    X = _mixture(seed)
    rng = np.random.default_rng(200 + seed)
    for _ in range(5):
        start = X[rng.choice(len(X), k, replace=False)]
        lloyd = KMeans(k, init=start, n_init=1, algorithm="lloyd", max_iter=1000, tol=0).fit(X)
        _, wss, _, _ = hartigan_wong(X, lloyd.cluster_centers_, 100)
        assert wss.sum() <= lloyd.inertia_ * (1 + 1e-12)


def test_batch_gives_each_data_set_its_result_alone():
    sets = np.stack([_mixture(seed, n=40) for seed in range(7)])
    rng = np.random.default_rng(3)
    seeds = np.array([rng.choice(40, 4, replace=False) for _ in range(len(sets))])
    labels, wss, iterations, converged = hartigan_wong_batched(sets, seeds, 10)
    for b in range(len(sets)):
        alone = hartigan_wong(sets[b], sets[b][seeds[b]], 10)
        assert labels[b].tolist() == alone[0].tolist()
        assert wss[b].tolist() == alone[1].tolist()
        assert (iterations[b], converged[b]) == alone[2:]
    # The same data set inside another batch, at another position.
    again = hartigan_wong_batched(sets[[5, 2]], seeds[[5, 2]], 10)
    assert np.array_equal(again[0][1], labels[2]) and np.array_equal(again[1][0], wss[5])


def test_bad_starts_are_refused_as_r_refuses_them():
    X = np.array([0.0, 1, 2, 3])[:, None]
    with pytest.raises(ValueError, match="not distinct"):
        hartigan_wong(X, X[[1, 1]])
    with pytest.raises(ValueError, match="between 2 and n - 1"):
        hartigan_wong(X, X)
    with pytest.raises(ValueError, match="empty cluster"):
        hartigan_wong(X, np.array([[0.0], [100.0]]))  # no point is nearest to 100
    with pytest.raises(ValueError, match="data set 1: initial centres are not distinct"):
        hartigan_wong_batched(np.stack([X, np.zeros_like(X)]), np.array([[0, 1], [0, 1]]))
    with pytest.raises(ValueError, match="finite"):
        hartigan_wong(np.array([0.0, np.nan, 2, 3])[:, None], X[[0, 3]])
    with pytest.raises(ValueError, match="seeds must be row indices"):
        hartigan_wong_batched(X[None], np.array([[0, 4]]))
    with pytest.raises(ValueError, match="max_iter"):
        hartigan_wong(X, X[[0, 3]], max_iter=0)


def test_importing_the_module_does_not_import_numba():
    code = (
        "import sys\n"
        "import border_readiness.clustering.stability._hartigan_wong\n"
        "assert 'numba' not in sys.modules, 'numba imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_consensus_with_hartigan_wong_is_rs_kmeans_on_each_subsample():
    """Consensus with R's algorithm: any batching gives the same matrices; clear errors.

    Per subsample it runs R's k-means from the k points of smallest key, as kmeans_batched's
    random seeding picks them.
    """
    from border_readiness.clustering.stability import consensus

    rng = np.random.default_rng(4)
    X = np.vstack([rng.normal(c, 0.3, (10, 2)) for c in (0.0, 3.0, 6.0)])  # SYNTHETIC blobs
    kwargs = dict(k_range=range(2, 5), reps=30, scheme="ccp", init="random", random_state=3)
    res = consensus(X, algorithm="hartigan-wong", **kwargs)
    again = consensus(X, algorithm="hartigan-wong", batch_size=7, **kwargs)
    for k in range(2, 5):
        assert np.array_equal(res.matrix(k).to_numpy(), again.matrix(k).to_numpy())
        M = res.matrix(k).to_numpy()
        assert np.allclose(M, M.T) and np.allclose(np.diag(M), 1.0)  # a consensus matrix
    # One random start per subsample, as R: some starts put two seeds in one blob and
    # Hartigan-Wong cannot leave that optimum, so even three far blobs are not always found.
    multi = consensus(X, k_range=range(2, 5), reps=30, random_state=3)  # the shipped default
    assert multi.pac[3] == 0.0 and res.pac[3] >= multi.pac[3]
    with pytest.raises(ValueError, match="init='random'"):
        consensus(X, algorithm="hartigan-wong", k_range=range(2, 4), reps=5, scheme="ccp")
    with pytest.raises(ValueError, match="algorithm must be one of"):
        consensus(X, algorithm="macqueen", k_range=range(2, 4), reps=5)
    with pytest.raises(ValueError, match="one start per subsample"):
        consensus(X, algorithm="hartigan-wong", init="random", k_range=range(2, 4), reps=5)
