"""Readers for the Kazakh regional statistics in the raw folder.

Two sources (``PROVENANCE.md`` sections 4 and 5):

* the Bureau of National Statistics (BNS) GRP workbook ``statgovkz_grp_oblast/1. Gross regional
  product.xlsx`` (English edition), read by :func:`read_bns_grp`;
* the Open Data Kazakhstan extracts of stat.gov.kz tables in ``open_data_kazakhstan/``, read by
  :func:`read_opendata_kazakhstan`.

Every reader returns one tidy long table with the columns of :data:`TIDY_COLUMNS`. Every cell of a
region × year grid becomes a row: a float, or NaN with the reason in ``note``; a cell that is
neither raises :class:`~border_readiness.features.sources._errors.SourceFormatError` naming the
file, the sheet and
the cell. Quarterly and cumulative (``9 months``) columns are not annual figures and are skipped,
but only when their header says so; any other header raises.

Boundary changes are handled through the registry (``features/data/regions_kz.csv``): South
Kazakhstan (``KZ-YUZ``, to 2017) was split in 2018 into Turkistan (``KZ-61``) and Shymkent
(``KZ-79``); Abai, Jetisu and Ulytau (``KZ-10``, ``KZ-33``, ``KZ-62``) were carved out of East
Kazakhstan, Almaty and Karaganda oblasts in 2022. A value for a unit in a year before it existed
is kept and noted as a back-calculation; a value for a unit after it was abolished is an error
(except the one documented defect of the 2022 wage table, see ``_read_wages``). A ``-`` in a
Kazakh table is missing (NaN, status ``not_published``, the note says so), never the structural
zero it is in the Rosstat tables: BNS prints it where a figure does not exist, mostly for a unit
in the years before it was formed.

This module holds the public readers and the registry-based notes; the Open Data readers and the
sheet parser ``_Sheet`` are in the private ``_kazakhstan_opendata``, and the text, label and
footnote helpers in ``_kazakhstan_labels``.
"""

from __future__ import annotations

import math
from pathlib import Path

import openpyxl
import pandas as pd

from border_readiness.features.regions import normalize_name, region_table
from border_readiness.features.sources._errors import SourceFormatError
from border_readiness.features.sources._kazakhstan_labels import (
    _footnotes,
    _is_year,
    _split_mark,
    _text,
    _years,
)
from border_readiness.features.sources._kazakhstan_opendata import _OPEN_DATA_FILES, _Sheet
from border_readiness.features.sources._tidy import finalize_tidy, source_file_label
from border_readiness.features.sources._tidy import join_notes as _join

__all__ = ["read_all_kazakhstan", "read_bns_grp", "read_opendata_kazakhstan"]

BNS_GRP_FILE = "statgovkz_grp_oblast/1. Gross regional product.xlsx"
OPEN_DATA_FOLDER = "open_data_kazakhstan"

# Units formed out of a continuing oblast, and the year they were formed: when a source already
# shows the new unit in an earlier year, the parent's figure for that year is in the new
# boundaries too, which contradicts the registry's "before 2022 includes ..." and is noted.
_CARVED_OUT_OF = {"KZ-10": "KZ-63", "KZ-33": "KZ-19", "KZ-62": "KZ-35"}

# The cell parser's wording for `-` (a structural zero in Rosstat tables) and what it becomes in
# the Kazakh tables: the status is derived from the note, and this one reads as not published.
_DASH_NOTE = "no such phenomenon (published as -)"
_KZ_DASH_NOTE = "published as -: no figure (missing, not zero)"


def read_bns_grp(path: str | Path, raw_root: str | Path) -> pd.DataFrame:
    """Read the BNS GRP workbook: annual GRP by oblast, all three sheets (1990–2023).

    Indicators: ``kz_grp`` (mln KZT, current prices; 1993 on) and ``kz_grp_rub`` (1990–1992,
    which the workbook gives in million roubles: the tenge was introduced in November 1993).
    The 2023 figures are preliminary (noted). Quarterly and ``9 months`` columns are skipped.

    Parameters
    ----------
    path : path-like
        ``<raw>/statgovkz_grp_oblast/1. Gross regional product.xlsx``.
    raw_root : path-like
        The raw folder, for ``source_file``.

    Returns
    -------
    pandas.DataFrame
        Tidy table with the columns of :data:`TIDY_COLUMNS`.

    Examples
    --------
    >>> raw = Path("../shared/data/raw")
    >>> grp = read_bns_grp(raw / BNS_GRP_FILE, raw)  # doctest: +SKIP
    >>> grp.query("region_id == 'KZ-55' and year == 2023")["value"].item()  # doctest: +SKIP
    4346514.0
    """
    ctx_file = source_file_label(path, raw_root)
    wb = openpyxl.load_workbook(path, data_only=True)
    records: list[dict] = []
    for ws in wb.worksheets:
        rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
        sheet = _Sheet(ctx_file, ws.title, rows)
        header = sheet.find_header(lambda r: sum(_is_year(v) for v in r[1:]) >= 2)
        if not any(_text(v) == "mln.tenge" for r in rows[:header] for v in r):
            raise SourceFormatError(f"{ctx_file} [{ws.title}]: unit line 'mln.tenge' not found")
        footnotes = _footnotes(rows)
        columns: dict[int, tuple[int, str, str]] = {}
        for j, year, mark in sheet.annual_columns(header):
            text = footnotes.get(mark, "") if mark else ""
            indicator = "kz_grp_rub" if "rubles" in text else "kz_grp"
            columns[j] = (year, indicator, sheet.footnote_note(mark, footnotes))
        units = {"kz_grp": "mln KZT, current prices", "kz_grp_rub": "mln RUB, current prices"}
        records += sheet.grid(
            header, columns, units=units, footnotes=footnotes, local_names=_bns_local_names(sheet)
        )
    return finalize_tidy(_annotate(records))


def read_opendata_kazakhstan(folder: str | Path, raw_root: str | Path) -> pd.DataFrame:
    """Read every Open Data Kazakhstan extract in ``open_data_kazakhstan/``.

    Where a folder holds both the stat.gov.kz original (xlsx/xls) and a CSV made from it, the
    original is read (it holds more); the CSV is read only where it is the sole source (money
    income). Any file not listed in the reader raises, so nothing is skipped unawares.

    Indicators (``kz_`` prefix; units as published or as PROVENANCE.md states them):
    ``kz_grp_per_capita`` (thou. KZT), ``kz_grp_per_capita_usd`` (USD at the NBK average rate),
    ``kz_unemployment_rate`` (% , LFS), ``kz_wage_avg_monthly`` and ``kz_wage_avg_monthly__<group>``
    (KZT per month, 2022, by occupation group), ``kz_population`` / ``_men`` / ``_women`` and the
    urban/rural splits of men and women (persons, beginning of year), ``kz_income_per_capita``
    (KZT per month, nominal money income), ``kz_doctors`` (persons, end of year).

    Parameters
    ----------
    folder : path-like
        ``<raw>/open_data_kazakhstan``.
    raw_root : path-like
        The raw folder, for ``source_file``.

    Returns
    -------
    pandas.DataFrame
        Tidy table with the columns of :data:`TIDY_COLUMNS`, all files' rows together.

    Raises
    ------
    SourceFormatError
        For a file the reader does not know, or a cell, header or footnote it cannot read.
    UnknownRegionError
        For a row label that is not a Kazakh unit of the registry.

    Examples
    --------
    >>> raw = Path("../shared/data/raw")
    >>> od = read_opendata_kazakhstan(raw / OPEN_DATA_FOLDER, raw)  # doctest: +SKIP
    >>> sorted(od["indicator"].unique())[:2]  # doctest: +SKIP
    ['kz_doctors', 'kz_grp_per_capita']
    """
    folder = Path(folder)
    records: list[dict] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        handler = _OPEN_DATA_FILES.get(rel)
        if handler is None:
            raise SourceFormatError(
                f"{source_file_label(path, raw_root)}: file unknown to the reader"
            )
        if callable(handler):
            records += handler(path, source_file_label(path, raw_root))
    return finalize_tidy(_annotate(records))


def read_all_kazakhstan(raw_root: str | Path) -> pd.DataFrame:
    """All Kazakh sources of the raw folder in one tidy table.

    Parameters
    ----------
    raw_root : path-like
        The raw folder (``shared/data/raw``); the files are found at :data:`BNS_GRP_FILE` and
        :data:`OPEN_DATA_FOLDER` under it.

    Returns
    -------
    pandas.DataFrame
        The tables of :func:`read_bns_grp` and :func:`read_opendata_kazakhstan` concatenated,
        with the columns of :data:`TIDY_COLUMNS`.

    Examples
    --------
    >>> kz = read_all_kazakhstan("../shared/data/raw")  # doctest: +SKIP
    >>> kz.columns.tolist() == list(TIDY_COLUMNS)  # doctest: +SKIP
    True
    """
    raw_root = Path(raw_root)
    frames = [
        read_bns_grp(raw_root / BNS_GRP_FILE, raw_root),
        read_opendata_kazakhstan(raw_root / OPEN_DATA_FOLDER, raw_root),
    ]
    return finalize_tidy(pd.concat(frames, ignore_index=True))


# --- registry-based notes ---------------------------------------------------------------------


def _annotate(records: list[dict]) -> list[dict]:
    """Add the notes that follow from the registry's validity years and boundary changes."""
    table = region_table()
    present = {
        (r["source_file"], r["indicator"], r["year"], r["region_id"])
        for r in records
        if not math.isnan(r["value"])
    }
    for r in records:
        rid, year, has = r["region_id"], r["year"], not math.isnan(r["value"])
        # The shared cell parser reads `-` as Rosstat's "no such phenomenon" (a structural zero,
        # e.g. no railways). In the BNS tables `-` marks a figure that does not exist, mostly a
        # unit in years before it was formed: 0 % unemployment or 0 inhabitants in Abai in 2021
        # would be invented data, so here it is missing, with the reason kept in the note.
        if not has and str(r["note"]).startswith(_DASH_NOTE):
            r["note"] = _KZ_DASH_NOTE + str(r["note"])[len(_DASH_NOTE) :]
        start, end = _years(rid)
        name = table.at[rid, "name_en"]
        if start is not None and year < start:
            r["note"] = _join(
                r["note"],
                f"back-calculation by the source: {name} was formed in {start}"
                if has
                else f"{name} was formed in {start}",
            )
        if end is not None and year > end:
            if has:
                raise SourceFormatError(
                    f"{r['_where']}: value for {rid}, which ceased to exist after {end}"
                )
            r["note"] = _join(r["note"], f"{name} ceased to exist after {end}")
        for child, parent in _CARVED_OUT_OF.items():
            child_start = _years(child)[0]
            if (
                rid == parent
                and year < child_start
                and (r["source_file"], r["indicator"], year, child) in present
            ):
                r["note"] = _join(
                    r["note"],
                    f"published in {child_start} boundaries, i.e. without "
                    f"{table.at[child, 'name_en']} ({child}), shown separately",
                )
    return records


# --- small helpers ----------------------------------------------------------------------------


def _bns_local_names(sheet: _Sheet) -> dict[str, str]:
    # BNS writes Almaty oblast as plain "Almaty" beside a row "Almaty city". Elsewhere the bare
    # English name means the city, so it is no registry alias; this sheet-local rule applies only
    # where the sheet itself has the separate city row.
    labels = {normalize_name(_split_mark(_text(r[0]))[0]) for r in sheet.rows if r and r[0]}
    if normalize_name("Almaty city") not in labels:
        return {}
    return {normalize_name("Almaty"): "KZ-19"}
