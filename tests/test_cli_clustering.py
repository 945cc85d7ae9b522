"""`cluster`, `typology check/validate` and `explain` on the bundled data, end to end."""

import json

import pandas as pd
import pytest

from border_readiness.clustering.typologies import shipped_typologies
from border_readiness.experiments.cli import main
from border_readiness.features.regions import BORDER_REGIONS

# One worker runs this module: its tests share a module fixture.
pytestmark = pytest.mark.xdist_group("test_cli_clustering")

# Small replicate counts: these tests check the files and their invariants, not the figures
# (the default counts run in test_run_e2e.py's default run).
FAST = ["--bootstrap", "20", "--consensus-reps", "20", "--quiet"]
SMALL_SCORE = "[score]\nn_replicates = 200\nsobol_n = 16\n"


@pytest.fixture(scope="module")
def cluster_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("cluster")
    assert main(["cluster", "--out", str(out), *FAST]) == 0
    return out


def test_cluster_writes_the_files(cluster_out):
    for name in (
        "features.csv",
        "clusters.csv",
        "stability.json",
        "consensus.csv",
        "embedding.png",
        "consensus.png",
        "map_typology.png",
        "loo_regions.csv",
        "loo_indicators.csv",
    ):
        assert (cluster_out / name).stat().st_size > 0, name
    clusters = pd.read_csv(cluster_out / "clusters.csv")
    assert list(clusters.columns) == ["region_id", "region_name", "cluster", "confidence"]
    assert sorted(clusters["region_id"]) == sorted(BORDER_REGIONS)
    assert clusters["confidence"].between(0, 1).all()
    stab = json.loads((cluster_out / "stability.json").read_text())
    assert {"method", "k", "B", "jaccard_mean", "elapsed_s"} <= set(stab)
    assert stab["B"] == 20 and len(stab["jaccard_mean"]) == stab["k"]
    assert all(0 <= j <= 1 for j in stab["jaccard_mean"])
    assert any("n = 12 regions" in n for n in stab["notes"])
    features = pd.read_csv(cluster_out / "features.csv")
    assert (
        len(features) == 12
        and features.drop(columns=["region_id", "region_name"]).stack().between(0, 1).all()
    )
    consensus = pd.read_csv(cluster_out / "consensus.csv", index_col=0).drop(columns="region_name")
    assert (consensus.to_numpy().diagonal() == 1).all()


def test_cluster_is_reproducible(cluster_out, tmp_path):
    again = tmp_path / "again"
    assert main(["cluster", "--out", str(again), *FAST]) == 0
    for name in ("clusters.csv", "consensus.csv", "loo_regions.csv"):
        assert (again / name).read_bytes() == (cluster_out / name).read_bytes(), name


@pytest.mark.parametrize("name", [n for n in shipped_typologies() if "template" not in n])
def test_typology_validate_each_shipped(name, tmp_path, cluster_out):
    out = tmp_path / name
    path = shipped_typologies()[name]
    argv = [
        "typology",
        "validate",
        str(path),
        "--out",
        str(out),
        "--permutations",
        "99",
        "--clusters",
        str(cluster_out / "clusters.csv"),
        "--quiet",
    ]
    assert main(argv) == 0
    body = json.loads((out / "agreement.json").read_text())
    # the package's own profiles read as internal consistency, published typologies as validation
    own = name == "border_readiness_profiles_2021"
    assert body["origin"] == ("own" if own else "expert")
    assert body["reads_as"] == ("internal consistency" if own else "validation")
    for key in (
        "ari",
        "ami",
        "nmi",
        "fmi",
        "v_measure",
        "p_value",
        "ari_ci",
        "n_regions",
        "n_permutations",
    ):
        assert key in body, key
    assert body["n_permutations"] == 99 and 0 < body["p_value"] <= 1
    assert -1 <= body["ari"] <= 1
    disagreements = pd.read_csv(out / "disagreements.csv")
    assert list(disagreements.columns[:5]) == [
        "region_id",
        "region_name",
        "expert_type",
        "data_type",
        "reason",
    ]
    assert (out / "contingency.csv").exists()
    # An expert typology gets its map; the package's own profiles are never drawn as one.
    assert (out / "map_expert.png").exists() != own
    if not own:
        assert (out / "map_expert.png").read_bytes()[:4] == b"\x89PNG"
    # Every admissible resolution of the multi-type regions, with its ARI (issue 10).
    resolutions = pd.read_csv(out / "resolutions.csv")
    assert len(resolutions) == body["n_resolutions"] and resolutions["chosen"].sum() == 1
    assert body["ari_range"] == pytest.approx([resolutions.ari.min(), resolutions.ari.max()])
    assert resolutions.loc[resolutions.chosen, "ari"].iloc[0] == pytest.approx(body["ari"])
    assert body["selection_aware"] == (body["n_resolutions"] > 1)


def test_typology_validate_clusters_itself_with_k_from_types(tmp_path, capsys):
    path = shipped_typologies()["federal_districts"]
    out = tmp_path / "v"
    assert (
        main(["typology", "validate", str(path), "--out", str(out), "--permutations", "99", *FAST])
        == 0
    )
    body = json.loads((out / "agreement.json").read_text())
    assert body["k"] == 4  # four federal districts


def test_typology_check_template_explains(capsys):
    path = shipped_typologies()["roy_2022_three_levels_template"]
    assert main(["typology", "check", str(path)]) == 0
    assert "How to fill in" in capsys.readouterr().out


def test_typology_errors_are_one_line(tmp_path, capsys):
    bad = tmp_path / "t.csv"
    bad.write_text("region_id,type\nОмскя облсть,a\n", encoding="utf-8")
    assert main(["typology", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Омская область" in err
    template = shipped_typologies()["roy_2022_three_levels_template"]
    assert main(["typology", "validate", str(template), "--out", str(tmp_path / "o")]) == 2
    assert "template" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_explain_writes_shap(tmp_path):
    config = tmp_path / "small.toml"
    config.write_text(SMALL_SCORE, encoding="utf-8")
    out = tmp_path / "explain"
    assert main(["explain", "--config", str(config), "--out", str(out), *FAST]) == 0
    shap = pd.read_csv(out / "shap.csv")
    assert list(shap.columns) == ["region_id", "region_name", "target", "feature", "shap_value"]
    levels = {"transport_communication", "joint_projects", "social_services"}
    assert levels <= set(shap["target"])
    assert any(t.startswith("cluster") for t in shap["target"])
    info = json.loads((out / "explain.json").read_text())
    assert "fidelity_loo" in json.dumps(info)
    for level in levels:
        assert (out / f"shap_{level}.png").exists()
    # The command passes the score model: the rules are in the indicators' own units.
    rules = (out / "surrogate_rules.txt").read_text(encoding="utf-8")
    assert rules.startswith("Thresholds in the indicators' own units") and "-> cluster" in rules
    # Efficiency: base value + SHAP values = the level score of scores.csv.
    detail = pd.read_csv(out / "shap_levels_detail.csv")
    recon = detail.groupby(["region_id", "target"]).agg(
        s=("shap_value", "sum"), b=("base_value", "first")
    )
    score_dir = tmp_path / "score"
    assert main(["score", "--config", str(config), "--out", str(score_dir), "--quiet"]) == 0
    scores = pd.read_csv(score_dir / "scores.csv").set_index(["region_id", "level"])["score"]
    for (rid, level), row in recon.iterrows():
        assert row["s"] + row["b"] == pytest.approx(scores[(rid, level)], abs=1e-6)
