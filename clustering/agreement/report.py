"""The agreement report: metrics, permutation p-value, bootstrap interval, notes."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from border_readiness.clustering._jsonsafe import jsonable
from border_readiness.clustering.agreement._inputs import (
    _as_series,
    _cluster_label,
    _count_int,
    _expert_types,
    _seed,
)
from border_readiness.clustering.agreement._kernels import (
    _MI_TIE_TOL,
    _ari_codes,
    _bootstrap_batch,
    _factorize,
    _mutual_info_codes,
    _permutation_batch,
    _run_batches,
    _seed_blocks,
)
from border_readiness.clustering.agreement._report_notes import _notes, _selection_notes
from border_readiness.clustering.agreement._selection import (
    _resolution_table,
    _Resolver,
    _selection_bootstrap_batch,
    _selection_permutation_batch,
)
from border_readiness.clustering.agreement.alignment import (
    _aligned_table,
    _quote,
    _resolve_multi_type,
    _type_text,
)

METRICS: tuple[str, ...] = ("ari", "ami", "nmi", "fmi", "v_measure")
MULTI_TYPE_RULES: tuple[str, ...] = ("best_match", "exclude")

# Below this many regions the report always warns that the figures are fragile (design.md,
# "Small n"): one region moving changes the ARI by a lot.


@dataclass(frozen=True, eq=False)
class AgreementReport:
    """Agreement between an expert typology and data clusters on the regions both assign.

    Attributes
    ----------
    ari, ami, nmi, fmi, v_measure : float
        Adjusted Rand index, adjusted mutual information, normalised mutual information,
        Fowlkes-Mallows index and V-measure (scikit-learn, arithmetic normalisation).
    p_value : float
        Monte Carlo permutation p-value of the ARI, ``(b + 1) / (m + 1)``; NaN when
        ``n_permutations == 0``.
    p_values : dict
        p-value per metric named in ``p_value_metrics`` (always ``'ari'`` when computed).
    ari_ci : tuple of float
        ``(low, high)`` percentile bootstrap interval of the ARI at ``ci_level``; NaNs when
        ``n_bootstrap == 0``.
    ci_level : float
        Coverage of ``ari_ci`` (0.95 by default).
    n_regions : int
        Regions evaluated: present and assigned in both partitions.
    n_permutations, n_bootstrap : int
        Replicates used.
    contingency : DataFrame
        Counts, rows expert types (``expert_type``), columns clusters (``cluster``); aligned
        pairs on the diagonal, unaligned types and clusters last.
    matching : dict
        Cluster -> the expert type it is aligned to (clusters aligned to no type are absent).
    disagreements : DataFrame
        ``region_id, expert_type, data_type, reason, cluster``: regions whose cluster is
        aligned to a type that is not (one of) their expert type(s), or to no type.
    excluded : DataFrame
        ``region_id, reason`` for regions left out of the evaluation.
    assignments : DataFrame
        One row per evaluated region: ``region_id, expert_types`` (all, as given),
        ``expert_type`` (the one used for the metrics), ``resolution`` (how it was chosen),
        ``cluster, data_type, agrees``.
    notes : list of str
        Caveats to show next to the figures (always a small-n note below 30 regions).
    resolutions : DataFrame
        Every admissible resolution of the multi-type regions (one type per region, in
        product order of their listed types; at most ``MAX_RESOLUTIONS`` rows, the chosen one
        always among them): ``resolution`` (number), one column per multi-type region (the
        type it takes), ``ari`` (against the observed clusters) and ``chosen`` (the one the
        rule picked). One row when no region has several types.
    n_resolutions : int
        Number of admissible resolutions (may exceed the rows of ``resolutions``).
    selection_aware : bool
        True when the type of some region was chosen with the clusters, so that the
        permutations and bootstrap replicates redo that choice.

    Examples
    --------
    >>> import pandas as pd
    >>> expert = pd.Series({"A": "West", "B": "West", "C": "East", "D": "East"})
    >>> report = agreement(expert, pd.Series({"A": 1, "B": 1, "C": 0, "D": 0}),
    ...                    n_permutations=99, n_bootstrap=0)
    >>> report.ari, report.matching
    (1.0, {1: 'West', 0: 'East'})
    >>> report.notes[0]
    'n = 4 regions: agreement figures are fragile; read the contingency table'
    """

    ari: float
    ami: float
    nmi: float
    fmi: float
    v_measure: float
    p_value: float
    p_values: dict
    ari_ci: tuple[float, float]
    ci_level: float
    n_regions: int
    n_permutations: int
    n_bootstrap: int
    contingency: pd.DataFrame
    matching: dict
    disagreements: pd.DataFrame
    excluded: pd.DataFrame
    assignments: pd.DataFrame
    notes: list[str]
    resolutions: pd.DataFrame
    n_resolutions: int
    selection_aware: bool

    @property
    def ari_range(self) -> tuple[float, float]:
        """``(min, max)`` of the ARI over the listed admissible resolutions.

        Returns
        -------
        tuple of float
            Both equal to :attr:`ari` when no region carries several expert types.

        Examples
        --------
        >>> import pandas as pd
        >>> expert = pd.Series({"A": "W", "B": "W", "C": "E", "D": ("E", "W")})
        >>> report = agreement(expert, pd.Series({"A": 0, "B": 0, "C": 1, "D": 0}),
        ...                    n_permutations=0, n_bootstrap=0)
        >>> [round(v, 3) for v in report.ari_range], report.n_resolutions
        ([0.0, 1.0], 2)
        """
        return float(self.resolutions["ari"].min()), float(self.resolutions["ari"].max())

    @property
    def resolved_multi_type(self) -> pd.DataFrame:
        """Rows of :attr:`assignments` for regions that carried several expert types.

        Returns
        -------
        DataFrame
            The columns of :attr:`assignments`; ``expert_type`` is the type kept and
            ``resolution`` says how it was chosen (or why the region was left out).

        Examples
        --------
        >>> import pandas as pd
        >>> expert = pd.Series({"A": "W", "B": "W", "C": "E", "D": ("E", "W")})
        >>> report = agreement(expert, pd.Series({"A": 0, "B": 0, "C": 1, "D": 0}),
        ...                    n_permutations=0, n_bootstrap=0)
        >>> report.resolved_multi_type[["region_id", "expert_type", "resolution"]].values.tolist()
        [['D', 'W', 'matched on single-type alignment']]
        """
        many = self.assignments["expert_types"].map(len) > 1
        return self.assignments[many].reset_index(drop=True)

    def to_dict(self) -> dict:
        """JSON-ready summary (NaN becomes None, tables become lists of records).

        Returns
        -------
        dict
            The metrics, p-values, interval, counts, ``matching``, the contingency table as
            ``expert_types``/``clusters``/``counts``, the disagreement, exclusion and
            multi-type tables as records, and ``notes``; safe for ``json.dumps(allow_nan=False)``.

        Examples
        --------
        >>> import json, pandas as pd
        >>> report = agreement(pd.Series({"A": "W", "B": "W", "C": "E"}),
        ...                    pd.Series({"A": 0, "B": 0, "C": 1}), n_permutations=9,
        ...                    n_bootstrap=0)
        >>> d = report.to_dict()
        >>> d["ari"], d["p_value"], d["ari_ci"], d["n_regions"]
        (1.0, 0.4, [None, None], 3)
        >>> json.loads(json.dumps(d, allow_nan=False))["matching"]
        {'0': 'W', '1': 'E'}
        """
        return jsonable(
            {
                "ari": self.ari,
                "ami": self.ami,
                "nmi": self.nmi,
                "fmi": self.fmi,
                "v_measure": self.v_measure,
                "p_value": self.p_value,
                "p_values": self.p_values,
                "ari_ci": list(self.ari_ci),
                "ci_level": self.ci_level,
                "n_regions": self.n_regions,
                "n_permutations": self.n_permutations,
                "n_bootstrap": self.n_bootstrap,
                "n_types": int(self.contingency.shape[0]),
                "n_clusters": int(self.contingency.shape[1]),
                "matching": self.matching,
                "contingency": {
                    "expert_types": list(self.contingency.index),
                    "clusters": list(self.contingency.columns),
                    "counts": self.contingency.to_numpy().tolist(),
                },
                "disagreements": self.disagreements,
                "excluded": self.excluded,
                "resolved_multi_type": self.resolved_multi_type.assign(
                    expert_types=lambda f: f["expert_types"].map(list)
                ),
                "notes": list(self.notes),
                "selection_aware": self.selection_aware,
                "n_resolutions": self.n_resolutions,
                "ari_range": list(self.ari_range),
                "resolutions": self.resolutions,
            }
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per metric: ``metric, value, p_value, ci_low, ci_high, ci_level, n_regions``.

        Returns
        -------
        DataFrame
            Five rows (ari, ami, nmi, fmi, v_measure); ``p_value`` is NaN for metrics without a
            permutation test, and the ``ci_*`` columns are filled for the ARI only, as are
            ``range_low``/``range_high`` (:attr:`ari_range`) and ``n_resolutions``.

        Examples
        --------
        >>> import pandas as pd
        >>> report = agreement(pd.Series({"A": "W", "B": "W", "C": "E"}),
        ...                    pd.Series({"A": 0, "B": 0, "C": 1}), n_permutations=9,
        ...                    n_bootstrap=0)
        >>> report.to_frame()[["metric", "value", "p_value"]].head(2)
          metric  value  p_value
        0    ari    1.0      0.4
        1    ami    1.0      NaN
        """
        values = [self.ari, self.ami, self.nmi, self.fmi, self.v_measure]
        return pd.DataFrame(
            {
                "metric": list(METRICS),
                "value": values,
                "p_value": [self.p_values.get(m, math.nan) for m in METRICS],
                "ci_low": [self.ari_ci[0]] + [math.nan] * 4,
                "ci_high": [self.ari_ci[1]] + [math.nan] * 4,
                "ci_level": [self.ci_level] + [math.nan] * 4,
                "n_regions": self.n_regions,
                "range_low": [self.ari_range[0]] + [math.nan] * 4,
                "range_high": [self.ari_range[1]] + [math.nan] * 4,
                "n_resolutions": [self.n_resolutions] + [math.nan] * 4,
            }
        )


def agreement(
    expert: pd.Series | Mapping,
    clusters: pd.Series | Mapping,
    *,
    n_permutations: int = 9999,
    n_bootstrap: int = 2000,
    random_state: int | np.random.SeedSequence | None = 0,
    multi_type: Literal["best_match", "exclude"] = "best_match",
    p_value_metrics: Sequence[str] = ("ari",),
    ci_level: float = 0.95,
    batch_size: int = 1000,
    n_jobs: int | None = None,
) -> AgreementReport:
    """Compare an expert typology with data clusters on the regions both assign.

    **Regions.** A region is evaluated when it is in both Series with an expert type (not
    NaN, not an empty string or tuple) and a cluster label (not NaN). Every other region is
    listed in ``excluded`` with the reason. Evaluated regions keep the order of ``expert``.

    **Several types per region.** Segment-level typologies may give a region two types. The
    metrics need one, so with ``multi_type="best_match"`` the type is chosen as follows:

    1. align types and clusters with the Hungarian method on the single-type regions only; a
       region whose cluster is aligned to one of its types takes that type;
    2. for the regions still open, align again on all regions, where a chosen region counts 1
       for its type and an open region with k types counts 1/k for each; a region whose
       cluster is now aligned to one of its types takes that type;
    3. otherwise the region takes its first listed type (it then disagrees).

    The choice and the step that made it are in ``assignments`` (``resolution``) and
    ``resolved_multi_type``, and summarised in ``notes``. Because the chosen type is the one
    the data agree with where possible, best_match errs towards agreement; use
    ``multi_type="exclude"`` to leave such regions out instead. Every admissible resolution
    (each combination of the regions' types) is listed in ``resolutions`` with its ARI, and
    ``ari_range`` gives the spread.

    **Selection-aware inference.** When the rule chose some type with the clusters, the
    reported ARI has looked at the data, so every permutation applies the same rule to its
    permuted labels and every bootstrap replicate to its resample (copies of a region kept in
    the regions' order) before computing its ARI: p-value and interval then include the
    selection. Without multi-type regions nothing is chosen and the replicates are the plain
    ones below (same numbers as before).

    **Alignment.** The final contingency table (expert types x clusters) is aligned with
    ``scipy.optimize.linear_sum_assignment``, maximising the number of regions on aligned
    pairs; pairs with no region in common are not aligned. Ties go to the first type and
    cluster in sorted order. A region disagrees when its cluster is aligned to a type that is
    not one of its expert types, or to none ("unmatched cluster N").

    **Permutation p-value.** Cluster labels are shuffled over the evaluated regions (sizes of
    both partitions fixed, as in Qannari et al. 2014); ``p = (b + 1) / (m + 1)`` where b of
    the m shuffles reach at least the observed ARI, so p is never 0 and never below
    ``1 / (m + 1)``. With fixed sizes FMI is an increasing function of the same pair count as
    ARI, and AMI, NMI and V-measure of the mutual information, so ``p_value_metrics`` may ask
    for any of them at no extra cost: ``fmi`` gets the ARI's p-value, the three MI-based
    metrics share the p-value of the mutual information.

    **Bootstrap interval.** Regions are drawn n times with replacement and the ARI is
    computed on the drawn (type, cluster) pairs, a region drawn twice counting as two
    regions but the pairs formed by copies of one region left out (they agree under any two
    partitions and would lean every resampled ARI upwards). With 12 regions read the interval
    as a rough range, not a guarantee. The interval is the ``(1 - ci_level) / 2`` and
    ``(1 + ci_level) / 2`` quantiles.

    Parameters
    ----------
    expert : Series or mapping
        region_id -> type, or -> tuple/list of types. Missing or empty means unassigned.
    clusters : Series or mapping
        region_id -> cluster label (any hashable; NaN means unassigned). Every label is a
        cluster, HDBSCAN's noise label -1 included: drop those regions first if needed.
    n_permutations : int
        Monte Carlo shuffles for the p-value; 0 skips the test (p-value NaN).
    n_bootstrap : int
        Bootstrap resamples for ``ari_ci``; 0 skips it (interval NaN).
    random_state : int, SeedSequence or None
        Root seed; permutations and bootstrap draw from two children of
        ``SeedSequence(random_state)``, each split into blocks of 1000 replicates.
    multi_type : {"best_match", "exclude"}
        What to do with regions that carry several expert types.
    p_value_metrics : sequence of str
        Metrics, among ``METRICS``, that get a permutation p-value (``'ari'`` always does).
    ci_level : float
        Coverage of the bootstrap interval, in (0, 1).
    batch_size : int
        Replicates computed together; does not change the result.
    n_jobs : int, optional
        joblib workers over batches; ``None`` follows ``joblib.parallel_config``.

    Returns
    -------
    AgreementReport

    Examples
    --------
    >>> import pandas as pd
    >>> expert = pd.Series({"RU-AST": "West", "RU-VGG": "West", "RU-SAR": "West",
    ...                     "RU-OMS": "East", "RU-NVS": "East", "RU-ALT": "East"})
    >>> clusters = pd.Series({"RU-AST": 0, "RU-VGG": 0, "RU-SAR": 1,
    ...                       "RU-OMS": 1, "RU-NVS": 1, "RU-ALT": 1})
    >>> report = agreement(expert, clusters, n_permutations=999, n_bootstrap=200)
    >>> round(report.ari, 4), report.matching
    (0.3243, {0: 'West', 1: 'East'})
    >>> report.disagreements.loc[0, ["region_id", "data_type", "reason"]].tolist()
    ['RU-SAR', 'East', "cluster 1 is matched to 'East'; expert says 'West'"]
    >>> report.contingency  # doctest: +NORMALIZE_WHITESPACE
    cluster      0  1
    expert_type
    West         2  1
    East         0  3
    """
    expert = _as_series(expert, "expert")
    clusters = _as_series(clusters, "clusters")
    n_permutations = _count_int(n_permutations, "n_permutations")
    n_bootstrap = _count_int(n_bootstrap, "n_bootstrap")
    if _count_int(batch_size, "batch_size") < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if multi_type not in MULTI_TYPE_RULES:
        raise ValueError(f"multi_type must be one of {MULTI_TYPE_RULES}, got {multi_type!r}")
    if isinstance(p_value_metrics, str):
        p_value_metrics = (p_value_metrics,)
    unknown = [m for m in p_value_metrics if m not in METRICS]
    if unknown:
        raise ValueError(f"p_value_metrics must be among {METRICS}, got {unknown}")
    if not (isinstance(ci_level, (int, float)) and 0 < ci_level < 1):
        raise ValueError(f"ci_level must be in (0, 1), got {ci_level!r}")
    permutation_seed, bootstrap_seed = _seed(random_state).spawn(2)

    # ---- which regions are evaluated, and why the others are not
    types_of = {r: _expert_types(r, v) for r, v in expert.items()}
    label_of = {r: _cluster_label(r, v) for r, v in clusters.items()}
    regions: list = []
    excluded: list[tuple[Any, str]] = []
    for region in list(expert.index) + [r for r in clusters.index if r not in types_of]:
        reasons = []
        if region not in types_of:
            reasons.append("not in the expert typology")
        elif not types_of[region]:
            reasons.append("no expert type")
        if region not in label_of:
            reasons.append("no cluster label (absent from clusters)")
        elif label_of[region] is None:
            reasons.append("no cluster label (missing value)")
        if not reasons and multi_type == "exclude" and len(types_of[region]) > 1:
            reasons.append(
                f"several expert types ({_quote(types_of[region])}) and multi_type='exclude'"
            )
        if reasons:
            excluded.append((region, "; ".join(reasons)))
        else:
            regions.append(region)
    n = len(regions)
    if n < 2:
        raise ValueError(
            f"agreement needs at least 2 regions with an expert type and a cluster label, got {n}"
        )
    cluster_of = {r: label_of[r] for r in regions}
    selection_aware = any(len(types_of[r]) > 1 for r in regions)

    # ---- one type per region, then the aligned table
    resolved, how = _resolve_multi_type(regions, types_of, cluster_of)
    expert_labels = [resolved[r] for r in regions]
    cluster_labels = [cluster_of[r] for r in regions]
    contingency, matching = _aligned_table(expert_labels, cluster_labels)

    rows, disagreeing = [], []
    for region in regions:
        cluster = cluster_of[region]
        matched = matching.get(cluster)
        data_type = matched if matched is not None else f"unmatched cluster {cluster}"
        agrees = matched is not None and matched in types_of[region]
        rows.append(
            (region, types_of[region], resolved[region], how[region], cluster, data_type, agrees)
        )
        if not agrees:
            said = _quote(types_of[region])
            reason = (
                f"cluster {cluster} is matched to '{matched}'; expert says {said}"
                if matched is not None
                else f"cluster {cluster} is matched to no expert type; expert says {said}"
            )
            disagreeing.append((region, _type_text(types_of[region]), data_type, reason, cluster))
    assignments = pd.DataFrame(
        rows,
        columns=[
            "region_id",
            "expert_types",
            "expert_type",
            "resolution",
            "cluster",
            "data_type",
            "agrees",
        ],
    )
    disagreements = pd.DataFrame(
        disagreeing, columns=["region_id", "expert_type", "data_type", "reason", "cluster"]
    )

    # ---- metrics on integer codes (labels may mix types)
    true_codes = _factorize(np.array(expert_labels, dtype=object), "expert types")
    pred_codes = _factorize(np.array(cluster_labels, dtype=object), "cluster labels")
    ari = float(skm.adjusted_rand_score(true_codes, pred_codes))
    ami = float(skm.adjusted_mutual_info_score(true_codes, pred_codes))
    nmi = float(skm.normalized_mutual_info_score(true_codes, pred_codes))
    fmi = float(skm.fowlkes_mallows_score(true_codes, pred_codes))
    v_measure = float(skm.v_measure_score(true_codes, pred_codes))
    n_clusters = int(pred_codes.max()) + 1

    # The rule on codes, for the replicates and the list of resolutions; the cluster codes map
    # back to the original labels so that the rule breaks ties as on the observed data.
    cluster_values = [cluster_labels[int(np.argmax(pred_codes == c))] for c in range(n_clusters)]
    resolver = _Resolver(regions, types_of, cluster_values)
    observed_codes = np.array([resolver.type_code[t] for t in expert_labels], dtype=np.int64)
    resolutions, n_resolutions = _resolution_table(resolver, pred_codes, observed_codes)
    if selection_aware:
        perm_task, boot_task, codes_arg = (
            _selection_permutation_batch,
            _selection_bootstrap_batch,
            resolver,
        )
        true_codes = observed_codes
    else:
        perm_task, boot_task, codes_arg = _permutation_batch, _bootstrap_batch, true_codes

    # ---- permutation test
    p_values: dict[str, float] = {}
    p_value = math.nan
    if n_permutations:
        with_mi = any(m in p_value_metrics for m in ("ami", "nmi", "v_measure"))
        parts = _run_batches(
            perm_task,
            n_permutations,
            batch_size,
            n_jobs,
            _seed_blocks(permutation_seed, n_permutations),
            codes_arg,
            pred_codes,
            with_mi,
        )
        # The observed value goes through the same code as the null, so equal tables tie.
        null_ari = np.concatenate([a for a, _ in parts])
        observed_ari = _ari_codes(true_codes, pred_codes[None, :])[0]
        p_value = float((1 + np.count_nonzero(null_ari >= observed_ari)) / (n_permutations + 1))
        p_values["ari"] = p_value
        if "fmi" in p_value_metrics:
            p_values["fmi"] = p_value
        if with_mi:
            null_mi = np.concatenate([m for _, m in parts])
            k_true, k_pred = int(true_codes.max()) + 1, int(pred_codes.max()) + 1
            if selection_aware:
                k_true = resolver.n_types  # the null's codes span every type
            observed_mi = _mutual_info_codes(true_codes, pred_codes[None, :], k_true, k_pred)[0]
            b = np.count_nonzero(null_mi >= observed_mi - _MI_TIE_TOL)
            for metric in ("ami", "nmi", "v_measure"):
                if metric in p_value_metrics:
                    p_values[metric] = float((1 + b) / (n_permutations + 1))

    # ---- bootstrap interval of the ARI
    ari_ci = (math.nan, math.nan)
    if n_bootstrap:
        boot = np.concatenate(
            _run_batches(
                boot_task,
                n_bootstrap,
                batch_size,
                n_jobs,
                _seed_blocks(bootstrap_seed, n_bootstrap),
                codes_arg,
                pred_codes,
            )
        )
        lo, hi = np.quantile(boot, [(1 - ci_level) / 2, (1 + ci_level) / 2])
        ari_ci = (float(lo), float(hi))

    notes = _notes(n, excluded, assignments, contingency, matching, n_permutations)
    notes += _selection_notes(
        resolutions, n_resolutions, selection_aware, n_permutations, n_bootstrap
    )
    return AgreementReport(
        ari=ari,
        ami=ami,
        nmi=nmi,
        fmi=fmi,
        v_measure=v_measure,
        p_value=p_value,
        p_values=p_values,
        ari_ci=ari_ci,
        ci_level=float(ci_level),
        n_regions=n,
        n_permutations=n_permutations,
        n_bootstrap=n_bootstrap,
        contingency=contingency,
        matching=matching,
        disagreements=disagreements,
        excluded=pd.DataFrame(excluded, columns=["region_id", "reason"]),
        assignments=assignments,
        notes=notes,
        resolutions=resolutions,
        n_resolutions=n_resolutions,
        selection_aware=selection_aware,
    )
