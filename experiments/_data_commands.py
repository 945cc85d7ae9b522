"""Handlers of the ``border-readiness data`` commands: build, summary, validate, export.

Private to the command line: :mod:`border_readiness.experiments.cli` imports them into its
parser (``build_parser``) and its error policy applies to them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from border_readiness.errors import UsageError


def _cmd_data_build(args: argparse.Namespace) -> int:
    """Build the bundled dataset from the raw official files (``data build``)."""
    from border_readiness.experiments._progress import progress_printer
    from border_readiness.features._files import atomic_write_bytes
    from border_readiness.features.dataset import (
        build_dataset,
        bundled_dataset_path,
        dataset_manifest,
        write_dataset_csv,
    )
    from border_readiness.features.sources.geometry import (
        border_facts,
        kz_border_facts,
        kz_border_pairs,
        simplified_polygons,
    )

    say = progress_printer(args.quiet)
    raw = Path(args.raw)
    if not raw.is_dir():
        raise UsageError(f"--raw {raw}: not a folder; expected the raw data folder")
    out = Path(args.out) if args.out else bundled_dataset_path().parent
    # Everything is read and checked before anything is written.
    data, report = build_dataset(raw, progress=say)
    say("computing border facts from the polygons")
    facts = border_facts(raw)
    # The Kazakh side (centroids, per-pair border lengths) feeds the cross-border formulas.
    kz_facts, kz_pairs = kz_border_facts(raw), kz_border_pairs(raw)
    say("simplifying the polygons for the maps")
    polygons = simplified_polygons(raw)
    say(f"writing {out}")
    write_dataset_csv(data, out / "regions_long.csv.gz")
    atomic_write_bytes(
        out / "border_facts.csv", facts.to_csv(index=False, lineterminator="\n").encode("utf-8")
    )
    for name, frame in (("kz_facts.csv", kz_facts), ("kz_border_pairs.csv", kz_pairs)):
        atomic_write_bytes(
            out / name, frame.to_csv(index=False, lineterminator="\n").encode("utf-8")
        )
    atomic_write_bytes(out / "polygons.geojson", polygons.encode("utf-8"))
    atomic_write_bytes(
        out / "dataset_manifest.json", dataset_manifest(data, report).encode("utf-8")
    )
    print(
        f"built {len(data)} rows ({int(data['value'].notna().sum())} values), "
        f"{data['indicator'].nunique()} indicators, {data['region_id'].nunique()} units "
        f"-> {out / 'regions_long.csv.gz'}"
    )
    return 0


def _cmd_data_footnotes(args: argparse.Namespace) -> int:
    """List the footnotes that fold one subject into another's figure (``data footnotes``)."""
    import pandas as pd

    from border_readiness.features.sources.rosstat_footnotes import scan_bundle_footnotes

    raw = Path(args.raw)
    if not raw.is_dir():
        raise UsageError(f"--raw {raw}: not a folder; expected the raw data folder")
    scan = scan_bundle_footnotes(raw)
    shown = scan if args.all else scan[scan["territorial"]]
    print(
        f"{len(scan)} footnotes with an inclusion wording, {int(scan['territorial'].sum())} "
        "territorial (stored under an aggregate id)"
    )
    for r in shown.itertuples():
        years = (f"from {r.from_year}" if not pd.isna(r.from_year) else "") + (
            f" before {r.to_year}" if not pd.isna(r.to_year) else ""
        )
        print(
            f"{r.table}\t{r.indicator}\t{r.rows or '-'} includes {r.included or '-'}"
            f"\t{years.strip() or 'all years'}\t{r.mark}) {r.footnote}"
        )
    return 0


def _cmd_data_summary(args: argparse.Namespace) -> int:
    """Print the coverage and missingness of a dataset (``data summary``)."""
    from border_readiness.experiments._inputs import load_layered
    from border_readiness.experiments._reporting import print_data_summary
    from border_readiness.features.dataset import coverage_summary

    data, label, _, _ = load_layered(args)
    summary = coverage_summary(data)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=1))
    else:
        print_data_summary(summary, label)
    return 0


def _cmd_data_validate(args: argparse.Namespace) -> int:
    """Check a long-layout file and print what it holds (``data validate``).

    With ``--year``, also what the file lacks to score that year, per catalogue indicator; a
    series the catalogue reads that the file does not have at all is an error (exit 2).
    With ``--add``, the layered table is checked.
    """
    from border_readiness.experiments._inputs import load_layered
    from border_readiness.features.dataset import DataValidationError

    args.data = args.file
    data, label, _, layered = load_layered(args)
    for row in [] if layered is None else layered.added.itertuples():
        print(f"  {row.file}: {row.new} new, {row.identical} identical, {row.replaced} replaced")
    zeros = int((data["status"] == "zero").sum())
    print(
        f"{label}: OK — {len(data)} rows, {data['region_id'].nunique()} regions, "
        f"{data['indicator'].nunique()} indicators, years {data['year'].min()}–"
        f"{data['year'].max()}, {int(data['value'].isna().sum()) - zeros} missing values"
        + (f", {zeros} structural zeros" if zeros else "")
    )
    if getattr(args, "year", None) is None:
        return 0
    from border_readiness.features.coverage_check import check_coverage
    from border_readiness.features.regions import BORDER_REGIONS, russian_subjects

    border = args.regions == "border"
    selection = list(BORDER_REGIONS) if border else russian_subjects()
    absent = [r for r in selection if r not in set(data["region_id"])]
    if border and absent:
        raise DataValidationError(
            f"{args.file}: cannot score {args.year}: no rows for border region(s) "
            f"{', '.join(absent)}"
        )
    selection = [r for r in selection if r not in absent]
    check = check_coverage(data, year=args.year, regions=selection)
    lines = check.lines()
    who = f"the {len(selection)} {'border regions' if border else 'Russian subjects'}"
    if not lines:
        print(f"{args.file}: has every series, region and year needed to score {args.year}")
        return 0
    print(f"{args.file}: to score {args.year} for {who}, the file lacks:")
    for line in lines:
        print(f"  {line}")
    if not check.ok:
        raise DataValidationError(check.absent_message(args.file))
    print(
        "Missing cells are imputed when scoring (carried forward from the two years before, "
        "else the federal-district median), and a region needing that for more than "
        "max_imputed_share of its features is refused."
    )
    return 0


def _cmd_data_export(args: argparse.Namespace) -> int:
    """Write the dataset as a long CSV (``data export``)."""
    from border_readiness.experiments._inputs import load_layered
    from border_readiness.features.dataset import write_dataset_csv

    out = Path(args.out)
    if out.suffix.lower() not in (".csv", ".gz"):
        raise UsageError(f"--out {out}: expected a .csv or .csv.gz file name")
    data, _, _, _ = load_layered(args)
    if args.years:
        data = data[data["year"].isin(_years(args.years, "--years"))]
    if args.exclude_years:
        data = data[~data["year"].isin(_years(args.exclude_years, "--exclude-years"))]
    if data.empty:
        raise UsageError("data export: no rows left after the year filter")
    write_dataset_csv(data, out)
    print(f"wrote {len(data)} rows to {out}")
    return 0


def _add_year_filter(p: argparse.ArgumentParser) -> None:
    p.add_argument("--years", help="only these years, e.g. 2022 or 2019,2021 or 2015-2021")
    p.add_argument("--exclude-years", help="all but these years (same forms as --years)")


def _years(text: str, option: str) -> set[int]:
    """The years of ``2022``, ``2019,2021`` or ``2015-2021`` (ranges inclusive)."""
    years: set[int] = set()
    try:
        for part in text.split(","):
            lo, _, hi = part.strip().partition("-")
            years.update(range(int(lo), int(hi or lo) + 1))
    except ValueError:
        raise UsageError(
            f"{option} {text}: expected years such as 2022, 2019,2021 or 2015-2021"
        ) from None
    return years
