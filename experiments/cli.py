"""The ``border-readiness`` command line.

Errors a user can cause print one line naming the file, row/column or parameter, and exit with
code 2 without a traceback; nothing is written. Bugs exit with code 1 and a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

__all__ = ["main"]

EXAMPLES = {
    "data build": "border-readiness data build --raw ../shared/data/raw",
    "data summary": "border-readiness data summary --json",
    "data validate": "border-readiness data validate my_region_stats.csv",
    "data export": "border-readiness data export --out regions_long.csv",
    "score": "border-readiness score --year 2021 --out out/score",
}


class UserError(Exception):
    """An error the user can fix; printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        raise UserError(f"{self.prog}: {message}")


def _user_errors() -> tuple[type[BaseException], ...]:
    from experiments.config import ConfigError
    from features.catalogue import CatalogueError
    from features.dataset import DataValidationError
    from features.profiles import ProfileRuleError
    from features.regions import UnknownRegionError
    from features.sources._errors import SourceFormatError

    return (
        UserError,
        DataValidationError,
        SourceFormatError,
        UnknownRegionError,
        ConfigError,
        CatalogueError,
        ProfileRuleError,
    )


def _progress(quiet: bool):
    start = time.perf_counter()

    def say(msg: str) -> None:
        if not quiet:
            print(f"[{time.perf_counter() - start:5.1f}s] {msg}", file=sys.stderr, flush=True)

    return say


def cmd_data_build(args: argparse.Namespace) -> int:
    from features.dataset import (
        atomic_write_bytes,
        build_dataset,
        bundled_dataset_path,
        dataset_manifest,
        write_dataset_csv,
    )
    from features.sources.geometry import border_facts

    say = _progress(args.quiet)
    raw = Path(args.raw)
    if not raw.is_dir():
        raise UserError(f"--raw {raw}: not a folder; expected the raw data folder")
    out = Path(args.out) if args.out else bundled_dataset_path().parent
    # Everything is read and checked before anything is written.
    data, report = build_dataset(raw, progress=say)
    say("computing border facts from the polygons")
    facts = border_facts(raw)
    say(f"writing {out}")
    write_dataset_csv(data, out / "regions_long.csv.gz")
    atomic_write_bytes(
        out / "border_facts.csv", facts.to_csv(index=False, lineterminator="\n").encode("utf-8")
    )
    atomic_write_bytes(
        out / "dataset_manifest.json", dataset_manifest(data, report).encode("utf-8")
    )
    print(
        f"built {len(data)} rows ({int(data['value'].notna().sum())} values), "
        f"{data['indicator'].nunique()} indicators, {data['region_id'].nunique()} units "
        f"-> {out / 'regions_long.csv.gz'}"
    )
    return 0


def cmd_data_summary(args: argparse.Namespace) -> int:
    from features.dataset import coverage_summary, load_dataset
    from features.regions import BORDER_REGIONS, region_table

    data = load_dataset(args.data)
    summary = coverage_summary(data)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=1))
        return 0
    names = region_table()["name_en"]
    s = summary
    print(f"dataset: {args.data or 'bundled'}")
    print(
        f"rows {s['rows']}, values {s['values']}, indicators {s['indicators']}, "
        f"years {s['year_min']}–{s['year_max']}"
    )
    print(
        f"Russian subjects {s['russian_subjects']}, Kazakh units {s['kazakh_units']}, "
        f"aggregate rows (RF, districts, okrug-inclusive oblasts) {s['aggregate_units']}"
    )
    w0, w1 = s["window"]
    print(
        f"subjects with >= 40 fully covered indicators in {w0}–{w1}: "
        f"{s['subjects_with_40_full_indicators']} (minimum per subject: "
        f"{s['full_indicators_per_subject_min']})"
    )
    print(f"\nmissing share {w0}–{w1}, border regions:")
    for rid in BORDER_REGIONS:
        share = s["missing_share_by_region"].get(rid)
        print(f"  {rid:8s} {names.get(rid, ''):45s} {'n/a' if share is None else f'{share:6.1%}'}")
    print(f"\nmissing share {w0}–{w1}, by indicator (worst 15):")
    worst = sorted(s["missing_share_by_indicator"].items(), key=lambda kv: -kv[1])[:15]
    for ind, share in worst:
        print(f"  {ind:45s} {share:6.1%}")
    gaps = s["border_region_gaps"]
    print(f"\ngaps of the 12 border regions in the core indicators, {w0}–{w1}: {len(gaps)}")
    for g in gaps:
        print(f"  {g['region_id']:8s} {g['indicator']:32s} {g['year']}  {g['note']}")
    return 0


def cmd_data_validate(args: argparse.Namespace) -> int:
    from features.dataset import load_dataset

    data = load_dataset(args.file)
    print(
        f"{args.file}: OK — {len(data)} rows, {data['region_id'].nunique()} regions, "
        f"{data['indicator'].nunique()} indicators, years {data['year'].min()}–"
        f"{data['year'].max()}, {int(data['value'].isna().sum())} missing values"
    )
    return 0


def cmd_data_export(args: argparse.Namespace) -> int:
    from features.dataset import load_dataset, write_dataset_csv

    out = Path(args.out)
    if out.suffix.lower() not in (".csv", ".gz"):
        raise UserError(f"--out {out}: expected a .csv or .csv.gz file name")
    data = load_dataset(args.data)
    write_dataset_csv(data, out)
    print(f"wrote {len(data)} rows to {out}")
    return 0


def _load(args: argparse.Namespace):
    """The dataset, the region selection and the year, from the common options."""
    from features.dataset import load_dataset
    from features.regions import BORDER_REGIONS, russian_subjects

    data = load_dataset(args.data)
    regions = list(BORDER_REGIONS) if args.regions == "border" else russian_subjects()
    present = set(data["region_id"])
    absent = [r for r in regions if r not in present]
    if args.regions == "border" and absent:
        raise UserError(f"--data {args.data}: no rows for border region(s) {', '.join(absent)}")
    regions = [r for r in regions if r in present]
    if args.year is not None:
        years = set(data["year"])
        if args.year not in years:
            raise UserError(
                f"--year {args.year}: the data has no figures for that year "
                f"(covers {min(years)}–{max(years)})"
            )
    return data, regions


def cmd_score(args: argparse.Namespace) -> int:
    from experiments.config import load_config
    from experiments.outputs import OutputSet
    from experiments.plots import rank_interval_figure
    from features.catalogue import load_catalogue
    from features.indicators import compile_indicators, latest_complete_year, national_reference
    from features.profiles import load_profile_rules
    from features.regions import region_table
    from features.scoring import score_regions

    say = _progress(args.quiet)
    config = load_config(args.config)
    data, regions = _load(args)
    catalogue = load_catalogue(config["catalogue"], known_series=set(data["indicator"]))
    rules = load_profile_rules(config["profiles"])
    year = args.year or latest_complete_year(data, regions=regions, catalogue=catalogue)
    say(f"compiling {len(catalogue)} indicators for {year}")
    try:
        compiled = compile_indicators(data, year=year, catalogue=catalogue)
    except ValueError as exc:
        raise UserError(f"--year {year}: {exc}") from None
    refused = set(compiled.refused["region_id"]) & set(regions)
    if refused and args.regions == "border":
        raise UserError(
            f"--year {year}: border region(s) {', '.join(sorted(refused))} have too "
            "little data to score (see the imputation rules in the README)"
        )
    for rid in sorted(refused):
        say(f"warning: {rid} refused (too little data), not scored")
    regions = [r for r in regions if r not in refused]
    reference = national_reference(data, year=year, catalogue=catalogue)
    report = score_regions(
        compiled,
        regions,
        reference=reference,
        config=config["score"],
        profile_rules=rules,
        progress=say,
    )
    names = region_table()["name_en"]
    out = OutputSet(args.out)
    out.csv("scores.csv", report.scores)
    out.csv("contributions.csv", report.contributions)
    out.csv("uncertainty.csv", report.uncertainty)
    out.csv("sensitivity.csv", report.sensitivity)
    out.csv("profiles.csv", report.profiles)
    out.csv("factors.csv", report.factors)
    out.csv("imputations.csv", report.imputations)
    out.csv("refused.csv", report.refused)
    out.csv("outliers.csv", report.outliers)
    out.csv("weights.csv", report.weights)
    out.csv("features.csv", compiled.matrix.loc[regions].reset_index())
    out.json(
        "score_config.json",
        {
            "year": year,
            "regions": regions,
            "config": vars(report.config),
            "profile_rules": [vars(r) for r in rules],
            "note": "profile types are border-readiness's own "
            "operationalisation of the three-level model",
        },
    )
    fig = rank_interval_figure(
        report.scores, report.uncertainty, names, year, report.config.n_replicates
    )
    out.figure("rank_intervals.png", fig)
    written = out.commit()
    if not args.quiet:
        ranking = report.ranking("overall")
        prof = report.profiles.set_index("region_id")["profile_type"]
        print(
            f"readiness {year}, {len(regions)} regions, normalised against "
            f"{len(compiled.matrix)} Russian subjects"
        )
        print(f"{'rank':>4} {'region':9} {'name':42} {'score':>6} {'5–95 % rank':>12}  profile")
        for rid, row in ranking.iterrows():
            print(
                f"{row['rank']:>4} {rid:9} {names.get(rid, ''):42} {row['score']:6.1f} "
                f"{row['rank_p05']:>5.0f}–{row['rank_p95']:<5.0f}  {prof[rid]}"
            )
        print(f"wrote {len(written)} files to {args.out}")
    return 0


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", help="a long-layout CSV, Parquet or XLSX (default: bundled)")
    p.add_argument("--year", type=int, help="year to score (default: latest complete year)")
    p.add_argument(
        "--regions",
        choices=["border", "all"],
        default="border",
        help="the 12 border regions (default) or all Russian subjects",
    )
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--quiet", action="store_true", help="no progress or summary output")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="border-readiness",
        description="Readiness of Russian regions on the Kazakhstan border for cross-border "
        "cooperation, from official statistics.",
        epilog="example: border-readiness data summary",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    data = sub.add_parser("data", help="build, inspect, validate and export the long dataset")
    dsub = data.add_subparsers(dest="data_command", required=True, parser_class=_Parser)

    def add(name: str, func, help_: str) -> argparse.ArgumentParser:
        p = dsub.add_parser(
            name,
            help=help_,
            description=help_,
            epilog=f"example: {EXAMPLES['data ' + name]}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.set_defaults(func=func)
        return p

    p = add("build", cmd_data_build, "build the bundled dataset from the raw official files")
    p.add_argument("--raw", required=True, help="the raw data folder (shared/data/raw)")
    p.add_argument("--out", help="output folder (default: the package's features/data)")
    p.add_argument("--quiet", action="store_true", help="no progress messages")
    p = add(
        "summary", cmd_data_summary, "coverage and missingness of the bundled or a user dataset"
    )
    p.add_argument("--data", help="a long-layout CSV, Parquet or XLSX (default: bundled)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p = add("validate", cmd_data_validate, "check a long-layout CSV, Parquet or XLSX file")
    p.add_argument("file", help="the file to check")
    p = add("export", cmd_data_export, "write the dataset as a long CSV")
    p.add_argument("--out", required=True, help="output .csv (or .csv.gz) file")
    p.add_argument("--data", help="a long-layout file to re-export (default: bundled)")

    p = sub.add_parser(
        "score",
        help="readiness scores per level with uncertainty",
        description="Score the regions on the three levels of cross-border "
        "readiness, with contributions, Monte Carlo rank intervals, Sobol' "
        "sensitivity and profile types.",
        epilog=f"example: {EXAMPLES['score']}",
    )
    _add_common(p)
    p.add_argument("--config", help="a TOML config ([score] options, catalogue, profiles)")
    p.set_defaults(func=cmd_score)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``border-readiness`` console script."""
    errors = _user_errors()
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except errors as exc:
        message = " ".join(str(exc).split())
        print(f"border-readiness: error: {message}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
