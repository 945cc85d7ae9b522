"""The data contract: what a value means is carried by the value or by `status`, never by notes."""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import replace

import pandas as pd
import pytest

from border_readiness.experiments.cli import main
from border_readiness.features.dataset import (
    REQUIRED_COLUMNS,
    DataValidationError,
    load_dataset,
    validate_long,
)
from border_readiness.features.status import STATUS_CODES

pytestmark = pytest.mark.xdist_group("test_data_contract")


def _frame(values, status=None, note=None):
    rows = {
        "region_id": ["RU-OMS"] * len(values),
        "year": list(range(2010, 2010 + len(values))),
        "indicator": ["x"] * len(values),
        "value": values,
    }
    if status is not None:
        rows["status"] = status
    if note is not None:
        rows["note"] = note
    return pd.DataFrame(rows)


def test_markers_in_value_give_the_status_without_a_status_column():
    out = validate_long(_frame(["12.5", "0", "-", "", "…", "...", "x", "к"]))
    assert out["status"].tolist() == [
        "value", "value", "zero", "not_published", "not_published", "not_published",
        "confidential", "confidential",
    ]  # fmt: skip
    # Only figures keep a number; a published 0 is a figure, not a structural zero.
    assert out["value"].iloc[:2].tolist() == [12.5, 0.0]
    assert out["value"].iloc[2:].isna().all()


def test_a_note_alone_does_not_make_a_structural_zero():
    # The bug of issue 11: the meaning hung on the note's wording.
    out = validate_long(_frame([math.nan], note=["no such phenomenon (published as -)"]))
    assert out["status"].tolist() == ["not_published"]


def test_status_column_sets_the_meaning_and_may_be_partly_empty():
    out = validate_long(
        _frame([math.nan, 0.0, 3.0, math.nan], status=["zero", "zero", "", "confidential"])
    )
    assert out["status"].tolist() == ["zero", "zero", "value", "confidential"]
    assert out["value"].isna().tolist() == [True, True, False, True]


@pytest.mark.parametrize(
    ("values", "status", "needle"),
    [
        (["5"], ["zero?"], "row 2, column status: unknown code 'zero?'; allowed: "),
        (["5"], ["not_published"], "row 2: status 'not_published' contradicts value '5'"),
        ([""], ["value"], "row 2: status 'value' contradicts value"),
        (["3"], ["zero"], "row 2: status 'zero' contradicts value '3'"),
        (["-"], ["confidential"], "row 2: status 'confidential' contradicts value '-'"),
        (["n/a"], None, "row 2, column value: 'n/a' is not a number"),
    ],
)
def test_bad_status_or_value_names_file_row_and_the_rule(values, status, needle):
    with pytest.raises(DataValidationError) as err:
        validate_long(_frame(values, status=status), source="mine.csv")
    msg = str(err.value)
    assert msg.startswith("mine.csv, ") and needle in msg and "\n" not in msg
    if "unknown code" in needle:
        assert all(code in msg for code in STATUS_CODES)


def test_unknown_status_code_is_exit_2_naming_file_row_and_codes(tmp_path, capsys):
    path = tmp_path / "mine.csv"
    path.write_text(
        "region_id,year,indicator,value,status\nRU-OMS,2020,x,1,value\nRU-OMS,2021,x,,gone\n",
        encoding="utf-8",
    )
    assert main(["data", "validate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert str(path) in err and "row 3" in err and "'gone'" in err
    assert "value, zero, not_published, confidential" in err and len(err.splitlines()) == 1


def _trimmed_export(tmp_path) -> tuple[pd.DataFrame, str]:
    """The bundled data exported by the command line, then cut to its first four columns."""
    full = tmp_path / "export.csv"
    assert main(["data", "export", "--out", str(full)]) == 0
    text = full.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    where = [rows[0].index(c) for c in REQUIRED_COLUMNS]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([[r[i] for i in where] for r in rows])
    four = tmp_path / "four.csv"
    four.write_text(out.getvalue(), encoding="utf-8")
    return load_dataset(four), str(four)


def test_four_column_file_keeps_structural_zeros(tmp_path):
    four, _ = _trimmed_export(tmp_path)
    bundled = load_dataset()
    key = ["region_id", "year", "indicator"]
    pd.testing.assert_frame_equal(
        four[[*key, "value", "status"]], bundled[[*key, "value", "status"]]
    )
    # Independent of the code: the 2023 workbook prints "-" for the Altai Republic's railway
    # density (table 18.1: it has no railways), read here straight from the exported text.
    with open(tmp_path / "four.csv", encoding="utf-8") as fh:
        line = next(ln for ln in fh if ln.startswith("RU-AL,2021,railway_density,"))
    assert line.strip() == "RU-AL,2021,railway_density,-"


@pytest.mark.slow
def test_four_column_file_gives_identical_outputs(tmp_path):
    from border_readiness.experiments import pipeline
    from border_readiness.experiments.artifacts import write_analysis
    from border_readiness.experiments.config import load_experiment

    cfg = load_experiment(None)
    cfg = replace(
        cfg,
        score=replace(cfg.score, n_replicates=200, sobol_n=16),
        bootstrap=20,
        consensus_reps=10,
        structure_nulls=19,
        surrogate_null=5,
        permutations=99,
    )
    four, _ = _trimmed_export(tmp_path)
    outputs = {}
    for name, data in (("bundled", load_dataset()), ("four", four)):
        a = pipeline.analyse(cfg, data, data_label="data")
        written = write_analysis(tmp_path / name, a)
        outputs[name] = {p.relative_to(tmp_path / name).as_posix(): p.read_bytes() for p in written}
        # The Altai Republic's railway density is its structural zero, not a district median.
        imp = a.prep.compiled.imputations.query("region_id == 'RU-AL'")
        assert a.prep.compiled.raw.at["RU-AL", "railway_density"] == 0.0
        methods = imp.loc[imp.indicator == "railway_density", "method"]
        assert len(methods) == 1 and methods.iloc[0].startswith("structural zero")
    assert sorted(outputs["four"]) == sorted(outputs["bundled"])
    # Every step's tables are compared: scores, contributions, imputations, clusters, stability,
    # agreement with each shipped typology, the surrogate's SHAP values.
    tables = set(outputs["bundled"])
    for want in (
        "score/scores.csv", "score/contributions.csv", "score/imputations.csv",
        "score/uncertainty.csv", "cluster/clusters.csv", "cluster/consensus.csv",
        "validate/federal_districts/agreement.json", "explain/surrogate_shap.csv",
    ):  # fmt: skip
        assert want in tables, want
    for p in outputs["bundled"]:
        if p == "cluster/stability.json":
            # Its one wall-clock field (elapsed_s) differs between any two runs; all else must not.
            a, b = (json.loads(outputs[n][p]) for n in ("bundled", "four"))
            a.pop("elapsed_s"), b.pop("elapsed_s")
            assert a == b, p
        else:
            assert outputs["four"][p] == outputs["bundled"][p], p
