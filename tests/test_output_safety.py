"""Outputs stay where the user said (issue 12 item 2): CSV formula guards, typology names.

The refusals of bad output paths, model names and tracking URIs are cases of the bad-input
catalogue (``tests/reliability/cases/outputs.toml``); here what needs a look at file contents.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from border_readiness.experiments.cli import main
from border_readiness.features._csv_cells import (
    guard_cell,
    guard_frame,
    unguard_cell,
    unguard_frame,
)
from border_readiness.features.dataset import load_dataset

RISKY = ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x","y")']
SAFE = ["-", "-6.6", "+3", "-1e5", "Omsk", "", "'quoted", "a=b"]


@pytest.mark.parametrize("text", RISKY)
def test_a_formula_gets_a_quote(text):
    assert guard_cell(text) == "'" + text
    assert unguard_cell(guard_cell(text)) == text


@pytest.mark.parametrize("text", SAFE)
def test_numbers_markers_and_plain_text_are_kept(text):
    assert guard_cell(text) == text
    assert unguard_cell(text) == text


@pytest.mark.parametrize("text", ["'=1", "''=1", "'''+x", "'-", "'-6.6", "''"])
def test_quotes_already_there_survive_the_round_trip(text):
    assert unguard_cell(guard_cell(text)) == text


def test_frames_keep_numeric_columns_and_guard_headers():
    frame = pd.DataFrame({"=name": ["=1", "ok"], "x": [-1.5, 2.0], "n": [-3, 4]})
    guarded = guard_frame(frame)
    assert list(guarded.columns) == ["'=name", "x", "n"]
    assert guarded["'=name"].tolist() == ["'=1", "ok"]
    assert guarded["x"].tolist() == [-1.5, 2.0] and guarded["n"].dtype == frame["n"].dtype
    pd.testing.assert_frame_equal(unguard_frame(guarded), frame)
    plain = pd.DataFrame({"a": ["x"]})
    assert guard_frame(plain) is plain  # nothing to guard: no copy


def _risky_long(tmp_path: Path) -> Path:
    bundled = load_dataset()
    rows = bundled[bundled["region_id"].eq("RU-OMS")].head(6).copy()
    rows["note"] = ['=HYPERLINK("http://x")', "+cmd", "@SUM(1)", "'=typed", "plain", ""]
    rows["source_table"] = "-2+3"
    rows.iloc[0, rows.columns.get_loc("value")] = -6.6  # a negative number stays a number
    rows.iloc[1, rows.columns.get_loc("value")] = float("nan")
    rows.iloc[1, rows.columns.get_loc("status")] = "zero"  # written `-`, read back as zero
    path = tmp_path / "risky.csv"
    rows.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("name", ["export.csv", "export.csv.gz"])
def test_data_export_guards_formulas_and_reads_back_identically(tmp_path, capsys, name):
    source = _risky_long(tmp_path)
    out = tmp_path / name
    assert main(["data", "export", "--data", str(source), "--out", str(out)]) == 0
    raw = out.read_bytes()
    text = (gzip.decompress(raw) if name.endswith(".gz") else raw).decode("utf-8")
    assert "'=HYPERLINK" in text and "'+cmd" in text and "'@SUM(1)" in text
    # A CSV cell typed as `'=typed` is the guarded form of `=typed` (documented): read as such.
    assert "'=typed" in text and "''=typed" not in text and "'-2+3" in text
    assert ",-6.6," in text  # not guarded: a number
    assert ",-,zero," in text  # the structural zero's marker in `value`, as the contract says
    pd.testing.assert_frame_equal(load_dataset(out), load_dataset(source))


def test_result_tables_guard_text_cells(tmp_path):
    from border_readiness.experiments._outputs import OutputSet

    files = OutputSet(tmp_path)
    files.csv("t.csv", pd.DataFrame({"label": ["=cmd|' /C calc'!A0", "ok"], "x": [-1.0, 0.5]}))
    files.commit()
    text = (tmp_path / "t.csv").read_text(encoding="utf-8")
    assert "'=cmd" in text and "\n-1,ok" not in text and "-1" in text


def test_typology_keys_come_from_the_name_not_the_path(tmp_path):
    from border_readiness.clustering.typologies import shipped_typologies, typology
    from border_readiness.experiments.pipeline import typology_keys

    shipped = shipped_typologies()["federal_districts"]
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    copy = deep / "t.toml"
    copy.write_bytes(Path(shipped).read_bytes())
    relative = Path("..") / ".." / copy.relative_to(tmp_path)
    notes = []
    keys = typology_keys([typology(str(copy)), typology(str(copy))], notes.append)
    assert list(keys) == ["federal_districts", "federal_districts_2"]
    assert notes and "federal_districts_2" in notes[0]
    assert "/" not in "".join(keys) and ".." not in "".join(keys) and str(relative)


def test_unknown_clusters_region_suggests_regions_of_the_set(tmp_path):
    from border_readiness.experiments._inputs import read_clusters
    from border_readiness.features.dataset import DataValidationError
    from border_readiness.features.regions import BORDER_REGIONS

    path = tmp_path / "clusters.csv"
    path.write_text("region_id,cluster\nRU-OMS,1\nMoskva Oblastt,2\n", encoding="utf-8")
    with pytest.raises(DataValidationError) as err:
        read_clusters(str(path))
    message = str(err.value)
    assert "line 3" in message and "Moskva Oblastt" in message
    suggested = message.split("analysed: ")[1]
    ids = [part.rsplit("(", 1)[1].rstrip(")") for part in suggested.split(", ")]
    assert ids and set(ids) <= set(BORDER_REGIONS)
    with pytest.raises(DataValidationError) as err:
        read_clusters(str(path), "RU-MOS,RU-MOW,RU-OMS")
    assert "RU-MOS" in str(err.value)


def test_a_typology_path_in_the_config_writes_nothing_outside_out(tmp_path, monkeypatch):
    """`validate.typologies = ["../../x/t.toml"]` and an absolute path: results stay in --out."""
    from border_readiness.clustering.typologies import shipped_typologies

    work = tmp_path / "deep" / "er" / "work"
    work.mkdir(parents=True)
    outside = tmp_path / "x"
    outside.mkdir()
    shipped = shipped_typologies()
    (outside / "t.toml").write_bytes(Path(shipped["sokolov_rudneva_border_stability"]).read_bytes())
    absolute = tmp_path / "abs" / "profiles.toml"
    absolute.parent.mkdir()
    absolute.write_bytes(Path(shipped["border_readiness_profiles_2021"]).read_bytes())
    config = work / "fast.toml"
    config.write_text(
        "[cluster]\nbootstrap = 10\nconsensus_reps = 10\nstructure_nulls = 19\n"
        "[explain]\nsurrogate_null = 1\n"
        "[validate]\npermutations = 99\n"
        f'typologies = ["federal_districts", "../../../x/t.toml", "{absolute}"]\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(work)
    before = {p for p in tmp_path.rglob("*")}
    assert main(["run", "--config", str(config), "--out", "out", "--quiet"]) == 0
    new = {p for p in tmp_path.rglob("*") if p not in before}
    allowed = (work / "out", work / "mlflow.db", work / "mlflow.db.lock", work / "mlartifacts")
    stray = [p for p in new if not any(p == a or a in p.parents for a in allowed)]
    assert not stray, stray
    results = next((work / "out" / "models").glob("*/v*/results/validate"))
    assert sorted(p.name for p in results.iterdir()) == [
        "border_readiness_profiles_2021",
        "federal_districts",
        "sokolov_rudneva_border_stability",
    ]
