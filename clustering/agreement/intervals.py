"""A bootstrap interval for the AMI of an agreement report, beside the report's ARI interval."""

from __future__ import annotations

import math

import numpy as np
from sklearn import metrics as skm

from border_readiness.clustering.agreement._inputs import _seed
from border_readiness.clustering.agreement._kernels import _factorize, _seed_blocks, _uniform_rows
from border_readiness.clustering.agreement._selection import _chosen_rows, _Resolver

__all__ = ["ami_interval"]


def ami_interval(
    report,
    *,
    n_bootstrap: int = 2000,
    random_state: int | np.random.SeedSequence | None = 0,
    ci_level: float | None = None,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the adjusted mutual information of ``report``.

    Regions are drawn n times with replacement, as for the report's ARI interval. A region
    drawn several times enters the AMI once: copies of one region agree under any two
    partitions and would push every resampled AMI up (the ARI interval leaves their pairs out
    for the same reason; mutual information has no pair count to remove them from). Each
    replicate is then the AMI of the about 63 % of the regions drawn, so the interval errs
    wide rather than narrow. When the report chose the type of a multi-type region with the
    clusters, every replicate redoes that choice on its resample (the copies in the regions'
    order), as the ARI interval does.

    Parameters
    ----------
    report : AgreementReport
        From :func:`~border_readiness.clustering.agreement.agreement`; its ``assignments``
        (the evaluated regions, their expert types and clusters) are resampled.
    n_bootstrap : int, default 2000
        Resamples; 0 gives ``(nan, nan)``.
    random_state : int, SeedSequence or None, default 0
        Seed of the resamples.
    ci_level : float, optional
        Coverage; default the report's ``ci_level``.

    Returns
    -------
    tuple of float
        ``(low, high)``, the ``(1 - ci_level) / 2`` and ``(1 + ci_level) / 2`` quantiles.

    Examples
    --------
    Clusters equal to the types, up to their labels: every resample agrees perfectly.

    >>> import pandas as pd
    >>> from border_readiness.clustering.agreement import agreement
    >>> rep = agreement(pd.Series({"A": "W", "B": "W", "C": "E", "D": "E", "E": "E"}),
    ...                 pd.Series({"A": 1, "B": 1, "C": 0, "D": 0, "E": 0}),
    ...                 n_permutations=0, n_bootstrap=0)
    >>> ami_interval(rep, n_bootstrap=200)
    (1.0, 1.0)
    """
    level = report.ci_level if ci_level is None else ci_level
    if not (isinstance(level, (int, float)) and 0 < level < 1):
        raise ValueError(f"ci_level must be in (0, 1), got {level!r}")
    if not isinstance(n_bootstrap, (int, np.integer)) or n_bootstrap < 0:
        raise ValueError(f"n_bootstrap must be a non-negative integer, got {n_bootstrap!r}")
    if n_bootstrap == 0:
        return (math.nan, math.nan)
    table = report.assignments
    regions = list(table["region_id"])
    n = len(regions)
    pred = _factorize(table["cluster"].to_numpy(dtype=object), "cluster labels")
    cluster_values = [
        table["cluster"].iloc[int(np.argmax(pred == c))] for c in range(pred.max() + 1)
    ]
    types_of = dict(zip(regions, (tuple(t) for t in table["expert_types"]), strict=True))
    resolver = _Resolver(regions, types_of, cluster_values)
    fixed = np.array([resolver.type_code[t] for t in table["expert_type"]], dtype=np.int64)
    blocks = _seed_blocks(_seed(random_state), n_bootstrap)
    index = np.minimum((_uniform_rows(blocks, 0, n_bootstrap, n) * n).astype(np.intp), n - 1)
    multiplicity = np.stack([np.bincount(row, minlength=n) for row in index])
    if resolver.multi.size:  # one resolution per distinct resample
        true = _chosen_rows(multiplicity, lambda i: resolver.codes_weighted(multiplicity[i], pred))
    else:
        true = np.broadcast_to(fixed, multiplicity.shape)
    # The AMI of a resample depends only on its contingency table (types x clusters of the
    # regions drawn), and few tables recur often among the resamples: each distinct table is
    # scored once (about a fifth of the scikit-learn calls on the bundled data, same values).
    n_types = int(max(int(np.max(true)), 0)) + 1
    n_clusters = int(pred.max()) + 1
    cache: dict[bytes, float] = {}
    values = np.empty(len(multiplicity))
    for i, (t, m) in enumerate(zip(true, multiplicity, strict=True)):
        drawn = m > 0
        key = np.bincount(t[drawn] * n_clusters + pred[drawn], minlength=n_types * n_clusters)
        key = key.tobytes()
        if key not in cache:
            cache[key] = skm.adjusted_mutual_info_score(t[drawn], pred[drawn])
        values[i] = cache[key]
    lo, hi = np.quantile(values, [(1 - level) / 2, (1 + level) / 2])
    return (float(lo), float(hi))
