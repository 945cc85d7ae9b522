"""Spherical kernels behind :mod:`.geometry`: densifying rings, areas, centroids, boundaries.

Rings are closed ``(n, 2)`` lon/lat arrays oriented as
:func:`border_readiness.features.sources.geometry.read_polygons` returns them (exteriors
counter-clockwise, holes clockwise). Areas and centroids are taken in the Lambert cylindrical
equal-area plane ``(R·λ, R·sin φ)``; boundaries are compared as 3-D points on the sphere (km)
with :class:`scipy.spatial.cKDTree`. Why these choices, and how accurate they are, is explained
in the docstring of :mod:`.geometry`, which re-exports the public names.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

__all__ = ["DENSIFY_KM", "EARTH_RADIUS_KM", "area_km2", "centroid", "densify"]

#: Mean Earth radius (IUGG), km.
EARTH_RADIUS_KM = 6371.0088
#: Maximum length of a boundary piece after densification, km.
DENSIFY_KM = 0.5

# Spacing (in pieces) of the sample points used to find shortest distances quickly.
_SAMPLE_STEP = 40


# --------------------------------------------------------------------------------------------
# Measures on rings


def _signed_area_sr(ring: np.ndarray) -> float:
    """Signed area in steradians in the cylindrical equal-area plane (x = λ, y = sin φ)."""
    x = np.deg2rad(ring[:, 0])
    y = np.sin(np.deg2rad(ring[:, 1]))
    return 0.5 * float(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]))


def _to_xyz(lonlat: np.ndarray) -> np.ndarray:
    lon = np.deg2rad(lonlat[:, 0])
    lat = np.deg2rad(lonlat[:, 1])
    cos_lat = np.cos(lat)
    return EARTH_RADIUS_KM * np.column_stack(
        [cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)]
    )


def densify(ring: np.ndarray, max_km: float = DENSIFY_KM) -> np.ndarray:
    """Insert points into a closed lon/lat ring so that no piece is longer than ``max_km``.

    Points are interpolated linearly in lon/lat; the original vertices are kept.

    Parameters
    ----------
    ring : numpy.ndarray
        ``(n, 2)`` closed ring of lon/lat (first point repeated at the end).
    max_km : float
        Maximum piece length (chord on the sphere), km.

    Returns
    -------
    numpy.ndarray
        ``(m, 2)`` closed ring, ``m >= n``.

    Examples
    --------
    >>> ring = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]])
    >>> len(densify(ring, 0.5))  # four edges of ~111.2 km in 223 pieces each
    893
    """
    ring = np.asarray(ring, dtype=float)
    step = np.linalg.norm(np.diff(_to_xyz(ring), axis=0), axis=1)
    pieces = np.maximum(1, np.ceil(step / max_km).astype(np.int64))
    start = np.repeat(np.arange(len(pieces)), pieces)
    # Position of each new point along its edge: 0, 1/n, ..., (n-1)/n.
    offset = np.arange(pieces.sum()) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    t = (offset / np.repeat(pieces, pieces))[:, None]
    points = ring[start] + t * (ring[start + 1] - ring[start])
    return np.vstack([points, ring[-1:]])


def area_km2(rings: list[np.ndarray]) -> float:
    """Area of a (multi)polygon on the sphere, km² (holes subtracted).

    Exact planar area in the Lambert cylindrical equal-area projection after densification
    (see the module docstring); rings must be oriented as :func:`read_polygons` returns them.

    Parameters
    ----------
    rings : list of numpy.ndarray
        Closed ``(n, 2)`` lon/lat rings of one region: exteriors counter-clockwise, holes
        clockwise.

    Returns
    -------
    float
        Area, km², on the sphere of radius :data:`EARTH_RADIUS_KM`.

    Examples
    --------
    >>> cell = [np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]])]
    >>> round(area_km2(cell), 1)  # R² · Δλ · (sin 1° − sin 0°)
    12363.7
    """
    sr = sum(_signed_area_sr(densify(r)) for r in rings)
    return EARTH_RADIUS_KM**2 * sr


def centroid(rings: list[np.ndarray]) -> tuple[float, float]:
    """Area-weighted centroid ``(lat, lon)`` of a (multi)polygon, degrees.

    Computed in the equal-area plane ``(λ, sin φ)`` and mapped back; rings on both sides of the
    antimeridian are moved to one side first, and the longitude is returned in [-180, 180).

    Parameters
    ----------
    rings : list of numpy.ndarray
        Closed ``(n, 2)`` lon/lat rings of one region, oriented as for :func:`area_km2`.

    Returns
    -------
    tuple of float
        ``(lat, lon)`` in degrees.

    Examples
    --------
    >>> cell = [np.array([[10.0, 0.0], [12.0, 0.0], [12.0, 2.0], [10.0, 2.0], [10.0, 0.0]])]
    >>> [round(v, 4) for v in centroid(cell)]  # a little equatorward: more area there
    [0.9998, 11.0]
    """
    rings = [densify(r) for r in rings]
    means = np.array([r[:-1, 0].mean() for r in rings])
    if means.max() - means.min() > 180.0:
        rings = [
            r + np.array([360.0, 0.0]) if m < 0 else r for r, m in zip(rings, means, strict=True)
        ]
    total = sx = sy = 0.0
    for ring in rings:
        x = np.deg2rad(ring[:, 0])
        y = np.sin(np.deg2rad(ring[:, 1]))
        cross = x[:-1] * y[1:] - x[1:] * y[:-1]
        total += 0.5 * cross.sum()
        sx += np.sum((x[:-1] + x[1:]) * cross) / 6.0
        sy += np.sum((y[:-1] + y[1:]) * cross) / 6.0
    lat = np.rad2deg(np.arcsin(np.clip(sy / total, -1.0, 1.0)))
    lon = (np.rad2deg(sx / total) + 180.0) % 360.0 - 180.0
    return float(lat), float(lon)


# --------------------------------------------------------------------------------------------
# Boundaries as 3-D point sets, for shared lengths and shortest distances


@dataclass(frozen=True)
class _Boundary:
    """A region's densified boundary as 3-D points (km) with the length of each piece."""

    xyz: np.ndarray  # (n, 3) points of all rings, concatenated
    piece_km: np.ndarray  # (n,) length from point i to i + 1; 0 at the last point of each ring
    lo: np.ndarray  # bounding box of the points, for cheap pre-filtering of pairs
    hi: np.ndarray
    tree: cKDTree
    sample: np.ndarray  # (n,) every _SAMPLE_STEP-th point of each ring and each ring's last one

    @classmethod
    def from_rings(cls, rings: list[np.ndarray]) -> _Boundary:
        parts = [_to_xyz(densify(r)) for r in rings]
        xyz = np.vstack(parts)
        piece = np.concatenate(
            [np.append(np.linalg.norm(np.diff(p, axis=0), axis=1), 0.0) for p in parts]
        )
        sample = np.concatenate(
            [(np.arange(len(p)) % _SAMPLE_STEP == 0) | (np.arange(len(p)) == len(p) - 1)
             for p in parts]
        )  # fmt: skip
        return cls(xyz, piece, xyz.min(axis=0), xyz.max(axis=0), cKDTree(xyz), sample)

    def near(self, other: _Boundary, tolerance_km: float) -> np.ndarray:
        """Boolean per piece: both ends within ``tolerance_km`` of ``other``'s points."""
        close = np.zeros(len(self.xyz), dtype=bool)
        if np.any(self.lo > other.hi + tolerance_km) or np.any(self.hi < other.lo - tolerance_km):
            return close
        inside = np.all(
            (self.xyz >= other.lo - tolerance_km) & (self.xyz <= other.hi + tolerance_km), axis=1
        )
        if inside.any():
            dist, _ = other.tree.query(self.xyz[inside], distance_upper_bound=tolerance_km)
            close[inside] = dist <= tolerance_km
        return close & np.roll(close, -1) & (self.piece_km > 0)


def _pair_lengths(
    left: dict[str, _Boundary],
    right: dict[str, _Boundary],
    tolerance_km: float,
    exclude: dict[str, np.ndarray] | None = None,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Shared length of every left boundary with every right one, measured on the left side.

    Returns the km matrix (left ids x right ids) and, per left id, the pieces near any right
    boundary. Pieces flagged in ``exclude`` are left out of both.
    """
    lengths = pd.DataFrame(0.0, index=list(left), columns=list(right))
    near_any: dict[str, np.ndarray] = {}
    for a, bound in left.items():
        near_any[a] = np.zeros(len(bound.xyz), dtype=bool)
        keep = ~exclude[a] if exclude is not None else True
        for b, other in right.items():
            if a == b:
                continue
            near = bound.near(other, tolerance_km) & keep
            if near.any():
                lengths.at[a, b] = bound.piece_km[near].sum()
                near_any[a] |= near
    return lengths, near_any


def _distance_km(bound: _Boundary, tree: cKDTree) -> float:
    """Shortest great-circle distance from a boundary's points to the points in ``tree``.

    Querying every point of a far-away region is slow, so only sample points are queried first.
    Every point lies within ``_SAMPLE_STEP / 2`` pieces of a sample of its own ring, hence at
    most ``reach`` km closer than it; only points near samples that could still beat the best
    sample are queried again. The result is exact (up to the densification).
    """
    samples = np.flatnonzero(bound.sample)
    dist, _ = tree.query(bound.xyz[samples])
    reach = _SAMPLE_STEP / 2 * float(bound.piece_km.max())
    hopeful = np.zeros(len(bound.xyz))
    hopeful[samples[dist <= dist.min() + reach]] = 1.0
    # Widen each hopeful sample to the points it stands for (spill-over into the next ring only
    # adds points to check).
    window = np.ones(_SAMPLE_STEP + 1)
    refine = np.convolve(hopeful, window, mode="same") > 0
    chord = min(float(dist.min()), float(tree.query(bound.xyz[refine])[0].min()))
    return 2.0 * EARTH_RADIUS_KM * float(np.arcsin(min(1.0, chord / (2.0 * EARTH_RADIUS_KM))))
