"""Variance-based sensitivity: Sobol' indices (Saltelli's design) and of the composite's ranks."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from statistics import NormalDist

import numpy as np
import pandas as pd

from border_readiness.features._parallel import batch_slices, run_ordered
from border_readiness.features.composite._engine import _Engine
from border_readiness.features.composite.normalisation import NORMALISATIONS
from border_readiness.features.composite.weights import WEIGHTINGS

__all__ = ["rank_sensitivity", "sobol_indices"]

#: Bootstrap resamples per joblib task: enough work per task to outweigh its dispatch.
_BOOT_BATCH = 25


def _factor_values(factor_levels: Mapping[str, int | Sequence | None]):
    """Per factor: None for continuous U[0, 1), else the array of its discrete values."""
    if not factor_levels:
        raise ValueError("factor_levels must name at least one factor")
    specs = {}
    for name, spec in factor_levels.items():
        if spec is None:
            specs[name] = None
        elif isinstance(spec, (int, np.integer)) and not isinstance(spec, bool):
            if spec < 1:
                raise ValueError(f"factor {name!r}: number of levels must be >= 1, got {spec}")
            specs[name] = np.arange(int(spec))
        elif isinstance(spec, (Sequence, np.ndarray, pd.Index)) and not isinstance(spec, str):
            if len(spec) == 0:
                raise ValueError(f"factor {name!r} has no levels")
            specs[name] = np.asarray(list(spec), dtype=object if isinstance(spec[0], str) else None)
        else:
            raise ValueError(
                f"factor {name!r}: expected a number of levels, a list of levels or None "
                f"(continuous U[0, 1)), got {spec!r}"
            )
    return specs


def _saltelli(model, factor_levels, n: int, random_state):
    """Evaluate ``model`` on Saltelli's N (d + 2) design; return (names, yA, yB, yAB, rng)."""
    from scipy.stats import qmc

    if not (isinstance(n, (int, np.integer)) and n >= 2):
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    specs = _factor_values(factor_levels)
    names = list(specs)
    d = len(names)
    sample_seed, boot_seed = np.random.SeedSequence(random_state).spawn(2)
    # Saltelli (2010) draws A and B from one 2d-dimensional quasi-random (Sobol') sequence.
    sampler = qmc.Sobol(d=2 * d, scramble=True, rng=np.random.default_rng(sample_seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # balance warning when n is not 2**m
        base = sampler.random(int(n))
    A, B = base[:, :d], base[:, d:]
    AB = np.repeat(A[None], d, axis=0)
    for i in range(d):
        AB[i, :, i] = B[:, i]
    U = np.concatenate([A, B, AB.reshape(d * n, d)])
    inputs = {}
    for j, name in enumerate(names):
        values = specs[name]
        if values is None:
            inputs[name] = U[:, j]
        else:
            codes = np.minimum((U[:, j] * len(values)).astype(np.intp), len(values) - 1)
            inputs[name] = values[codes]
    y = np.asarray(model(inputs), dtype=float)
    if y.shape[0] != U.shape[0]:
        raise ValueError(f"model returned {y.shape[0]} rows for {U.shape[0]} inputs")
    y = y.reshape(U.shape[0], -1)
    if not np.all(np.isfinite(y)):
        raise ValueError("model returned non-finite values")
    return (
        names,
        y[:n],
        y[n : 2 * n],
        y[2 * n :].reshape(d, n, -1),
        np.random.default_rng(boot_seed),
    )


def _sobol_estimates(yA, yB, yAB) -> tuple[np.ndarray, np.ndarray]:
    """S1 (Saltelli 2010) and ST (Jansen 1999), variance-weighted over outputs."""
    # Centring does not change what S1 estimates (E[f(A_B^i) - f(A)] = 0) but removes the
    # mean from the product f(B) (f(A_B^i) - f(A)), whose variance it would inflate (as SALib).
    centre = np.mean(np.concatenate([yA, yB]), axis=0)
    yA, yB, yAB = yA - centre, yB - centre, yAB - centre
    variance = np.var(np.concatenate([yA, yB]), axis=0).sum()
    if variance <= 0:
        nan = np.full(yAB.shape[0], np.nan)
        return nan, nan
    first = np.mean(yB * (yAB - yA), axis=1).sum(axis=-1)
    total = 0.5 * np.mean((yA - yAB) ** 2, axis=1).sum(axis=-1)
    return first / variance, total / variance


def _bootstrap_estimates(yA, yB, yAB, picks) -> list[tuple[np.ndarray, np.ndarray]]:
    return [_sobol_estimates(yA[pick], yB[pick], yAB[:, pick]) for pick in picks]


def _sobol_table(names, yA, yB, yAB, rng, n_boot: int, conf_level: float) -> pd.DataFrame:
    S1, ST = _sobol_estimates(yA, yB, yAB)
    n = yA.shape[0]
    # The resamples are drawn here, in order, from the one stream (as before batching), and only
    # their estimates run through joblib: the intervals do not depend on the backend.
    picks = [rng.integers(n, size=n) for _ in range(n_boot)]
    tasks = [(yA, yB, yAB, picks[s]) for s in batch_slices(n_boot, _BOOT_BATCH)]
    estimates = [e for part in run_ordered(_bootstrap_estimates, tasks) for e in part]
    boot1 = [b1 for b1, _ in estimates]
    bootT = [bT for _, bT in estimates]
    z = NormalDist().inv_cdf(0.5 + conf_level / 2)
    if n_boot >= 2:
        conf1 = z * np.std(boot1, axis=0, ddof=1)
        confT = z * np.std(bootT, axis=0, ddof=1)
    else:
        conf1 = confT = np.full(len(names), np.nan)
    return pd.DataFrame({"factor": names, "S1": S1, "ST": ST, "S1_conf": conf1, "ST_conf": confT})


def sobol_indices(
    model: Callable[[dict[str, np.ndarray]], np.ndarray],
    factor_levels: Mapping[str, int | Sequence | None],
    *,
    n: int = 1024,
    random_state: int | None = 0,
    n_boot: int = 100,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """First-order and total Sobol' indices with Saltelli's N (d + 2) design.

    Two independent N x d sample matrices A and B come from one scrambled Sobol' quasi-random
    sequence of dimension 2d; ``A_B^i`` is A with column i taken from B. The model is evaluated
    once on all ``N (d + 2)`` rows, then (Saltelli et al. 2010, Table 2)

    * ``S1_i = mean(f(B) (f(A_B^i) - f(A))) / V`` (Saltelli 2010),
    * ``ST_i = mean((f(A) - f(A_B^i))^2) / (2 V)`` (Jansen 1999),

    with ``V`` the variance of ``f`` over A and B together; ``f`` is first centred on its mean
    over A and B (as SALib), which leaves the estimands unchanged and cuts the variance of the
    S1 estimator when the output mean is large. Confidence half-widths are
    ``z * sd`` of ``n_boot`` bootstrap resamples of the N rows (as SALib).

    Factors: an integer k is a discrete factor with values ``0..k-1``; a list is a discrete
    factor with those values; ``None`` is continuous on [0, 1). Each is drawn uniformly and
    independently.

    Several outputs (``model`` returning shape (M, k), e.g. the rank of every region) are
    summarised by averaging the per-output indices weighted by each output's variance, i.e.
    ``sum_j V_ij / sum_j V_j`` -- the share of the total output variance due to the factor
    (Gamboa et al. 2014). Outputs that never vary count for nothing; if none varies, the
    indices are NaN.

    Parameters
    ----------
    model : callable
        Vectorised: takes ``{factor: array of length M}``, returns an array (M,) or (M, k).
    factor_levels : mapping
        Factor name -> number of levels, list of levels, or None (continuous).
    n : int
        Base sample size N (a power of two keeps the Sobol' sequence balanced).
    random_state : int or None
        Seed of the Sobol' design and the bootstrap; None draws a fresh one.
    n_boot : int
        Bootstrap resamples for the confidence half-widths.
    conf_level : float
        Confidence level of the half-widths, strictly between 0 and 1.

    Returns
    -------
    DataFrame
        ``factor, S1, ST, S1_conf, ST_conf``.

    Examples
    --------
    >>> res = sobol_indices(lambda f: f["x1"] + 2 * f["x2"], {"x1": None, "x2": None}, n=1024)
    >>> res.round(1)[["factor", "S1", "ST"]].values.tolist()
    [['x1', 0.2, 0.2], ['x2', 0.8, 0.8]]
    """
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be in (0, 1), got {conf_level}")
    names, yA, yB, yAB, rng = _saltelli(model, factor_levels, n, random_state)
    return _sobol_table(names, yA, yB, yAB, rng, int(n_boot), conf_level)


def rank_sensitivity(
    X: pd.DataFrame,
    directions: pd.Series | Mapping,
    groups: pd.Series | Mapping,
    *,
    fit_on: pd.DataFrame | None = None,
    reference: pd.Series | Mapping | None = None,
    normalisations: Sequence[str] = NORMALISATIONS,
    weightings: Sequence[str] = WEIGHTINGS,
    aggregations: Sequence[str] = ("arithmetic", "geometric"),
    catalogue_weights: pd.Series | Mapping | None = None,
    dropout: bool = True,
    level_weights: pd.Series | Mapping | None = None,
    n: int = 512,
    random_state: int | None = 0,
    n_boot: int = 100,
) -> pd.DataFrame:
    """Which modelling choice moves the ranks: Sobol' indices of the composite's assumptions.

    The factors are those of :func:`monte_carlo_ranks` -- ``normalisation``, ``weighting``,
    ``aggregation`` and, with ``dropout``, one ``drop_<level>`` factor per level (which
    indicator is dropped, or none) -- each uniform over its options. The output of a level is
    the *vector of ranks* of all regions in that level, and the indices are variance-weighted
    over regions (see :func:`sobol_indices`): ``ST`` is the share of the total rank variance
    that involves the factor. The model is evaluated ``n (d + 2)`` times once, and the indices
    are computed for each level and ``overall`` from the same runs.

    Parameters
    ----------
    X, directions, groups, fit_on, reference, normalisations, weightings
        As in :func:`monte_carlo_ranks`.
    aggregations, catalogue_weights, dropout, level_weights
        As in :func:`monte_carlo_ranks` (``aggregations`` has the same default there,
        ``('arithmetic', 'geometric')``).
    n : int, default 512
        Base sample size (``n (d + 2)`` composites are computed).
    random_state : int or None, default 0
        Seed of the Saltelli design and the bootstrap; None draws a fresh one.
    n_boot : int, default 100
        Bootstrap resamples for the confidence half-widths.

    Returns
    -------
    DataFrame
        ``level, factor, S1, ST, S1_conf, ST_conf``.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"a": [100.0, 45, 1], "b": [1.0, 45, 100]}, index=["A", "B", "C"])
    >>> out = rank_sensitivity(X, {"a": 1, "b": 1}, {"a": "t", "b": "t"}, n=64,
    ...                        normalisations=("minmax",), weightings=("equal",), dropout=False)
    >>> round(float(out.set_index(["level", "factor"]).loc[("t", "aggregation"), "ST"]), 1)
    1.0
    """
    engine = _Engine(
        X,
        directions,
        groups,
        fit_on=fit_on,
        reference=reference,
        normalisations=normalisations,
        weightings=weightings,
        aggregations=aggregations,
        catalogue_weights=catalogue_weights,
        dropout=dropout,
        level_weights=level_weights,
    )
    names = engine.factor_names if dropout else engine.factor_names[:3]
    sizes = engine.factor_sizes
    factor_levels = dict(zip(names, sizes, strict=False))

    def model(inputs: dict[str, np.ndarray]) -> np.ndarray:
        m = len(next(iter(inputs.values())))
        codes = np.zeros((m, len(sizes)), dtype=np.intp)
        for c, name in enumerate(names):
            codes[:, c] = inputs[name]
        return engine.ranks_batched(codes, 1000, None).reshape(m, -1)

    factor_names, yA, yB, yAB, rng = _saltelli(model, factor_levels, n, random_state)
    n_regions, n_out = len(engine.regions), len(engine.levels) + 1
    frames = []
    for j, level in enumerate((*engine.levels, "overall")):
        # the (regions x outputs) flattening puts level j of region r at column r * n_out + j
        cols = np.arange(n_regions) * n_out + j
        table = _sobol_table(
            factor_names, yA[:, cols], yB[:, cols], yAB[:, :, cols], rng, int(n_boot), 0.95
        )
        frames.append(table.assign(level=level))
    out = pd.concat(frames, ignore_index=True)
    return out[["level", "factor", "S1", "ST", "S1_conf", "ST_conf"]]
