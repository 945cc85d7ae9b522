"""The two polygon layers simplified into the one small GeoJSON file that the maps draw.

Private to :func:`border_readiness.features.sources.geometry.simplified_polygons`, which reads
the raw layers and resolves their names; this module only does the geometry, with shapely
(imported only here and only inside the functions, so the facts computed in
``geometry`` keep needing numpy and scipy alone).

Each layer is simplified as a *coverage* (``shapely.coverage_simplify``, Visvalingam–Whyatt on
the shared edges once), so neighbouring subjects keep one common boundary instead of gaps and
overlaps. The two layers come from different sources and are simplified separately.
"""

from __future__ import annotations

import json

import numpy as np

#: The shipped map polygons (``features/data/polygons.geojson``): simplification tolerance,
#: degrees (about 5 km along a parallel at 50° N), and the smallest island kept, square degrees.
SIMPLIFY_TOLERANCE_DEG = 0.05
SIMPLIFY_MIN_PART_DEG2 = 0.01
#: How near the Russian layer the Kazakh outline runs where it is drawn as the border, degrees.
BORDER_BUFFER_DEG = 0.1
#: What the shipped polygons are, where they come from and under which licence (PROVENANCE §6).
POLYGONS_METADATA = {
    "name": "border_readiness map polygons",
    "approximate": True,
    "caption": "Polygons: Russian subjects from GIS-Lab/OpenStreetMap (2013, via "
    "click_that_hood), Kazakh units from OSM-Boundaries/OpenStreetMap (2023); ODbL, "
    "© OpenStreetMap contributors; simplified to about 5 km, approximate, not authoritative",
    "source": {
        "RU": "codeforgermany/click_that_hood public/data/russia.geojson (commit 48ba05ad), 83 "
        "federal subjects as of 2013 (no Republic of Crimea, no Sevastopol), source "
        "GIS-Lab/OpenStreetMap; Tyumen and Arkhangelsk without their autonomous okrugs",
        "KZ": "sh-i/geoBoundaries OSMB-KZ_obl.geojson (commit c79e6391), 20 current units, "
        "derived from OSM-Boundaries / OpenStreetMap",
    },
    "licence": "Open Database License (ODbL) 1.0, © OpenStreetMap contributors (GIS-Lab, "
    "OSM-Boundaries); click_that_hood's packaging MIT, © Code for America",
    "method": f"each layer simplified as a coverage (shapely.coverage_simplify, tolerance "
    f"{SIMPLIFY_TOLERANCE_DEG}°), islands under {SIMPLIFY_MIN_PART_DEG2} deg² dropped, "
    "vertices on a 0.001° grid, longitudes east of 180° kept (Chukotka in one piece); the "
    f"border line is the Kazakh outline within {BORDER_BUFFER_DEG}° of the Russian layer",
}

#: Vertices are snapped to this grid, degrees (about 0.1 km): far below the simplification.
GRID_DEG = 0.001


def _polygonal(geometry: dict):
    # The Russian layer is drawn east of the antimeridian (Chukotka's -170° becomes 190°), so
    # that Chukotka is one piece; its two halves then touch along 180°, and eleven subjects of
    # the 2013 layer have small self-intersections: make_valid repairs both.
    import shapely
    from shapely.geometry import shape

    east = np.array([360.0, 0.0])
    geom = shapely.transform(shape(geometry), lambda c: np.where(c[:, :1] < 0, c + east, c))
    if not geom.is_valid:
        geom = shapely.make_valid(geom, method="structure")
    parts = [
        p
        for g in getattr(geom, "geoms", [geom])
        for p in getattr(g, "geoms", [g])
        if p.geom_type == "Polygon" and not p.is_empty
    ]
    return shapely.MultiPolygon(parts) if len(parts) > 1 else parts[0]


def _without_small_parts(geom, min_part_deg2: float):
    import shapely

    # Islets add vertices and nothing a reader of a 3 000-km map can see; a unit always keeps
    # its largest part.
    parts = list(getattr(geom, "geoms", [geom]))
    keep = [p for p in parts if p.area >= min_part_deg2] or [max(parts, key=lambda p: p.area)]
    return shapely.MultiPolygon(keep) if len(keep) > 1 else keep[0]


def _rounded(value):
    if isinstance(value, float):
        return round(value, 3) + 0.0  # + 0.0: no "-0.0" in the file
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return value


def _label_point(geom) -> list[float]:
    from shapely.ops import polylabel

    # The pole of inaccessibility of the largest part: inside the region even where it is
    # concave (a centroid of Astrakhan or Altai Krai may fall outside or on the edge).
    largest = max(getattr(geom, "geoms", [geom]), key=lambda p: p.area)
    point = polylabel(largest, tolerance=0.01)
    return [round(point.x, 2), round(point.y, 2)]


def _border_line(ru: list, kz: list, buffer_deg: float, min_piece_deg: float):
    import shapely

    # The two layers never share vertices (sources and years differ, up to 6 km apart along
    # the border), so the line is the Kazakh layer's outer boundary where it runs within
    # buffer_deg of the Russian layer; stubs shorter than min_piece_deg are dropped.
    kz_outline = shapely.union_all(kz).boundary
    near = shapely.line_merge(
        shapely.intersection(kz_outline, shapely.union_all(ru).buffer(buffer_deg))
    )
    pieces = [p for p in getattr(near, "geoms", [near]) if p.length >= min_piece_deg]
    return shapely.MultiLineString(pieces) if len(pieces) > 1 else pieces[0]


def simplified_geojson(
    ru: dict[str, dict],
    kz: dict[str, dict],
    *,
    tolerance_deg: float,
    min_part_deg2: float,
    border_buffer_deg: float,
    metadata: dict,
) -> str:
    """GeoJSON text of both layers, simplified, with the Russia–Kazakhstan line.

    Parameters
    ----------
    ru, kz : dict of str to dict
        Region id -> GeoJSON geometry of the Russian and of the Kazakh layer.
    tolerance_deg : float
        ``shapely.coverage_simplify`` tolerance (about the square root of the largest area
        removed, degrees).
    min_part_deg2 : float
        Parts (islands) smaller than this, square degrees, are dropped.
    border_buffer_deg : float
        How near the Russian layer the Kazakh outline must run to be drawn as the border.
    metadata : dict
        Foreign members of the ``FeatureCollection`` (source, licence, notes), written first.

    Returns
    -------
    str
        A ``FeatureCollection``: one feature per unit (``region_id``, ``layer`` "RU" or "KZ",
        ``label`` [lon, lat] inside it), then one ``layer`` "border" feature; one feature a
        line, sorted, coordinates on the :data:`GRID_DEG` grid.
    """
    import shapely
    from shapely.geometry import mapping

    out = []
    layers = {}
    for layer, geometries in (("RU", ru), ("KZ", kz)):
        ids = sorted(geometries)
        raw = np.array([_polygonal(geometries[i]) for i in ids], dtype=object)
        simple = shapely.coverage_simplify(raw, tolerance_deg)
        simple = [_without_small_parts(g, min_part_deg2) for g in simple]
        simple = shapely.set_precision(np.array(simple, dtype=object), GRID_DEG)
        layers[layer] = list(simple)
        for rid, geom in zip(ids, simple, strict=True):
            out.append(
                {
                    "type": "Feature",
                    "properties": {"region_id": rid, "layer": layer, "label": _label_point(geom)},
                    "geometry": mapping(geom),
                }
            )
    border = shapely.set_precision(
        _border_line(layers["RU"], layers["KZ"], border_buffer_deg, min_piece_deg=0.2), GRID_DEG
    )
    out.append(
        {
            "type": "Feature",
            "properties": {"region_id": None, "layer": "border", "label": None},
            "geometry": mapping(border),
        }
    )
    dump = lambda obj: json.dumps(obj, ensure_ascii=False, separators=(",", ":"))  # noqa: E731
    for feature in out:
        feature["geometry"] = {
            "type": feature["geometry"]["type"],
            "coordinates": _rounded(feature["geometry"]["coordinates"]),
        }
    head = dump({"type": "FeatureCollection", **metadata})[:-1]
    return head + ',"features":[\n' + ",\n".join(dump(f) for f in out) + "\n]}\n"
