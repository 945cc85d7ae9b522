"""Copeland margins in the Monte Carlo engine: replicate chunks bounded in memory, same scores."""

import numpy as np
import pandas as pd

from border_readiness.features.composite import _engine, aggregate, monte_carlo_ranks


def test_chunk_keeps_margins_under_budget():
    for n_pairs in (1, 85 * 85, 1000 * 1000, 10_000 * 10_000):
        step = _engine._copeland_chunk(n_pairs)
        assert step >= 1
        assert step == 1 or 8 * step * n_pairs <= _engine._COPELAND_BUDGET


def test_chunked_equals_one_chunk_and_dense_reference(monkeypatch):
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.lognormal(size=(9, 4)), columns=list("abcd"))
    args = (X, dict.fromkeys("abcd", 1), {"a": "t", "b": "t", "c": "s", "d": "s"})
    kw = {
        "n_replicates": 40,
        "aggregations": ("copeland",),
        "normalisations": ("minmax",),
        "weightings": ("equal",),
        "dropout": False,
    }
    monkeypatch.setattr(_engine, "_COPELAND_BUDGET", 8 * 81 * 3)  # 3 replicates per chunk
    small = monte_carlo_ranks(*args, **kw).ranks
    monkeypatch.setattr(_engine, "_COPELAND_BUDGET", 2**40)
    whole = monte_carlo_ranks(*args, **kw).ranks
    np.testing.assert_array_equal(small, whole)
    # every replicate is the nominal composite here: the dense aggregate's ranks
    dense = aggregate(X.rank(), dict.fromkeys("abcd", 1), args[2], "copeland")
    np.testing.assert_array_equal(whole[0, :, 0], (-dense["t"]).rank().to_numpy())
