"""Compare a retrained model with the registered one: clusters, ranks, indicators, promotion.

When Rosstat publishes a new year, ``border-readiness retrain --year Y`` fits a model on year Y
and compares it with the model that currently holds the registry alias (fitted on an earlier
year). This module holds the comparison analytics; it answers the analyst's questions

* which clusters survived, split, merged, disappeared or emerged, and which regions changed
  cluster (:func:`cluster_transitions`, MONIC-style external transitions);
* which scores moved beyond their modelling uncertainty (:func:`rank_changes`);
* which indicators drifted between the two years, and by how much (:func:`indicator_drift`);
* how agreement with each expert typology evolves over the years
  (:func:`typology_agreement_over_time`);
* should the new model take the alias (:func:`promotion_decision`).

Promotion only moves the registry alias: every registered version stays in the registry, so
a decision to keep the current model or to promote the new one never loses a model.

Every figure here rests on a dozen regions (design.md, "Small n"): one region changing cluster
moves the ARI a lot, and a Wilcoxon test on 12 pairs has little power. The reports say so and
keep the tables (contingency, per-region moves, per-feature effect sizes) next to the summary
numbers. The module is pure computation (numpy, scipy, pandas and scikit-learn's ARI): no file
I/O, no tracking.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import adjusted_rand_score

__all__ = [
    "DEFAULT_POLICY",
    "TRANSITIONS",
    "Decision",
    "TransitionReport",
    "cluster_transitions",
    "hodges_lehmann",
    "indicator_drift",
    "matched_pairs_rank_biserial",
    "promotion_decision",
    "rank_changes",
    "typology_agreement_over_time",
]

TRANSITIONS: tuple[str, ...] = ("survived", "absorbed", "split", "disappeared", "emerged")

# A survivor must also be recognisably the same group of regions: Jaccard >= 0.5 is the level
# below which Hennig (fpc::clusterboot) calls a cluster "dissolved".
_SURVIVAL_JACCARD = 0.5
# Shares and Jaccard values are ratios of small integers (2/4, 3/6); a tolerance keeps a ratio
# that equals a threshold in exact arithmetic on the right side of it.
_TOL = 1e-12
# Below this many regions the reports warn that the figures are fragile (design.md, "Small n").
_SMALL_N = 30
# The Wilcoxon signed-rank test is computed exactly up to this many non-zero differences when
# there are no ties (the classical tables go to 25; scipy's exact distribution is cheap there).
_EXACT_WILCOXON_MAX_N = 25
# Normal-consistency constants: MAD * 1.4826 and IQR / 1.349 estimate a standard deviation, so
# the robust shift reads like a z-score.
_MAD_TO_SD = 1.4826
_IQR_TO_SD = 1.349
# Cohen (1988) conventions for a correlation coefficient, applied to the rank-biserial r (as in
# the R package effectsize, ``interpret_r(rules = "cohen1988")``).
_EFFECT_BOUNDS: tuple[tuple[float, str], ...] = (
    (0.1, "negligible"),
    (0.3, "small"),
    (0.5, "medium"),
)
_LEVEL_ORDER = ("transport_communication", "joint_projects", "social_services", "overall")
_ALIAS_NOTE = (
    "Promotion only moves the registry alias; every registered version stays in the registry."
)


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """numpy scalars -> Python scalars, so labels compare and serialise as plain values."""
    return value.item() if isinstance(value, np.generic) else value


def _ordered(values: Sequence[Hashable]) -> list:
    """Sorted when the values are comparable (ints, strings), else ordered by type and text."""
    values = list(values)
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=lambda v: (type(v).__name__, str(v)))


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(_plain(k)): _jsonable(v) for k, v in value.items()}
    if isinstance(value, pd.DataFrame):
        return [_jsonable(rec) for rec in value.to_dict("records")]
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is pd.NA or value is None:
        return None
    value = _plain(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _frame(records: list[dict], object_columns: Sequence[str]) -> pd.DataFrame:
    """Records as a frame, keeping label columns as objects: pandas would turn integer labels
    mixed with None into floats (cluster 1 shown as 1.0)."""
    frame = pd.DataFrame(records)
    for column in object_columns:
        frame[column] = pd.Series([rec[column] for rec in records], dtype=object)
    return frame


def _as_labels(obj: Any, name: str) -> pd.Series:
    if isinstance(obj, Mapping):
        obj = pd.Series(dict(obj), dtype=object)
    if not isinstance(obj, pd.Series):
        raise TypeError(
            f"{name} must be a pandas Series region_id -> cluster label, got {type(obj).__name__}"
        )
    if obj.index.has_duplicates:
        twice = obj.index[obj.index.duplicated()].unique()[:5]
        raise ValueError(f"{name} lists region(s) more than once: {', '.join(map(str, twice))}")
    if obj.isna().any():
        unlabelled = obj.index[obj.isna()][:5]
        raise ValueError(
            f"{name} has no cluster label for region(s) "
            f"{', '.join(map(str, unlabelled))}; drop them or give a label"
        )
    return obj


def _check_fraction(name: str, value: Any, *, upper: float = 1.0) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in (0, {upper:g}], got {value!r}") from None
    if not 0.0 < value <= upper:
        raise ValueError(f"{name} must be in (0, {upper:g}], got {value:g}")
    return value


def _small_n_note(n: int) -> str:
    return (
        f"Small n: {n} regions. One region changing cluster or rank moves these figures a "
        "lot; read the tables, not only the summary numbers."
    )


# --------------------------------------------------------------------------------------------
# cluster transitions (MONIC)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TransitionReport:
    """How the clusters of the old model became the clusters of the new one.

    Attributes
    ----------
    events : DataFrame
        One row per old cluster, then one row per emerged new cluster. Columns
        ``old_cluster`` (None for emerged), ``new_clusters`` (tuple), ``transition`` (one of
        :data:`TRANSITIONS`), ``old_size`` and ``new_size`` (regions in both models; for a
        split ``new_size`` sums the parts), ``shared`` (regions of the old cluster in the listed
        new clusters), ``overlap`` (``shared / old_size``), ``jaccard`` (of the old cluster with
        the listed new clusters taken together) and ``regions`` (tuple). For a disappeared
        cluster ``new_clusters`` lists every new cluster that received its regions, closest
        first, ``shared/overlap/jaccard`` refer to the closest one and ``regions`` are all its
        regions; for an emerged cluster ``regions`` are its regions and ``overlap``/``jaccard``
        are NaN.
    new_clusters : DataFrame
        One row per new cluster: ``new_cluster``, ``size``, ``origin`` ("survivor", "merged",
        "split" or "emerged") and ``from_old`` (the old clusters its regions came from, most
        regions first).
    region_moves : DataFrame
        One row per region: ``region_id``, ``presence`` ("both", "old only", "new only"),
        ``old_cluster``, ``new_cluster``, ``old_transition`` (the transition of its old cluster)
        and ``moved`` (nullable boolean): True when its new cluster is not the survivor of its
        old cluster, so every region of a split, absorbed or disappeared cluster has moved;
        <NA> for a region present in one model only.
    contingency : DataFrame
        Regions in both models counted by old cluster (rows) and new cluster (columns); every
        label of both models appears, a zero row or column is a cluster whose regions are all
        missing from the other model.
    ari : float
        ``sklearn.metrics.adjusted_rand_score`` of the two partitions on the regions in both.
    n_regions : int
        Regions in both models.
    only_old, only_new : tuple
        Regions present in one model only; they are left out of the transitions and the ARI.
    survive, split_share : float
        The thresholds used.
    notes : tuple of str
    """

    events: pd.DataFrame
    new_clusters: pd.DataFrame
    region_moves: pd.DataFrame
    contingency: pd.DataFrame
    ari: float
    n_regions: int
    only_old: tuple
    only_new: tuple
    survive: float
    split_share: float
    notes: tuple[str, ...]

    @property
    def moved_regions(self) -> tuple:
        """Regions whose new cluster is not the survivor of their old cluster."""
        moved = self.region_moves["moved"].fillna(False).astype(bool)
        return tuple(self.region_moves.loc[moved, "region_id"])

    def to_frame(self) -> pd.DataFrame:
        """The ``events`` table (a copy), one row per old cluster and per emerged new cluster.

        Examples
        --------
        >>> import pandas as pd
        >>> old = pd.Series({"RU-OMS": 0, "RU-NVS": 0, "RU-ALT": 1, "RU-AL": 1})
        >>> cluster_transitions(old, old).to_frame()[["old_cluster", "transition", "jaccard"]]
          old_cluster transition  jaccard
        0           0   survived      1.0
        1           1   survived      1.0
        """
        return self.events.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary: tables as lists of records, tuples as lists, NaN/<NA> as None.

        Examples
        --------
        >>> import json, pandas as pd
        >>> old = pd.Series({"RU-OMS": 0, "RU-NVS": 0, "RU-ALT": 1, "RU-AL": 1})
        >>> new = pd.Series({"RU-OMS": "a", "RU-NVS": "a", "RU-ALT": "a", "RU-AL": "a"})
        >>> d = cluster_transitions(old, new).to_dict()
        >>> [(e["old_cluster"], e["transition"]) for e in d["events"]], d["ari"]
        ([(0, 'absorbed'), (1, 'absorbed')], 0.0)
        >>> d["contingency"]["counts"]
        [[2], [2]]
        >>> _ = json.dumps(d, allow_nan=False)
        """
        return _jsonable(
            {
                "ari": self.ari,
                "n_regions": self.n_regions,
                "survive": self.survive,
                "split_share": self.split_share,
                "survival_jaccard": _SURVIVAL_JACCARD,
                "only_old": self.only_old,
                "only_new": self.only_new,
                "events": self.events,
                "new_clusters": self.new_clusters,
                "region_moves": self.region_moves,
                "contingency": {
                    "old_clusters": list(self.contingency.index),
                    "new_clusters": list(self.contingency.columns),
                    "counts": self.contingency.to_numpy().tolist(),
                },
                "notes": self.notes,
            }
        )


def _unique_argmax(counts: np.ndarray) -> int | None:
    """Index of the largest positive count, None when there is none or the maximum is tied."""
    if counts.size == 0 or counts.max() <= 0:
        return None
    top = np.flatnonzero(counts == counts.max())
    return int(top[0]) if top.size == 1 else None


def cluster_transitions(
    old: pd.Series | Mapping,
    new: pd.Series | Mapping,
    *,
    survive: float = 0.5,
    split_share: float = 0.25,
) -> TransitionReport:
    """Classify how each old cluster became the new clusters (MONIC external transitions).

    The rules follow MONIC (Spiliopoulou et al. 2006), made explicit for a dozen regions. They
    are computed on the regions present in both models. For an old cluster X and a new
    cluster Y let ``n(X, Y)`` be the regions they share, ``share(X, Y) = n(X, Y) / |X|`` and
    ``J(X, Y) = n(X, Y) / |X ∪ Y|`` (Jaccard). X's *best match* is the new cluster with the
    most of X's regions, Y's best match the old cluster with the most of Y's regions; a tie
    for the maximum means there is no best match. Each old cluster X takes the first
    transition that applies:

    1. **survived** into Y: Y is X's best match, X is Y's best match, ``share(X, Y) >=
       survive`` and ``J(X, Y) >= 0.5`` (below 0.5 Hennig calls a cluster dissolved);
    2. **absorbed** into Y (a merge): Y is X's best match with ``share(X, Y) >= survive`` and
       Y also holds ``>= survive`` of at least one other old cluster. When two equal clusters
       merge, neither survives and both are absorbed; when a large cluster takes in a small
       one, the large one survives and the small one is absorbed;
    3. **split** into Y1, ..., Yp: at least two new clusters each hold ``>= split_share`` of X;
    4. **disappeared**: none of the above.

    A new cluster is the **survivor** of the old cluster that survived into it; otherwise it
    is **merged** when an old cluster was absorbed into it, **split** when it is a part of a
    split, and **emerged** when none of these holds (e.g. it gathers one region from each of
    several old clusters that survived elsewhere). Emerged clusters get their own row in
    ``events``.

    Parameters
    ----------
    old, new : Series or mapping
        Region id -> cluster label of the old (registered) and the new model. Labels of the two
        models are unrelated (cluster 0 of one model is not cluster 0 of the other). Noise
        labels (HDBSCAN's -1) are treated as a cluster; relabel or drop them first if that is
        not wanted.
    survive : float, default 0.5
        Share of an old cluster's regions a new cluster must hold to be its survivor or the
        cluster absorbing it, in (0, 1]. Survival also needs Jaccard >= 0.5, which already
        implies a share of 0.5, so values below 0.5 only loosen absorption.
    split_share : float, default 0.25
        Share of an old cluster each part of a split must hold, in (0, 0.5] (above 0.5 no two
        parts could qualify).

    Returns
    -------
    TransitionReport
        Events, new-cluster origins, per-region moves, the contingency table and the ARI.

    Raises
    ------
    ValueError
        No region in both models, duplicated or missing labels, thresholds out of range.

    Notes
    -----
    Spiliopoulou, Ntoutsi, Theodoridis, Schult (2006), "MONIC: modeling and monitoring cluster
    transitions", KDD '06, 706-711. MONIC weights by records and allows a cluster to be
    absorbed into a survivor only through its thresholds; here the mutual best match and the
    Jaccard condition decide which of several merging clusters, if any, survives.

    Examples
    --------
    Cluster 1 splits in two; clusters 0 and 2 merge:

    >>> import pandas as pd
    >>> old = pd.Series({"RU-AST": 0, "RU-VGG": 0, "RU-SAR": 2, "RU-SAM": 2,
    ...                  "RU-ORE": 1, "RU-CHE": 1, "RU-KGN": 1, "RU-TYU": 1})
    >>> new = pd.Series({"RU-AST": "A", "RU-VGG": "A", "RU-SAR": "A", "RU-SAM": "A",
    ...                  "RU-ORE": "B", "RU-CHE": "B", "RU-KGN": "C", "RU-TYU": "C"})
    >>> report = cluster_transitions(old, new)
    >>> report.events[["old_cluster", "new_clusters", "transition", "overlap"]]
      old_cluster new_clusters transition  overlap
    0           0         (A,)   absorbed      1.0
    1           1       (B, C)      split      1.0
    2           2         (A,)   absorbed      1.0
    >>> report.new_clusters[["new_cluster", "origin"]]
      new_cluster  origin
    0           A  merged
    1           B   split
    2           C   split
    """
    old = _as_labels(old, "old")
    new = _as_labels(new, "new")
    survive = _check_fraction("survive", survive)
    split_share = _check_fraction("split_share", split_share, upper=0.5)

    in_new = set(new.index)
    in_old = set(old.index)
    common = [r for r in old.index if r in in_new]
    only_old = tuple(_plain(r) for r in old.index if r not in in_new)
    only_new = tuple(_plain(r) for r in new.index if r not in in_old)
    if not common:
        raise ValueError("old and new share no region; the two models cannot be compared")

    old_labels = _ordered({_plain(v) for v in old.to_numpy(dtype=object)})
    new_labels = _ordered({_plain(v) for v in new.to_numpy(dtype=object)})
    row_of = {lab: i for i, lab in enumerate(old_labels)}
    col_of = {lab: j for j, lab in enumerate(new_labels)}
    members: dict[tuple[int, int], list] = {}
    counts = np.zeros((len(old_labels), len(new_labels)), dtype=np.int64)
    for region in common:
        i, j = row_of[_plain(old[region])], col_of[_plain(new[region])]
        counts[i, j] += 1
        members.setdefault((i, j), []).append(_plain(region))

    old_size = counts.sum(axis=1)
    new_size = counts.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = counts / old_size[:, None]
        jaccard = counts / (old_size[:, None] + new_size[None, :] - counts)
    share = np.nan_to_num(share, nan=0.0)
    jaccard = np.nan_to_num(jaccard, nan=0.0)
    best_new = [_unique_argmax(counts[i]) for i in range(len(old_labels))]
    best_old = [_unique_argmax(counts[:, j]) for j in range(len(new_labels))]

    def regions_of(i: int, cols: Sequence[int]) -> tuple:
        return tuple(_ordered(r for j in cols for r in members.get((i, j), [])))

    transition: dict[int, str] = {}
    targets: dict[int, tuple[int, ...]] = {}
    for i in range(len(old_labels)):
        j = best_new[i]
        if (
            j is not None
            and best_old[j] == i
            and share[i, j] >= survive - _TOL
            and jaccard[i, j] >= _SURVIVAL_JACCARD - _TOL
        ):
            transition[i], targets[i] = "survived", (j,)
    for i in range(len(old_labels)):
        if i in transition:
            continue
        j = best_new[i]
        if (
            j is not None
            and share[i, j] >= survive - _TOL
            and any(share[k, j] >= survive - _TOL for k in range(len(old_labels)) if k != i)
        ):
            transition[i], targets[i] = "absorbed", (j,)
            continue
        parts = [j for j in range(len(new_labels)) if share[i, j] >= split_share - _TOL]
        if len(parts) >= 2:
            # Largest part first, so the table reads from the main successor down.
            parts.sort(key=lambda c: (-counts[i, c], c))
            transition[i], targets[i] = "split", tuple(parts)
        else:
            received = [j for j in range(len(new_labels)) if counts[i, j] > 0]
            received.sort(key=lambda c: (-counts[i, c], -jaccard[i, c], c))
            transition[i], targets[i] = "disappeared", tuple(received)

    origin: dict[int, str] = {}
    for kind, role in (("survived", "survivor"), ("absorbed", "merged"), ("split", "split")):
        for i, t in transition.items():
            if t == kind:
                for j in targets[i]:
                    origin.setdefault(j, role)

    events = []
    for i, lab in enumerate(old_labels):
        t, cols = transition[i], targets[i]
        if t == "disappeared":
            closest = cols[:1]
            shared = int(counts[i, closest[0]]) if closest else 0
            union = old_size[i] + (new_size[closest[0]] if closest else 0) - shared
            regions = tuple(_ordered(r for r in common if _plain(old[r]) == lab))
            sizes = int(new_size[closest[0]]) if closest else 0
        else:
            shared = int(counts[i, list(cols)].sum())
            sizes = int(new_size[list(cols)].sum())
            union = old_size[i] + sizes - shared
            regions = regions_of(i, cols)
        events.append(
            {
                "old_cluster": lab,
                "new_clusters": tuple(new_labels[j] for j in cols),
                "transition": t,
                "old_size": int(old_size[i]),
                "new_size": sizes,
                "shared": shared,
                "overlap": shared / old_size[i] if old_size[i] else math.nan,
                "jaccard": shared / union if union else math.nan,
                "regions": regions,
            }
        )
    new_rows = []
    for j, lab in enumerate(new_labels):
        role = origin.get(j, "emerged")
        contributors = [i for i in range(len(old_labels)) if counts[i, j] > 0]
        contributors.sort(key=lambda r: (-counts[r, j], r))
        new_rows.append(
            {
                "new_cluster": lab,
                "size": int(new_size[j]),
                "origin": role,
                "from_old": tuple(old_labels[i] for i in contributors),
            }
        )
        if role == "emerged":
            events.append(
                {
                    "old_cluster": None,
                    "new_clusters": (lab,),
                    "transition": "emerged",
                    "old_size": 0,
                    "new_size": int(new_size[j]),
                    "shared": 0,
                    "overlap": math.nan,
                    "jaccard": math.nan,
                    "regions": tuple(_ordered(r for r in common if _plain(new[r]) == lab)),
                }
            )

    survivor_of = {
        old_labels[i]: new_labels[targets[i][0]] for i, t in transition.items() if t == "survived"
    }
    transition_of = {old_labels[i]: t for i, t in transition.items()}
    moves = []
    for region in _ordered([_plain(r) for r in old.index] + list(only_new)):
        o = _plain(old[region]) if region in in_old else None
        n = _plain(new[region]) if region in in_new else None
        both = region in in_old and region in in_new
        moves.append(
            {
                "region_id": region,
                "presence": "both" if both else ("old only" if n is None else "new only"),
                "old_cluster": o,
                "new_cluster": n,
                "old_transition": transition_of[o] if o is not None else None,
                "moved": (n != survivor_of.get(o)) if both else pd.NA,
            }
        )
    region_moves = _frame(moves, object_columns=("old_cluster", "new_cluster"))
    region_moves["moved"] = region_moves["moved"].astype("boolean")

    contingency = pd.DataFrame(
        counts,
        index=pd.Index(old_labels, name="old_cluster"),
        columns=pd.Index(new_labels, name="new_cluster"),
    )
    ari = float(
        adjusted_rand_score(
            [str(_plain(old[r])) for r in common], [str(_plain(new[r])) for r in common]
        )
    )

    notes = []
    if len(common) < _SMALL_N:
        notes.append(_small_n_note(len(common)))
    if only_old:
        notes.append(f"Region(s) only in the old model, left out: {', '.join(map(str, only_old))}.")
    if only_new:
        notes.append(f"Region(s) only in the new model, left out: {', '.join(map(str, only_new))}.")
    return TransitionReport(
        events=_frame(events, object_columns=("old_cluster",)),
        new_clusters=pd.DataFrame(new_rows),
        region_moves=region_moves,
        contingency=contingency,
        ari=ari,
        n_regions=len(common),
        only_old=only_old,
        only_new=only_new,
        survive=survive,
        split_share=split_share,
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------------------------
# rank changes against their uncertainty
# --------------------------------------------------------------------------------------------

_KEYS = ["region_id", "level"]
_SCORE_COLUMNS = ("region_id", "level", "score", "rank")
_UNCERTAINTY_COLUMNS = ("region_id", "level", "rank_p05", "rank_median", "rank_p95")


def _require_columns(frame: Any, columns: Sequence[str], name: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{name} lacks column(s) {', '.join(missing)}; expected {', '.join(columns)}"
        )
    if frame.duplicated(_KEYS).any():
        first = frame.loc[frame.duplicated(_KEYS), _KEYS].iloc[0]
        raise ValueError(
            f"{name} has more than one row for region {first['region_id']}, level {first['level']}"
        )
    return frame


def _interval(low: float, high: float) -> str | None:
    if not (np.isfinite(low) and np.isfinite(high)):
        return None
    return f"{low:g}–{high:g}"


def rank_changes(
    old_scores: pd.DataFrame,
    new_scores: pd.DataFrame,
    old_uncertainty: pd.DataFrame,
    new_uncertainty: pd.DataFrame,
) -> pd.DataFrame:
    """Rank and score changes per region and level, read against the rank uncertainty.

    A rank move counts as *beyond uncertainty* only when it is beyond it in both directions:
    the new nominal rank lies outside the OLD model's 5–95 % rank interval AND the old
    nominal rank lies outside the NEW model's interval. Then neither model's Monte Carlo
    uncertainty (weights, normalisation, imputation...) can explain the move. A one-sided
    excursion is common with 12 regions and is not flagged.

    Parameters
    ----------
    old_scores, new_scores : DataFrame
        Columns ``region_id, level, score, rank`` (rank 1 = most ready), one row per region and
        level, as ``ScoreReport.scores``.
    old_uncertainty, new_uncertainty : DataFrame
        Columns ``region_id, level, rank_p05, rank_median, rank_p95``, as
        ``ScoreReport.uncertainty``. Rows without a score row are ignored.

    Returns
    -------
    DataFrame
        One row per (region, level) present in either model, levels in the study's order then
        by new rank: ``region_id, level, old_rank, new_rank, rank_change`` (new − old, so
        negative means the region moved up towards rank 1), ``old_score, new_score,
        score_change`` (new − old; scores normalised within each year compare positions rather
        than absolute levels), ``old_rank_p05, old_rank_p95, new_rank_p05, new_rank_p95``,
        ``old_interval, new_interval`` (text "p05–p95"), ``intervals_overlap`` and
        ``beyond_uncertainty`` (nullable booleans, <NA> when a figure is missing) and ``note``
        (why a figure is missing, else "").

    Examples
    --------
    >>> import pandas as pd
    >>> def frames(ranks, lows, highs):
    ...     ids = ["RU-OMS", "RU-ORE", "RU-AST"]
    ...     s = pd.DataFrame({"region_id": ids, "level": "overall",
    ...                       "score": [60.0 - 10 * r for r in ranks], "rank": ranks})
    ...     u = pd.DataFrame({"region_id": ids, "level": "overall", "rank_p05": lows,
    ...                       "rank_median": ranks, "rank_p95": highs})
    ...     return s, u
    >>> old_s, old_u = frames([1, 2, 3], [1, 1, 3], [1, 3, 3])
    >>> new_s, new_u = frames([3, 2, 1], [2, 1, 1], [3, 3, 2])
    >>> out = rank_changes(old_s, new_s, old_u, new_u)
    >>> out[["region_id", "old_rank", "new_rank", "old_interval", "new_interval",
    ...      "beyond_uncertainty"]]
      region_id  old_rank  new_rank old_interval new_interval  beyond_uncertainty
    0    RU-AST         3         1          3–3          1–2                True
    1    RU-ORE         2         2          1–3          1–3               False
    2    RU-OMS         1         3          1–1          2–3                True
    """
    frames = {}
    for side, scores, uncertainty in (
        ("old", old_scores, old_uncertainty),
        ("new", new_scores, new_uncertainty),
    ):
        scores = _require_columns(scores, _SCORE_COLUMNS, f"{side}_scores")
        uncertainty = _require_columns(uncertainty, _UNCERTAINTY_COLUMNS, f"{side}_uncertainty")
        merged = scores[list(_SCORE_COLUMNS)].merge(
            uncertainty[_KEYS + ["rank_p05", "rank_p95"]], on=_KEYS, how="left"
        )
        merged["has_interval"] = merged["rank_p05"].notna() & merged["rank_p95"].notna()
        frames[side] = merged.rename(
            columns={c: f"{side}_{c}" for c in merged.columns if c not in _KEYS}
        )
    both = frames["old"].merge(frames["new"], on=_KEYS, how="outer", indicator=True)

    def num(column: str) -> np.ndarray:
        return pd.to_numeric(both[column], errors="raise").to_numpy(dtype=float)

    old_rank, new_rank = num("old_rank"), num("new_rank")
    o_lo, o_hi = num("old_rank_p05"), num("old_rank_p95")
    n_lo, n_hi = num("new_rank_p05"), num("new_rank_p95")
    known = np.isfinite(old_rank) & np.isfinite(new_rank)
    with np.errstate(invalid="ignore"):
        new_outside_old = (new_rank < o_lo) | (new_rank > o_hi)
        old_outside_new = (old_rank < n_lo) | (old_rank > n_hi)
        overlap = (o_lo <= n_hi) & (n_lo <= o_hi)
    intervals_known = np.isfinite(o_lo) & np.isfinite(o_hi) & np.isfinite(n_lo) & np.isfinite(n_hi)
    known_all = known & intervals_known

    notes = []
    for presence, old_has, new_has in zip(
        both["_merge"], both["old_has_interval"], both["new_has_interval"], strict=True
    ):
        if presence == "left_only":
            notes.append("only in the old scores")
        elif presence == "right_only":
            notes.append("only in the new scores")
        else:
            missing = [s for s, has in (("old", old_has), ("new", new_has)) if not has]
            notes.append(f"no {' or '.join(missing)} rank interval" if missing else "")

    out = pd.DataFrame(
        {
            "region_id": both["region_id"],
            "level": both["level"],
            "old_rank": both["old_rank"],
            "new_rank": both["new_rank"],
            "rank_change": new_rank - old_rank,
            "old_score": num("old_score"),
            "new_score": num("new_score"),
            "score_change": num("new_score") - num("old_score"),
            "old_rank_p05": o_lo,
            "old_rank_p95": o_hi,
            "new_rank_p05": n_lo,
            "new_rank_p95": n_hi,
            "old_interval": [_interval(a, b) for a, b in zip(o_lo, o_hi, strict=True)],
            "new_interval": [_interval(a, b) for a, b in zip(n_lo, n_hi, strict=True)],
            "intervals_overlap": pd.array(
                [bool(v) if k else pd.NA for v, k in zip(overlap, intervals_known, strict=True)],
                dtype="boolean",
            ),
            "beyond_uncertainty": pd.array(
                [
                    bool(a and b) if k else pd.NA
                    for a, b, k in zip(new_outside_old, old_outside_new, known_all, strict=True)
                ],
                dtype="boolean",
            ),
            "note": notes,
        }
    )
    if known.all():
        # Whole ranks stay integers when every region is in both models.
        for column in ("old_rank", "new_rank"):
            if (out[column] % 1 == 0).all():
                out[column] = out[column].astype(np.int64)
        if (out["rank_change"] % 1 == 0).all():
            out["rank_change"] = out["rank_change"].astype(np.int64)
    order = {level: i for i, level in enumerate(_LEVEL_ORDER)}
    out["_level"] = out["level"].map(lambda lv: order.get(lv, len(order)))
    out = out.sort_values(
        ["_level", "level", "new_rank", "old_rank", "region_id"],
        na_position="last",
        kind="mergesort",
    )
    return out.drop(columns="_level").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# indicator drift: paired effect sizes for a dozen regions
# --------------------------------------------------------------------------------------------


def matched_pairs_rank_biserial(differences: Sequence[float] | np.ndarray) -> float:
    """Matched-pairs rank-biserial correlation of paired differences (Kerby 2014).

    ``r = (R+ − R−) / (R+ + R−)``: the ranks of ``|d|`` summed over the positive and over the
    negative differences, zero differences dropped as in the Wilcoxon signed-rank test and tied
    ``|d|`` given their average rank. ``r`` runs from −1 (every difference negative) to +1.
    NaN differences are ignored; with no non-zero difference left, r is 0 (no shift).

    Examples
    --------
    Differences 1, 2, 3, −0.5 have ranks 2, 3, 4 (positive) and 1 (negative):

    >>> matched_pairs_rank_biserial([1, 2, 3, -0.5])
    0.8
    >>> matched_pairs_rank_biserial([0, 0, 0])
    0.0
    """
    d = np.asarray(differences, dtype=float).ravel()
    d = d[np.isfinite(d) & (d != 0)]
    if d.size == 0:
        return 0.0
    ranks = stats.rankdata(np.abs(d))
    return float((ranks[d > 0].sum() - ranks[d < 0].sum()) / ranks.sum())


def hodges_lehmann(differences: Sequence[float] | np.ndarray) -> float:
    """Hodges–Lehmann estimate of the shift: the median of the Walsh averages.

    The Walsh averages are ``(d_i + d_j) / 2`` for all ``i <= j`` (each difference with itself
    included), zeros kept. NaN differences are ignored; NaN when none is left.

    Examples
    --------
    Walsh averages of 1, 2, 4 are 1, 1.5, 2.5, 2, 3, 4, whose median is 2.25:

    >>> hodges_lehmann([1, 2, 4])
    2.25
    """
    d = np.asarray(differences, dtype=float).ravel()
    d = d[np.isfinite(d)]
    if d.size == 0:
        return math.nan
    i, j = np.triu_indices(d.size)
    return float(np.median((d[i] + d[j]) / 2.0))


def _effect_label(r: float) -> str | None:
    if not np.isfinite(r):
        return None
    for bound, label in _EFFECT_BOUNDS:
        if abs(r) < bound:
            return label
    return "large"


def _numeric_matrix(X: Any, name: str) -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            f"{name} must be a pandas DataFrame (regions x features), got {type(X).__name__}"
        )
    if X.index.has_duplicates:
        twice = X.index[X.index.duplicated()].unique()[:5]
        raise ValueError(f"{name} lists region(s) more than once: {', '.join(map(str, twice))}")
    if X.columns.has_duplicates:
        twice = X.columns[X.columns.duplicated()].unique()[:5]
        raise ValueError(f"{name} has duplicated feature column(s): {', '.join(map(str, twice))}")
    out = {}
    for column in X.columns:
        try:
            out[column] = pd.to_numeric(X[column], errors="raise").astype(float)
        except (TypeError, ValueError):
            raise ValueError(f"{name} column {column!r} is not numeric") from None
    return pd.DataFrame(out, index=X.index)


def _robust_spread(values: np.ndarray) -> tuple[float, str | None]:
    """A normal-consistent spread of the old values: scaled MAD, else scaled IQR."""
    if values.size == 0:
        return math.nan, None
    mad = float(np.median(np.abs(values - np.median(values))))
    if mad > 0:
        return _MAD_TO_SD * mad, "MAD"
    q1, q3 = np.percentile(values, [25, 75])
    if q3 > q1:
        return float(q3 - q1) / _IQR_TO_SD, "IQR"
    return math.nan, None


def _drift_row(old: np.ndarray, new: np.ndarray) -> dict[str, Any]:
    paired = np.isfinite(old) & np.isfinite(new)
    old, new = old[paired], new[paired]
    d = new - old
    nonzero = d[d != 0]
    notes = []
    if paired.size > old.size:
        notes.append(f"{paired.size - old.size} region(s) missing a value in one year")
    row: dict[str, Any] = {"n_pairs": int(d.size), "n_nonzero": int(nonzero.size)}
    if d.size == 0:
        notes.append("no region has a value in both years")
        return {**row, "effect": None, "wilcoxon_method": None, "note": "; ".join(notes)}
    spread, kind = _robust_spread(old)
    median_difference = float(np.median(d))
    if kind is None:
        notes.append("old values have no spread; robust shift undefined")
    r = matched_pairs_rank_biserial(d)
    if nonzero.size == 0:
        # Nothing moved: the test has no evidence against "no shift".
        p_value, method = 1.0, None
        notes.append("all differences are zero")
    else:
        ties = np.unique(np.abs(nonzero)).size < nonzero.size
        method = "exact" if not ties and nonzero.size <= _EXACT_WILCOXON_MAX_N else "auto"
        p_value = float(stats.wilcoxon(nonzero, method=method).pvalue)
        if ties:
            notes.append("tied |differences|: p-value from scipy's 'auto' method")
        floor = 2.0 / 2.0**nonzero.size
        if floor > 0.05:
            notes.append(
                f"with {nonzero.size} non-zero difference(s) the two-sided p-value "
                f"cannot fall below {floor:.3g}"
            )
    return {
        **row,
        "old_median": float(np.median(old)),
        "new_median": float(np.median(new)),
        "median_difference": median_difference,
        "hodges_lehmann": hodges_lehmann(d),
        "rank_biserial": r,
        "effect": _effect_label(r),
        "robust_shift": median_difference / spread if kind else math.nan,
        "spread": spread,
        "spread_kind": kind,
        "wilcoxon_p": p_value,
        "wilcoxon_method": method,
        "note": "; ".join(notes),
    }


_DRIFT_COLUMNS = (
    "feature",
    "n_pairs",
    "n_nonzero",
    "old_median",
    "new_median",
    "median_difference",
    "hodges_lehmann",
    "rank_biserial",
    "effect",
    "robust_shift",
    "spread",
    "spread_kind",
    "wilcoxon_p",
    "wilcoxon_method",
    "note",
)


def indicator_drift(old_X: pd.DataFrame, new_X: pd.DataFrame) -> pd.DataFrame:
    """Paired shift of each feature between two years, with effect sizes for a dozen regions.

    Regions are paired by index (region id); the difference is ``new − old``, so positive
    values mean the feature rose. Per feature:

    * ``rank_biserial``: matched-pairs rank-biserial correlation (Kerby 2014), zero
      differences dropped as in Wilcoxon (:func:`matched_pairs_rank_biserial`);
    * ``effect``: its label by Cohen's (1988) conventions for r: ``|r| < 0.1`` negligible,
      ``< 0.3`` small, ``< 0.5`` medium, ``>= 0.5`` large;
    * ``hodges_lehmann``: median of the Walsh averages of the differences
      (:func:`hodges_lehmann`), in the feature's units;
    * ``robust_shift``: the median difference divided by the spread of the old values,
      1.4826 × MAD, or IQR / 1.349 when the MAD is 0 (both estimate a standard deviation for
      normal data); NaN with a note when the old values have no spread (``spread`` and
      ``spread_kind`` say which was used);
    * ``wilcoxon_p``: two-sided Wilcoxon signed-rank p-value (``scipy.stats.wilcoxon`` on the
      non-zero differences), exact when there are no tied ``|d|`` and at most 25 of them,
      else scipy's ``method="auto"``; 1.0 when every difference is zero.

    With 12 pairs the test has little power (with 5 or fewer non-zero differences it can
    never reach 0.05), so read the effect sizes first.

    Parameters
    ----------
    old_X, new_X : DataFrame
        Regions (index) × features (columns) of the old and the new year. Regions missing from
        one matrix, and pairs with a missing value, are left out of that feature's figures.

    Returns
    -------
    DataFrame
        One row per feature (the old matrix's order, then features only in the new one):
        ``feature, n_pairs, n_nonzero, old_median, new_median, median_difference,
        hodges_lehmann, rank_biserial, effect, robust_shift, spread, spread_kind, wilcoxon_p,
        wilcoxon_method, note``. A feature present in only one matrix keeps its row, with NaN
        figures and a note.

    Examples
    --------
    >>> import pandas as pd
    >>> ids = ["RU-OMS", "RU-ORE", "RU-AST", "RU-SAR"]
    >>> old = pd.DataFrame({"grp_per_capita": [10.0, 20.0, 30.0, 40.0],
    ...                     "border_crossings": [1.0, 2.0, 3.0, 4.0]}, index=ids)
    >>> new = pd.DataFrame({"grp_per_capita": [11.0, 22.0, 33.0, 39.5],
    ...                     "doctors_per_10k": [5.0, 6.0, 7.0, 8.0]}, index=ids)
    >>> drift = indicator_drift(old, new)
    >>> drift[["feature", "rank_biserial", "effect", "hodges_lehmann"]]
                feature  rank_biserial effect  hodges_lehmann
    0    grp_per_capita            0.8  large           1.375
    1  border_crossings            NaN   None             NaN
    2   doctors_per_10k            NaN   None             NaN
    >>> drift.loc[1, "note"]
    'only in the old matrix'
    """
    old_X = _numeric_matrix(old_X, "old_X")
    new_X = _numeric_matrix(new_X, "new_X")
    in_new = set(new_X.index)
    in_old = set(old_X.index)
    regions = [r for r in old_X.index if r in in_new]
    region_notes = []
    if len(regions) < len(old_X.index) or len(regions) < len(new_X.index):
        left_out = [str(r) for r in old_X.index if r not in in_new]
        left_out += [str(r) for r in new_X.index if r not in in_old]
        region_notes.append(
            f"paired on {len(regions)} region(s); not in both matrices: {', '.join(left_out)}"
        )

    rows = []
    features = list(old_X.columns) + [c for c in new_X.columns if c not in set(old_X.columns)]
    for feature in features:
        if feature not in new_X.columns or feature not in old_X.columns:
            where = "old" if feature in old_X.columns else "new"
            rows.append(
                {
                    "feature": feature,
                    "n_pairs": 0,
                    "n_nonzero": 0,
                    "note": f"only in the {where} matrix",
                }
            )
            continue
        row = _drift_row(
            old_X.loc[regions, feature].to_numpy(dtype=float),
            new_X.loc[regions, feature].to_numpy(dtype=float),
        )
        row["note"] = "; ".join([*region_notes, row["note"]] if row["note"] else region_notes)
        rows.append({"feature": feature, **row})
    out = pd.DataFrame(rows, columns=list(_DRIFT_COLUMNS))
    # Rows built without a figure leave None in numeric columns; make them NaN floats.
    for column in (
        "old_median",
        "new_median",
        "median_difference",
        "hodges_lehmann",
        "rank_biserial",
        "robust_shift",
        "spread",
        "wilcoxon_p",
    ):
        out[column] = out[column].astype(float)
    out["effect"] = out["effect"].astype(object).where(out["effect"].notna(), None)
    return out


# --------------------------------------------------------------------------------------------
# agreement with expert typologies over the years
# --------------------------------------------------------------------------------------------

_AGREEMENT_COLUMNS = ("year", "typology", "ari", "p_value", "ari_ci_low", "ari_ci_high")


def typology_agreement_over_time(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Tidy table of agreement with each expert typology, one row per (typology, year).

    Parameters
    ----------
    rows : list of dict
        Each with ``year``, ``typology`` and ``ari``; ``p_value``, ``ari_ci_low`` and
        ``ari_ci_high`` are optional (NaN when absent); other keys are kept as extra columns.
        Two rows of one typology and year are allowed only when a ``fit`` key tells them
        apart (the registered and the new fit of the same year); they keep their order.

    Returns
    -------
    DataFrame
        ``year, typology, ari, p_value, ari_ci_low, ari_ci_high, previous_year,
        change_vs_previous`` (+ extra columns), sorted by typology then year.
        ``change_vs_previous`` is ``ari`` minus the ARI of the same typology in the nearest
        earlier year listed (``previous_year``), NaN for a typology's first year.

    Examples
    --------
    >>> typology_agreement_over_time([
    ...     {"year": 2022, "typology": "federal_districts", "ari": 0.5},
    ...     {"year": 2021, "typology": "federal_districts", "ari": 0.75},
    ... ])[["year", "typology", "ari", "change_vs_previous"]]
       year           typology   ari  change_vs_previous
    0  2021  federal_districts  0.75                 NaN
    1  2022  federal_districts  0.50               -0.25
    """
    if isinstance(rows, Mapping) or not isinstance(rows, Sequence):
        raise TypeError(f"rows must be a list of dicts, got {type(rows).__name__}")
    for k, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise TypeError(f"rows[{k}] must be a dict, got {type(row).__name__}")
        missing = [c for c in ("year", "typology", "ari") if c not in row]
        if missing:
            raise ValueError(f"rows[{k}] lacks {', '.join(missing)}")
    frame = pd.DataFrame(list(rows))
    # The derived columns are recomputed, so that this table can be fed back in.
    frame = frame.drop(columns=["previous_year", "change_vs_previous"], errors="ignore")
    for column in _AGREEMENT_COLUMNS:
        if column not in frame.columns:
            frame[column] = math.nan if column not in ("year", "typology") else []
    extra = [c for c in frame.columns if c not in _AGREEMENT_COLUMNS]
    frame = frame[list(_AGREEMENT_COLUMNS) + extra]
    # Two fits of one year (a refit on revised figures) are told apart by a ``fit`` column.
    key = ["typology", "year", *(["fit"] if "fit" in frame.columns else [])]
    if frame.duplicated(key).any():
        first = frame.loc[frame.duplicated(key)].iloc[0]
        raise ValueError(
            f"typology {first['typology']!r} has more than one row for year {first['year']}"
        )
    frame["year"] = frame["year"].astype(np.int64)
    for column in ("ari", "p_value", "ari_ci_low", "ari_ci_high"):
        frame[column] = pd.to_numeric(frame[column]).astype(float)
    frame = frame.sort_values(["typology", "year"], kind="mergesort").reset_index(drop=True)
    grouped = frame.groupby("typology", sort=False)
    frame.insert(6, "previous_year", grouped["year"].shift(1).astype("Int64"))
    frame.insert(7, "change_vs_previous", grouped["ari"].diff())
    return frame


# --------------------------------------------------------------------------------------------
# promotion decision
# --------------------------------------------------------------------------------------------

DEFAULT_POLICY: Mapping[str, Any] = MappingProxyType(
    {
        # A refit on revised figures of the same year may be promoted only when asked for; an
        # earlier year never replaces a later one, whatever the policy.
        "allow_same_year": False,
        # Hennig: a mean bootstrap Jaccard <= 0.5 is a dissolved cluster; every cluster must be
        # above it (the same boundary as border_readiness.clustering.stability.hennig_verdict).
        "min_stability_jaccard": 0.5,
        # When the old model's stability is known: the new model's worst cluster may be at most
        # this much less stable (about one of Hennig's bands).
        "max_stability_drop": 0.25,
        # When agreement figures are given: ARI with an expert typology may drop at most this much
        # from the old year to the new one.
        "max_ari_drop": 0.5,
        # Optional limits on how much changed; None leaves them as information only, because a
        # new year of statistics is expected to move regions.
        "max_moved_share": None,
        "max_beyond_uncertainty_share": None,
        "max_large_drift_share": None,
    }
)
_FRACTION_KEYS = (
    "min_stability_jaccard",
    "max_stability_drop",
    "max_ari_drop",
    "max_moved_share",
    "max_beyond_uncertainty_share",
    "max_large_drift_share",
)
_OPTIONAL_KEYS = ("max_moved_share", "max_beyond_uncertainty_share", "max_large_drift_share")


@dataclass(frozen=True, eq=False)
class Decision:
    """Whether the new model should take the registry alias, and why.

    Attributes
    ----------
    action : {"promote", "keep"}
        "promote": move the alias to the new version; "keep": the alias stays on the current
        version. Both keep every registered version.
    reasons : tuple of str
        For "keep", one sentence per failing check; for "promote", one per passing check.
    checks : dict
        Check name -> passed.
    policy : dict
        The policy used (defaults updated by the caller's overrides).
    new_year, old_year : int or None
    notes : tuple of str
        Context that did not decide (moves, ranks beyond uncertainty, drift), and the reminder
        that promotion only moves the alias.
    """

    action: Literal["promote", "keep"]
    reasons: tuple[str, ...]
    checks: dict[str, bool]
    policy: dict[str, Any]
    new_year: int
    old_year: int | None
    notes: tuple[str, ...]

    @property
    def promote(self) -> bool:
        """True when the alias should move to the new version."""
        return self.action == "promote"

    @property
    def summary(self) -> str:
        """One paragraph: the action, then the reasons."""
        head = (
            "Promote: move the alias to the new version."
            if self.promote
            else "Keep: the alias stays on the current version."
        )
        return " ".join([head, *self.reasons])

    def to_frame(self) -> pd.DataFrame:
        """One row per check: ``check, passed``."""
        return pd.DataFrame({"check": list(self.checks), "passed": list(self.checks.values())})

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: action, years, reasons, checks, policy, notes.

        Examples
        --------
        >>> d = promotion_decision(new_year=2023, old_year=2022, transitions=None, drift=None,
        ...                        ranks=None, new_stability_min_jaccard=0.8).to_dict()
        >>> d["action"], d["checks"]
        ('promote', {'later_year': True, 'not_dissolved': True})
        """
        return _jsonable(
            {
                "action": self.action,
                "new_year": self.new_year,
                "old_year": self.old_year,
                "reasons": self.reasons,
                "checks": self.checks,
                "policy": self.policy,
                "notes": self.notes,
            }
        )


def _resolve_policy(policy: Mapping[str, Any] | None) -> dict[str, Any]:
    resolved = dict(DEFAULT_POLICY)
    if policy is None:
        return resolved
    if not isinstance(policy, Mapping):
        raise TypeError(f"policy must be a dict, got {type(policy).__name__}")
    unknown = [k for k in policy if k not in DEFAULT_POLICY]
    if unknown:
        raise ValueError(
            f"unknown policy key(s) {', '.join(map(str, unknown))}; expected "
            f"{', '.join(DEFAULT_POLICY)}"
        )
    resolved.update(policy)
    if not isinstance(resolved["allow_same_year"], bool):
        raise ValueError(
            f"policy allow_same_year must be true or false, got {resolved['allow_same_year']!r}"
        )
    for key in _FRACTION_KEYS:
        value = resolved[key]
        if value is None and key in _OPTIONAL_KEYS:
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not (0.0 <= float(value) <= 1.0)
        ):
            raise ValueError(f"policy {key} must be a number in [0, 1], got {value!r}")
        resolved[key] = float(value)
    return resolved


def _agreement_frame(agreement: Any) -> pd.DataFrame:
    if isinstance(agreement, pd.DataFrame):
        return typology_agreement_over_time(agreement.to_dict("records"))
    return typology_agreement_over_time(agreement)


def promotion_decision(
    *,
    new_year: int,
    old_year: int | None,
    transitions: TransitionReport | None,
    drift: pd.DataFrame | None,
    ranks: pd.DataFrame | None,
    new_stability_min_jaccard: float,
    old_stability_min_jaccard: float | None = None,
    new_agreement: pd.DataFrame | Sequence[Mapping[str, Any]] | None = None,
    policy: Mapping[str, Any] | None = None,
) -> Decision:
    """Decide whether the retrained model takes the registry alias.

    Promotion only moves the alias to the new registered version; the current version stays
    registered and can take the alias back, so nothing is lost either way.

    Checks of the default policy (:data:`DEFAULT_POLICY`, override any key with ``policy``);
    the decision is "promote" when every check made passes, else "keep":

    * ``later_year``: the new model is fitted on a later year than the current one. An earlier
      year never replaces a later one; the same year only with ``allow_same_year=True`` (a
      refit on revised figures). Passes when no model is registered (``old_year=None``).
    * ``not_dissolved``: the new clustering's least stable cluster has a mean bootstrap
      Jaccard above ``min_stability_jaccard`` (0.5, Hennig's "dissolved" boundary). NaN fails.
    * ``stability_not_worse`` (when ``old_stability_min_jaccard`` is given): the new minimum
      is at most ``max_stability_drop`` (0.25) below the old one.
    * ``agreement:<typology>`` (when ``new_agreement`` has the typology in both years): its
      ARI fell by at most ``max_ari_drop`` (0.5) from the old year to the new one.
    * ``moved_share``, ``beyond_uncertainty_share``, ``large_drift_share``: only when the
      matching ``max_*`` key is set; by default moves, rank changes and drift are reported in
      ``notes`` and do not decide, since a new year of statistics is expected to move regions.

    Parameters
    ----------
    new_year, old_year : int
        Years the new and the current model are fitted on; ``old_year=None`` when no model is
        registered yet.
    transitions : TransitionReport or None
        :func:`cluster_transitions` of the current versus the new partition.
    drift : DataFrame or None
        :func:`indicator_drift` of the two years.
    ranks : DataFrame or None
        :func:`rank_changes` of the two models.
    new_stability_min_jaccard : float
        Minimum over the new model's clusters of the mean bootstrap Jaccard.
    old_stability_min_jaccard : float, optional
        The same for the current model.
    new_agreement : DataFrame or list of dict, optional
        Agreement figures in the :func:`typology_agreement_over_time` layout; rows for
        ``new_year`` and ``old_year`` of a typology allow its check.
    policy : dict, optional
        Overrides of :data:`DEFAULT_POLICY`.

    Returns
    -------
    Decision

    Examples
    --------
    >>> decision = promotion_decision(new_year=2022, old_year=2023, transitions=None,
    ...                               drift=None, ranks=None, new_stability_min_jaccard=0.9)
    >>> decision.action
    'keep'
    >>> decision.reasons[0].split(";")[0]
    'The new model is fitted on 2022, earlier than the current model (2023)'
    """
    policy = _resolve_policy(policy)
    new_year = int(new_year)
    old_year = None if old_year is None else int(old_year)
    stability = float(new_stability_min_jaccard)
    if np.isfinite(stability) and not 0.0 <= stability <= 1.0:
        raise ValueError(f"new_stability_min_jaccard must be in [0, 1], got {stability:g}")

    checks: dict[str, bool] = {}
    passed: list[str] = []
    failed: list[str] = []
    notes: list[str] = []

    def record(name: str, ok: bool, sentence: str) -> None:
        checks[name] = bool(ok)
        (passed if ok else failed).append(sentence)

    def limit_share(name: str, key: str, count: int, total: int, what: str) -> None:
        """Check ``count / total`` against the policy's optional upper limit ``key``."""
        limit = policy[key]
        if limit is None or not total:
            return
        share = count / total
        ok = share <= limit + _TOL
        record(
            name,
            ok,
            f"{count} of {total} {what} ({share:.0%}), "
            + ("within" if ok else "more than")
            + f" the allowed {limit:.0%}.",
        )

    if old_year is None:
        record(
            "later_year", True, f"No model is registered yet; the {new_year} model is the first."
        )
    elif new_year > old_year:
        record(
            "later_year",
            True,
            f"The new model is fitted on {new_year}, later than the current model ({old_year}).",
        )
    elif new_year == old_year:
        ok = policy["allow_same_year"]
        record(
            "later_year",
            ok,
            f"The new model is fitted on {new_year}, the same year as the "
            f"current model ({old_year}); "
            + (
                "the policy allows a same-year refit."
                if ok
                else "a same-year refit is not promoted unless the policy allows it."
            ),
        )
    else:
        record(
            "later_year",
            False,
            f"The new model is fitted on {new_year}, earlier than the "
            f"current model ({old_year}); an earlier year never "
            "replaces a later one.",
        )

    limit = policy["min_stability_jaccard"]
    if not np.isfinite(stability):
        record(
            "not_dissolved",
            False,
            "The new clustering's stability is undetermined (minimum mean Jaccard is NaN).",
        )
    else:
        record(
            "not_dissolved",
            stability > limit,
            f"The new clustering's least stable cluster has mean Jaccard {stability:.2f}, "
            + ("above" if stability > limit else "at or below")
            + f" the dissolved level {limit:.2f}.",
        )

    if old_stability_min_jaccard is not None and np.isfinite(stability):
        old_stability = float(old_stability_min_jaccard)
        if np.isfinite(old_stability):
            drop = old_stability - stability
            ok = drop <= policy["max_stability_drop"] + _TOL
            record(
                "stability_not_worse",
                ok,
                f"The least stable cluster's mean Jaccard went from {old_stability:.2f} (current "
                f"model) to {stability:.2f} (new model), a change of {-drop:+.2f}; the policy "
                f"allows a drop of at most {policy['max_stability_drop']:.2f}.",
            )

    if new_agreement is not None:
        frame = _agreement_frame(new_agreement)
        for typology, rows in frame.groupby("typology", sort=True):
            by_year = new_by_year = rows.set_index("year")["ari"]
            if "fit" in rows.columns:
                # a same-year refit: the registered and the new fit are told apart by ``fit``
                new_by_year = rows[rows["fit"] == "new"].set_index("year")["ari"]
                by_year = rows[rows["fit"] != "new"].set_index("year")["ari"]
            if new_year not in new_by_year.index or not np.isfinite(
                new_by_year.get(new_year, np.nan)
            ):
                notes.append(f"No agreement figure with typology '{typology}' for {new_year}.")
                continue
            new_ari = float(new_by_year[new_year])
            if (
                old_year is None
                or old_year not in by_year.index
                or not np.isfinite(by_year[old_year])
            ):
                notes.append(
                    f"Agreement with typology '{typology}' in {new_year}: ARI "
                    f"{new_ari:.2f} (no figure for the current model to compare)."
                )
                continue
            old_ari = float(by_year[old_year])
            drop = old_ari - new_ari
            ok = drop <= policy["max_ari_drop"] + _TOL
            record(
                f"agreement:{typology}",
                ok,
                f"Agreement with typology '{typology}' went from ARI {old_ari:.2f} "
                f"({old_year}) to {new_ari:.2f} ({new_year}), a change of {-drop:+.2f}; the "
                f"policy allows a drop of at most {policy['max_ari_drop']:.2f}.",
            )

    if transitions is not None:
        n_moved = len(transitions.moved_regions)
        counts = transitions.events["transition"].value_counts()
        summary = ", ".join(f"{counts[t]} {t}" for t in TRANSITIONS if t in counts)
        notes.append(
            f"Clusters: {summary}; {n_moved} of {transitions.n_regions} regions moved "
            f"(ARI between the partitions {transitions.ari:.2f})."
        )
        limit_share(
            "moved_share",
            "max_moved_share",
            n_moved,
            transitions.n_regions,
            "regions changed cluster",
        )
    if ranks is not None and "beyond_uncertainty" in ranks.columns:
        beyond = ranks["beyond_uncertainty"].astype("boolean")
        n_known = int(beyond.notna().sum())
        n_beyond = int(beyond.fillna(False).sum())
        notes.append(
            f"{n_beyond} of {n_known} region-level ranks moved beyond their 5–95 % "
            "intervals in both directions."
        )
        limit_share(
            "beyond_uncertainty_share",
            "max_beyond_uncertainty_share",
            n_beyond,
            n_known,
            "region-level ranks moved beyond their uncertainty",
        )
    if drift is not None and "effect" in drift.columns:
        n_measured = int(drift["effect"].notna().sum())
        n_large = int((drift["effect"] == "large").sum())
        notes.append(
            f"{n_large} of {n_measured} features drifted with a large effect "
            "(|rank-biserial r| >= 0.5)."
        )
        limit_share(
            "large_drift_share",
            "max_large_drift_share",
            n_large,
            n_measured,
            "features drifted with a large effect",
        )

    action: Literal["promote", "keep"] = "keep" if failed else "promote"
    notes.append(_ALIAS_NOTE)
    return Decision(
        action=action,
        reasons=tuple(failed if failed else passed),
        checks=checks,
        policy=policy,
        new_year=new_year,
        old_year=old_year,
        notes=tuple(notes),
    )
