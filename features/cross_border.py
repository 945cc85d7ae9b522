"""The Kazakh side of the cross-border indicators: fixed territories, weights and distances.

Kazakhstan redrew its oblasts twice in the window the catalogue reads: in 2018 South Kazakhstan
(``KZ-YUZ``) became Turkistan oblast (``KZ-61``) and the city of Shymkent (``KZ-79``); in 2022
Abai (``KZ-10``), Jetisu (``KZ-33``) and Ulytau (``KZ-62``) were carved out of East Kazakhstan
(``KZ-63``), Almaty oblast (``KZ-19``) and Karaganda (``KZ-35``). A series read across such a
change compares two different territories (East Kazakhstan lost 46 % of its population in 2022).
So every Kazakh series a formula reads is first put on **fixed territories**, the units as they
were before 2018 (:data:`FIXED_TERRITORY`):

* a territory whose pieces are published separately in a year (from the split on, or earlier
  where the source back-calculates the new unit) is the sum of its pieces for an extensive series
  (:data:`EXTENSIVE_SERIES`: persons, tenge, doctors), and the population-weighted mean of its
  pieces for a rate or a per-capita value; if one piece, or its population, is missing, the
  territory is missing;
* before the split, with no piece published separately, it is the parent's own figure;
* from the split on, the parent alone is *not* the territory (it lacks the new unit): missing.

The fixed territories keep the parent's code (``KZ-63`` is East Kazakhstan including Abai in
every year). Their geography is the union of today's polygons: shared border lengths are summed,
centroids are the area-weighted mean of the pieces' centroids on the sphere.

Distances are great circles (radius 6371.0088 km) from the Russian regional capital
(``border_facts.csv``, from ``regions_geo.csv``) to the **polygon centroid** of the Kazakh unit:
the raw data hold no coordinates of the Kazakh administrative centres, so the centroid stands in
for the oblast centre (it can lie 100-300 km from the actual city in the large oblasts).

Everything here works on frames passed in or on the package's own data files; nothing reads the
raw folder.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

__all__ = [
    "EXTENSIVE_SERIES",
    "FIXED_TERRITORY",
    "capital_distances_km",
    "fixed_territory_values",
    "kz_border_pairs",
    "kz_unit_facts",
    "territory_border_km",
    "territory_centroids",
    "territory_of",
]

#: Current unit -> (fixed territory it belongs to, year from which it is published on its own).
FIXED_TERRITORY: dict[str, tuple[str, int]] = {
    "KZ-10": ("KZ-63", 2022),
    "KZ-33": ("KZ-19", 2022),
    "KZ-62": ("KZ-35", 2022),
    "KZ-61": ("KZ-YUZ", 2018),
    "KZ-79": ("KZ-YUZ", 2018),
}
#: Parents that cease to exist when split (their pieces alone make the territory afterwards).
_CEASED = {"KZ-YUZ": 2018}

#: Series summed over the pieces of a territory; every other Kazakh series is a rate or a
#: per-capita figure and is averaged with population weights.
EXTENSIVE_SERIES = frozenset(
    {
        "kz_population",
        "kz_population_men",
        "kz_population_women",
        "kz_population_men_urban",
        "kz_population_men_rural",
        "kz_population_women_urban",
        "kz_population_women_rural",
        "kz_grp",
        "kz_grp_rub",
        "kz_doctors",
    }
)
_WEIGHT_SERIES = "kz_population"
EARTH_RADIUS_KM = 6371.0088


def _pieces() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for child, (parent, _) in FIXED_TERRITORY.items():
        out.setdefault(parent, []).append(child)
    return out


def fixed_territory_values(
    values: pd.Series, year: int, *, extensive: bool, population: pd.Series | None = None
) -> pd.Series:
    """One year of a Kazakh series put on the fixed (pre-2018) territories.

    Parameters
    ----------
    values : pandas.Series
        The series in one year, indexed by Kazakh unit id as published (``KZ``, ``KZ-63``,
        ``KZ-10``, ...); NaN where not published.
    year : int
        The year of ``values``.
    extensive : bool
        True to sum the pieces of a territory (persons, tenge); False for a population-weighted
        mean (rates, per-capita values).
    population : pandas.Series, optional
        ``kz_population`` in the same year, same index; required when ``extensive`` is False.

    Returns
    -------
    pandas.Series
        Indexed by the fixed territories (the continuing units, the parents ``KZ-63``,
        ``KZ-19``, ``KZ-35`` in their pre-2022 extent and ``KZ-YUZ``) and ``KZ``; NaN where a
        piece is missing (never filled).

    Examples
    --------
    East Kazakhstan in 2022: 100 + 50 persons; its unemployment rate weighted by population.

    >>> v = pd.Series({"KZ-63": 100.0, "KZ-10": 50.0})
    >>> float(fixed_territory_values(v, 2022, extensive=True)["KZ-63"])
    150.0
    >>> u = pd.Series({"KZ-63": 4.0, "KZ-10": 7.0})
    >>> float(fixed_territory_values(u, 2022, extensive=False, population=v)["KZ-63"])
    5.0
    """
    values = values.astype(float)
    if not extensive and population is None:
        raise ValueError("a rate needs the population of the same year to be averaged")
    out = values.drop([c for c in FIXED_TERRITORY if c in values.index])
    for parent, children in _pieces().items():
        ceased = _CEASED.get(parent)
        split = min(FIXED_TERRITORY[c][1] for c in children)
        own = values.get(parent, np.nan)
        child_vals = [values.get(c, np.nan) for c in children]
        separate = any(not np.isnan(v) for v in child_vals)
        if ceased is not None and year < ceased and not np.isnan(own):
            out[parent] = own  # the old unit published as itself
            continue
        if not separate:
            # Nothing published for the new units: before the split the parent is the whole
            # territory; after it the parent alone is smaller than the territory.
            out[parent] = own if year < split else np.nan
            continue
        ids = children if ceased is not None else [parent, *children]
        parts = np.array([values.get(i, np.nan) for i in ids], dtype=float)
        if extensive:
            out[parent] = parts.sum() if not np.isnan(parts).any() else np.nan
        else:
            w = np.array([population.get(i, np.nan) for i in ids], dtype=float)  # type: ignore[union-attr]
            ok = not (np.isnan(parts).any() or np.isnan(w).any() or w.sum() <= 0)
            out[parent] = float((parts * w).sum() / w.sum()) if ok else np.nan
    return out.sort_index()


def _read_package_csv(name: str) -> pd.DataFrame:
    files = resources.files("border_readiness.features") / "data"
    with (files / name).open(encoding="utf-8") as fh:
        return pd.read_csv(fh, keep_default_na=False)


@lru_cache(maxsize=1)
def kz_unit_facts() -> pd.DataFrame:
    """Areas and polygon centroids of the 20 current Kazakh units (shipped ``kz_facts.csv``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``region_id``; the columns of
        :func:`border_readiness.features.sources.geometry.kz_border_facts`. Rebuilt by
        ``border-readiness data build``. Cached.

    Examples
    --------
    >>> "KZ-71" in kz_unit_facts().index
    True
    """
    return _read_package_csv("kz_facts.csv").set_index("region_id")


@lru_cache(maxsize=1)
def kz_border_pairs() -> pd.DataFrame:
    """Shared border length per Russian subject × current Kazakh unit (``kz_border_pairs.csv``).

    Returns
    -------
    pandas.DataFrame
        Columns ``region_id, kz_id, shared_km``, as written by ``border-readiness data build``
        from :func:`border_readiness.features.sources.geometry.kz_border_pairs`. Cached.

    Examples
    --------
    >>> sorted(kz_border_pairs().query("region_id == 'RU-ORE'")["kz_id"])
    ['KZ-15', 'KZ-27', 'KZ-39']
    """
    return _read_package_csv("kz_border_pairs.csv")


def territory_of(kz_id: str) -> str:
    """The fixed territory a current Kazakh unit belongs to.

    Parameters
    ----------
    kz_id : str
        A Kazakh unit id.

    Returns
    -------
    str
        The id of its fixed (pre-2018) territory: itself unless it was carved out in 2018 or 2022.

    Examples
    --------
    >>> territory_of("KZ-10"), territory_of("KZ-55")
    ('KZ-63', 'KZ-55')
    """
    return FIXED_TERRITORY.get(kz_id, (kz_id, 0))[0]


def territory_border_km(pairs: pd.DataFrame) -> pd.DataFrame:
    """Shared border km per Russian region (rows) × fixed Kazakh territory (columns).

    Parameters
    ----------
    pairs : pandas.DataFrame
        ``region_id, kz_id, shared_km`` over current units (:func:`kz_border_pairs`).

    Returns
    -------
    pandas.DataFrame
        Lengths summed over the pieces of each fixed territory; 0 where the pair shares no
        border.

    Examples
    --------
    >>> p = pd.DataFrame({"region_id": ["RU-ALT"] * 2, "kz_id": ["KZ-63", "KZ-10"],
    ...                   "shared_km": [100.0, 50.0]})
    >>> float(territory_border_km(p).at["RU-ALT", "KZ-63"])
    150.0
    """
    frame = pairs.assign(territory=pairs["kz_id"].map(territory_of))
    return frame.pivot_table(
        index="region_id", columns="territory", values="shared_km", aggfunc="sum", fill_value=0.0
    )


def _xyz(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    phi, lam = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)], axis=-1)


def territory_centroids(units: pd.DataFrame) -> pd.DataFrame:
    """Centroids of the fixed territories: area-weighted mean of the pieces' centroid vectors.

    Parameters
    ----------
    units : pandas.DataFrame
        Indexed by current Kazakh unit id, with ``area_km2, centroid_lat, centroid_lon``
        (:func:`kz_unit_facts`).

    Returns
    -------
    pandas.DataFrame
        Indexed by fixed territory id, columns ``centroid_lat, centroid_lon``, ``area_km2``.

    Examples
    --------
    Two equal areas on the equator at 0° and 2° E have their centroid at 1° E.

    >>> u = pd.DataFrame({"area_km2": [1.0, 1.0], "centroid_lat": [0.0, 0.0],
    ...                   "centroid_lon": [0.0, 2.0]}, index=["KZ-63", "KZ-10"])
    >>> round(float(territory_centroids(u).at["KZ-63", "centroid_lon"]), 6)
    1.0
    """
    xyz = _xyz(units["centroid_lat"].to_numpy(float), units["centroid_lon"].to_numpy(float))
    weighted = pd.DataFrame(xyz * units[["area_km2"]].to_numpy(float), index=units.index)
    groups = units.index.map(territory_of)
    summed = weighted.groupby(groups).sum()
    norm = np.linalg.norm(summed.to_numpy(), axis=1)
    x, y, z = summed.to_numpy().T / norm
    return pd.DataFrame(
        {
            "centroid_lat": np.degrees(np.arcsin(z)),
            "centroid_lon": np.degrees(np.arctan2(y, x)),
            "area_km2": units["area_km2"].groupby(groups).sum(),
        },
        index=summed.index,
    )


def capital_distances_km(capitals: pd.DataFrame, points: pd.DataFrame) -> pd.DataFrame:
    """Great-circle distances from each Russian regional capital to each point, km.

    Parameters
    ----------
    capitals : pandas.DataFrame
        Indexed by Russian region id, with ``capital_lat, capital_lon`` (degrees).
    points : pandas.DataFrame
        Indexed by Kazakh id, with ``centroid_lat, centroid_lon`` (degrees).

    Returns
    -------
    pandas.DataFrame
        Regions × points, km on the sphere of radius 6371.0088 km (haversine).

    Examples
    --------
    One degree of the equator:

    >>> c = pd.DataFrame({"capital_lat": [0.0], "capital_lon": [0.0]}, index=["RU-X"])
    >>> p = pd.DataFrame({"centroid_lat": [0.0], "centroid_lon": [1.0]}, index=["KZ-Y"])
    >>> round(float(capital_distances_km(c, p).iat[0, 0]), 1)
    111.2
    """
    lat1 = np.radians(capitals["capital_lat"].to_numpy(float))[:, None]
    lon1 = np.radians(capitals["capital_lon"].to_numpy(float))[:, None]
    lat2 = np.radians(points["centroid_lat"].to_numpy(float))[None, :]
    lon2 = np.radians(points["centroid_lon"].to_numpy(float))[None, :]
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    d = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return pd.DataFrame(d, index=capitals.index, columns=points.index)
