"""The ``border-readiness`` command line: the parser and the error policy.

Errors a user can cause print one line naming the file, row/column or parameter, and exit with
code 2 without a traceback; nothing is written. Bugs exit with code 1 and a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from border_readiness.experiments import commands as cmd
from border_readiness.experiments.commands import UserError

__all__ = ["main", "build_parser"]

EXAMPLES = {
    "data build": "border-readiness data build --raw ../shared/data/raw",
    "data summary": "border-readiness data summary --json",
    "data validate": "border-readiness data validate my_region_stats.csv",
    "data export": "border-readiness data export --out regions_long.csv",
    "score": "border-readiness score --year 2021 --out out/score",
    "cluster": "border-readiness cluster --method ward --bootstrap 1000 --out out/cluster",
    "typology check": "border-readiness typology check my_typology.toml",
    "typology validate": "border-readiness typology validate "
    "clustering/typologies/federal_districts.toml --out out/validate",
    "explain": "border-readiness explain --out out/explain",
    "run": "border-readiness run --config experiments/configs/default.toml",
    "retrain": "border-readiness retrain --year 2021",
    "card": "border-readiness card --model border-readiness@champion --format md,html",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        raise UserError(f"{self.prog}: {message}")


def _user_errors() -> tuple[type[BaseException], ...]:
    from border_readiness.clustering.typologies import TypologyError
    from border_readiness.experiments.config import ConfigError
    from border_readiness.experiments.pipeline import PreparationError
    from border_readiness.features.catalogue import CatalogueError
    from border_readiness.features.dataset import DataValidationError
    from border_readiness.features.profiles import ProfileRuleError
    from border_readiness.features.regions import UnknownRegionError
    from border_readiness.features.sources._errors import SourceFormatError

    return (
        UserError,
        DataValidationError,
        SourceFormatError,
        UnknownRegionError,
        ConfigError,
        CatalogueError,
        ProfileRuleError,
        TypologyError,
        PreparationError,
    )


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", help="a long-layout CSV, Parquet or XLSX (default: bundled)")
    p.add_argument("--year", type=int, help="year to analyse (default: latest complete year)")
    p.add_argument(
        "--regions",
        choices=["border", "all"],
        default="border",
        help="the 12 border regions (default) or all Russian subjects",
    )
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--config", help="a TOML config ([score] options, catalogue, profiles)")
    p.add_argument("--quiet", action="store_true", help="no progress or summary output")
    _add_seed(p)


def _add_seed(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--seed",
        type=int,
        help="root random seed, split per step (default: the config's seed, else 0)",
    )


def _add_clustering(p: argparse.ArgumentParser) -> None:
    from border_readiness.clustering.models import METHODS

    p.add_argument("--method", choices=METHODS, default="kmeans", help="clustering method")
    p.add_argument("--k", type=int, help="number of clusters (default: chosen by silhouette)")
    p.add_argument(
        "--bootstrap",
        type=int,
        default=1000,
        metavar="B",
        help="bootstrap replicates for the Jaccard stability (default 1000)",
    )
    p.add_argument(
        "--consensus-reps",
        type=int,
        default=500,
        help="subsamples per k for the consensus matrices (default 500)",
    )


def _sub(sub, name: str, func, help_: str, description: str, example: str):
    p = sub.add_parser(
        name,
        help=help_,
        description=description,
        epilog=f"example: {EXAMPLES[example]}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.set_defaults(func=func)
    return p


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``border-readiness``."""
    parser = _Parser(
        prog="border-readiness",
        description="Readiness of Russian regions on the Kazakhstan border for cross-border "
        "cooperation, from official statistics.",
        epilog="example: border-readiness score --out out/score",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    data = sub.add_parser("data", help="build, inspect, validate and export the long dataset")
    dsub = data.add_subparsers(dest="data_command", required=True, parser_class=_Parser)
    text = "build the bundled dataset from the raw official files"
    p = _sub(dsub, "build", cmd.cmd_data_build, text, text, "data build")
    p.add_argument("--raw", required=True, help="the raw data folder (shared/data/raw)")
    p.add_argument("--out", help="output folder (default: the package's features/data)")
    p.add_argument("--quiet", action="store_true", help="no progress messages")
    text = "coverage and missingness of the bundled or a user dataset"
    p = _sub(dsub, "summary", cmd.cmd_data_summary, text, text, "data summary")
    p.add_argument("--data", help="a long-layout CSV, Parquet or XLSX (default: bundled)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    text = "check a long-layout CSV, Parquet or XLSX file"
    p = _sub(dsub, "validate", cmd.cmd_data_validate, text, text, "data validate")
    p.add_argument("file", help="the file to check")
    text = "write the dataset as a long CSV"
    p = _sub(dsub, "export", cmd.cmd_data_export, text, text, "data export")
    p.add_argument("--out", required=True, help="output .csv (or .csv.gz) file")
    p.add_argument("--data", help="a long-layout file to re-export (default: bundled)")

    p = _sub(
        sub,
        "score",
        cmd.cmd_score,
        "readiness scores per level with uncertainty",
        "Score the regions on the three levels of cross-border readiness, with "
        "contributions, Monte Carlo rank intervals, Sobol' sensitivity and profile types.",
        "score",
    )
    _add_common(p)

    p = _sub(
        sub,
        "cluster",
        cmd.cmd_cluster,
        "typology of the regions from the data, with stability",
        "Cluster the regions on the normalised indicators and measure stability "
        "(bootstrap Jaccard as fpc::clusterboot, consensus and PAC as "
        "ConsensusClusterPlus, leave-one-out effects).",
        "cluster",
    )
    _add_common(p)
    _add_clustering(p)

    typ = sub.add_parser("typology", help="check expert typology files, validate them")
    tsub = typ.add_subparsers(dest="typology_command", required=True, parser_class=_Parser)
    p = _sub(
        tsub,
        "check",
        cmd.cmd_typology_check,
        "validate a typology file (TOML or CSV)",
        "Check a typology file; for a template, explain how to fill it in.",
        "typology check",
    )
    p.add_argument("file")
    p = _sub(
        tsub,
        "validate",
        cmd.cmd_typology_validate,
        "compare a typology with the data's clusters",
        "Agreement of an expert typology with the data's clusters (ARI, AMI, NMI, FMI, "
        "V-measure, permutation p-value, bootstrap CI), the regions that disagree and why.",
        "typology validate",
    )
    p.add_argument("file")
    _add_common(p)
    _add_clustering(p)
    p.add_argument("--clusters", help="a saved clusters.csv instead of clustering again")
    p.add_argument(
        "--permutations",
        type=int,
        default=9999,
        help="Monte Carlo permutations for the p-value (default 9999)",
    )

    p = _sub(
        sub,
        "explain",
        cmd.cmd_explain,
        "SHAP values of scores and clusters",
        "Exact SHAP values of the level scores per region and a surrogate tree of cluster "
        "membership with its leave-one-out fidelity.",
        "explain",
    )
    _add_common(p)
    _add_clustering(p)

    def tracked(p, seeded: bool = True):
        p.add_argument(
            "--tracking-uri",
            help="MLflow tracking URI (default: "
            "sqlite:///OUT/mlflow.db with artifacts in OUT/mlartifacts)",
        )
        p.add_argument("--out", default=".", help="output folder (default: the current one)")
        p.add_argument("--quiet", action="store_true", help="no progress or summary output")
        if seeded:
            _add_seed(p)

    p = _sub(
        sub,
        "run",
        cmd.cmd_run,
        "the whole pipeline as one tracked MLflow run (main job)",
        "Scores, clusters, agreement with the typologies and explanations as one MLflow "
        "run; the fitted pipeline registered as a pyfunc model with an alias; a model "
        "card in OUT/models/NAME/vN/.",
        "run",
    )
    p.add_argument("--config", help="experiment TOML (default: experiments/configs/default.toml)")
    p.add_argument("--data", help="a long-layout file (default: the config's or the bundled)")
    p.add_argument("--year", type=int, help="year to fit (default: the config's, else latest)")
    tracked(p)

    p = _sub(
        sub,
        "retrain",
        cmd.cmd_retrain,
        "fit on a new year and compare with the model",
        "Fit on --year, compare with the registered model (type transitions, ARI between "
        "the years, rank changes against their intervals, indicator drift, agreement over "
        "time), register the new version and promote it or keep the current one.",
        "retrain",
    )
    p.add_argument("--year", type=int, required=True, help="the year to fit")
    p.add_argument("--config", help="experiment TOML (default: experiments/configs/default.toml)")
    p.add_argument("--data", help="a long-layout file with the new year (default: bundled)")
    tracked(p)

    p = _sub(
        sub,
        "card",
        cmd.cmd_card,
        "write the model card of a run or registered model",
        "Model card (Mitchell et al. sections and a datasheet) of a run, as Markdown, "
        "self-contained HTML and JSON, into OUT/models/NAME/vN/.",
        "card",
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--run-id", help="an MLflow run id")
    which.add_argument("--model", help="NAME@ALIAS of a registered model")
    p.add_argument("--format", default="md,html,json", help="md,html,json (default: all)")
    tracked(p, seeded=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``border-readiness`` console script."""
    import warnings

    # MLflow's own deprecation and inference notices are not the user's business here; the
    # package's findings go into the output files.
    warnings.filterwarnings("ignore", module=r"mlflow(\..*)?")
    warnings.filterwarnings("ignore", message=".*color_warning.*")
    # MLflow's artifact-download bars flash for milliseconds and its INFO lines on creating
    # the SQLite tables say nothing a user acts on; our own progress lines say what runs.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
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
