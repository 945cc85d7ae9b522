"""A 2-D map of the regions: UMAP when it makes sense, PCA when it does not.

By default (``method='auto'``) the map is PCA below :data:`UMAP_FROM` regions and UMAP from
there up. With a dozen regions UMAP's neighbourhood graph has ``n - 1 = 11`` neighbours per
point, nearly complete, so it learns little that the exact linear projection does not show,
and its numba compilation costs more than the whole analysis (about 15 s per process). PCA is
exact, deterministic, and says how much of the variance its two axes keep. ``method='umap'``
forces UMAP (the neighbourhood capped to ``n - 1``) from four regions up. Every such decision is
written into the result's ``notes`` so that a report can say what the picture is. umap is
imported only inside :func:`embed_2d`: importing ``clustering`` must stay light.
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from border_readiness.clustering._explain_common import _finite_matrix
from border_readiness.clustering._small_n import SMALL_N, small_n_note

__all__ = ["METHODS", "UMAP_FROM", "Embedding2D", "embed_2d"]

METHODS: tuple[str, ...] = ("auto", "umap", "pca")

#: With ``method='auto'``, UMAP is used from this many regions up and PCA below (the same
#: threshold as the small-n caveat: below it a UMAP map shows neighbourhoods, not distances).
UMAP_FROM = SMALL_N

# UMAP's spectral initialisation and fuzzy graph need a few points; below this PCA is used.
_MIN_UMAP_REGIONS = 4


@dataclass(frozen=True, eq=False)
class Embedding2D:
    """Coordinates of the regions on a 2-D map, and how they were made.

    Attributes
    ----------
    coordinates : DataFrame
        Index ``region_id`` (the index of ``X``), columns ``x`` and ``y``.
    method : str
        The method actually used, ``'umap'`` or ``'pca'``.
    n_neighbors : int or None
        The UMAP neighbourhood actually used (after capping); None for PCA.
    random_state : int or None
        The seed given.
    notes : tuple of str
        Why this method and these parameters, and how to read the map.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"a": [0.0, 1, 2], "b": [1.0, 0, 3]}, index=["A", "B", "C"])
    >>> emb = embed_2d(X)
    >>> emb.method, list(emb.to_frame().columns)
    ('pca', ['region_id', 'x', 'y', 'method'])
    """

    coordinates: pd.DataFrame
    method: str
    n_neighbors: int | None
    random_state: int | None
    notes: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per region: ``region_id, x, y, method``.

        Returns
        -------
        DataFrame
            Columns ``region_id``, ``x``, ``y`` (the 2-D coordinates) and ``method`` (the
            projection used, the same on every row).
        """
        frame = self.coordinates.rename_axis("region_id").reset_index()
        return frame.assign(method=self.method)

    def to_dict(self) -> dict[str, Any]:
        """Method, parameters, notes and coordinates as plain Python types (JSON-ready).

        Returns
        -------
        dict
            Keys ``method``, ``n_neighbors``, ``random_state``, ``notes`` (list of str) and
            ``coordinates`` (region id -> ``[x, y]``).
        """
        return {
            "method": self.method,
            "n_neighbors": self.n_neighbors,
            "random_state": self.random_state,
            "notes": list(self.notes),
            "coordinates": {
                str(r): [float(x), float(y)]
                for r, x, y in zip(
                    self.coordinates.index,
                    self.coordinates["x"],
                    self.coordinates["y"],
                    strict=True,
                )
            },
        }


def _pca(values: np.ndarray, notes: list[str]) -> np.ndarray:
    from sklearn.decomposition import PCA

    n, p = values.shape
    coords = np.zeros((n, 2))
    if n < 2 or not np.any(values.std(axis=0) > 0):
        notes.append("all regions have the same values: every point is at the origin")
        return coords
    k = min(2, n, p)
    # 'full' SVD: exact and deterministic; the matrix is tiny.
    pca = PCA(n_components=k, svd_solver="full")
    coords[:, :k] = pca.fit_transform(values)
    share = float(np.nansum(pca.explained_variance_ratio_))
    notes.append(f"PCA: the {k} axes keep {share:.0%} of the variance")
    if k < 2:
        notes.append("only one axis carries information; y is 0")
    return coords


def _umap(
    values: np.ndarray,
    umap: Any,
    n_neighbors: int,
    min_dist: float,
    random_state: int | None,
    notes: list[str],
) -> np.ndarray:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reducer = umap.UMAP(
            n_neighbors=n_neighbors,
            n_components=2,
            min_dist=min_dist,
            random_state=random_state,
            # A seed forces UMAP to one thread anyway; asking for it avoids the warning.
            n_jobs=1 if random_state is not None else -1,
        )
        coords = reducer.fit_transform(values)
    for w in caught:
        message = str(w.message)
        if "n_jobs" in message and "random_state" in message:
            continue  # the expected single-thread notice of a seeded run
        if issubclass(w.category, UserWarning):
            notes.append(f"umap: {message}")
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return np.asarray(coords, dtype=float)


def embed_2d(
    X: pd.DataFrame,
    *,
    n_neighbors: int = 15,
    random_state: int | None = 0,
    method: str = "auto",
    min_dist: float = 0.1,
) -> Embedding2D:
    """Place the regions on a 2-D map with PCA for a few regions, UMAP for many.

    ``method='auto'`` uses PCA below :data:`UMAP_FROM` (30) regions and UMAP from there up.
    UMAP (umap-learn) is used with ``n_neighbors`` capped to ``n - 1`` (and at least 2), UMAP's
    default ``min_dist`` and the given seed; a seeded UMAP runs single-threaded and gives the
    same map on every run. PCA (scikit-learn, exact SVD) is used instead, with the reason in
    ``notes``, when ``method='pca'``, under ``'auto'`` below 30 regions, when there are fewer
    than 4 regions, or when umap cannot be imported. A UMAP map of fewer than 30 regions (forced
    with ``method='umap'``) carries the note that it shows neighbourhoods, not distances.

    ``X`` is embedded as given: pass the matrix the clusters were computed on (normalised or
    standardised), so the map and the clusters see the same geometry.

    Parameters
    ----------
    X : DataFrame
        Regions x features, no missing values.
    n_neighbors : int
        Requested UMAP neighbourhood (>= 2); capped to ``n - 1``.
    random_state : int or None
        Seed of UMAP; None lets UMAP run in parallel, and the map then changes between runs.
    method : {'auto', 'umap', 'pca'}
        Preferred method; ``'auto'`` is PCA below 30 regions and UMAP from 30 up.
    min_dist : float
        UMAP's minimum distance between embedded points (its default, 0.1).

    Returns
    -------
    Embedding2D

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> X = pd.DataFrame(np.arange(24.0).reshape(6, 4) ** 1.5, index=list("ABCDEF"))
    >>> emb = embed_2d(X, method="pca")
    >>> emb.method, emb.n_neighbors, emb.coordinates.shape
    ('pca', None, (6, 2))
    >>> emb.notes[0]
    'PCA requested'
    >>> embed_2d(X).notes[0]
    'n = 6 < 30 regions: PCA (exact, linear); UMAP is used from 30 regions up'
    >>> umap_map = embed_2d(X, method="umap")  # doctest: +SKIP
    >>> umap_map.n_neighbors, umap_map.notes[-1]  # doctest: +SKIP
    (5, 'n = 6: the map shows neighbourhoods, not distances')
    """
    values = _finite_matrix(X, "X")
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    if isinstance(n_neighbors, bool) or not isinstance(n_neighbors, numbers.Integral):
        raise ValueError(f"n_neighbors must be an integer >= 2, got {n_neighbors!r}")
    if n_neighbors < 2:
        raise ValueError(f"n_neighbors must be >= 2, got {n_neighbors}")
    if not (isinstance(min_dist, numbers.Real) and min_dist >= 0):
        raise ValueError(f"min_dist must be a number >= 0, got {min_dist!r}")
    if random_state is not None and not isinstance(random_state, numbers.Integral):
        raise ValueError(f"random_state must be an integer or None, got {random_state!r}")

    n = values.shape[0]
    notes: list[str] = []
    umap = None
    if method == "pca":
        notes.append("PCA requested")
    elif method == "auto" and n < UMAP_FROM:
        notes.append(
            f"n = {n} < {UMAP_FROM} regions: PCA (exact, linear); UMAP is used from "
            f"{UMAP_FROM} regions up"
        )
    elif n < _MIN_UMAP_REGIONS:
        notes.append(f"n = {n} < {_MIN_UMAP_REGIONS} regions: too few for UMAP, PCA used")
    else:
        try:
            import umap
        except Exception as exc:  # a broken numba stack fails with more than ImportError
            umap = None
            notes.append(f"umap-learn is not importable ({type(exc).__name__}: {exc}); PCA used")

    if umap is None:
        coords, used, k = _pca(values, notes), "pca", None
    else:
        k = max(2, min(int(n_neighbors), n - 1))
        if k != n_neighbors:
            notes.append(f"n_neighbors capped from {n_neighbors} to {k} (n = {n} regions)")
        if random_state is None:
            notes.append("no random_state: UMAP ran in parallel and the map is not reproducible")
        coords = _umap(values, umap, k, float(min_dist), random_state, notes)
        used = "umap"
        if note := small_n_note(n, "map"):
            notes.append(note)

    frame = pd.DataFrame(coords, index=X.index.copy(), columns=["x", "y"])
    frame.index.name = "region_id"
    return Embedding2D(
        coordinates=frame,
        method=used,
        n_neighbors=k,
        random_state=None if random_state is None else int(random_state),
        notes=tuple(notes),
    )
