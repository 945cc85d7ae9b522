"""Tests of the shipped map polygons and of the map figures (experiments/_plots_maps.py)."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from border_readiness.experiments._plots_maps import (
    changed_types_map,
    map_polygons,
    score_map,
    typology_map,
)
from border_readiness.features.regions import (
    BORDER_REGIONS,
    region_table,
    russian_subjects,
)
from border_readiness.features.sources.geometry import (
    BORDER_BUFFER_DEG,
    KZ_POLYGONS_PATH,
    RU_POLYGONS_PATH,
    area_km2,
    read_polygons,
)

pytestmark = pytest.mark.xdist_group("test_maps")
LEVELS = ["overall", "transport_communication", "joint_projects", "social_services"]
NAMES = region_table()["name_en"]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _features(layer):
    return [f for f in map_polygons()["features"] if f["properties"]["layer"] == layer]


def _rings(geometry) -> list[np.ndarray]:
    polys = geometry["coordinates"]
    polys = polys if geometry["type"] == "MultiPolygon" else [polys]
    rings = []
    for poly in polys:
        for j, ring in enumerate(poly):
            ring = np.asarray(ring, dtype=float)
            # Orient as read_polygons does (exterior anticlockwise, holes clockwise).
            signed = 0.5 * np.sum(ring[:-1, 0] * ring[1:, 1] - ring[1:, 0] * ring[:-1, 1])
            rings.append(ring if (signed > 0) == (j == 0) else ring[::-1])
    return rings


def _texts(fig) -> str:
    return "\n".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))


def _legend_titles(fig) -> list[str]:
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend()] + list(fig.legends)
    return [lg.get_title().get_text() for lg in legends]


def _region_patches(fig) -> dict:
    return {
        p.get_gid().removeprefix("region:"): p
        for p in fig.findobj(matplotlib.patches.PathPatch)
        if (p.get_gid() or "").startswith("region:")
    }


# --------------------------------------------------------------------------------------------
# The shipped polygons


def test_shipped_polygons_match_the_registry():
    table = region_table()
    ru, kz = _features("RU"), _features("KZ")
    ru_ids = [f["properties"]["region_id"] for f in ru]
    kz_ids = [f["properties"]["region_id"] for f in kz]
    assert len(ru_ids) == len(set(ru_ids)) == 83
    assert len(kz_ids) == len(set(kz_ids)) == 20
    assert set(ru_ids) <= set(russian_subjects())
    # The subjects absent from the 2013 layer are exactly the two added in 2014.
    assert set(russian_subjects()) - set(ru_ids) == {"RU-CR", "RU-SEV"}
    assert set(BORDER_REGIONS) <= set(ru_ids)
    assert (table.loc[kz_ids, "country"] == "KZ").all()
    # The current units: none of the former ones (South Kazakhstan became Turkistan in 2018).
    assert "KZ-YUZ" not in kz_ids and {"KZ-10", "KZ-33", "KZ-62"} <= set(kz_ids)


def test_shipped_polygons_are_valid_and_labels_inside():
    shapely = pytest.importorskip("shapely")
    from shapely.geometry import Point, shape

    for f in _features("RU") + _features("KZ"):
        geom = shape(f["geometry"])
        assert geom.is_valid, f["properties"]["region_id"]
        assert (
            geom.contains(Point(f["properties"]["label"]))
            or geom.distance(Point(f["properties"]["label"])) < 0.01
        ), f["properties"]["region_id"]
    assert shapely.__version__


def test_shipped_polygons_state_source_licence_and_approximate():
    fc = map_polygons()
    assert fc["approximate"] is True
    assert "ODbL" in fc["licence"] and "OpenStreetMap" in fc["licence"]
    assert "GIS-Lab" in fc["source"]["RU"] and "OSM-Boundaries" in fc["source"]["KZ"]
    assert "approximate" in fc["caption"]


def test_border_line_lies_on_the_kazakh_outline_near_russia():
    pytest.importorskip("shapely")
    import shapely
    from shapely.geometry import shape

    (border,) = _features("border")
    line = shape(border["geometry"])
    kz = shapely.union_all([shape(f["geometry"]) for f in _features("KZ")])
    ru = shapely.union_all([shape(f["geometry"]) for f in _features("RU")])
    points = shapely.points(shapely.get_coordinates(line))
    assert shapely.distance(kz.boundary, points).max() < 2e-3  # on the 0.001° grid
    assert shapely.distance(ru, points).max() <= BORDER_BUFFER_DEG + 1e-3
    # Its length on the sphere, by haversine: the real border is about 7 600 km; simplified to
    # ~5 km, the line loses the small wiggles but not the run from the Caspian to the Altai.
    c = np.radians(shapely.get_coordinates(line))
    d = np.diff(c, axis=0)
    h = np.sin(d[:, 1] / 2) ** 2 + np.cos(c[:-1, 1]) * np.cos(c[1:, 1]) * np.sin(d[:, 0] / 2) ** 2
    km = 2 * 6371.0088 * np.arcsin(np.sqrt(h))
    assert 6000 < km[km < 100].sum() < 7700
    lon = shapely.get_coordinates(line)[:, 0]
    assert lon.min() < 50 and lon.max() > 86  # Caspian to the Altai


def test_simplified_areas_stay_within_two_percent_of_the_raw(raw_root):
    raw = read_polygons(raw_root / RU_POLYGONS_PATH, "name", "RU")
    raw_kz = read_polygons(raw_root / KZ_POLYGONS_PATH, "name_ru", "KZ")
    shipped = {f["properties"]["region_id"]: f["geometry"] for f in _features("RU")}
    shipped_kz = {f["properties"]["region_id"]: f["geometry"] for f in _features("KZ")}
    for rid in BORDER_REGIONS:
        assert area_km2(_rings(shipped[rid])) == pytest.approx(area_km2(raw[rid]), rel=0.02), rid
    for rid in ("KZ-27", "KZ-39", "KZ-59", "KZ-55", "KZ-63", "KZ-15", "KZ-23"):
        got = area_km2(_rings(shipped_kz[rid]))
        assert got == pytest.approx(area_km2(raw_kz[rid]), rel=0.02), rid


def test_build_reproduces_the_shipped_file(raw_root):
    from importlib import resources

    from border_readiness.features.sources.geometry import simplified_polygons

    shipped = resources.files("border_readiness.features") / "data" / "polygons.geojson"
    assert simplified_polygons(raw_root) == shipped.read_text(encoding="utf-8")
    assert len(shipped.read_bytes()) < 500_000


def test_geometry_module_does_not_import_shapely():
    import subprocess
    import sys

    code = (
        "import sys, border_readiness.features.sources.geometry as g; "
        "print('shapely' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------------------------
# The maps


def _scores(regions) -> pd.DataFrame:
    rows = []
    for j, level in enumerate(LEVELS):
        for i, rid in enumerate(regions):
            rank = float((i + j) % len(regions) + 1)
            rows.append(
                {
                    "region_id": rid,
                    "level": level,
                    "score": 90.0 - 5 * rank,
                    "rank": rank,
                    "rank_p05": max(1.0, rank - 1.5),
                    "rank_p95": rank + 2.0,
                }
            )
    return pd.DataFrame(rows)


def _check_common(fig, regions):
    titles = _legend_titles(fig)
    assert titles and all(titles), "every legend has a title"
    text = _texts(fig)
    for rid in regions:
        short = NAMES[rid].split(" (")[0].replace(" Oblast", "")
        assert short in text, rid
    assert "OpenStreetMap" in text and "approximate" in text and "ODbL" in text
    assert "1° lon ≈ " in text  # the scale note


def test_typology_map_draws_names_legend_caption_and_marks():
    labels = pd.Series({r: f"type {i % 3}" for i, r in enumerate(BORDER_REGIONS)})
    fig = typology_map(
        labels,
        title="Three types",
        legend_title="type",
        marked=["RU-OMS", "RU-AST"],
        marked_label="disagrees",
        year=2021,
    )
    _check_common(fig, BORDER_REGIONS)
    assert "Data year 2021" in _texts(fig)
    legend = fig.axes[0].get_legend()
    assert legend.get_title().get_text() == "type"
    entries = [t.get_text() for t in legend.get_texts()]
    assert "type 0 (4)" in entries and "disagrees" in entries
    patches = _region_patches(fig)
    assert set(patches) == set(BORDER_REGIONS)
    for rid, p in patches.items():
        if rid in ("RU-OMS", "RU-AST"):
            assert p.get_hatch() == "////" and p.get_linewidth() > 1.5
        else:
            assert not p.get_hatch() and p.get_linewidth() < 1.0
    # One colour per type: regions of one type share it, of different types do not.
    colour = {rid: p.get_facecolor() for rid, p in patches.items()}
    assert colour["RU-AST"] == colour["RU-SAM"]  # both "type 0" (positions 0 and 3)
    assert colour["RU-AST"] != colour["RU-VGG"]


def test_score_map_writes_each_regions_score_and_rank_interval():
    scores = _scores(BORDER_REGIONS)
    fig = score_map(scores, scores, year=2021)
    _check_common(fig, BORDER_REGIONS)
    text = _texts(fig)
    # Hand-worked: Astrakhan is first in the list, so its overall rank is 1, score 85.0,
    # interval 1 (max(1, -0.5)) to 3; ranks print as integers or halves.
    assert "85.0 · #1 (1–3)" in text
    # Saratov (third) on the second level: rank 4, score 70.0, interval 2.5–6.
    assert "70.0 · #4 (2.5–6)" in text
    assert sum(ax.get_title().endswith("score, 2021") for ax in fig.axes) == 4


def test_score_map_without_a_monte_carlo_writes_score_and_rank_only():
    scores = _scores(BORDER_REGIONS)
    text = _texts(score_map(scores, pd.DataFrame(), year=2021))
    assert "85.0 · #1" in text and "85.0 · #1 (" not in text


def test_changed_types_map_hatches_the_regions_that_moved():
    old = pd.Series({"RU-OMS": 0, "RU-NVS": 0, "RU-ALT": 0, "RU-AL": 1, "RU-ORE": 1, "RU-SAR": 1})
    new = pd.Series({"RU-OMS": 0, "RU-NVS": 0, "RU-ALT": 1, "RU-AL": 1, "RU-ORE": 1, "RU-SAR": 1})
    fig = changed_types_map(old, new, title="Retrained", year=2022)
    _check_common(fig, old.index)
    # Old cluster 0 survives as new 0 (2 of its 3 regions), old 1 as new 1 (all 3); Altai
    # Krai went from 0 to 1, so only it changed type.
    patches = _region_patches(fig)
    assert [r for r, p in patches.items() if p.get_hatch()] == ["RU-ALT"]
    assert "0 → 1" in _texts(fig)
    assert fig.axes[0].get_legend().get_title().get_text() == "new cluster"


def test_maps_are_built_off_pyplot():
    # Like the other report figures: no backend switch, nothing left in pyplot's registry
    # (a leak there had made the headless tests of other figures fail, by test order).
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    fig = typology_map(pd.Series({"RU-OMS": 0, "RU-ORE": 1}), title="t", legend_title="c")
    assert plt.get_fignums() == before
    assert type(fig.canvas).__name__ == "FigureCanvasAgg"


def test_maps_work_for_all_subjects():
    subjects = russian_subjects()
    labels = pd.Series({r: i % 4 for i, r in enumerate(subjects)})
    fig = typology_map(labels, title="All subjects", legend_title="cluster", marked=["RU-MOW"])
    ax = fig.axes[0]
    assert ax.get_xlim()[1] - ax.get_xlim()[0] > 150  # all of Russia, Kaliningrad to Chukotka
    text = _texts(fig)
    assert "No polygon" in text and "Sevastopol" in text
    for rid in BORDER_REGIONS:
        assert NAMES[rid].split(" (")[0].replace(" Oblast", "") in text
    assert len(_region_patches(fig)) == 83
    scores = _scores(subjects)
    fig = score_map(scores, scores, year=2021)
    for ax in fig.axes[:4]:  # the four panels (the others are colour bars)
        assert len(_region_patches(ax)) == 83
    assert _legend_titles(fig) == ["Map key"]


@pytest.mark.parametrize(
    ("labels", "kwargs", "match"),
    [
        ({"RU-XXX": 1, "RU-OMS": 2}, {}, "unknown region id.*RU-XXX"),
        ({"KZ-39": 1, "RU-OMS": 2}, {}, "not Russian subjects"),
        ({"RU-OMS": 1}, {"marked": ["RU-ORE"]}, "have no type"),
        ({"RU-OMS": 1}, {"marked": ["Omsk"]}, "unknown region id"),
    ],
)
def test_bad_region_ids_give_a_clear_value_error(labels, kwargs, match):
    with pytest.raises(ValueError, match=match):
        typology_map(pd.Series(labels), title="t", legend_title="l", **kwargs)


def test_score_map_rejects_an_unknown_region():
    scores = _scores(["RU-OMS", "RU-ZZZ"])
    with pytest.raises(ValueError, match="unknown region id"):
        score_map(scores, scores, year=2021)


def test_scale_bar_is_500_km_at_50_north():
    fig = typology_map(pd.Series({"RU-OMS": 1}), title="t", legend_title="l")
    ax = fig.axes[0]
    bars = [ln for ln in ax.get_lines() if ln.get_color() == "black" and ln.get_linewidth() == 2.5]
    (bar,) = bars
    dlon = np.ptp(bar.get_xdata())
    # 500 km along the parallel of 50° N on the sphere: Δλ = 500 / (R cos 50° · π/180).
    assert dlon == pytest.approx(500 / (6371.0088 * math.cos(math.radians(50)) * math.pi / 180))


def test_retrain_comparison_draws_the_changed_types_map():
    from border_readiness.clustering.transitions import cluster_transitions
    from border_readiness.experiments.retrain.compare import Comparison

    old = pd.Series({"RU-OMS": 0, "RU-NVS": 0, "RU-ALT": 0, "RU-AL": 1, "RU-ORE": 1})
    new = pd.Series({"RU-OMS": 0, "RU-NVS": 0, "RU-ALT": 1, "RU-AL": 1, "RU-ORE": 1})
    comparison = Comparison("1", 2021, 2022, cluster_transitions(old, new), None, None, None, None)
    (name, png), *_ = comparison.figures.items()
    assert name == "changed_types_map.png" and png[:4] == b"\x89PNG"
