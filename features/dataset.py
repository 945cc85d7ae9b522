"""The long dataset: building it from the raw sources, loading, validating and summarising it.

The long layout is one row per (region_id, year, indicator) with the columns
``region_id, year, indicator, value, status, unit, source_file, source_table, note``. ``value``
is NaN where the source publishes no number; ``status`` says what the cell means (a figure, a
structural zero, not published, confidential: :mod:`border_readiness.features.status`) and
``note`` keeps the source's wording: no published cell is dropped silently. Functions take
explicit paths; nothing reads or writes files behind the caller's back.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import json
import re
import tomllib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from border_readiness.features._csv_cells import guard_frame
from border_readiness.features._files import atomic_write_bytes
from border_readiness.features._long_files import DataValidationError, read_long_file
from border_readiness.features._text import stripped_text
from border_readiness.features.regions import (
    BORDER_REGIONS,
    UnknownRegionError,
    region_table,
    resolve_region,
    russian_subjects,
)
from border_readiness.features.sources._errors import SourceFormatError
from border_readiness.features.sources.rosstat import LONG_COLUMNS as _SOURCE_COLUMNS
from border_readiness.features.sources.rosstat_editions import read_rosstat_bundle
from border_readiness.features.status import (
    StatusError,
    cell_text,
    resolve_status,
    status_from_source_note,
)

__all__ = [
    "CORE_INDICATORS",
    "LONG_COLUMNS",
    "REQUIRED_COLUMNS",
    "DataValidationError",
    "build_dataset",
    "bundled_dataset_path",
    "coverage_summary",
    "load_dataset",
    "read_long_file",
    "validate_long",
    "write_dataset_csv",
]

REQUIRED_COLUMNS = ["region_id", "year", "indicator", "value"]
#: The four required columns, ``status`` (:mod:`border_readiness.features.status`), provenance.
LONG_COLUMNS = [*REQUIRED_COLUMNS, "status", *_SOURCE_COLUMNS[4:]]
YEAR_RANGE = (1990, 2035)

#: Indicators that the coverage checks of the 12 border regions look at (2010–2021).
CORE_INDICATORS = (
    "population_avg", "net_migration_rate", "unemployment_rate_lfs", "money_income_per_capita",
    "wage_avg_monthly_nominal", "poverty_rate", "housing_m2_per_capita", "doctors_per_10000",
    "grp", "grp_per_capita", "investment_fixed_capital", "organisations", "agricultural_output",
    "construction_works", "retail_turnover", "wholesale_turnover", "paved_road_density",
    "rail_freight_dispatched", "households_internet_share", "exports_cis", "imports_cis",
    "exports_far_abroad", "imports_far_abroad", "budget_revenue", "budget_expenditure",
)  # fmt: skip

# Population counts can never be negative (growth rates of population can).
_POPULATION_COUNT = r"^(kz_)?population(_avg|_end_year)?(_(men|women)(_urban|_rural)?)?$"


@dataclass(frozen=True)
class BuildReport:
    """What a build read: per source file its sha256 and row count, and skipped heading rows."""

    sources: dict[str, dict]
    skipped_rows: list[str]
    #: Rosstat tables found under another number than bundle.toml gives: "file: old -> new".
    moved_tables: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        out = {"sources": self.sources, "skipped_rows": self.skipped_rows}
        if self.moved_tables:  # absent for the edition the bundle names, so its manifest is stable
            out["moved_tables"] = self.moved_tables
        return out


def bundled_dataset_path() -> Path:
    """Path of the bundled dataset (gzip-compressed long CSV inside the package).

    Returns
    -------
    pathlib.Path
        ``features/data/regions_long.csv.gz`` of the installed package (it may be absent in a
        checkout that has not run ``border-readiness data build``).
    """
    return Path(str(resources.files("border_readiness.features") / "data" / "regions_long.csv.gz"))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_dataset(
    raw_root: str | Path,
    *,
    manifest: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[pd.DataFrame, BuildReport]:
    """Build the long dataset from the raw folder, as the manifest ``bundle.toml`` lists.

    Parameters
    ----------
    raw_root : path-like
        The raw folder (``shared/data/raw``) holding the official files.
    manifest : path-like, optional
        A bundle manifest; default the packaged ``features/data/bundle.toml``.
    progress : callable, optional
        Called with a short message before each source file is read.

    Returns
    -------
    (DataFrame, BuildReport)
        The validated long table sorted by region, indicator, year; and what was read.

    Raises
    ------
    SourceFormatError, UnknownRegionError, DataValidationError
        On any source that cannot be read as expected. Nothing is written by this function.

    Examples
    --------
    >>> data, report = build_dataset("../shared/data/raw")  # doctest: +SKIP
    """
    from border_readiness.features.sources.kazakhstan import read_bns_grp, read_opendata_kazakhstan
    from border_readiness.features.sources.rosstat_grp import read_vrp_s1998

    raw_root = Path(raw_root)
    if not raw_root.is_dir():
        raise SourceFormatError(f"{raw_root}: raw folder not found")
    spec_path = (
        Path(manifest)
        if manifest
        else Path(str(resources.files("border_readiness.features") / "data" / "bundle.toml"))
    )
    with open(spec_path, "rb") as fh:
        spec = tomllib.load(fh)
    say = progress or (lambda _msg: None)
    frames: list[pd.DataFrame] = []
    skipped: list[str] = []
    sources: dict[str, dict] = {}

    def record(path: Path, frame: pd.DataFrame) -> None:
        key = path.relative_to(raw_root).as_posix()
        entry = sources.setdefault(key, {"sha256": _sha256(path), "rows": 0})
        entry["rows"] += len(frame)
        frames.append(frame)

    moved_tables: list[str] = []
    for path, tables in read_rosstat_bundle(
        raw_root, spec["rosstat"], spec_path.name, say, moved_tables
    ):
        for entry, table in tables:
            data = table.data
            if "unit" in entry:
                data = data.assign(unit=data["unit"].replace("", entry["unit"]))
            if (data["unit"] == "").any():
                raise SourceFormatError(
                    f"{path.name}, sheet {entry['sheet']!r}: no unit line; give `unit` in "
                    f"{spec_path.name}"
                )
            skipped += [f"{path.name} {table.sheet} {s}" for s in table.skipped_rows]
            record(path, data)

    path = raw_root / spec["vrp"]["file"]
    say(f"reading {path.name}")
    record(path, read_vrp_s1998(path, raw_root))

    path = raw_root / spec["kazakhstan"]["bns_grp"]
    say(f"reading {path.name}")
    record(path, read_bns_grp(path, raw_root))
    folder = raw_root / spec["kazakhstan"]["open_data"]
    say(f"reading {folder.name}/")
    kz = read_opendata_kazakhstan(folder, raw_root)
    for source_file, part in kz.groupby("source_file", sort=True):
        record(raw_root / source_file, part)

    data = pd.concat(frames, ignore_index=True)[_SOURCE_COLUMNS]
    data.insert(4, "status", status_from_source_note(data["value"], data["note"]))
    data = validate_long(data, source="build")
    return data, BuildReport(dict(sorted(sources.items())), skipped, moved_tables)


def write_dataset_csv(
    data: pd.DataFrame, path: str | Path, *, compress: bool | None = None
) -> None:
    """Write the long table as CSV (gzip when the name ends in .gz), atomically and reproducibly.

    The gzip header carries no timestamp or file name, so the same data give the same bytes.

    Parameters
    ----------
    data : pandas.DataFrame
        A long table with at least the columns of :data:`LONG_COLUMNS` (other columns are not
        written). Rows are sorted by region, indicator and year; values are written in their
        shortest round-tripping form, NaN empty, formula-like text with a ``'`` (_csv_cells).
    path : path-like
        Destination file; written through a temporary file and renamed, so a reader never sees
        a half-written file.
    compress : bool, optional
        Gzip the output; default: when ``path`` ends in ``.gz``.

    Examples
    --------
    >>> write_dataset_csv(data, "out/regions_long.csv")  # doctest: +SKIP
    """
    path = Path(path)
    compress = path.suffix == ".gz" if compress is None else compress
    frame = data[LONG_COLUMNS].sort_values(["region_id", "indicator", "year"]).copy()
    # A cell without a figure carries its meaning in `value` too (`-` structural zero, `x`
    # confidential), so that the file trimmed to the four required columns means the same.
    frame["value"] = [
        cell_text(v, s)
        for v, s in zip(frame["value"].to_numpy(dtype=float), frame["status"], strict=True)
    ]
    payload = guard_frame(frame).to_csv(index=False, lineterminator="\n").encode("utf-8")
    if compress:
        out = io.BytesIO()
        with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, filename="", compresslevel=9) as gz:
            gz.write(payload)
        payload = out.getvalue()
    atomic_write_bytes(path, payload)


def validate_long(data: pd.DataFrame, *, source: str = "data") -> pd.DataFrame:
    """Check a long table against the contract and return it normalised and sorted.

    Region names are resolved to ids by the registry; missing optional columns are added
    empty. Rows are never dropped: every problem is an error naming the row (1-based, as in a
    spreadsheet with a header line) and column.

    Parameters
    ----------
    data : pandas.DataFrame
        A long table with at least the columns of :data:`REQUIRED_COLUMNS`; ``region_id`` may
        hold names in any spelling the registry knows.
    source : str, default "data"
        What to call the table in error messages (usually the file path).

    Returns
    -------
    pandas.DataFrame
        A new table with exactly the columns of :data:`LONG_COLUMNS`: registry ids, ``year``
        int64, ``value`` float64 (NaN where missing), text columns as strings; sorted by
        region, indicator and year with a fresh index. The input is not modified.

    Raises
    ------
    DataValidationError
        Missing column, unknown region, duplicate (region, year, indicator), text in ``value``
        that is not a status marker, an unknown ``status`` code, year outside 1990–2035, a
        negative population, or two units for one indicator.

    Examples
    --------
    >>> df = pd.DataFrame({"region_id": ["Омская область"], "year": [2020],
    ...                    "indicator": ["population_avg"], "value": [1900.0]})
    >>> validate_long(df)["region_id"].tolist()
    ['RU-OMS']
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in data.columns]
    if missing:
        raise DataValidationError(
            f"{source}: missing column(s) {', '.join(missing)}; "
            f"found {', '.join(map(str, data.columns))}"
        )
    if data.empty:
        raise DataValidationError(f"{source}: no rows")
    frame = data.copy()
    for col in ("unit", "source_file", "source_table", "note"):
        if col not in frame:
            frame[col] = ""
        frame[col] = frame[col].fillna("").astype(str)
    line = pd.Series(np.arange(2, len(frame) + 2), index=frame.index)

    ids: dict[str, str] = {}
    for raw in pd.unique(frame["region_id"].astype(str)):
        try:
            ids[raw] = resolve_region(raw)
        except UnknownRegionError as exc:
            row = int(line[frame["region_id"].astype(str) == raw].iloc[0])
            raise DataValidationError(f"{source}, row {row}, column region_id: {exc}") from None
    frame["region_id"] = frame["region_id"].astype(str).map(ids)

    years = pd.to_numeric(frame["year"], errors="coerce")
    bad = years.isna() | (years % 1 != 0) | (years < YEAR_RANGE[0]) | (years > YEAR_RANGE[1])
    if bad.any():
        i = bad.idxmax()
        raise DataValidationError(
            f"{source}, row {line[i]}, column year: {str(frame.at[i, 'year'])!r} is not a year in "
            f"{YEAR_RANGE[0]}–{YEAR_RANGE[1]}"
        )
    frame["year"] = years.astype("int64")

    try:
        frame["value"], frame["status"] = resolve_status(
            frame["value"], frame.get("status"), source=source, line=line
        )
    except StatusError as exc:
        raise DataValidationError(str(exc)) from None
    if np.isinf(frame["value"]).any():
        i = np.isinf(frame["value"]).idxmax()
        raise DataValidationError(f"{source}, row {line[i]}, column value: infinite value")

    frame["indicator"] = stripped_text(frame["indicator"])
    if (frame["indicator"] == "").any():
        i = (frame["indicator"] == "").idxmax()
        raise DataValidationError(f"{source}, row {line[i]}, column indicator: empty")

    counts = [i for i in pd.unique(frame["indicator"]) if re.match(_POPULATION_COUNT, i)]
    negative = frame["indicator"].isin(counts) & (frame["value"] < 0)
    if negative.any():
        i = negative.idxmax()
        raise DataValidationError(
            f"{source}, row {line[i]}, column value: negative population "
            f"{frame.at[i, 'value']} for {frame.at[i, 'region_id']} {frame.at[i, 'year']}"
        )

    key = ["region_id", "year", "indicator"]
    dup = frame.duplicated(key, keep=False)
    if dup.any():
        rows = line[dup].head(2).tolist()
        first = frame.loc[dup].iloc[0]
        raise DataValidationError(
            f"{source}, rows {rows[0]} and {rows[1]}: duplicate (region_id, year, indicator) = "
            f"({first['region_id']}, {first['year']}, {first['indicator']})"
        )

    # One unit per indicator and region: a national total may be published in a larger unit
    # («Российская Федерация, млрд руб.»), but one region's series never changes unit.
    units = frame.groupby(["indicator", "region_id"])["unit"].nunique()
    if (units > 1).any():
        ind, rid = units[units > 1].index[0]
        found = sorted(
            frame.loc[(frame.indicator == ind) & (frame.region_id == rid), "unit"].unique()
        )
        raise DataValidationError(
            f"{source}: indicator {ind!r} has several units for {rid}: {found}"
        )
    return frame[LONG_COLUMNS].sort_values(["region_id", "indicator", "year"], ignore_index=True)


def load_dataset(path: str | Path | None = None) -> pd.DataFrame:
    """Load the bundled dataset, or a user's long file, validated.

    Parameters
    ----------
    path : path-like, optional
        A long file as :func:`read_long_file` accepts; default the bundled dataset.

    Returns
    -------
    pandas.DataFrame
        The table as :func:`validate_long` returns it.

    Raises
    ------
    DataValidationError
        When the file is missing, unreadable or breaks the contract (the bundled dataset is
        missing until ``border-readiness data build --raw DIR`` has been run).

    Examples
    --------
    >>> data = load_dataset()
    >>> sorted(data.columns) == sorted(LONG_COLUMNS)
    True
    """
    if path is None:
        path = bundled_dataset_path()
        if not path.is_file():
            raise DataValidationError(
                f"{path}: bundled dataset missing; run `border-readiness data build --raw DIR`"
            )
        # Parsed once per process; `data build` replaces the file (a new key); callers get copies.
        stat = path.stat()
        return _load_bundled(str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns).copy()
    return validate_long(read_long_file(path), source=str(path))


@functools.lru_cache(maxsize=2)
def _load_bundled(path: str, inode: int, size: int, mtime_ns: int) -> pd.DataFrame:
    return validate_long(read_long_file(path), source=path)


# Region kinds that are sums of subjects, not subjects.
_AGGREGATE_KINDS = frozenset(
    [
        "country",
        "federal_district",
        "subject_with_okrugs",
        "subjects_combined",
        "subjects_total",
        "not_allocated",
    ]
)


def coverage_summary(
    data: pd.DataFrame,
    *,
    years: tuple[int, int] = (2010, 2021),
    border_indicators: tuple[str, ...] = CORE_INDICATORS,
) -> dict:
    """Coverage of a long dataset: units, indicators, years, and missingness.

    Parameters
    ----------
    data : pandas.DataFrame
        A validated long table (:func:`load_dataset` or :func:`validate_long`).
    years : tuple of int, default (2010, 2021)
        First and last year (inclusive) of the window the missingness is measured over.
    border_indicators : tuple of str, default :data:`CORE_INDICATORS`
        Indicators whose gaps are listed for each of the 12 border regions.

    Returns
    -------
    dict
        JSON-ready: counts of rows, values, Russian subjects and Kazakh units, aggregate units,
        indicators, the year span, per-region and per-indicator shares of missing cells in
        ``years``, the number of Russian subjects with at least 40 indicators fully covered
        over the window, and the gaps of the 12 border regions in ``border_indicators`` over
        the window (each with the source's own note). A region covers an indicator when it has
        a value in every year of the window in which the indicator is published at all.

    Examples
    --------
    >>> s = coverage_summary(load_dataset())
    >>> s["russian_subjects"] >= 80
    True
    """
    table = region_table()
    kinds = table["kind"].reindex(data["region_id"].unique())
    countries = table["country"].reindex(data["region_id"].unique())
    subjects = set(russian_subjects())
    window = data[data["year"].between(*years)]
    present = window.dropna(subset=["value"])

    # A region covers an indicator when it has a value in every year the indicator is published
    # in the window; its years are a subset of those, so equal counts mean equal sets.
    published_years = present.groupby("indicator")["year"].agg(lambda s: set(s))
    have = present.groupby(["region_id", "indicator"])["year"].nunique()
    needed = present.groupby("indicator")["year"].nunique()
    is_full = have.to_numpy() == needed.reindex(have.index.get_level_values("indicator")).to_numpy()
    full_per_region = Counter(have.index.get_level_values("region_id")[is_full])
    per_subject = pd.Series({rid: full_per_region[rid] for rid in subjects})

    miss_region = window.assign(m=window["value"].isna()).groupby("region_id")["m"].mean()
    miss_indicator = window.assign(m=window["value"].isna()).groupby("indicator")["m"].mean()

    # One pass over the window's border-region rows, not one scan of the table per pair.
    border_rows = window[
        window["region_id"].isin(BORDER_REGIONS) & window["indicator"].isin(border_indicators)
    ]
    by_pair = dict(iter(border_rows.groupby(["region_id", "indicator"], sort=False)))
    gaps = []
    for rid in BORDER_REGIONS:
        for ind in border_indicators:
            rows = by_pair.get((rid, ind), border_rows.iloc[:0])
            have_years = set(rows.dropna(subset=["value"])["year"])
            expected = published_years.get(ind, set())
            for y in sorted(expected - have_years):
                note = rows.loc[rows.year == y, "note"]
                gaps.append(
                    {
                        "region_id": rid,
                        "indicator": ind,
                        "year": int(y),
                        "note": note.iloc[0] if len(note) else "no row in the source",
                    }
                )
    return {
        "rows": len(data),
        "values": int(data["value"].notna().sum()),
        "russian_subjects": len(subjects & set(data["region_id"])),
        "kazakh_units": int((countries == "KZ").sum()),
        "aggregate_units": int(kinds.isin(_AGGREGATE_KINDS).sum()),
        "indicators": int(data["indicator"].nunique()),
        "year_min": int(data["year"].min()),
        "year_max": int(data["year"].max()),
        "window": list(years),
        "subjects_with_40_full_indicators": int((per_subject >= 40).sum()),
        "full_indicators_per_subject_min": int(per_subject.min()) if len(per_subject) else 0,
        "missing_share_by_region": {k: round(float(v), 4) for k, v in miss_region.items()},
        "missing_share_by_indicator": {k: round(float(v), 4) for k, v in miss_indicator.items()},
        "border_region_gaps": gaps,
    }


def dataset_manifest(data: pd.DataFrame, report: BuildReport) -> str:
    """The JSON manifest written beside the bundled dataset: sources with sha256, counts.

    Parameters
    ----------
    data : pandas.DataFrame
        The long dataset as built.
    report : BuildReport
        What the build read (from :func:`build_dataset`).

    Returns
    -------
    str
        Indented JSON with sorted keys and a final newline: the columns, row and value counts,
        the sorted indicator names, the sources (sha256, rows) and the skipped heading rows.
    """
    body = {
        "columns": LONG_COLUMNS,
        "rows": len(data),
        "values": int(data["value"].notna().sum()),
        "indicators": sorted(data["indicator"].unique().tolist()),
        **report.to_dict(),
    }
    return json.dumps(body, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
