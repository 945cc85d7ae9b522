"""Every configuration the schema accepts runs, and is registered as analysed.

The steps run, and the registered model (frozen with skops, loaded back as the pyfunc loads it)
predicts exactly what the analysis produced.

The grid is normalisation x weighting x aggregation (4 x 3 x 3 = 36) on the bundled data, with
small replicate counts; the end-to-end MLflow runs of non-default configurations are in
``test_run_e2e.py``.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from border_readiness.features import composite
from border_readiness.features.scoring import ScoreConfig

GRID = list(
    itertools.product(composite.NORMALISATIONS, composite.WEIGHTINGS, composite.AGGREGATIONS)
)


@pytest.fixture(scope="module")
def bundled():
    from border_readiness.experiments.steps import prepare
    from border_readiness.features.dataset import load_dataset

    data = load_dataset()
    return data, prepare(data)


@pytest.mark.slow
@pytest.mark.parametrize("choice", GRID, ids=["-".join(c) for c in GRID])
def test_every_configuration_runs_and_the_registered_model_is_the_analysed_one(
    bundled, choice, tmp_path
):
    from dataclasses import replace

    from border_readiness.clustering.typologies import typology
    from border_readiness.experiments.frozen_model import dump, freeze, load, predict_frozen
    from border_readiness.experiments.interpret import explain, validate
    from border_readiness.experiments.steps import cluster, clustering_matrix, score

    data, prep = bundled
    norm, weighting, agg = choice
    config = ScoreConfig(
        normalisation=norm, weighting=weighting, aggregation=agg, n_replicates=100, sobol_n=16
    )
    prep = replace(prep, score_config=config)
    report = score(prep)
    X = clustering_matrix(report)
    # One k-means start (n_init=1) instead of ten: the leave-one-out refits of ``cluster`` are
    # most of each combination's time, and the checks below hold for any fitted partition.
    run = cluster(X, B=10, consensus_reps=10, n_init=1)
    typologies = {n: typology(n) for n in ("federal_districts", "sokolov_rudneva_border_stability")}
    validation = validate(
        typologies["federal_districts"],
        run.labels,
        X,
        others=typologies,
        n_permutations=99,
        n_bootstrap=50,
    )
    assert np.isfinite(validation.report.ari)
    explanation = explain(report, run.labels)
    # SHAP is exact for every aggregation: base + sum = score, per region and level
    shap = explanation.level_shap
    totals = shap.groupby(["region_id", "target"]).shap_value.sum()
    totals += shap.groupby(["region_id", "target"]).base_value.first()
    scores = report.scores.set_index(["region_id", "level"]).score
    for key, value in totals.items():
        assert value == pytest.approx(scores[key], abs=1e-9)

    path = tmp_path / "state.skops"
    dump(freeze(prep, report, run), path)
    # Only the scored regions are served here (their rows do not depend on it: see
    # test_serving_fewer_regions_changes_nothing_but_the_rows).
    served = predict_frozen(load(path), data, year=prep.year, regions=prep.regions)
    served = served.set_index("region_id")
    for _, row in report.scores.iterrows():
        assert served.at[row.region_id, f"score__{row.level}"] == pytest.approx(
            row.score, rel=0, abs=1e-9
        )
    np.testing.assert_array_equal(served.loc[run.labels.index, "cluster"], run.labels)
    profiles = report.profiles.set_index("region_id").profile_type
    assert (served.loc[profiles.index, "profile_type"] == profiles).all()
    # the served SHAP values are the run's
    for _, row in shap.iterrows():
        served_value = served.at[row.region_id, f"shap__{row.target}__{row.feature}"]
        assert served_value == pytest.approx(row.shap_value, abs=1e-9)


def test_serving_fewer_regions_changes_nothing_but_the_rows(bundled):
    from border_readiness.experiments.frozen_model import freeze, predict_frozen
    from border_readiness.experiments.steps import clustering_matrix, fit_clusters, score

    data, prep = bundled
    report = score(prep, uncertainty=False)
    run = fit_clusters(clustering_matrix(report))
    state = freeze(prep, report, run)
    everyone = predict_frozen(state, data, year=prep.year).set_index("region_id")
    assert len(everyone) > 80  # all Russian subjects of the input
    some = ["RU-OMS", "RU-ALT", "RU-MOW"]
    few = predict_frozen(state, data, year=prep.year, regions=some).set_index("region_id")
    assert list(few.index) == sorted(some, key=list(everyone.index).index)
    pd.testing.assert_frame_equal(few, everyone.loc[few.index])


class _Stranger:
    """A type no state file may hold (defined here, in a test module)."""

    def __init__(self):
        self.payload = [1, 2, 3]


def test_a_state_holding_an_unlisted_type_is_refused(tmp_path):
    from border_readiness.experiments.frozen_model import dump, load

    path = tmp_path / "state.skops"
    dump({"state_version": 2, "extra": _Stranger()}, path)
    with pytest.raises(ValueError, match=r"untrusted types .*_Stranger.*; not loaded"):
        load(path)
