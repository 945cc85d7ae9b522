"""Aligning expert types with clusters: Hungarian matching, multi-type resolution, table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from border_readiness.clustering.agreement._inputs import _ordered

# Labels of the multi-type resolution, also used in notes and tests.
_SINGLE = "single type"
_STAGE1 = "matched on single-type alignment"
_STAGE2 = "matched on alignment over all regions"
_FIRST = "first listed type"


def _match(weights: np.ndarray) -> list[tuple[int, int]]:
    """Hungarian pairs (row, column) of maximum total weight; zero-overlap pairs are dropped.

    A rectangular table always gets min(rows, columns) pairs from the solver, but a cluster
    that shares no region with a type is not aligned to it in any meaningful sense.
    """
    if weights.size == 0:
        return []
    rows, cols = linear_sum_assignment(weights, maximize=True)
    return [(int(i), int(j)) for i, j in zip(rows, cols, strict=True) if weights[i, j] > 0]


def _weights(regions, types, clusters, type_weights, cluster_of) -> np.ndarray:
    row = {t: i for i, t in enumerate(types)}
    col = {c: j for j, c in enumerate(clusters)}
    table = np.zeros((len(types), len(clusters)))
    for region in regions:
        for t, w in type_weights(region):
            table[row[t], col[cluster_of[region]]] += w
    return table


def _resolve_multi_type(regions, types_of, cluster_of) -> tuple[dict, dict]:
    """Pick one type per region; see :func:`agreement` for the rule. Returns (type, how)."""
    resolved: dict = {}
    how: dict = {}
    for region in regions:
        if len(types_of[region]) == 1:
            resolved[region], how[region] = types_of[region][0], _SINGLE
    pending = [r for r in regions if r not in resolved]
    if not pending:
        return resolved, how
    all_types = list(dict.fromkeys(t for r in regions for t in types_of[r]))
    clusters = _ordered(cluster_of[r] for r in regions)

    def aligned(table):
        return {clusters[j]: all_types[i] for i, j in _match(table)}

    def settle(matching, label):
        for region in list(pending):
            matched = matching.get(cluster_of[region])
            if matched is not None and matched in types_of[region]:
                resolved[region], how[region] = matched, label
                pending.remove(region)

    single = [r for r in regions if how.get(r) == _SINGLE]
    first_type = lambda r: [(types_of[r][0], 1.0)]  # noqa: E731
    settle(aligned(_weights(single, all_types, clusters, first_type, cluster_of)), _STAGE1)

    # Still open: align on every region; an open region counts 1/k for each of its k types so
    # that it weighs as much as any other region.
    def share(region):
        if region in resolved:
            return [(resolved[region], 1.0)]
        k = len(types_of[region])
        return [(t, 1.0 / k) for t in types_of[region]]

    settle(aligned(_weights(regions, all_types, clusters, share, cluster_of)), _STAGE2)
    for region in pending:
        resolved[region], how[region] = types_of[region][0], _FIRST
    return resolved, how


def _aligned_table(labels_type: list, labels_cluster: list) -> tuple[pd.DataFrame, dict]:
    # Types keep the expert's order (a typology lists its types in a meaningful order, e.g.
    # west to east); clusters are sorted.
    types = list(dict.fromkeys(labels_type))
    clusters = _ordered(labels_cluster)
    row = {t: i for i, t in enumerate(types)}
    col = {c: j for j, c in enumerate(clusters)}
    counts = np.zeros((len(types), len(clusters)), dtype=np.int64)
    for t, c in zip(labels_type, labels_cluster, strict=True):
        counts[row[t], col[c]] += 1
    pairs = sorted(_match(counts.astype(float)))
    matched_rows = [i for i, _ in pairs]
    matched_cols = [j for _, j in pairs]
    # Matched pairs on the diagonal, in type order; the unmatched keep their order at the end.
    row_order = matched_rows + [i for i in range(len(types)) if i not in matched_rows]
    col_order = matched_cols + [j for j in range(len(clusters)) if j not in matched_cols]
    table = pd.DataFrame(
        counts[np.ix_(row_order, col_order)],
        index=pd.Index([types[i] for i in row_order], name="expert_type"),
        columns=pd.Index([clusters[j] for j in col_order], name="cluster"),
    )
    matching = {clusters[j]: types[i] for i, j in pairs}
    matching = dict(sorted(matching.items(), key=lambda kv: col_order.index(col[kv[0]])))
    return table, matching


def _quote(types: Sequence) -> str:
    return " or ".join(f"'{t}'" for t in types)


def _type_text(types: tuple) -> Any:
    return types[0] if len(types) == 1 else " / ".join(map(str, types))
