"""Geometry of the Russian subjects and the Kazakh units: areas, centroids and shared borders.

Everything here is computed from the polygons in the raw folder (PROVENANCE.md section 6) with
numpy and scipy only, and every number is approximate (``approximate`` is always True):

* **Rings.** Polygon edges are taken as straight lines in longitude/latitude (as GeoJSON viewers
  draw them) and densified to pieces of at most :data:`DENSIFY_KM` (0.5 km). At that length it no
  longer matters whether an edge is read as straight in lon/lat, as a great circle or as straight
  in the projection below: areas of the largest subjects (Sakha, Krasnoyarsk, Chukotka) agree
  with great-circle areas to 0.1 km², and densifying changes no area by more than 5 km².
* **Area.** Exact planar area, by the shoelace formula, in the Lambert *cylindrical* equal-area
  projection ``x = R·λ, y = R·sin φ`` on the sphere of radius :data:`EARTH_RADIUS_KM`
  (6371.0088 km, the IUGG mean radius). The projection preserves area everywhere, so no
  per-polygon centring is needed; a 1°×1° cell has area ``R²·Δλ·(sin φ2 − sin φ1)`` exactly.
  Holes are subtracted (rings are oriented: exteriors counter-clockwise, holes clockwise).
  Taking geodetic latitudes on a sphere makes areas 0.2–0.7 % smaller than on the WGS 84
  ellipsoid between 45° and 70° N (about 0.4 % along the border, 0.4 % larger at the equator).
* **Centroid.** Area-weighted centroid of the polygon in the same equal-area plane, mapped back
  to latitude/longitude (``φ = asin(ȳ/R)``). Regions split by the antimeridian (Chukotka) are
  shifted to one side first.
* **Shared border.** Boundaries are turned into 3-D points on the sphere (in km) and compared
  with :class:`scipy.spatial.cKDTree`. A 0.5-km piece of a region's boundary is *shared* with
  another unit when both its ends lie within a tolerance of that unit's densified boundary.
  Within one layer, neighbours share vertices, so the tolerance is small
  (:data:`SAME_LAYER_TOLERANCE_KM`; the same neighbour pairs are found at 0.05 km). The
  Kazakh layer comes from another source and year and never shares vertices with the Russian
  one, so a wider tolerance is used (:data:`KZ_TOLERANCE_KM`, 4 km: between 3 and 5 km the
  total changes by 0.3 % and the per-region lengths by less than 1 %, except Tyumen, 2 %, and
  Astrakhan, 3 %, whose 12-km stretch near 48.6° E, 46.75° N lies up to 6 km off the Kazakh
  layer and whose Caspian shore near the border end is partly counted). A piece already shared
  with another Russian subject is not counted as Kazakh border: otherwise the first kilometres
  of every inner boundary leaving the tripoints would be.
  A pair of units counts as neighbours only above a minimum shared length (the mean of both
  directions, so the relation is symmetric), which drops corner touches. A touch in a single
  point has length 0 but shows in ``kz_distance_km`` (shortest distance between the boundaries):
  Samara Oblast meets Kazakhstan only in the Samara–Saratov–Orenburg–West Kazakhstan quadripoint
  (50.7685° E, 51.7735° N in the Russian layer), so its ``border_kz_km`` is 0 and its
  ``kz_distance_km`` about 0.1 km although it is one of the 12 border regions.
* **Kazakh outer boundary.** Russian pieces are matched against the boundaries of all Kazakh
  units; inner Kazakh boundaries lie inside Kazakhstan and reach Russia only at their end points,
  so this is the same as matching against the outer boundary while also telling which Kazakh unit
  is on the other side.

The Russian layer (click_that_hood, GIS-Lab/OSM, 2013) has 83 subjects: the Republic of Crimea
and Sevastopol are absent, so they simply have no row. Its Tyumen and Arkhangelsk polygons exclude
their autonomous okrugs (which are separate features), so they get the okrug-free ids ``RU-TYU``
and ``RU-ARK``.

The spherical kernels (:func:`densify`, :func:`area_km2`, :func:`centroid`, boundary matching and
shortest distances) live in the private ``_sphere`` module; this module reads the layers, puts the
facts together and re-exports the kernels' public names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from border_readiness.features.regions import UnknownRegionError, resolve_region
from border_readiness.features.sources._errors import SourceFormatError
from border_readiness.features.sources._simplify import (
    BORDER_BUFFER_DEG,
    POLYGONS_METADATA,
    SIMPLIFY_MIN_PART_DEG2,
    SIMPLIFY_TOLERANCE_DEG,
)
from border_readiness.features.sources._sphere import (
    DENSIFY_KM,
    EARTH_RADIUS_KM,
    _Boundary,
    _distance_km,
    _pair_lengths,
    _signed_area_sr,
    _to_xyz,  # noqa: F401 -- kept reachable as geometry._to_xyz (tests use it)
    area_km2,
    centroid,
    densify,
)

__all__ = [
    "BORDER_BUFFER_DEG",
    "CAPITALS_PATH",
    "DENSIFY_KM",
    "EARTH_RADIUS_KM",
    "KZ_MIN_SHARED_KM",
    "KZ_POLYGONS_PATH",
    "KZ_TOLERANCE_KM",
    "POLYGONS_METADATA",
    "RU_POLYGONS_PATH",
    "SAME_LAYER_MIN_SHARED_KM",
    "SAME_LAYER_TOLERANCE_KM",
    "SIMPLIFY_MIN_PART_DEG2",
    "SIMPLIFY_TOLERANCE_DEG",
    "UnknownRegionError",
    "area_km2",
    "border_facts",
    "centroid",
    "densify",
    "kz_border_facts",
    "kz_border_pairs",
    "read_capitals",
    "read_polygons",
    "shared_length_km",
    "simplified_polygons",
]

#: Distance within which a Russian boundary piece counts as lying on a Kazakh boundary, km.
#: The two layers are from different sources and years; see the module docstring.
KZ_TOLERANCE_KM = 4.0
#: Minimum shared length for a Russian subject and a Kazakh unit to be neighbours, km.
KZ_MIN_SHARED_KM = 10.0
#: Distance within which two units' boundaries in the same layer coincide, km.
SAME_LAYER_TOLERANCE_KM = 0.3
#: Minimum shared length for two units of the same layer to be neighbours, km (the shortest
#: real shared boundaries in the Russian layer, Tomsk–Tyumen and Chechnya–North Ossetia, are 13).
SAME_LAYER_MIN_SHARED_KM = 5.0

#: Paths inside the raw folder.
RU_POLYGONS_PATH = Path("geometry_ru_subjects/russia.geojson")
KZ_POLYGONS_PATH = Path("geometry_kz_oblasts/OSMB-KZ_obl.geojson")
CAPITALS_PATH = Path("skillfactory_social_russia/dnt1971_regions_geo/regions_geo.csv")

# A layer that carries an oblast *and* its autonomous okrugs as separate features cannot have the
# oblast including them (they would overlap), so the oblast there is the okrug-free unit.
_WITHOUT_OKRUGS = {
    "RU-TYU-WHOLE": ("RU-TYU", ("RU-KHM", "RU-YAN")),
    "RU-ARK-WHOLE": ("RU-ARK", ("RU-NEN",)),
}
# Cities whose coordinates regions_geo.csv also gives to the surrounding oblast (PROVENANCE §3).
_CITY_NAMES = {"RU-MOW": "Moscow", "RU-SPE": "St Petersburg"}

_FACT_COLUMNS = [
    "region_id", "area_km2", "centroid_lat", "centroid_lon", "capital_lat", "capital_lon",
    "capital_note", "border_kz_km", "kz_distance_km", "kz_neighbours", "ru_neighbours",
    "approximate",
]  # fmt: skip


# --------------------------------------------------------------------------------------------
# Reading


def read_polygons(path: str | Path, name_field: str, country: str) -> dict[str, list[np.ndarray]]:
    """Read a GeoJSON layer of regions into rings keyed by registry id.

    Parameters
    ----------
    path : str or Path
        A GeoJSON ``FeatureCollection`` of ``Polygon``/``MultiPolygon`` features (lon/lat).
    name_field : str
        The feature property holding the region name (``"name"``, ``"name_ru"``...).
    country : {"RU", "KZ"}
        Passed to :func:`border_readiness.features.regions.resolve_region`.

    Returns
    -------
    dict of str to list of numpy.ndarray
        Region id -> closed rings, each an ``(n, 2)`` float array of lon/lat (first point
        repeated at the end, longitudes unwrapped along the ring). Exteriors are oriented
        counter-clockwise and holes clockwise, so signed areas add up. Sorted by id.

    Raises
    ------
    UnknownRegionError
        When a feature's name does not resolve: no feature is dropped silently.
    SourceFormatError
        On a missing name or geometry, an unsupported geometry type, a degenerate ring, or two
        features resolving to one id.

    Notes
    -----
    If the layer holds an oblast together with its autonomous okrugs as separate features
    (Tyumen with Khanty-Mansi and Yamalo-Nenets, Arkhangelsk with Nenets), the oblast polygon is
    the okrug-free unit and gets the id ``RU-TYU`` / ``RU-ARK`` instead of ``RU-TYU-WHOLE``.

    Examples
    --------
    >>> rings = read_polygons(raw / RU_POLYGONS_PATH, "name", "RU")  # doctest: +SKIP
    >>> len(rings), "RU-TYU" in rings  # doctest: +SKIP
    (83, True)
    """
    path = Path(path)
    return {
        rid: _feature_rings(geometry, f"{path.name}: {name!r}")
        for rid, (name, geometry) in _layer_geometries(path, name_field, country).items()
    }


def _layer_geometries(path: Path, name_field: str, country: str) -> dict[str, tuple[str, dict]]:
    """Region id -> (name in the layer, GeoJSON geometry), the okrug-free ids applied, sorted."""
    with path.open(encoding="utf-8") as fh:
        data = json.load(fh)
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        raise SourceFormatError(f"{path.name}: expected a GeoJSON FeatureCollection")
    out: dict[str, tuple[str, dict]] = {}
    for k, feature in enumerate(features):
        name = (feature.get("properties") or {}).get(name_field)
        if not isinstance(name, str) or not name.strip():
            raise SourceFormatError(f"{path.name}: feature {k} has no property {name_field!r}")
        rid = resolve_region(name, country=country)
        if rid in out:
            raise SourceFormatError(
                f"{path.name}: features {out[rid][0]!r} and {name!r} both resolve to {rid}"
            )
        out[rid] = (name, feature.get("geometry"))
    for whole, (part, okrugs) in _WITHOUT_OKRUGS.items():
        if whole in out and all(o in out for o in okrugs):
            if part in out:
                raise SourceFormatError(f"{path.name}: both {whole} and {part} present")
            out[part] = out.pop(whole)
    return dict(sorted(out.items()))


def _feature_rings(geometry: dict | None, where: str) -> list[np.ndarray]:
    if not geometry or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        kind = geometry.get("type") if geometry else None
        raise SourceFormatError(f"{where}: expected Polygon or MultiPolygon, got {kind}")
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    rings = []
    for polygon in polygons:
        for j, coords in enumerate(polygon):
            ring = np.asarray(coords, dtype=float)
            if ring.ndim != 2 or ring.shape[1] < 2 or len(ring) < 3:
                raise SourceFormatError(f"{where}: degenerate ring with {len(ring)} points")
            ring = ring[:, :2].copy()
            if not np.array_equal(ring[0], ring[-1]):
                ring = np.vstack([ring, ring[:1]])
            # A ring crossing the antimeridian would otherwise have a 360° jump in it.
            ring[:, 0] = np.unwrap(ring[:, 0], period=360.0)
            # Sources disagree on orientation (RFC 7946 vs. older GeoJSON); fix it so that signed
            # areas of exteriors (j == 0) and holes add up.
            if (_signed_area_sr(ring) > 0) != (j == 0):
                ring = ring[::-1].copy()
            rings.append(ring)
    return rings


def read_capitals(path: str | Path) -> pd.DataFrame:
    """Read the coordinates of the regional capitals (``regions_geo.csv``, PROVENANCE §3).

    Parameters
    ----------
    path : str or Path
        CSV with columns ``region, lat, lon`` (Russian names).

    Returns
    -------
    pandas.DataFrame
        Indexed by region id, columns ``capital_lat, capital_lon, capital_note``. The note flags
        oblasts that carry the coordinates of a federal city (Moscow Oblast -> Moscow, Leningrad
        Oblast -> St Petersburg; a known defect of the file). Tyumen and Arkhangelsk oblasts get
        the okrug-free ids when the okrugs have rows of their own (their capitals lie there).

    Raises
    ------
    UnknownRegionError
        When a name does not resolve.
    SourceFormatError
        On missing columns or duplicate regions.

    Examples
    --------
    >>> caps = read_capitals(raw / CAPITALS_PATH)  # doctest: +SKIP
    >>> caps.loc["RU-OMS", ["capital_lat", "capital_lon"]].tolist()  # doctest: +SKIP
    [54.9885, 73.3245]
    """
    path = Path(path)
    frame = pd.read_csv(path, dtype={"region": str}, encoding="utf-8")
    if not {"region", "lat", "lon"} <= set(frame.columns):
        raise SourceFormatError(f"{path.name}: expected columns region, lat, lon")
    ids = [resolve_region(name, country="RU") for name in frame["region"]]
    for whole, (part, okrugs) in _WITHOUT_OKRUGS.items():
        if whole in ids and all(o in ids for o in okrugs) and part not in ids:
            ids[ids.index(whole)] = part
    frame.index = pd.Index(ids, name="region_id")
    if frame.index.has_duplicates:
        dup = frame.index[frame.index.duplicated()].tolist()
        raise SourceFormatError(f"{path.name}: duplicate regions {dup}")
    out = pd.DataFrame(
        {
            "capital_lat": frame["lat"].astype(float),
            "capital_lon": frame["lon"].astype(float),
            "capital_note": "",
        }
    )
    for city, label in _CITY_NAMES.items():
        if city not in out.index:
            continue
        same = (out["capital_lat"] == out.at[city, "capital_lat"]) & (
            out["capital_lon"] == out.at[city, "capital_lon"]
        )
        for rid in out.index[same & (out.index != city)]:
            out.at[rid, "capital_note"] = (
                f"coordinates of the city of {label} ({city}), not of the oblast's own centre"
            )
    return out.sort_index()


# --------------------------------------------------------------------------------------------
# Shared boundaries


def shared_length_km(
    rings_a: list[np.ndarray],
    rings_b: list[np.ndarray],
    tolerance_km: float = SAME_LAYER_TOLERANCE_KM,
) -> float:
    """Length of the boundary of ``a`` lying within ``tolerance_km`` of the boundary of ``b``.

    Both boundaries are densified to :data:`DENSIFY_KM`; a piece of ``a`` counts when both its
    ends are within the tolerance of ``b``'s points.

    Parameters
    ----------
    rings_a : list of numpy.ndarray
        The rings of region ``a`` (closed ``(n, 2)`` lon/lat arrays, as from
        :func:`read_polygons`); the length is measured along this boundary.
    rings_b : list of numpy.ndarray
        The rings of region ``b``.
    tolerance_km : float, default :data:`SAME_LAYER_TOLERANCE_KM`
        How close (km) a piece's ends must lie to ``b``'s boundary points. Use the default
        within one layer and :data:`KZ_TOLERANCE_KM` across the Russian and Kazakh layers.

    Returns
    -------
    float
        Shared length, km, measured on ``a``'s side (not symmetric in general: the two
        boundaries are densified independently).

    Examples
    --------
    >>> north = [np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]])]
    >>> south = [np.array([[0.0, -1.0], [1.0, -1.0], [1.0, 0.0], [0.0, 0.0], [0.0, -1.0]])]
    >>> round(shared_length_km(north, south, 0.1), 1)  # one degree of the equator
    111.2
    """
    a, b = _Boundary.from_rings(rings_a), _Boundary.from_rings(rings_b)
    return float(a.piece_km[a.near(b, tolerance_km)].sum())


def _neighbours(sym: pd.DataFrame, minimum_km: float) -> dict[str, str]:
    return {
        rid: "|".join(sorted(sym.columns[sym.loc[rid].to_numpy() >= minimum_km]))
        for rid in sym.index
    }


@dataclass(frozen=True)
class _Layers:
    ru_area: dict[str, float]
    ru_centroid: dict[str, tuple[float, float]]
    kz_area: dict[str, float]
    kz_centroid: dict[str, tuple[float, float]]
    ru_border_kz: dict[str, float]
    kz_border_ru: dict[str, float]
    ru_distance_kz: dict[str, float]
    kz_distance_ru: dict[str, float]
    ru_ru: pd.DataFrame  # symmetric shared km
    ru_kz: pd.DataFrame  # shared km, mean of both directions (RU rows, KZ columns)
    kz_kz: pd.DataFrame


@lru_cache(maxsize=4)
def _layers(raw_root: str) -> _Layers:
    # Cached because border_facts and kz_border_facts share the work; the cache is keyed on the
    # folder only, so changing a tolerance constant needs _layers.cache_clear().
    raw = Path(raw_root)
    ru = read_polygons(raw / RU_POLYGONS_PATH, "name", "RU")
    kz = read_polygons(raw / KZ_POLYGONS_PATH, "name_ru", "KZ")
    ru_b = {rid: _Boundary.from_rings(r) for rid, r in ru.items()}
    kz_b = {rid: _Boundary.from_rings(r) for rid, r in kz.items()}

    ru_ru, ru_inner = _pair_lengths(ru_b, ru_b, SAME_LAYER_TOLERANCE_KM)
    kz_kz, kz_inner = _pair_lengths(kz_b, kz_b, SAME_LAYER_TOLERANCE_KM)
    ru_kz, ru_on_kz = _pair_lengths(ru_b, kz_b, KZ_TOLERANCE_KM, exclude=ru_inner)
    kz_ru, kz_on_ru = _pair_lengths(kz_b, ru_b, KZ_TOLERANCE_KM, exclude=kz_inner)
    kz_tree = cKDTree(np.vstack([b.xyz for b in kz_b.values()]))
    ru_tree = cKDTree(np.vstack([b.xyz for b in ru_b.values()]))
    return _Layers(
        ru_area={rid: area_km2(r) for rid, r in ru.items()},
        ru_centroid={rid: centroid(r) for rid, r in ru.items()},
        kz_area={rid: area_km2(r) for rid, r in kz.items()},
        kz_centroid={rid: centroid(r) for rid, r in kz.items()},
        ru_border_kz={rid: float(ru_b[rid].piece_km[m].sum()) for rid, m in ru_on_kz.items()},
        kz_border_ru={rid: float(kz_b[rid].piece_km[m].sum()) for rid, m in kz_on_ru.items()},
        ru_distance_kz={rid: _distance_km(b, kz_tree) for rid, b in ru_b.items()},
        kz_distance_ru={rid: _distance_km(b, ru_tree) for rid, b in kz_b.items()},
        ru_ru=(ru_ru + ru_ru.T) / 2,
        ru_kz=(ru_kz + kz_ru.T) / 2,
        kz_kz=(kz_kz + kz_kz.T) / 2,
    )


def border_facts(raw_root: str | Path) -> pd.DataFrame:
    """Geographic facts for every Russian subject in the polygon layer (all approximate).

    Parameters
    ----------
    raw_root : str or Path
        The raw data folder (``shared/data/raw``).

    Returns
    -------
    pandas.DataFrame
        One row per Russian subject present in ``russia.geojson`` (83; the Republic of Crimea
        and Sevastopol are not in that 2013 layer and have no row), sorted by ``region_id``.
        Columns: ``region_id``; ``area_km2`` (sphere, km², 0.1); ``centroid_lat``,
        ``centroid_lon`` (area-weighted, degrees, 4 decimals); ``capital_lat``, ``capital_lon``
        (from ``regions_geo.csv``) and ``capital_note`` (non-empty where the file gives a
        federal city's coordinates to the oblast around it); ``border_kz_km`` (length of the
        subject's boundary within :data:`KZ_TOLERANCE_KM` of a Kazakh unit, km, 0.1);
        ``kz_distance_km`` (shortest distance from the boundary to Kazakhstan's, km, 0.1; about
        0 for the 12 border regions, including Samara, which touches in a single point);
        ``kz_neighbours`` (current Kazakh codes sharing at least :data:`KZ_MIN_SHARED_KM`);
        ``ru_neighbours`` (subjects sharing at least :data:`SAME_LAYER_MIN_SHARED_KM`), both
        ``|``-separated and sorted; ``approximate`` (always True). Methods: module docstring.

    Examples
    --------
    >>> facts = border_facts("/work/shared/data/raw")  # doctest: +SKIP
    >>> facts.set_index("region_id").loc["RU-OMS", "kz_neighbours"]  # doctest: +SKIP
    'KZ-55|KZ-59'
    """
    raw = Path(raw_root).resolve()
    layers = _layers(str(raw))
    capitals = read_capitals(raw / CAPITALS_PATH)
    ru_nb = _neighbours(layers.ru_ru, SAME_LAYER_MIN_SHARED_KM)
    kz_nb = _neighbours(layers.ru_kz, KZ_MIN_SHARED_KM)
    # A subject missing from the capitals file keeps its row, with the reason in the note.
    capitals = capitals.reindex(sorted(layers.ru_area))
    capitals["capital_note"] = capitals["capital_note"].fillna("not in regions_geo.csv")
    rows = []
    for rid in sorted(layers.ru_area):
        lat, lon = layers.ru_centroid[rid]
        rows.append(
            {
                "region_id": rid,
                "area_km2": layers.ru_area[rid],
                "centroid_lat": lat,
                "centroid_lon": lon,
                "capital_lat": capitals.at[rid, "capital_lat"],
                "capital_lon": capitals.at[rid, "capital_lon"],
                "capital_note": capitals.at[rid, "capital_note"],
                "border_kz_km": layers.ru_border_kz[rid],
                "kz_distance_km": layers.ru_distance_kz[rid],
                "kz_neighbours": kz_nb[rid],
                "ru_neighbours": ru_nb[rid],
                "approximate": True,
            }
        )
    return _rounded(pd.DataFrame(rows, columns=_FACT_COLUMNS))


def kz_border_facts(raw_root: str | Path) -> pd.DataFrame:
    """Geographic facts for the 20 current Kazakh units (``OSMB-KZ_obl.geojson``), approximate.

    Same methods as :func:`border_facts`, seen from the Kazakh side.

    Parameters
    ----------
    raw_root : str or Path
        The raw data folder (``shared/data/raw``).

    Returns
    -------
    pandas.DataFrame
        Sorted by ``region_id``; columns ``region_id, area_km2, centroid_lat, centroid_lon,
        border_ru_km, ru_distance_km, ru_neighbours, kz_neighbours, approximate``.

    Examples
    --------
    >>> kz = kz_border_facts("/work/shared/data/raw")  # doctest: +SKIP
    >>> kz.set_index("region_id").loc["KZ-55", "ru_neighbours"]  # doctest: +SKIP
    'RU-ALT|RU-NVS|RU-OMS'
    """
    layers = _layers(str(Path(raw_root).resolve()))
    ru_nb = _neighbours(layers.ru_kz.T, KZ_MIN_SHARED_KM)
    kz_nb = _neighbours(layers.kz_kz, SAME_LAYER_MIN_SHARED_KM)
    rows = [
        {
            "region_id": rid,
            "area_km2": layers.kz_area[rid],
            "centroid_lat": layers.kz_centroid[rid][0],
            "centroid_lon": layers.kz_centroid[rid][1],
            "border_ru_km": layers.kz_border_ru[rid],
            "ru_distance_km": layers.kz_distance_ru[rid],
            "ru_neighbours": ru_nb[rid],
            "kz_neighbours": kz_nb[rid],
            "approximate": True,
        }
        for rid in sorted(layers.kz_area)
    ]
    return _rounded(pd.DataFrame(rows))


def kz_border_pairs(raw_root: str | Path) -> pd.DataFrame:
    """Shared border length of every Russian subject × current Kazakh unit pair, approximate.

    The per-region ``border_kz_km`` of :func:`border_facts` split by the Kazakh unit across the
    border, so that a statistic over a region's Kazakh neighbours can weight each by the border
    they share. Only pairs that are neighbours (at least :data:`KZ_MIN_SHARED_KM`) are listed.

    Parameters
    ----------
    raw_root : str or Path
        The raw data folder (``shared/data/raw``).

    Returns
    -------
    pandas.DataFrame
        Columns ``region_id, kz_id, shared_km`` (mean of the length measured on both sides, km,
        0.1), sorted by ``region_id, kz_id``.

    Examples
    --------
    >>> pairs = kz_border_pairs("/work/shared/data/raw")  # doctest: +SKIP
    >>> pairs[pairs["region_id"] == "RU-OMS"]["kz_id"].tolist()  # doctest: +SKIP
    ['KZ-55', 'KZ-59']
    """
    layers = _layers(str(Path(raw_root).resolve()))
    sym = layers.ru_kz
    rows = [
        {"region_id": rid, "kz_id": kid, "shared_km": float(sym.at[rid, kid])}
        for rid in sorted(sym.index)
        for kid in sorted(sym.columns)
        if sym.at[rid, kid] >= KZ_MIN_SHARED_KM
    ]
    return _rounded(pd.DataFrame(rows, columns=["region_id", "kz_id", "shared_km"]))


def _rounded(frame: pd.DataFrame) -> pd.DataFrame:
    # Fixed decimals keep the output byte-stable across runs and platforms.
    for col in frame.columns:
        if col.endswith("_km2") or col.endswith("_km"):
            frame[col] = frame[col].astype(float).round(1)
        elif col.endswith("_lat") or col.endswith("_lon"):
            frame[col] = frame[col].astype(float).round(4)
    return frame.reset_index(drop=True)


def simplified_polygons(raw_root: str | Path) -> str:
    """The shipped map polygons (``features/data/polygons.geojson``) built from the raw layers.

    The raw layers are read and resolved as by :func:`read_polygons` (83 Russian subjects, the
    20 current Kazakh units), then simplified with shapely (see :data:`POLYGONS_METADATA`).

    Parameters
    ----------
    raw_root : str or Path
        The raw data folder (``shared/data/raw``).

    Returns
    -------
    str
        GeoJSON text: a ``FeatureCollection`` whose foreign members state the source, the
        licence (ODbL), the method and ``"approximate": true``; one feature per unit with
        properties ``region_id``, ``layer`` ("RU"/"KZ") and ``label`` ([lon, lat] of a point
        inside it), then the Russia–Kazakhstan border line (``layer`` "border"); Chukotka's
        longitudes run past 180°. The same raw files and GEOS version give the same text.

    Raises
    ------
    UnknownRegionError, SourceFormatError
        As :func:`read_polygons`.

    Examples
    --------
    >>> text = simplified_polygons("/work/shared/data/raw")  # doctest: +SKIP
    >>> len(json.loads(text)["features"])  # doctest: +SKIP
    104
    """
    from border_readiness.features.sources._simplify import simplified_geojson

    raw = Path(raw_root)
    layers = {}
    for country, rel, field in (
        ("RU", RU_POLYGONS_PATH, "name"),
        ("KZ", KZ_POLYGONS_PATH, "name_ru"),
    ):
        found = _layer_geometries(raw / rel, field, country)
        for name, geometry in found.values():
            _feature_rings(geometry, f"{rel.name}: {name!r}")  # the checks of read_polygons
        layers[country] = {rid: geometry for rid, (_, geometry) in found.items()}
    return simplified_geojson(
        layers["RU"],
        layers["KZ"],
        tolerance_deg=SIMPLIFY_TOLERANCE_DEG,
        min_part_deg2=SIMPLIFY_MIN_PART_DEG2,
        border_buffer_deg=BORDER_BUFFER_DEG,
        metadata=POLYGONS_METADATA,
    )
