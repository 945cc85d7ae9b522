"""Statistical coherence of each level: the OECD/JRC Handbook's multivariate-analysis step.

The Handbook (OECD/JRC 2008, step 4 and section 4.1) asks, before weighting and aggregating,
whether the indicators of a dimension measure one construct: Cronbach's α, the item–rest
correlation of each indicator and the share of variance on the first principal component;
negatively correlated indicators within a dimension signal trade-offs the arithmetic mean
compensates silently. :func:`coherence` computes them per level on the matrix the composite
aggregates (normalised, direction applied, so higher is always more ready), over the
reference regions, and flags levels below documented thresholds (:data:`THRESHOLDS`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["THRESHOLDS", "coherence", "cronbach_alpha", "item_rest_correlations"]

#: Flag thresholds and their sources. α ≥ 0.7: Nunnally (1978), *Psychometric Theory*, 2nd ed.,
#: the rule of thumb the Handbook quotes; item–rest ≥ 0.3: the usual rule for corrected
#: item–total correlations (e.g. Field 2013, *Discovering Statistics Using SPSS*, 4th ed.,
#: §17.9); PC1 share ≥ 0.5: this package's convention (one component explains at least half
#: the variance of the standardised indicators), not a published rule.
THRESHOLDS: dict[str, float] = {"cronbach_alpha": 0.7, "item_rest": 0.3, "pc1_share": 0.5}


def cronbach_alpha(X: pd.DataFrame) -> float:
    """Cronbach's α of the columns of ``X`` (complete rows): k/(k−1)·(1 − Σσ²ᵢ/σ²ₜ).

    Parameters
    ----------
    X : DataFrame
        Rows = units, columns = items (at least two), on the scale they are summed on.

    Returns
    -------
    float
        α; NaN with fewer than two items or two complete rows, or a total without variance.

    Examples
    --------
    >>> import pandas as pd
    >>> round(cronbach_alpha(pd.DataFrame({"a": [1.0, 2, 3], "b": [1.0, 2, 3]})), 6)
    1.0
    """
    X = X.dropna()
    k = X.shape[1]
    if k < 2 or len(X) < 2:
        return float("nan")
    total = X.sum(axis=1).var(ddof=1)
    if not total > 0:
        return float("nan")
    return float(k / (k - 1) * (1 - X.var(ddof=1).sum() / total))


def item_rest_correlations(X: pd.DataFrame) -> pd.Series:
    """Pearson correlation of each column with the sum of the other columns (complete rows).

    Parameters
    ----------
    X : DataFrame
        Rows = units, columns = items.

    Returns
    -------
    pandas.Series
        Item -> item–rest correlation (NaN when either side has no variance).

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"a": [1.0, 2, 3], "b": [1.0, 2, 3], "c": [3.0, 2, 1]})
    >>> item_rest_correlations(X).round(3).tolist()
    [nan, nan, -1.0]
    """
    X = X.dropna()
    total = X.sum(axis=1)
    out = {}
    for c in X.columns:
        rest = total - X[c]
        ok = X[c].std() > 0 and rest.std() > 0
        out[c] = float(np.corrcoef(X[c], rest)[0, 1]) if ok else float("nan")
    return pd.Series(out, dtype=float, name="item_rest")


def coherence(
    Xn: pd.DataFrame,
    groups: pd.Series | Mapping,
    *,
    thresholds: Mapping[str, float] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Coherence of each level of a normalised, direction-adjusted matrix.

    Parameters
    ----------
    Xn : DataFrame
        Reference regions × indicators, normalised with direction applied (higher = more
        ready), as the composite aggregates them.
    groups : Series or mapping
        Level of each indicator.
    thresholds : mapping, optional
        Overrides of :data:`THRESHOLDS`.

    Returns
    -------
    levels : DataFrame
        One row per level: ``level, n_regions, n_indicators, cronbach_alpha`` (on ``Xn`` as
        aggregated), ``cronbach_alpha_standardised`` (on z-scores), ``pc1_share`` (largest
        eigenvalue of the correlation matrix / k), ``n_eigen_above_1`` (Kaiser), ``n_pairs``,
        ``n_negative_pairs``, ``negative_pairs`` (``a~b|...``), ``min_item_rest``,
        ``low_item_rest`` (indicators below the threshold, ``|``-joined) and ``flag``
        (``ok``, the failed checks, e.g. ``alpha<0.7|pc1_share<0.5``, or ``n/a: one
        indicator``).
    items : DataFrame
        ``level, indicator, item_rest, flag`` (``ok`` or ``item_rest<0.3``).

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 1, 4, 3], "c": [4.0, 3, 2, 1]})
    >>> levels, items = coherence(X, {"a": "t", "b": "t", "c": "s"})
    >>> levels["flag"].tolist()
    ['ok', 'n/a: one indicator']
    """
    th = {**THRESHOLDS, **(thresholds or {})}
    g = pd.Series(groups).reindex(Xn.columns)
    rows, item_rows = [], []
    for level in pd.unique(g):
        cols = list(g.index[g == level])
        X = Xn[cols].dropna()
        k = len(cols)
        alpha = cronbach_alpha(X)
        z = (X - X.mean()) / X.std(ddof=1)
        alpha_std = cronbach_alpha(z)
        corr = X.corr().to_numpy()
        if k >= 2 and np.isfinite(corr).all():
            eig = np.linalg.eigvalsh(corr)
            pc1, kaiser = float(eig[-1] / k), int((eig > 1).sum())
        else:
            pc1, kaiser = float("nan"), 0
        pairs = [(a, b) for i, a in enumerate(cols) for b in cols[i + 1 :]]
        negative = [f"{a}~{b}" for a, b in pairs if X[a].corr(X[b]) < 0]
        ir = item_rest_correlations(X) if k >= 2 else pd.Series(np.nan, index=cols)
        low = [c for c in cols if k >= 2 and not ir[c] >= th["item_rest"]]
        failed = [] if k >= 2 else ["n/a: one indicator"]
        if k >= 2 and not alpha >= th["cronbach_alpha"]:
            failed.append(f"alpha<{th['cronbach_alpha']:g}")
        if k >= 2 and not pc1 >= th["pc1_share"]:
            failed.append(f"pc1_share<{th['pc1_share']:g}")
        if low:
            failed.append(f"item_rest<{th['item_rest']:g}")
        rows.append(
            {
                "level": level,
                "n_regions": len(X),
                "n_indicators": k,
                "cronbach_alpha": alpha,
                "cronbach_alpha_standardised": alpha_std,
                "pc1_share": pc1,
                "n_eigen_above_1": kaiser,
                "n_pairs": len(pairs),
                "n_negative_pairs": len(negative),
                "negative_pairs": "|".join(negative),
                "min_item_rest": float(ir.min()),
                "low_item_rest": "|".join(low),
                "flag": "|".join(failed) or "ok",
            }
        )
        item_rows.extend(
            {
                "level": level,
                "indicator": c,
                "item_rest": float(ir[c]),
                "flag": "ok" if c not in low else f"item_rest<{th['item_rest']:g}",
            }
            for c in cols
        )
    return pd.DataFrame(rows), pd.DataFrame(item_rows)
