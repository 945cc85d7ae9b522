"""An invented model card, to exercise the renderer in tests/test_model_card.py.

Every number here is INVENTED; none is a result of the study or of the bundled data.
"""

from __future__ import annotations

import base64

from border_readiness.experiments.card import STUDY_CITATION

REGIONS = [
    "RU-AST",
    "RU-VGG",
    "RU-SAR",
    "RU-SAM",
    "RU-ORE",
    "RU-CHE",
    "RU-KGN",
    "RU-TYU",
    "RU-OMS",
    "RU-NVS",
    "RU-ALT",
    "RU-AL",
]
DISTRICT = {
    "RU-AST": "Southern",
    "RU-VGG": "Southern",
    "RU-SAR": "Volga",
    "RU-SAM": "Volga",
    "RU-ORE": "Volga",
    "RU-CHE": "Ural",
    "RU-KGN": "Ural",
    "RU-TYU": "Ural",
    "RU-OMS": "Siberian",
    "RU-NVS": "Siberian",
    "RU-ALT": "Siberian",
    "RU-AL": "Siberian",
}
LEVELS = ["transport_communication", "joint_projects", "social_services", "overall"]
RUN_ID = "3f2a9c0d4b1e4e0f9a7c6b5d4e3f2a1b"
DIGEST = "9" * 64  # a 64-hex dataset digest: must survive normalisation
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg=="
)
MITCHELL = [
    "Model details",
    "Intended use",
    "Factors",
    "Metrics",
    "Evaluation data",
    "Training data",
    "Quantitative analyses",
    "Ethical considerations",
    "Caveats and recommendations",
]
GEBRU = [
    "Motivation",
    "Composition",
    "Collection process",
    "Preprocessing, cleaning and labelling",
    "Uses",
    "Distribution",
    "Maintenance",
]
FILLED = {
    "model_details.licence": "CC BY 4.0",
    "model_details.owner": "Regional economics team <team@example.org>",
    "model_details.reviewed_by": "A. Reviewer, regional economist, 2024-06-01",
    "intended_use.sign_off": "B. Lead, project lead, 2024-06-02",
}


def _sample() -> dict:
    """A realistic card for the 12 border regions (invented numbers, see module docstring)."""
    ranks = []
    for i, region in enumerate(REGIONS):
        for j, level in enumerate(LEVELS):
            low = 1 + (i + j) % 10
            ranks.append(
                {
                    "region": region,
                    "level": level,
                    "rank_low": low,
                    "rank_high": low + 1 + (i * j) % 4,
                    "rank_median": low + 0.5,
                }
            )
    headline = [
        {
            "region": region,
            "name": f"Region {i}",
            "score": 70.0 - 4.25 * i,
            "rank": i + 1.0 if i != 3 else 4.5,
            "rank_low": max(1.0, i - 1.0),
            "rank_high": min(12.0, i + 3.0),
            "score_joint_projects": 50.0 + i,
            "score_social_services": 40.25,
            "score_transport_communication": 61.0 - i,
        }
        for i, region in enumerate(REGIONS)
    ]
    return {
        "summary": {
            "headline": headline,
            "agreement": [
                {
                    "typology": "federal districts",
                    "title": "Federal districts",
                    "ari": 0.51234,
                    "ari_ci": [0.21, 0.78],
                    "p_value": 0.012,
                    "disagreeing": "Region 2, Region 5",
                },
                {
                    "typology": "Sokolov-Rudneva stability",
                    "title": "Sokolov-Rudneva border stability",
                    "ari": 0.1,
                    "ari_ci": [-0.2, 0.4],
                    "p_value": 0.35,
                    "disagreeing": "Region 1",
                },
            ],
            "clusters": [
                {
                    "cluster": 0,
                    "size": 2,
                    "jaccard_mean": 0.91,
                    "verdict": "highly stable",
                    "members": "Region 0, Region 1",
                }
            ],
            "drivers": [
                {
                    "level": "joint_projects",
                    "indicator": "cis_trade_share",
                    "label": "CIS share of foreign trade",
                    "unit": "% of foreign trade turnover",
                    "mean_abs_shap": 6.25,
                }
            ],
            "small_n": "Only 12 regions (invented caveat).",
        },
        "model_details": {
            "name": "border-readiness-typology",
            "version": 3,
            "run_id": RUN_ID,
            "created": "2024-05-01T12:34:56+00:00",
            "package_version": "0.1.0",
            "model_type": "k-means (k = 4) on the three readiness level scores",
            "training_year": 2021,
            "regions": REGIONS,
            "citation": STUDY_CITATION,
            "config_summary": {
                "k": 4,
                "method": "kmeans",
                "normalisation": "minmax",
                "seed": 20240501,
                "levels": LEVELS[:3],
            },
            "licence": None,
            "owner": None,
            "reviewed_by": None,
        },
        "intended_use": {
            "primary_uses": [
                "Check an expert typology of the border regions against the data",
                "Compare readiness profiles between data years",
            ],
            "primary_users": ["Regional economists", "Analysts retraining on a new edition"],
            "out_of_scope_uses": [
                "Not a ranking of governance quality",
                "Not for regions outside the 12 border regions",
            ],
            "sign_off": None,
        },
        "factors": {
            "relevant_factors": [
                {
                    "factor": "readiness level",
                    "values": LEVELS,
                    "rationale": "the three levels of the study's model",
                },
                {
                    "factor": "type/cluster",
                    "values": ["0", "1", "2", "3"],
                    "rationale": "results differ by cluster",
                },
                {
                    "factor": "federal district",
                    "values": ["Southern", "Volga", "Ural", "Siberian"],
                    "rationale": "administrative baseline",
                },
            ],
            "levels": [
                {
                    "level": "joint_projects",
                    "meaning": "partners across the border and the means to work with them",
                    "indicators": "kz_grp_potential (kazakh, 1); cis_trade_share (russian, 1)",
                    "not_published": "trade with Kazakhstan by Russian region",
                }
            ],
            "evaluation_factors": [
                "Agreement per readiness level and overall",
                "Stability per cluster",
            ],
        },
        "metrics": {
            "structure": {
                "verdict": "no structure",
                "gap_k": 1,
                "B": 19,
                "statement": ["Invented: no cluster structure."],
                "nulls": [
                    {
                        "null": "each column permuted independently",
                        "statistic": "best silhouette",
                        "observed": 0.12,
                        "null_median": 0.13,
                        "p_value": 0.55,
                    }
                ],
                "by_k": [
                    {"k": 1, "gap": 0.05, "s_k": 0.12, "structure_silhouette": None},
                    {"k": 2, "gap": -0.11, "s_k": 0.14, "structure_silhouette": 0.12},
                ],
            },
            "agreement": [
                {
                    "typology": "federal districts",
                    "level": "overall",
                    "ari": 0.51234,
                    "ami": 0.4321,
                    "p_value": 0.012,
                    "ari_ci": [0.21, 0.78],
                    "n_regions": 12,
                },
                {
                    "typology": "Sokolov-Rudneva stability",
                    "level": "overall",
                    "ari": 0.1,
                    "ami": None,
                    "p_value": 0.35,
                    "ari_ci": [None, None],
                    "n_regions": 10,
                },
            ],
            "internal_consistency": [
                {
                    "typology": "own readiness profiles",
                    "level": "regions",
                    "ari": 0.23,
                    "ami": 0.2,
                    "p_value": 0.057,
                    "ari_ci": [-0.12, 0.61],
                    "n_regions": 12,
                }
            ],
            "stability": {
                "method": "clusterboot-style bootstrap, B = 100",
                "pac": 0.18,
                "consensus": "Consensus by the ccp scheme; its best k is the k = 4 used.",
                "small_n": "n = 11: read the figures with their caveats.",
                "clusters": [
                    {"cluster": 0, "size": 2, "jaccard_mean": 0.91, "verdict": "highly stable"},
                    {"cluster": 1, "size": 4, "jaccard_mean": 0.78, "verdict": "stable"},
                    {"cluster": 2, "size": 3, "jaccard_mean": 0.55, "verdict": "unstable"},
                    {"cluster": 3, "size": 2, "jaccard_mean": 0.45, "verdict": "dissolved"},
                ],
            },
            "internal_indices": {
                "silhouette": 0.41,
                "calinski_harabasz": 18.7,
                "davies_bouldin": 0.83,
            },
            "surrogate_fidelity": [
                {"target": "clusters", "model": "decision tree, depth 2", "loo_fidelity": 0.833}
            ],
            "score_uncertainty": {
                "method": "Monte Carlo over normalisation and weights",
                "interval": "5-95 % of 1000 replicates",
                "weighting": "equal|pca (invented)",
                "ranks": ranks,
            },
        },
        "evaluation_data": {
            "description": "Expert typologies typed in from published sources.",
            "typologies": [
                {"name": "federal districts", "source": "administrative", "n_types": 4},
                {
                    "name": "Sokolov-Rudneva stability",
                    "source": "Institute of Steppe",
                    "n_types": 3,
                },
            ],
        },
        "training_data": {
            "dataset": "bundled regions_long.csv.gz",
            "digest": DIGEST,
            "year": 2021,
            "n_regions": 12,
            "n_indicators": 9,
            "description": ["Rosstat Regions of Russia 2023", "Rosstat GRP file"],
            "indicators": [
                {
                    "indicator": "grp_per_capita",
                    "level": "joint_projects",
                    "unit": "rub",
                    "direction": 1,
                }
            ],
        },
        "quantitative_analyses": {
            "by_type": [
                {"cluster": c, "n_regions": n, "mean_overall_score": s}
                for c, n, s in [(0, 2, 0.61), (1, 4, 0.47), (2, 3, 0.33), (3, 2, 0.12)]
            ],
            "by_level": [
                {"level": lv, "ari": a}
                for lv, a in zip(LEVELS, [0.3, 0.2, 0.4, 0.51234], strict=True)
            ],
            "by_federal_district": [
                {
                    "federal_district": d,
                    "n_regions": sum(v == d for v in DISTRICT.values()),
                    "modal_cluster": m,
                }
                for d, m in [("Southern", 0), ("Volga", 1), ("Ural", 2), ("Siberian", 3)]
            ],
            "coherence_verdict": "Invented: one level below the thresholds.",
            "coherence": [
                {"level": "transport", "cronbach_alpha": 0.5, "flag": "alpha<0.7"},
                {"level": "social", "cronbach_alpha": 0.8, "flag": "ok"},
            ],
            "map_method": "Invented: the 2-D map is PCA.",
            "figure_captions": [
                {"name": "rank_intervals", "caption": "Invented: rank intervals, 2021."},
                {"name": "profiles", "caption": "Invented: profiles of the types, 2021."},
                {"name": "embedding", "caption": "Invented: the 2-D map, PCA, 2021."},
            ],
        },
        "ethical_considerations": ["Scores describe statistics, not people or governments."],
        "caveats_and_recommendations": {
            "caveats": ["Only 12 regions: wide intervals, permutation nulls."],
            "recommendations": ["Read the agreement next to its p-value and interval."],
        },
        "datasheet": {
            "motivation": "Operationalise the three-level model of Roy (2022) from official data.",
            "composition": {
                "sources": [{"name": "Rosstat Regions of Russia 2023", "licence": "public"}],
                "tables": [{"source_table": "3.1", "indicator": "income_per_capita"}],
                "coverage": {"regions": 12, "years": "2000-2022"},
                "missingness": [{"indicator": "grp_per_capita", "n_missing": 1}],
                "imputation_summary": [
                    {"kind": "gap fill", "method": "federal district median", "cells": 1}
                ],
                "imputations": [
                    {
                        "region": "RU-AL",
                        "indicator": "grp_per_capita",
                        "method": "federal district median",
                    }
                ],
                "series_breaks": [],
            },
            "collection_process": "Read from the official workbooks by the package's readers.",
            "preprocessing": ["Per-capita denominators", "Winsorisation of outliers"],
            "uses": "Typologies of the border regions.",
            "distribution": "Bundled with the package as derived figures with provenance.",
            "maintenance": "Rebuilt when Rosstat publishes a new edition.",
        },
    }
