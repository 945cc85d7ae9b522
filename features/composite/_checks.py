"""Input checks shared by the kernels, the estimators and the Monte Carlo engine.

The kernels take pandas frames and mappings keyed by indicator (``_values``, ``_aligned``,
``_directions``, ``_structure``, ``_scale``, ``_choices``); the estimators take arrays or frames
with per-feature parameters (``_names``, ``_per_feature``, ``_frame``). None of them computes
anything: they check and reshape.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd

# --------------------------------------------------------------------------------------------
# kernel inputs: frames and mappings keyed by indicator
# --------------------------------------------------------------------------------------------


def _values(X: pd.DataFrame, name: str = "X") -> np.ndarray:
    """Check a regions x indicators frame and return its values as float."""
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            f"{name} must be a pandas DataFrame (regions x indicators), got {type(X).__name__}"
        )
    if X.columns.has_duplicates:
        dups = sorted(map(str, X.columns[X.columns.duplicated()].unique()))
        raise ValueError(f"{name} has duplicated indicator columns: {dups}")
    if X.index.has_duplicates:
        dups = sorted(map(str, X.index[X.index.duplicated()].unique()))
        raise ValueError(f"{name} has duplicated regions in its index: {dups}")
    bad = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    if bad:
        raise ValueError(f"{name} has non-numeric indicator columns: {bad}")
    values = X.to_numpy(dtype=float)
    inf_cols = [c for c, flag in zip(X.columns, np.isinf(values).any(axis=0), strict=True) if flag]
    if inf_cols:
        raise ValueError(f"{name} has infinite values in columns {inf_cols}")
    return values


def _aligned(mapping: pd.Series | Mapping, columns: pd.Index, what: str) -> pd.Series:
    """Return ``mapping`` as a Series ordered like ``columns``; every column needs an entry."""
    series = mapping if isinstance(mapping, pd.Series) else pd.Series(dict(mapping), dtype=object)
    if series.index.has_duplicates:
        dups = sorted(map(str, series.index[series.index.duplicated()].unique()))
        raise ValueError(f"{what} has duplicated indicator entries: {dups}")
    missing = [c for c in columns if c not in series.index]
    if missing:
        raise ValueError(f"{what} has no entry for indicator(s) {missing}; expected one per column")
    return series.reindex(columns)


def _directions(directions: pd.Series | Mapping, columns: pd.Index) -> np.ndarray:
    d = _aligned(directions, columns, "directions")
    bad = [c for c, v in d.items() if not (isinstance(v, (int, float, np.number)) and v in (1, -1))]
    if bad:
        raise ValueError(f"directions must be +1 or -1; indicator(s) {bad} have other values")
    return d.to_numpy(dtype=float)


def _structure(groups: pd.Series | Mapping, columns: pd.Index) -> tuple[list, list[np.ndarray]]:
    """Levels (in order of first appearance) and the column positions of each level."""
    g = _aligned(groups, columns, "groups")
    if g.isna().any():
        raise ValueError(f"groups has no level for indicator(s) {list(g.index[g.isna()])}")
    levels = list(pd.unique(g.to_numpy()))
    positions = [np.flatnonzero(g.to_numpy() == level) for level in levels]
    return levels, positions


def _scale(scale: tuple[float, float]) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in scale)
    except (TypeError, ValueError):
        raise ValueError(f"scale must be a pair (low, high), got {scale!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"scale must be finite with low < high, got {scale!r}")
    return lo, hi


def _choices(given: Sequence[str], allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
    chosen = (given,) if isinstance(given, str) else tuple(given)
    if not chosen:
        raise ValueError(f"{what} must name at least one of {list(allowed)}")
    unknown = [c for c in chosen if c not in allowed]
    if unknown:
        raise ValueError(f"{what}: unknown option(s) {unknown}; expected some of {list(allowed)}")
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"{what} lists an option twice: {list(chosen)}")
    return chosen


# --------------------------------------------------------------------------------------------
# estimator inputs: arrays, per-feature parameters
# --------------------------------------------------------------------------------------------


def _names(est, n: int) -> np.ndarray:
    names = getattr(est, "feature_names_in_", None)
    return np.asarray(names, dtype=object) if names is not None else _default_names(n)


def _default_names(n: int) -> np.ndarray:
    return np.array([f"x{i}" for i in range(n)], dtype=object)


def _per_feature(value, names: np.ndarray, default, what: str, numeric: bool = True) -> np.ndarray:
    """A per-indicator parameter (mapping keyed by name, or a sequence in column order)."""
    n = len(names)
    if value is None:
        return np.full(n, default, dtype=float if numeric else object)
    if isinstance(value, (Mapping, pd.Series)):
        mapping = dict(value.items())
        missing = [str(c) for c in names if c not in mapping]
        if missing:
            raise ValueError(f"{what} has no entry for indicator(s) {missing}")
        out = [mapping[c] for c in names]
    else:
        out = list(np.asarray(value, dtype=object).ravel())
        if len(out) != n:
            raise ValueError(f"{what} has {len(out)} entries for {n} indicators")
    return np.asarray(out, dtype=float if numeric else object)


def _frame(values: np.ndarray, names: np.ndarray, index=None) -> pd.DataFrame:
    return pd.DataFrame(values, columns=pd.Index(list(names)), index=index)


def _allow_nan_tags(tags):
    tags.input_tags.allow_nan = True
    return tags


@contextmanager
def _quiet():
    """Silence numpy's all-NaN RuntimeWarnings inside a block (degenerate columns are handled)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield
