"""The analysis steps: prepare data, score, cluster (and its stability), validate, explain.

Each step returns plain results (dataclasses and frames); nothing here writes files. The one
sequence that chains them for every command is
:func:`border_readiness.experiments.pipeline.analyse`.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import pandas as pd

from border_readiness.errors import UserInputError
from border_readiness.experiments import _checks
from border_readiness.features.catalogue import Indicator
from border_readiness.features.profiles import ProfileRule
from border_readiness.features.scoring import ScoreConfig, ScoreReport

__all__ = [
    "ClusterRun",
    "PreparationError",
    "Prepared",
    "assess_stability",
    "assess_structure",
    "cluster",
    "clustering_matrix",
    "fit_clusters",
    "prepare",
    "score",
]


class PreparationError(UserInputError):
    """Data, year or regions that cannot be analysed; the message names the option."""


@dataclass(frozen=True)
class Prepared:
    """Everything the analysis steps need: data, selection, year and compiled indicators."""

    data: pd.DataFrame
    data_label: str
    regions: list[str]
    regions_choice: str
    year: int
    compiled: object
    reference: pd.Series
    catalogue: list[Indicator]
    rules: list[ProfileRule]
    score_config: ScoreConfig
    refused: list[str] = field(default_factory=list)
    #: The catalogue's ``[levels]`` descriptions (:func:`~features.catalogue.load_level_notes`).
    level_notes: dict = field(default_factory=dict)


def prepare(
    data: pd.DataFrame,
    *,
    data_label: str = "bundled",
    year: int | None = None,
    regions: str = "border",
    score_config: ScoreConfig | None = None,
    catalogue_path=None,
    profiles_path=None,
    progress=None,
) -> Prepared:
    """Select regions, pick the year, compile the catalogue for all Russian subjects.

    Parameters
    ----------
    data : pandas.DataFrame
        The long table (``region_id``, ``indicator``, ``year``, ``value``, ...), as
        :func:`~border_readiness.features.dataset.load_dataset` returns it.
    data_label : str, default "bundled"
        How the data is named in error messages (a file name, or "bundled").
    year : int, optional
        The year to analyse; None picks the latest year complete enough for the selection.
    regions : str or list of str, default "border"
        ``"border"``, ``"all"`` (every Russian subject in the data) or any set of subjects
        (see ``experiments/_region_sets.py``); normalised against all subjects whatever the set.
    score_config : ScoreConfig, optional
        The score's configuration; None is ``ScoreConfig()``.
    catalogue_path : str or Path, optional
        An indicator catalogue TOML; None is the shipped one.
    profiles_path : str or Path, optional
        A file of profile rules; None is the shipped one.
    progress : callable, optional
        Called with a short message before each long step and each region refused.

    Returns
    -------
    Prepared
        Data, regions analysed, year, indicators compiled for all Russian subjects, national
        reference, catalogue, profile rules and score configuration.

    Raises
    ------
    RegionSetError
        When ``regions`` names no usable set, or a named region has no rows.
    PreparationError
        When a region has too little data, the year is not in the data or none is complete
        enough; the message names the option.
    ImputationPolicyError
        An indicator is gap-filled for more than ``max_imputed_share_indicator`` of the
        scored regions (the message lists each).

    Examples
    --------
    >>> from border_readiness.features.dataset import load_dataset
    >>> p = prepare(load_dataset())
    >>> p.year, len(p.regions)
    (2021, 12)
    """
    from border_readiness.experiments._region_sets import selected_in_data
    from border_readiness.features import coverage_check as cov
    from border_readiness.features.catalogue import load_catalogue, load_level_notes
    from border_readiness.features.imputation_policy import check_indicator_share
    from border_readiness.features.indicators import (
        compile_indicators,
        latest_complete_year,
        national_reference,
    )
    from border_readiness.features.profiles import load_profile_rules

    say = progress or (lambda _m: None)
    selection, regions, explicit, what = selected_in_data(
        regions, set(data["region_id"]), data_label
    )
    years = set(int(y) for y in data["year"].unique())
    if year is not None and year not in years:
        raise PreparationError(
            f"--year {year}: the data has no figures for that year "
            f"(covers {min(years)}–{max(years)})"
        )
    catalogue = load_catalogue(catalogue_path)
    # What the data lacks, in its own series names, before any work (not a catalogue error).
    last = year or max(years)
    absent = cov.absent_series_check(data, year=last, regions=selection, cat=catalogue)
    if absent is not None:
        raise PreparationError(f"--data {absent.absent_message(data_label)}")
    rules = load_profile_rules(profiles_path)
    if year is None:
        try:
            year = latest_complete_year(data, regions=selection, catalogue=catalogue)
        except ValueError as exc:
            raise PreparationError(f"--data {data_label}: {exc}") from None
    gaps = cov.check_coverage(data, year=year, regions=selection, catalogue=catalogue).gaps
    if len(gaps):
        say(f"data check for {year}: {cov.gaps_sentence(gaps)}")
    say(f"compiling {len(catalogue)} indicators for {year}")
    policy = score_config or ScoreConfig()
    try:
        compiled = compile_indicators(
            data, year=year, catalogue=catalogue, max_imputed_share=policy.max_imputed_share
        )
    except ValueError as exc:
        raise PreparationError(f"--year {year}: {exc}") from None
    _checks.check_spread(compiled, f"--data {data_label}, --year {year}")
    refused = sorted(set(compiled.refused["region_id"]) & set(selection))
    if refused and explicit:
        raise PreparationError(
            f"--year {year}: {what} {', '.join(refused)} have too little data to score "
            "(see the imputation rules and Territories kept apart in the README)"
        )
    for rid in refused:
        say(f"warning: {rid} refused (too little data), not analysed")
    selection = [r for r in selection if r not in refused]
    check_indicator_share(
        compiled.imputations, selection, policy.max_imputed_share_indicator, year=int(year)
    )
    reference = national_reference(data, year=year, catalogue=catalogue)
    return Prepared(
        data,
        data_label,
        selection,
        regions,
        int(year),
        compiled,
        reference,
        catalogue,
        rules,
        score_config or ScoreConfig(),
        refused,
        load_level_notes(catalogue_path),
    )


def score(prep: Prepared, progress=None, *, uncertainty: bool = True) -> ScoreReport:
    """The readiness scores of the prepared regions.

    Parameters
    ----------
    prep : Prepared
        From :func:`prepare`.
    progress : callable, optional
        Called with a short message before each long step.
    uncertainty : bool, default True
        Run the Monte Carlo rank intervals and the Sobol' indices; without them the report's
        ``uncertainty``, ``sensitivity`` and ``factors`` tables are empty (the steps that only
        need the nominal model, such as clustering, skip the 10 000 replicates).

    Returns
    -------
    ScoreReport
        See :func:`border_readiness.features.scoring.score_regions`.
    """
    from border_readiness.features.scoring import score_regions

    return score_regions(
        prep.compiled,
        prep.regions,
        reference=prep.reference,
        config=prep.score_config,
        profile_rules=prep.rules,
        progress=progress,
        uncertainty=uncertainty,
    )


def clustering_matrix(report: ScoreReport) -> pd.DataFrame:
    """The matrix that is clustered: normalised scored indicators of the selected regions.

    The scored indicators of the selected regions, treated for outliers and normalised against
    all Russian subjects with directions applied (the score's normalisation), divided by the
    normalisation's unit (100 for min-max, rank and distance to the national value, 1 for
    z-scores) so that every indicator weighs about the same in the distances: 0–1 for the
    default min-max.

    Parameters
    ----------
    report : ScoreReport
        A fitted score (:func:`score`'s); its ``normalised`` table and the model's
        ``unit_`` are used.

    Returns
    -------
    pandas.DataFrame
        One row per selected region (index ``region_id``), one column per scored indicator,
        in the normalisation's units divided by ``unit_``.
    """
    return report.normalised / report.model.unit_


@dataclass(frozen=True)
class ClusterRun:
    """A clustering of the regions, with its stability analysis once assessed.

    ``stability`` (bootstrap Jaccard), ``consensus``, ``loo_regions`` and ``loo_indicators``
    are None until :func:`assess_stability` has run.
    """

    X: pd.DataFrame
    method: str
    k: int
    labels: pd.Series
    k_scores: pd.DataFrame
    stability: object = None
    consensus: object = None
    loo_regions: pd.DataFrame | None = None
    loo_indicators: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    elapsed_stability_s: float = float("nan")
    # How new regions are assigned to these clusters (the registered model's rule); on the
    # clustered regions it reproduces ``labels``.
    assignment: object = None
    n_init: int = 10
    random_state: int = 0
    # Whether the data show cluster structure at all (:func:`assess_structure`); None before.
    structure: object = None

    @property
    def confidence(self) -> pd.Series:
        """Bootstrap membership confidence per region (NaN before the stability analysis).

        Returns
        -------
        pandas.Series
            Named ``confidence``, indexed like ``labels``: the share (0–1) of the bootstrap
            replicates that drew the region in which it landed in the cluster matched to its
            own (NaN for noise regions).
        """
        if self.stability is None:
            return pd.Series(float("nan"), index=self.labels.index, name="confidence")
        return self.stability.membership_confidence.reindex(self.labels.index)


def fit_clusters(
    X: pd.DataFrame,
    *,
    method: str = "kmeans",
    k: int | None = None,
    random_state: int = 0,
    n_init: int = 10,
) -> ClusterRun:
    """Cluster the regions (no stability analysis: see :func:`assess_stability`).

    Parameters
    ----------
    X : DataFrame
        The clustering matrix (:func:`clustering_matrix`), one row per region.
    method : str, default "kmeans"
        One of :data:`border_readiness.clustering.models.METHODS`.
    k : int, optional
        Number of clusters; None chooses it by the method's criterion.
    random_state : int, default 0
    n_init : int, default 10

    Returns
    -------
    ClusterRun
        With ``stability``, ``consensus`` and the leave-one-out tables left None.
    """
    from border_readiness.clustering.models import METHODS, RegionClusterer, adjacency_matrix

    if method not in METHODS:
        raise PreparationError(f"--method {method!r}: expected one of {', '.join(METHODS)}")
    from border_readiness.experiments._region_sets import check_cluster_size

    regions = list(X.index)
    n = len(regions)
    check_cluster_size(n, k)
    if k is not None and not 2 <= k <= n - 1:
        raise PreparationError(f"--k {k}: expected 2..{n - 1} for {n} regions")
    connectivity = adjacency_matrix(regions) if method == "ward_contiguous" else None
    est = RegionClusterer(
        method=method,
        n_clusters=k,
        connectivity=connectivity,
        n_init=n_init,
        random_state=random_state,
    ).fit(X.to_numpy(dtype=float))
    if est.n_clusters_ < 2:
        raise PreparationError(
            f"--method {method}: found {est.n_clusters_} cluster(s); nothing to "
            "assess (try another method or --k)"
        )
    labels = pd.Series(est.labels_, index=pd.Index(regions, name="region_id"), name="cluster")
    return ClusterRun(
        X,
        method,
        int(est.n_clusters_),
        labels,
        est.k_scores_,
        notes=list(est.notes_),
        assignment=est.assignment_,
        n_init=n_init,
        random_state=random_state,
    )


def assess_stability(
    run: ClusterRun,
    *,
    B: int = 1000,
    consensus_reps: int = 500,
    bootstrap_seed: int | None = None,
    consensus_seed: int | None = None,
    progress=None,
    consensus_scheme: str = "ccp",
) -> ClusterRun:
    """The stability of a fitted clustering: bootstrap, consensus, leave-one-out effects.

    Bootstrap Jaccard per cluster (fpc::clusterboot), consensus matrices over k with PAC
    (ConsensusClusterPlus), per-region membership confidence, and leave-one-region-out and
    leave-one-indicator-out effects of a fitted clustering.

    Parameters
    ----------
    run : ClusterRun
        From :func:`fit_clusters`.
    B : int, default 1000
        Bootstrap replicates (at least 10).
    consensus_reps : int, default 500
        Subsamples per k for the consensus matrices.
    bootstrap_seed, consensus_seed : int, optional
        Seeds of the bootstrap and the consensus (default: the clustering's ``random_state``,
        as :mod:`border_readiness.experiments.seeds` splits them); the leave-one-out refits
        use the clustering's own seed.
    progress : callable, optional
        Called with a short message before each long step; a
        :class:`~border_readiness.experiments._progress.ProgressPrinter` also drives bars.
    consensus_scheme : {"ccp", "multistart"}, default "ccp"
        "ccp": one k-means (or Gaussian-mixture) start per subsample, as ConsensusClusterPlus's
        stock ``clusterAlg = "km"``; "multistart": the main fit's ``n_init`` starts.

    Returns
    -------
    ClusterRun
        ``run`` with its stability fields filled in.
    """
    from border_readiness.clustering.models import max_clusters
    from border_readiness.clustering.stability import (
        BATCH_SIZE,
        bootstrap_jaccard,
        consensus,
        leave_one_out_effects,
    )
    from border_readiness.experiments._stability_methods import (
        consensus_method_for,
        fit_predict_for,
        kmeans_fit_predict,
    )

    say = progress or (lambda _m: None)
    # A ProgressPrinter also offers bars for the replicate loops; a plain callable does not.
    bar = getattr(say, "bar", lambda _label: None)
    if B < 10:
        raise PreparationError(f"--bootstrap {B}: expected at least 10 replicates")
    X, method, k_found, n_init = run.X, run.method, run.k, run.n_init
    regions = list(X.index)
    n = len(regions)
    values = X.to_numpy(dtype=float)
    say(f"{method}: k = {k_found}; bootstrap stability, B = {B}")
    fit_predict = fit_predict_for(method, values, regions, k_found, n_init)
    t0 = time.perf_counter()
    boot_bar = bar("bootstrap")
    stab = bootstrap_jaccard(
        X,
        run.labels.to_numpy(),
        method=fit_predict,
        k=k_found,
        B=B,
        n_init=n_init,
        random_state=run.random_state if bootstrap_seed is None else bootstrap_seed,
        progress=boot_bar,
        # Results do not depend on the batch size; with a bar, smaller batches let it move.
        batch_size=max(10, B // 20) if boot_bar else BATCH_SIZE,
    )
    elapsed = time.perf_counter() - t0
    say(f"consensus matrices for k = 2..{max_clusters(n)}, {consensus_reps} subsamples each")
    cons_method = consensus_method_for(
        method, values, regions, fit_predict, k_found, n_init, consensus_scheme
    )
    # HDBSCAN chooses its own number of clusters: consensus over k would repeat one run.
    k_range = [k_found] if method == "hdbscan" else range(2, max_clusters(n) + 1)
    cons_bar = bar("consensus")
    cons = consensus(
        X,
        method=cons_method,
        k_range=k_range,
        reps=consensus_reps,
        n_init=n_init,
        scheme=consensus_scheme,
        random_state=run.random_state if consensus_seed is None else consensus_seed,
        progress=cons_bar,
        batch_size=max(10, consensus_reps // 20) if cons_bar else BATCH_SIZE,
    )
    say("leave-one-region-out and leave-one-indicator-out effects")
    loo_fp = kmeans_fit_predict(k_found, n_init) if method == "kmeans" else fit_predict
    loo_r, loo_i = leave_one_out_effects(
        X,
        run.labels.to_numpy(),
        fit_predict=loo_fp,
        random_state=run.random_state,
        progress=bar("leave-one-out"),
    )
    return dataclasses.replace(
        run,
        stability=stab,
        consensus=cons,
        loo_regions=loo_r,
        loo_indicators=loo_i,
        elapsed_stability_s=elapsed,
    )


def assess_structure(
    run: ClusterRun, *, B: int = 199, random_state: int = 0, alpha: float = 0.05
) -> ClusterRun:
    """Test whether the clustered data show cluster structure at all (before any typology).

    The gap statistic over ``k = 1 … n // 3`` and the silhouette, maximised over the k range
    the clustering chose from, against column-permuted and single-Gaussian nulls
    (:func:`~border_readiness.clustering.structure.structure_test`).

    Parameters
    ----------
    run : ClusterRun
        From :func:`fit_clusters`; its matrix and ``n_init`` are used.
    B : int, default 199
        Replicates per null (``--structure-nulls``, at least 19).
    random_state : int, default 0
        Seed of the reference draws and their k-means starts.
    alpha : float, default 0.05
        Level both null p-values must not exceed for "structure".

    Returns
    -------
    ClusterRun
        ``run`` with ``structure`` filled in.

    Raises
    ------
    PreparationError
        If ``B`` is below 19 (p could never reach 0.05).
    """
    from border_readiness.clustering.structure import structure_test

    if B < 19:
        raise PreparationError(f"--structure-nulls {B}: expected at least 19 (fewer: p > 0.05)")
    values = run.X.to_numpy(dtype=float)
    test = structure_test(values, B=B, alpha=alpha, n_init=run.n_init, random_state=random_state)
    return dataclasses.replace(run, structure=test)


def cluster(
    X: pd.DataFrame,
    *,
    method: str = "kmeans",
    k: int | None = None,
    B: int = 1000,
    consensus_reps: int = 500,
    random_state: int = 0,
    n_init: int = 10,
    progress=None,
    bootstrap_seed: int | None = None,
    consensus_seed: int | None = None,
    structure_nulls: int = 199,
    consensus_scheme: str = "ccp",
) -> ClusterRun:
    """Cluster the regions, test for structure, then measure how stable the clusters are.

    :func:`fit_clusters`, :func:`assess_structure` and :func:`assess_stability`; see those
    for more detail.

    Parameters
    ----------
    X : pandas.DataFrame
        The clustering matrix (:func:`clustering_matrix`), one row per region.
    method : str, default "kmeans"
        One of :data:`border_readiness.clustering.models.METHODS`.
    k : int, optional
        Number of clusters; None chooses it by the method's criterion.
    B : int, default 1000
        Bootstrap replicates for the Jaccard stability (at least 10).
    consensus_reps : int, default 500
        Subsamples per k for the consensus matrices.
    random_state : int, default 0
        Seed of the clustering (and of the bootstrap and consensus unless given below).
    n_init : int, default 10
        Restarts of k-means-type methods; the best fit is kept.
    progress : callable, optional
        Called with a short message before each long step.
    bootstrap_seed, consensus_seed : int, optional
        Seeds of the bootstrap and the consensus (default: ``random_state``).
    structure_nulls : int, default 199
        Replicates per reference null of the structure test (seeded by ``random_state``).
    consensus_scheme : {"ccp", "multistart"}, default "ccp"
        See :func:`assess_stability`.

    Returns
    -------
    ClusterRun
        Labels, the internal indices per k, the structure test and the stability analysis.

    Examples
    --------
    >>> import border_readiness as br
    >>> X = br.clustering_matrix(br.score(br.prepare(br.load_dataset()), uncertainty=False))
    >>> run = br.cluster(X, B=20, consensus_reps=20)
    >>> run.k >= 2, len(run.confidence) == 12
    (True, True)
    """
    run = fit_clusters(X, method=method, k=k, random_state=random_state, n_init=n_init)
    run = assess_structure(run, B=structure_nulls, random_state=random_state)
    return assess_stability(
        run,
        B=B,
        consensus_reps=consensus_reps,
        bootstrap_seed=bootstrap_seed,
        consensus_seed=consensus_seed,
        progress=progress,
        consensus_scheme=consensus_scheme,
    )
