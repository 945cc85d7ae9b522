"""How the indicators and the agreement with expert typologies moved between two fits.

* :func:`indicator_drift`: paired shift of each feature between two years, with effect sizes
  for a dozen regions (:func:`matched_pairs_rank_biserial`, :func:`hodges_lehmann`);
* :func:`typology_agreement_over_time`: agreement with each expert typology over the years.

A Wilcoxon test on 12 pairs has little power, so the effect sizes come first. Pure
computation (numpy, scipy, pandas): no file I/O, no tracking.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "hodges_lehmann",
    "indicator_drift",
    "matched_pairs_rank_biserial",
    "typology_agreement_over_time",
]

# The Wilcoxon signed-rank test is computed exactly up to this many non-zero differences when
# there are no ties (the classical tables go to 25; scipy's exact distribution is cheap there).
_EXACT_WILCOXON_MAX_N = 25
# Normal-consistency constants: MAD * 1.4826 and IQR / 1.349 estimate a standard deviation, so
# the robust shift reads like a z-score.
_MAD_TO_SD = 1.4826
_IQR_TO_SD = 1.349
# Cohen (1988) conventions for a correlation coefficient, applied to the rank-biserial r (as in
# the R package effectsize, ``interpret_r(rules = "cohen1988")``).
_EFFECT_BOUNDS: tuple[tuple[float, str], ...] = (
    (0.1, "negligible"),
    (0.3, "small"),
    (0.5, "medium"),
)


def matched_pairs_rank_biserial(differences: Sequence[float] | np.ndarray) -> float:
    """Matched-pairs rank-biserial correlation of paired differences (Kerby 2014).

    ``r = (R+ − R−) / (R+ + R−)``: the ranks of ``|d|`` summed over the positive and over the
    negative differences, zero differences dropped as in the Wilcoxon signed-rank test and tied
    ``|d|`` given their average rank. ``r`` runs from −1 (every difference negative) to +1.
    NaN differences are ignored; with no non-zero difference left, r is 0 (no shift).

    Parameters
    ----------
    differences : sequence of float or ndarray
        Paired differences (second fit minus first, one per region); any shape, flattened.

    Returns
    -------
    float
        The rank-biserial r in [−1, 1]; read with Cohen's bounds 0.1 / 0.3 / 0.5.

    Examples
    --------
    Differences 1, 2, 3, −0.5 have ranks 2, 3, 4 (positive) and 1 (negative):

    >>> matched_pairs_rank_biserial([1, 2, 3, -0.5])
    0.8
    >>> matched_pairs_rank_biserial([0, 0, 0])
    0.0
    """
    d = np.asarray(differences, dtype=float).ravel()
    d = d[np.isfinite(d) & (d != 0)]
    if d.size == 0:
        return 0.0
    ranks = stats.rankdata(np.abs(d))
    return float((ranks[d > 0].sum() - ranks[d < 0].sum()) / ranks.sum())


def hodges_lehmann(differences: Sequence[float] | np.ndarray) -> float:
    """Hodges–Lehmann estimate of the shift: the median of the Walsh averages.

    The Walsh averages are ``(d_i + d_j) / 2`` for all ``i <= j`` (each difference with itself
    included), zeros kept. NaN differences are ignored; NaN when none is left.

    Parameters
    ----------
    differences : sequence of float or ndarray
        Paired differences (second fit minus first, one per region); any shape, flattened.

    Returns
    -------
    float
        The estimated shift, in the units of the differences; NaN when no finite difference.

    Examples
    --------
    Walsh averages of 1, 2, 4 are 1, 1.5, 2.5, 2, 3, 4, whose median is 2.25:

    >>> hodges_lehmann([1, 2, 4])
    2.25
    """
    d = np.asarray(differences, dtype=float).ravel()
    d = d[np.isfinite(d)]
    if d.size == 0:
        return math.nan
    i, j = np.triu_indices(d.size)
    return float(np.median((d[i] + d[j]) / 2.0))


def _effect_label(r: float) -> str | None:
    if not np.isfinite(r):
        return None
    for bound, label in _EFFECT_BOUNDS:
        if abs(r) < bound:
            return label
    return "large"


def _numeric_matrix(X: Any, name: str) -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            f"{name} must be a pandas DataFrame (regions x features), got {type(X).__name__}"
        )
    if X.index.has_duplicates:
        twice = X.index[X.index.duplicated()].unique()[:5]
        raise ValueError(f"{name} lists region(s) more than once: {', '.join(map(str, twice))}")
    if X.columns.has_duplicates:
        twice = X.columns[X.columns.duplicated()].unique()[:5]
        raise ValueError(f"{name} has duplicated feature column(s): {', '.join(map(str, twice))}")
    out = {}
    for column in X.columns:
        try:
            out[column] = pd.to_numeric(X[column], errors="raise").astype(float)
        except (TypeError, ValueError):
            raise ValueError(f"{name} column {column!r} is not numeric") from None
    return pd.DataFrame(out, index=X.index)


def _robust_spread(values: np.ndarray) -> tuple[float, str | None]:
    """A normal-consistent spread of the old values: scaled MAD, else scaled IQR."""
    if values.size == 0:
        return math.nan, None
    mad = float(np.median(np.abs(values - np.median(values))))
    if mad > 0:
        return _MAD_TO_SD * mad, "MAD"
    q1, q3 = np.percentile(values, [25, 75])
    if q3 > q1:
        return float(q3 - q1) / _IQR_TO_SD, "IQR"
    return math.nan, None


def _drift_row(old: np.ndarray, new: np.ndarray) -> dict[str, Any]:
    paired = np.isfinite(old) & np.isfinite(new)
    old, new = old[paired], new[paired]
    d = new - old
    nonzero = d[d != 0]
    notes = []
    if paired.size > old.size:
        notes.append(f"{paired.size - old.size} region(s) missing a value in one year")
    row: dict[str, Any] = {"n_pairs": int(d.size), "n_nonzero": int(nonzero.size)}
    if d.size == 0:
        notes.append("no region has a value in both years")
        return {**row, "effect": None, "wilcoxon_method": None, "note": "; ".join(notes)}
    spread, kind = _robust_spread(old)
    median_difference = float(np.median(d))
    if kind is None:
        notes.append("old values have no spread; robust shift undefined")
    r = matched_pairs_rank_biserial(d)
    if nonzero.size == 0:
        # Nothing moved: the test has no evidence against "no shift".
        p_value, method = 1.0, None
        notes.append("all differences are zero")
    else:
        ties = np.unique(np.abs(nonzero)).size < nonzero.size
        method = "exact" if not ties and nonzero.size <= _EXACT_WILCOXON_MAX_N else "auto"
        p_value = float(stats.wilcoxon(nonzero, method=method).pvalue)
        if ties:
            notes.append("tied |differences|: p-value from scipy's 'auto' method")
        floor = 2.0 / 2.0**nonzero.size
        if floor > 0.05:
            notes.append(
                f"with {nonzero.size} non-zero difference(s) the two-sided p-value "
                f"cannot fall below {floor:.3g}"
            )
    return {
        **row,
        "old_median": float(np.median(old)),
        "new_median": float(np.median(new)),
        "median_difference": median_difference,
        "hodges_lehmann": hodges_lehmann(d),
        "rank_biserial": r,
        "effect": _effect_label(r),
        "robust_shift": median_difference / spread if kind else math.nan,
        "spread": spread,
        "spread_kind": kind,
        "wilcoxon_p": p_value,
        "wilcoxon_method": method,
        "note": "; ".join(notes),
    }


_DRIFT_COLUMNS = (
    "feature",
    "n_pairs",
    "n_nonzero",
    "old_median",
    "new_median",
    "median_difference",
    "hodges_lehmann",
    "rank_biserial",
    "effect",
    "robust_shift",
    "spread",
    "spread_kind",
    "wilcoxon_p",
    "wilcoxon_method",
    "note",
)


def indicator_drift(old_X: pd.DataFrame, new_X: pd.DataFrame) -> pd.DataFrame:
    """Paired shift of each feature between two years, with effect sizes for a dozen regions.

    Regions are paired by index (region id); the difference is ``new − old``, so positive
    values mean the feature rose. Per feature:

    * ``rank_biserial``: matched-pairs rank-biserial correlation (Kerby 2014), zero
      differences dropped as in Wilcoxon (:func:`matched_pairs_rank_biserial`);
    * ``effect``: its label by Cohen's (1988) conventions for r: ``|r| < 0.1`` negligible,
      ``< 0.3`` small, ``< 0.5`` medium, ``>= 0.5`` large;
    * ``hodges_lehmann``: median of the Walsh averages of the differences
      (:func:`hodges_lehmann`), in the feature's units;
    * ``robust_shift``: the median difference divided by the spread of the old values,
      1.4826 × MAD, or IQR / 1.349 when the MAD is 0 (both estimate a standard deviation for
      normal data); NaN with a note when the old values have no spread (``spread`` and
      ``spread_kind`` say which was used);
    * ``wilcoxon_p``: two-sided Wilcoxon signed-rank p-value (``scipy.stats.wilcoxon`` on the
      non-zero differences), exact when there are no tied ``|d|`` and at most 25 of them,
      else scipy's ``method="auto"``; 1.0 when every difference is zero.

    With 12 pairs the test has little power (with 5 or fewer non-zero differences it can
    never reach 0.05), so read the effect sizes first.

    Parameters
    ----------
    old_X, new_X : DataFrame
        Regions (index) × features (columns) of the old and the new year. Regions missing from
        one matrix, and pairs with a missing value, are left out of that feature's figures.

    Returns
    -------
    DataFrame
        One row per feature (the old matrix's order, then features only in the new one):
        ``feature, n_pairs, n_nonzero, old_median, new_median, median_difference,
        hodges_lehmann, rank_biserial, effect, robust_shift, spread, spread_kind, wilcoxon_p,
        wilcoxon_method, note``. A feature present in only one matrix keeps its row, with NaN
        figures and a note.

    Examples
    --------
    >>> import pandas as pd
    >>> ids = ["RU-OMS", "RU-ORE", "RU-AST", "RU-SAR"]
    >>> old = pd.DataFrame({"grp_per_capita": [10.0, 20.0, 30.0, 40.0],
    ...                     "border_crossings": [1.0, 2.0, 3.0, 4.0]}, index=ids)
    >>> new = pd.DataFrame({"grp_per_capita": [11.0, 22.0, 33.0, 39.5],
    ...                     "doctors_per_10k": [5.0, 6.0, 7.0, 8.0]}, index=ids)
    >>> drift = indicator_drift(old, new)
    >>> drift[["feature", "rank_biserial", "effect", "hodges_lehmann"]]
                feature  rank_biserial effect  hodges_lehmann
    0    grp_per_capita            0.8  large           1.375
    1  border_crossings            NaN   None             NaN
    2   doctors_per_10k            NaN   None             NaN
    >>> drift.loc[1, "note"]
    'only in the old matrix'
    """
    old_X = _numeric_matrix(old_X, "old_X")
    new_X = _numeric_matrix(new_X, "new_X")
    in_new = set(new_X.index)
    in_old = set(old_X.index)
    regions = [r for r in old_X.index if r in in_new]
    region_notes = []
    if len(regions) < len(old_X.index) or len(regions) < len(new_X.index):
        left_out = [str(r) for r in old_X.index if r not in in_new]
        left_out += [str(r) for r in new_X.index if r not in in_old]
        region_notes.append(
            f"paired on {len(regions)} region(s); not in both matrices: {', '.join(left_out)}"
        )

    rows = []
    features = list(old_X.columns) + [c for c in new_X.columns if c not in set(old_X.columns)]
    for feature in features:
        if feature not in new_X.columns or feature not in old_X.columns:
            where = "old" if feature in old_X.columns else "new"
            rows.append(
                {
                    "feature": feature,
                    "n_pairs": 0,
                    "n_nonzero": 0,
                    "note": f"only in the {where} matrix",
                }
            )
            continue
        row = _drift_row(
            old_X.loc[regions, feature].to_numpy(dtype=float),
            new_X.loc[regions, feature].to_numpy(dtype=float),
        )
        row["note"] = "; ".join([*region_notes, row["note"]] if row["note"] else region_notes)
        rows.append({"feature": feature, **row})
    out = pd.DataFrame(rows, columns=list(_DRIFT_COLUMNS))
    # Rows built without a figure leave None in numeric columns; make them NaN floats.
    for column in (
        "old_median",
        "new_median",
        "median_difference",
        "hodges_lehmann",
        "rank_biserial",
        "robust_shift",
        "spread",
        "wilcoxon_p",
    ):
        out[column] = out[column].astype(float)
    out["effect"] = out["effect"].astype(object).where(out["effect"].notna(), None)
    return out


# --------------------------------------------------------------------------------------------
# agreement with expert typologies over the years
# --------------------------------------------------------------------------------------------

_AGREEMENT_COLUMNS = ("year", "typology", "ari", "p_value", "ari_ci_low", "ari_ci_high")


def typology_agreement_over_time(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Tidy table of agreement with each expert typology, one row per (typology, year).

    Parameters
    ----------
    rows : list of dict
        Each with ``year``, ``typology`` and ``ari``; ``p_value``, ``ari_ci_low`` and
        ``ari_ci_high`` are optional (NaN when absent); other keys are kept as extra columns.
        Two rows of one typology and year are allowed only when a ``fit`` key tells them
        apart (the registered and the new fit of the same year); they keep their order.

    Returns
    -------
    DataFrame
        ``year, typology, ari, p_value, ari_ci_low, ari_ci_high, previous_year,
        change_vs_previous`` (+ extra columns), sorted by typology then year.
        ``change_vs_previous`` is ``ari`` minus the ARI of the same typology in the nearest
        earlier year listed (``previous_year``), NaN for a typology's first year.

    Examples
    --------
    >>> typology_agreement_over_time([
    ...     {"year": 2022, "typology": "federal_districts", "ari": 0.5},
    ...     {"year": 2021, "typology": "federal_districts", "ari": 0.75},
    ... ])[["year", "typology", "ari", "change_vs_previous"]]
       year           typology   ari  change_vs_previous
    0  2021  federal_districts  0.75                 NaN
    1  2022  federal_districts  0.50               -0.25
    """
    if isinstance(rows, Mapping) or not isinstance(rows, Sequence):
        raise TypeError(f"rows must be a list of dicts, got {type(rows).__name__}")
    for k, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise TypeError(f"rows[{k}] must be a dict, got {type(row).__name__}")
        missing = [c for c in ("year", "typology", "ari") if c not in row]
        if missing:
            raise ValueError(f"rows[{k}] lacks {', '.join(missing)}")
    frame = pd.DataFrame(list(rows))
    # The derived columns are recomputed, so that this table can be fed back in.
    frame = frame.drop(columns=["previous_year", "change_vs_previous"], errors="ignore")
    for column in _AGREEMENT_COLUMNS:
        if column not in frame.columns:
            frame[column] = math.nan if column not in ("year", "typology") else []
    extra = [c for c in frame.columns if c not in _AGREEMENT_COLUMNS]
    frame = frame[list(_AGREEMENT_COLUMNS) + extra]
    # Two fits of one year (a refit on revised figures) are told apart by a ``fit`` column.
    key = ["typology", "year", *(["fit"] if "fit" in frame.columns else [])]
    if frame.duplicated(key).any():
        first = frame.loc[frame.duplicated(key)].iloc[0]
        raise ValueError(
            f"typology {first['typology']!r} has more than one row for year {first['year']}"
        )
    frame["year"] = frame["year"].astype(np.int64)
    for column in ("ari", "p_value", "ari_ci_low", "ari_ci_high"):
        frame[column] = pd.to_numeric(frame[column]).astype(float)
    frame = frame.sort_values(["typology", "year"], kind="mergesort").reset_index(drop=True)
    grouped = frame.groupby("typology", sort=False)
    frame.insert(6, "previous_year", grouped["year"].shift(1).astype("Int64"))
    frame.insert(7, "change_vs_previous", grouped["ari"].diff())
    return frame
