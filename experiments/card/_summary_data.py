"""The card's summary and figure captions, from the run's analysis (the data side of issue 15).

:func:`summary_section` gathers what the first screen of the card shows; :func:`figure_captions`
says, for every figure the run can make, what it shows, the data year and the method. Region
names (not ids) and indicator labels with their units are used throughout, because the summary
is read by economists, not by the code.
"""

from __future__ import annotations

import pandas as pd

from border_readiness.features.catalogue import short_unit

__all__ = ["figure_captions", "short_unit", "summary_section"]

_TOP_DRIVERS = 3


def _name(names: pd.Series, region: str) -> str:
    return str(names.get(region, region))


def summary_section(a, small_n: str) -> dict:
    """The card's ``summary``: headline scores, agreement, stability, drivers, small-n caveat.

    Parameters
    ----------
    a : Analysis
        The run's analysis (:func:`~border_readiness.experiments.pipeline.analyse`) with every
        step run; without an explanation the drivers are empty.
    small_n : str
        The small-n caveat of the clusters (the metrics' ``stability.small_n``).

    Returns
    -------
    dict
        ``headline`` (one row per region, best overall score first: score, nominal rank, 5–95 %
        rank interval, ``score_<level>``), ``agreement`` (one row per expert typology, the
        disagreeing regions by name), ``clusters`` (Hennig verdicts, members by name),
        ``drivers`` (top indicators per level by mean |SHAP|, with label and unit) and
        ``small_n``.
    """
    from border_readiness.features.regions import region_table

    names = region_table()["name_en"]
    scores, u = a.report.scores, a.report.uncertainty
    wide = scores.pivot(index="region_id", columns="level", values="score")
    overall = scores[scores.level == "overall"].set_index("region_id")
    band = u[u.level == "overall"].set_index("region_id")
    levels = [c for c in wide.columns if c != "overall"]
    headline = []
    for rid in overall.sort_values("score", ascending=False).index:
        headline.append(
            {
                "region": rid,
                "name": _name(names, rid),
                "score": float(overall.at[rid, "score"]),
                "rank": float(overall.at[rid, "rank"]),
                "rank_low": float(band.at[rid, "rank_p05"]),
                "rank_high": float(band.at[rid, "rank_p95"]),
                **{f"score_{lv}": float(wide.at[rid, lv]) for lv in levels},
            }
        )
    agreement = []
    for name, v in a.validations.items():
        if v.typology.is_own:
            continue  # internal consistency, not agreement with an expert
        r = v.report
        agreement.append(
            {
                "typology": name,
                "title": v.typology.title or name,
                "ari": float(r.ari),
                "ari_ci": [float(r.ari_ci[0]), float(r.ari_ci[1])],
                "p_value": None if r.p_value is None else float(r.p_value),
                "disagreeing": ", ".join(_name(names, i) for i in r.disagreements["region_id"]),
            }
        )
    stab, labels = a.run.stability, a.run.labels
    clusters = [
        {
            "cluster": int(c),
            "size": int(stab.sizes[c]),
            "jaccard_mean": float(stab.jaccard_mean[c]),
            "verdict": str(stab.verdict[c]),
            "members": ", ".join(_name(names, i) for i in labels.index[labels == c]),
        }
        for c in stab.clusters
    ]
    return {
        "headline": headline,
        "agreement": agreement,
        "clusters": clusters,
        "drivers": _drivers(a),
        "small_n": [
            f"n = {len(a.prep.regions)} regions: clusters, agreement and surrogate figures are "
            "fragile, and every interval above is wide for that reason.",
            small_n,
        ],
    }


def _drivers(a) -> list[dict]:
    if a.explanation is None:
        return []
    shap = a.explanation.level_shap
    shap = shap[shap.region_id.isin(a.prep.regions)]
    catalogue = {i.id: i for i in a.prep.catalogue}
    mean_abs = shap.assign(a=shap.shap_value.abs()).groupby(["target", "feature"], sort=False)["a"]
    rows = []
    for level, part in mean_abs.mean().groupby(level="target", sort=False):
        top = part.droplevel("target").sort_values(ascending=False, kind="stable")
        for feature, value in top.head(_TOP_DRIVERS).items():
            ind = catalogue.get(feature)
            rows.append(
                {
                    "level": str(level),
                    "indicator": str(feature),
                    "label": ind.label if ind and ind.label else str(feature),
                    "unit": short_unit(ind.unit) if ind else "unit not in the catalogue",
                    "mean_abs_shap": float(value),
                }
            )
    return rows


def figure_captions(a) -> list[dict]:
    """What each figure of the run shows, with the data year and the method.

    Parameters
    ----------
    a : Analysis
        The run's analysis.

    Returns
    -------
    list of dict
        ``name`` (the figure's file stem) and ``caption``, for every figure the run can make
        (rank intervals, 2-D embedding, consensus, SHAP per level and per surrogate target, the
        maps); the card shows those it has.
    """
    from border_readiness.features.catalogue import SCORED_LEVELS

    year, run, cfg = a.prep.year, a.run, a.cfg
    n, k, method = len(a.prep.regions), run.k, run.method
    year_text = f"Data year {year}."
    caps = {
        "rank_intervals": f"Rank of each of the {n} regions per level and overall: the nominal "
        f"rank and its 5–95 % interval over {cfg.score.n_replicates} Monte Carlo replicates "
        "(normalisation, weighting, aggregation and indicator drop-out varied). "
        f"Scores are composite indices, {cfg.score.weighting} weights, "
        f"{cfg.score.aggregation} aggregation. {year_text}",
        "consensus": f"Consensus matrix at k = {k}: the share of {cfg.consensus_reps} "
        f"subsamples ({run.consensus.scheme} scheme) in which two regions fall in the same "
        f"{method} cluster, regions ordered by cluster. {year_text}",
        "map_typology": f"Map of the {n} regions coloured by their {method} cluster (k = {k}), "
        "with the neighbouring Kazakh oblasts and the border line; polygons are approximate. "
        f"{year_text}",
        "map_scores": "Map of the overall readiness score (0–100) of the regions with their "
        f"5–95 % rank intervals; polygons are approximate. {year_text}",
    }
    if a.embedding is not None:
        how = {"pca": "PCA", "umap": "UMAP"}.get(a.embedding.method, a.embedding.method)
        expert = (
            ", beside the federal districts (an expert typology)"
            if "federal_districts" in a.validations
            else ""
        )
        caps["embedding"] = (
            f"2-D map ({how}) of the regions' standardised indicator profiles, coloured by "
            f"{method} cluster (k = {k}){expert}. {year_text}"
        )
    for level in SCORED_LEVELS:
        caps[f"shap_{level}"] = (
            f"SHAP values of the {level.replace('_', ' ')} score (0–100 points) per indicator "
            "and region: how far each indicator moves a region's score from the average "
            f"Russian subject (the background); exact for this linear score. {year_text}"
        )
    if a.explanation is not None:
        sur = a.explanation.surrogate
        values = sur.shap_values
        n_features = values["feature"].nunique()
        for target in sorted(values["target"].unique()):
            part = values[values.target == target]
            used = sorted(part.loc[part.shap_value != 0, "feature"].unique())
            caps[f"shap_surrogate_{target.replace(' ', '_')}"] = (
                f"SHAP values of the decision-tree surrogate (depth ≤ {sur.max_depth}, "
                f"leave-one-out fidelity {sur.fidelity_loo:.2f}) for {target} of the {method} "
                f"clusters. Only the {len(used)} of {n_features} indicators the tree splits on "
                f"({', '.join(used) or 'none'}) have non-zero values; the SHAP value of every "
                f"other indicator is exactly 0. {year_text}"
            )
    return [{"name": name, "caption": cap} for name, cap in sorted(caps.items())]
