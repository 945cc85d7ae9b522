"""The card's words and tables on the composite's inputs: coherence, weighting, imputations."""

from __future__ import annotations

import json

import pandas as pd

from border_readiness.features.composite.coherence import THRESHOLDS
from border_readiness.features.imputation_log import imputation_summary


def _records(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records", double_precision=6))


def coherence_records(report) -> list[dict]:
    """One record per level: α, PC1 share, negative pairs and the flag (empty if not computed)."""
    table = report.coherence
    if table is None or table.empty:
        return []
    cols = [
        "level",
        "n_regions",
        "n_indicators",
        "cronbach_alpha",
        "cronbach_alpha_standardised",
        "pc1_share",
        "n_eigen_above_1",
        "n_negative_pairs",
        "n_pairs",
        "min_item_rest",
        "low_item_rest",
        "flag",
    ]
    return _records(table[cols])


def coherence_verdict(report) -> list[str]:
    """In words: which levels fail the documented thresholds, and what that means."""
    table = report.coherence
    if table is None or table.empty:
        return ["Coherence was not computed."]
    th = THRESHOLDS
    lines = [
        f"Over the {int(table['n_regions'].max())} reference regions, on the indicators as the "
        f"nominal model aggregates them; thresholds: Cronbach's α ≥ {th['cronbach_alpha']:g} "
        f"(Nunnally 1978), item–rest correlation ≥ {th['item_rest']:g} (Field 2013), share of "
        f"variance on the first principal component ≥ {th['pc1_share']:g} (this package's "
        "convention)."
    ]
    failing = table[~table["flag"].isin(["ok"]) & ~table["flag"].str.startswith("n/a")]
    for _, r in failing.iterrows():
        lines.append(
            f"{r['level']} fails ({r['flag']}): α = {r['cronbach_alpha']:.2f}, first component "
            f"{r['pc1_share']:.0%} of the variance, {int(r['n_negative_pairs'])} of "
            f"{int(r['n_pairs'])} indicator pairs negatively correlated; its indicators do not "
            "measure one construct, so its score is an average of partly opposed quantities "
            "(the arithmetic mean lets them compensate one another)."
        )
    if failing.empty:
        lines.append("Every level meets the thresholds.")
    elif len(failing) == len(table):
        lines.append("No level is statistically coherent by these thresholds.")
    return lines


def weighting_text(report) -> str:
    """The distinct weighting schemes the Monte Carlo and Sobol' sampled, and any merge."""
    f = report.factors
    rows = f[f["factor"] == "weighting"] if "factor" in f else f
    if not len(rows):
        return "no Monte Carlo run"
    row = rows.iloc[0]
    text = ", ".join(map(str, row["values"]))
    return f"{text}; {row['note']}" if row["note"] else f"{text} (uniform)"


def imputation_records(report) -> tuple[list[dict], list[dict]]:
    """The datasheet's summary (by kind, method, role) and the full log of imputed cells."""
    log = report.imputations
    if log is None or log.empty:
        return [], []
    summary = imputation_summary(log)
    # Each (kind, method, role) row also says which indicators, with their cell counts.
    for row in summary:
        part = log[
            (log["kind"] == row["kind"])
            & (log["method"] == row["method"])
            & (log["used_in"] == row["used_in"])
        ]
        counts = part["indicator"].value_counts()
        row["indicators"] = ", ".join(f"{i} × {n}" for i, n in sorted(counts.items()))
    return summary, _records(log)


def imputation_sentence(report) -> str:
    """One sentence: imputed cells of the reference matrix by kind, and those of scored regions."""
    log = report.imputations
    if log is None or log.empty:
        return "No cell was imputed."
    n_ref = len(report.normalised_all)
    kinds = log["kind"].value_counts()
    scored = log[log["used_in"].str.contains("scored")]
    gap = log[log["kind"] == "gap fill"]
    return (
        f"{len(log)} imputed cells in the matrix of the {n_ref} reference subjects the "
        f"normalisation is fitted on: {int(kinds.get('structural zero', 0))} structural zeros "
        f"(source cells published as '-') and {int(kinds.get('gap fill', 0))} gap fills"
        + (f" ({', '.join(sorted(gap['region_id'].unique()))})" if len(gap) else "")
        + f"; {len(scored)} of them in scored regions"
        + (f" ({', '.join(sorted(scored['region_id'].unique()))})" if len(scored) else "")
        + ". "
        + _policy_sentence(report)
    )


def _policy_sentence(report) -> str:
    """The imputation policy the fit passed, with the largest shares it reached."""
    from border_readiness.features.imputation_policy import indicator_shares

    cfg = report.config
    regions = sorted(report.scores["region_id"].unique())
    shares = indicator_shares(report.imputations, regions)
    top = (
        f"largest here {shares.iloc[0]:.0%} ({shares.index[0]})"
        if len(shares)
        else "no indicator gap-filled in a scored region"
    )
    return (
        f"Policy: a region gap-filled in more than {cfg.max_imputed_share:.0%} of its scored "
        f"features is refused; a fit where one indicator is gap-filled for more than "
        f"{cfg.max_imputed_share_indicator:.0%} of the scored regions is refused ({top})."
    )
