"""Parsing of published cells: hand-worked cases and properties."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from border_readiness.features.sources._cells import CellParseError, parse_cell, strip_footnote


@pytest.mark.parametrize(
    ("raw", "value", "note_part"),
    [
        (16708, 16708.0, ""),
        (46952.3, 46952.3, ""),
        ("2\xa0308,0", 2308.0, ""),
        ("17,83)", 17.8, "footnote 3"),
        ("1878,23)", 1878.2, "footnote 3"),
        ("0,32)", 0.3, "footnote 2"),
        ("1569, 8", 1569.8, ""),
        ("-0,0", -0.0, ""),
        ("53\xa0833 519", 53833519.0, ""),
        (" 76,0\xa0", 76.0, ""),
    ],
)
def test_numbers_as_published(raw, value, note_part):
    cell = parse_cell(raw)
    assert cell.value == value
    assert note_part in cell.note


@pytest.mark.parametrize("raw", ["-", " - ", "–", "‐", "−", "-\xa0", "\xa0–"])
def test_dash_means_no_such_phenomenon(raw):
    cell = parse_cell(raw)
    assert math.isnan(cell.value)
    assert cell.note.startswith("no such phenomenon")


@pytest.mark.parametrize("raw", ["…", "...", "..", "…2)", "... 1)", "  …1)", "…\xa0", "…."])
def test_ellipsis_means_not_available(raw):
    cell = parse_cell(raw)
    assert math.isnan(cell.value)
    assert cell.note.startswith("not available")


def test_footnote_on_missing_is_kept():
    assert "footnote 2" in parse_cell("…2)").note


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_empty_cells_are_missing_with_reason(raw):
    cell = parse_cell(raw)
    assert cell.missing and cell.note == "empty cell"


def test_times_in_percent_table_converts_to_percent():
    assert parse_cell("в 5,8 р.", percent_unit=True).value == pytest.approx(580.0)
    assert parse_cell("в 2.1 р.", percent_unit=True).value == pytest.approx(210.0)


def test_times_outside_percent_table_is_an_error():
    with pytest.raises(CellParseError):
        parse_cell("в 5,8 р.")


@pytest.mark.parametrize("raw", ["abc", "12abc", "n/a", True])
def test_text_is_an_error(raw):
    with pytest.raises(CellParseError):
        parse_cell(raw)


def test_strip_footnote_on_labels():
    assert strip_footnote("Российская Федерация1);2)") == ("Российская Федерация", "1,2")
    assert strip_footnote("Сибирский федеральный округ²⁾") == ("Сибирский федеральный округ", "2")
    assert strip_footnote("Омская область") == ("Омская область", "")


@given(st.integers(min_value=-(10**9), max_value=10**9), st.integers(min_value=0, max_value=9))
def test_property_decimal_comma_with_thin_spaces_roundtrips(whole, frac):
    # Rosstat groups thousands with non-breaking spaces and writes a decimal comma.
    grouped = f"{abs(whole):,}".replace(",", "\xa0")
    text = ("-" if whole < 0 else "") + f"{grouped},{frac}"
    expected = abs(whole) + frac / 10
    assert parse_cell(text).value == pytest.approx(-expected if whole < 0 else expected)


@given(st.floats(allow_nan=False, allow_infinity=False, width=64), st.integers(1, 9))
def test_property_footnote_digit_never_changes_a_numeric_cell(x, mark):
    # A float cell is never altered; text with a footnote loses exactly its last digit + ')'.
    assert parse_cell(x).value == x
    text = f"{abs(x):.1f}".replace(".", ",")
    parsed = parse_cell(f"{text}{mark})")
    assert parsed.value == pytest.approx(float(text.replace(",", ".")))
    assert parsed.note == f"footnote {mark}"
