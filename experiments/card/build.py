"""Assemble the model card of a run from its analysis, render it and write the files.

The card has the sections of Mitchell et al. 2019 and a datasheet of the data after Gebru et
al.; it is rendered with :mod:`.render`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import pandas as pd

from border_readiness.experiments.card._summary_data import (
    figure_captions,
    short_unit,
    summary_section,
)
from border_readiness.experiments.card._validity import (
    _consensus_fields,
    _fidelity_null_fields,
    structure_card,
)

__all__ = ["build_card_data", "data_digest", "structure_card", "write_card", "write_card_files"]

# Issue 14 item 4: the crossing points were to enter the transport level only from a published
# list by Russian region; none could be read whole (README, "Crossing points on the border"), so
# the card says so. tests/test_crossing_points.py fails if a crossing-point indicator or data
# file appears while this sentence still says they are absent.
_CROSSING_POINTS_CAVEAT = (
    "The road and rail crossing points on the Russia–Kazakhstan border are not in the "
    "transport level: no published list of them by Russian region could be read whole "
    "(only a truncated news summary of the Kazakh decree, by Kazakh oblast)."
)


def _package_version() -> str:
    try:
        return metadata.version("border-readiness")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _records(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records", double_precision=6))


def _indicator_records(weights: pd.DataFrame, catalogue) -> list[dict]:
    """The weights table with each indicator's label and unit (from the catalogue)."""
    known = {i.id: i for i in catalogue}
    rows = _records(weights)
    for row in rows:
        ind = known.get(row["indicator"])
        row["label"] = ind.label if ind and ind.label else row["indicator"]
        row["unit"] = short_unit(ind.unit) if ind else "not in the catalogue"
    return rows


def _level_records(prep) -> list[dict]:
    """Issue 14 item 5: each level in words, its scored indicators and what is not published."""
    from border_readiness.features.catalogue import SCORED_LEVELS

    rows = []
    for level in SCORED_LEVELS:
        note = prep.level_notes.get(level)
        scored = [i for i in prep.catalogue if i.level == level and i.weight > 0]
        rows.append(
            {
                "level": level,
                "meaning": note.meaning if note else "(not described in the catalogue used)",
                "indicators": "; ".join(f"{i.id} ({i.side}, {i.weight:g})" for i in scored),
                "not_published": note.not_published if note else "(not described)",
            }
        )
    return rows


def data_digest(data: pd.DataFrame) -> str:
    """SHA-256 (first 16 hex digits) of every row and column of the long table used.

    MLflow's own dataset digest hashes a sample of rows; this one covers the whole table, so a
    reader can tell two datasets apart even when they differ in one late row.

    Parameters
    ----------
    data : pandas.DataFrame
        The long table the run analysed (row order and values matter; the index does not).

    Returns
    -------
    str
        16 lowercase hexadecimal digits.
    """
    import hashlib

    rows = pd.util.hash_pandas_object(data, index=False).to_numpy().tobytes()
    return hashlib.sha256(rows).hexdigest()[:16]


def _map_sentence(embedding) -> str:
    """One sentence for the card: which method drew the 2-D map (the figure's footer says it)."""
    if embedding is None:
        return "No 2-D map was drawn for this run."
    method = {"pca": "PCA", "umap": "UMAP"}.get(embedding.method, embedding.method)
    notes = "; ".join(embedding.notes)
    return f"The map of the regions (figure embedding) is drawn with {method}" + (
        f" ({notes})." if notes else "."
    )


def build_card_data(
    a,
    *,
    run_id: str,
    version: int,
    model_name: str,
    alias: str,
    alias_set: bool,
    metrics: dict,
    data_source: str,
) -> dict:
    """The card's content as a plain dict (figures are added by :func:`write_card`).

    Parameters
    ----------
    a : Analysis
        The run's analysis (:func:`~border_readiness.experiments.pipeline.analyse`), with
        every step run: scores, clusters with stability, validations, explanation.
    run_id : str
        The MLflow run id.
    version : int
        The registered model version.
    model_name : str
        The registered model's name.
    alias : str
        The registry alias the model is served under (e.g. ``champion``).
    alias_set : bool
        Whether this version took the alias (False when a retrain kept the current one).
    metrics : dict
        The metrics logged to the run; not read at present (the card's figures are taken
        from ``a``), kept so the caller passes what it logged.
    data_source : str
        How the data is named in the datasheet (a file name, or "bundled").

    Returns
    -------
    dict
        The card's sections by name, as :meth:`CardData.from_dict
        <border_readiness.experiments.card.data.CardData.from_dict>` accepts them; the
        person-only fields are None.
    """
    from border_readiness.experiments._reporting import ari_range_text
    from border_readiness.features.catalogue import SCORED_LEVELS
    from border_readiness.features.dataset import coverage_summary
    from border_readiness.features.regions import region_table
    from border_readiness.features.sources.rosstat import LONG_COLUMNS

    del LONG_COLUMNS
    prep, report, run = a.prep, a.report, a.run
    table = region_table()
    cfg = a.cfg
    scores = report.scores
    overall = scores[scores.level == "overall"].set_index("region_id")
    labels = run.labels
    structure = structure_card(run.structure)
    no_structure = structure["verdict"] != "structure"
    against = "a structureless data set" if no_structure else "the clusters found in the data"
    # Published expert typologies validate the clusters; the package's own profiles are built
    # from the same indicators, so agreement with them is internal consistency: kept apart.
    agreement, internal_consistency = [], []
    for name, v in a.validations.items():
        r = v.report
        (internal_consistency if v.typology.is_own else agreement).append(
            {
                "typology": name,
                "level": "regions",
                "ari": r.ari,
                "ami": r.ami,
                "p_value": r.p_value,
                "ari_ci": [r.ari_ci[0], r.ari_ci[1]],
                "n_regions": r.n_regions,
                "n_permutations": r.n_permutations,
                "disagreeing_regions": ", ".join(r.disagreements["region_id"]),
                "compares": (
                    f"the package's own profiles versus {against}"
                    if v.typology.is_own
                    else f"the expert typology versus {against}"
                ),
                # Multi-type regions resolved with the clusters: the ARI's spread over every
                # admissible resolution, next to it (p and CI redo the resolution).
                "ari_range": ari_range_text(r) or "one resolution (no multi-type region)",
            }
        )
    stab = run.stability
    clusters = [
        {
            "cluster": int(c),
            "size": int(stab.sizes[c]),
            "jaccard_mean": float(stab.jaccard_mean[c]),
            "verdict": str(stab.verdict[c]),
            "members": ", ".join(labels.index[labels == c]),
        }
        for c in stab.clusters
    ]
    u = report.uncertainty
    ranks = [
        {
            "region": r["region_id"],
            "level": r["level"],
            "rank_low": float(r["rank_p05"]),
            "rank_high": float(r["rank_p95"]),
        }
        for _, r in u.iterrows()
    ]
    by_type = []
    for c in sorted(labels.unique()):
        members = list(labels.index[labels == c])
        row = {"cluster": int(c), "n_regions": len(members), "regions": ", ".join(members)}
        for lev in (*SCORED_LEVELS, "overall"):
            part = scores[(scores.level == lev) & scores.region_id.isin(members)]
            row[f"mean_score_{lev}"] = float(part.score.mean())
        by_type.append(row)
    by_level = []
    for lev, part in scores.groupby("level", sort=False):
        upart = u[u.level == lev]
        by_level.append(
            {
                "level": lev,
                "mean_score": float(part.score.mean()),
                "min_score": float(part.score.min()),
                "max_score": float(part.score.max()),
                "median_rank_interval_width": float((upart.rank_p95 - upart.rank_p05).median()),
            }
        )
    fd = table["federal_district"].reindex(prep.regions)
    by_fd = []
    for d, members in fd.groupby(fd):
        ids = list(members.index)
        by_fd.append(
            {
                "federal_district": d,
                "name": table.at[d, "name_en"],
                "regions": ", ".join(ids),
                "mean_overall_score": float(overall.loc[ids, "score"].mean()),
                "clusters": ", ".join(str(int(labels[i])) for i in ids),
            }
        )
    cov = coverage_summary(prep.data)
    from border_readiness.experiments.card import _composite_audit as audit

    imputation_summary, imputations = audit.imputation_records(report)
    sur = a.explanation.surrogate
    digest = data_digest(prep.data)
    breaks = [
        {
            "series": "industrial production index",
            "break": "OKVED (table 12.3.1, to 2016) vs OKVED2 (12.3.2, from 2015); not spliced",
        },
        {
            "series": "Kazakh oblasts",
            "break": "South Kazakhstan -> Turkistan + Shymkent (2018); Abai, Jetisu, Ulytau split "
            "off (2022)",
        },
        {
            "series": "Tyumen oblast",
            "break": "RU-TYU is the oblast without its autonomous okrugs; no budget data, GRP "
            "only from 2011",
        },
        {"series": "population", "break": "2011–2021 recalculated with the 2020 census"},
        {
            "series": "GRP",
            "break": "RR2023 ends 2021; VRP_s1998 (2025) to 2023, 2021 revised by up to 7 %",
        },
    ]
    sources = sorted({f for f in prep.data["source_file"].unique() if f})
    stability_fields = _consensus_fields(run)
    return {
        "summary": summary_section(a, stability_fields["small_n"]),
        "model_details": {
            "name": model_name,
            "version": version,
            "run_id": run_id,
            "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "package_version": _package_version(),
            "model_type": (
                f"composite readiness scores (min-max over all Russian subjects, "
                f"{cfg.score.weighting} weights, {cfg.score.aggregation} aggregation)"
                f"; {run.method} clustering, k = {run.k}"
                + ("" if not no_structure else " (no cluster structure: a partition, not types)")
                + "; registered as pyfunc"
            ),
            "training_year": prep.year,
            "regions": list(prep.regions),
            "citation": "implements and extends O. M. Roy (2022), The role of Russian border "
            "regions in the cross-border cooperation between Russia and Kazakhstan, "
            "R-Economy 8(4), 369–383, DOI 10.15826/recon.2022.8.4.028",
            "licence": None,
            "owner": None,
            "reviewed_by": None,
            "config_summary": {
                "config": Path(cfg.source).name,
                "regions": cfg.regions,
                "method": cfg.method,
                "bootstrap": cfg.bootstrap,
                "permutations": cfg.permutations,
                "n_replicates": cfg.score.n_replicates,
                "alias": alias,
                "alias_set": str(alias_set),
            },
        },
        "intended_use": {
            "sign_off": None,
            "primary_uses": [
                "Compare the readiness of the Russian regions on the Kazakhstan border for "
                "cross-border cooperation on three levels (transport communication, joint "
                "projects, social services), with rank uncertainty.",
                "Check whether an expert typology of these regions is supported by official "
                "statistics, and which regions disagree and why.",
                "Track how scores and types change when Rosstat publishes a new year.",
            ],
            "primary_users": [
                "regional economists",
                "analysts of cross-border cooperation",
                "reviewers of studies of the Russia–Kazakhstan border",
            ],
            "out_of_scope_uses": [
                "Ranking regions for funding or sanctions without the uncertainty intervals.",
                "Treating the profile types as the typology of Roy (2022): they are this "
                "package's operationalisation of the three-level model.",
                "Inference about trade with Kazakhstan itself: only trade with CIS countries "
                "is published by region.",
                "Regions or years outside the data the model was fitted on without refitting.",
            ],
        },
        "factors": {
            "relevant_factors": [
                {
                    "factor": "readiness level",
                    "values": list(SCORED_LEVELS),
                    "rationale": "the study's three-level model; scores are reported per level",
                },
                {
                    "factor": "cluster" if no_structure else "data type (cluster)",
                    "values": [int(c) for c in stab.clusters],
                    "rationale": (
                        "a partition of data that show no cluster structure (see Metrics, "
                        "Is there cluster structure?): not types of regions"
                        if no_structure
                        else "groups of similar regions found in the data"
                    ),
                },
                {
                    "factor": "federal district",
                    "values": sorted(set(fd.dropna())),
                    "rationale": "administrative baseline any typology should beat or explain",
                },
            ],
            "levels": _level_records(prep),
            "evaluation_factors": [
                "agreement per expert typology",
                "stability per cluster",
                "rank uncertainty per level",
            ],
        },
        "metrics": {
            "structure": structure,
            "agreement": agreement,
            "internal_consistency": internal_consistency,
            "stability": {
                "method": f"bootstrap Jaccard (fpc::clusterboot scheme), B = {stab.B};"
                f" consensus clustering ({run.consensus.scheme} scheme)",
                "pac": float(run.consensus.pac.get(run.k, float("nan"))),
                **stability_fields,
                "clusters": clusters,
            },
            "internal_indices": {
                k: (None if v != v else float(v)) for k, v in run.k_scores.loc[run.k].items()
            },
            "surrogate_fidelity": [
                {
                    "target": "cluster membership",
                    "model": f"decision tree, depth ≤ {sur.max_depth}",
                    "loo_fidelity": sur.fidelity_loo,
                    **_fidelity_null_fields(a.explanation),
                }
            ],
            "score_uncertainty": {
                "method": f"Monte Carlo, {cfg.score.n_replicates} replicates "
                "over normalisation, weighting, aggregation and "
                "indicator drop-out",
                "interval": "5–95 % of replicate ranks",
                "weighting": audit.weighting_text(report),
                "ranks": ranks,
            },
        },
        "evaluation_data": {
            "description": [
                f"The {len(prep.regions)} regions scored, year {prep.year}; expert "
                "typologies as published (see their files for citations)."
            ],
            "typologies": [
                {"name": n, "source": v.typology.citation}
                for n, v in a.validations.items()
                if not v.typology.is_own
            ],
        },
        "training_data": {
            "dataset": data_source,
            "digest": digest,
            "year": prep.year,
            "n_regions": len(prep.regions),
            "n_indicators": len(report.weights),
            "description": "Rosstat «Regions of Russia 2023», Rosstat VRP_s1998, BNS Kazakhstan "
            "and Open Data Kazakhstan, read from the raw files by the package's "
            "own readers; normalisation fitted on all Russian subjects.",
            "indicators": _indicator_records(report.weights, prep.catalogue),
        },
        "quantitative_analyses": {
            "by_type": by_type,
            "by_level": by_level,
            "by_federal_district": by_fd,
            "coherence_verdict": audit.coherence_verdict(report),
            "coherence": audit.coherence_records(report),
            "map_method": _map_sentence(a.embedding),
            "figure_captions": figure_captions(a),
        },
        "ethical_considerations": [
            "Scores rank regions, and rankings invite misuse: always read them with their "
            "intervals, which often span several ranks.",
            "Official statistics carry political and methodological choices (e.g. population "
            "recalculated after the 2020 census); the datasheet lists the known breaks.",
            "Expert typologies are reproduced only as their authors published them; nothing "
            "here is presented as an expert's classification that the expert did not publish.",
        ],
        "caveats_and_recommendations": {
            "caveats": [
                *([structure["statement"][0]] if no_structure else []),
                f"n = {len(prep.regions)} regions: clusters, agreement and surrogate figures are "
                "fragile; k is capped at n // 3.",
                "The indicator selection is this package's operationalisation of the "
                "three-level model; the paper's own indicator list is not available.",
                "Trade with Kazakhstan by region is not published; CIS trade is a proxy.",
                _CROSSING_POINTS_CAVEAT,
                *[n for n in run.notes if not n.startswith("n = ")],
            ],
            "recommendations": [
                "Validate any typology typed in from a paper with `border-readiness typology "
                "validate`, and read the contingency table, not only the ARI.",
                "Retrain when a new year is published (`border-readiness retrain --year Y`) and "
                "promote only when the comparison supports it.",
            ],
        },
        "datasheet": {
            "motivation": "Readiness of the Russian border regions for cooperation with "
            "Kazakhstan (Roy 2022), from official statistics, reproducibly.",
            "composition": {
                "sources": [{"name": s} for s in sources],
                "tables": [
                    {"indicator": i, "source_table": t}
                    for i, t in prep.data.groupby("indicator")["source_table"].first().items()
                ][:200],
                "coverage": {
                    "rows": cov["rows"],
                    "values": cov["values"],
                    "russian_subjects": cov["russian_subjects"],
                    "kazakh_units": cov["kazakh_units"],
                    "indicators": cov["indicators"],
                    "years": f"{cov['year_min']}–{cov['year_max']}",
                },
                "missingness": [
                    {
                        "region_id": g["region_id"],
                        "indicator": g["indicator"],
                        "year": g["year"],
                        "note": g["note"],
                    }
                    for g in cov["border_region_gaps"]
                ],
                "imputation_summary": imputation_summary,
                "imputations": imputations,
                "series_breaks": breaks,
            },
            "collection_process": "Copied from public repositories of the official files "
            "(see PROVENANCE.md of the raw folder); no values estimated.",
            "preprocessing": "Each published cell parsed or kept as missing with its reason; "
            "features compiled from the indicator catalogue; documented "
            "imputation only (structural zeros, carry-forward, district "
            "median). " + audit.imputation_sentence(report),
            "uses": "Readiness scoring, typology validation, retraining on new years.",
            "distribution": "Bundled with the package as a long CSV; official data remain the "
            "publishers'.",
            "maintenance": "Rebuilt from the raw folder with `border-readiness data build`.",
        },
    }


def write_card_files(files: dict[str, bytes], card_dir: Path) -> list[Path]:
    """Write rendered card files (``figures/...`` into a subfolder), each folder atomically.

    Parameters
    ----------
    files : dict of str to bytes
        File name -> content, as :func:`~border_readiness.experiments.card.render.render_card`
        returns them; names starting with ``figures/`` go into ``card_dir/figures``.
    card_dir : Path
        The card's folder, e.g. ``out/models/NAME/vN`` (created if needed).

    Returns
    -------
    list of Path
        The files written, those of ``card_dir`` first.
    """
    from border_readiness.experiments._outputs import OutputSet

    out = OutputSet(card_dir)
    figures = OutputSet(card_dir / "figures")
    for name, payload in files.items():
        folder, _, base = name.rpartition("/")
        (figures if folder == "figures" else out).bytes(base, payload)
    return out.commit() + figures.commit()


def write_card(
    card: dict, card_dir: Path, a, formats=("md", "html", "json"), *, figures=None
) -> list[Path]:
    """Render the card with its figures and write the files into ``card_dir`` atomically.

    The embedding figure reuses the run's 2-D map (``a.embedding``), so it is computed once.

    Parameters
    ----------
    card : dict
        The card's content (:func:`build_card_data`).
    card_dir : Path
        The card's folder (created if needed).
    a : Analysis
        The run's analysis: its scores and uncertainty (rank-interval figure), clusters and
        embedding (map figure, with the federal districts when they were validated).
    formats : sequence of str, default ("md", "html", "json")
        Which renderings to write.
    figures : dict of str to bytes, optional
        PNGs already drawn for the run's results, by card figure name (``'rank_intervals'``
        is the same figure as ``score/rank_intervals.png``, ``'map_typology'`` and
        ``'map_scores'`` as ``cluster/map_typology.png`` and ``score/map_scores.png``); the
        others are drawn here.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    CardDataError
        The card's content does not fit the schema.
    """
    from border_readiness.experiments._plots import figure_png, rank_interval_figure
    from border_readiness.experiments._plots_explain import embedding_figure
    from border_readiness.experiments._plots_maps import data_typology_map, score_map
    from border_readiness.experiments.artifacts import card_expert_typology
    from border_readiness.experiments.card.data import CardData
    from border_readiness.experiments.card.render import render_card
    from border_readiness.features.regions import region_table

    names = region_table()["name_en"]
    figures = dict(figures or {})
    if "rank_intervals" not in figures:
        fig = rank_interval_figure(
            a.report.scores, a.report.uncertainty, names, a.prep.year, a.report.config.n_replicates
        )
        figures["rank_intervals"] = figure_png(fig)
    if "embedding" not in figures:
        figures["embedding"] = figure_png(
            embedding_figure(
                a.embedding,
                a.run.labels,
                card_expert_typology(a),
                names,
                title=f"{a.run.method}, k = {a.run.k}",
            )
        )
    if "map_typology" not in figures:
        figures["map_typology"] = figure_png(data_typology_map(a.run, a.prep.year))
    if "map_scores" not in figures:
        figures["map_scores"] = figure_png(
            score_map(a.report.scores, a.report.uncertainty, year=a.prep.year)
        )
    return write_card_files(render_card(CardData.from_dict(card, figures), formats), card_dir)
