"""Leave-one-out effects: which region or indicator carries a partition."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from border_readiness.clustering.stability._replicates import FitPredict, _as_matrix, _call_labels
from border_readiness.features._parallel import run_ordered, single_threaded
from border_readiness.features._parallel import seed_int as _seed_int


def _refit(values: np.ndarray, fit_predict: FitPredict, seed: int) -> np.ndarray:
    # Tiny fits: threads only wait (see single_threaded); the labels do not depend on them.
    with single_threaded():
        return _call_labels(fit_predict, values, seed)


def leave_one_out_effects(
    X: pd.DataFrame | np.ndarray,
    labels: Any,
    *,
    fit_predict: FitPredict,
    random_state: int | None = 0,
    n_jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """How much the partition depends on each region and on each indicator.

    Leave-one-region-out: re-cluster without region i and compare, by the adjusted Rand index,
    with the original labels of the other regions. Leave-one-indicator-out: re-cluster all regions
    without column j and compare with the original labels. A low ARI marks a region or indicator
    the partition hinges on.

    Parameters
    ----------
    X : DataFrame of shape (n, d)
        Regions x features (an ndarray is labelled 0..n-1 / 0..d-1).
    labels : array-like of shape (n,)
        The partition to perturb (usually ``fit_predict(X, seed)``).
    fit_predict : callable
        ``fit_predict(X_sub, seed) -> labels``, e.g. :func:`sklearn_fit_predict`.
    random_state : int, optional
        Refit t (regions first, then indicators) is seeded from child t of
        ``SeedSequence(random_state).spawn(n + d)``.
    n_jobs : int, optional
        joblib workers over refits.
    progress : callable, optional
        Called as ``progress(done, total)`` after each refit.

    Returns
    -------
    regions : DataFrame
        ``region_id, ari`` sorted by ARI ascending (most influential first).
    indicators : DataFrame
        ``indicator, ari`` sorted the same way.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.cluster import AgglomerativeClustering
    >>> from border_readiness.clustering.stability import sklearn_fit_predict
    >>> X = pd.DataFrame({"a": [0, 0.1, 0.2, 5, 5.1, 5.2], "b": [1, 0, 1, 0, 1, 0.5]})
    >>> f = sklearn_fit_predict(AgglomerativeClustering(n_clusters=2))
    >>> regions, indicators = leave_one_out_effects(X, [0, 0, 0, 1, 1, 1], fit_predict=f)
    >>> indicators["indicator"].tolist()  # without "a" the two groups are lost
    ['a', 'b']
    """
    if not callable(fit_predict):
        raise ValueError(f"fit_predict must be callable, got {fit_predict!r}")
    values, index, columns = _as_matrix(X)
    n, d = values.shape
    if n < 3:
        raise ValueError(f"leave-one-region-out needs >= 3 regions, got {n}")
    if d < 2:
        raise ValueError(f"leave-one-indicator-out needs >= 2 columns, got {d}")
    original = np.asarray(labels.to_numpy() if isinstance(labels, pd.Series) else labels)
    if original.shape != (n,):
        raise ValueError(f"labels must have one entry per region ({n}), got {original.shape}")
    seeds = [_seed_int(c) for c in np.random.SeedSequence(random_state).spawn(n + d)]
    keep_rows = [np.delete(np.arange(n), i) for i in range(n)]
    keep_cols = [np.delete(np.arange(d), j) for j in range(d)]
    tasks = [(values[rows], fit_predict, seeds[i]) for i, rows in enumerate(keep_rows)]
    tasks += [(values[:, cols], fit_predict, seeds[n + j]) for j, cols in enumerate(keep_cols)]
    refits = run_ordered(_refit, tasks, n_jobs=n_jobs, progress=progress)
    region_ari = [
        adjusted_rand_score(original[rows], refits[i]) for i, rows in enumerate(keep_rows)
    ]
    indicator_ari = [adjusted_rand_score(original, refits[n + j]) for j in range(d)]
    regions = (
        pd.DataFrame({"region_id": index, "ari": region_ari})
        .sort_values(["ari"], kind="stable")
        .reset_index(drop=True)
    )
    indicators = (
        pd.DataFrame({"indicator": columns, "ari": indicator_ari})
        .sort_values(["ari"], kind="stable")
        .reset_index(drop=True)
    )
    return regions, indicators
