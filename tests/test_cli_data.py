"""`border-readiness data ...`: bad input gets one line, exit code 2, nothing written."""

import subprocess
import sys

import pandas as pd
import pytest
from conftest import make_rosstat_workbook, rosstat_rows

from border_readiness.experiments.cli import main

GOOD = pd.DataFrame(
    {
        "region_id": ["RU-OMS", "RU-OMS", "Новосибирская область"],
        "year": [2020, 2021, 2020],
        "indicator": ["population_avg"] * 3,
        "value": [1900.5, 1880.0, 2790.0],
        "unit": ["тысяч человек"] * 3,
    }
)


def _run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _one_line_error(code, err):
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("border-readiness: error:")
    assert "Traceback" not in err
    return lines[0]


def _write(frame: pd.DataFrame, path):
    frame.to_csv(path, index=False)
    return path


# Each bad case: how to make the file, and a fragment the one-line error must contain.
def _empty(p):
    p.write_bytes(b"")
    return p


def _unknown_region(p):
    return _write(GOOD.assign(region_id=["RU-OMS", "RU-OMS", "Омскя облсть"]), p)


def _duplicate(p):
    return _write(pd.concat([GOOD, GOOD.iloc[[0]]]), p)


def _text_value(p):
    return _write(GOOD.astype({"value": object}).assign(value=[1.0, "много", 3.0]), p)


def _year_out_of_range(p):
    return _write(GOOD.assign(year=[2020, 2021, 1850]), p)


def _negative_population(p):
    return _write(GOOD.assign(value=[1.0, -5.0, 3.0]), p)


def _cp1251(p):
    p.write_bytes(GOOD.to_csv(index=False).encode("cp1251"))
    return p


def _missing_column(p):
    return _write(GOOD.drop(columns="year"), p)


def _not_long_layout_xlsx(p):
    return make_rosstat_workbook(p.with_suffix(".xlsx"), "Sheet", [["a", "b"], [1, 2]])


BAD_CASES = {
    "empty file": (_empty, "empty"),
    "unknown region": (_unknown_region, "row 4, column region_id: unknown region 'Омскя облсть'"),
    "duplicate": (_duplicate, "duplicate (region_id, year, indicator) = (RU-OMS, 2020"),
    "text in value": (_text_value, "row 3, column value: 'много' is not a number"),
    "year out of range": (_year_out_of_range, "row 4, column year: '1850' is not a year"),
    "negative population": (_negative_population, "negative population"),
    "cp1251 csv": (_cp1251, "encoded as cp1251 (Windows Cyrillic), expected UTF-8"),
    "missing column": (_missing_column, "missing column(s) year"),
    "xlsx not in long layout": (_not_long_layout_xlsx, "missing column(s) region_id"),
}


@pytest.mark.parametrize("case", list(BAD_CASES))
@pytest.mark.parametrize("command", ["validate", "summary"])
def test_bad_user_file(case, command, tmp_path, capsys):
    make, fragment = BAD_CASES[case]
    path = make(tmp_path / "user.csv")
    argv = (
        ["data", "validate", str(path)]
        if command == "validate"
        else ["data", "summary", "--data", str(path)]
    )
    code, out, err = _run(argv, capsys)
    line = _one_line_error(code, err)
    assert fragment in line
    assert str(path.name) in line
    assert out == ""


@pytest.mark.parametrize("case", ["unknown region", "duplicate", "text in value"])
def test_bad_file_export_writes_nothing(case, tmp_path, capsys):
    make, fragment = BAD_CASES[case]
    path = make(tmp_path / "user.csv")
    target = tmp_path / "out.csv"
    code, _, err = _run(["data", "export", "--data", str(path), "--out", str(target)], capsys)
    assert fragment in _one_line_error(code, err)
    assert not target.exists()


def test_good_file_validates(tmp_path, capsys):
    path = _write(GOOD, tmp_path / "user.csv")
    code, out, err = _run(["data", "validate", str(path)], capsys)
    assert code == 0, err
    assert "OK" in out and "3 rows" in out and "2 regions" in out


# --- data build on a bad raw folder --------------------------------------------------------------

FIRST_BOOK = "rosstat_regions_of_russia_2023/Раздел 1 - Население.xlsx"


def _raw_with_first_book(tmp_path, write):
    raw = tmp_path / "raw"
    (raw / "rosstat_regions_of_russia_2023").mkdir(parents=True)
    write(raw / FIRST_BOOK)
    return raw


def _build(raw, tmp_path, capsys):
    out = tmp_path / "built"
    code, _, err = _run(["data", "build", "--raw", str(raw), "--out", str(out), "--quiet"], capsys)
    line = _one_line_error(code, err)
    assert not out.exists() or not any(out.iterdir()), "nothing may be written on error"
    return line


def test_build_missing_raw_folder(tmp_path, capsys):
    assert "not a folder" in _build(tmp_path / "nope", tmp_path, capsys)


def test_build_empty_workbook(tmp_path, capsys):
    raw = _raw_with_first_book(tmp_path, lambda p: p.write_bytes(b""))
    assert "Раздел 1 - Население.xlsx: not a readable .xlsx" in _build(raw, tmp_path, capsys)


def test_build_workbook_not_a_rosstat_table(tmp_path, capsys):
    raw = _raw_with_first_book(
        tmp_path, lambda p: make_rosstat_workbook(p, "1.1.", [["x", "y"], [1, 2]])
    )
    # Tables are found by title and unit (issue 11), so a sheet without a year header is a
    # table that is not there.
    line = _build(raw, tmp_path, capsys)
    assert "table 1.1. «численность населения»" in line
    assert "sheet 1.1. is not a table (no header row of years)" in line


def test_build_unknown_region_in_source(tmp_path, capsys):
    rows = rosstat_rows(
        "1.1. ЧИСЛЕННОСТЬ НАСЕЛЕНИЯ",
        "(оценка на конец года; тысяч человек)",
        [2020, 2021],
        [["Омскя облсть", 1, 2]],
    )
    raw = _raw_with_first_book(tmp_path, lambda p: make_rosstat_workbook(p, "1.1.", rows))
    assert "unknown region 'Омскя облсть'" in _build(raw, tmp_path, capsys)


def test_build_text_in_value_cell(tmp_path, capsys):
    rows = rosstat_rows(
        "1.1. ЧИСЛЕННОСТЬ НАСЕЛЕНИЯ",
        "(оценка на конец года; тысяч человек)",
        [2020, 2021],
        [["Омская область", "много", 2]],
    )
    raw = _raw_with_first_book(tmp_path, lambda p: make_rosstat_workbook(p, "1.1.", rows))
    assert "cell B" in _build(raw, tmp_path, capsys)


# The one real interpreter of this file: the other cases call main() in-process.
@pytest.mark.slow
def test_console_script_prints_no_traceback(tmp_path):
    bad = tmp_path / "empty.csv"
    bad.write_bytes(b"")
    proc = subprocess.run(
        [sys.executable, "-m", "border_readiness.experiments.cli", "data", "validate", str(bad)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1


def test_unknown_option_is_one_line(capsys):
    code, _, err = _run(["data", "summary", "--bogus"], capsys)
    assert "unrecognized arguments: --bogus" in _one_line_error(code, err)
