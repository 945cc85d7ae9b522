"""The vectorised sampler of the composite's choices, shared by Monte Carlo and Sobol'.

:class:`_Engine` precomputes, once, everything the replicates share (the normalised matrices
per method, the weight tables per weighting, normalisation and dropped indicator, the
normalised rows a Copeland score compares) with the same kernels as the nominal model, then
scores and ranks any batch of replicates, each coded as one option index per factor.

Memory: the ranks of R replicates are R x regions x (levels + 1) float64 by definition (the
result, allocated once); the working memory of a batch is bounded by :data:`_BATCH_BUDGET`
(replicates taken in sub-batches) and, for Copeland, by the row chunks of
:mod:`~border_readiness.features.composite._copeland` (the (regions, reference, indicators)
sign tensor is built a chunk of rows at a time unless it fits the budget whole).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from border_readiness.features._parallel import (
    batch_slices,
    items_within,
    run_ordered,
    seed_blocks,
    single_threaded_blas,
)
from border_readiness.features.composite._checks import _aligned, _choices, _structure, _values
from border_readiness.features.composite._copeland import _TIE_TOL, _pairwise_signs, _row_step
from border_readiness.features.composite.aggregation import (
    AGGREGATIONS,
    _level_weights,
    geometric_shift,
)
from border_readiness.features.composite.normalisation import NORMALISATIONS, normalise
from border_readiness.features.composite.weights import WEIGHTINGS, _pca_level, normalise_weights

# Random draws of the Monte Carlo design come in blocks of this many replicates, each block from
# its own child SeedSequence, so that replicate r depends only on (random_state, r) and never on
# batch_size or the number of workers.
_SEED_BLOCK = 1000
# Copeland margins form a (replicates x regions x reference) matrix; replicates are taken in
# chunks that keep it under this many bytes (at least one replicate per chunk: one replicate's
# margins, regions x reference, are quadratic by definition).
_COPELAND_BUDGET = 64 * 2**20
_COPELAND_CHUNK = 256
# Working bytes of one sub-batch of replicates (scores, their weighted products and the sort of
# the ranks, about 16 float64 values per region, level and replicate): at 100,000 regions a
# 1000-replicate batch would otherwise hold some 30 GB of temporaries.
_BATCH_BUDGET = 256 * 2**20


def _copeland_chunk(n_pairs: int, budget: int = _COPELAND_BUDGET) -> int:
    """Replicates per chunk so that a float64 (chunk, n_pairs) margin matrix fits ``budget``."""
    return min(_COPELAND_CHUNK, items_within(budget, 8 * n_pairs))


def _descending_ranks(scores: np.ndarray) -> np.ndarray:
    """Average ranks along axis 1 of a (replicates, regions, outputs) array, 1 = highest."""
    # Sort once (n log n) rather than compare all pairs (n^2): this step dominates the run time.
    order = np.argsort(-scores, axis=1, kind="stable")
    ordered = np.take_along_axis(scores, order, axis=1)
    n = scores.shape[1]
    position = np.arange(n).reshape(1, n, 1)
    # Neighbours closer than round-off are tied: e.g. two regions with the same integer Copeland
    # level scores in a different order get overall means that differ in the last bit.
    size = np.max(np.abs(ordered), axis=1, keepdims=True)
    differs = (ordered[:, :-1] - ordered[:, 1:]) > _TIE_TOL * np.where(size > 0, size, 1.0)
    opens = np.ones(ordered.shape, dtype=bool)
    opens[:, 1:] = differs
    closes = np.ones(ordered.shape, dtype=bool)
    closes[:, :-1] = differs
    first = np.maximum.accumulate(np.where(opens, position, 0), axis=1)
    last = np.minimum.accumulate(np.where(closes, position, n - 1)[:, ::-1], axis=1)[:, ::-1]
    ranks = np.empty(scores.shape)
    np.put_along_axis(ranks, order, (first + last) / 2.0 + 1.0, axis=1)
    return ranks


class _Engine:
    """Everything the replicates share, precomputed once.

    Normalised matrices per method, weight tables per (weighting, normalisation, dropped
    indicator), and for Copeland the normalised rows and reference rows (their sign tensor
    is cached only when it fits :data:`_COPELAND_BUDGET`, else built per row chunk).
    """

    def __init__(
        self,
        X,
        directions,
        groups,
        *,
        fit_on,
        reference,
        normalisations,
        weightings,
        aggregations,
        catalogue_weights,
        dropout,
        level_weights,
    ):
        values = _values(X)
        if values.shape[0] < 2:
            raise ValueError("ranking needs at least two regions in X")
        self.regions, self.indicators = X.index, X.columns
        self.levels, self.positions = _structure(groups, X.columns)
        self.notes: dict[str, str] = {}

        normalisations = _choices(normalisations, NORMALISATIONS, "normalisations")
        if "distance_to_reference" in normalisations and reference is None:
            normalisations = self._omit(
                "normalisation", normalisations, "distance_to_reference", "no `reference` given"
            )
        weightings = _choices(weightings, WEIGHTINGS, "weightings")
        if "catalogue" in weightings and catalogue_weights is None:
            weightings = self._omit(
                "weighting", weightings, "catalogue", "no `catalogue_weights` given"
            )
        self.normalisations = normalisations
        self.weightings = weightings
        self.aggregations = _choices(aggregations, AGGREGATIONS, "aggregations")
        self.dropout = bool(dropout)

        g = pd.Series(np.empty(len(X.columns), dtype=object), index=X.columns)
        for level, idx in zip(self.levels, self.positions, strict=True):
            g.iloc[idx] = level
        level_frame = pd.DataFrame(columns=self.levels, dtype=float)
        self.level_weights = _level_weights(level_frame, level_weights)

        K, (N, n_ind) = len(normalisations), values.shape
        self.Z = np.zeros((K, N, n_ind))
        self.logZ = np.zeros((K, N, n_ind))
        self.mask = np.zeros((K, N, n_ind), dtype=bool)
        # The normalised reference regions of each normalisation: they fit the PCA weights, the
        # geometric shift and are the regions a Copeland score compares with, exactly as in
        # border_readiness.features.composite.model (the nominal model).
        fitted = []
        basis = X if fit_on is None else fit_on
        common = {"directions": directions, "reference": reference}
        for k, method in enumerate(normalisations):
            with warnings.catch_warnings():
                # Indicators without spread are reported once, by the nominal model.
                warnings.simplefilter("ignore", UserWarning)
                Zk = normalise(X, method, fit_on=fit_on, **common).to_numpy()
                fitted.append(normalise(basis, method, fit_on=fit_on, **common).to_numpy())
            self.mask[k] = ~np.isnan(Zk)
            self.Z[k] = np.where(self.mask[k], Zk, 0.0)
            if "geometric" in self.aggregations:
                positive = Zk + geometric_shift(fitted[k])
                bad = self.mask[k] & ~(positive > 0)
                if bad.any():
                    raise ValueError(
                        f"geometric aggregation after {method!r} normalisation meets values more "
                        f"than one unit below the reference minimum in indicator(s) "
                        f"{list(X.columns[bad.any(axis=0)])}; remove one of them from "
                        f"`normalisations` / `aggregations`"
                    )
                self.logZ[k] = np.where(
                    self.mask[k], np.log(np.where(self.mask[k], positive, 1)), 0.0
                )

        present = self.mask.all(axis=0)
        for level, idx in zip(self.levels, self.positions, strict=True):
            empty = ~present[:, idx].any(axis=1)
            if empty.any():
                raise ValueError(
                    f"region(s) {list(X.index[empty])} have no usable indicator in level {level!r}"
                )

        # Drop options per level: index 0 is "none"; an indicator can be dropped only if every
        # region keeps another usable indicator in the level, so no level is ever emptied.
        self.drop_options: list[list[int | None]] = []
        for idx in self.positions:
            options: list[int | None] = [None]
            if self.dropout and idx.size > 1:
                for i in idx:
                    others = idx[idx != i]
                    if present[:, others].any(axis=1).all():
                        options.append(int(i))
            self.drop_options.append(options)

        catalogue = None
        if "catalogue" in weightings:
            raw_catalogue = _aligned(catalogue_weights, X.columns, "catalogue_weights")
            catalogue = normalise_weights(raw_catalogue, g).to_numpy()
            if "equal" in weightings:
                weightings = self._merge_identical(weightings, raw_catalogue, catalogue, g)
                self.weightings = weightings
        # tables[level][weighting, normalisation, drop option] -> weights of the level's indicators
        self.tables = []
        fallbacks: set[str] = set()
        for idx, options in zip(self.positions, self.drop_options, strict=True):
            table = np.zeros((len(weightings), K, len(options), idx.size))
            for o, dropped in enumerate(options):
                keep = idx != dropped if dropped is not None else np.ones(idx.size, dtype=bool)
                for wi, name in enumerate(weightings):
                    for k in range(K):
                        if name == "equal":
                            w = keep.astype(float)
                        elif name == "catalogue":
                            w = np.where(keep, catalogue[idx], 0.0)
                        else:
                            w = np.zeros(idx.size)
                            w[keep], note = _pca_level(fitted[k][:, idx[keep]])
                            if note:
                                level = self.levels[len(self.tables)]
                                fallbacks.add(f"pca in level {level!r}: {note}")
                        total = w.sum()
                        if total <= 0:
                            raise ValueError(
                                f"{name} weights sum to 0 in level "
                                f"{self.levels[len(self.tables)]!r} after dropping "
                                f"{X.columns[dropped] if dropped is not None else 'nothing'}"
                            )
                        table[wi, k, o] = w / total
            self.tables.append(table)
        if fallbacks:
            self.notes["weighting"] = "; ".join(
                [self.notes.get("weighting", ""), *sorted(fallbacks)]
            ).strip("; ")

        self.n_reference = basis.shape[0]
        # Copeland compares the normalised rows (NaN = missing) with the normalised reference;
        # the (rows x reference x indicators) signs are derived from them per row chunk.
        self.copeland_rows = None
        self._signs: dict[tuple[int, int], np.ndarray] = {}
        if "copeland" in self.aggregations:
            self.copeland_rows = [
                (np.where(self.mask[k], self.Z[k], np.nan), fitted[k]) for k in range(K)
            ]

    def _merge_identical(self, weightings, raw_catalogue, catalogue, g):
        # Catalogue weights constant within every level equal the equal weights (also after
        # any drop-out, both being re-normalised over the same indicators): sampling both would
        # give that one scheme twice the probability of the others and a weighting factor that
        # looks like three options but is two. Keep the first listed (the nominal choice).
        equal = normalise_weights(pd.Series(1.0, index=g.index), g).to_numpy()
        if not np.allclose(catalogue, equal, rtol=0, atol=1e-12):
            return weightings
        values = np.asarray(raw_catalogue, dtype=float)
        why = (
            f"every catalogue weight is {float(values[0])!r}"
            if np.all(values == values[0])
            else "catalogue weights are constant within every level"
        )
        kept = "equal" if weightings.index("equal") < weightings.index("catalogue") else "catalogue"
        dropped = "catalogue" if kept == "equal" else "equal"
        merged = tuple(w for w in weightings if w != dropped)
        note = (
            f"equal and catalogue weights are identical here ({why}): merged into {kept!r}, "
            f"so each of the {len(merged)} distinct schemes is drawn with probability "
            f"1/{len(merged)} (sampling both would have drawn that one scheme with probability "
            f"2/{len(weightings)})"
        )
        self.notes["weighting"] = "; ".join([self.notes.get("weighting", ""), note]).strip("; ")
        return merged

    def _omit(self, factor: str, options: tuple[str, ...], option: str, why: str):
        kept = tuple(o for o in options if o != option)
        if not kept:
            raise ValueError(f"{factor}: the only option {option!r} cannot be used: {why}")
        self.notes[factor] = f"{option!r} omitted: {why}"
        warnings.warn(f"{factor} {option!r} is not varied: {why}", UserWarning, stacklevel=4)
        return kept

    # -- design ------------------------------------------------------------------------------

    @property
    def factor_sizes(self) -> list[int]:
        sizes = [len(self.normalisations), len(self.weightings), len(self.aggregations)]
        return sizes + [len(options) for options in self.drop_options]

    @property
    def factor_names(self) -> list[str]:
        return ["normalisation", "weighting", "aggregation"] + [f"drop_{lv}" for lv in self.levels]

    def draw(self, n_replicates: int, random_state) -> np.ndarray:
        children = seed_blocks(np.random.SeedSequence(random_state), n_replicates, _SEED_BLOCK)
        parts = []
        for b, child in enumerate(children):
            size = min(_SEED_BLOCK, n_replicates - b * _SEED_BLOCK)
            rng = np.random.default_rng(child)
            parts.append(np.column_stack([rng.integers(s, size=size) for s in self.factor_sizes]))
        return np.concatenate(parts).astype(np.intp)

    def option_labels(self, column: int) -> list[str]:
        if column == 0:
            return list(self.normalisations)
        if column == 1:
            return list(self.weightings)
        if column == 2:
            return list(self.aggregations)
        options = self.drop_options[column - 3]
        return ["none" if i is None else str(self.indicators[i]) for i in options]

    def design_frame(self, codes: np.ndarray) -> pd.DataFrame:
        data = {}
        for c, name in enumerate(self.factor_names):
            labels = np.asarray(self.option_labels(c), dtype=object)
            data[name] = pd.Categorical(labels[codes[:, c]], categories=pd.unique(labels))
        return pd.DataFrame(data, index=pd.RangeIndex(codes.shape[0], name="replicate"))

    def factors_frame(self) -> pd.DataFrame:
        rows = []
        for c, name in enumerate(self.factor_names):
            labels = self.option_labels(c)
            note = self.notes.get(name, "")
            if name.startswith("drop_"):
                level = name[len("drop_") :]
                if not self.dropout:
                    note = "dropout disabled"
                elif len(labels) == 1:
                    note = f"level {level!r} has no indicator that can be dropped"
                else:
                    note = (
                        f"at most one indicator of {level!r} dropped; 'none' keeps all; "
                        "weights re-normalised over the rest"
                    )
            rows.append(
                {
                    "factor": name,
                    "values": labels,
                    "n_values": len(labels),
                    "distribution": "uniform over values",
                    "note": note,
                }
            )
        return pd.DataFrame(rows)

    # -- evaluation --------------------------------------------------------------------------

    def scores(self, codes: np.ndarray) -> np.ndarray:
        norm, weighting, agg = codes[:, 0], codes[:, 1], codes[:, 2]
        b, N = codes.shape[0], len(self.regions)
        W = np.zeros((b, len(self.indicators)))
        for lev, idx in enumerate(self.positions):
            W[:, idx] = self.tables[lev][weighting, norm, codes[:, 3 + lev]]
        out = np.empty((b, N, len(self.levels)))
        for k in np.unique(norm):
            for a in np.unique(agg[norm == k]):
                sel = np.flatnonzero((norm == k) & (agg == a))
                method = self.aggregations[a]
                for lev, idx in enumerate(self.positions):
                    out[sel, :, lev] = self._level(method, k, lev, idx, W[np.ix_(sel, idx)])
        return out

    def _level(self, method: str, k: int, lev: int, idx: np.ndarray, Wl: np.ndarray) -> np.ndarray:
        if method == "copeland":
            return self._copeland(k, lev, idx, Wl)
        V = (self.Z if method == "arithmetic" else self.logZ)[k][:, idx]
        M = self.mask[k][:, idx]
        # Broadcast-and-sum (not BLAS matmul): each score is reduced over the same contiguous
        # vector whatever the batch, so results do not depend on batch_size.
        num = (Wl[:, None, :] * V[None]).sum(axis=-1)
        den = (Wl[:, None, :] * M[None]).sum(axis=-1)
        if np.any(den <= 0):
            raise ValueError(
                f"a region has no indicator with positive weight in level {self.levels[lev]!r} "
                "in some replicate (PCA can give weight 0); drop 'pca' from `weightings`"
            )
        return num / den if method == "arithmetic" else np.exp(num / den)

    def _copeland(self, k: int, lev: int, idx: np.ndarray, Wl: np.ndarray) -> np.ndarray:
        V, ref = (a[:, idx] for a in self.copeland_rows[k])
        N, R = V.shape[0], ref.shape[0]
        # Whole signs when they fit the budget (cached: every batch reuses them), else chunks
        # of rows whose signs and margins fit it; each margin is the same dot product either way.
        whole = 8 * N * R * idx.size <= _COPELAND_BUDGET
        rows = N if whole else _row_step(R, idx.size, _COPELAND_BUDGET)
        out = np.empty((Wl.shape[0], N))
        with single_threaded_blas():  # joblib workers, not BLAS threads, parallelise
            for r0 in range(0, N, rows):
                r1 = min(r0 + rows, N)
                if whole:
                    signs = self._signs.get((k, lev))
                    if signs is None:
                        signs = _pairwise_signs(V, ref).reshape(N * R, idx.size)
                        self._signs[(k, lev)] = signs
                else:
                    signs = _pairwise_signs(V[r0:r1], ref).reshape(-1, idx.size)
                step = _copeland_chunk(signs.shape[0])
                for start in range(0, Wl.shape[0], step):
                    margins = Wl[start : start + step] @ signs.T
                    margins[np.abs(margins) <= _TIE_TOL] = 0.0
                    out[start : start + step, r0:r1] = (
                        np.sign(margins).reshape(-1, r1 - r0, R).sum(-1)
                    )
        return out

    def ranks(self, codes: np.ndarray) -> np.ndarray:
        out = np.empty((codes.shape[0], len(self.regions), len(self.levels) + 1))
        # Sub-batches bounded in bytes; every replicate is computed on its own numbers, so the
        # ranks are the same for any sub-batch.
        for s in batch_slices(codes.shape[0], self._sub_batch()):
            scores = self.scores(codes[s])
            overall = (scores * self.level_weights).sum(axis=-1)
            out[s] = _descending_ranks(np.concatenate([scores, overall[..., None]], axis=-1))
        return out

    def _sub_batch(self) -> int:
        widest = max(idx.size for idx in self.positions)
        per_replicate = 8 * len(self.regions) * (2 * widest + 16 * (len(self.levels) + 1))
        return items_within(_BATCH_BUDGET, per_replicate)

    def ranks_batched(self, codes: np.ndarray, batch_size: int, n_jobs: int | None) -> np.ndarray:
        # A task's own ranks are copied into the result: tasks are cut so that their ranks fit
        # the batch budget too, else one 1000-replicate task at 100,000 regions holds a second
        # 3.2 GB copy of the result (the ranks never depend on the batch size).
        per_replicate = 8 * len(self.regions) * (len(self.levels) + 1)
        batch_size = min(batch_size, items_within(_BATCH_BUDGET, per_replicate))
        slices = batch_slices(codes.shape[0], batch_size)
        # The result is replicates x regions x (levels + 1) float64 by definition: allocated
        # once, before any work, so a size that cannot fit fails at once with MemoryError, and
        # each batch is written into it as it arrives instead of all batches being held and
        # then concatenated (twice the result).
        ranks = np.empty((codes.shape[0], len(self.regions), len(self.levels) + 1))

        def put(i: int, part: np.ndarray) -> None:
            ranks[slices[i]] = part

        # None defers to the caller's joblib.parallel_config (serial without one, as joblib);
        # the codes are drawn before batching, so the ranks do not depend on where they run.
        run_ordered(self.ranks, [(codes[s],) for s in slices], n_jobs=n_jobs, collect=put)
        return ranks
