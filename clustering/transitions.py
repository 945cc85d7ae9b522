"""Cluster transitions between a registered model and a retrained one (MONIC-style).

Which clusters of the registered model survived, split, merged, disappeared or emerged in the
retrained one, and which regions changed cluster (:func:`cluster_transitions`, MONIC-style
external transitions).

Every figure here rests on a dozen regions (design.md, "Small n"): one region changing cluster
moves the ARI a lot. The report says so and keeps the tables (contingency, per-region moves)
next to the summary numbers. Pure computation: no file I/O, no tracking.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from border_readiness.clustering._jsonsafe import jsonable as _jsonable
from border_readiness.clustering._jsonsafe import plain as _plain
from border_readiness.clustering._small_n import small_n_note

__all__ = ["TRANSITIONS", "TransitionReport", "cluster_transitions"]

TRANSITIONS: tuple[str, ...] = ("survived", "absorbed", "split", "disappeared", "emerged")

# A survivor must also be recognisably the same group of regions: Jaccard >= 0.5 is the level
# below which Hennig (fpc::clusterboot) calls a cluster "dissolved".
_SURVIVAL_JACCARD = 0.5
# Below this many regions the reports warn that the figures are fragile (design.md, "Small n").
# Shares and Jaccard values are ratios of small integers (2/4, 3/6); a tolerance keeps a ratio
# that equals a threshold in exact arithmetic on the right side of it.
RATIO_TOL = 1e-12


def _ordered(values: Sequence[Hashable]) -> list:
    """Sorted when the values are comparable (ints, strings), else ordered by type and text."""
    values = list(values)
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=lambda v: (type(v).__name__, str(v)))


def _frame(records: list[dict], object_columns: Sequence[str]) -> pd.DataFrame:
    """Records as a frame, keeping label columns as objects.

    Pandas would turn integer labels mixed with None into floats (cluster 1 shown as 1.0).
    """
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
        Caveats to show next to the figures (small n, regions in one model only).
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
        """Regions whose new cluster is not the survivor of their old cluster.

        Returns
        -------
        tuple
            Region ids with ``moved`` True in :attr:`region_moves`, in its row order; regions
            present in one model only are not included.
        """
        moved = self.region_moves["moved"].fillna(False).astype(bool)
        return tuple(self.region_moves.loc[moved, "region_id"])

    def to_frame(self) -> pd.DataFrame:
        """The ``events`` table (a copy), one row per old cluster and per emerged new cluster.

        Returns
        -------
        DataFrame
            A copy of :attr:`events` (columns described there).

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

        Returns
        -------
        dict
            ``ari``, ``n_regions``, the thresholds (``survive``, ``split_share``,
            ``survival_jaccard``), ``only_old``/``only_new``, the ``events``, ``new_clusters``
            and ``region_moves`` tables as records, the contingency table as
            ``old_clusters``/``new_clusters``/``counts``, and ``notes``.

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
            and share[i, j] >= survive - RATIO_TOL
            and jaccard[i, j] >= _SURVIVAL_JACCARD - RATIO_TOL
        ):
            transition[i], targets[i] = "survived", (j,)
    for i in range(len(old_labels)):
        if i in transition:
            continue
        j = best_new[i]
        if (
            j is not None
            and share[i, j] >= survive - RATIO_TOL
            and any(share[k, j] >= survive - RATIO_TOL for k in range(len(old_labels)) if k != i)
        ):
            transition[i], targets[i] = "absorbed", (j,)
            continue
        parts = [j for j in range(len(new_labels)) if share[i, j] >= split_share - RATIO_TOL]
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
    if note := small_n_note(len(common), "retrain"):
        notes.append(note)
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
