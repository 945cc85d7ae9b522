"""Monte Carlo uncertainty of the ranks: :func:`monte_carlo_ranks` and its result."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from border_readiness.features.composite._engine import _Engine
from border_readiness.features.composite.normalisation import NORMALISATIONS
from border_readiness.features.composite.weights import WEIGHTINGS

__all__ = ["UncertaintyResult", "monte_carlo_ranks"]


@dataclass(frozen=True, eq=False)
class UncertaintyResult:
    """Ranks of every region under every Monte Carlo replicate, and what was varied.

    Attributes
    ----------
    ranks : ndarray of shape (n_replicates, n_regions, n_levels + 1)
        Average ranks (1 = most ready) per replicate, region and level; the last level is
        ``overall``.
    regions : Index
        Region labels (the index of ``X``).
    levels : tuple of str
        The levels, then ``'overall'``.
    nominal_ranks : DataFrame
        Regions x levels ranks of the nominal composite: the first option of each factor and
        no indicator dropped.
    factors : DataFrame
        One row per varied factor: ``factor, values, n_values, distribution, note`` -- exactly
        what was varied, including options that were requested but could not be used.
    design : DataFrame
        The factor values of each replicate (index ``replicate``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.lognormal(size=(6, 4)), columns=list("abcd"))
    >>> groups = {"a": "t", "b": "t", "c": "s", "d": "s"}
    >>> res = monte_carlo_ranks(X, dict.fromkeys("abcd", 1), groups, n_replicates=50,
    ...                         normalisations=("minmax", "rank"), weightings=("equal",))
    >>> res.ranks.shape
    (50, 6, 3)
    >>> res.prob_strongest_level().groupby("region").probability.sum().round(9).unique()
    array([1.])
    """

    ranks: np.ndarray
    regions: pd.Index
    levels: tuple[str, ...]
    nominal_ranks: pd.DataFrame
    factors: pd.DataFrame
    design: pd.DataFrame

    def rank_intervals(self, q: Sequence[float] = (0.05, 0.5, 0.95)) -> pd.DataFrame:
        """Rank quantiles per region and level, with the nominal and mean rank.

        Parameters
        ----------
        q : sequence of float
            Quantiles in [0, 1]; 0.5 is named ``rank_median``, others ``rank_p`` + percent
            (``rank_p05``, ``rank_p95``, ``rank_p2.5``).

        Returns
        -------
        DataFrame
            ``region, level, rank_nominal, rank_mean`` and one column per quantile.

        Examples
        --------
        >>> import pandas as pd
        >>> X = pd.DataFrame({"a": [1.0, 2, 3], "b": [1.0, 3, 2]})
        >>> res = monte_carlo_ranks(X, {"a": 1, "b": 1}, {"a": "t", "b": "t"}, n_replicates=20,
        ...                         normalisations=("minmax", "rank"), weightings=("equal",))
        >>> list(res.rank_intervals().columns)
        ['region', 'level', 'rank_nominal', 'rank_mean', 'rank_p05', 'rank_median', 'rank_p95']
        """
        qs = np.asarray(q, dtype=float)
        if qs.ndim != 1 or np.any((qs < 0) | (qs > 1)):
            raise ValueError(f"q must be quantiles in [0, 1], got {q!r}")
        n, m = self.ranks.shape[1:]
        table = {
            "region": np.repeat(self.regions.to_numpy(), m),
            "level": np.tile(np.asarray(self.levels, dtype=object), n),
            "rank_nominal": self.nominal_ranks.to_numpy().ravel(),
            "rank_mean": self.ranks.mean(axis=0).ravel(),
        }
        quantiles = np.quantile(self.ranks, qs, axis=0)
        for value, row in zip(qs, quantiles, strict=True):
            name = "rank_median" if value == 0.5 else f"rank_p{value * 100:02g}"
            table[name] = row.ravel()
        return pd.DataFrame(table)

    def prob_strongest_level(self) -> pd.DataFrame:
        """Probability that each level is the region's strongest.

        Level scores live on different scales (and Copeland scores are counts), so each
        replicate compares a region's *percentile ranks* among the regions, ``(n - rank) /
        (n - 1)`` (1 = best), across the levels (``overall`` excluded). Ties split the
        replicate equally, so each region's probabilities sum to 1.

        Returns
        -------
        DataFrame
            ``region, level, probability``.

        Examples
        --------
        >>> import pandas as pd
        >>> X = pd.DataFrame({"a": [1.0, 2, 3], "b": [3.0, 2, 1]})
        >>> res = monte_carlo_ranks(X, {"a": 1, "b": 1}, {"a": "t", "b": "s"}, n_replicates=10,
        ...                         normalisations=("minmax", "rank"), weightings=("equal",))
        >>> res.prob_strongest_level().probability.tolist()
        [0.0, 1.0, 0.5, 0.5, 1.0, 0.0]
        """
        n = self.ranks.shape[1]
        percentile = (n - self.ranks[:, :, :-1]) / (n - 1)
        best = percentile.max(axis=-1, keepdims=True)
        strongest = percentile == best
        share = strongest / strongest.sum(axis=-1, keepdims=True)
        probability = share.mean(axis=0)
        levels = self.levels[:-1]
        return pd.DataFrame(
            {
                "region": np.repeat(self.regions.to_numpy(), len(levels)),
                "level": np.tile(np.asarray(levels, dtype=object), n),
                "probability": probability.ravel(),
            }
        )

    def to_frame(self) -> pd.DataFrame:
        """Summary per region and level: rank intervals and ``prob_strongest``.

        ``prob_strongest`` is NaN for ``overall``; the raw replicate ranks stay in
        :attr:`ranks`.

        Returns
        -------
        pandas.DataFrame
            :meth:`rank_intervals` with a ``prob_strongest`` column from
            :meth:`prob_strongest_level` merged in on ``region, level``.

        Examples
        --------
        >>> import pandas as pd
        >>> X = pd.DataFrame({"a": [1.0, 2, 3], "b": [3.0, 2, 1]})
        >>> res = monte_carlo_ranks(X, {"a": 1, "b": 1}, {"a": "t", "b": "s"}, n_replicates=10,
        ...                         normalisations=("minmax", "rank"), weightings=("equal",))
        >>> res.to_frame().shape
        (9, 8)
        """
        strongest = self.prob_strongest_level().rename(columns={"probability": "prob_strongest"})
        return self.rank_intervals().merge(strongest, on=["region", "level"], how="left")


def monte_carlo_ranks(
    X: pd.DataFrame,
    directions: pd.Series | Mapping,
    groups: pd.Series | Mapping,
    *,
    fit_on: pd.DataFrame | None = None,
    reference: pd.Series | Mapping | None = None,
    n_replicates: int = 10_000,
    normalisations: Sequence[str] = NORMALISATIONS,
    weightings: Sequence[str] = WEIGHTINGS,
    aggregations: Sequence[str] = ("arithmetic", "geometric"),
    catalogue_weights: pd.Series | Mapping | None = None,
    dropout: bool = True,
    level_weights: pd.Series | Mapping | None = None,
    random_state: int | None = 0,
    batch_size: int = 1000,
    n_jobs: int | None = None,
) -> UncertaintyResult:
    """Monte Carlo uncertainty analysis of the regions' ranks (Saisana, Saltelli, Tarantola 2005).

    Each replicate draws, independently and uniformly:

    * a normalisation from ``normalisations`` (statistics from ``fit_on`` if given);
    * a weighting from ``weightings``: ``equal``, ``catalogue`` (``catalogue_weights``,
      rescaled per level) or ``pca`` (:func:`pca_weights` of the normalised ``fit_on``, or of
      ``X`` without it -- PCA on 12 regions is fragile, so pass ``fit_on``);
    * an aggregation from ``aggregations`` (any of ``arithmetic``, ``geometric``,
      ``copeland``);
    * if ``dropout``, for each level either nothing or exactly one of its indicators is
      dropped, uniformly over ``{none, indicator_1, ..., indicator_k}``. Keeping ``none`` in the
      draw keeps the nominal composite in the support. An indicator is never dropped if that
      would leave a region without data in the level, and a one-indicator level is never
      emptied. Weights are re-normalised over the remaining indicators; PCA weights are
      recomputed without the dropped indicator.

    Level scores are then aggregated to ``overall`` with :func:`overall_score`'s weighted
    arithmetic mean (``level_weights``, equal by default) whatever the level aggregation, and
    every output is ranked among the regions of ``X`` (1 = most ready, ties share the average
    rank).

    The choices are those of :class:`~border_readiness.features.composite.ReadinessModel`,
    evaluated with the same kernels: geometric means aggregate ``x - min + 1`` with the minimum
    of each normalised indicator over ``fit_on`` (:func:`geometric_shift`), and a Copeland score
    counts wins minus losses against every region of ``fit_on`` (``X`` without it). The
    replicate with the first option of every factor and nothing dropped equals the fitted
    model's scores and ranks (a test checks every combination). Options that cannot be used
    (``distance_to_reference`` without ``reference``, ``catalogue`` without
    ``catalogue_weights``) are left out with a warning and recorded in ``factors``.

    Determinism: the draws come from ``SeedSequence(random_state).spawn(...)``, one child per
    fixed block of 1000 replicates, and every replicate is computed independently, so the same
    seed gives identical ranks for any ``batch_size`` and ``n_jobs`` (joblib).

    Parameters
    ----------
    X : DataFrame
        Raw (treated) regions x indicators.
    directions, groups : Series or mapping
        Direction (+1/-1) and level of each indicator.
    fit_on : DataFrame, optional
        Regions that define the normalisation statistics (e.g. all Russian regions).
    reference : Series or mapping, optional
        Reference value per indicator, for ``distance_to_reference``.
    n_replicates : int
    normalisations, weightings, aggregations : sequence of str
        Options to vary; the first of each is the nominal choice.
    catalogue_weights : Series or mapping, optional
        Relative weight per indicator (the indicator catalogue's weights).
    dropout : bool
        Whether to vary which indicator is dropped per level.
    level_weights : Series or mapping, optional
        Relative weight per level in ``overall``.
    random_state : int or None
    batch_size : int
        Replicates per joblib task; the ranks do not depend on it. Memory: the result,
        ``ranks``, is n_replicates x regions x (levels + 1) float64 by definition (10,000
        replicates of 100,000 regions and 3 levels: 32 GB), allocated before any work so a
        size that cannot fit fails at once with ``MemoryError``; beyond it, each task works in
        sub-batches of about 256 MB, and Copeland's pairwise signs in row chunks of 64 MB.
    n_jobs : int, optional
        joblib workers over batches; ``None`` follows ``joblib.parallel_config`` (serial
        without one), so ``parallel_config(backend="dask")`` spreads the batches.

    Returns
    -------
    UncertaintyResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> X = pd.DataFrame(np.random.default_rng(1).lognormal(size=(5, 4)), columns=list("abcd"))
    >>> res = monte_carlo_ranks(X, dict.fromkeys("abcd", 1), dict(a="t", b="t", c="s", d="s"),
    ...                         n_replicates=200, normalisations=("minmax", "zscore", "rank"),
    ...                         weightings=("equal", "pca"))
    >>> res.factors.factor.tolist()
    ['normalisation', 'weighting', 'aggregation', 'drop_t', 'drop_s']
    """
    if not (isinstance(n_replicates, (int, np.integer)) and n_replicates >= 1):
        raise ValueError(f"n_replicates must be a positive integer, got {n_replicates!r}")
    if not (isinstance(batch_size, (int, np.integer)) and batch_size >= 1):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
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
    codes = engine.draw(int(n_replicates), random_state)
    ranks = engine.ranks_batched(codes, int(batch_size), n_jobs)
    levels = (*engine.levels, "overall")
    nominal = engine.ranks(np.zeros((1, len(engine.factor_sizes)), dtype=np.intp))[0]
    return UncertaintyResult(
        ranks=ranks,
        regions=X.index,
        levels=levels,
        nominal_ranks=pd.DataFrame(nominal, index=X.index, columns=pd.Index(levels, name="level")),
        factors=engine.factors_frame(),
        design=engine.design_frame(codes),
    )
