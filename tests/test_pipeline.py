"""The one pipeline: which steps each command runs, and that it runs no others."""

from __future__ import annotations

import itertools

import pytest

from border_readiness.experiments import pipeline
from border_readiness.experiments.cli import main
from border_readiness.experiments.pipeline import STEPS, steps_for


def test_steps_for_is_closed_under_dependencies_and_ordered():
    # Hand-written dependency table: each step with what it needs.
    needs = {
        "score": {"prepare"},
        "uncertainty": {"score"},
        "cluster": {"score"},
        "stability": {"cluster"},
        "validate": {"cluster"},
        "explain": {"cluster"},
        "embed": {"cluster"},
    }
    for r in (1, 2):
        for wanted in itertools.combinations(STEPS, r):
            got = steps_for(*wanted)
            assert set(wanted) <= set(got)
            assert list(got) == sorted(got, key=STEPS.index)
            for step in got:
                assert needs.get(step, set()) <= set(got), (wanted, step)
    assert steps_for("explain") == ("prepare", "score", "cluster", "explain")
    assert steps_for(*STEPS) == STEPS
    with pytest.raises(ValueError, match="unknown step"):
        steps_for("bootstrap")


def _forbid(monkeypatch, module: str, name: str) -> None:
    import importlib

    def refuse(*_a, **_k):
        raise AssertionError(f"{name} must not run for this command")

    monkeypatch.setattr(importlib.import_module(module), name, refuse)


SMALL = ["--bootstrap", "10", "--consensus-reps", "10", "--quiet"]


@pytest.mark.parametrize(
    ("argv", "forbidden", "written"),
    [
        # Fitting its own clusters, typology validate assesses their stability (issue 15: its
        # report gives the clusters' Jaccard verdicts); with --clusters it fits nothing.
        (
            ["typology", "validate", "federal_districts", "--permutations", "99"],
            ["monte_carlo_ranks", "rank_sensitivity"],
            "agreement.json",
        ),
        (
            ["typology", "validate", "federal_districts", "--permutations", "99", "--clusters"],
            ["monte_carlo_ranks", "rank_sensitivity", "bootstrap_jaccard", "consensus"],
            "agreement.json",
        ),
        (["explain"], ["monte_carlo_ranks", "rank_sensitivity", "bootstrap_jaccard"], "shap.csv"),
    ],
    ids=["typology-validate", "typology-validate-clusters", "explain"],
)
def test_single_step_commands_skip_the_monte_carlo_and_the_bootstrap(
    argv, forbidden, written, tmp_path, monkeypatch
):
    where = {
        "monte_carlo_ranks": "border_readiness.features.composite",
        "rank_sensitivity": "border_readiness.features.composite",
        "bootstrap_jaccard": "border_readiness.clustering.stability",
        "consensus": "border_readiness.clustering.stability",
    }
    for name in forbidden:
        _forbid(monkeypatch, where[name], name)
    if argv[-1] == "--clusters":  # a clusters file made by hand: two halves of the regions
        from border_readiness.features.regions import BORDER_REGIONS

        path = tmp_path / "clusters.csv"
        path.write_text(
            "region_id,cluster\n"
            + "".join(f"{r},{i // 6}\n" for i, r in enumerate(BORDER_REGIONS)),
            encoding="utf-8",
        )
        argv = [*argv, str(path)]
    out = tmp_path / "out"
    assert main([*argv, *SMALL, "--out", str(out)]) == 0
    assert (out / written).is_file()


def test_cluster_skips_the_monte_carlo_but_assesses_stability(tmp_path, monkeypatch):
    _forbid(monkeypatch, "border_readiness.features.composite", "monte_carlo_ranks")
    _forbid(monkeypatch, "border_readiness.features.composite", "rank_sensitivity")
    # The map is not what this test is about; a stand-in keeps numba out of it.
    from border_readiness.clustering import embedding

    original, calls = embedding.embed_2d, []

    def fake_embed(X, random_state=0):
        calls.append(random_state)
        return original(X, random_state=random_state, method="pca")

    monkeypatch.setattr("border_readiness.clustering.embedding.embed_2d", fake_embed)
    out = tmp_path / "out"
    assert main(["cluster", *SMALL, "--out", str(out)]) == 0
    assert (out / "stability.json").is_file() and (out / "consensus.csv").is_file()
    assert len(calls) == 1


def test_analyse_leaves_the_steps_it_did_not_run_empty():
    from border_readiness.experiments.config import load_experiment
    from border_readiness.features.dataset import load_dataset

    cfg = load_experiment(None)
    a = pipeline.analyse(cfg, load_dataset(), data_label="bundled", steps=("cluster",))
    assert a.steps == ("prepare", "score", "cluster")
    assert a.report.uncertainty.empty and a.report.sensitivity.empty
    assert a.run.stability is None and a.run.confidence.isna().all()
    assert a.validations == {} and a.explanation is None and a.embedding is None
    # The nominal scores do not depend on the uncertainty step.
    from dataclasses import replace

    small = replace(cfg, score=replace(cfg.score, n_replicates=200, sobol_n=16))
    full = pipeline.analyse(small, load_dataset(), data_label="bundled", steps=("uncertainty",))
    assert len(full.report.uncertainty) == 12 * 4 and not full.report.sensitivity.empty
    assert full.report.scores.equals(a.report.scores)
    assert full.report.contributions.equals(a.report.contributions)
