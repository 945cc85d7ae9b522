"""From official statistics to readiness scores: dataset, catalogue, composite model, uncertainty.

The dataset, the indicator catalogue, the composite model and its uncertainty. Nothing here
imports MLflow, SHAP or UMAP.

* :mod:`.regions` -- the region registry; :mod:`.dataset` -- the long table (load, validate,
  summarise), :mod:`.layering` (a user's rows over it); :mod:`.sources` -- the readers of the
  raw official files;
* :mod:`.catalogue`, :mod:`.indicators` -- the indicator catalogue and its compilation into a
  region x indicator matrix, with every imputation recorded (:mod:`.imputation_log`: each
  imputed cell of the reference matrix with its role);
* :mod:`.composite` -- outlier treatment, normalisation, weights, aggregation (scikit-learn
  estimators and :class:`ReadinessModel`), Monte Carlo rank intervals, Sobol' indices, the
  coherence of each level;
* :mod:`.scoring` -- :func:`score_regions`, the scores report; :mod:`.profiles` -- profile types.

Names are imported on first use.
"""

from __future__ import annotations

from border_readiness.features._lazy import lazy_exports

_WHERE = {
    "BORDER_REGIONS": "border_readiness.features.regions",
    "UnknownRegionError": "border_readiness.features.regions",
    "region_table": "border_readiness.features.regions",
    "resolve_region": "border_readiness.features.regions",
    "russian_subjects": "border_readiness.features.regions",
    "DataValidationError": "border_readiness.features.dataset",
    "coverage_summary": "border_readiness.features.dataset",
    "load_dataset": "border_readiness.features.dataset",
    "write_dataset_csv": "border_readiness.features.dataset",
    "layer": "border_readiness.features.layering",
    "CatalogueError": "border_readiness.features.catalogue",
    "Indicator": "border_readiness.features.catalogue",
    "load_catalogue": "border_readiness.features.catalogue",
    "compile_indicators": "border_readiness.features.indicators",
    "latest_complete_year": "border_readiness.features.indicators",
    "national_reference": "border_readiness.features.indicators",
    "imputation_log": "border_readiness.features.imputation_log",
    "coherence": "border_readiness.features.composite",
    "IndicatorWeights": "border_readiness.features.composite",
    "LevelAggregator": "border_readiness.features.composite",
    "Normaliser": "border_readiness.features.composite",
    "OutlierTreatment": "border_readiness.features.composite",
    "ReadinessModel": "border_readiness.features.composite",
    "monte_carlo_ranks": "border_readiness.features.composite",
    "rank_sensitivity": "border_readiness.features.composite",
    "sobol_indices": "border_readiness.features.composite",
    "ScoreConfig": "border_readiness.features.scoring",
    "ScoreReport": "border_readiness.features.scoring",
    "score_regions": "border_readiness.features.scoring",
    "ProfileRule": "border_readiness.features.profiles",
    "assign_profiles": "border_readiness.features.profiles",
    "load_profile_rules": "border_readiness.features.profiles",
}
__all__ = sorted(_WHERE)
__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
