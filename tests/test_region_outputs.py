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


# -- any set of regions ------------------------------------------------------------------------


def _subjects_of(district: str) -> list[str]:
    # Read the registry file directly (not through the package) for an independent list.
    import csv
    from importlib import resources

    path = resources.files("border_readiness.features") / "data" / "regions_ru.csv"
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [
        r["region_id"] for r in rows if r["kind"] == "subject" and r["federal_district"] == district
    ]


def test_region_selection_takes_ids_names_districts_and_files(tmp_path):
    from border_readiness.experiments._region_sets import region_selection

    assert region_selection("border") == "border" and region_selection("all") == "all"
    assert region_selection("RU-OMS,Novosibirsk Region, Altai Republic") == [
        "RU-OMS",
        "RU-NVS",
        "RU-AL",
    ]
    assert region_selection(["Omskaya oblast", "Алтайский край"]) == ["RU-OMS", "RU-ALT"]
    siberia = region_selection("Siberian Federal District")
    assert sorted(siberia) == sorted(_subjects_of("RU-FD-SIB")) and len(siberia) == 10
    listed = tmp_path / "mine.txt"
    listed.write_text("# my sample\nRU-OMS\nTomsk Oblast, Kemerovo Oblast\n\n", encoding="utf-8")
    assert region_selection(f"@{listed}") == ["RU-OMS", "RU-TOM", "RU-KEM"]
    assert region_selection(str(listed)) == ["RU-OMS", "RU-TOM", "RU-KEM"]
    csv_file = tmp_path / "mine.csv"
    csv_file.write_text("region_id\nRU-OMS\nRU-NVS\n", encoding="utf-8")
    assert region_selection(str(csv_file)) == ["RU-OMS", "RU-NVS"]


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("RU-OMS,Tjumenn", "unknown region 'Tjumenn'; closest known: Tyumen Oblast"),
        ("RU-OMS,KZ-55", "is KZ-55 (Pavlodar Region), not a Russian federal subject"),
        ("RU-OMS,Тюменская область", "RU-TYU-WHOLE"),
        ("RU-OMS,Omsk Region", "RU-OMS is listed twice"),
        (" , ", "no regions listed"),
        ("@/nonexistent/regions.txt", "regions.txt: file not found"),
    ],
)
def test_a_bad_region_set_is_one_line_with_the_reason(spec, reason):
    from border_readiness.errors import UserInputError
    from border_readiness.experiments._region_sets import region_selection

    with pytest.raises(UserInputError) as info:
        region_selection(spec)
    assert reason in str(info.value) and "\n" not in str(info.value)


@pytest.fixture(scope="module")
def border_scores(outputs):
    return pd.read_csv(outputs / "score" / "scores.csv")


def test_a_set_is_scored_against_all_subjects_as_the_border_regions_are(tmp_path, border_scores):
    config = tmp_path / "small.toml"
    config.write_text(SMALL, encoding="utf-8")
    out = tmp_path / "set"
    spec = "RU-OMS,Novosibirsk Region,Altai Republic"
    assert (
        main(["score", "--regions", spec, "--config", str(config), "--out", str(out), "--quiet"])
        == 0
    )
    scores = pd.read_csv(out / "scores.csv")
    assert sorted(scores["region_id"].unique()) == ["RU-AL", "RU-NVS", "RU-OMS"]
    # Normalised against all subjects: a region's score and national rank do not depend on
    # which other regions are analysed beside it.
    cols = ["region_id", "level", "score", "rank_in_russia"]
    mine = scores[cols].set_index(["region_id", "level"]).sort_index()
    border = border_scores[cols].set_index(["region_id", "level"]).loc[mine.index]
    pd.testing.assert_frame_equal(mine, border)


def test_a_config_takes_a_list_a_string_or_a_file_relative_to_it(tmp_path):
    from border_readiness.experiments.config import ConfigError, load_experiment

    (tmp_path / "sample.txt").write_text("RU-OMS\nRU-NVS\n", encoding="utf-8")
    for value, expected in (
        ('["RU-OMS", "Tomsk Oblast"]', "RU-OMS,Tomsk Oblast"),
        ('"RU-OMS,RU-TOM"', "RU-OMS,RU-TOM"),
        ('"sample.txt"', f"@{(tmp_path / 'sample.txt').resolve()}"),
        ('"@sample.txt"', f"@{(tmp_path / 'sample.txt').resolve()}"),
    ):
        path = tmp_path / "c.toml"
        path.write_text(f"[data]\nregions = {value}\n", encoding="utf-8")
        assert load_experiment(path).regions == expected
    path.write_text('[data]\nregions = ["RU-OMS", "Atlantis"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"c\.toml: data\.regions: unknown region 'Atlantis'"):
        load_experiment(path)


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["cluster", "--regions", "RU-OMS,RU-NVS,RU-AL"], "3 region(s) are too few to cluster"),
        (
            ["cluster", "--regions", "Siberian Federal District", "--k", "4"],
            "10 regions are too few for 4 clusters; clustering needs at least 3 × k = 12",
        ),
        (
            ["typology", "validate", "federal_districts", "--regions", "Siberian Federal District"],
            "federal_districts: too few regions to compare: it types 4 of the 10 regions",
        ),
    ],
)
def test_a_set_too_small_for_a_step_is_refused_with_nothing_written(argv, reason, tmp_path, capsys):
    out = tmp_path / "out"
    assert main([*argv, "--out", str(out), *FAST]) == 2
    err = capsys.readouterr().err
    assert reason in err and err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()


def test_a_district_is_clustered_whole(tmp_path):
    out = tmp_path / "sib"
    assert (
        main(["cluster", "--regions", "Siberian Federal District", "--out", str(out), *FAST]) == 0
    )
    clusters = pd.read_csv(out / "clusters.csv")
    assert sorted(clusters["region_id"]) == sorted(_subjects_of("RU-FD-SIB"))
