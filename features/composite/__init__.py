"""Composite indicators: outlier treatment, normalisation, weights, aggregation, robustness.

The steps follow the OECD/JRC *Handbook on Constructing Composite Indicators* (2008) and the
conventions of COINr (R, JRC): treat outliers, normalise with a direction per indicator, weight
the indicators within each readiness level, aggregate them to level scores, then ask how much
the ranking depends on those choices (Monte Carlo rank intervals, variance-based sensitivity).

Where things live (every name below is re-exported here):

* :mod:`~border_readiness.features.composite.treatment`: :func:`treat_outliers`,
  :class:`OutlierTreatment`;
* :mod:`~border_readiness.features.composite.normalisation`: :func:`normalise`,
  :class:`Normaliser`, ``NORMALISATIONS``;
* :mod:`~border_readiness.features.composite.weights`: :func:`equal_weights`,
  :func:`normalise_weights`, :func:`pca_weights` (with varimax), :class:`IndicatorWeights`,
  ``WEIGHTINGS``;
* :mod:`~border_readiness.features.composite.aggregation`: :func:`aggregate`,
  :func:`level_scores`, :func:`geometric_shift`, :func:`contributions`, :func:`overall_score`,
  :func:`overall_contributions`, :class:`LevelAggregator`, ``AGGREGATIONS``;
* :mod:`~border_readiness.features.composite.model`: :class:`ReadinessModel`, the fitted
  pipeline of the four steps (the nominal composite);
* :mod:`~border_readiness.features.composite.uncertainty`: :func:`monte_carlo_ranks`,
  :class:`UncertaintyResult`;
* :mod:`~border_readiness.features.composite.sensitivity`: :func:`sobol_indices`,
  :func:`rank_sensitivity`;
* :mod:`~border_readiness.features.composite.coherence`: :func:`coherence`,
  :func:`cronbach_alpha`, :func:`item_rest_correlations` (the Handbook's multivariate step);
* private: ``_checks`` (input checks) and ``_engine`` (the vectorised sampler of the same
  choices that Monte Carlo and Sobol' share).

Each step's estimator lives beside its kernel: the estimator is a thin fitted form of the
function (``transform`` calls it with the reference as ``fit_on``), and reading the two side by
side is how one checks they agree.

Conventions shared by every function here:

* ``X`` / ``Xn`` are DataFrames with one row per region and one column per indicator.
* ``directions`` maps each indicator to +1 (more is more ready) or -1 (more is less ready).
* ``groups`` maps each indicator to its level (``transport_communication``, ...). Levels keep the
  order in which they first appear among the columns of ``X``.
* Mappings (directions, groups, weights, reference) are pandas Series or dicts keyed by
  indicator; they may hold extra indicators (the whole catalogue), but every column of ``X``
  needs an entry.
* After normalisation a higher value always means "more ready"; ranks are 1 = most ready.

The package is pure computation: numpy, pandas and scikit-learn (scipy only for quasi-random
numbers), no file I/O, no tracking, deterministic given ``random_state``.
"""

from __future__ import annotations

from border_readiness.features.composite.aggregation import (
    AGGREGATIONS,
    LevelAggregator,
    aggregate,
    contributions,
    geometric_shift,
    level_scores,
    overall_contributions,
    overall_score,
)
from border_readiness.features.composite.coherence import (
    coherence,
    cronbach_alpha,
    item_rest_correlations,
)
from border_readiness.features.composite.model import ReadinessModel
from border_readiness.features.composite.normalisation import NORMALISATIONS, Normaliser, normalise
from border_readiness.features.composite.sensitivity import rank_sensitivity, sobol_indices
from border_readiness.features.composite.treatment import OutlierTreatment, treat_outliers
from border_readiness.features.composite.uncertainty import UncertaintyResult, monte_carlo_ranks
from border_readiness.features.composite.weights import (
    WEIGHTINGS,
    IndicatorWeights,
    equal_weights,
    normalise_weights,
    pca_weights,
)

__all__ = [
    "AGGREGATIONS",
    "NORMALISATIONS",
    "WEIGHTINGS",
    "IndicatorWeights",
    "LevelAggregator",
    "Normaliser",
    "OutlierTreatment",
    "ReadinessModel",
    "UncertaintyResult",
    "aggregate",
    "coherence",
    "contributions",
    "cronbach_alpha",
    "equal_weights",
    "geometric_shift",
    "item_rest_correlations",
    "level_scores",
    "monte_carlo_ranks",
    "normalise",
    "normalise_weights",
    "overall_contributions",
    "overall_score",
    "pca_weights",
    "rank_sensitivity",
    "sobol_indices",
    "treat_outliers",
]
