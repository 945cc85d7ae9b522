"""Writing the analysis's result tables and figures, one folder per step.

``write_analysis`` writes every step an :class:`~border_readiness.experiments.pipeline.Analysis`
ran: ``score/``, ``cluster/``, ``validate/<typology>/`` and ``explain/``; the single-step
commands write one of them straight into their ``--out``. Files are collected in an
:class:`~border_readiness.experiments._outputs.OutputSet` and committed together, so a failure
leaves nothing half-written.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = [
    "agreement_summary",
    "k_selection_frame",
    "stability_summary",
    "weightings_sampled",
    "write_analysis",
    "write_cluster",
    "write_explain",
    "write_score",
    "write_validation",
]


def write_score(out, report, prep) -> None:
    """The files of `score` into an OutputSet.

    ``scores.csv``, ``contributions.csv``, ``uncertainty.csv``, ``sensitivity.csv`` (both
    with ``weightings_sampled``, the distinct weighting schemes drawn), ``coherence.csv`` and
    ``coherence_items.csv`` (per level over the reference regions), ``profiles.csv``,
    ``factors.csv``, ``imputations.csv`` (every imputed cell of the reference matrix, with its
    role), ``refused.csv``, ``outliers.csv``, ``weights.csv``, ``features.csv``,
    ``score_config.json``, ``rank_intervals.png`` and ``map_scores.png``.

    Parameters
    ----------
    out : OutputSet
        The :class:`~border_readiness.experiments._outputs.OutputSet` that collects the files;
        nothing is written until its ``commit``.
    report : ScoreReport
        The score (:func:`~border_readiness.experiments.steps.score`), with uncertainty.
    prep : Prepared
        The prepared data (:func:`~border_readiness.experiments.steps.prepare`): year,
        regions, compiled indicators, profile rules.
    """
    from border_readiness.experiments._plots import rank_interval_figure
    from border_readiness.experiments._plots_maps import score_map
    from border_readiness.features.regions import region_table

    out.csv("scores.csv", report.scores)
    out.csv("contributions.csv", report.contributions)
    sampled = weightings_sampled(report.factors)
    out.csv("uncertainty.csv", report.uncertainty.assign(weightings_sampled=sampled))
    out.csv("sensitivity.csv", report.sensitivity.assign(weightings_sampled=sampled))
    if report.coherence is not None:
        out.csv("coherence.csv", report.coherence)
        out.csv("coherence_items.csv", report.coherence_items)
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
            report.scores,
            report.uncertainty,
            names,
            prep.year,
            report.config.n_replicates,
            config=report.config,
        ),
    )
    out.figure("map_scores.png", score_map(report.scores, report.uncertainty, year=prep.year))


def weightings_sampled(factors: pd.DataFrame) -> str:
    """The distinct weighting schemes the Monte Carlo and Sobol' drew, ``|``-joined.

    Parameters
    ----------
    factors : DataFrame
        The Monte Carlo's factors table (``factor, values, ...``); empty without uncertainty.

    Returns
    -------
    str
        E.g. ``"equal|pca"`` when equal and catalogue weights were identical and merged; ``""``
        when no Monte Carlo ran.

    Examples
    --------
    >>> import pandas as pd
    >>> weightings_sampled(pd.DataFrame({"factor": ["weighting"], "values": [["equal", "pca"]]}))
    'equal|pca'
    """
    rows = factors[factors["factor"] == "weighting"] if "factor" in factors else factors
    return "|".join(map(str, rows["values"].iloc[0])) if len(rows) else ""


def stability_summary(run, prep) -> dict:
    """The content of stability.json.

    Parameters
    ----------
    run : ClusterRun
        A clustering with its stability assessed
        (:func:`~border_readiness.experiments.steps.assess_stability`).
    prep : Prepared
        The prepared data (:func:`~border_readiness.experiments.steps.prepare`): year,
        regions, compiled indicators, profile rules.

    Returns
    -------
    dict
        JSON-ready: method, k, B, mean Jaccard, size, Hennig verdict and dissolved/recovered
        counts per cluster, the stability's elapsed seconds, PAC per k and the consensus'
        best k, the internal indices per k (None for NaN), year, regions, notes, the
        Hennig thresholds and, once tested, the ``structure`` block (verdict, reason,
        p-values per null, B, the nulls, the gap-chosen k and the gap per k).
    """
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
        **({"structure": run.structure.to_dict()} if run.structure is not None else {}),
        **consensus_summary(run),
    }


def consensus_summary(run) -> dict:
    """stability.json's consensus scheme, PAC by k, best k and small-n caveats.

    Parameters
    ----------
    run : ClusterRun
        A clustering with its stability assessed.

    Returns
    -------
    dict
        ``consensus_scheme``, ``consensus_n_init``, ``consensus_reps``, ``chosen_k`` (beside
        ``consensus_best_k``), ``consensus_note`` (a sentence when the two differ),
        ``singleton_clusters`` with ``singleton_note``, and ``small_n_caveats`` per method.
    """
    from border_readiness.clustering._small_n import SMALL_N, small_n_caveats
    from border_readiness.clustering.stability.bootstrap import SINGLETON, SINGLETON_NOTE

    cons, stab = run.consensus, run.stability
    singles = [int(c) for c, v in zip(stab.clusters, stab.verdict, strict=True) if v == SINGLETON]
    out = {
        "consensus_scheme": cons.scheme,
        "consensus_n_init": int(cons.n_init),
        "consensus_reps": int(cons.reps),
        "chosen_k": int(run.k),
        "consensus_note": consensus_sentence(run),
        "singleton_clusters": singles,
        "singleton_note": SINGLETON_NOTE if singles else "",
    }
    n = len(run.labels)
    if n < SMALL_N:
        out["small_n_caveats"] = small_n_caveats(n)
    return out


def consensus_sentence(run) -> str:
    """The consensus scheme used, and whether its best k is the chosen k, as one sentence.

    Parameters
    ----------
    run : ClusterRun
        A clustering with its stability assessed.

    Returns
    -------
    str
    """
    cons = run.consensus
    if run.method in ("kmeans", "gmm"):
        fit = "k-means" if run.method == "kmeans" else "Gaussian-mixture"
        what = (
            f"ConsensusClusterPlus's stock scheme (one {fit} start per subsample, pItem 0.8, "
            "pFeature 1)"
            if cons.scheme == "ccp"
            else f"a multi-start variant ({cons.n_init} {fit} starts per subsample, pItem 0.8, "
            "pFeature 1; ConsensusClusterPlus itself runs one)"
        )
    else:
        # A deterministic clusterer has no starts: the two schemes are the same computation.
        what = (
            f"ConsensusClusterPlus's scheme ({run.method} refitted on each subsample, pItem "
            "0.8, pFeature 1)"
        )
    text = f"Consensus by {what}, {cons.reps} subsamples per k."
    if int(cons.best_k) != int(run.k):
        text += (
            f" The consensus' best k (lowest PAC) is {int(cons.best_k)}, not the k = {run.k} "
            "used: the consensus does not single out the chosen k."
        )
    else:
        text += f" The consensus' best k (lowest PAC) is the chosen k = {run.k}."
    return text


def k_selection_frame(run) -> pd.DataFrame:
    """k_selection.csv: the internal indices per k, with the structure test's per-k columns.

    With a structure test, a k = 1 row (the gap statistic's "no clusters") and, per k, ``gap``,
    ``s_k``, the test's own k-means index (``structure_<criterion>``) and, per null, its median
    and per-k p-value; the indices of the main fit are left as they were.

    Parameters
    ----------
    run : ClusterRun
        A clustering, with or without its structure test.

    Returns
    -------
    DataFrame
        One row per k, ``k`` a column.
    """
    scores = run.k_scores.drop(columns=["gap", "s_k"], errors="ignore")
    t = run.structure
    if t is None:
        return run.k_scores.reset_index()
    extra = t.per_k.drop(columns=["log_w"]).rename(
        columns={t.criterion: f"structure_{t.criterion}"}
    )
    return scores.join(extra, how="outer").rename_axis("k").reset_index()


def write_cluster(out, run, prep, emb, expert=None, expert_title="expert type") -> None:
    """The files of `cluster` into an OutputSet (``emb``: the 2-D map of the embed step).

    ``features.csv``, ``clusters.csv``, ``stability.json``, ``consensus.csv``,
    ``consensus_cdf.csv``, ``k_selection.csv``, ``jaccard_replicates.csv``,
    ``loo_regions.csv``, ``loo_indicators.csv``, ``embedding.csv``, ``embedding.png``,
    ``consensus.png`` and ``map_typology.png``.

    Parameters
    ----------
    out : OutputSet
        The :class:`~border_readiness.experiments._outputs.OutputSet` that collects the files;
        nothing is written until its ``commit``.
    run : ClusterRun
        A clustering with its stability assessed.
    prep : Prepared
        The prepared data (:func:`~border_readiness.experiments.steps.prepare`): year,
        regions, compiled indicators, profile rules.
    emb : Embedding2D
        The 2-D map of the regions (:class:`~border_readiness.clustering.embedding.Embedding2D`).
    expert : pandas.Series, optional
        An expert typology (region id -> type) for a second panel of ``embedding.png``; the
        model card shows that figure, so ``run`` draws it once, here, with the typology.
    expert_title : str, default "expert type"
        The typology's title, the heading and legend title of that panel.
    """
    from border_readiness.experiments._plots import consensus_figure
    from border_readiness.experiments._plots_explain import embedding_figure
    from border_readiness.experiments._plots_maps import data_typology_map
    from border_readiness.features.regions import region_table

    names = region_table()["name_en"]
    stab = run.stability
    out.csv("features.csv", run.X.reset_index())
    out.csv("clusters.csv", _clusters_frame(run))
    out.json("stability.json", stability_summary(run, prep))
    matrix = run.consensus.matrix(run.k).round(4)
    matrix.index.name = "region_id"
    out.csv("consensus.csv", matrix.reset_index())
    out.csv("consensus_cdf.csv", run.consensus.cdf)
    out.csv("k_selection.csv", k_selection_frame(run))
    out.csv(
        "jaccard_replicates.csv",
        pd.DataFrame(stab.jaccard, columns=[f"cluster_{c}" for c in stab.clusters]),
    )
    out.csv("loo_regions.csv", run.loo_regions)
    out.csv("loo_indicators.csv", run.loo_indicators)
    out.csv("embedding.csv", emb.coordinates.reset_index())
    out.figure(
        "embedding.png",
        embedding_figure(
            emb,
            run.labels,
            expert,
            names,
            title=f"{run.method}, k = {run.k}, data year {prep.year}",
            cluster_title=f"data cluster ({run.method}, k = {run.k})",
            expert_title=expert_title,
            matrix=run.X,
        ),
    )
    out.figure(
        "consensus.png",
        consensus_figure(
            run.consensus, run.k, run.labels, names, method=run.method, year=prep.year
        ),
    )
    out.figure("map_typology.png", data_typology_map(run, prep.year))


def _clusters_frame(run) -> pd.DataFrame:
    """region_id, cluster, and the bootstrap membership confidence once it is assessed."""
    frame = run.labels.to_frame()
    if run.stability is not None:
        frame = frame.assign(confidence=run.confidence.round(4))
    return frame.reset_index()


def agreement_summary(result, prep, method: str, k: int) -> dict:
    """The content of agreement.json.

    Parameters
    ----------
    result : ValidationRun
        The comparison of an expert typology with the clusters
        (:func:`~border_readiness.experiments.interpret.validate`).
    prep : Prepared
        The prepared data (:func:`~border_readiness.experiments.steps.prepare`): year,
        regions, compiled indicators, profile rules.
    method : str
        The clustering method compared with.
    k : int
        Its number of clusters.

    Returns
    -------
    dict
        The agreement report's own dictionary (``AgreementReport.to_dict``) with the
        typology's name, title and citation, the AMI's interval ``ami_ci``, the method, k and
        the year.
    """
    typology = result.typology
    body = result.report.to_dict()
    body.update(
        {
            "typology": typology.name,
            "title": typology.title,
            "citation": typology.citation,
            # "own": the package's profiles, made from the same indicators (internal
            # consistency); "expert": a published typology (validation).
            "origin": typology.origin,
            "reads_as": "internal consistency" if typology.is_own else "validation",
            # The AMI's bootstrap interval (clustering.agreement.ami_interval); None for NaN.
            "ami_ci": [None if x != x else float(x) for x in result.ami_ci],
            "method": method,
            "k": int(k),
            "year": prep.year,
        }
    )
    return body


def write_validation(out, result, prep, method: str, k: int, run=None) -> None:
    """The files of `typology validate` into an OutputSet.

    ``agreement.json``, ``contingency.csv``, ``disagreements.csv``, ``assignments.csv``,
    ``excluded.csv``, ``resolutions.csv`` (every admissible resolution of the multi-type
    regions with its ARI, the chosen one flagged), ``ceiling.csv``,
    ``disagreement_drivers.csv``, ``map_expert.png`` (the expert typology, the regions where
    data and expert disagree hatched) and ``clusters.csv`` when ``run`` is given.

    Parameters
    ----------
    out : OutputSet
        The :class:`~border_readiness.experiments._outputs.OutputSet` that collects the files;
        nothing is written until its ``commit``.
    result : ValidationRun
        The comparison of an expert typology with the clusters.
    prep : Prepared
        The prepared data (:func:`~border_readiness.experiments.steps.prepare`): year,
        regions, compiled indicators, profile rules.
    method : str
        The clustering method compared with.
    k : int
        Its number of clusters.
    run : ClusterRun, optional
        The clustering, when the command made it (its ``clusters.csv`` is then written too);
        None when the clusters were read from a file.
    """
    from border_readiness.experiments._plots_maps import expert_typology_map

    rep = result.report
    out.json("agreement.json", agreement_summary(result, prep, method, k))
    out.csv("contingency.csv", rep.contingency.rename_axis("expert_type").reset_index())
    out.csv("disagreements.csv", rep.disagreements)
    out.csv("assignments.csv", rep.assignments)
    out.csv("excluded.csv", rep.excluded)
    out.csv("resolutions.csv", rep.resolutions)
    out.csv("ceiling.csv", result.ceiling)
    out.csv("disagreement_drivers.csv", result.drivers)
    if not result.typology.is_own:  # own profiles: their map is the score map's profiles
        out.figure("map_expert.png", expert_typology_map(result, prep.year, method, k))
    if run is not None:
        out.csv("clusters.csv", _clusters_frame(run))


def write_explain(out, result, run, prep, report=None) -> None:
    """The files of `explain` into an OutputSet.

    ``shap.csv`` (level scores and surrogate together), ``shap_levels_detail.csv``,
    ``surrogate_shap.csv``, ``explain.json``, ``surrogate_rules.txt``, one
    ``shap_<level>.png`` per scored level and one ``shap_surrogate_<target>.png`` per cluster
    (only the indicators the tree splits on: the others have SHAP 0 everywhere).

    Parameters
    ----------
    out : OutputSet
        The :class:`~border_readiness.experiments._outputs.OutputSet` that collects the files;
        nothing is written until its ``commit``.
    result : ExplainRun
        The SHAP values and the surrogate (:func:`~border_readiness.experiments.interpret.explain`).
    run : ClusterRun
        The clustering explained (its method and k go into ``explain.json``).
    prep : Prepared
        The prepared data (:func:`~border_readiness.experiments.steps.prepare`): year,
        regions, compiled indicators, profile rules.
    report : ScoreReport, optional
        The score whose model normalised the clustering matrix: with it the rules (in
        ``surrogate_rules.txt`` and the surrogate figures) are in the indicators' own units.
    """
    from border_readiness.experiments._plots_explain import (
        shap_summary_figure,
        surrogate_shap_figure,
    )
    from border_readiness.experiments._surrogate_rules import explain_rules
    from border_readiness.features.catalogue import SCORED_LEVELS
    from border_readiness.features.regions import region_table

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
            "surrogate": {
                **sur.to_dict(),
                **(
                    {"fidelity_null": result.fidelity_null.to_dict()}
                    if getattr(result, "fidelity_null", None) is not None
                    else {}
                ),
            },
            "method": run.method,
            "k": run.k,
            "year": prep.year,
            "background": "all Russian subjects: SHAP values of the level scores read as "
            "differences from the average Russian region",
        },
    )
    names = region_table()["name_en"]
    raw_rules, rules_text = explain_rules(sur, report, prep, names)
    out.text("surrogate_rules.txt", rules_text)
    config = prep.score_config
    for level in SCORED_LEVELS:
        out.figure(
            f"shap_{level}.png",
            shap_summary_figure(
                result.level_shap,
                level,
                f"SHAP of the {level.replace('_', ' ')} score, data year {prep.year} "
                f"({config.normalisation}, {config.weighting} weights, {config.aggregation});\n"
                "a region's SHAP value is its difference from the average Russian subject",
                names=names,
            ),
        )
    null = getattr(result, "fidelity_null", None)
    for target in sorted(sur.shap_values["target"].unique()):
        out.figure(
            f"shap_surrogate_{target.replace(' ', '_')}.png",
            surrogate_shap_figure(
                sur.shap_values,
                target,
                sur.fidelity_loo,
                rules=raw_rules,
                null=null,
                method=run.method,
                k=run.k,
                year=prep.year,
                names=names,
            ),
        )


def card_expert_typology(a):
    """The expert typology the card's 2-D map shows beside the clusters, or None.

    Parameters
    ----------
    a : Analysis
        The results of :func:`~border_readiness.experiments.pipeline.analyse`.

    Returns
    -------
    pandas.Series or None
        The federal districts (region id -> district) where the run validated against them.
    """
    if "federal_districts" not in a.validations:
        return None
    return a.validations["federal_districts"].typology.as_series(multi="first")


def write_analysis(out_dir: str | Path, a) -> list[Path]:
    """Every table and figure of the steps ``a`` ran, in one sub-folder per step.

    Parameters
    ----------
    out_dir : str or Path
        The folder to write into (created if needed).
    a : Analysis
        The results of :func:`~border_readiness.experiments.pipeline.analyse`; the steps it
        ran decide the sub-folders (``score/``, ``cluster/``, ``validate/<typology>/``,
        ``explain/``).

    Returns
    -------
    list of Path
        The files written.
    """
    from border_readiness.experiments._outputs import OutputSet

    out_dir = Path(out_dir)
    parts: list[tuple[Path, object]] = []
    if "uncertainty" in a.steps:
        parts.append((out_dir / "score", lambda o: write_score(o, a.report, a.prep)))
    if "stability" in a.steps:
        expert = card_expert_typology(a)
        title = "expert type"
        if expert is not None:
            # The legend names the types, and its title the typology, not their ids.
            typology = a.validations["federal_districts"].typology
            expert = expert.map(lambda t: typology.types[t].name if t in typology.types else t)
            title = typology.title
        parts.append(
            (
                out_dir / "cluster",
                lambda o: write_cluster(o, a.run, a.prep, a.embedding, expert, title),
            )
        )
    for name, v in a.validations.items():
        parts.append(
            (
                out_dir / "validate" / name,
                lambda o, v=v: write_validation(o, v, a.prep, a.run.method, a.run.k),
            )
        )
    if a.explanation is not None:
        parts.append(
            (
                out_dir / "explain",
                lambda o: write_explain(o, a.explanation, a.run, a.prep, a.report),
            )
        )
    written: list[Path] = []
    for folder, writer in parts:
        part = OutputSet(folder)
        writer(part)
        written += part.commit()
    return written
