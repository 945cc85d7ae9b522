"""A fitted readiness model frozen into plain JSON, and its prediction on new long data.

The state holds everything needed to score new data the way the training run did: the
indicator catalogue, the outlier treatment and normalisation parameters fitted on all Russian
subjects of the training year, the weights, the SHAP background means, the level-score
distribution of the training subjects (for profile percentiles), the profile rules and the
cluster centroids. It is JSON — no pickle — so a registered model can be loaded without
executing untrusted serialised code.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from features.catalogue import SCORED_LEVELS, Indicator
from features.profiles import ProfileRule, assign_profiles

__all__ = ["freeze", "predict_frozen", "STATE_VERSION"]

STATE_VERSION = 1


def freeze(prep, report, run) -> dict:
    """The JSON-ready state of a fitted pipeline (prepared data, score report, cluster run).

    Examples
    --------
    >>> state = freeze(prep, report, run)  # doctest: +SKIP
    >>> sorted(state)[:3]  # doctest: +SKIP
    ['background_mean', 'catalogue', 'centroids']
    """
    raw = prep.compiled.matrix
    weights = report.weights.set_index("indicator")
    features = list(weights.index)
    log = report.outliers.set_index("indicator") if len(report.outliers) else pd.DataFrame()
    treatment = {}
    for f in features:
        action = str(log.at[f, "action"]) if f in log.index else "none"
        entry = {"action": action}
        if action == "winsorised":
            # New values are clipped to the range the treated training data spanned.
            treated = _treated_column(raw[f], log.loc[f])
            entry.update(lo=float(treated.min()), hi=float(treated.max()))
        elif action == "log":
            entry.update(
                lo=float(raw[f].min()), hi=float(raw[f].max()), skew=float(log.at[f, "skew_before"])
            )
        treatment[f] = entry
    treated_all = _apply_treatment(raw[features], treatment)
    if report.config.normalisation != "minmax":
        raise ValueError("the frozen model supports the min-max normalisation only")
    lo, hi = treated_all.min(), treated_all.max()
    Xn_all = report.normalised_all[features]
    level_all = report.scores  # selected regions only; the distribution needs all subjects
    from features import composite

    lw = composite.aggregate(Xn_all, weights["weight"], weights["level"], report.config.aggregation)
    lw["overall"] = composite.overall_score(lw[list(SCORED_LEVELS)])
    centroids = (report.normalised / 100.0)[features].groupby(run.labels).mean()
    del level_all
    return {
        "state_version": STATE_VERSION,
        "year": prep.year,
        "regions": prep.regions,
        "catalogue": [vars(i) for i in prep.catalogue],
        "features": features,
        "levels": weights["level"].to_dict(),
        "weights": weights["weight"].to_dict(),
        "directions": weights["direction"].astype(int).to_dict(),
        "treatment": treatment,
        "minmax": {f: [float(lo[f]), float(hi[f])] for f in features},
        "background_mean": Xn_all.mean().to_dict(),
        "level_distribution": {c: sorted(float(v) for v in lw[c]) for c in lw.columns},
        "profile_rules": [vars(r) for r in prep.rules],
        "cluster_method": run.method,
        "centroids": {str(int(k)): row.to_dict() for k, row in centroids.iterrows()},
        "aggregation": report.config.aggregation,
    }


def _treated_column(values: pd.Series, log_row: pd.Series) -> pd.Series:
    regions = [r for r in str(log_row.get("winsorised_regions", "")).split("|") if r]
    rest = values.drop(regions, errors="ignore")
    out = values.copy()
    for r in regions:
        out[r] = rest.max() if values[r] > rest.median() else rest.min()
    return out


def _apply_treatment(X: pd.DataFrame, treatment: dict) -> pd.DataFrame:
    out = X.copy()
    for f, t in treatment.items():
        if f not in out:
            continue
        if t["action"] == "winsorised":
            out[f] = out[f].clip(t["lo"], t["hi"])
        elif t["action"] == "log":
            offset = 0.01 * (t["hi"] - t["lo"])
            if t["skew"] >= 0:
                out[f] = np.log(np.maximum(out[f] - t["lo"] + offset, offset))
            else:
                out[f] = -np.log(np.maximum(t["hi"] - out[f] + offset, offset))
    return out


def predict_frozen(state: dict, data: pd.DataFrame, *, year: int | None = None) -> pd.DataFrame:
    """Score new long-layout data with a frozen state.

    Returns one row per region: ``region_id, year, cluster, profile_type``, the level and
    overall scores (``score__<level>``) and the exact SHAP contribution of every indicator to
    its level score (``shap__<level>__<feature>``) relative to the training year's average
    Russian subject.

    Examples
    --------
    >>> predict_frozen(state, load_dataset())  # doctest: +SKIP
    """
    from features.dataset import validate_long
    from features.indicators import compile_indicators
    from features.regions import russian_subjects

    data = validate_long(data, source="model input")
    catalogue = [Indicator(**entry) for entry in state["catalogue"]]
    regions = [r for r in russian_subjects() if r in set(data["region_id"])]
    if year is None:
        # The latest year whose features are complete for the regions the model was fitted
        # on (or those present), as at training time.
        from features.indicators import latest_complete_year

        focus = [r for r in state["regions"] if r in regions] or regions
        year = latest_complete_year(data, regions=focus, catalogue=catalogue)
    year = int(year)
    compiled = compile_indicators(data, year=year, regions=regions, catalogue=catalogue)
    if compiled.matrix.empty:
        raise ValueError(
            f"no region of the input can be scored for {year}: "
            f"{len(compiled.refused)} refused for too little data"
        )
    features = state["features"]
    X = _apply_treatment(compiled.matrix[features], state["treatment"])
    Xn = pd.DataFrame(index=X.index)
    for f in features:
        lo, hi = state["minmax"][f]
        scaled = (X[f] - lo) / (hi - lo) * 100.0 if hi > lo else np.nan
        Xn[f] = scaled if state["directions"][f] > 0 else 100.0 - scaled
    levels = pd.Series(state["levels"])[features]
    weights = pd.Series(state["weights"])[features]
    out = pd.DataFrame(index=X.index)
    out["year"] = year
    level_scores = {}
    for level in SCORED_LEVELS:
        cols = list(levels.index[levels == level])
        w = weights[cols] / weights[cols].sum()
        level_scores[level] = (Xn[cols] * w).sum(axis=1)
        for c in cols:
            out[f"shap__{level}__{c}"] = w[c] * (Xn[c] - state["background_mean"][c])
    scores = pd.DataFrame(level_scores)
    scores["overall"] = scores[list(SCORED_LEVELS)].mean(axis=1)
    pct = pd.DataFrame(
        {
            c: [_percentile(state["level_distribution"][c], v) for v in scores[c]]
            for c in scores.columns
        },
        index=scores.index,
    )
    rules = [ProfileRule(**r) for r in state["profile_rules"]]
    out["profile_type"] = assign_profiles(pct, rules)
    centroids = pd.DataFrame(state["centroids"]).T[features].astype(float)
    Z = (Xn / 100.0).to_numpy()
    d = ((Z[:, None, :] - centroids.to_numpy()[None, :, :]) ** 2).sum(axis=2)
    out["cluster"] = [int(centroids.index[i]) for i in d.argmin(axis=1)]
    for c in scores.columns:
        out[f"score__{c}"] = scores[c]
    out = out.reset_index().rename(columns={"index": "region_id"})
    first = ["region_id", "year", "cluster", "profile_type"]
    return out[first + [c for c in out.columns if c not in first]]


def _percentile(distribution: list[float], value: float) -> float:
    # The share of training subjects scoring lower, in the same 0–100 sense as the training
    # percentiles (average rank among the training subjects).
    if math.isnan(value):
        return math.nan
    arr = np.asarray(distribution)
    below = float((arr < value).sum()) + 0.5 * float((arr == value).sum())
    n = len(arr)
    return 100.0 * max(0.0, below - 0.5) / max(n - 1, 1)


def dumps(state: dict) -> str:
    """The state as deterministic JSON text."""
    return json.dumps(state, ensure_ascii=False, indent=1, sort_keys=True, default=float) + "\n"
