"""Experiment configs: the shipped ones load, and every kind of mistake is a one-line error."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from border_readiness.experiments.config import (
    ConfigError,
    flatten,
    load_experiment,
    shipped_configs,
)


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_configs_load_and_say_what_they_are():
    configs = shipped_configs()
    assert set(configs) >= {"default", "all_regions"}
    default = load_experiment(configs["default"])
    assert default.regions == "border"
    assert default.year is None  # "latest": the latest complete year of the data
    assert default.score.normalisation == "minmax"  # against all Russian subjects
    assert set(default.typologies) == {
        "federal_districts",
        "sokolov_rudneva_border_stability",
        "border_readiness_profiles_2021",
    }
    everything = load_experiment(configs["all_regions"])
    assert everything.regions == "all"
    assert everything.model_name != default.model_name  # never promoted over the default


def test_flatten_gives_mlflow_params_as_strings():
    params = flatten(load_experiment(shipped_configs()["default"]))
    assert params["cluster.method"] == "kmeans"
    assert params["data.regions"] == "border"
    assert all(isinstance(v, str) for v in params.values())
    assert all(len(v) <= 6000 for v in params.values())  # MLflow's limit on a param value


def test_a_partial_config_takes_the_defaults(tmp_path):
    cfg = load_experiment(write(tmp_path, '[cluster]\nmethod = "ward"\nk = 3\n'))
    assert (cfg.method, cfg.k, cfg.regions, cfg.bootstrap) == ("ward", 3, "border", 1000)


@pytest.mark.parametrize(
    "text, message",
    [
        ('[data]\nregions = "border"\nfoo = 1\n', r"unknown key 'data\.foo'"),
        ("[plots]\ndpi = 100\n", r"unknown section \[plots\]"),
        ('[score]\nn_replicates = "many"\n', r"score\.n_replicates must be int, got 'many'"),
        ("[cluster]\nbootstrap = 1.5\n", r"cluster\.bootstrap must be int"),
        ('[cluster]\nmethod = "dbscan"\n', r"cluster\.method 'dbscan' is not one of kmeans"),
        ('[score]\nnormalisation = "softmax"\n', r"\[score\].*softmax"),
        (
            '[data]\nregions = "siberia"\n',
            r"data\.regions: unknown region 'siberia'; closest known: Siberian Federal District",
        ),
        ('[data]\nyear = "last"\n', r"data\.year must be a year or 'latest'"),
        ("[cluster]\nbootstrap = 0\n", r"cluster\.bootstrap = 0: expected an integer from 10 to "),
        ("[validate]\ntypologies = [1]\n", r"validate\.typologies must list names or paths"),
        ("[data\n", r"not valid TOML"),
    ],
)
def test_config_errors_name_file_and_key(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=message) as info:
        load_experiment(path)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_experiment(tmp_path / "nope.toml")


@pytest.fixture
def cli(capsys, monkeypatch):
    """Run the command line in this process from ``cwd``: its exit code and stderr.

    In-process rather than one interpreter per case (seconds of imports each); the console
    script itself is run by test_cli_data.py::test_console_script_prints_no_traceback.
    """
    from border_readiness.experiments.cli import main

    def run(*args: str, cwd: Path) -> SimpleNamespace:
        monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = main(list(args))
        return SimpleNamespace(returncode=code, stderr=capsys.readouterr().err)

    return run


@pytest.mark.parametrize(
    "config, extra, message",
    [
        ('[cluster]\nmethod = "dbscan"\n', [], "cluster.method 'dbscan'"),
        ("", ["--year", "2030"], "--year 2030: the data has no figures for that year"),
        ("[data]\nyear = 1990\n", [], "'paved_roads_share' has no data for 1990"),
        ('[score]\nnormalisation = "log"\n', [], "normalisation 'log' is not one of minmax"),
        ('[score]\naggregation = "median"\n', [], "aggregation 'median' is not one of"),
        ("seed = -1\n", [], "seed = -1: expected an integer from 0 to"),
        ("", ["--seed", "-3"], "argument --seed: -3: expected an integer from 0 to"),
    ],
)
def test_run_refuses_bad_config_or_year_and_writes_nothing(tmp_path, cli, config, extra, message):
    path = write(tmp_path, config)
    out = tmp_path / "out"
    result = cli("run", "--config", str(path), "--out", str(out), *extra, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and errors[0].startswith("border-readiness: error: ")
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp.toml"]


def test_retrain_and_card_refuse_a_folder_without_a_store(tmp_path, cli):
    for args in (["retrain", "--year", "2020"], ["card", "--model", "border-readiness@champion"]):
        result = cli(*args, "--out", "empty", cwd=tmp_path)
        assert result.returncode == 2
        assert "no MLflow store at" in result.stderr and "Traceback" not in result.stderr
        assert list(tmp_path.iterdir()) == []  # no empty database left behind


def test_card_refuses_a_model_without_alias(tmp_path, cli):
    result = cli("card", "--model", "border-readiness", cwd=tmp_path)
    assert result.returncode == 2
    assert "--model border-readiness: expected NAME@ALIAS" in result.stderr
