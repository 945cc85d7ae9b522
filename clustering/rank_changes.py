"""Rank and score changes between two fits, read against their rank uncertainty.

:func:`rank_changes` compares two fits' scores region by region and level by level.

With a dozen regions a one-sided excursion from a rank interval is common, so a move counts
only when neither model's uncertainty can explain it. Pure computation: no file I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["rank_changes"]

_LEVEL_ORDER = ("transport_communication", "joint_projects", "social_services", "overall")
_KEYS = ["region_id", "level"]
_SCORE_COLUMNS = ("region_id", "level", "score", "rank")
_UNCERTAINTY_COLUMNS = ("region_id", "level", "rank_p05", "rank_median", "rank_p95")


def _require_columns(frame: Any, columns: Sequence[str], name: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{name} lacks column(s) {', '.join(missing)}; expected {', '.join(columns)}"
        )
    if frame.duplicated(_KEYS).any():
        first = frame.loc[frame.duplicated(_KEYS), _KEYS].iloc[0]
        raise ValueError(
            f"{name} has more than one row for region {first['region_id']}, level {first['level']}"
        )
    return frame


def _interval(low: float, high: float) -> str | None:
    if not (np.isfinite(low) and np.isfinite(high)):
        return None
    return f"{low:g}–{high:g}"


def rank_changes(
    old_scores: pd.DataFrame,
    new_scores: pd.DataFrame,
    old_uncertainty: pd.DataFrame,
    new_uncertainty: pd.DataFrame,
) -> pd.DataFrame:
    """Rank and score changes per region and level, read against the rank uncertainty.

    A rank move counts as *beyond uncertainty* only when it is beyond it in both directions:
    the new nominal rank lies outside the OLD model's 5–95 % rank interval AND the old
    nominal rank lies outside the NEW model's interval. Then neither model's Monte Carlo
    uncertainty (weights, normalisation, imputation...) can explain the move. A one-sided
    excursion is common with 12 regions and is not flagged.

    Parameters
    ----------
    old_scores, new_scores : DataFrame
        Columns ``region_id, level, score, rank`` (rank 1 = most ready), one row per region and
        level, as ``ScoreReport.scores``.
    old_uncertainty, new_uncertainty : DataFrame
        Columns ``region_id, level, rank_p05, rank_median, rank_p95``, as
        ``ScoreReport.uncertainty``. Rows without a score row are ignored.

    Returns
    -------
    DataFrame
        One row per (region, level) present in either model, levels in the study's order then
        by new rank: ``region_id, level, old_rank, new_rank, rank_change`` (new − old, so
        negative means the region moved up towards rank 1), ``old_score, new_score,
        score_change`` (new − old; scores normalised within each year compare positions rather
        than absolute levels), ``old_rank_p05, old_rank_p95, new_rank_p05, new_rank_p95``,
        ``old_interval, new_interval`` (text "p05–p95"), ``intervals_overlap`` and
        ``beyond_uncertainty`` (nullable booleans, <NA> when a figure is missing) and ``note``
        (why a figure is missing, else "").

    Examples
    --------
    >>> import pandas as pd
    >>> def frames(ranks, lows, highs):
    ...     ids = ["RU-OMS", "RU-ORE", "RU-AST"]
    ...     s = pd.DataFrame({"region_id": ids, "level": "overall",
    ...                       "score": [60.0 - 10 * r for r in ranks], "rank": ranks})
    ...     u = pd.DataFrame({"region_id": ids, "level": "overall", "rank_p05": lows,
    ...                       "rank_median": ranks, "rank_p95": highs})
    ...     return s, u
    >>> old_s, old_u = frames([1, 2, 3], [1, 1, 3], [1, 3, 3])
    >>> new_s, new_u = frames([3, 2, 1], [2, 1, 1], [3, 3, 2])
    >>> out = rank_changes(old_s, new_s, old_u, new_u)
    >>> out[["region_id", "old_rank", "new_rank", "old_interval", "new_interval",
    ...      "beyond_uncertainty"]]
      region_id  old_rank  new_rank old_interval new_interval  beyond_uncertainty
    0    RU-AST         3         1          3–3          1–2                True
    1    RU-ORE         2         2          1–3          1–3               False
    2    RU-OMS         1         3          1–1          2–3                True
    """
    frames = {}
    for side, scores, uncertainty in (
        ("old", old_scores, old_uncertainty),
        ("new", new_scores, new_uncertainty),
    ):
        scores = _require_columns(scores, _SCORE_COLUMNS, f"{side}_scores")
        uncertainty = _require_columns(uncertainty, _UNCERTAINTY_COLUMNS, f"{side}_uncertainty")
        merged = scores[list(_SCORE_COLUMNS)].merge(
            uncertainty[[*_KEYS, "rank_p05", "rank_p95"]], on=_KEYS, how="left"
        )
        merged["has_interval"] = merged["rank_p05"].notna() & merged["rank_p95"].notna()
        frames[side] = merged.rename(
            columns={c: f"{side}_{c}" for c in merged.columns if c not in _KEYS}
        )
    both = frames["old"].merge(frames["new"], on=_KEYS, how="outer", indicator=True)

    def num(column: str) -> np.ndarray:
        return pd.to_numeric(both[column], errors="raise").to_numpy(dtype=float)

    old_rank, new_rank = num("old_rank"), num("new_rank")
    o_lo, o_hi = num("old_rank_p05"), num("old_rank_p95")
    n_lo, n_hi = num("new_rank_p05"), num("new_rank_p95")
    known = np.isfinite(old_rank) & np.isfinite(new_rank)
    with np.errstate(invalid="ignore"):
        new_outside_old = (new_rank < o_lo) | (new_rank > o_hi)
        old_outside_new = (old_rank < n_lo) | (old_rank > n_hi)
        overlap = (o_lo <= n_hi) & (n_lo <= o_hi)
    intervals_known = np.isfinite(o_lo) & np.isfinite(o_hi) & np.isfinite(n_lo) & np.isfinite(n_hi)
    known_all = known & intervals_known

    notes = []
    for presence, old_has, new_has in zip(
        both["_merge"], both["old_has_interval"], both["new_has_interval"], strict=True
    ):
        if presence == "left_only":
            notes.append("only in the old scores")
        elif presence == "right_only":
            notes.append("only in the new scores")
        else:
            missing = [s for s, has in (("old", old_has), ("new", new_has)) if not has]
            notes.append(f"no {' or '.join(missing)} rank interval" if missing else "")

    out = pd.DataFrame(
        {
            "region_id": both["region_id"],
            "level": both["level"],
            "old_rank": both["old_rank"],
            "new_rank": both["new_rank"],
            "rank_change": new_rank - old_rank,
            "old_score": num("old_score"),
            "new_score": num("new_score"),
            "score_change": num("new_score") - num("old_score"),
            "old_rank_p05": o_lo,
            "old_rank_p95": o_hi,
            "new_rank_p05": n_lo,
            "new_rank_p95": n_hi,
            "old_interval": [_interval(a, b) for a, b in zip(o_lo, o_hi, strict=True)],
            "new_interval": [_interval(a, b) for a, b in zip(n_lo, n_hi, strict=True)],
            "intervals_overlap": pd.array(
                [bool(v) if k else pd.NA for v, k in zip(overlap, intervals_known, strict=True)],
                dtype="boolean",
            ),
            "beyond_uncertainty": pd.array(
                [
                    bool(a and b) if k else pd.NA
                    for a, b, k in zip(new_outside_old, old_outside_new, known_all, strict=True)
                ],
                dtype="boolean",
            ),
            "note": notes,
        }
    )
    if known.all():
        # Whole ranks stay integers when every region is in both models.
        for column in ("old_rank", "new_rank"):
            if (out[column] % 1 == 0).all():
                out[column] = out[column].astype(np.int64)
        if (out["rank_change"] % 1 == 0).all():
            out["rank_change"] = out["rank_change"].astype(np.int64)
    order = {level: i for i, level in enumerate(_LEVEL_ORDER)}
    out["_level"] = out["level"].map(lambda lv: order.get(lv, len(order)))
    out = out.sort_values(
        ["_level", "level", "new_rank", "old_rank", "region_id"],
        na_position="last",
        kind="mergesort",
    )
    return out.drop(columns="_level").reset_index(drop=True)
