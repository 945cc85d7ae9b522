"""`--add FILE` layers a user's rows over the data: conflicts, replacement, the round trip."""

import filecmp
import json
import math

import pandas as pd
import pytest

from border_readiness.experiments.cli import main
from border_readiness.features.dataset import LONG_COLUMNS, load_dataset
from border_readiness.features.layering import LayerConflictError, file_lines, layer


def _rows(*rows):
    """A small synthetic long table (labelled: test data, not statistics)."""
    frame = pd.DataFrame(rows, columns=["region_id", "year", "indicator", "value"])
    for col in ("unit", "source_file", "source_table", "note"):
        frame[col] = ""
    frame["value"] = frame["value"].astype(float)
    frame["status"] = frame["value"].map(lambda v: "not_published" if math.isnan(v) else "value")
    return frame[LONG_COLUMNS]


BASE = _rows(
    ("RU-AL", 2020, "x", 1.0), ("RU-AL", 2021, "x", float("nan")), ("RU-OMS", 2020, "x", 3.0)
)


def test_new_and_identical_rows_are_taken_without_listing():
    added = _rows(
        ("RU-OMS", 2021, "x", 4.0), ("RU-AL", 2020, "x", 1.0), ("RU-AL", 2021, "x", math.nan)
    )
    out = layer(BASE, [("a.csv", added)])
    assert len(out.data) == 4 and out.replaced.empty
    assert out.added.iloc[0][["new", "identical", "replaced"]].tolist() == [1, 2, 0]
    got = out.data.set_index(["region_id", "year", "indicator"])["value"]
    assert got[("RU-OMS", 2021, "x")] == 4.0 and got[("RU-AL", 2020, "x")] == 1.0


@pytest.mark.parametrize(
    ("row", "shown"),
    [
        (("RU-AL", 2020, "x", 2.0), "is 2.0 here and 1.0"),
        (("RU-AL", 2020, "x", math.nan), "is not published (empty) here and 1.0"),
        (("RU-AL", 2021, "x", 5.0), "is 5.0 here and not published (empty)"),
    ],
)
def test_a_different_value_is_an_error_naming_file_row_key_and_both_values(row, shown):
    added = _rows(("RU-OMS", 2021, "x", 4.0), row)  # the conflict is the file's 3rd line
    with pytest.raises(LayerConflictError) as err:
        layer(BASE, [("mine.csv", added)])
    msg = str(err.value)
    assert msg.startswith(f"mine.csv, row 3: ({row[0]}, {row[1]}, x) {shown}")
    assert "--replace" in msg and "\n" not in msg


def test_a_structural_zero_against_not_published_is_a_difference():
    # Both have value NaN; only the status tells them apart, and it changes the scores
    # (0 against an imputed median), so it must not pass as "identical".
    added = _rows(("RU-AL", 2021, "x", math.nan)).assign(status="zero")
    with pytest.raises(LayerConflictError, match=r"a structural zero \(-\) here and not published"):
        layer(BASE, [("mine.csv", added)])
    out = layer(BASE, [("mine.csv", added)], replace=True)
    assert out.replaced[["old_status", "new_status"]].values.tolist() == [["not_published", "zero"]]
    got = out.data.set_index(["region_id", "year", "indicator"])["status"]
    assert got[("RU-AL", 2021, "x")] == "zero"


def test_replace_lets_the_added_value_win_and_lists_it():
    added = _rows(("RU-AL", 2020, "x", 2.0), ("RU-AL", 2021, "x", 5.0), ("RU-OMS", 2020, "x", 3.0))
    out = layer(BASE, [("mine.csv", added)], replace=True)
    got = out.data.set_index(["region_id", "year", "indicator"])["value"]
    assert got[("RU-AL", 2020, "x")] == 2.0 and got[("RU-AL", 2021, "x")] == 5.0
    assert len(out.data) == len(BASE)
    listed = out.replaced.set_index(["region_id", "year"])
    assert len(listed) == 2  # the identical RU-OMS row is not a replacement
    assert listed.loc[("RU-AL", 2020), "old_value"] == 1.0
    assert listed.loc[("RU-AL", 2020), "row"] == 2
    assert math.isnan(listed.loc[("RU-AL", 2021), "old_value"])


def test_later_files_layer_over_earlier_ones():
    first = _rows(("RU-OMS", 2021, "x", 4.0))
    second = _rows(("RU-OMS", 2021, "x", 6.0))
    with pytest.raises(LayerConflictError, match=r"^second.csv, row 2: .* 6.0 here and 4.0"):
        layer(BASE, [("first.csv", first), ("second.csv", second)])


def test_file_lines_follow_the_file_not_the_sorted_table():
    raw = pd.DataFrame(
        {
            "region_id": ["Омская область", "RU-AL", "RU-AL"],
            "year": [2020, 2021, 2020],
            "indicator": ["x", "x", "x"],
            "value": [1.0, 2.0, 3.0],
        }
    )
    valid = raw.assign(region_id=["RU-OMS", "RU-AL", "RU-AL"]).sort_values(
        ["region_id", "year"], ignore_index=True
    )
    assert file_lines(raw, valid).tolist() == [4, 3, 2]


def test_a_conflict_on_the_command_line_is_exit_2_naming_the_file(tmp_path, capsys):
    data = load_dataset()
    row = data[(data.year == 2021) & data.value.notna()].iloc[[0]].copy()
    old = float(row["value"].iloc[0])
    row["value"] = old + 1.0
    path = tmp_path / "mine.csv"
    row.to_csv(path, index=False)
    assert main(["data", "validate", str(path), "--add", str(path)]) == 0  # identical to itself
    bad = ["score", "--add", str(path), "--out", str(tmp_path / "o"), "--quiet"]
    assert main(bad) == 2
    err = capsys.readouterr().err.strip()
    assert f"{path}, row 2:" in err and repr(old) in err and repr(old + 1.0) in err
    assert not (tmp_path / "o").exists()


SMALL = "[score]\nn_replicates = 200\nsobol_n = 16\n"
FAST = ["--bootstrap", "20", "--consensus-reps", "20", "--structure-nulls", "19", "--quiet"]


@pytest.mark.slow
def test_removing_a_year_and_adding_it_back_gives_byte_identical_outputs(tmp_path):
    config = tmp_path / "small.toml"
    config.write_text(SMALL, encoding="utf-8")
    base, year = tmp_path / "base.csv", tmp_path / "y2021.csv"
    assert main(["data", "export", "--exclude-years", "2021", "--out", str(base)]) == 0
    assert main(["data", "export", "--years", "2021", "--out", str(year)]) == 0
    assert 2021 not in set(pd.read_csv(base, usecols=["year"])["year"])
    for command, extra in (("score", ["--quiet"]), ("cluster", FAST)):
        ref, got = tmp_path / f"{command}_ref", tmp_path / f"{command}_add"
        common = [command, "--config", str(config), "--year", "2021", *extra]
        assert main([*common, "--out", str(ref)]) == 0
        assert main([*common, "--data", str(base), "--add", str(year), "--out", str(got)]) == 0
        names = sorted(p.name for p in ref.iterdir())
        assert names == sorted(p.name for p in got.iterdir())
        assert "replaced.csv" not in names
        match, mismatch, errors = filecmp.cmpfiles(ref, got, names, shallow=False)
        assert errors == []
        # The wall-clock time in stability.json is the one field that may differ (two runs on
        # the same data differ there too); every other byte of every file is the same.
        for name in mismatch:
            assert name.endswith(".json"), (command, name)
            a, b = (json.loads((d / name).read_text(encoding="utf-8")) for d in (ref, got))
            assert _untimed(a) == _untimed(b), (command, name)
        assert len(match) >= len(names) - 1


def _untimed(obj):
    if isinstance(obj, dict):
        return {k: _untimed(v) for k, v in obj.items() if k != "elapsed_s"}
    if isinstance(obj, list):
        return [_untimed(v) for v in obj]
    return obj


@pytest.mark.parametrize("year", [2021, 2022])
def test_the_layered_table_equals_the_bundled_one_bit_for_bit(tmp_path, year):
    import argparse

    from border_readiness.experiments._inputs import load_layered
    from border_readiness.features.dataset import write_dataset_csv

    data = load_dataset()
    base, new = tmp_path / "base.csv", tmp_path / "new.csv.gz"
    write_dataset_csv(data[data.year != year], base)
    write_dataset_csv(data[data.year == year], new)
    args = argparse.Namespace(data=str(base), add=[str(new)], replace=False)
    got, label, _, layered = load_layered(args)
    assert got.equals(data)  # exact: values, dtypes, order
    assert label == f"{base} + {new}"
    assert layered.added.iloc[0]["new"] == (data.year == year).sum()


def test_a_row_without_unit_joins_its_series_in_the_series_unit_and_a_clash_is_an_error():
    base = BASE.assign(unit="persons")
    out = layer(base, [("a.csv", _rows(("RU-OMS", 2021, "x", 4.0)))])
    assert set(out.data["unit"]) == {"persons"}
    other = _rows(("RU-OMS", 2021, "x", 4.0)).assign(unit="thousand persons")
    with pytest.raises(LayerConflictError, match=r"^b.csv, row 2: x for RU-OMS is in 'thousand"):
        layer(base, [("b.csv", other)])
