"""Shared fixtures: where the raw official files live, and tiny synthetic Rosstat workbooks."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
RAW = PROJECT.parent / "shared" / "data" / "raw"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start the modules with slow end-to-end tests first.

    With several workers (``-n auto``) a minute-long test that starts last keeps one worker
    busy after the other has finished; started first, the short tests fill in around it.
    Whole modules move, in their own order: a module fixture is torn down when the next test
    comes from another module, so splitting a module would compute its fixture twice.
    """
    slow_modules = {item.module for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.module not in slow_modules)


@pytest.fixture(scope="session")
def raw_root() -> Path:
    """The raw folder ``../shared/data/raw``; tests that need it skip where it is absent."""
    if not (RAW / "PROVENANCE.md").is_file():
        pytest.skip("raw data folder ../shared/data/raw is not present")
    return RAW


def make_rosstat_workbook(path: Path, sheet: str, rows: list[list]) -> Path:
    """Write a workbook with one sheet holding ``rows`` as laid out in a Rosstat table."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def rosstat_rows(title: str, unit: str | None, years: list, body: list[list]) -> list[list]:
    rows: list[list] = [
        [None],
        ["Социально-экономические показатели по субъектам Российской Федерации"],
        ["3. УРОВЕНЬ ЖИЗНИ НАСЕЛЕНИЯ"],
        [title],
    ]
    if unit is not None:
        rows.append([unit])
    rows.append([None, *years])
    rows.extend(body)
    rows.append(["_________"])
    rows.append(["1) Сноска."])
    return rows
