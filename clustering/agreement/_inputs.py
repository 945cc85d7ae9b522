"""Reading the two partitions: expert types per region, cluster labels, seeds."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from border_readiness.clustering._jsonsafe import plain


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _as_series(obj: Any, name: str) -> pd.Series:
    if isinstance(obj, pd.Series):
        series = obj
    elif isinstance(obj, Mapping):
        series = pd.Series(dict(obj), dtype=object)
    else:
        raise TypeError(
            f"{name} must be a pandas Series region_id -> label, got {type(obj).__name__}"
        )
    if series.index.has_duplicates:
        twice = series.index[series.index.duplicated()].unique()[:5]
        raise ValueError(f"{name} lists region(s) more than once: {', '.join(map(str, twice))}")
    return series


def _expert_types(region: Hashable, value: Any) -> tuple:
    """The region's expert types as a tuple, in the order given; () when unassigned."""
    if isinstance(value, str):
        items: list = [value]
    elif isinstance(value, (set, frozenset)):
        # A set has no "first" type, so fix one: sorted by text.
        items = sorted(value, key=str)
    elif isinstance(value, (tuple, list, np.ndarray, pd.Series, pd.Index)):
        items = list(value)
    elif _is_missing(value):
        return ()
    else:
        items = [value]
    types: list = []
    for item in items:
        if isinstance(item, str):
            item = item.strip()
            if not item:
                continue
        elif _is_missing(item):
            continue
        if not isinstance(item, Hashable):
            raise TypeError(f"expert type of region {region!r} must be hashable, got {item!r}")
        item = plain(item, int_if_integral=True)
        if item not in types:
            types.append(item)
    return tuple(types)


def _cluster_label(region: Hashable, value: Any) -> Any:
    """The region's cluster label, or None when missing."""
    if isinstance(value, (tuple, list, set, frozenset, np.ndarray)):
        raise TypeError(f"clusters must give one label per region; region {region!r} has {value!r}")
    if _is_missing(value):
        return None
    if not isinstance(value, Hashable):
        raise TypeError(f"cluster label of region {region!r} must be hashable, got {value!r}")
    return plain(value, int_if_integral=True)


def _ordered(values) -> list:
    """Distinct values in a fixed order (sorted when comparable) so results ignore row order."""
    distinct = list(dict.fromkeys(values))
    try:
        return sorted(distinct)
    except TypeError:
        return sorted(distinct, key=lambda v: (type(v).__name__, str(v)))


def _count_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def _seed(random_state: Any) -> np.random.SeedSequence:
    if isinstance(random_state, np.random.SeedSequence):
        return random_state
    if random_state is None or (
        isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool)
    ):
        if random_state is not None and random_state < 0:
            raise ValueError(f"random_state must be non-negative, got {random_state!r}")
        return np.random.SeedSequence(random_state)
    raise TypeError(
        f"random_state must be an int, None or numpy.random.SeedSequence, got {random_state!r}"
    )
