"""The names of the clustering methods, without importing what fits them.

The command line builds its ``--method`` choices from this tuple when it builds the parser
(also for ``--help``), so it lives apart from :mod:`border_readiness.clustering.models`,
which imports scikit-learn.
"""

from __future__ import annotations

__all__ = ["METHODS"]

METHODS: tuple[str, ...] = ("kmeans", "ward", "gmm", "hdbscan", "ward_contiguous")
