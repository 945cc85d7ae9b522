"""Doctest helpers: a tiny, clearly invented card (not results of the study)."""

from __future__ import annotations

import base64
import json
from typing import Any

_TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/"
    "PchI7wAAAABJRU5ErkJggg=="
)


_EXAMPLE_JSON = """{
"summary": {"small_n": "n = 2: an example, not a result"},
"model_details": {"name": "example", "version": 1, "run_id": "00000000000000000000000000000000",
  "created": "2024-01-01T00:00:00+00:00", "package_version": "0.1.0",
  "model_type": "k-means on level scores", "training_year": 2021,
  "regions": ["RU-OMS", "RU-ORE"], "citation": "Roy (2022)", "config_summary": {"k": 2},
  "licence": null, "owner": null, "reviewed_by": null},
"intended_use": {"primary_uses": ["example"], "primary_users": ["example"],
  "out_of_scope_uses": ["example"], "sign_off": null},
"factors": {"relevant_factors": [{"factor": "level", "values": "overall", "rationale": "x"}],
  "evaluation_factors": ["level"]},
"metrics": {
  "structure": {"verdict": "no structure", "gap_k": 1, "B": 19,
    "statement": "example", "nulls": []},
  "agreement": [{"typology": "federal districts", "level": "overall", "ari": 0.5, "ami": 0.4,
                 "p_value": 0.2, "ari_ci": [0.1, 0.9]}],
  "stability": {"method": "bootstrap", "pac": 0.2, "consensus": "ccp", "small_n": "n = 2",
    "clusters": [{"cluster": 0, "size": 2, "jaccard_mean": 0.8, "verdict": "stable"}]},
  "internal_indices": {"silhouette": 0.3}, "surrogate_fidelity": [],
  "score_uncertainty": {"method": "Monte Carlo", "interval": "5-95 %", "weighting": "equal",
    "ranks": [{"region": "RU-OMS", "level": "overall", "rank_low": 1, "rank_high": 2}]}},
"evaluation_data": {"description": "example",
  "typologies": [{"name": "federal districts", "source": "example"}]},
"training_data": {"dataset": "example", "digest": "abc", "year": 2021, "n_regions": 2,
  "n_indicators": 1, "description": "example", "indicators": []},
"quantitative_analyses": {"by_type": [], "by_level": [], "by_federal_district": [],
  "coherence_verdict": "example", "coherence": [], "map_method": "example"},
"ethical_considerations": ["example"],
"caveats_and_recommendations": {"caveats": ["example"], "recommendations": ["example"]},
"datasheet": {"motivation": "example",
  "composition": {"sources": [{"name": "example"}], "tables": [], "coverage": {},
                  "missingness": [], "imputation_summary": [], "imputations": [],
                  "series_breaks": []},
  "collection_process": "example", "preprocessing": "example", "uses": "example",
  "distribution": "example", "maintenance": "example"}
}"""


def _example_dict() -> dict[str, Any]:
    """A minimal valid card (invented numbers, two regions) for the doctests."""
    return json.loads(_EXAMPLE_JSON)
