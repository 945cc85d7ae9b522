"""Typologies from the data and checks of expert ones.

Clustering estimators, stability, agreement, explanations, maps, and the comparison of two
fits. Nothing here imports MLflow or writes files; SHAP and UMAP are imported only when used.

* :mod:`.models` -- :class:`RegionClusterer`, :class:`ContiguousWard`, internal indices;
* :mod:`.stability` -- bootstrap Jaccard (as fpc::clusterboot), consensus and PAC (as
  ConsensusClusterPlus), leave-one-out effects;
* :mod:`.typologies` -- expert typology files; :mod:`.agreement` -- agreement with the data's
  clusters (permutation p-values, bootstrap intervals) and the ceiling between typologies;
* :mod:`.shapley`, :mod:`.explain` -- exact SHAP of the scores, surrogate of the clusters,
  drivers of disagreement; :mod:`.embedding` -- the 2-D map;
* :mod:`.transitions`, :mod:`.rank_changes`, :mod:`.drift` -- two fits compared (retraining).

Names are imported on first use.
"""

from __future__ import annotations

from border_readiness.features._lazy import lazy_exports

_WHERE = {
    "ClusterAssignment": "border_readiness.clustering.models",
    "ContiguousWard": "border_readiness.clustering.models",
    "METHODS": "border_readiness.clustering.models",
    "RegionClusterer": "border_readiness.clustering.models",
    "max_clusters": "border_readiness.clustering.models",
    "small_n_note": "border_readiness.clustering.models",
    "bootstrap_jaccard": "border_readiness.clustering.stability",
    "consensus": "border_readiness.clustering.stability",
    "leave_one_out_effects": "border_readiness.clustering.stability",
    "Typology": "border_readiness.clustering.typologies",
    "TypologyError": "border_readiness.clustering.typologies",
    "check_typology": "border_readiness.clustering.typologies",
    "load_typology": "border_readiness.clustering.typologies",
    "shipped_typologies": "border_readiness.clustering.typologies",
    "typology": "border_readiness.clustering.typologies",
    "AgreementReport": "border_readiness.clustering.agreement",
    "agreement": "border_readiness.clustering.agreement",
    "assert_agreement": "border_readiness.clustering.agreement",
    "expert_ceiling": "border_readiness.clustering.agreement",
    "exact_shapley": "border_readiness.clustering.shapley",
    "readiness_shap": "border_readiness.clustering.shapley",
    "disagreement_drivers": "border_readiness.clustering.explain",
    "surrogate_explanation": "border_readiness.clustering.explain",
    "embed_2d": "border_readiness.clustering.embedding",
    "cluster_transitions": "border_readiness.clustering.transitions",
    "rank_changes": "border_readiness.clustering.rank_changes",
    "indicator_drift": "border_readiness.clustering.drift",
    "typology_agreement_over_time": "border_readiness.clustering.drift",
}
__all__ = sorted(_WHERE)
__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
