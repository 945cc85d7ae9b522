"""Region names in the outputs, typologies by name, and any set of regions (issue 11)."""

from __future__ import annotations

import pandas as pd
import pytest

from border_readiness.experiments.cli import main

FAST = ["--bootstrap", "20", "--consensus-reps", "20", "--quiet"]
SMALL = "[score]\nn_replicates = 200\nsobol_n = 16\n"

# English names of a few border regions, written out by hand (not read from the registry).
HAND_NAMES = {"RU-OMS": "Omsk Oblast", "RU-AL": "Altai Republic", "RU-ALT": "Altai Krai"}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("names")
    config = root / "small.toml"
    config.write_text(SMALL, encoding="utf-8")
    common = ["--config", str(config), *FAST]
    assert main(["score", "--out", str(root / "score"), "--config", str(config), "--quiet"]) == 0
    for command in (["cluster"], ["typology", "validate", "federal_districts"]):
        assert main([*command, "--out", str(root / command[-1]), *common]) == 0
    assert main(["explain", "--out", str(root / "explain"), *common]) == 0
    return root


def test_every_csv_with_region_id_has_region_name_right_after_it(outputs):
    tables = sorted(outputs.rglob("*.csv"))
    with_ids = 0
    for path in tables:
        frame = pd.read_csv(path, keep_default_na=False)
        if "region_id" not in frame.columns:
            continue
        with_ids += 1
        cols = list(frame.columns)
        assert cols[cols.index("region_id") + 1] == "region_name", path
        named = dict(zip(frame["region_id"], frame["region_name"], strict=True))
        for rid, name in HAND_NAMES.items():
            if rid in named:
                assert named[rid] == name, path
        assert all(named.values()), f"{path}: a region without a name"
    # score, cluster, validate and explain each write several such tables.
    assert with_ids >= 15
    for folder in ("score", "cluster", "federal_districts", "explain"):
        assert any(p.parent.name == folder for p in tables), folder


# -- shipped typologies by name ----------------------------------------------------------------


def test_typology_validate_takes_a_shipped_name(outputs):
    assert (outputs / "federal_districts" / "agreement.json").is_file()


def test_typology_check_by_name_equals_check_by_path(capsys):
    from border_readiness.clustering.typologies import shipped_typologies

    assert main(["typology", "check", "federal_districts"]) == 0
    by_name = capsys.readouterr().out
    path = shipped_typologies()["federal_districts"]
    assert main(["typology", "check", str(path)]) == 0
    by_path = capsys.readouterr().out
    assert by_name.replace("federal_districts:", str(path) + ":", 1) == by_path


def test_an_unknown_typology_name_is_one_line_listing_the_shipped_ones(tmp_path, capsys):
    assert main(["typology", "validate", "federal_distrcts", "--out", str(tmp_path / "v")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "federal_districts" in err and "Traceback" not in err
    assert not (tmp_path / "v").exists()


def test_typology_list_shows_every_shipped_file(capsys):
    import tomllib
    from importlib import resources

    assert main(["typology", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["name", "origin", "classifies", "regions"]
    listed = {line.split()[0]: line.split(maxsplit=4) for line in lines[1:]}
    folder = resources.files("border_readiness.clustering") / "typologies"
    files = [e for e in folder.iterdir() if e.name.endswith(".toml")]
    assert sorted(listed) == sorted(e.name.removesuffix(".toml") for e in files)
    for entry in files:
        raw = tomllib.loads(entry.read_text(encoding="utf-8"))
        _, origin, classifies, regions, title = listed[raw["name"]]
        assert origin == raw.get("origin", "expert") and classifies == raw["classifies"]
        n = len(raw.get("assignments", {}))
        assert regions == ("template" if raw.get("template") else str(n))
        assert title == raw["title"]
