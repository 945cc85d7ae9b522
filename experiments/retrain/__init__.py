"""Retraining: whether a model fitted on a new year takes the registry alias.

* :mod:`.policy`: :data:`DEFAULT_POLICY`, :class:`Decision` and :func:`promotion_decision`.

The comparisons of the two fits that the decision reads need no MLflow and live below, in
``border_readiness.clustering``: :mod:`~border_readiness.clustering.transitions` (clusters that
survived, split, merged...), :mod:`~border_readiness.clustering.rank_changes` (ranks against
their uncertainty) and :mod:`~border_readiness.clustering.drift` (indicator drift, agreement
with expert typologies over the years).
"""

from __future__ import annotations

from border_readiness.experiments.retrain.policy import (
    DEFAULT_POLICY,
    Decision,
    promotion_decision,
)

__all__ = ["DEFAULT_POLICY", "Decision", "promotion_decision"]
