"""stripped_text gives what pandas' own astype(str).str.strip() gives, row for row."""

from __future__ import annotations

import numpy as np
import pandas as pd

from border_readiness.features._text import stripped_text


def test_equals_pandas_str_strip_on_mixed_values():
    rng = np.random.default_rng(0)
    pool = [" value", "zero ", "\tx\n", "", "  ", None, np.nan, 3, 2.5, "Омская ", "a b"]
    values = pd.Series(rng.choice(np.array(pool, dtype=object), 500), index=rng.permutation(500))
    expected = values.astype(str).str.strip()
    got = stripped_text(values)
    assert got.index.equals(values.index)
    assert got.tolist() == expected.tolist()


def test_an_empty_series_stays_empty():
    assert stripped_text(pd.Series([], dtype=object)).tolist() == []
