"""Retraining on a new year: compare with the registered model, decide on the alias.

The new fit is compared with the registered model and the policy decides whether it takes
the registry alias (the runner then logs and registers it like any run).

* :mod:`.compare`: :func:`registered_fit` reads the registered version's results,
  :func:`compare` sets a new analysis against them (:class:`Comparison`);
* :mod:`.policy`: :data:`DEFAULT_POLICY`, :class:`Decision` and :func:`promotion_decision`.

The comparisons of the two fits need no MLflow and live below, in
``border_readiness.clustering``: :mod:`~border_readiness.clustering.transitions` (clusters that
survived, split, merged...), :mod:`~border_readiness.clustering.rank_changes` (ranks against
their uncertainty) and :mod:`~border_readiness.clustering.drift` (indicator drift, agreement
with expert typologies over the years).
"""

from __future__ import annotations

from border_readiness.experiments.retrain.compare import (
    Comparison,
    RegisteredFit,
    compare,
    registered_fit,
)
from border_readiness.experiments.retrain.policy import (
    DEFAULT_POLICY,
    Decision,
    promotion_decision,
)

__all__ = [
    "DEFAULT_POLICY",
    "Comparison",
    "Decision",
    "RegisteredFit",
    "compare",
    "promotion_decision",
    "registered_fit",
]
