"""Implementations of the ``border-readiness`` commands (the parser is in
:mod:`border_readiness.experiments.cli`).

Each command computes everything first and writes its files at the end through
:class:`border_readiness.experiments.outputs.OutputSet`, so a failed command leaves nothing
half-written.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd


class UserError(Exception):
    """An error the user can fix; printed as one line, exit code 2."""


class ProgressPrinter:
    """Timed progress lines on stderr, and progress bars for replicate loops.

    ``say("message")`` prints ``[  3.0s] message``; ``say.bar(label)`` returns a
    ``callback(done, total)`` that drives a tqdm bar on stderr, shown only on a terminal (logs
    and pipes get the timed lines alone). ``quiet`` silences both.
    """

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.start = time.perf_counter()

    def __call__(self, msg: str) -> None:
        if not self.quiet:
            print(f"[{time.perf_counter() - self.start:5.1f}s] {msg}", file=sys.stderr, flush=True)

    def bar(self, label: str):
        if self.quiet or not sys.stderr.isatty():
            return None
        from tqdm import tqdm

        state: dict = {}

        def update(done: int, total: int) -> None:
            if "bar" not in state:
                state["bar"] = tqdm(total=total, desc=f"        {label}", leave=False, unit="rep")
            state["bar"].update(done - state["bar"].n)
            if done >= total:
                state["bar"].close()

        return update


def progress_printer(quiet: bool) -> ProgressPrinter:
    """A :class:`ProgressPrinter` (silent with --quiet)."""
    return ProgressPrinter(quiet)


_progress = progress_printer


def cmd_data_build(args: argparse.Namespace) -> int:
    from border_readiness.features.dataset import (
        atomic_write_bytes,
        build_dataset,
        bundled_dataset_path,
        dataset_manifest,
        write_dataset_csv,
    )
    from border_readiness.features.sources.geometry import border_facts

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
    from border_readiness.features.dataset import coverage_summary, load_dataset
    from border_readiness.features.regions import BORDER_REGIONS, region_table

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
    from border_readiness.features.dataset import load_dataset

    data = load_dataset(args.file)
    print(
        f"{args.file}: OK — {len(data)} rows, {data['region_id'].nunique()} regions, "
        f"{data['indicator'].nunique()} indicators, years {data['year'].min()}–"
        f"{data['year'].max()}, {int(data['value'].isna().sum())} missing values"
    )
    return 0


def cmd_data_export(args: argparse.Namespace) -> int:
    from border_readiness.features.dataset import load_dataset, write_dataset_csv

    out = Path(args.out)
    if out.suffix.lower() not in (".csv", ".gz"):
        raise UserError(f"--out {out}: expected a .csv or .csv.gz file name")
    data = load_dataset(args.data)
    write_dataset_csv(data, out)
    print(f"wrote {len(data)} rows to {out}")
    return 0


def _prepare(args: argparse.Namespace, say):
    """Data, selection, year and compiled indicators from the common options."""
    from border_readiness.experiments.config import load_config
    from border_readiness.experiments.pipeline import prepare
    from border_readiness.features.dataset import load_dataset

    config = load_config(getattr(args, "config", None), seed=getattr(args, "seed", None))
    data = load_dataset(args.data)
    return prepare(
        data,
        data_label=args.data or "bundled",
        year=args.year,
        regions=args.regions,
        score_config=config["score"],
        catalogue_path=config["catalogue"],
        profiles_path=config["profiles"],
        progress=say,
    )


def write_score(out, report, prep) -> None:
    """The files of `score` into an OutputSet."""
    from border_readiness.experiments.plots import rank_interval_figure
    from border_readiness.features.regions import region_table

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
    out.csv("features.csv", prep.compiled.matrix.loc[prep.regions].reset_index())
    out.json(
        "score_config.json",
        {
            "year": prep.year,
            "regions": prep.regions,
            "config": vars(report.config),
            "profile_rules": [vars(r) for r in prep.rules],
            "note": "profile types are border-readiness's own operationalisation of the "
            "three-level model, not the study's table",
        },
    )
    names = region_table()["name_en"]
    out.figure(
        "rank_intervals.png",
        rank_interval_figure(
            report.scores, report.uncertainty, names, prep.year, report.config.n_replicates
        ),
    )


def cmd_score(args: argparse.Namespace) -> int:
    from border_readiness.experiments.outputs import OutputSet
    from border_readiness.experiments.pipeline import score
    from border_readiness.features.regions import region_table

    say = _progress(args.quiet)
    prep = _prepare(args, say)
    report = score(prep, progress=say)
    out = OutputSet(args.out)
    write_score(out, report, prep)
    written = out.commit()
    if not args.quiet:
        names = region_table()["name_en"]
        ranking = report.ranking("overall")
        prof = report.profiles.set_index("region_id")["profile_type"]
        print(
            f"readiness {prep.year}, {len(prep.regions)} regions, normalised against "
            f"{len(prep.compiled.matrix)} Russian subjects"
        )
        print(f"{'rank':>4} {'region':9} {'name':42} {'score':>6} {'5–95 % rank':>12}  profile")
        for rid, row in ranking.iterrows():
            print(
                f"{row['rank']:>4} {rid:9} {names.get(rid, ''):42} {row['score']:6.1f} "
                f"{row['rank_p05']:>5.0f}–{row['rank_p95']:<5.0f}  {prof[rid]}"
            )
        print(f"wrote {len(written)} files to {args.out}")
    return 0


def _seeds(args):
    """The per-step seeds of a single-step command: its --seed (else the config's) as root."""
    from border_readiness.experiments.config import load_config

    return load_config(getattr(args, "config", None), seed=getattr(args, "seed", None))["seeds"]


def _cluster_run(args, say):
    """Score and cluster; returns the prepared data, the report, the cluster run and the
    per-step seeds (the caller's later steps take theirs from the same split)."""
    from border_readiness.experiments.pipeline import cluster, clustering_matrix, score

    prep = _prepare(args, say)
    report = score(prep, progress=say)
    X = clustering_matrix(report)
    seeds = _seeds(args)
    run = cluster(
        X,
        method=args.method,
        k=args.k,
        B=args.bootstrap,
        consensus_reps=args.consensus_reps,
        random_state=seeds.clustering,
        bootstrap_seed=seeds.bootstrap,
        consensus_seed=seeds.consensus,
        progress=say,
    )
    return prep, report, run, seeds


def stability_summary(run, prep) -> dict:
    """The content of stability.json."""
    stab = run.stability
    return {
        "method": run.method,
        "k": run.k,
        "B": stab.B,
        "jaccard_mean": [round(float(v), 4) for v in stab.jaccard_mean],
        "clusters": [int(c) for c in stab.clusters],
        "cluster_sizes": [int(v) for v in stab.sizes],
        "verdict": list(stab.verdict),
        "dissolved": [int(v) for v in stab.dissolved],
        "recovered": [int(v) for v in stab.recovered],
        "elapsed_s": round(run.elapsed_stability_s, 3),
        "pac": {str(int(k)): round(float(v), 4) for k, v in run.consensus.pac.items()},
        "consensus_best_k": int(run.consensus.best_k),
        "internal_indices": {
            str(int(k)): {c: (None if v != v else round(float(v), 4)) for c, v in row.items()}
            for k, row in run.k_scores.iterrows()
        },
        "year": prep.year,
        "regions": prep.regions,
        "notes": run.notes,
        "thresholds": "Hennig: mean Jaccard <= 0.5 dissolved, >= 0.6 patterns, >= 0.75 "
        "stable, >= 0.85 highly stable",
    }


def write_cluster(out, run, prep, emb=None, umap_seed: int = 0) -> None:
    """The files of `cluster` into an OutputSet (``emb``: a 2-D map already computed)."""
    from border_readiness.clustering.embedding import embed_2d
    from border_readiness.experiments.plots import consensus_figure
    from border_readiness.experiments.plots_explain import embedding_figure
    from border_readiness.features.regions import region_table

    names = region_table()["name_en"]
    stab = run.stability
    out.csv("features.csv", run.X.reset_index())
    out.csv(
        "clusters.csv",
        run.labels.to_frame().assign(confidence=run.confidence.round(4)).reset_index(),
    )
    out.json("stability.json", stability_summary(run, prep))
    matrix = run.consensus.matrix(run.k).round(4)
    matrix.index.name = "region_id"
    out.csv("consensus.csv", matrix.reset_index())
    out.csv("consensus_cdf.csv", run.consensus.cdf)
    out.csv("k_selection.csv", run.k_scores.reset_index())
    out.csv(
        "jaccard_replicates.csv",
        pd.DataFrame(stab.jaccard, columns=[f"cluster_{c}" for c in stab.clusters]),
    )
    out.csv("loo_regions.csv", run.loo_regions)
    out.csv("loo_indicators.csv", run.loo_indicators)
    if emb is None:
        emb = embed_2d(run.X, random_state=umap_seed)
    out.csv("embedding.csv", emb.coordinates.reset_index())
    out.figure(
        "embedding.png",
        embedding_figure(emb, run.labels, None, names, title=f"{run.method}, k = {run.k}"),
    )
    out.figure("consensus.png", consensus_figure(run.consensus, run.k, run.labels, names))


def cmd_cluster(args: argparse.Namespace) -> int:
    from border_readiness.experiments.outputs import OutputSet

    say = _progress(args.quiet)
    prep, _, run, seeds = _cluster_run(args, say)
    out = OutputSet(args.out)
    write_cluster(out, run, prep, umap_seed=seeds.umap)
    out.commit()
    if not args.quiet:
        stab = run.stability
        print(
            f"{run.method}, k = {run.k} on {len(prep.regions)} regions ({prep.year}); "
            f"bootstrap B = {stab.B} in {run.elapsed_stability_s:.2f} s"
        )
        for c, jm, verdict in zip(stab.clusters, stab.jaccard_mean, stab.verdict, strict=True):
            members = ", ".join(run.labels.index[run.labels == c])
            print(f"  cluster {c}: mean Jaccard {jm:.2f} ({verdict}): {members}")
        print(
            "  consensus PAC by k: "
            + ", ".join(f"{k}: {v:.2f}" for k, v in run.consensus.pac.items())
        )
        for note in run.notes:
            print(f"note: {note}")
        print(f"wrote results to {args.out}")
    return 0


def cmd_typology_check(args: argparse.Namespace) -> int:
    from border_readiness.clustering.typologies import check_typology

    result = check_typology(args.file)
    if not result.ok:
        # The file could not be loaded: the checker's message is the one-line error.
        raise UserError(result.messages[0] if result.messages else f"{args.file}: invalid")
    print(
        f"{args.file}: {'OK' if result.ok else 'problems found'} — {result.n_types} types, "
        f"{result.n_regions} regions assigned"
    )
    for message in result.messages:
        print(f"  {message}")
    if result.how_to_fill:
        print(result.how_to_fill)
    return 0


def read_clusters(path: str) -> pd.Series:
    """A saved clusters.csv (region_id, cluster) as a Series; names are resolved."""
    from border_readiness.features.dataset import DataValidationError
    from border_readiness.features.regions import resolve_region

    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise DataValidationError(f"--clusters {path}: cannot be read ({exc})") from None
    missing = {"region_id", "cluster"} - set(frame.columns)
    if missing:
        raise DataValidationError(
            f"--clusters {path}: missing column(s) "
            f"{', '.join(sorted(missing))}; expected region_id, cluster"
        )
    ids = [resolve_region(r) for r in frame["region_id"].astype(str)]
    series = pd.Series(
        frame["cluster"].to_numpy(), index=pd.Index(ids, name="region_id"), name="cluster"
    )
    if series.index.duplicated().any():
        dup = series.index[series.index.duplicated()][0]
        raise DataValidationError(f"--clusters {path}: region {dup} appears twice")
    return series


def agreement_summary(result, prep, method: str, k: int) -> dict:
    """The content of agreement.json."""
    typology = result.typology
    body = result.report.to_dict()
    body.update(
        {
            "typology": typology.name,
            "title": typology.title,
            "citation": typology.citation,
            "method": method,
            "k": int(k),
            "year": prep.year,
        }
    )
    return body


def write_validation(out, result, prep, method: str, k: int, run=None) -> None:
    rep = result.report
    out.json("agreement.json", agreement_summary(result, prep, method, k))
    out.csv("contingency.csv", rep.contingency.rename_axis("expert_type").reset_index())
    out.csv("disagreements.csv", rep.disagreements)
    out.csv("assignments.csv", rep.assignments)
    out.csv("excluded.csv", rep.excluded)
    out.csv("ceiling.csv", result.ceiling)
    out.csv("disagreement_drivers.csv", result.drivers)
    if run is not None:
        out.csv(
            "clusters.csv",
            run.labels.to_frame().assign(confidence=run.confidence.round(4)).reset_index(),
        )


def validation_clusters(args, typology, X, say, seeds):
    """The data's clusters: read from --clusters, or clustered with k = the typology's number
    of types in use."""
    from border_readiness.experiments.pipeline import cluster

    if args.clusters:
        clusters = read_clusters(args.clusters)
        return clusters, None, "from --clusters", int(clusters.nunique())
    from border_readiness.clustering.models import max_clusters

    used = {t for types in typology.assignments.values() for t in types}
    k = args.k
    if k is None:
        # k defaults to the number of types in use, within the small-n guard k <= n // 3.
        k = min(max(2, len(used)), max_clusters(len(X)))
        if k < len(used):
            say(
                f"note: the typology uses {len(used)} types; clustering with k = {k} "
                f"(k <= n // 3 for n = {len(X)} regions). Pass --k to override."
            )
    run = cluster(
        X,
        method=args.method,
        k=k,
        B=args.bootstrap,
        consensus_reps=args.consensus_reps,
        random_state=seeds.clustering,
        bootstrap_seed=seeds.bootstrap,
        consensus_seed=seeds.consensus,
        progress=say,
    )
    return run.labels, run, args.method, run.k


def cmd_typology_validate(args: argparse.Namespace) -> int:
    from border_readiness.clustering.typologies import load_typology, shipped_typologies
    from border_readiness.experiments.outputs import OutputSet
    from border_readiness.experiments.pipeline import clustering_matrix, score, validate

    say = _progress(args.quiet)
    typology = load_typology(args.file)
    if typology.template:
        raise UserError(
            f"{args.file}: a template with no assignments; fill it in first "
            f"(border-readiness typology check {args.file})"
        )
    prep = _prepare(args, say)
    report = score(prep, progress=say)
    X = clustering_matrix(report)
    seeds = _seeds(args)
    clusters, run, method, k = validation_clusters(args, typology, X, say, seeds)
    others = {n: load_typology(p) for n, p in shipped_typologies().items()}
    others = {n: t for n, t in others.items() if not t.template}
    say(f"agreement: {args.permutations} permutations")
    result = validate(
        typology,
        clusters,
        X,
        others=others,
        n_permutations=args.permutations,
        random_state=seeds.permutations,
    )
    out = OutputSet(args.out)
    write_validation(out, result, prep, method, k, run)
    out.commit()
    if not args.quiet:
        rep = result.report
        lo, hi = rep.ari_ci
        print(
            f"{typology.name} vs {method} (k = {k}), {rep.n_regions} regions, {prep.year}: "
            f"ARI {rep.ari:.2f} [95% CI {lo:.2f}, {hi:.2f}], p = {rep.p_value:.3f} "
            f"({rep.n_permutations} permutations); AMI {rep.ami:.2f}"
        )
        for _, row in rep.disagreements.iterrows():
            print(f"  disagrees: {row['region_id']}: {row['reason']}")
        for note in rep.notes:
            print(f"note: {note}")
        print(f"wrote results to {args.out}")
    return 0


def write_explain(out, result, run, prep) -> None:
    from border_readiness.experiments.plots_explain import shap_summary_figure
    from border_readiness.features.catalogue import SCORED_LEVELS

    sur = result.surrogate
    cols = ["region_id", "target", "feature", "shap_value"]
    out.csv(
        "shap.csv", pd.concat([result.level_shap[cols], sur.shap_values[cols]], ignore_index=True)
    )
    out.csv("shap_levels_detail.csv", result.level_shap)
    out.csv("surrogate_shap.csv", sur.to_frame())
    out.json(
        "explain.json",
        {
            "surrogate": sur.to_dict(),
            "method": run.method,
            "k": run.k,
            "year": prep.year,
            "background": "all Russian subjects: SHAP values of the level scores read as "
            "differences from the average Russian region",
        },
    )
    out.text("surrogate_rules.txt", sur.rules)
    for level in SCORED_LEVELS:
        out.figure(
            f"shap_{level}.png",
            shap_summary_figure(
                result.level_shap,
                level,
                f"SHAP of the {level.replace('_', ' ')} score, {prep.year}",
            ),
        )
    for target in sorted(sur.shap_values["target"].unique()):
        out.figure(
            f"shap_surrogate_{target.replace(' ', '_')}.png",
            shap_summary_figure(
                sur.shap_values,
                target,
                f"Surrogate of {target} (LOO fidelity {sur.fidelity_loo:.2f})",
            ),
        )


def cmd_explain(args: argparse.Namespace) -> int:
    from border_readiness.experiments.outputs import OutputSet
    from border_readiness.experiments.pipeline import explain

    say = _progress(args.quiet)
    prep, report, run, seeds = _cluster_run(args, say)
    say("SHAP values of the level scores and of a surrogate of the clusters")
    result = explain(report, run.labels, random_state=seeds.surrogate)
    out = OutputSet(args.out)
    write_explain(out, result, run, prep)
    out.commit()
    if not args.quiet:
        sur = result.surrogate
        print(
            f"exact SHAP of the three level scores for {len(prep.regions)} regions; surrogate "
            f"tree of the {run.method} clusters (k = {run.k}): LOO fidelity "
            f"{sur.fidelity_loo:.2f}, training fidelity {sur.fidelity_train:.2f}"
        )
        for note in sur.notes:
            print(f"note: {note}")
        print(f"wrote results to {args.out}")
    return 0


def _experiment_config(args):
    from border_readiness.experiments.config import load_experiment, shipped_configs

    path = args.config or shipped_configs()["default"]
    return load_experiment(path, seed=getattr(args, "seed", None))


def _load_run_data(args, cfg):
    from border_readiness.features.dataset import bundled_dataset_path, load_dataset

    path = args.data or cfg.data
    data = load_dataset(path)
    label = str(path) if path else "bundled"
    source = str(Path(path).resolve()) if path else str(bundled_dataset_path())
    return data, label, source


def _print_summary(summary, analysis, quiet: bool, *, decision_printed: bool = False) -> None:
    if quiet:
        return
    stab = analysis.run.stability
    print(f"run {summary.run_id} ({summary.tracking_uri})")
    if decision_printed:  # retrain has printed its reasons already
        what = "alias set on it" if summary.alias_set else "alias kept on the earlier version"
        print(f"model {summary.model_name} version {summary.version}: {what}")
    else:
        print(f"model {summary.model_name} version {summary.version}: {summary.alias_note}")
    print(
        f"year {summary.year}, {len(analysis.prep.regions)} regions, {analysis.run.method} "
        f"k = {analysis.run.k}; mean Jaccard per cluster "
        + ", ".join(f"{j:.2f}" for j in stab.jaccard_mean)
    )
    for name, v in analysis.validations.items():
        r = v.report
        print(
            f"  agreement with {name}: ARI {r.ari:.2f} [{r.ari_ci[0]:.2f}, {r.ari_ci[1]:.2f}],"
            f" p = {r.p_value:.3f}, n = {r.n_regions}"
        )
    print(f"surrogate LOO fidelity {analysis.explanation.surrogate.fidelity_loo:.2f}")
    print(f"model card: {summary.card_dir}")
    t = summary.timings
    print("time: " + ", ".join(f"{k.removesuffix('_s')} {v:.1f} s" for k, v in t.items()))
    if summary.tracking_uri.startswith(("http://", "https://")):
        print(f"open the MLflow UI: {summary.tracking_uri} in a browser")
    else:
        print("open the MLflow UI: mlflow ui --backend-store-uri " + summary.tracking_uri)


def cmd_run(args: argparse.Namespace) -> int:
    from border_readiness.experiments.runner import run_experiment

    say = _progress(args.quiet)
    cfg = _experiment_config(args)
    data, label, source = _load_run_data(args, cfg)
    summary, analysis = run_experiment(
        cfg,
        data=data,
        data_label=label,
        data_source=source,
        tracking_uri=args.tracking_uri,
        out=Path(args.out),
        year=args.year,
        progress=say,
    )
    _print_summary(summary, analysis, args.quiet)
    return 0


def _download(run_id: str, path: str, dst: Path) -> Path:
    import mlflow

    return Path(
        mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=path, dst_path=str(dst))
    )


def cmd_retrain(args: argparse.Namespace) -> int:
    import tempfile

    from border_readiness.clustering.drift import indicator_drift, typology_agreement_over_time
    from border_readiness.clustering.rank_changes import rank_changes
    from border_readiness.clustering.transitions import cluster_transitions
    from border_readiness.experiments.retrain import promotion_decision
    from border_readiness.experiments.runner import metrics_of, run_experiment
    from border_readiness.experiments.tracking import StoreNotFound, open_store, registered_version

    say = _progress(args.quiet)
    cfg = _experiment_config(args)
    data, label, source = _load_run_data(args, cfg)
    if args.year not in set(int(y) for y in data["year"].unique()):
        raise UserError(f"--year {args.year}: the data has no figures for that year")
    try:
        client, uri = open_store(args.tracking_uri, Path(args.out))
    except StoreNotFound as exc:
        raise UserError(str(exc)) from None
    current = registered_version(client, cfg.model_name, cfg.alias)
    if current is None:
        raise UserError(
            f"no model '{cfg.model_name}@{cfg.alias}' in {uri}; run `border-readiness run` first"
        )
    old_run = client.get_run(current.run_id)
    old_year = int(old_run.data.tags.get("border_readiness.year", "0") or 0)
    # The current model's results are read into memory; the downloaded copy is not kept.
    with tempfile.TemporaryDirectory(prefix="br-retrain-") as tmp:
        old = _download(current.run_id, "results", Path(tmp))
        old_scores = pd.read_csv(old / "score" / "scores.csv")
        old_unc = pd.read_csv(old / "score" / "uncertainty.csv")
        old_clusters = pd.read_csv(old / "cluster" / "clusters.csv").set_index("region_id")
        old_X = pd.read_csv(old / "cluster" / "features.csv").set_index("region_id")
        old_stab = json.loads((old / "cluster" / "stability.json").read_text())
        old_agree = {
            p.parent.name: json.loads(p.read_text())
            for p in (old / "validate").glob("*/agreement.json")
        }
    comparison: dict = {}

    def decide(client, a):
        new_clusters = a.run.labels
        transitions = cluster_transitions(old_clusters["cluster"], new_clusters)
        ranks = rank_changes(old_scores, a.report.scores, old_unc, a.report.uncertainty)
        drift = indicator_drift(old_X, a.run.X)
        rows = []
        for name, body in old_agree.items():
            rows.append(
                {
                    "year": old_year,
                    "fit": "registered",
                    "typology": name,
                    "ari": body["ari"],
                    "p_value": body["p_value"],
                    "ari_ci_low": body["ari_ci"][0],
                    "ari_ci_high": body["ari_ci"][1],
                }
            )
        for name, v in a.validations.items():
            r = v.report
            rows.append(
                {
                    "year": a.prep.year,
                    "fit": "new",
                    "typology": name,
                    "ari": r.ari,
                    "p_value": r.p_value,
                    "ari_ci_low": r.ari_ci[0],
                    "ari_ci_high": r.ari_ci[1],
                }
            )
        over_time = typology_agreement_over_time(rows)
        decision = promotion_decision(
            new_year=a.prep.year,
            old_year=old_year,
            transitions=transitions,
            drift=drift,
            ranks=ranks,
            new_stability_min_jaccard=float(a.run.stability.jaccard_mean.min()),
            old_stability_min_jaccard=float(min(old_stab["jaccard_mean"])),
            new_agreement=over_time,
        )
        comparison.update(
            transitions=transitions,
            ranks=ranks,
            drift=drift,
            over_time=over_time,
            decision=decision,
            metrics=metrics_of(a),
        )
        extra = {
            "decision.json": json.dumps(
                decision.to_dict(), ensure_ascii=False, indent=1, default=str
            ),
            "transitions.json": json.dumps(
                transitions.to_dict(), ensure_ascii=False, indent=1, default=str
            ),
            "rank_changes.csv": ranks.to_csv(index=False),
            "indicator_drift.csv": drift.to_csv(index=False),
            "agreement_over_time.csv": over_time.to_csv(index=False),
        }
        note = (
            f"{decision.action}: "
            + "; ".join(decision.reasons)
            + f" (compared with version {current.version}, trained on {old_year})"
        )
        return decision.promote, note, extra

    summary, analysis = run_experiment(
        cfg,
        data=data,
        data_label=label,
        data_source=source,
        tracking_uri=args.tracking_uri,
        out=Path(args.out),
        year=args.year,
        progress=say,
        decide=decide,
    )
    if not args.quiet:
        t = comparison["transitions"]
        ranks = comparison["ranks"]
        beyond = ranks[ranks["beyond_uncertainty"].fillna(False).astype(bool)]
        drift = comparison["drift"]
        large = drift[drift["effect"] == "large"] if "effect" in drift else drift.iloc[:0]
        print(
            f"retrain on {args.year} vs version {current.version} ({old_year}): ARI between "
            f"the partitions {t.ari:.2f}; transitions: "
            + ", ".join(f"{k} {v}" for k, v in t.events["transition"].value_counts().items())
        )
        print(
            f"  rank changes beyond the uncertainty intervals: {len(beyond)} of {len(ranks)}"
            + (
                ": "
                + ", ".join(
                    f"{r.region_id} {r.level} {r.old_rank:.0f}->{r.new_rank:.0f}"
                    for r in beyond.itertuples()
                )
                if len(beyond)
                else ""
            )
        )
        print(
            f"  indicators with large drift (|rank-biserial| >= 0.5): {len(large)} of {len(drift)}"
        )
        print(f"  decision: {comparison['decision'].action}, because:")
        for reason in comparison["decision"].reasons:
            print(f"    - {reason}")
    _print_summary(summary, analysis, args.quiet, decision_printed=True)
    return 0


def cmd_card(args: argparse.Namespace) -> int:
    import tempfile

    import mlflow

    from border_readiness.experiments.card import (
        CardData,
        parse_formats,
        render_card,
        write_card_files,
    )
    from border_readiness.experiments.tracking import StoreNotFound, open_store

    try:
        formats = parse_formats(args.format)
    except ValueError as exc:
        raise UserError(f"--format {args.format}: {exc}") from None
    if args.model and "@" not in args.model:
        raise UserError(f"--model {args.model}: expected NAME@ALIAS")
    try:
        client, uri = open_store(args.tracking_uri, Path(args.out))
    except StoreNotFound as exc:
        raise UserError(str(exc)) from None
    if args.model:
        name, alias = args.model.split("@", 1)
        try:
            mv = client.get_model_version_by_alias(name, alias)
        except mlflow.exceptions.MlflowException:
            raise UserError(f"--model {args.model}: no such model and alias in {uri}") from None
        run_id = mv.run_id
    else:
        run_id = args.run_id
        try:
            client.get_run(run_id)
        except mlflow.exceptions.MlflowException:
            raise UserError(f"--run-id {run_id}: no such run in {uri}") from None
    with tempfile.TemporaryDirectory(prefix="br-card-") as tmp:
        try:
            folder = _download(run_id, "model_card", Path(tmp))
        except Exception as exc:  # mlflow raises various types for a missing artifact
            raise UserError(
                f"run {run_id} has no model card artifacts ({type(exc).__name__}: {exc})"
            ) from None
        card = json.loads((folder / "card_data.json").read_text(encoding="utf-8"))
        figures = {p.stem: p.read_bytes() for p in sorted((folder / "figures").glob("*.png"))}
    data = CardData.from_dict(card, figures)
    files = render_card(data, formats)
    details = card["model_details"]
    card_dir = Path(args.out) / "models" / details["name"] / f"v{details['version']}"
    written = write_card_files(files, card_dir)
    if not args.quiet:
        print(
            f"model card of run {run_id} ({details['name']} version {details['version']}): "
            f"{len(written)} files in {card_dir}"
        )
    return 0
