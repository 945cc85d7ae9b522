"""Cluster stability by resampling: fpc::clusterboot and ConsensusClusterPlus, batched.

Three questions a reviewer asks of a partition of regions, answered the way the reference R tools
answer them:

* :func:`bootstrap_jaccard`: is each cluster reproducible? fpc::clusterboot's bootstrap scheme
  (Hennig 2007): resample, re-cluster, and record for every original cluster the Jaccard
  similarity of the most similar cluster of the resample; read the mean with Hennig's thresholds.
* :func:`consensus`: which k? ConsensusClusterPlus (Monti et al. 2003; Wilkerson & Hayes 2010):
  consensus matrices over item subsamples, their CDF, delta area and PAC.
* :func:`leave_one_out_effects`: which region or indicator carries the partition?

k-means, the workhorse, runs through :func:`kmeans_batched`: Lloyd's algorithm with Hartigan
single-point transfers over all replicates and random starts of a batch in one call of a
compiled (numba) kernel, which is what makes B = 1000 bootstrap replicates of 80 regions take a
fraction of a second.

Determinism: replicate ``r`` draws everything (its sample and its clustering seed) from child
``r`` of ``numpy.random.SeedSequence(random_state).spawn(B)``; replicates are grouped in batches
run through joblib (:func:`border_readiness.features._parallel.run_ordered`). Nothing a
replicate computes depends on the other replicates of its batch (the k-means kernel runs one
start at a time, in a fixed order of operations, see :func:`kmeans_batched`), so results are
bit-identical for any ``n_jobs``, ``batch_size`` and joblib backend.

Where things live: :mod:`.bootstrap` (bootstrap Jaccard, Hennig's verdicts),
:mod:`.consensus` (consensus matrices, PAC, membership confidence), :mod:`.loo` (leave-one-out
effects); ``_kmeans_batched`` (the batched k-means, its compiled kernel in ``_kmeans_kernel``)
and ``_replicates`` (input checks, scikit-learn clusterers as ``fit_predict`` callables). The
seeded batching shared with the rest of the package is :mod:`border_readiness.features._parallel`.
"""

from border_readiness.clustering.stability._kmeans_batched import kmeans_batched
from border_readiness.clustering.stability._replicates import (
    BATCH_SIZE,
    SklearnFitPredict,
    sklearn_fit_predict,
)
from border_readiness.clustering.stability.bootstrap import (
    DISSOLVED,
    HIGHLY_STABLE,
    PATTERNS,
    STABLE,
    StabilityResult,
    bootstrap_jaccard,
    hennig_verdict,
)
from border_readiness.clustering.stability.consensus import (
    ConsensusResult,
    consensus,
    membership_confidence,
)
from border_readiness.clustering.stability.loo import leave_one_out_effects

__all__ = [
    "BATCH_SIZE",
    "DISSOLVED",
    "HIGHLY_STABLE",
    "PATTERNS",
    "STABLE",
    "ConsensusResult",
    "SklearnFitPredict",
    "StabilityResult",
    "bootstrap_jaccard",
    "consensus",
    "hennig_verdict",
    "kmeans_batched",
    "leave_one_out_effects",
    "membership_confidence",
    "sklearn_fit_predict",
]
