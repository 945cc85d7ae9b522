"""``border-readiness run``: the whole pipeline as one tracked, registered MLflow run.

:func:`run_experiment` runs every step of :func:`border_readiness.experiments.pipeline.analyse`
and hands the analysis to :func:`record`: one MLflow run (flattened config as params, metrics,
dataset lineage, every table and plot as artifacts, an HTML report), the fitted pipeline as a
``pyfunc`` model registered with an alias, and a model card and the result files under
``<out>/models/<name>/v<N>/``. ``retrain`` calls :func:`record` with its own promotion
decision.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from border_readiness.experiments._promotion import settle
from border_readiness.experiments.pipeline import Analysis

__all__ = ["Promotion", "RunSummary", "metrics_of", "record", "run_experiment"]


@dataclass(frozen=True)
class Promotion:
    """Whether the new version takes the alias, why, and extra files to log.

    The reason is one line; the files (text, or PNG bytes for figures) are logged under
    ``retrain/`` in the run.
    """

    promote: bool
    note: str
    files: dict[str, str | bytes] = field(default_factory=dict)
    #: The version the decision compared with (retrain); if the alias has moved on since,
    #: the new version does not take it.
    against: int | None = None


@dataclass(frozen=True)
class RunSummary:
    """What one tracked run produced: where it went, the model version and its figures.

    Attributes
    ----------
    run_id, experiment_id, tracking_uri : str
        The MLflow run, its experiment and the store.
    model_name : str
        The registered model's name.
    version : int
        The model version registered by this run.
    alias_set : bool
        Whether this version took the alias; ``alias_note`` says why or why not.
    alias_note : str
        The promotion decision in one line.
    card_dir, results_dir : Path
        The model card's folder (``OUT/models/NAME/vN``) and the result files next to it.
    metrics : dict
        The metrics logged (finite ones only).
    year : int
        The year fitted.
    timings : dict
        Seconds per step (``<step>_s``), with ``tracking_s`` and ``total_s``.
    """

    run_id: str
    experiment_id: str
    tracking_uri: str
    model_name: str
    version: int
    alias_set: bool
    alias_note: str
    card_dir: Path
    results_dir: Path
    metrics: dict
    year: int
    timings: dict


def metrics_of(a: Analysis) -> dict[str, float]:
    """The headline figures logged as MLflow metrics.

    Parameters
    ----------
    a : Analysis
        A complete analysis (every step run: validations, stability, explanation, scores
        with uncertainty).

    Returns
    -------
    dict of str to float
        ``agreement.<typology>.{ari,ami,nmi,p_value,ari_ci_low,ari_ci_high,n_regions}``,
        ``stability.jaccard_mean.cluster_<c>``, ``stability.jaccard_min``, ``stability.k``,
        ``stability.pac.k<k>``, ``internal.<index>`` at the chosen k,
        ``surrogate.fidelity_{loo,train}``, ``uncertainty.rank_width_mean.<level>`` (mean
        90 % rank-interval width) and ``score.overall_mean``; values may be NaN.
    """
    m: dict[str, float] = {}
    for name, v in a.validations.items():
        r = v.report
        m[f"agreement.{name}.ari"] = r.ari
        m[f"agreement.{name}.ami"] = r.ami
        m[f"agreement.{name}.nmi"] = r.nmi
        m[f"agreement.{name}.p_value"] = r.p_value
        m[f"agreement.{name}.ari_ci_low"] = r.ari_ci[0]
        m[f"agreement.{name}.ari_ci_high"] = r.ari_ci[1]
        m[f"agreement.{name}.n_regions"] = r.n_regions
    stab = a.run.stability
    for c, j in zip(stab.clusters, stab.jaccard_mean, strict=True):
        m[f"stability.jaccard_mean.cluster_{c}"] = float(j)
    m["stability.jaccard_min"] = float(stab.jaccard_mean.min())
    m["stability.k"] = a.run.k
    for k, v in a.run.consensus.pac.items():
        m[f"stability.pac.k{k}"] = float(v)
    scores = a.run.k_scores
    if a.run.k in scores.index:
        for col in ("silhouette", "calinski_harabasz", "davies_bouldin"):
            if col in scores:
                m[f"internal.{col}"] = float(scores.at[a.run.k, col])
    m["surrogate.fidelity_loo"] = a.explanation.surrogate.fidelity_loo
    m["surrogate.fidelity_train"] = a.explanation.surrogate.fidelity_train
    u = a.report.uncertainty
    for level, part in u.groupby("level"):
        m[f"uncertainty.rank_width_mean.{level}"] = float((part.rank_p95 - part.rank_p05).mean())
    overall = a.report.scores[a.report.scores.level == "overall"]
    m["score.overall_mean"] = float(overall.score.mean())
    return m


def _write_layering(results: Path, layered) -> None:
    """``data/replaced.csv`` (every value ``--add --replace`` overrode), when there is one."""
    if layered is None or not len(layered.replaced):
        return
    (results / "data").mkdir(parents=True, exist_ok=True)
    from border_readiness.features._csv_cells import guard_frame

    guard_frame(layered.replaced).to_csv(
        results / "data" / "replaced.csv", index=False, lineterminator="\n", float_format="%.15g"
    )


def _log_layers(layered) -> None:
    """A tag naming the ``--add`` files in order, and their counts (new, identical, replaced)."""
    import mlflow

    if layered is None:
        return
    mlflow.set_tag("border_readiness.data_added", " ; ".join(layered.added["file"]))
    mlflow.log_table(layered.added, "data/added.json")


def run_experiment(
    cfg,
    *,
    data: pd.DataFrame,
    data_label: str,
    data_source: str,
    tracking_uri: str | None,
    out: Path,
    year: int | None = None,
    progress=None,
    layered=None,
) -> tuple[RunSummary, Analysis]:
    """Analyse (every step), log one MLflow run, register the model and write its card.

    By default the alias moves to the new version unless the current holder was trained on a
    later year (``retrain`` compares first and calls :func:`record` with its decision).

    Parameters
    ----------
    cfg : ExperimentConfig
    data : DataFrame
        The long table.
    data_label : str
        How messages and tags name the data.
    data_source : str
        The data's resolved path, for the dataset lineage.
    tracking_uri : str or None
        None: the default store (:func:`border_readiness.experiments.tracking.default_uri`).
    out : Path
        Where the model card and the result files go.
    year : int, optional
        Overrides ``cfg.year``.
    progress : callable, optional
    layered : Layered, optional
        What ``--add`` layered over the data (:func:`record`).

    Returns
    -------
    summary : RunSummary
    analysis : Analysis
    """
    from border_readiness.experiments.pipeline import analyse

    t_start = time.perf_counter()
    a = analyse(cfg, data, data_label=data_label, year=year, progress=progress)
    summary = record(
        a,
        data=data,
        data_source=data_source,
        tracking_uri=tracking_uri,
        out=out,
        progress=progress,
        started=t_start,
        layered=layered,
    )
    return summary, a


def record(
    a: Analysis,
    *,
    data: pd.DataFrame,
    data_source: str,
    tracking_uri: str | None,
    out: Path,
    promotion: Promotion | None = None,
    progress=None,
    started: float | None = None,
    layered=None,
) -> RunSummary:
    """Log a complete analysis as one MLflow run, register its model, write card and results.

    Parameters
    ----------
    a : Analysis
        Every step run (:data:`border_readiness.experiments.pipeline.STEPS`).
    data : DataFrame
        The long table the analysis read (its lineage is logged).
    data_source : str
    tracking_uri : str or None
    out : Path
    promotion : Promotion, optional
        Whether the new version takes the alias; None: the default rule (see
        :func:`run_experiment`). It is settled before anything is logged.
    progress : callable, optional
    started : float, optional
        ``time.perf_counter()`` when the analysis began, for the total time.
    layered : Layered, optional
        What ``--add`` layered over the data: the added files are logged as inputs of their
        own and every replaced value goes to ``results/data/replaced.csv``.

    Returns
    -------
    RunSummary
    """
    import os
    import shutil
    from contextlib import ExitStack

    import mlflow

    from border_readiness.experiments._cpu import StageClock, cpu_metrics
    from border_readiness.experiments._runs import COMPLETE, TEMP_PREFIX, process_tags, store_lock
    from border_readiness.experiments._serving import input_example
    from border_readiness.experiments.artifacts import write_analysis
    from border_readiness.experiments.card import build_card_data, data_digest, write_card
    from border_readiness.experiments.config import flatten
    from border_readiness.experiments.frozen_model import dump, freeze
    from border_readiness.experiments.tracking import (
        connect,
        log_metrics_safe,
        set_alias,
    )

    say = progress or (lambda _m: None)
    cfg = a.cfg
    data_label = a.prep.data_label
    t_start = time.perf_counter() if started is None else started
    t0 = time.perf_counter()
    laps = StageClock()  # CPU and wall per tracking stage, logged as cpu.* and time.record.*
    client, exp_id, uri = connect(tracking_uri, cfg.model_name)
    say(f"logging to MLflow ({uri})")
    metrics = metrics_of(a)
    # Named by the pid: `runs mark-failed` removes the folder of a run that was killed.
    with tempfile.TemporaryDirectory(prefix=f"{TEMP_PREFIX}{os.getpid()}-") as tmp:
        tmp = Path(tmp)
        laps.lap("connect")
        say("writing the result tables and plots")
        write_analysis(tmp / "results", a)
        _write_layering(tmp / "results", layered)
        state_path = tmp / "model_state.skops"
        state = freeze(a.prep, a.report, a.run)
        dump(state, state_path)
        laps.lap("results")
        with (
            mlflow.start_run(
                run_name=f"{a.prep.year}-{a.run.method}-k{a.run.k}", tags=process_tags()
            ) as active,
            # Registration, card and alias one run at a time: versions and alias move in order.
            ExitStack() as registering,
        ):
            run_id = active.info.run_id
            mlflow.log_params(flatten(cfg))
            mlflow.set_tags(
                {
                    "border_readiness.year": str(a.prep.year),
                    "border_readiness.regions": cfg.regions,
                    "border_readiness.data": data_label,
                    "border_readiness.data_sha256": data_digest(a.prep.data),
                }
            )
            laps.lap("run_start")
            say("recording the dataset lineage (schema and digest of the long table)")
            ds = mlflow.data.from_pandas(
                data, source=data_source, name=Path(data_label.split(" + ")[0]).name
            )
            # The long layout's schema is known (it is the model's input schema): MLflow would
            # otherwise infer it by inspecting all 170 000 rows cell by cell (2.5 s per run).
            ds.__dict__["schema"] = _signature().inputs
            mlflow.log_input(ds, context="training")
            _log_layers(layered)
            logged = log_metrics_safe(metrics)
            laps.lap("lineage")
            say("logging the result files")
            mlflow.log_artifacts(str(tmp / "results"), artifact_path="results")
            laps.lap("log_results")
            say("logging the pyfunc model")
            code = _package_code(tmp / "code")
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=str(Path(__file__).with_name("pyfunc_model.py")),
                artifacts={"state": str(state_path)},
                signature=_signature(),
                # A real request the model scores (Russia and the fitted regions, the series
                # the catalogue reads, the fitted year): `mlflow models serve` users see the
                # body shape, and MLflow checks at logging that it is served.
                input_example=input_example(a.prep.data, state),
                # The model carries the package's own code (features with its catalogue and
                # registry data), so it loads where border-readiness is not installed; the
                # requirements are stated, not inferred (inference misses scikit-learn and
                # costs a subprocess).
                code_paths=[str(code)],
                pip_requirements=_requirements(),
            )
            laps.lap("log_model")
            say("registering the model")
            registering.enter_context(store_lock(uri))
            mv = mlflow.register_model(info.model_uri, cfg.model_name, tags={COMPLETE: "false"})
            version = int(mv.version)
            # Settled against the holder now, under the lock (not a stale one read earlier).
            promotion = settle(client, cfg, a.prep.year, promotion, _default_promotion)
            move, note, extra = promotion.promote, promotion.note, promotion.files
            mlflow.set_tags(
                {
                    "border_readiness.decision": "promote" if move else "keep",
                    "border_readiness.decision_reason": note[:4900],
                }
            )
            for name, payload in (extra or {}).items():
                if isinstance(payload, bytes):  # a figure (retrain's changed-types map)
                    (tmp / "retrain").mkdir(exist_ok=True)
                    (tmp / "retrain" / name).write_bytes(payload)
                    mlflow.log_artifact(str(tmp / "retrain" / name), artifact_path="retrain")
                else:
                    mlflow.log_text(payload, f"retrain/{name}")
            laps.lap("register")
            say("writing the model card")
            timings = {**a.timings, "tracking_s": time.perf_counter() - t0}
            card_data = build_card_data(
                a,
                run_id=run_id,
                version=version,
                model_name=cfg.model_name,
                alias=cfg.alias,
                alias_set=move,
                metrics=logged,
                data_source=data_label,
            )
            card_dir = Path(out) / "models" / cfg.model_name / f"v{version}"
            # The card's figures are the ones the results hold: drawn once, not twice.
            drawn = {
                "rank_intervals": tmp / "results" / "score" / "rank_intervals.png",
                "embedding": tmp / "results" / "cluster" / "embedding.png",
                "consensus": tmp / "results" / "cluster" / "consensus.png",
                "map_typology": tmp / "results" / "cluster" / "map_typology.png",
                "map_scores": tmp / "results" / "score" / "map_scores.png",
            }
            # SHAP per level and per surrogate target: a reviewer needs them in the card too.
            drawn.update({p.stem: p for p in sorted((tmp / "results" / "explain").glob("*.png"))})
            figures = {k: p.read_bytes() for k, p in drawn.items() if p.is_file()} or None
            write_card(card_data, card_dir, a, figures=figures)
            # The result tables and figures also go next to the card, outside the store.
            results_dir = card_dir / "results"
            shutil.rmtree(results_dir, ignore_errors=True)
            shutil.copytree(tmp / "results", results_dir)
            mlflow.log_artifacts(str(card_dir), artifact_path="model_card")
            mlflow.log_text(
                json.dumps(card_data, ensure_ascii=False, indent=1, default=str),
                "model_card/card_data.json",
            )
            report_html = card_dir / "MODEL_CARD.html"
            if report_html.exists():
                mlflow.log_artifact(str(report_html), artifact_path="report")
            timings["total_s"] = time.perf_counter() - t_start
            laps.lap("card")
            mlflow.log_metrics({f"time.{k}": v for k, v in timings.items()})
            mlflow.log_metrics(cpu_metrics(a.cpu, laps))
            # Every artifact is logged: the version is complete, and only now may take the alias.
            client.set_model_version_tag(cfg.model_name, str(version), COMPLETE, "true")
            if move:
                set_alias(client, cfg.model_name, cfg.alias, version)
    return RunSummary(
        run_id,
        exp_id,
        uri,
        cfg.model_name,
        version,
        move,
        note,
        card_dir,
        results_dir,
        logged,
        a.prep.year,
        timings,
    )


def _package_code(dst: Path) -> Path:
    """A copy of the installed ``border_readiness`` package for the model's ``code_paths``.

    The copy holds the code and package data; MLflow puts its parent on ``sys.path`` when the
    model is loaded.
    """
    import shutil

    import border_readiness

    target = dst / "border_readiness"
    shutil.copytree(
        Path(border_readiness.__file__).parent,
        target,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    for sub in ("features", "clustering", "experiments"):
        module = __import__(f"border_readiness.{sub}", fromlist=["_"])
        shutil.copytree(
            Path(module.__file__).parent,
            target / sub,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
    return target


def _requirements() -> list[str]:
    """Pinned requirements of the pyfunc model: what predict imports, at installed versions."""
    from importlib.metadata import version

    names = ("mlflow", "numpy", "pandas", "scikit-learn", "scipy", "skops")
    return [f"{name}=={version(name)}" for name in names]


def _signature():
    """Input: the long layout; param ``year`` (0 = the latest complete year of the input)."""
    from mlflow.models.signature import ModelSignature
    from mlflow.types.schema import ColSpec, ParamSchema, ParamSpec, Schema

    inputs = Schema(
        [
            # Optional for MLflow's schema check so that a missing one reaches predict, whose
            # error names it in one line (MLflow's own check answers with a multi-line message).
            ColSpec("string", "region_id", required=False),
            ColSpec("long", "year", required=False),
            ColSpec("string", "indicator", required=False),
            ColSpec("double", "value", required=False),
            # What an empty value means (value|zero|not_published|confidential): JSON has no
            # "-", so a structural zero is {"value": null, "status": "zero"}.
            ColSpec("string", "status", required=False),
            ColSpec("string", "unit", required=False),
            ColSpec("string", "source_file", required=False),
            ColSpec("string", "source_table", required=False),
            ColSpec("string", "note", required=False),
        ]
    )
    return ModelSignature(inputs=inputs, params=ParamSchema([ParamSpec("year", "long", 0)]))


def _default_promotion(client, current, year: int, alias: str) -> Promotion:
    if current is None:
        return Promotion(True, f"first version: alias '{alias}' set")
    run = client.get_run(current.run_id)
    held = int(run.data.tags.get("border_readiness.year", "0") or 0)
    if held > year:
        return Promotion(
            False,
            f"alias '{alias}' stays on version {current.version} (trained on {held}, "
            f"later than {year}); use `retrain` to compare",
        )
    return Promotion(
        True,
        f"alias '{alias}' moved from version {current.version} (trained on {held}) "
        f"to the new version (trained on {year})",
    )
