"""What the explanations share: input checks and the columns of the long SHAP table.

The input checks are also used by the 2-D embedding, the columns of the long SHAP table by
:mod:`~border_readiness.clustering.shapley`.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

_SHAP_COLUMNS = ["region_id", "target", "feature", "shap_value", "feature_value", "base_value"]


def _finite_matrix(X: pd.DataFrame, name: str = "X") -> np.ndarray:
    """Check a regions x features frame without gaps and return its values as float."""
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            f"{name} must be a pandas DataFrame (regions x features), got {type(X).__name__}"
        )
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} is empty ({X.shape[0]} regions x {X.shape[1]} features)")
    for axis, what in ((X.index, "regions in its index"), (X.columns, "feature columns")):
        if axis.has_duplicates:
            dups = sorted(map(str, axis[axis.duplicated()].unique()))
            raise ValueError(f"{name} has duplicated {what}: {dups}")
    bad = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    if bad:
        raise ValueError(f"{name} has non-numeric feature columns: {bad}")
    values = X.to_numpy(dtype=float)
    finite = np.isfinite(values)
    if not finite.all():
        rows = [str(r) for r in X.index[~finite.all(axis=1)]]
        cols = [str(c) for c in X.columns[~finite.all(axis=0)]]
        raise ValueError(
            f"{name} has missing or infinite values (regions {rows}, features {cols}); "
            "impute them first"
        )
    return values


def _labels(labels: pd.Series | Sequence | np.ndarray, index: pd.Index, name: str) -> pd.Series:
    """Labels as a Series aligned on ``index`` (a Series by label, anything else by position)."""
    if isinstance(labels, pd.Series):
        if labels.index.has_duplicates:
            dups = sorted(map(str, labels.index[labels.index.duplicated()].unique()))
            raise ValueError(f"{name} has duplicated regions: {dups}")
        missing = [str(r) for r in index if r not in labels.index]
        if missing:
            raise ValueError(f"{name} has no label for region(s) {missing}")
        series = labels.reindex(index)
    else:
        values = np.asarray(labels, dtype=object)
        if values.ndim != 1 or values.size != len(index):
            raise ValueError(
                f"{name} must be one label per region ({len(index)}), got shape {values.shape}"
            )
        series = pd.Series(values, index=index)
    if series.isna().any():
        raise ValueError(
            f"{name} is missing for region(s) {[str(r) for r in index[series.isna()]]}"
        )
    return series.rename(name)


def _target_name(label: Any) -> str:
    """``'cluster 2'`` for integer cluster labels, the type's own name otherwise."""
    if isinstance(label, bool | np.bool_):
        return str(label)
    if isinstance(label, numbers.Integral):
        return f"cluster {int(label)}"
    if isinstance(label, float | np.floating) and float(label).is_integer():
        # Integer labels often arrive as floats after a merge that introduced NaN somewhere.
        return f"cluster {int(label)}"
    return str(label)
