"""Readiness scores per level and overall, with contributions, uncertainty and sensitivity.

The steps follow the OECD/JRC Handbook (2008) as COINr implements them, on the matrix compiled
from the indicator catalogue:

1. outlier treatment over all Russian subjects (|skew| ≥ 2 and kurtosis ≥ 3.5 → winsorise up to
   five points, else log);
2. normalisation against all Russian subjects (min-max by default), direction applied so that
   higher always means more ready;
3. weights within each level (the catalogue's by default), aggregation to level scores
   (arithmetic by default) and the overall score (mean of the three levels);
4. ranks of the scored regions, exact additive contributions of each indicator, growth points
   and bottlenecks;
5. Monte Carlo over normalisation, weighting, aggregation and indicator drop-out: rank intervals
   and the probability that each level is the region's strongest; Sobol' indices say which
   choice drives the ranks;
6. profile types from transparent rules (``features/data/profiles.toml``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from border_readiness.features import composite
from border_readiness.features.catalogue import SCORED_LEVELS
from border_readiness.features.composite import ReadinessModel
from border_readiness.features.composite.coherence import coherence
from border_readiness.features.imputation_log import imputation_log
from border_readiness.features.indicators import CompiledIndicators
from border_readiness.features.profiles import ProfileRule, assign_profiles, load_profile_rules

__all__ = ["ScoreConfig", "ScoreReport", "score_regions"]

LEVELS_AND_OVERALL = (*SCORED_LEVELS, "overall")
_UNCERTAINTY_COLUMNS = [
    "region_id",
    "level",
    "rank_median",
    "rank_p05",
    "rank_p95",
    "prob_strongest",
]


@dataclass(frozen=True)
class ScoreConfig:
    """Choices of the nominal composite and of its uncertainty analysis.

    Examples
    --------
    >>> ScoreConfig(normalisation="zscore").aggregation
    'arithmetic'
    """

    normalisation: str = "minmax"
    weighting: str = "catalogue"
    aggregation: str = "arithmetic"
    treat_outliers: bool = True
    n_replicates: int = 10_000
    sobol_n: int = 256
    random_state: int = 0
    #: Seed of the Sobol' design; None uses ``random_state`` (an experiment config gives the
    #: Monte Carlo and Sobol' steps their own seeds from one root seed).
    sobol_random_state: int | None = None
    mc_normalisations: tuple[str, ...] = ("minmax", "zscore", "rank", "distance_to_reference")
    mc_weightings: tuple[str, ...] = ("equal", "catalogue", "pca")
    mc_aggregations: tuple[str, ...] = ("arithmetic", "geometric", "copeland")
    mc_dropout: bool = True
    top_indicators: int = 2
    #: A region needing gap fills for more than this share of its scored features is refused.
    max_imputed_share: float = 0.25
    #: A fit where one indicator is gap-filled for more than this share of the scored regions
    #: is refused (:mod:`~border_readiness.features.imputation_policy`); 1 admits any.
    max_imputed_share_indicator: float = 0.5

    def __post_init__(self):
        """Reject unknown method names, empty Monte Carlo choices and too small samples."""
        checks = {
            "normalisation": (self.normalisation, composite.NORMALISATIONS),
            "weighting": (self.weighting, composite.WEIGHTINGS),
            "aggregation": (self.aggregation, composite.AGGREGATIONS),
        }
        for name, (value, allowed) in checks.items():
            if value not in allowed:
                raise ValueError(f"{name} {value!r} is not one of {', '.join(allowed)}")
        for name, values, allowed in (
            ("mc_normalisations", self.mc_normalisations, composite.NORMALISATIONS),
            ("mc_weightings", self.mc_weightings, composite.WEIGHTINGS),
            ("mc_aggregations", self.mc_aggregations, composite.AGGREGATIONS),
        ):
            bad = [v for v in values if v not in allowed]
            if bad or not values:
                raise ValueError(f"{name}: {bad or 'empty'} not in {', '.join(allowed)}")
        for name in ("max_imputed_share", "max_imputed_share_indicator"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if self.n_replicates < 100:
            raise ValueError(f"n_replicates must be >= 100, got {self.n_replicates}")
        if self.sobol_n < 16:
            raise ValueError(f"sobol_n must be >= 16, got {self.sobol_n}")


@dataclass(frozen=True)
class ScoreReport:
    """Everything ``border-readiness score`` writes, as tables.

    ``scores`` (region_id, level, score, rank, rank_in_russia, percentile_in_russia),
    ``contributions`` (region_id, level, indicator, contribution), ``uncertainty``
    (region_id, level, rank_median, rank_p05, rank_p95, prob_strongest), ``sensitivity``
    (level, factor, S1, ST, ...), ``factors`` (what the Monte Carlo varied and how),
    ``profiles`` (region_id, profile_type, growth_point, bottleneck), ``outliers`` (treatment
    log), ``imputations`` (every imputed cell of the reference matrix, with its role: see
    :func:`~border_readiness.features.imputation_log.imputation_log`) and ``refused`` (from
    the compiler), ``coherence`` and ``coherence_items`` (per level, over the reference
    regions), ``weights`` and ``config``;
    ``model`` is the fitted :class:`~border_readiness.features.composite.ReadinessModel`
    that produced the scores and ``scores_all`` its level and overall scores of every
    reference subject.
    """

    scores: pd.DataFrame
    contributions: pd.DataFrame
    uncertainty: pd.DataFrame
    sensitivity: pd.DataFrame
    factors: pd.DataFrame
    profiles: pd.DataFrame
    outliers: pd.DataFrame
    imputations: pd.DataFrame
    refused: pd.DataFrame
    weights: pd.DataFrame
    normalised_all: pd.DataFrame
    year: int
    config: ScoreConfig
    profile_rules: list[ProfileRule] = field(default_factory=list)
    model: ReadinessModel | None = None
    scores_all: pd.DataFrame | None = None
    #: Coherence per level and per indicator over the reference regions
    #: (:func:`~border_readiness.features.composite.coherence.coherence`).
    coherence: pd.DataFrame | None = None
    coherence_items: pd.DataFrame | None = None

    @property
    def regions(self) -> list[str]:
        """Ids of the scored regions, in the order of :attr:`profiles`.

        Returns
        -------
        list of str
            Region ids.
        """
        return list(self.profiles["region_id"])

    @property
    def normalised(self) -> pd.DataFrame:
        """The normalised indicators of the scored regions (0–100, higher is more ready).

        Returns
        -------
        pandas.DataFrame
            Scored regions × features, rows of :attr:`normalised_all` in :attr:`regions` order.
        """
        return self.normalised_all.loc[self.regions]

    def ranking(self, level: str = "overall") -> pd.DataFrame:
        """The scored regions ordered by rank on one level, with their rank interval.

        Parameters
        ----------
        level : str, default "overall"
            ``"overall"`` or one of the scored levels (``"transport_communication"``,
            ``"joint_projects"``, ``"social_services"``).

        Returns
        -------
        pandas.DataFrame
            Indexed by ``region_id``, sorted by ``rank``: the :attr:`scores` columns of that
            level plus ``rank_p05``, ``rank_median`` and ``rank_p95`` from :attr:`uncertainty`.
        """
        s = self.scores[self.scores.level == level].set_index("region_id")
        u = self.uncertainty[self.uncertainty.level == level].set_index("region_id")
        return s.join(u[["rank_p05", "rank_median", "rank_p95"]]).sort_values("rank")


def _ranks(scores: pd.DataFrame) -> pd.DataFrame:
    return scores.rank(ascending=False, method="min").astype(int)


def _percentiles(scores: pd.DataFrame) -> pd.DataFrame:
    # 0 = lowest subject, 100 = highest: the share of other subjects scoring lower.
    n = len(scores)
    return (scores.rank(ascending=True, method="average") - 1) / max(n - 1, 1) * 100


def score_regions(
    compiled: CompiledIndicators,
    regions: list[str],
    *,
    reference: pd.Series | None = None,
    config: ScoreConfig | None = None,
    profile_rules: list[ProfileRule] | None = None,
    progress=None,
    uncertainty: bool = True,
) -> ScoreReport:
    """Score ``regions`` on the three levels and overall, normalised against all subjects.

    Parameters
    ----------
    compiled : CompiledIndicators
        The matrix of all Russian subjects (``compile_indicators(data, year=...)``).
    regions : list of str
        The regions to rank and report (a subset of ``compiled.matrix.index``).
    reference : Series, optional
        National values per feature for ``distance_to_reference``
        (:func:`border_readiness.features.indicators.national_reference`).
    config : ScoreConfig, optional
    profile_rules : list of ProfileRule, optional
    progress : callable, optional
        Called with a short message before each long step.
    uncertainty : bool, default True
        Run the Monte Carlo rank intervals and the Sobol' indices. Without them the
        ``uncertainty``, ``sensitivity`` and ``factors`` tables are empty (with their columns):
        the nominal scores, contributions and profiles do not depend on them.

    Returns
    -------
    ScoreReport

    Examples
    --------
    >>> from border_readiness.features.dataset import load_dataset
    >>> from border_readiness.features.indicators import compile_indicators
    >>> from border_readiness.features.regions import BORDER_REGIONS
    >>> c = compile_indicators(load_dataset(), year=2021)
    >>> r = score_regions(c, list(BORDER_REGIONS), config=ScoreConfig(n_replicates=200,
    ...                   sobol_n=16))
    >>> sorted(r.scores.level.unique())
    ['joint_projects', 'overall', 'social_services', 'transport_communication']
    """
    config = config or ScoreConfig()
    rules = profile_rules or load_profile_rules()
    say = progress or (lambda _m: None)
    missing = [r for r in regions if r not in compiled.matrix.index]
    if missing:
        refused = set(compiled.refused["region_id"])
        why = "refused for too little data" if set(missing) <= refused else "not in the matrix"
        raise ValueError(f"region(s) {', '.join(missing)} cannot be scored: {why}")
    groups_all = compiled.levels
    scored_cols = [
        c
        for c in compiled.matrix.columns
        if groups_all[c] in SCORED_LEVELS and compiled.weights[c] > 0
    ]
    X_all_raw = compiled.matrix[scored_cols]
    groups = groups_all[scored_cols]
    directions = compiled.directions[scored_cols]
    cat_weights = compiled.weights[scored_cols]

    ref = None if reference is None else reference.reindex(scored_cols)
    model = ReadinessModel(
        normalisation=config.normalisation,
        weighting=config.weighting,
        aggregation=config.aggregation,
        treat_outliers=config.treat_outliers,
        # Plain dicts, so that the fitted model persists without pickle (skops.io).
        directions={k: int(v) for k, v in directions.items()},
        groups={k: str(v) for k, v in groups.items()},
        catalogue_weights={k: float(v) for k, v in cat_weights.items()},
        national_values=None if ref is None else {k: float(v) for k, v in ref.items()},
    ).set_output(transform="pandas")
    model.fit(X_all_raw)
    outlier_log = model.outlier_log()
    X_all = model.treat(X_all_raw)
    Xn_all = model.normalise(X_all_raw)
    if ref is not None:
        # The national values as the model uses them (log-treated indicators on the treated
        # scale, a missing one as the median subject), so the Monte Carlo varies the same model.
        ref = pd.Series(model.national_values_, index=scored_cols)
    weights = model.weights_
    level_all = model.transform(X_all_raw)
    pct_all = _percentiles(level_all)
    rank_ru = _ranks(level_all)

    sel = level_all.loc[regions]
    rank_sel = _ranks(sel)
    scores = pd.DataFrame(
        [
            {
                "region_id": r,
                "level": lev,
                "score": float(sel.at[r, lev]),
                "rank": int(rank_sel.at[r, lev]),
                "rank_in_russia": int(rank_ru.at[r, lev]),
                "percentile_in_russia": round(float(pct_all.at[r, lev]), 2),
            }
            for lev in LEVELS_AND_OVERALL
            for r in regions
        ]
    )
    contributions = model.contributions(X_all_raw.loc[regions]).rename(columns={"row": "region_id"})

    if uncertainty:
        say(f"Monte Carlo: {config.n_replicates} replicates")
        mc = composite.monte_carlo_ranks(
            X_all.loc[regions],
            directions,
            groups,
            fit_on=X_all,
            reference=ref,
            n_replicates=config.n_replicates,
            normalisations=_usable(config.mc_normalisations, ref),
            weightings=config.mc_weightings,
            aggregations=config.mc_aggregations,
            catalogue_weights=cat_weights,
            dropout=config.mc_dropout,
            random_state=config.random_state,
        )
        intervals = mc.rank_intervals().rename(columns={"region": "region_id"})
        strongest = mc.prob_strongest_level().rename(
            columns={"region": "region_id", "probability": "prob_strongest"}
        )
        uncertainty_frame = intervals.merge(strongest, on=["region_id", "level"], how="left")

        say(f"Sobol' sensitivity: n = {config.sobol_n}")
        sensitivity = composite.rank_sensitivity(
            X_all.loc[regions],
            directions,
            groups,
            fit_on=X_all,
            reference=ref,
            normalisations=_usable(config.mc_normalisations, ref),
            weightings=config.mc_weightings,
            aggregations=config.mc_aggregations,
            catalogue_weights=cat_weights,
            dropout=config.mc_dropout,
            n=config.sobol_n,
            random_state=(
                config.random_state
                if config.sobol_random_state is None
                else config.sobol_random_state
            ),
        )
        factors = mc.factors
    else:
        uncertainty_frame = pd.DataFrame(columns=_UNCERTAINTY_COLUMNS)
        sensitivity = pd.DataFrame(columns=["level", "factor", "S1", "ST"])
        factors = pd.DataFrame(columns=["factor", "levels"])

    types = assign_profiles(pct_all.loc[regions], rules)
    profiles = _profiles(
        types, pct_all.loc[regions], Xn_all.loc[regions], groups, weights, config.top_indicators
    )
    weights_frame = pd.DataFrame(
        {
            "indicator": weights.index,
            "level": groups[weights.index],
            "weight": weights.to_numpy(),
            "direction": directions[weights.index].to_numpy(),
        }
    )
    # Every imputed cell of the matrix the model is fitted on (all reference subjects), not
    # only the scored regions': the others move the normalisation bounds.
    imputations = imputation_log(compiled, regions, scored_cols)
    # The Handbook's multivariate step, on the indicators as the nominal model aggregates them.
    coherence_levels, coherence_items = coherence(Xn_all, groups)
    return ScoreReport(
        scores=scores,
        contributions=contributions,
        uncertainty=uncertainty_frame,
        sensitivity=sensitivity,
        factors=factors,
        profiles=profiles,
        outliers=outlier_log,
        imputations=imputations.reset_index(drop=True),
        refused=compiled.refused,
        weights=weights_frame,
        normalised_all=Xn_all,
        year=compiled.year,
        config=config,
        profile_rules=rules,
        model=model,
        scores_all=level_all,
        coherence=coherence_levels,
        coherence_items=coherence_items,
    )


def _usable(normalisations: tuple[str, ...], reference) -> tuple[str, ...]:
    # Without national values the distance-to-reference option cannot be drawn; say so in the
    # factors table rather than warn.
    if reference is None:
        return tuple(n for n in normalisations if n != "distance_to_reference")
    return normalisations


def _profiles(
    types: pd.Series,
    pct: pd.DataFrame,
    Xn: pd.DataFrame,
    groups: pd.Series,
    weights: pd.Series,
    top: int,
) -> pd.DataFrame:
    """Growth point and bottleneck of each region, with its level percentiles.

    Growth point: the strongest level and its best indicators (highest normalised values);
    bottleneck: the weakest level and its worst indicators.
    """
    rows = []
    for rid in types.index:
        levels = pct.loc[rid, list(SCORED_LEVELS)]
        best, worst = levels.idxmax(), levels.idxmin()

        def pick(level: str, largest: bool, rid: str = rid) -> str:
            cols = groups.index[groups == level]
            vals = Xn.loc[rid, cols].dropna()
            chosen = vals.nlargest(top) if largest else vals.nsmallest(top)
            return ", ".join(chosen.index)

        rows.append(
            {
                "region_id": rid,
                "profile_type": types[rid],
                "growth_point": f"{best}: {pick(best, True)}",
                "bottleneck": f"{worst}: {pick(worst, False)}",
                "transport_communication_pct": round(float(levels["transport_communication"]), 1),
                "joint_projects_pct": round(float(levels["joint_projects"]), 1),
                "social_services_pct": round(float(levels["social_services"]), 1),
            }
        )
    return pd.DataFrame(rows)
