"""The steps that interpret the clusters: agreement with expert typologies, explanations.

They follow the steps of :mod:`border_readiness.experiments.steps` (prepare, score, cluster)
in the one pipeline, :func:`border_readiness.experiments.pipeline.analyse`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from border_readiness.experiments.steps import clustering_matrix
from border_readiness.features.scoring import ScoreReport

__all__ = ["ExplainRun", "ValidationRun", "explain", "validate"]


@dataclass(frozen=True)
class ValidationRun:
    """An expert typology compared with the data's clusters."""

    typology: object
    report: object
    drivers: pd.DataFrame
    ceiling: pd.DataFrame
    clusters: pd.Series
    #: Percentile bootstrap interval of the AMI
    #: (:func:`~border_readiness.clustering.agreement.ami_interval`).
    ami_ci: tuple = (float("nan"), float("nan"))


def validate(
    typology,
    clusters: pd.Series,
    X: pd.DataFrame,
    *,
    others: dict | None = None,
    n_permutations: int = 9999,
    n_bootstrap: int = 2000,
    random_state: int = 0,
) -> ValidationRun:
    """Agreement of ``typology`` with ``clusters``, with the regions that disagree and why.

    Also the agreement between expert typologies, as a ceiling.

    Parameters
    ----------
    typology : border_readiness.clustering.typologies.Typology
        The expert typology (:func:`border_readiness.clustering.typologies.typology`).
    clusters : pandas.Series
        The data's cluster label per region (index ``region_id``).
    X : pandas.DataFrame
        The clustering matrix (:func:`clustering_matrix`); the indicators that make a
        disagreeing region differ from its expert group are read from it.
    others : dict of str to Typology, optional
        Other expert typologies by name, for the ceiling (``typology`` itself is skipped);
        with fewer than two typologies in all the ceiling is empty.
    n_permutations : int, default 9999
        Monte Carlo permutations for the p-value (at most 999 for the ceiling).
    n_bootstrap : int, default 2000
        Bootstrap replicates for the intervals (at most 500 for the ceiling).
    random_state : int, default 0
        Seed of the permutations and the bootstrap.

    Returns
    -------
    ValidationRun
        The typology, the agreement report (an ``AgreementReport``: ARI, AMI, NMI, ...
        with p-value and intervals, the matching of clusters to types, the regions that
        disagree), the drivers of each disagreement (a ``note`` column says what could not
        be computed), the ceiling table and the clusters.
    """
    from border_readiness.clustering.agreement import agreement, ami_interval, expert_ceiling
    from border_readiness.clustering.explain import disagreement_drivers

    expert = typology.as_series(multi="tuple")
    report = agreement(
        expert,
        clusters,
        n_permutations=n_permutations,
        n_bootstrap=n_bootstrap,
        random_state=random_state,
        # The AMI's p-value comes from the same shuffles (the mutual information's null).
        p_value_metrics=("ari", "ami"),
    )
    # A third stream of the seed (the report draws its permutations and bootstrap from the
    # first two children), so the AMI's resamples are not the ARI's.
    ami_ci = ami_interval(
        report,
        n_bootstrap=n_bootstrap,
        random_state=np.random.SeedSequence(random_state, spawn_key=(2,)),
    )
    drivers = pd.DataFrame()
    if len(report.disagreements):
        assigned = report.assignments.set_index("region_id")
        type_col = next(
            c for c in ("expert_type_used", "type", "expert_type") if c in assigned.columns
        )
        expert_single = assigned[type_col]
        data_types = clusters.reindex(expert_single.index).map(
            lambda c: report.matching.get(c, f"unmatched cluster {c}")
        )
        regions = [r for r in report.disagreements["region_id"] if r in X.index]
        import warnings

        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", UserWarning)
                drivers = disagreement_drivers(
                    X.loc[expert_single.index], data_types, expert_single, regions
                )
            # Regions alone in their expert group have no leave-one-out centroid: say so in
            # the table rather than on the console.
            skipped = [str(w.message) for w in caught]
            if skipped:
                drivers = pd.concat([drivers, pd.DataFrame({"note": skipped})], ignore_index=True)
        except ValueError as exc:
            drivers = pd.DataFrame({"note": [f"drivers not computed: {exc}"]})
    series = {typology.name: expert}
    for name, other in (others or {}).items():
        if name != typology.name:
            series[name] = other.as_series(multi="first")
    # The ceiling compares expert typologies with each other: it needs at least two.
    ceiling = (
        expert_ceiling(
            series,
            n_permutations=min(n_permutations, 999),
            n_bootstrap=min(n_bootstrap, 500),
            random_state=random_state,
        )
        if len(series) >= 2
        else pd.DataFrame()
    )
    return ValidationRun(typology, report, drivers, ceiling, clusters, ami_ci)


@dataclass(frozen=True)
class ExplainRun:
    """Exact SHAP values of the level scores and a surrogate model of cluster membership."""

    level_shap: pd.DataFrame
    surrogate: object
    labels: pd.Series
    #: The surrogate fidelity's null distribution and p-value
    #: (:class:`~border_readiness.clustering._surrogate_null.FidelityNull`); None when not run.
    fidelity_null: object = None


def explain(
    report: ScoreReport,
    labels: pd.Series,
    *,
    random_state: int = 0,
    method: str = "kmeans",
    k: int | None = None,
    null_replicates: int = 49,
) -> ExplainRun:
    """Exact SHAP values of the level scores and a surrogate tree of cluster membership.

    Exact SHAP per region per level of the level scores (any aggregation), with all Russian
    subjects as the background, and a surrogate tree of cluster membership with its LOO
    fidelity.

    Parameters
    ----------
    report : ScoreReport
        A fitted score (:func:`score`'s) with its model and normalised indicators.
    labels : pandas.Series
        The cluster label per region (index ``region_id``) the surrogate tree learns.
    random_state : int, default 0
        Seed of the surrogate tree; the fidelity's null draws from ``(random_state, 1)``.
    method : str, default "kmeans"
        The clustering method refitted on the structureless replicates of the fidelity's null
        (labels read from a file, "from --clusters", are refitted with k-means).
    k : int, optional
        Clusters per null replicate; default the number of distinct ``labels``.
    null_replicates : int, default 49
        Column-permuted replicates for the fidelity's null (>= 1; 0 skips it).

    Returns
    -------
    ExplainRun
        ``level_shap`` (long: ``region_id, target, feature, shap_value, feature_value,
        base_value``, one row per region, level and indicator), the surrogate tree with its
        fidelity (a :class:`~border_readiness.clustering.explain.SurrogateExplanation`) and
        the labels, and ``fidelity_null``: the same surrogate's LOO fidelity on column-permuted
        (structureless) copies of the matrix clustered with the same method and k, with its
        median and Monte Carlo p-value.
    """
    from border_readiness.clustering.explain import surrogate_explanation
    from border_readiness.clustering.shapley import readiness_shap

    level_shap = readiness_shap(report.model, report.normalised)
    X = clustering_matrix(report)
    surrogate = surrogate_explanation(X, labels, random_state=random_state)
    null = None
    if null_replicates:
        from border_readiness.clustering._surrogate_null import fidelity_null
        from border_readiness.clustering.models import METHODS, adjacency_matrix
        from border_readiness.experiments.steps import PreparationError

        if null_replicates < 0:
            raise PreparationError(f"--surrogate-null {null_replicates}: expected >= 1")
        null_method = method if method in METHODS else "kmeans"
        null = fidelity_null(
            X.loc[surrogate.labels.index],
            surrogate.fidelity_loo,
            method=null_method,
            k=int(k if k is not None else pd.Series(labels).nunique()),
            B=int(null_replicates),
            connectivity=(
                adjacency_matrix(list(surrogate.labels.index))
                if null_method == "ward_contiguous"
                else None
            ),
            max_depth=surrogate.max_depth,
            tree_random_state=random_state,
            random_state=(random_state, 1),
        )
    return ExplainRun(level_shap, surrogate, labels, null)
