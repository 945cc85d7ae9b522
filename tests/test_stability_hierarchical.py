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
