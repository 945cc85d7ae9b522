"""The ``border-readiness`` command line: the parser and the error policy.

Errors a user can cause print one line naming the file, row/column or parameter, and exit with
code 2 without a traceback; nothing is written. Bugs exit with code 1 and a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from border_readiness.errors import UsageError, UserInputError
from border_readiness.experiments._card_command import _cmd_card
from border_readiness.experiments._checks import bounded_int
from border_readiness.experiments._compute import add_compute_options, compute_session
from border_readiness.experiments._data_commands import (
    _add_year_filter,
    _cmd_data_build,
    _cmd_data_export,
    _cmd_data_footnotes,
    _cmd_data_summary,
    _cmd_data_validate,
)
from border_readiness.experiments._inputs import add_layering_options
from border_readiness.experiments._interrupts import run_guarded
from border_readiness.experiments._preflight import check_args, check_model
from border_readiness.experiments._runs_commands import add_runs_parser
from border_readiness.experiments._typology_commands import (
    VALIDATE_K_HELP,
    _cmd_typology_check,
    _cmd_typology_list,
)

__all__ = ["build_parser", "main"]

EXAMPLES = {
    "data build": "border-readiness data build --raw ../shared/data/raw",
    "data summary": "border-readiness data summary --json",
    "data footnotes": "border-readiness data footnotes --raw ../shared/data/raw",
    "data validate": "border-readiness data validate my_region_stats.csv --year 2022",
    "data export": "border-readiness data export --out regions_long.csv",
    "score": "border-readiness score --year 2021 --out out/score",
    "cluster": "border-readiness cluster --method ward --bootstrap 1000 --out out/cluster",
    "typology list": "border-readiness typology list",
    "typology check": "border-readiness typology check federal_districts",
    "typology validate": "border-readiness typology validate federal_districts --out out/validate",
    "explain": "border-readiness explain --out out/explain",
    "run": "border-readiness run --config experiments/configs/default.toml",
    "retrain": "border-readiness retrain --year 2021",
    "card": "border-readiness card --model border-readiness@champion --format md,html",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        raise UsageError(f"{self.prog}: {message}")


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", help="a long-layout CSV, Parquet or XLSX (default: bundled)")
    add_layering_options(p)
    p.add_argument(
        "--year", type=bounded_int("year"), help="year to analyse (default: latest complete year)"
    )
    p.add_argument(
        "--regions",
        help="border (the 12 border regions), all (every Russian subject), ids or names "
        "separated by commas, or @FILE of them (default: the config's, border)",
    )
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument(
        "--config",
        help="an experiment TOML (default: experiments/configs/default.toml); the options "
        "given on the command line override its keys",
    )
    p.add_argument("--quiet", action="store_true", help="no progress or summary output")
    _add_seed(p)
    add_compute_options(p)


def _add_seed(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--seed",
        type=bounded_int("seed"),
        help="root random seed, split per step (default: the config's seed, else 0)",
    )


def _add_clustering(
    p: argparse.ArgumentParser, k_default: str = "chosen by silhouette", k_help: str = ""
) -> None:
    from border_readiness.clustering._methods import METHODS

    p.add_argument(
        "--method", choices=METHODS, help="clustering method (default: the config's, kmeans)"
    )
    p.add_argument(
        "--k",
        type=bounded_int("k"),
        help=k_help or f"number of clusters (default: the config's, else {k_default})",
    )
    p.add_argument(
        "--bootstrap",
        type=bounded_int("bootstrap"),
        metavar="B",
        help="bootstrap replicates for the Jaccard stability (default: the config's, 1000)",
    )
    p.add_argument(
        "--consensus-reps",
        type=bounded_int("consensus_reps"),
        help="subsamples per k for the consensus matrices (default: the config's, 500)",
    )
    p.add_argument(
        "--consensus-scheme",
        choices=("ccp", "multistart"),
        help="consensus k-means per subsample: ccp (ConsensusClusterPlus's stock one start) "
        "or multistart (10 starts, as the main fit) (default: the config's, ccp)",
    )
    p.add_argument(
        "--surrogate-null",
        type=bounded_int("surrogate_null"),
        metavar="B",
        help="structureless replicates for the surrogate fidelity's null (default: the "
        "config's, 49)",
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
    """The argument parser of ``border-readiness``.

    Returns
    -------
    argparse.ArgumentParser
        The parser with the ``data``, ``score``, ``cluster``, ``typology``, ``explain``,
        ``run``, ``retrain`` and ``card`` sub-commands; each parsed namespace carries the
        handler as ``func``. A usage error raises :class:`~border_readiness.errors.UsageError`
        instead of printing the usage and exiting.
    """
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
    p = _sub(dsub, "build", _cmd_data_build, text, text, "data build")
    p.add_argument("--raw", required=True, help="the raw data folder (shared/data/raw)")
    p.add_argument("--out", help="output folder (default: the package's features/data)")
    p.add_argument("--quiet", action="store_true", help="no progress messages")
    text = "footnotes of the bundled Rosstat tables saying a figure includes another subject"
    p = _sub(dsub, "footnotes", _cmd_data_footnotes, text, text, "data footnotes")
    p.add_argument("--raw", required=True, help="the raw data folder (shared/data/raw)")
    p.add_argument("--all", action="store_true", help="also the non-territorial notes")
    text = "coverage and missingness of the bundled or a user dataset"
    p = _sub(dsub, "summary", _cmd_data_summary, text, text, "data summary")
    p.add_argument("--data", help="a long-layout CSV, Parquet or XLSX (default: bundled)")
    add_layering_options(p, fits=False)
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    text = "check a long-layout CSV, Parquet or XLSX file"
    p = _sub(dsub, "validate", _cmd_data_validate, text, text, "data validate")
    p.add_argument("file", help="the file to check")
    p.add_argument(
        "--year", type=bounded_int("year"), help="also list what the file lacks to score this year"
    )
    p.add_argument(
        "--regions", choices=("border", "all"), default="border", help="regions scored with --year"
    )
    add_layering_options(p, fits=False)
    text = "write the dataset as a long CSV"
    p = _sub(dsub, "export", _cmd_data_export, text, text, "data export")
    p.add_argument("--out", required=True, help="output .csv (or .csv.gz) file")
    p.add_argument("--data", help="a long-layout file to re-export (default: bundled)")
    add_layering_options(p, fits=False)
    _add_year_filter(p)

    p = _sub(
        sub,
        "score",
        _cmd_score,
        "readiness scores per level with uncertainty",
        "Score the regions on the three levels of cross-border readiness, with "
        "contributions, Monte Carlo rank intervals, Sobol' sensitivity and profile types.",
        "score",
    )
    _add_common(p)

    p = _sub(
        sub,
        "cluster",
        _cmd_cluster,
        "typology of the regions from the data, with stability",
        "Cluster the regions on the normalised indicators and measure stability "
        "(bootstrap Jaccard as fpc::clusterboot, consensus and PAC as "
        "ConsensusClusterPlus, leave-one-out effects).",
        "cluster",
    )
    _add_common(p)
    _add_clustering(p)
    p.add_argument(
        "--structure-nulls",
        type=bounded_int("structure_nulls"),
        metavar="B",
        help="replicates per reference null of the structure test, >= 19 (default: the "
        "config's, 199)",
    )

    typ = sub.add_parser("typology", help="check expert typology files, validate them")
    tsub = typ.add_subparsers(dest="typology_command", required=True, parser_class=_Parser)
    _sub(
        tsub,
        "list",
        _cmd_typology_list,
        "list the shipped typologies",
        "The shipped typologies: name, origin (expert/own), what they classify, regions, title.",
        "typology list",
    )
    p = _sub(
        tsub,
        "check",
        _cmd_typology_check,
        "validate a typology (a shipped name, or a TOML or CSV file)",
        "Check a typology; for a template, explain how to fill it in.",
        "typology check",
    )
    p.add_argument("file", help="a shipped typology's name (typology list) or a file")
    p = _sub(
        tsub,
        "validate",
        _cmd_typology_validate,
        "compare a typology with the data's clusters",
        "Agreement of an expert typology with the data's clusters (ARI, AMI, NMI, FMI, "
        "V-measure, permutation p-value, bootstrap CI), the regions that disagree and why.",
        "typology validate",
    )
    p.add_argument("file", help="a shipped typology's name (typology list) or a file")
    _add_common(p)
    _add_clustering(p, k_help=VALIDATE_K_HELP)
    p.add_argument(
        "--clusters",
        help="a saved clusters.csv instead of clustering again (no bootstrap then: the "
        "stability.json `cluster` wrote beside it is read when it is of those clusters)",
    )
    p.add_argument(
        "--permutations",
        type=bounded_int("permutations"),
        help="Monte Carlo permutations for the p-value (default: the config's, 9999)",
    )

    p = _sub(
        sub,
        "explain",
        _cmd_explain,
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
            "sqlite:///./mlflow.db with artifacts in ./mlartifacts)",
        )
        p.add_argument(
            "--out", default="out", help="folder of the model cards and results (default: out)"
        )
        p.add_argument("--quiet", action="store_true", help="no progress or summary output")
        if seeded:  # the commands that fit: their replicate loops can go to Dask
            _add_seed(p)
            add_compute_options(p)

    p = _sub(
        sub,
        "run",
        _cmd_run,
        "the whole pipeline as one tracked MLflow run (main job)",
        "Scores, clusters, agreement with the typologies and explanations as one MLflow "
        "run; the fitted pipeline registered as a pyfunc model with an alias; a model "
        "card and the result files in OUT/models/NAME/vN/.",
        "run",
    )
    p.add_argument("--config", help="experiment TOML (default: experiments/configs/default.toml)")
    p.add_argument("--data", help="a long-layout file (default: the config's or the bundled)")
    add_layering_options(p)
    p.add_argument(
        "--year", type=bounded_int("year"), help="year to fit (default: the config's, else latest)"
    )
    tracked(p)

    p = _sub(
        sub,
        "retrain",
        _cmd_retrain,
        "fit on a new year and compare with the model",
        "Fit on --year, compare with the registered model (type transitions, ARI between "
        "the years, rank changes against their intervals, indicator drift, agreement over "
        "time), register the new version and promote it or keep the current one.",
        "retrain",
    )
    p.add_argument("--year", type=bounded_int("year"), required=True, help="the year to fit")
    p.add_argument("--config", help="experiment TOML (default: experiments/configs/default.toml)")
    p.add_argument("--data", help="a long-layout file with the new year (default: bundled)")
    add_layering_options(p)
    tracked(p)

    p = _sub(
        sub,
        "card",
        _cmd_card,
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
    add_runs_parser(sub, _Parser)
    return parser


# ---------------------------------------------------------------------------------------------
# Handlers: read the inputs, run the pipeline's steps for the command's outputs, write, print.


def _analyse(args: argparse.Namespace, *wanted: str, **kwargs):
    """The analysis of a single-step command: the steps ``wanted`` and what they need."""
    from border_readiness.experiments._inputs import experiment_config, load_layered
    from border_readiness.experiments._progress import progress_printer
    from border_readiness.experiments.pipeline import analyse, steps_for

    cfg = experiment_config(args)
    data, label, _, args.layered = load_layered(args, cfg)
    return analyse(
        cfg,
        data,
        data_label=label,
        steps=steps_for(*wanted),
        year=args.year,
        progress=progress_printer(args.quiet),
        **kwargs,
    )


def _write(args: argparse.Namespace, writer, *parts) -> None:
    from border_readiness.experiments._outputs import OutputSet

    files = OutputSet(args.out)
    writer(files, *parts)
    layered = getattr(args, "layered", None)
    if layered is not None and len(layered.replaced):
        files.csv("replaced.csv", layered.replaced)
    files.commit()


def _cmd_score(args: argparse.Namespace) -> int:
    """Score the regions and write the score files (``score``)."""
    from border_readiness.experiments._reporting import print_scores
    from border_readiness.experiments.artifacts import write_score

    a = _analyse(args, "score", "uncertainty")
    _write(args, write_score, a.report, a.prep)
    if not args.quiet:
        print_scores(a, args.out)
    return 0


def _cmd_cluster(args: argparse.Namespace) -> int:
    """Cluster the regions and write the clusters and stability (``cluster``)."""
    from border_readiness.experiments._reporting import print_cluster
    from border_readiness.experiments.artifacts import write_cluster

    a = _analyse(args, "stability", "embed")
    _write(args, write_cluster, a.run, a.prep, a.embedding)
    if not args.quiet:
        print_cluster(a, args.out)
    return 0


def _cmd_typology_validate(args: argparse.Namespace) -> int:
    """Compare an expert typology with the clusters (``typology validate``)."""
    from border_readiness.clustering.typologies import load_typology, shipped_typologies, typology
    from border_readiness.experiments._inputs import experiment_config, read_clusters
    from border_readiness.experiments._reporting import print_validation_notes
    from border_readiness.experiments._validation_report import (
        cluster_stability,
        report_text,
        sibling_stability,
        write_report,
    )
    from border_readiness.experiments.artifacts import write_validation

    expert = typology(args.file)  # a shipped typology's name or a file
    if expert.template:
        raise UsageError(
            f"{args.file}: a template with no assignments; fill it in first "
            f"(border-readiness typology check {args.file})"
        )
    regions = args.regions or experiment_config(args).regions  # suggestions come from the set
    clusters = read_clusters(args.clusters, regions) if args.clusters else None
    if clusters is not None and args.k is not None and not args.quiet:
        print(
            f"note: --k {args.k} is not used: the clusters come from {args.clusters}",
            file=sys.stderr,
        )
    shipped = {n: load_typology(p) for n, p in shipped_typologies().items()}
    a = _analyse(
        args,
        # Clusters this command fits get their bootstrap stability too (the verdicts say
        # whether a disagreement is with a stable structure); a --clusters file is not refitted.
        *(("validate",) if clusters is not None else ("validate", "stability")),
        typologies={expert.name: expert},
        ceiling_typologies={n: t for n, t in shipped.items() if not t.template},
        clusters=clusters,
        k_from=expert,
    )
    # The clusters are written only when this command made them; then it also assessed
    # their bootstrap stability, and with --clusters the file's own stability.json is read.
    run = None if clusters is not None else a.run
    v = a.validations[expert.name]
    if clusters is None:
        stability, note = cluster_stability(a.run), ""
    else:
        stability, note = sibling_stability(args.clusters, clusters)

    def writer(files):
        write_validation(files, v, a.prep, a.run.method, a.run.k, run)
        write_report(files, a, expert.name, stability, note)

    _write(args, writer)
    if not args.quiet:
        print(report_text(a, expert.name, stability, note))
        print_validation_notes(a, args.out)
    return 0


def _cmd_explain(args: argparse.Namespace) -> int:
    """Write the SHAP values and the cluster surrogate tree (``explain``)."""
    from border_readiness.experiments._reporting import print_explain
    from border_readiness.experiments.artifacts import write_explain

    a = _analyse(args, "explain")
    _write(args, write_explain, a.explanation, a.run, a.prep, a.report)
    if not args.quiet:
        print_explain(a, args.out)
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    """Run the whole pipeline as one tracked MLflow run (``run``)."""
    from border_readiness.experiments._inputs import experiment_config, load_layered
    from border_readiness.experiments._progress import progress_printer
    from border_readiness.experiments._reporting import print_run
    from border_readiness.experiments.runner import run_experiment

    cfg = experiment_config(args)
    check_model(cfg.model_name, cfg.alias, f"{cfg.source}: [model]")
    data, label, source, layered = load_layered(args, cfg)
    summary, a = run_experiment(
        cfg,
        data=data,
        data_label=label,
        data_source=source,
        layered=layered,
        tracking_uri=args.tracking_uri,
        out=Path(args.out),
        year=args.year,
        progress=progress_printer(args.quiet),
    )
    if not args.quiet:
        print_run(summary, a)
    return 0


def _cmd_retrain(args: argparse.Namespace) -> int:
    """Fit a new year, compare with the registered model, promote or keep (``retrain``)."""
    import time

    from border_readiness.experiments._inputs import experiment_config, load_layered
    from border_readiness.experiments._progress import progress_printer
    from border_readiness.experiments._reporting import print_comparison, print_run
    from border_readiness.experiments.pipeline import analyse
    from border_readiness.experiments.retrain import compare, registered_fit
    from border_readiness.experiments.runner import Promotion, record
    from border_readiness.experiments.tracking import open_store, registered_version

    started = time.perf_counter()
    say = progress_printer(args.quiet)
    cfg = experiment_config(args)
    check_model(cfg.model_name, cfg.alias, f"{cfg.source}: [model]")
    data, label, source, layered = load_layered(args, cfg)
    if args.year not in set(int(y) for y in data["year"].unique()):
        raise UsageError(f"--year {args.year}: the data has no figures for that year")
    client, uri = open_store(args.tracking_uri)
    current = registered_version(client, cfg.model_name, cfg.alias)
    if current is None:
        raise UsageError(
            f"no model '{cfg.model_name}@{cfg.alias}' in {uri}; run `border-readiness run` first"
        )
    old = registered_fit(client, current)
    a = analyse(cfg, data, data_label=label, year=args.year, progress=say)
    comparison = compare(old, a)
    summary = record(
        a,
        data=data,
        data_source=source,
        layered=layered,
        tracking_uri=args.tracking_uri,
        out=Path(args.out),
        promotion=Promotion(
            comparison.decision.promote,
            comparison.note,
            {**comparison.files, **comparison.figures},
            int(current.version),
        ),
        progress=say,
        started=started,
    )
    if not args.quiet:
        print_comparison(comparison)
        print_run(summary, a, decision_printed=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``border-readiness`` console script.

    Parameters
    ----------
    argv : list of str, optional
        The command-line arguments without the program name; None (the default) reads
        ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit code: 0 on success (also when the output pipe is closed early, as by
        ``| head``), 2 for an error the user can fix (printed as one line on stderr). A bug
        is not caught: it propagates with its traceback and the console script exits 1.
    """
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
    try:
        args = build_parser().parse_args(argv)
        check_args(args)  # where it writes, before any work (experiments/_preflight.py)
        with compute_session(args):  # --scheduler connects here, before any work
            return run_guarded(args.func, args)
    except UserInputError as exc:
        message = " ".join(str(exc).split())
        print(f"border-readiness: error: {message}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
