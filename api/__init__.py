"""border-readiness: cross-border readiness of Russian regions on the Kazakhstan border.

Readiness for cross-border cooperation, from official statistics to typologies validated
against expert ones.

The public API, in the order of an analysis (each name is imported on first use, so that
``import border_readiness`` stays light):

* :func:`load_dataset` -- the bundled long table, or your own file;
* :func:`prepare` -- select the regions and year, compile the indicator catalogue;
* :func:`score` -- readiness per level and overall, contributions, Monte Carlo rank
  intervals, Sobol' sensitivity, profiles (a :class:`ScoreReport`);
* :func:`clustering_matrix`, :func:`cluster` -- a typology from the data with bootstrap and
  consensus stability;
* :func:`typology`, :func:`validate` -- an expert typology (shipped name or file) and its
  agreement with the data;
* :func:`explain` -- exact SHAP values of the level scores and a surrogate of the clusters;
* :class:`ReadinessModel`, :class:`RegionClusterer`, :class:`ScoreConfig` -- the estimators
  and the score's configuration.

Examples
--------
>>> import border_readiness as br
>>> prep = br.prepare(br.load_dataset())
>>> prep.year, len(prep.regions)
(2021, 12)
"""

from __future__ import annotations

from border_readiness.features._lazy import lazy_exports

__all__ = [
    "ReadinessModel",
    "RegionClusterer",
    "ScoreConfig",
    "ScoreReport",
    "cluster",
    "clustering_matrix",
    "explain",
    "load_dataset",
    "prepare",
    "score",
    "typology",
    "validate",
]

_WHERE = {
    "ReadinessModel": "border_readiness.features.composite",
    "RegionClusterer": "border_readiness.clustering.models",
    "ScoreConfig": "border_readiness.features.scoring",
    "ScoreReport": "border_readiness.features.scoring",
    "cluster": "border_readiness.experiments.steps",
    "clustering_matrix": "border_readiness.experiments.steps",
    "explain": "border_readiness.experiments.interpret",
    "load_dataset": "border_readiness.features.dataset",
    "prepare": "border_readiness.experiments.steps",
    "score": "border_readiness.experiments.steps",
    "typology": "border_readiness.clustering.typologies",
    "validate": "border_readiness.experiments.interpret",
}


__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
