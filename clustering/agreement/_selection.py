"""Selection-aware replicates: the multi-type resolution is redone inside every replicate.

With ``multi_type="best_match"`` the type of a region with several expert types is chosen
with the observed clusters (:func:`~.alignment._resolve_multi_type`), so the reported ARI is
``T(labels) = ARI(rule(labels), labels)``, a statistic that has already looked at the data.
Its permutation null and its bootstrap distribution must apply the same rule to every
permuted labelling and to every resample; otherwise the null is that of a fixed typology,
which the observed ARI is not, and the p-value is too small.

The rule itself is the one of the observed report (the same Python function), called once per
distinct *input* of a batch rather than once per replicate: a permuted labelling enters the
rule only through the table of single-type regions (type x cluster counts) and the clusters of
the multi-type regions, and with few regions and clusters most replicates share those. The
random draws are those of :mod:`._kernels`, so seeds, batching and workers change nothing.

Also the list of all admissible resolutions (every combination of the multi-type regions'
types) with the ARI of each against the observed clusters: the range shows how much of the
reported ARI is the choice of resolution.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from border_readiness.clustering.agreement._kernels import (
    _ari_codes,
    _mutual_info_codes,
    _sum_squared_counts,
    _uniform_rows,
)
from border_readiness.clustering.agreement.alignment import _resolve_multi_type

# Admissible resolutions listed at most (the product of the multi-type regions' type counts
# grows fast; the chosen one is always listed). The replicates never enumerate them.
MAX_RESOLUTIONS = 4096


class _Resolver:
    """The resolution rule on integer cluster codes, returning integer type codes per region.

    Parameters
    ----------
    regions : list
        The evaluated regions, in the report's order.
    types_of : dict
        region -> tuple of expert types.
    cluster_values : sequence
        The original cluster label of each cluster code (so the rule sees the same labels,
        and breaks ties in the same sorted order, as on the observed data).
    """

    def __init__(self, regions, types_of, cluster_values):
        self.regions = list(regions)
        self.types_of = {r: tuple(types_of[r]) for r in self.regions}
        self.cluster_values = list(cluster_values)
        types = list(dict.fromkeys(t for r in self.regions for t in self.types_of[r]))
        self.type_code = {t: i for i, t in enumerate(types)}
        self.n_types = len(types)
        self.multi = np.array(
            [i for i, r in enumerate(self.regions) if len(self.types_of[r]) > 1], dtype=np.intp
        )
        self.single = np.array(
            [i for i, r in enumerate(self.regions) if len(self.types_of[r]) == 1], dtype=np.intp
        )
        self.single_type = np.array(
            [self.type_code[self.types_of[self.regions[i]][0]] for i in self.single],
            dtype=np.int64,
        )

    def codes(self, cluster_codes: np.ndarray) -> np.ndarray:
        """Type code per region chosen by the rule for one labelling (cluster code per region)."""
        cluster_of = {
            r: self.cluster_values[c] for r, c in zip(self.regions, cluster_codes, strict=True)
        }
        resolved, _ = _resolve_multi_type(self.regions, self.types_of, cluster_of)
        return np.array([self.type_code[resolved[r]] for r in self.regions], dtype=np.int64)

    def codes_weighted(self, multiplicity: np.ndarray, cluster_codes: np.ndarray) -> np.ndarray:
        """Type codes chosen by the rule on a resample: region i present ``multiplicity[i]`` times.

        The copies keep the regions' order, as if the resample were an expert typology of its
        own; regions not drawn get their first type (they are never read).
        """
        copies = [
            (r, j) for r, w in zip(self.regions, multiplicity, strict=True) for j in range(int(w))
        ]
        types_of = {c: self.types_of[c[0]] for c in copies}
        index = {r: i for i, r in enumerate(self.regions)}
        cluster_of = {c: self.cluster_values[cluster_codes[index[c[0]]]] for c in copies}
        resolved, _ = _resolve_multi_type(copies, types_of, cluster_of)
        out = np.array([self.type_code[self.types_of[r][0]] for r in self.regions])
        for (r, _), t in resolved.items():
            out[index[r]] = self.type_code[t]
        return out.astype(np.int64)

    def permutation_keys(self, shuffled: np.ndarray, n_clusters: int) -> np.ndarray:
        """Everything the rule reads from each permuted labelling, one row per replicate."""
        m = shuffled.shape[0]
        cells = self.n_types * n_clusters
        flat = (
            np.arange(m)[:, None] * cells
            + self.single_type[None, :] * n_clusters
            + shuffled[:, self.single]
        )
        table = np.bincount(flat.ravel(), minlength=m * cells).reshape(m, cells)
        return np.concatenate([table, shuffled[:, self.multi]], axis=1)


def _chosen_rows(keys: np.ndarray, resolve) -> np.ndarray:
    """Type codes per replicate: ``resolve(i)`` for one replicate i of each distinct key."""
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    rows = np.stack([resolve(i) for i in first])
    return rows[np.asarray(inverse).ravel()]


def _selection_permutation_batch(start, stop, blocks, resolver, pred_codes, with_mi):
    """Null ARI (and MI) with the resolution redone on each permuted labelling."""
    n = pred_codes.shape[0]
    # The same shuffles as _permutation_batch: argsort of the same uniforms.
    order = np.argsort(_uniform_rows(blocks, start, stop, n), axis=1)
    shuffled = pred_codes[order]
    n_pred = int(pred_codes.max()) + 1
    keys = resolver.permutation_keys(shuffled, n_pred)
    true_rows = _chosen_rows(keys, lambda i: resolver.codes(shuffled[i]))
    ari = _ari_codes(true_rows, shuffled)
    mi = None
    if with_mi:
        mi = np.empty(len(shuffled))
        groups, inverse = np.unique(true_rows, axis=0, return_inverse=True)
        inverse = np.asarray(inverse).ravel()
        for g, row in enumerate(groups):
            sel = inverse == g
            mi[sel] = _mutual_info_codes(row, shuffled[sel], resolver.n_types, n_pred)
    return ari, mi


def _selection_bootstrap_batch(start, stop, blocks, resolver, pred_codes):
    """Bootstrap ARI with the resolution redone on each resample (copy pairs left out)."""
    n = pred_codes.shape[0]
    index = np.minimum((_uniform_rows(blocks, start, stop, n) * n).astype(np.intp), n - 1)
    copy_pairs = _sum_squared_counts(index) - n
    multiplicity = np.stack([np.bincount(row, minlength=n) for row in index])
    true_rows = _chosen_rows(
        multiplicity, lambda i: resolver.codes_weighted(multiplicity[i], pred_codes)
    )
    true_drawn = np.take_along_axis(true_rows, index, axis=1)
    return _ari_codes(true_drawn, pred_codes[index], copy_pairs)


def _resolution_table(resolver: _Resolver, pred_codes: np.ndarray, chosen: np.ndarray):
    """Every admissible resolution (up to MAX_RESOLUTIONS) with its ARI on the observed clusters.

    Returns the table (``resolution`` numbered from 1 in product order of the multi-type
    regions' listed types, one column per multi-type region, ``ari``, ``chosen``) and the
    number of admissible resolutions (which may exceed the rows listed).
    """
    regions = [resolver.regions[i] for i in resolver.multi]
    options = [resolver.types_of[r] for r in regions]
    total = math.prod(len(o) for o in options)
    chosen_types = tuple(
        next(t for t in resolver.types_of[r] if resolver.type_code[t] == chosen[i])
        for r, i in zip(regions, resolver.multi, strict=True)
    )
    combos = list(itertools.islice(itertools.product(*options), MAX_RESOLUTIONS))
    numbers = list(range(1, len(combos) + 1))
    if chosen_types not in combos:
        combos.append(chosen_types)
        numbers.append(_product_rank(options, chosen_types) + 1)
    rows = np.tile(np.asarray(chosen, dtype=np.int64), (len(combos), 1))
    for j, combo in enumerate(combos):
        rows[j, resolver.multi] = [resolver.type_code[t] for t in combo]
    table = pd.DataFrame(
        {"resolution": numbers}
        | {r: [c[j] for c in combos] for j, r in enumerate(regions)}
        | {
            "ari": _ari_codes(rows, np.broadcast_to(pred_codes, rows.shape)),
            "chosen": [c == chosen_types for c in combos],
        }
    )
    return table, total


def _product_rank(options, combo) -> int:
    rank = 0
    for opts, t in zip(options, combo, strict=True):
        rank = rank * len(opts) + opts.index(t)
    return rank
