"""Hierarchical consensus: one tree per subsample cut at every k equals a refit per k.

The reference is the per-k loop through scikit-learn's AgglomerativeClustering (an independent
implementation of the same linkages), called as a fit_predict callable. Synthetic data.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.cluster import AgglomerativeClustering

from border_readiness.clustering.stability import consensus, sklearn_fit_predict


@pytest.mark.parametrize("linkage", ["ward", "average", "complete"])
def test_one_tree_cut_at_every_k_equals_a_refit_per_k(linkage):
    # Synthetic: overlapping groups in continuous coordinates (no tied merge heights).
    rng = np.random.default_rng(11)
    X = np.vstack([rng.normal(m, 1.0, (10, 3)) for m in (0.0, 1.5, 3.0)])
    ks = (2, 3, 4, 5)
    fast = consensus(X, method=linkage, k_range=ks, reps=30, random_state=5, batch_size=7)
    ref = sklearn_fit_predict(AgglomerativeClustering(linkage=linkage))
    slow = consensus(X, method=ref, k_range=ks, reps=30, random_state=5)
    for k in ks:
        assert np.array_equal(fast.matrix(k).to_numpy(), slow.matrix(k).to_numpy())
        assert fast.pac[k] == slow.pac[k]
    # The tree's cuts are not all the same partition: the consensus differs between k.
    assert not np.array_equal(fast.matrix(2).to_numpy(), fast.matrix(5).to_numpy())


def test_hierarchical_consensus_rejects_unknown_names():
    with pytest.raises(ValueError, match="method"):
        consensus(np.zeros((10, 2)), method="centroid", k_range=(2,), reps=2)


@pytest.mark.parametrize("method", ["ward", "gmm"])
def test_run_consensus_re_runs_the_main_method(method):
    # Synthetic 15 regions x 3. assess_stability's consensus must go through the one-tree path
    # for Ward (method "ward", equal to scikit-learn's Ward per k) and stay the main fit's
    # estimator, with one start under "ccp", for the Gaussian mixture.
    import pandas as pd

    from border_readiness.experiments.steps import assess_stability, fit_clusters

    rng = np.random.default_rng(3)
    X = pd.DataFrame(
        np.vstack([rng.normal(m, 0.4, (5, 3)) for m in (0.0, 3.0, 6.0)]),
        index=[f"R{i:02d}" for i in range(15)],
    )
    run = assess_stability(fit_clusters(X, method=method, k=3), B=10, consensus_reps=12)
    cons = run.consensus
    if method == "ward":
        assert cons.method == "ward"
        ref = sklearn_fit_predict(AgglomerativeClustering(linkage="ward"))
        slow = consensus(X, method=ref, k_range=cons.k_range, reps=12, random_state=0)
        for k in cons.k_range:
            assert np.array_equal(cons.matrix(k).to_numpy(), slow.matrix(k).to_numpy())
    else:
        assert "GuardedGaussianMixture" in cons.method or "RegionClusterer" in cons.method
        assert "n_init=1" in cons.method
    # Three well-separated groups: every method's consensus at k = 3 is unambiguous.
    assert cons.pac[3] == 0.0


def _replay(tree: np.ndarray, k: int) -> np.ndarray:
    """Reference: the partition after the first n - k merges, replayed with Python sets."""
    n = len(tree) + 1
    members = {i: {i} for i in range(n)}
    for i in range(n - k):
        members[n + i] = members.pop(int(tree[i, 0])) | members.pop(int(tree[i, 1]))
    labels = np.empty(n, dtype=int)
    for c, group in enumerate(members.values()):
        labels[list(group)] = c
    return labels


@pytest.mark.parametrize("linkage_name", ["ward", "average", "single"])
def test_vectorised_cuts_equal_the_merge_replay_even_with_tied_heights(linkage_name):
    # Synthetic points on an integer grid: many equal distances, so merge heights tie. The
    # reference replays the merges one by one; where fcluster's height cut gives exactly k
    # clusters it must agree too. (scipy's cut_tree does not: on such trees it returns other
    # partitions, which is why the consensus no longer falls back on it.)
    from scipy.cluster.hierarchy import fcluster, linkage
    from sklearn.metrics import adjusted_rand_score

    from border_readiness.clustering.stability.consensus import _cut_trees

    rng = np.random.default_rng(4)
    ks = (1, 2, 3, 5, 9)
    trees = np.stack(
        [linkage(rng.integers(0, 3, (12, 2)).astype(float), linkage_name) for _ in range(20)]
    )
    cuts = _cut_trees(trees, ks)
    for tree, cut in zip(trees, cuts, strict=True):
        for j, k in enumerate(ks):
            assert adjusted_rand_score(_replay(tree, k), cut[:, j]) == 1.0
            by_height = fcluster(tree, t=k, criterion="maxclust")
            if len(set(by_height)) == k:
                assert adjusted_rand_score(by_height, cut[:, j]) == 1.0
