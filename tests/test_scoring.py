"""Level scores, profiles and the `score` command on the bundled data."""

import json

import numpy as np
import pandas as pd
import pytest

from border_readiness.experiments.cli import main
from border_readiness.features.composite import normalise
from border_readiness.features.dataset import load_dataset
from border_readiness.features.indicators import compile_indicators, national_reference
from border_readiness.features.profiles import ProfileRuleError, assign_profiles, load_profile_rules
from border_readiness.features.regions import BORDER_REGIONS
from border_readiness.features.scoring import ScoreConfig, score_regions

# One worker runs this module: its tests share a module fixture.
pytestmark = pytest.mark.xdist_group("test_scoring")

LEVELS = ["transport_communication", "joint_projects", "social_services"]


@pytest.fixture(scope="module")
def compiled():
    data = load_dataset()
    return compile_indicators(data, year=2021), national_reference(data, year=2021)


@pytest.fixture(scope="module")
def report(compiled):
    c, ref = compiled
    return score_regions(
        c, list(BORDER_REGIONS), reference=ref, config=ScoreConfig(n_replicates=500, sobol_n=32)
    )


def test_profile_rules_hand_worked():
    p = pd.DataFrame(
        {
            "transport_communication": [80, 20, 60, 10],
            "joint_projects": [70, 30, 10, 20],
            "social_services": [60, 40, 20, 30],
        },
        index=list("ABCD"),
    )
    assert assign_profiles(p).tolist() == [
        "ready_all_levels",
        "low_readiness",
        "transport_led",
        "low_readiness",
    ]
    p.loc["E"] = [40, 55, 10]
    assert assign_profiles(p)["E"] == "project_led"


def test_profile_rule_errors(tmp_path):
    bad = tmp_path / "p.toml"
    bad.write_text('[[type]]\nname = "x"\nrule = "__import__(\'os\')"\n')
    with pytest.raises(ProfileRuleError, match=r"p\.toml, type 'x'"):
        load_profile_rules(bad)
    bad.write_text('[[type]]\nname = "x"\nrule = "roads > 3"\n')
    with pytest.raises(ProfileRuleError, match="unknown name 'roads'"):
        load_profile_rules(bad)


def test_scores_are_the_weighted_mean_of_normalised_indicators(report, compiled):
    # Independent recomputation of the nominal arithmetic min-max composite of one region:
    # min-max over the 85 subjects (after the outlier treatment the report logs), the
    # catalogue's weights within the level, read from the catalogue file itself.
    c, _ = compiled
    s = report.scores.set_index(["region_id", "level"])["score"]
    contrib = report.contributions.groupby(["region_id", "level"])["contribution"].sum()
    for key, value in s.items():
        assert contrib[key] == pytest.approx(value)  # contributions sum to the score
    cols = report.weights.query("level == 'social_services'")["indicator"].tolist()
    X = c.matrix[cols]
    actions = report.outliers.set_index("indicator")["action"][cols]
    # The recomputation below handles winsorising only: no indicator of the level may be logged.
    assert set(actions) <= {"none", "winsorised"}
    winsorised = actions.index[actions == "winsorised"].tolist()
    assert {"unemployment_gap_kz_near", "foreign_worker_patents_per_1000"} <= set(winsorised)
    treated = X.copy()
    for ind in winsorised:
        regions = report.outliers.set_index("indicator").at[ind, "winsorised_regions"].split("|")
        rest = X[ind].drop(regions)
        # winsorised points take the most extreme remaining value on their side
        upper = X.loc[regions, ind] > rest.median()
        treated.loc[np.array(regions)[upper.to_numpy()], ind] = rest.max()
        treated.loc[np.array(regions)[~upper.to_numpy()], ind] = rest.min()
    d = report.weights.set_index("indicator")["direction"][cols]
    lo, hi = treated.min(), treated.max()
    norm = (treated - lo) / (hi - lo) * 100
    norm.loc[:, d < 0] = 100 - norm.loc[:, d < 0]
    from border_readiness.features.catalogue import load_catalogue

    w = pd.Series({i.id: i.weight for i in load_catalogue()})[cols]
    assert w.nunique() > 1  # unequal weights, so a plain mean would not pass
    expected = (norm.loc["RU-OMS"] * w).sum() / w.sum()
    assert s[("RU-OMS", "social_services")] == pytest.approx(expected)


def test_overall_is_mean_of_levels(report):
    s = report.scores.pivot(index="region_id", columns="level", values="score")
    np.testing.assert_allclose(s["overall"], s[LEVELS].mean(axis=1))


def test_ranks_and_intervals_are_consistent(report):
    u = report.uncertainty
    assert (u.rank_p05 <= u.rank_median).all() and (u.rank_median <= u.rank_p95).all()
    assert u.rank_p95.max() <= 12 and u.rank_p05.min() >= 1
    p = u.dropna(subset=["prob_strongest"]).groupby("region_id")["prob_strongest"].sum()
    np.testing.assert_allclose(p, 1.0)
    ranks = report.scores.query("level == 'overall'")["rank"]
    assert sorted(ranks) == list(range(1, 13))


def test_sensitivity_lists_the_varied_factors(report):
    assert {"normalisation", "weighting", "aggregation"} <= set(report.factors["factor"])
    assert set(report.sensitivity["factor"]) == set(report.factors["factor"])
    assert (report.sensitivity["ST"] >= report.sensitivity["S1"] - 0.15).all()


def test_profiles_label_and_growth_points(report):
    p = report.profiles.set_index("region_id")
    assert set(p.index) == set(BORDER_REGIONS)
    rules = {r.name for r in load_profile_rules()}
    assert set(p["profile_type"]) <= rules | {"unclassified"}
    for _, row in p.iterrows():
        level = row["growth_point"].split(":")[0]
        pct = row[[f"{lev}_pct" for lev in LEVELS]]
        assert f"{level}_pct" == pct.idxmax()


def test_unit_rescaling_leaves_minmax_scores_unchanged(compiled):
    c, _ = compiled
    X = c.matrix[["doctors_per_10000", "poverty_rate"]]
    d = {"doctors_per_10000": 1, "poverty_rate": -1}
    a = normalise(X, "minmax", directions=d)
    b = normalise(X * [10.0, 0.01], "minmax", directions=d)
    pd.testing.assert_frame_equal(a, b)


def test_score_config_rejects_unknown_method():
    with pytest.raises(ValueError, match="normalisation 'softmax'"):
        ScoreConfig(normalisation="softmax")


@pytest.mark.slow
def test_score_command_writes_the_files(tmp_path, capsys):
    out = tmp_path / "score"
    assert main(["score", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "readiness 2021, 12 regions" in stdout
    for name in (
        "scores.csv",
        "contributions.csv",
        "uncertainty.csv",
        "sensitivity.csv",
        "profiles.csv",
        "rank_intervals.png",
    ):
        assert (out / name).stat().st_size > 0, name
    scores = pd.read_csv(out / "scores.csv")
    assert list(scores.columns[:5]) == ["region_id", "region_name", "level", "score", "rank"]
    assert len(scores) == 12 * 4
    unc = pd.read_csv(out / "uncertainty.csv")
    assert {"region_id", "level", "rank_median", "rank_p05", "rank_p95"} <= set(unc.columns)
    prof = pd.read_csv(out / "profiles.csv")
    assert list(prof.columns[:5]) == [
        "region_id",
        "region_name",
        "profile_type",
        "growth_point",
        "bottleneck",
    ]
    contrib = pd.read_csv(out / "contributions.csv")
    assert list(contrib.columns) == [
        "region_id",
        "region_name",
        "level",
        "indicator",
        "contribution",
    ]
    cfg = json.loads((out / "score_config.json").read_text())
    assert "own operationalisation" in cfg["note"]
    # Same inputs and seed: identical tables.
    again = tmp_path / "again"
    assert main(["score", "--out", str(again), "--quiet"]) == 0
    for name in ("scores.csv", "uncertainty.csv", "sensitivity.csv", "profiles.csv"):
        assert (out / name).read_bytes() == (again / name).read_bytes(), name


def test_score_bad_inputs(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[score]\nnormalisation = 'softmax'\n")
    assert main(["score", "--config", str(cfg), "--out", str(tmp_path / "o")]) == 2
    assert "normalisation 'softmax'" in capsys.readouterr().err
    cfg.write_text("[score]\nbogus = 1\n")
    assert main(["score", "--config", str(cfg), "--out", str(tmp_path / "o")]) == 2
    assert "unknown key 'score.bogus'" in capsys.readouterr().err
    assert main(["score", "--year", "1850", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "--year: 1850" in err and "1990 to 2035" in err
    assert main(["score", "--year", "2005", "--out", str(tmp_path / "o")]) == 2
    assert "has no data for 2005" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
