"""Shared fixtures: where the raw official files live, and tiny synthetic Rosstat workbooks."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
RAW = PROJECT.parent / "shared" / "data" / "raw"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start the slow end-to-end tests first.

    With several workers (``-n auto``) a minute-long test that starts last keeps one worker
    busy after the other has finished; started first, the short tests fill in around it.
    Within each kind the order is unchanged.
    """
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


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
