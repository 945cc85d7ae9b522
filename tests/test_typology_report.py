"""`typology validate` as a report in names (issue 15, item 5), on a typology built by hand.

The typology and the clusters below are made so that everything the report says is known by
construction: three types of four regions each; the clusters are the types except that Omsk
(type Gamma) sits with the Alpha regions. The Hungarian alignment is then 0 -> alpha,
1 -> beta, 2 -> gamma, the table is [[4, 0, 0], [0, 4, 0], [1, 0, 3]] and Omsk is the one
region that disagrees.
"""

import json
import math

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from border_readiness.clustering.agreement import agreement, ami_interval
from border_readiness.experiments.cli import VALIDATE_K_HELP, build_parser, main

pytestmark = pytest.mark.xdist_group("test_typology_report")

ALPHA = ["RU-AST", "RU-VGG", "RU-SAR", "RU-SAM"]
BETA = ["RU-ORE", "RU-CHE", "RU-KGN", "RU-TYU"]
GAMMA = ["RU-OMS", "RU-NVS", "RU-ALT", "RU-AL"]
FAST = ["--permutations", "99", "--bootstrap", "20", "--consensus-reps", "20"]

TOML = """
name = "hand_built"
title = "A typology built by hand for the report test"
citation = "none: made up for a test"
classifies = "regions"
confidence = "low"
confidence_note = "invented"
template = false

[[types]]
id = "alpha"
name = "Alpha west"
description = "the Volga and Southern regions"

[[types]]
id = "beta"
name = "Beta Urals"
description = "the Ural regions"

[[types]]
id = "gamma"
name = "Gamma Siberia"
description = "the Siberian regions"

[assignments]
"""


def _lines():
    rows = []
    for t, rs in (("alpha", ALPHA), ("beta", BETA), ("gamma", GAMMA)):
        rows += [f'"{r}" = "{t}"' for r in rs]
    return rows


@pytest.fixture()
def hand_built(tmp_path):
    typology = tmp_path / "hand_built.toml"
    typology.write_text(TOML + "\n".join(_lines()) + "\n", encoding="utf-8")
    clusters = {**dict.fromkeys(ALPHA, 0), **dict.fromkeys(BETA, 1), **dict.fromkeys(GAMMA, 2)}
    clusters["RU-OMS"] = 0
    path = tmp_path / "run" / "clusters.csv"
    path.parent.mkdir()
    pd.DataFrame({"region_id": list(clusters), "cluster": list(clusters.values())}).to_csv(
        path, index=False
    )
    return typology, path


def _validate(typology, clusters, out, capsys):
    argv = ["typology", "validate", str(typology), "--out", str(out), *FAST]
    if clusters is not None:
        argv += ["--clusters", str(clusters)]
    assert main(argv) == 0
    return capsys.readouterr().out


def test_report_names_the_table_and_the_disagreeing_region(hand_built, tmp_path, capsys):
    typology, clusters = hand_built
    text = _validate(typology, clusters, tmp_path / "v", capsys)
    # ARI of [[4,0,0],[0,4,0],[1,0,3]] by hand: index 15 (6+6+3), expected 18*19/66,
    # maximum (18+19)/2 -> (15 - 5.1818) / (18.5 - 5.1818) = 0.737.
    assert "ARI 0.74 [95% CI" in text and "AMI " in text and "permutation p = " in text
    # The count grid with the expert's names of the types, aligned pairs on the diagonal.
    grid = [line.split() for line in text.splitlines() if line.startswith("  Gamma Siberia")]
    assert grid == [["Gamma", "Siberia", "('gamma')", "1", "0", "3"]]
    assert "0 -> 'alpha'" in text and "1 -> 'beta'" in text and "2 -> 'gamma'" in text
    # Names in the cells.
    assert "Gamma Siberia ('gamma') × cluster 0 (matched to 'alpha'): Omsk Oblast" in text
    assert (
        "Gamma Siberia ('gamma') × cluster 2 (matched to 'gamma'): Novosibirsk Oblast, "
        "Altai Krai, Altai Republic" in text
    )
    # The one disagreement, in a sentence with its drivers.
    assert "disagreeing regions (1 of 12):" in text
    line = next(x for x in text.splitlines() if x.startswith("  Omsk Oblast (RU-OMS): "))
    assert (
        "expert Gamma Siberia ('gamma'), data cluster 0 (matched to Alpha west ('alpha'))" in line
    )
    assert "pulled away by " in line
    # No bootstrap here and no stability.json beside the file: said, not invented.
    assert "no stability: the clusters come from" in text


def test_report_files(hand_built, tmp_path, capsys):
    typology, clusters = hand_built
    out = tmp_path / "v"
    _validate(typology, clusters, out, capsys)
    named = pd.read_csv(out / "contingency_named.csv", keep_default_na=False)
    assert list(named.columns) == [
        "expert_type",
        "expert_type_name",
        "cluster 0 (matched to 'alpha')",
        "cluster 1 (matched to 'beta')",
        "cluster 2 (matched to 'gamma')",
    ]
    assert named["expert_type_name"].tolist() == ["Alpha west", "Beta Urals", "Gamma Siberia"]
    gamma = named.set_index("expert_type").loc["gamma"]
    assert gamma.iloc[1:].tolist() == [
        "Omsk Oblast",
        "",
        "Novosibirsk Oblast; Altai Krai; Altai Republic",
    ]
    alpha = named.set_index("expert_type").loc["alpha"]
    assert alpha.iloc[1] == "Astrakhan Oblast; Volgograd Oblast; Saratov Oblast; Samara Oblast"
    md = (out / "validation.md").read_text(encoding="utf-8")
    assert (
        "| Gamma Siberia ('gamma') | 1: Omsk Oblast | 0 | 3: Novosibirsk Oblast; Altai Krai; "
        "Altai Republic |" in md
    )
    assert "- Omsk Oblast (RU-OMS): expert Gamma Siberia" in md
    # The drivers named in words are the top pulls of disagreement_drivers.csv, by label.
    from border_readiness.features.catalogue import load_catalogue

    labels = {i.id: i.label for i in load_catalogue()}
    drivers = pd.read_csv(out / "disagreement_drivers.csv")
    top = drivers[(drivers.region_id == "RU-OMS") & (drivers["rank"] <= 3) & (drivers.net > 0)]
    assert len(top) >= 1
    sentence = next(x for x in md.splitlines() if x.startswith("- Omsk Oblast"))
    positions = [sentence.index(labels[f]) for f in top.sort_values("rank").feature]
    assert positions == sorted(positions)
    body = json.loads((out / "agreement.json").read_text())
    assert body["contingency"]["counts"] == [[4, 0, 0], [0, 4, 0], [1, 0, 3]]
    lo, hi = body["ami_ci"]
    assert -1 <= lo <= hi <= 1 and "ami" in body["p_values"]


def test_stability_beside_the_clusters_file_is_read_only_when_it_fits(hand_built, tmp_path, capsys):
    typology, clusters = hand_built
    regions = ALPHA + BETA + GAMMA
    beside = clusters.with_name("stability.json")
    stab = {
        "B": 50,
        "clusters": [0, 1, 2],
        "cluster_sizes": [5, 4, 3],
        "jaccard_mean": [0.9, 0.55, 0.3],
        "verdict": ["highly stable", "unstable", "dissolved"],
        "regions": regions,
    }
    beside.write_text(json.dumps(stab), encoding="utf-8")
    text = _validate(typology, clusters, tmp_path / "v1", capsys)
    assert "cluster 0 (5 regions): mean Jaccard 0.90, highly stable: Astrakhan Oblast" in text
    assert "cluster 2's bootstrap verdict" not in text  # Omsk is in cluster 0
    assert "cluster 0's bootstrap verdict: highly stable (mean Jaccard 0.90)" in text
    # Sizes of other clusters: not these clusters' stability, so none is shown.
    beside.write_text(json.dumps({**stab, "cluster_sizes": [4, 4, 4]}), encoding="utf-8")
    text = _validate(typology, clusters, tmp_path / "v2", capsys)
    assert "no stability" in text and "is of other clusters" in text
    assert "mean Jaccard 0.90" not in text


def test_stability_verdicts_when_the_command_fits_the_clusters(hand_built, tmp_path, capsys):
    typology, _ = hand_built
    out = tmp_path / "fit"
    text = _validate(typology, None, out, capsys)
    assert "fitted here: bootstrap Jaccard (fpc::clusterboot), B = 20" in text
    body = json.loads((out / "agreement.json").read_text())
    assert body["k"] == 3  # the typology's three types, within 12 // 3
    verdicts = [x for x in text.splitlines() if x.startswith("  cluster ") and "mean Jaccard" in x]
    assert len(verdicts) == 3
    # Every region of the fitted clusters is listed once under its cluster.
    fitted = pd.read_csv(out / "clusters.csv")
    for c, members in fitted.groupby("cluster")["region_name"]:
        line = next(x for x in verdicts if x.startswith(f"  cluster {c} "))
        assert f"({len(members)} regions)" in line
        assert all(name in line for name in members)
    assert "structure test: " in text


def test_k_help_says_what_happens():
    parser = build_parser()
    validate = parser._subparsers._group_actions[0].choices["typology"]
    validate = validate._subparsers._group_actions[0].choices["validate"]
    text = " ".join(validate.format_help().split())
    assert " ".join(VALIDATE_K_HELP.split()) in text
    assert "silhouette" not in VALIDATE_K_HELP
    for words in ("number of types the typology assigns", "n // 3", "Not used with --clusters"):
        assert words in VALIDATE_K_HELP


def test_k_above_n_over_3_is_refused_as_the_help_says(tmp_path, capsys):
    argv = ["typology", "validate", "federal_districts", "--k", "5", "--quiet"]
    argv += ["--out", str(tmp_path / "o")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "3 × k = 15" in err
    assert not (tmp_path / "o").exists()


def test_k_with_clusters_is_said_to_be_unused(hand_built, tmp_path, capsys):
    typology, clusters = hand_built
    argv = ["typology", "validate", str(typology), "--clusters", str(clusters), "--k", "4"]
    assert main([*argv, "--out", str(tmp_path / "v"), "--permutations", "99"]) == 0
    assert "--k 4 is not used" in capsys.readouterr().err


def test_bad_input_is_one_line_exit_2(hand_built, tmp_path, capsys):
    typology, _ = hand_built
    argv = ["typology", "validate", str(typology), "--out", str(tmp_path / "o")]
    assert main([*argv, "--clusters", str(tmp_path / "absent.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("border-readiness: error:")
    assert not (tmp_path / "o").exists()


# ---- the AMI interval ------------------------------------------------------------------------


def _report(expert, clusters):
    return agreement(pd.Series(expert), pd.Series(clusters), n_permutations=0, n_bootstrap=0)


def test_ami_interval_of_a_perfect_match_is_one():
    rep = _report(
        dict.fromkeys("ABCD", "x") | dict.fromkeys("EFGH", "y"),
        dict.fromkeys("ABCD", 7) | dict.fromkeys("EFGH", 3),
    )
    assert ami_interval(rep, n_bootstrap=300) == (1.0, 1.0)


def test_ami_interval_equals_a_plain_loop():
    """A reference: the same draws, each drawn region once, scikit-learn's AMI one at a time."""
    from border_readiness.clustering.agreement._kernels import _seed_blocks, _uniform_rows

    expert = dict(zip("ABCDEFGHIJ", "xxxxyyyzzz", strict=True))
    clusters = dict(zip("ABCDEFGHIJ", [0, 0, 1, 1, 1, 2, 2, 2, 0, 2], strict=True))
    rep = _report(expert, clusters)
    b, n = 400, 10
    u = _uniform_rows(_seed_blocks(np.random.SeedSequence(5), b), 0, b, n)
    true, pred = np.array(list(expert.values())), np.array(list(clusters.values()))
    values = []
    for row in np.minimum((u * n).astype(int), n - 1):
        keep = np.unique(row)
        values.append(skm.adjusted_mutual_info_score(true[keep], pred[keep]))
    expected = tuple(np.quantile(values, [0.025, 0.975]))
    assert ami_interval(rep, n_bootstrap=b, random_state=5) == pytest.approx(expected)
    assert ami_interval(rep, n_bootstrap=b, random_state=5) == ami_interval(
        rep, n_bootstrap=b, random_state=5
    )


def test_ami_interval_bad_input():
    rep = _report({"A": "x", "B": "x", "C": "y"}, {"A": 0, "B": 0, "C": 1})
    assert all(math.isnan(v) for v in ami_interval(rep, n_bootstrap=0))
    with pytest.raises(ValueError, match="ci_level"):
        ami_interval(rep, ci_level=1.5)
    with pytest.raises(ValueError, match="n_bootstrap"):
        ami_interval(rep, n_bootstrap=-1)


def test_a_region_without_drivers_gets_the_reason_not_a_crash():
    from types import SimpleNamespace

    from border_readiness.experiments._validation_report import driver_sentences

    rep = _report(
        {"RU-AST": "a", "RU-VGG": "a", "RU-OMS": "b", "RU-NVS": "b"},
        {"RU-AST": 0, "RU-VGG": 0, "RU-OMS": 0, "RU-NVS": 1},
    )
    assert rep.disagreements["region_id"].tolist() == ["RU-OMS"]  # cluster 0 -> 'a'
    note = "region RU-OMS is alone in its expert group; no leave-one-out centroid, skipped"
    v = SimpleNamespace(report=rep, drivers=pd.DataFrame({"note": [note]}))
    prep = SimpleNamespace(catalogue=[], compiled=SimpleNamespace(matrix=pd.DataFrame()))
    assert driver_sentences(v, prep) == {"RU-OMS": f"no drivers: {note}"}
