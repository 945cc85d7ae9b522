"""numpy and pandas values as plain Python, for ``to_dict`` methods and JSON export.

:func:`plain` turns one scalar into its Python value; :func:`jsonable` turns a whole tree of
mappings, sequences and tables into something ``json.dumps(..., allow_nan=False)`` accepts.
Written once here for every result object of the package.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["jsonable", "plain"]


def plain(value: Any, *, int_if_integral: bool = False) -> Any:
    """A numpy scalar as the Python scalar; anything else unchanged.

    Parameters
    ----------
    value : object
    int_if_integral : bool, default False
        Also turn an integral float into an int: labels read from a column with gaps come as
        floats (cluster 1 as 1.0) and must compare equal to, and print as, the integer label.

    Examples
    --------
    >>> plain(np.int64(3)), plain(np.float64(2.0)), plain(np.float64(2.0), int_if_integral=True)
    (3, 2.0, 2)
    """
    if isinstance(value, np.generic):
        value = value.item()
    if int_if_integral and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def jsonable(value: Any) -> Any:
    """``value`` with JSON-ready leaves: mappings get text keys, tables become records.

    Mappings become dicts with ``str`` keys (numpy keys made plain first), DataFrames lists of
    row records, lists, tuples and sets lists (sets sorted by text, for a stable output), paths
    text; numpy scalars become Python scalars, and None, ``pd.NA`` and non-finite floats become
    None.

    Examples
    --------
    >>> jsonable({np.int64(1): [np.float64(0.5), float("nan"), pd.NA], "t": (1, 2)})
    {'1': [0.5, None, None], 't': [1, 2]}
    >>> jsonable(pd.DataFrame({"a": [1, 2]}))
    [{'a': 1}, {'a': 2}]
    """
    if isinstance(value, Mapping):
        return {str(plain(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, pd.DataFrame):
        return [jsonable(rec) for rec in value.to_dict("records")]
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return [jsonable(v) for v in sorted(value, key=str)]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if value is None or value is pd.NA:
        return None
    value = plain(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
