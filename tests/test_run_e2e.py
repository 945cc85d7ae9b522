"""End to end: `run`, `retrain` and `card` against a local store and a real `mlflow server`.

These tests run the real pipeline on the bundled data (tens of seconds each) and are marked
slow; they are part of the default test command.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from border_readiness.clustering.typologies import load_typology, shipped_typologies
from border_readiness.experiments.card import normalise_for_comparison
from border_readiness.experiments.cli import main
from border_readiness.features.dataset import load_dataset

# The tests that read the default run (a module fixture) run on one worker, so that it is
# computed once; the others go wherever a worker is free.
SHARES_DEFAULT_RUN = pytest.mark.xdist_group("default_run")

PROJECT = Path(__file__).resolve().parents[1]
COMMITTED_CARD = PROJECT / "models" / "border-readiness" / "v1"
SMALL_CONFIG = """
[score]
n_replicates = 500

[cluster]
bootstrap = 100
consensus_reps = 50

[validate]
permutations = 199
"""


def _client(uri: str):
    import mlflow

    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return mlflow.MlflowClient()


def _html_text(path: Path) -> str:
    """The HTML card without its embedded images (PNG bytes may differ across matplotlib)."""
    text = path.read_text(encoding="utf-8")
    return re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "data:image/png;base64,<png>", text)


def _main_in(folder: Path, argv: list[str]) -> int:
    """``main(argv)`` with ``folder`` as the working directory.

    The default MLflow store (``./mlflow.db``, ``./mlartifacts``) lives there.
    """
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        return main(argv)


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    """The folder in which `border-readiness run` ran with its defaults, as from a checkout."""
    folder = tmp_path_factory.mktemp("default_run")
    assert _main_in(folder, ["run", "--quiet"]) == 0
    assert (folder / "mlflow.db").is_file() and (folder / "mlartifacts").is_dir()
    return folder


@pytest.mark.slow
@SHARES_DEFAULT_RUN
@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_run_from_a_checkout_leaves_git_status_clean(default_run, tmp_path):
    # Everything `run` wrote in its working directory, under the project's .gitignore: git must
    # see nothing new. The folder is copied so that later tests' downloads do not count.
    checkout = tmp_path / "checkout"
    shutil.copytree(default_run, checkout)
    shutil.copy(PROJECT / ".gitignore", checkout / ".gitignore")
    subprocess.run(["git", "init", "-q", str(checkout)], check=True)
    subprocess.run(["git", "-C", str(checkout), "add", ".gitignore"], check=True)
    status = subprocess.run(
        ["git", "-C", str(checkout), "status", "--porcelain", "--untracked-files=all"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert status == ["A  .gitignore"], status
    assert (checkout / "out" / "models" / "border-readiness" / "v1" / "MODEL_CARD.md").is_file()


@pytest.mark.slow
@SHARES_DEFAULT_RUN
def test_run_logs_params_metrics_lineage_and_artifacts(default_run):
    client = _client(f"sqlite:///{default_run / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("border-readiness")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.status == "FINISHED"
    params = run.data.params
    assert params["cluster.method"] == "kmeans" and params["data.regions"] == "border"
    assert run.data.tags["border_readiness.year"] == "2021"
    assert re.fullmatch(r"[0-9a-f]{16}", run.data.tags["border_readiness.data_sha256"])

    # Dataset lineage: the bundled long table, with MLflow's digest and its row count.
    (inp,) = run.inputs.dataset_inputs
    assert inp.dataset.digest
    assert json.loads(inp.dataset.profile)["num_rows"] == len(load_dataset(None))
    assert json.loads(inp.dataset.source)["uri"].endswith("regions_long.csv.gz")

    # The metric agrees with an independent ARI on the logged clusters and the typology file.
    import mlflow

    local = Path(
        mlflow.artifacts.download_artifacts(
            run_id=run.info.run_id, dst_path=str(default_run / "dl")
        )
    )
    clusters = pd.read_csv(local / "results" / "cluster" / "clusters.csv").set_index("region_id")
    districts = load_typology(shipped_typologies()["federal_districts"]).as_series(multi="first")
    common = clusters.index.intersection(districts.index)
    assert len(common) == 12
    expected = adjusted_rand_score(districts[common], clusters.loc[common, "cluster"])
    assert run.data.metrics["agreement.federal_districts.ari"] == pytest.approx(expected)
    jaccards = [v for k, v in run.data.metrics.items() if k.startswith("stability.jaccard_mean.")]
    assert len(jaccards) == len(set(clusters["cluster"])) and all(0 <= j <= 1 for j in jaccards)
    assert 0 <= run.data.metrics["surrogate.fidelity_loo"] <= 1

    # Every table of score, cluster, typology validate and explain, and the HTML report.
    for rel in (
        "score/scores.csv",
        "score/contributions.csv",
        "score/uncertainty.csv",
        "score/sensitivity.csv",
        "score/profiles.csv",
        "cluster/features.csv",
        "cluster/stability.json",
        "cluster/consensus.csv",
        "validate/federal_districts/agreement.json",
        "validate/sokolov_rudneva_border_stability/disagreements.csv",
        "explain/shap.csv",
    ):
        assert (local / "results" / rel).is_file(), rel
        # The same file, byte for byte, next to the card (outside the MLflow store).
        beside = default_run / "out" / "models" / "border-readiness" / "v1" / "results" / rel
        assert beside.read_bytes() == (local / "results" / rel).read_bytes(), rel
    assert (local / "report" / "MODEL_CARD.html").is_file()


@pytest.mark.slow
@SHARES_DEFAULT_RUN
def test_registered_pyfunc_reproduces_the_run(default_run):
    import mlflow

    client = _client(f"sqlite:///{default_run / 'mlflow.db'}")
    version = client.get_model_version_by_alias("border-readiness", "champion")
    assert str(version.version) == "1"
    (run,) = client.search_runs([client.get_experiment_by_name("border-readiness").experiment_id])
    assert version.run_id == run.info.run_id
    local = Path(
        mlflow.artifacts.download_artifacts(
            run_id=run.info.run_id, artifact_path="results", dst_path=str(default_run / "dl2")
        )
    )
    scores = pd.read_csv(local / "score" / "scores.csv")
    clusters = pd.read_csv(local / "cluster" / "clusters.csv").set_index("region_id")

    model = mlflow.pyfunc.load_model("models:/border-readiness@champion")
    predicted = model.predict(load_dataset(None), params={"year": 2021}).set_index("region_id")
    border = clusters.index
    assert (predicted.loc[border, "cluster"].astype(int) == clusters["cluster"]).all()
    overall = scores[scores.level == "overall"].set_index("region_id")["score"]
    np.testing.assert_allclose(predicted.loc[border, "score__overall"], overall[border], atol=1e-9)
    # SHAP contributions of a level sum to its score minus the base value, the same for all.
    for level in ("transport_communication", "joint_projects", "social_services"):
        shap_cols = [c for c in predicted.columns if c.startswith(f"shap__{level}__")]
        base = predicted[f"score__{level}"] - predicted[shap_cols].sum(axis=1)
        assert shap_cols and np.ptp(base.to_numpy()) < 1e-8


@pytest.mark.slow
@SHARES_DEFAULT_RUN
def test_default_run_says_the_2021_data_show_no_cluster_structure(default_run):
    """Issue 10: gap k = 1 and the silhouette is what permuted data give; every report says so."""
    v1 = default_run / "out" / "models" / "border-readiness" / "v1"
    structure = json.loads((v1 / "results" / "cluster" / "stability.json").read_text())["structure"]
    assert structure["verdict"] == "no structure" and structure["gap_k"] == 1
    assert all(p > 0.05 for p in structure["p_values"].values())
    k_sel = pd.read_csv(v1 / "results" / "cluster" / "k_selection.csv")
    assert k_sel["k"].tolist()[0] == 1 and k_sel["gap"].notna().all()
    card = (v1 / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "Is there cluster structure?" in card and "The data show no cluster structure" in card
    assert "groups of similar regions found in the data" not in card
    assert "the expert typology versus a structureless data set" in card


# A full-precision float (the JSON card's metrics) to 10 significant digits: distances and
# sums in scikit-learn, SciPy and numpy take CPU-specific SIMD and BLAS paths, so a card made
# on another machine differs in the last one or two of its 17 digits (seen: silhouette
# 0.1224296131754987 vs 0.12242961317549884), which is no change of result.
_LONG_FLOAT = re.compile(r"-?\d+\.\d{9,}(?:e[-+]?\d+)?")


def _same_result(text: str) -> str:
    text = normalise_for_comparison(text)
    return _LONG_FLOAT.sub(lambda m: f"{float(m.group()):.10g}", text)


def test_same_result_ignores_round_off_only():
    a = '"silhouette": 0.1224296131754987, "gap": -0.11175049864750197, "n": 12'
    b = '"silhouette": 0.12242961317549884, "gap": -0.11175049864750242, "n": 12'
    assert _same_result(a) == _same_result(b)
    assert _same_result(a) != _same_result(a.replace("0.12242961", "0.12242971"))
    assert _same_result('"rank": 8.0, "score": 41.25') == '"rank": 8.0, "score": 41.25'


@pytest.mark.slow
@SHARES_DEFAULT_RUN
def test_committed_card_equals_a_fresh_default_run(default_run):
    fresh = default_run / "out" / "models" / "border-readiness" / "v1"
    for name in ("MODEL_CARD.md", "MODEL_CARD.json"):
        committed = _same_result((COMMITTED_CARD / name).read_text(encoding="utf-8"))
        new = _same_result((fresh / name).read_text(encoding="utf-8"))
        assert new == committed, (
            f"{name} of a fresh default run differs from the committed card; regenerate it with "
            "`border-readiness card` as the README's 'Model cards' section says"
        )
    committed_html = _same_result(_html_text(COMMITTED_CARD / "MODEL_CARD.html"))
    assert _same_result(_html_text(fresh / "MODEL_CARD.html")) == committed_html
    todo = (fresh / "MODEL_CARD.md").read_text(encoding="utf-8").count("TODO")
    assert todo == 4  # licence, owner, reviewer, sign-off: only a person can answer these


@pytest.mark.slow
@SHARES_DEFAULT_RUN
def test_retrain_keeps_or_promotes_and_never_overwrites(default_run, capsys):
    out = str(default_run / "cards")
    client = _client(f"sqlite:///{default_run / 'mlflow.db'}")
    # An earlier year never replaces the later one.
    assert _main_in(default_run, ["retrain", "--year", "2020"]) == 0
    assert (default_run / "out" / "models" / "border-readiness" / "v2" / "results").is_dir()
    printed = capsys.readouterr().out
    assert "decision: keep" in printed and "earlier year never replaces" in printed
    assert str(client.get_model_version_by_alias("border-readiness", "champion").version) == "1"
    v2 = client.get_model_version("border-readiness", "2")
    run2 = client.get_run(v2.run_id)
    assert run2.data.tags["border_readiness.decision"] == "keep"
    assert run2.data.tags["border_readiness.year"] == "2020"
    import mlflow

    retrain_dir = Path(
        mlflow.artifacts.download_artifacts(
            run_id=v2.run_id, artifact_path="retrain", dst_path=str(default_run / "dl3")
        )
    )
    decision = json.loads((retrain_dir / "decision.json").read_text())
    assert decision["action"] == "keep"
    # The map of the regions that changed type is logged beside the tables (issue 15).
    assert (retrain_dir / "changed_types_map.png").read_bytes()[:4] == b"\x89PNG"
    transitions = json.loads((retrain_dir / "transitions.json").read_text())
    assert -1 <= transitions["ari"] <= 1
    ranks = pd.read_csv(retrain_dir / "rank_changes.csv")
    assert len(ranks) == 12 * 4
    drift = pd.read_csv(retrain_dir / "indicator_drift.csv")
    assert len(drift) > 0
    # Both versions are still there, each with its own run.
    versions = client.search_model_versions("name='border-readiness'")
    assert sorted(str(v.version) for v in versions) == ["1", "2"]
    assert len({v.run_id for v in versions}) == 2

    # A card of the kept version, by run id, only in the asked formats.
    assert (
        _main_in(
            default_run,
            ["card", "--run-id", v2.run_id, "--format", "md,json", "--out", out, "--quiet"],
        )
        == 0
    )
    # The store is found in the working directory, not in --out.
    card_dir = default_run / "cards" / "models" / "border-readiness" / "v2"
    assert (card_dir / "MODEL_CARD.md").is_file() and (card_dir / "MODEL_CARD.json").is_file()
    card = json.loads((card_dir / "MODEL_CARD.json").read_text())
    assert card["model_details"]["version"] == 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_run_logs_to_a_real_mlflow_server_over_http(tmp_path):
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--backend-store-uri",
            f"sqlite:///{tmp_path / 'server.db'}",
            "--artifacts-destination",
            str(tmp_path / "server_artifacts"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{uri}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert server.poll() is None, "mlflow server exited"
            assert time.monotonic() < deadline, "mlflow server did not start in 120 s"
            time.sleep(0.5)
        config = tmp_path / "small.toml"
        config.write_text(SMALL_CONFIG, encoding="utf-8")
        out = tmp_path / "out"
        code = main(
            ["run", "--config", str(config), "--tracking-uri", uri, "--out", str(out), "--quiet"]
        )
        assert code == 0
        client = _client(uri)
        (run,) = client.search_runs(
            [client.get_experiment_by_name("border-readiness").experiment_id]
        )
        assert run.data.params["validate.permutations"] == "199"
        assert (
            client.get_model_version_by_alias("border-readiness", "champion").run_id
            == run.info.run_id
        )
        # The server stored the artifacts, not the client's folder.
        assert any((tmp_path / "server_artifacts").rglob("scores.csv"))
        assert not (out / "mlflow.db").exists()
        assert (out / "models" / "border-readiness" / "v1" / "MODEL_CARD.md").is_file()
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


# Non-default configurations end to end: the README's example config (z-scores, geometric
# aggregation) and a Copeland one, through every command, and the registered pyfunc against the
# run's own tables. The whole 36-combination grid of the model is in test_model_grid.py.
NON_DEFAULT = {
    "zscore-geometric": 'normalisation = "zscore"\naggregation = "geometric"\n',
    "rank-pca-copeland": 'normalisation = "rank"\nweighting = "pca"\naggregation = "copeland"\n',
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(NON_DEFAULT))
def test_non_default_configuration_runs_through_every_command(name, tmp_path):
    import mlflow

    config = tmp_path / "config.toml"
    config.write_text(
        "[score]\n" + NON_DEFAULT[name] + "n_replicates = 200\nsobol_n = 16\n"
        "[cluster]\nbootstrap = 20\nconsensus_reps = 20\n[validate]\npermutations = 99\n",
        encoding="utf-8",
    )
    small = ["--bootstrap", "20", "--consensus-reps", "20"]
    for args in (
        ["score"],
        ["cluster", *small],
        [
            "typology",
            "validate",
            str(shipped_typologies()["federal_districts"]),
            *small,
            "--permutations",
            "99",
        ],
        ["explain", *small],
    ):
        out = tmp_path / args[0]
        assert main([*args, "--config", str(config), "--out", str(out), "--quiet"]) == 0, args
    run_out = tmp_path / "run"
    run_out.mkdir()
    assert (
        _main_in(run_out, ["run", "--config", str(config), "--out", str(run_out), "--quiet"]) == 0
    )

    uri = f"sqlite:///{run_out / 'mlflow.db'}"
    client = _client(uri)
    version = client.get_model_version_by_alias("border-readiness", "champion")
    local = Path(
        mlflow.artifacts.download_artifacts(
            run_id=version.run_id, artifact_path="results", dst_path=str(tmp_path / "dl")
        )
    )
    scores = pd.read_csv(local / "score" / "scores.csv")
    clusters = pd.read_csv(local / "cluster" / "clusters.csv").set_index("region_id")
    model = mlflow.pyfunc.load_model("models:/border-readiness@champion")
    predicted = model.predict(load_dataset(None), params={"year": 2021}).set_index("region_id")
    assert (predicted.loc[clusters.index, "cluster"].astype(int) == clusters["cluster"]).all()
    for _, row in scores.iterrows():
        assert predicted.at[row.region_id, f"score__{row.level}"] == pytest.approx(
            row.score, abs=1e-9
        )
    # the standalone `score` command wrote the same scores as the run
    standalone = pd.read_csv(tmp_path / "score" / "scores.csv")
    pd.testing.assert_frame_equal(standalone, scores)
