"""Helpers shared by the analyses of two fits in :mod:`.transitions` and the promotion policy of
``border_readiness.experiments.retrain`` (a private copy until one JSON-safe helper serves all)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

# Shares and Jaccard values are ratios of small integers (2/4, 3/6); a tolerance keeps a ratio
# that equals a threshold in exact arithmetic on the right side of it.
_TOL = 1e-12


def _plain(value: Any) -> Any:
    """numpy scalars -> Python scalars, so labels compare and serialise as plain values."""
    return value.item() if isinstance(value, np.generic) else value


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(_plain(k)): _jsonable(v) for k, v in value.items()}
    if isinstance(value, pd.DataFrame):
        return [_jsonable(rec) for rec in value.to_dict("records")]
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is pd.NA or value is None:
        return None
    value = _plain(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
