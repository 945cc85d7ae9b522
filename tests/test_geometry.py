"""Tests of border_readiness.features.sources.geometry.

Hand-worked synthetic cases and the real polygon layers.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pytest

import border_readiness.features.sources.geometry as geometry
from border_readiness.features.regions import BORDER_REGIONS, UnknownRegionError
from border_readiness.features.sources.geometry import (
    EARTH_RADIUS_KM,
    KZ_TOLERANCE_KM,
    area_km2,
    border_facts,
    centroid,
    densify,
    kz_border_facts,
    read_polygons,
    shared_length_km,
)

# One worker runs this module: its tests share a module fixture.
pytestmark = pytest.mark.xdist_group("test_geometry")

KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180.0  # 111.195 km along a great circle


def cell(lon0: float, lat0: float, lon1: float, lat1: float) -> np.ndarray:
    """A closed lon/lat rectangle, counter-clockwise."""
    return np.array([[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]])


def cell_area(lon0: float, lat0: float, lon1: float, lat1: float) -> float:
    """Analytic area of a lon/lat rectangle on the sphere: R²·Δλ·(sin φ2 − sin φ1)."""
    dlon = math.radians(lon1 - lon0)
    return EARTH_RADIUS_KM**2 * dlon * (math.sin(math.radians(lat1)) - math.sin(math.radians(lat0)))


# --------------------------------------------------------------------------------------------
# Synthetic cases (always run)


@pytest.mark.parametrize("lat0", [0.0, 50.0, 70.0])
def test_area_of_one_degree_cell_matches_analytic(lat0):
    expected = cell_area(0.0, lat0, 1.0, lat0 + 1.0)
    assert area_km2([cell(0.0, lat0, 1.0, lat0 + 1.0)]) == pytest.approx(expected, rel=1e-9)


def test_area_of_equatorial_cell_is_about_12364_km2():
    assert area_km2([cell(0.0, 0.0, 1.0, 1.0)]) == pytest.approx(12_363.7, abs=0.1)


def test_two_cells_sharing_the_equator_share_one_degree():
    north = [cell(0.0, 0.0, 1.0, 1.0)]
    south = [cell(0.0, -1.0, 1.0, 0.0)]
    # The side edges run on past the shared corners; they must not be counted.
    assert shared_length_km(north, south, 0.1) == pytest.approx(KM_PER_DEGREE, rel=1e-6)
    assert shared_length_km(south, north, 0.1) == pytest.approx(KM_PER_DEGREE, rel=1e-6)
    assert 111.1 < KM_PER_DEGREE < 111.3


def test_corner_touch_has_no_length():
    a = [cell(0.0, 0.0, 1.0, 1.0)]
    b = [cell(1.0, -1.0, 2.0, 0.0)]
    assert shared_length_km(a, b, 0.3) == 0.0


def test_offset_boundary_found_within_tolerance_only():
    # Two layers that do not share vertices: the second cell stops 0.02° (2.2 km) short.
    north = [cell(0.0, 0.0, 1.0, 1.0)]
    south = [cell(0.0, -1.0, 1.0, -0.02)]
    assert shared_length_km(north, south, 1.0) == 0.0
    shared = shared_length_km(north, south, KZ_TOLERANCE_KM)
    # The whole edge, plus at most the tolerance at each end where the side edges leave.
    assert KM_PER_DEGREE <= shared <= KM_PER_DEGREE + 2 * KZ_TOLERANCE_KM


def test_densify_keeps_vertices_and_bounds_piece_length():
    ring = cell(30.0, 50.0, 31.0, 51.0)
    dense = densify(ring, 0.5)
    xyz = geometry._to_xyz(dense)
    pieces = np.linalg.norm(np.diff(xyz, axis=0), axis=1)
    assert pieces.max() <= 0.5 * 1.001
    for vertex in ring:
        assert np.any(np.all(dense == vertex, axis=1))
    assert np.array_equal(dense[0], dense[-1])


def test_centroid_of_cell_and_across_antimeridian():
    lat, lon = centroid([cell(10.0, 0.0, 12.0, 2.0)])
    assert lon == pytest.approx(11.0)
    # Equal-area centroid: sin φ̄ is the mean of sin φ over the cell.
    assert lat == pytest.approx(math.degrees(math.asin(math.sin(math.radians(2.0)) / 2)))
    east, west = cell(179.0, 60.0, 180.0, 61.0), cell(-180.0, 60.0, -179.0, 61.0)
    lat, lon = centroid([east, west])
    assert abs(abs(lon) - 180.0) < 1e-6
    assert 60.0 < lat < 61.0


def _feature(name: str, rings: list[np.ndarray], key: str = "name") -> dict:
    return {
        "type": "Feature",
        "properties": {key: name},
        "geometry": {"type": "Polygon", "coordinates": [r.tolist() for r in rings]},
    }


def _write(tmp_path: Path, features: list[dict]) -> Path:
    path = tmp_path / "layer.geojson"
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
        encoding="utf-8",
    )
    return path


def test_read_polygons_orients_rings_and_subtracts_holes(tmp_path):
    outer = cell(60.0, 50.0, 62.0, 52.0)[::-1]  # clockwise on purpose
    hole = cell(60.5, 50.5, 61.0, 51.0)  # counter-clockwise on purpose
    path = _write(tmp_path, [_feature("Омская область", [outer, hole])])
    rings = read_polygons(path, "name", "RU")["RU-OMS"]
    assert geometry._signed_area_sr(rings[0]) > 0 > geometry._signed_area_sr(rings[1])
    expected = cell_area(60.0, 50.0, 62.0, 52.0) - cell_area(60.5, 50.5, 61.0, 51.0)
    assert area_km2(rings) == pytest.approx(expected, rel=1e-9)


def test_read_polygons_unknown_name_raises(tmp_path):
    path = _write(
        tmp_path,
        [_feature("Омская область", [cell(0, 0, 1, 1)]), _feature("Атлантида", [cell(2, 2, 3, 3)])],
    )
    with pytest.raises(UnknownRegionError):
        read_polygons(path, "name", "RU")


def test_read_polygons_duplicate_id_raises(tmp_path):
    path = _write(
        tmp_path,
        [_feature("Омская область", [cell(0, 0, 1, 1)]), _feature("Омская", [cell(2, 2, 3, 3)])],
    )
    with pytest.raises(ValueError, match="both resolve to RU-OMS"):
        read_polygons(path, "name", "RU")


def test_oblast_beside_its_okrugs_is_the_okrug_free_unit(tmp_path):
    tyumen = _feature("Тюменская область", [cell(65, 56, 70, 60)])
    okrugs = [
        _feature("Ханты-Мансийский автономный округ - Югра", [cell(65, 60, 75, 64)]),
        _feature("Ямало-Ненецкий автономный округ", [cell(65, 64, 80, 70)]),
    ]
    assert list(read_polygons(_write(tmp_path, [tyumen, *okrugs]), "name", "RU")) == [
        "RU-KHM", "RU-TYU", "RU-YAN",
    ]  # fmt: skip
    # Without the okrugs in the layer the polygon is the whole oblast.
    assert list(read_polygons(_write(tmp_path, [tyumen]), "name", "RU")) == ["RU-TYU-WHOLE"]


# --------------------------------------------------------------------------------------------
# Real data (skipped by the raw_root fixture of conftest.py without ../shared/data/raw)


@pytest.fixture(scope="module")
def facts(raw_root):
    """Both fact tables from the real layers (skipped by ``raw_root`` without the raw folder)."""
    geometry._layers.cache_clear()
    start = time.perf_counter()
    ru = border_facts(raw_root)
    seconds = time.perf_counter() - start
    kz = kz_border_facts(raw_root)
    return ru.set_index("region_id", drop=False), kz.set_index("region_id", drop=False), seconds


def _ids(cell_text: str) -> set[str]:
    return set(filter(None, cell_text.split("|")))


def test_one_row_per_subject_in_the_layer(facts):
    ru, _, _ = facts
    assert len(ru) == 83
    assert list(ru["region_id"]) == sorted(ru["region_id"])
    assert {"RU-CR", "RU-SEV", "RU-TYU-WHOLE", "RU-ARK-WHOLE"}.isdisjoint(ru.index)
    assert {"RU-TYU", "RU-ARK", "RU-KHM", "RU-YAN", "RU-NEN"} <= set(ru.index)
    assert ru["approximate"].all()
    assert list(ru.columns[:7]) == [
        "region_id", "area_km2", "centroid_lat", "centroid_lon", "capital_lat", "capital_lon",
        "capital_note",
    ]  # fmt: skip
    assert {"border_kz_km", "kz_neighbours", "ru_neighbours"} <= set(ru.columns)
    assert not ru[["area_km2", "centroid_lat", "capital_lat", "border_kz_km"]].isna().any().any()


def test_values_are_rounded(facts):
    ru, _, _ = facts
    for col, digits in (("area_km2", 1), ("border_kz_km", 1), ("centroid_lat", 4)):
        assert (ru[col] == ru[col].round(digits)).all()


def test_border_regions_are_the_twelve(facts):
    """The 12 border regions are those whose boundary reaches Kazakhstan's.

    Samara touches Kazakhstan in a single point (the Samara–Saratov–Orenburg–West Kazakhstan
    quadripoint): a border of length 0, so border_kz_km > 0 holds for the other 11 only.
    """
    ru, _, _ = facts
    touching = set(ru.index[ru["kz_distance_km"] <= KZ_TOLERANCE_KM])
    assert touching == set(BORDER_REGIONS)
    assert set(ru.index[ru["border_kz_km"] > 0]) == set(BORDER_REGIONS) - {"RU-SAM"}
    assert ru.at["RU-SAM", "kz_distance_km"] < 1.0
    assert ru.at["RU-SAM", "kz_neighbours"] == ""


def test_orenburg_longest_samara_shortest(facts):
    ru, _, _ = facts
    border = ru.loc[list(BORDER_REGIONS), "border_kz_km"]
    assert border.idxmax() == "RU-ORE"
    assert border.idxmin() == "RU-SAM"


def test_total_border_close_to_published(facts):
    ru, _, _ = facts
    total = ru["border_kz_km"].sum()
    assert total == pytest.approx(7512.8, rel=0.15)


def test_orenburg_area_close_to_published(facts):
    ru, _, _ = facts
    assert ru.at["RU-ORE", "area_km2"] == pytest.approx(123_702, rel=0.05)


def test_kazakh_neighbours(facts):
    ru, kz, _ = facts
    assert {"KZ-55", "KZ-59"} <= _ids(ru.at["RU-OMS", "kz_neighbours"])
    assert {"KZ-55", "KZ-63"} <= _ids(ru.at["RU-ALT", "kz_neighbours"])
    # The same relation read from the Kazakh side.
    pairs_ru = {(r, k) for r in ru.index for k in _ids(ru.at[r, "kz_neighbours"])}
    pairs_kz = {(r, k) for k in kz.index for r in _ids(kz.at[k, "ru_neighbours"])}
    assert pairs_ru == pairs_kz
    assert len(kz) == 20


def test_russian_neighbours_symmetric(facts):
    ru, _, _ = facts
    pairs = {(a, b) for a in ru.index for b in _ids(ru.at[a, "ru_neighbours"])}
    assert pairs == {(b, a) for a, b in pairs}
    assert {"RU-TYU", "RU-NVS"} <= _ids(ru.at["RU-OMS", "ru_neighbours"])
    assert ru.at["RU-KGD", "ru_neighbours"] == ""  # the exclave


def test_capital_notes_flag_city_coordinates(facts):
    ru, _, _ = facts
    flagged = set(ru.index[ru["capital_note"] != ""])
    assert flagged == {"RU-MOS", "RU-LEN"}
    assert ru.at["RU-MOS", "capital_lat"] == ru.at["RU-MOW", "capital_lat"]


def test_centroids_lie_near_their_region(facts):
    ru, _, _ = facts
    # Centroid and capital of a subject are never on opposite sides of the country.
    gap = np.hypot(ru["centroid_lat"] - ru["capital_lat"], ru["centroid_lon"] - ru["capital_lon"])
    assert (gap < 10).all()
    assert ru.at["RU-CHU", "centroid_lon"] > 160  # not pulled to 0° by the antimeridian


def test_module_needs_only_numpy_scipy_pandas():
    # The project forbids GIS dependencies (shapely, pyproj...) for this module.
    imported = {
        line.split()[1].split(".")[0]
        for line in Path(geometry.__file__).read_text(encoding="utf-8").splitlines()
        if line.startswith(("import ", "from "))
    }
    assert imported <= {"__future__", "json", "dataclasses", "functools", "pathlib", "numpy",
                        "pandas", "scipy", "border_readiness"}  # fmt: skip
