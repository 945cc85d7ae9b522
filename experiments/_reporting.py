"""What the commands print: short summaries of the results on stdout (the files hold the rest).

Each function takes results and prints them; nothing here computes or writes files.
"""

from __future__ import annotations

__all__ = [
    "print_cluster",
    "print_coherence_flags",
    "print_comparison",
    "print_data_summary",
    "print_explain",
    "print_imputations",
    "print_run",
    "print_scores",
    "print_validation_notes",
    "structure_line",
]


def print_imputations(report, prep) -> None:
    """How many cells the fit imputed, per indicator and method (imputations.csv has each).

    Parameters
    ----------
    report : ScoreReport
        Its ``imputations`` log (kind, method, used_in per cell).
    prep : Prepared
        The scored regions and the year.
    """
    from border_readiness.features.imputation_policy import imputation_counts

    log = report.imputations
    if log is None:
        return
    log = log[log["used_in"] != "none"]
    scored = list(prep.regions)
    mine = log[log["region_id"].isin(scored)]

    def listing(part, method: bool = True) -> str:
        counts = imputation_counts(part, scored)
        return ", ".join(
            f"{r.indicator}{' ' + r.method if method else ''} × {r.cells}"
            for r in counts.itertuples()
        )

    gap, zero = mine[mine["kind"] == "gap fill"], mine[mine["kind"] == "structural zero"]
    print(
        f"imputed in the {len(scored)} scored regions ({prep.year}): "
        + (f"{len(gap)} cells: {listing(gap)}" if len(gap) else "none (no carry-forward or median)")
    )
    if len(zero):
        print(
            f"  read as structural zero ('-' in the source): {len(zero)} cells: "
            + listing(zero, method=False)
        )
    others = log[~log["region_id"].isin(scored)]
    if len(others):
        n_ref = others["region_id"].nunique()
        print(
            f"  and {len(others)} imputed cells in {n_ref} other reference subjects "
            "(each in imputations.csv)"
        )


def structure_line(run) -> str:
    """One line saying whether the data show cluster structure, with the nulls' p-values.

    Parameters
    ----------
    run : ClusterRun
        With its structure test (:func:`~border_readiness.experiments.steps.assess_structure`).

    Returns
    -------
    str
        ``"structure test: ..."``; empty when the test was not run.
    """
    t = getattr(run, "structure", None)
    if t is None:
        return ""
    ps = ", ".join(
        f"{p:.3f} ({'column-permuted' if n == 'permuted' else 'single-Gaussian'})"
        for n, p in t.p_values.items()
    )
    head = "cluster structure" if t.has_structure else "NO cluster structure"
    tail = "" if t.has_structure else "; the clusters partition structureless data, not types"
    return (
        f"structure test: {head} (gap statistic chooses k = {t.gap_k}; best {t.criterion} "
        f"p = {ps}; B = {t.B}){tail}"
    )


def _names():
    from border_readiness.features.regions import region_table

    return region_table()["name_en"]


def _label(rid: str) -> str:
    """``"Omsk Oblast (RU-OMS)"``: printed lines name a region and give its id."""
    name = _names().get(rid, "")
    return f"{name} ({rid})" if name else str(rid)


def print_data_summary(summary: dict, label: str) -> None:
    """The coverage summary of ``data summary``.

    Parameters
    ----------
    summary : dict
        From :func:`border_readiness.features.dataset.coverage_summary`.
    label : str
        The dataset's name ("bundled" or the path).
    """
    from border_readiness.features.regions import BORDER_REGIONS

    names = _names()
    s = summary
    print(f"dataset: {label}")
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
        print(
            f"  {g['region_id']:8s} {names.get(g['region_id'], ''):30.30s} "
            f"{g['indicator']:32s} {g['year']}  {g['note']}"
        )


def print_scores(a, out) -> None:
    """The ranking of ``score``: overall score, rank interval and profile per region.

    Parameters
    ----------
    a : Analysis
    out : str or Path
        Where the files went.
    """
    names = _names()
    report, prep = a.report, a.prep
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
    print_coherence_flags(report)
    print_imputations(report, prep)
    print(f"wrote results to {out}")


def print_coherence_flags(report) -> None:
    """One line per level that fails the coherence thresholds (coherence.csv has the rest).

    Parameters
    ----------
    report : ScoreReport
        The score, with its ``coherence`` table (nothing is printed without one).
    """
    table = report.coherence
    if table is None:
        return
    for _, r in table.iterrows():
        if r["flag"] == "ok" or r["flag"].startswith("n/a"):
            continue
        print(
            f"coherence: {r['level']} fails {r['flag']} (alpha {r['cronbach_alpha']:.2f}, "
            f"PC1 {r['pc1_share']:.0%}, {int(r['n_negative_pairs'])}/{int(r['n_pairs'])} "
            f"pairs negative over {int(r['n_regions'])} subjects): not one construct"
        )


def print_cluster(a, out) -> None:
    """The clusters of ``cluster`` with their bootstrap verdicts and the consensus PAC.

    Parameters
    ----------
    a : Analysis
    out : str or Path
    """
    run = a.run
    stab = run.stability
    print(
        f"{run.method}, k = {run.k} on {len(a.prep.regions)} regions ({a.prep.year}); "
        f"bootstrap B = {stab.B} in {run.elapsed_stability_s:.2f} s"
    )
    if line := structure_line(run):
        print(line)
    for c, jm, verdict in zip(stab.clusters, stab.jaccard_mean, stab.verdict, strict=True):
        members = ", ".join(_label(r) for r in run.labels.index[run.labels == c])
        print(f"  cluster {c}: mean Jaccard {jm:.2f} ({verdict}): {members}")
    print(
        "  consensus PAC by k: " + ", ".join(f"{k}: {v:.2f}" for k, v in run.consensus.pac.items())
    )
    from border_readiness.experiments.artifacts import consensus_sentence

    print(f"  {consensus_sentence(run)}")
    for note in run.notes:
        print(f"note: {note}")
    print(f"wrote results to {out}")


def ari_range_text(rep) -> str:
    """The ARI's range over the admissible resolutions of the multi-type regions, in words.

    Parameters
    ----------
    rep : AgreementReport
        An agreement report (:func:`~border_readiness.clustering.agreement.agreement`).

    Returns
    -------
    str
        E.g. "range over the 8 resolutions of the 3 two-type regions -0.113..0.165"; an empty
        string when no region carries several expert types.

    Examples
    --------
    >>> import pandas as pd
    >>> from border_readiness.clustering.agreement import agreement
    >>> expert = pd.Series({"A": "W", "B": "W", "C": "E", "D": ("E", "W")})
    >>> rep = agreement(expert, pd.Series({"A": 0, "B": 0, "C": 1, "D": 0}),
    ...                 n_permutations=0, n_bootstrap=0)
    >>> ari_range_text(rep)
    'range over the 2 resolutions of the 1 two-type region 0.000..1.000'
    """
    if rep.n_resolutions <= 1:
        return ""
    lo, hi = rep.ari_range
    counts = {len(t) for t in rep.resolved_multi_type["expert_types"]}
    words = {2: "two-type", 3: "three-type", 4: "four-type"}
    kind = words.get(counts.pop(), "multi-type") if len(counts) == 1 else "multi-type"
    n_multi = len(rep.resolved_multi_type)
    listed = "" if len(rep.resolutions) == rep.n_resolutions else f"{len(rep.resolutions)} of "
    return (
        f"range over {listed}the {rep.n_resolutions} resolutions of the {n_multi} {kind} "
        f"region{'s' if n_multi > 1 else ''} {lo:.3f}..{hi:.3f}"
    )


def print_validation_notes(a, out) -> None:
    """The notes of ``typology validate`` after its report, and where the files went.

    The report itself (names, contingency table, metrics, stability, disagreements) is
    :func:`~border_readiness.experiments._validation_report.report_text`.

    Parameters
    ----------
    a : Analysis
    out : str or Path
    """
    for name, v in a.validations.items():
        if v.typology.is_own:
            print(
                f"note: {name} is border-readiness's own profile typology, made from the same "
                "indicators: this is internal consistency, not a validation against an expert"
            )
        for note in v.report.notes:
            print(f"note: {note}")
    print(f"wrote results to {out} (the report as validation.md)")


def print_explain(a, out) -> None:
    """The fidelity of ``explain``'s surrogate and its notes.

    Parameters
    ----------
    a : Analysis
    out : str or Path
    """
    sur = a.explanation.surrogate
    print(
        f"exact SHAP of the three level scores for {len(a.prep.regions)} regions; surrogate "
        f"tree of the {a.run.method} clusters (k = {a.run.k}): LOO fidelity "
        f"{sur.fidelity_loo:.2f}, training fidelity {sur.fidelity_train:.2f}"
    )
    print(fidelity_line(a.explanation))
    for note in sur.notes:
        print(f"note: {note}")
    print(f"wrote results to {out}")


def print_run(summary, a, *, decision_printed: bool = False) -> None:
    """The summary of ``run`` and ``retrain``, printed.

    Run, model version and alias, headline figures, where the files went, the time per step
    and how to open the MLflow UI.

    Parameters
    ----------
    summary : RunSummary
    a : Analysis
    decision_printed : bool, default False
        ``retrain`` has printed its reasons already; say only where the alias went.
    """
    stab = a.run.stability
    print(f"run {summary.run_id} ({summary.tracking_uri})")
    if decision_printed:
        what = "alias set on it" if summary.alias_set else "alias kept on the earlier version"
        print(f"model {summary.model_name} version {summary.version}: {what}")
    else:
        print(f"model {summary.model_name} version {summary.version}: {summary.alias_note}")
    print(
        f"year {summary.year}, {len(a.prep.regions)} regions, {a.run.method} "
        f"k = {a.run.k}; mean Jaccard per cluster "
        + ", ".join(f"{j:.2f}" for j in stab.jaccard_mean)
    )
    if line := structure_line(a.run):
        print(line)
    print_imputations(a.report, a.prep)
    # Expert typologies first; the package's own profiles after them, as what they are.
    validations = sorted(a.validations.items(), key=lambda item: item[1].typology.is_own)
    for name, v in validations:
        r = v.report
        what = (
            f"internal consistency with own profiles {name} (same indicators; not a validation)"
            if v.typology.is_own
            else f"agreement with {name}"
        )
        print(
            f"  {what}: ARI {r.ari:.2f} [{r.ari_ci[0]:.2f}, {r.ari_ci[1]:.2f}],"
            f" p = {r.p_value:.3f}, n = {r.n_regions}"
            + (f"; {ari_range_text(r)}" if r.n_resolutions > 1 else "")
        )
    print(fidelity_line(a.explanation))
    print_coherence_flags(a.report)
    print(f"results: {summary.results_dir}")
    print(f"model card: {summary.card_dir}")
    t = summary.timings
    print("time: " + ", ".join(f"{k.removesuffix('_s')} {v:.1f} s" for k, v in t.items()))
    if summary.tracking_uri.startswith(("http://", "https://")):
        print(f"open the MLflow UI: {summary.tracking_uri} in a browser")
    else:
        print("open the MLflow UI: mlflow ui --backend-store-uri " + summary.tracking_uri)


def print_comparison(comparison) -> None:
    """What ``retrain`` found against the registered model, and its decision with reasons.

    Parameters
    ----------
    comparison : Comparison
        From :func:`border_readiness.experiments.retrain.compare`.
    """
    t = comparison.transitions
    ranks = comparison.ranks
    beyond = ranks[ranks["beyond_uncertainty"].fillna(False).astype(bool)]
    drift = comparison.drift
    large = drift[drift["effect"] == "large"] if "effect" in drift else drift.iloc[:0]
    print(
        f"retrain on {comparison.new_year} vs version {comparison.old_version} "
        f"({comparison.old_year}): ARI between the partitions {t.ari:.2f}; transitions: "
        + ", ".join(f"{k} {v}" for k, v in t.events["transition"].value_counts().items())
    )
    changes = ", ".join(
        f"{_label(r.region_id)} {r.level} {r.old_rank:.0f}->{r.new_rank:.0f}"
        for r in beyond.itertuples()
    )
    print(
        f"  rank changes beyond the uncertainty intervals: {len(beyond)} of {len(ranks)}"
        + (f": {changes}" if len(beyond) else "")
    )
    print(f"  indicators with large drift (|rank-biserial| >= 0.5): {len(large)} of {len(drift)}")
    print(f"  decision: {comparison.decision.action}, because:")
    for reason in comparison.decision.reasons:
        print(f"    - {reason}")


def fidelity_line(explanation) -> str:
    """``surrogate LOO fidelity 1.00 (null median 0.92, p = 0.41)``: the fidelity beside its null.

    Parameters
    ----------
    explanation : ExplainRun
        From :func:`~border_readiness.experiments.interpret.explain`.

    Returns
    -------
    str
    """
    sur, null = explanation.surrogate, getattr(explanation, "fidelity_null", None)
    text = f"surrogate LOO fidelity {sur.fidelity_loo:.2f}"
    if null is None:
        return text
    text += (
        f" (null median {null.median:.2f}, p = {null.p_value:.3f}, {null.B} structureless "
        f"replicates; {null.share_above_threshold:.0%} of them reach 0.70)"
    )
    if null.p_value > 0.05:
        text += (
            ": not distinguishable from what the same tree reaches on clusters of structureless "
            "data (p > 0.05), so its SHAP values are no evidence that these clusters have reasons"
        )
    return text
