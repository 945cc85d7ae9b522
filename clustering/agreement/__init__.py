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

Where things live: :mod:`.report` (:func:`agreement` and its :class:`AgreementReport`),
:mod:`.alignment` (Hungarian matching, multi-type resolution, the aligned table),
:mod:`.ceiling` (expert-vs-expert ceiling, :func:`assert_agreement` for CI); ``_kernels``
(vectorised ARI and mutual information, permutation and bootstrap batches) and ``_inputs``
(reading the two partitions).
"""

from border_readiness.clustering.agreement._kernels import vectorised_ari
from border_readiness.clustering.agreement.ceiling import (
    AgreementAssertionError,
    assert_agreement,
    expert_ceiling,
)
from border_readiness.clustering.agreement.intervals import ami_interval
from border_readiness.clustering.agreement.report import (
    METRICS,
    MULTI_TYPE_RULES,
    AgreementReport,
    agreement,
)

__all__ = [
    "METRICS",
    "MULTI_TYPE_RULES",
    "AgreementAssertionError",
    "AgreementReport",
    "agreement",
    "ami_interval",
    "assert_agreement",
    "expert_ceiling",
    "vectorised_ari",
]
