"""The layers every map draws: the shipped polygons, the views, the key, scale and footer.

Private to :mod:`border_readiness.experiments._plots_maps` (the public map functions). Reads
the shipped ``features/data/polygons.geojson`` (``features`` itself does no file I/O for the
maps) and draws with matplotlib alone.
"""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

KM_PER_DEGREE = 6371.0088 * math.pi / 180.0  # along a meridian, on the IUGG mean sphere
KZ_FILL, OTHER_FILL, MISSING_FILL = "#d4d4d4", "#f3f0e8", "#ffffff"
BORDER_COLOUR = "#b2182b"
HATCH = "////"
# Where the border view writes a few names, lon/lat: the labels of the western oblasts and of
# Chelyabinsk and Kurgan would overprint each other at their own points (a leader line joins).
_LABEL_AT = {
    "RU-SAM": (50.0, 54.6),
    "RU-SAR": (46.4, 52.0),
    "RU-ORE": (55.2, 51.9),
    "RU-CHE": (59.3, 56.6),
    "RU-KGN": (65.0, 54.75),
    "RU-VGG": (43.4, 49.0),
    "RU-OMS": (72.6, 56.5),
    "RU-NVS": (80.6, 56.3),
}


@dataclass(frozen=True)
class _View:
    name: str
    lon: tuple[float, float]
    lat: tuple[float, float]
    lat0: float  # the parallel at which the equirectangular scale is true
    scale_km: int


BORDER_VIEW = _View("border", (40.0, 90.0), (42.5, 61.0), 50.0, 500)
RUSSIA_VIEW = _View("Russia", (19.0, 191.0), (41.0, 82.5), 60.0, 1000)


@dataclass(frozen=True)
class _Polygons:
    paths: dict  # region id -> matplotlib Path
    layer: dict  # region id -> "RU" / "KZ"
    label: dict  # region id -> (lon, lat) inside the unit
    area: dict  # region id -> area in square degrees scaled by cos(lat) (label sizes)
    border: list  # (n, 2) arrays of the Russia–Kazakhstan line
    meta: dict


def map_polygons() -> dict:
    """The shipped map polygons, parsed (``features/data/polygons.geojson``).

    Returns
    -------
    dict
        The GeoJSON ``FeatureCollection``: features with ``region_id``, ``layer`` ("RU", "KZ"
        or "border") and ``label``; foreign members ``caption``, ``source``, ``licence``,
        ``method`` and ``approximate``.

    Examples
    --------
    >>> fc = map_polygons()
    >>> fc["approximate"], sum(f["properties"]["layer"] == "KZ" for f in fc["features"])
    (True, 20)
    """
    files = resources.files("border_readiness.features") / "data"
    with (files / "polygons.geojson").open(encoding="utf-8") as fh:
        return json.load(fh)


def _ring_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]))


@lru_cache(maxsize=1)
def _polygons() -> _Polygons:
    from matplotlib.path import Path

    fc = map_polygons()
    paths, layer, label, area, border = {}, {}, {}, {}, []
    for f in fc["features"]:
        props, geom = f["properties"], f["geometry"]
        if props["layer"] == "border":
            lines = (
                geom["coordinates"] if geom["type"] == "MultiLineString" else [geom["coordinates"]]
            )
            border += [np.asarray(line, dtype=float) for line in lines]
            continue
        polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        verts, codes, total = [], [], 0.0
        for poly in polys:
            for j, coords in enumerate(poly):
                ring = np.asarray(coords, dtype=float)
                a = _ring_area(ring)
                # Exteriors anticlockwise and holes clockwise: the non-zero fill rule of
                # matplotlib then leaves the holes (Astana in Akmola) empty.
                if (a > 0) != (j == 0):
                    ring = ring[::-1]
                total += abs(a) * (1 if j == 0 else -1) * math.cos(math.radians(ring[:, 1].mean()))
                verts.append(ring)
                codes.append([Path.MOVETO] + [Path.LINETO] * (len(ring) - 2) + [Path.CLOSEPOLY])
        rid = props["region_id"]
        paths[rid] = Path(np.vstack(verts), np.concatenate(codes))
        layer[rid], label[rid], area[rid] = props["layer"], tuple(props["label"]), total
    meta = {k: v for k, v in fc.items() if k not in ("type", "features")}
    return _Polygons(paths, layer, label, area, border, meta)


def _registry():
    from border_readiness.features.regions import region_table

    return region_table()


def _check_ids(ids: Iterable, what: str) -> list[str]:
    """The ids as strings; a one-line error for ids the registry has no Russian subject for."""
    from border_readiness.errors import UserInputError

    table = _registry()
    ids = [str(i) for i in ids]
    unknown = [i for i in ids if i not in table.index]
    if unknown:
        raise UserInputError(
            f"{what}: unknown region id(s) {', '.join(sorted(set(unknown)))} (expected ISO "
            "3166-2 ids of Russian subjects, e.g. RU-OMS)"
        )
    not_subject = [i for i in ids if table.at[i, "country"] != "RU" or i == "RU"]
    if not_subject:
        raise UserInputError(
            f"{what}: {', '.join(sorted(set(not_subject)))} not Russian subjects; the maps "
            "fill Russian subjects only"
        )
    return ids


def _short(name: str) -> str:
    # "Tyumen Oblast (without autonomous okrugs)" -> "Tyumen Oblast": the caption says what
    # the units are; a map label has no room for it.
    return str(name).split(" (")[0]


def _view(regions: Iterable[str]) -> _View:
    geo = _polygons()
    (lo0, lo1), (la0, la1) = BORDER_VIEW.lon, BORDER_VIEW.lat
    # A region counts as inside when its polygon's bounding box is, give or take 1°.
    boxes = [geo.paths[r].get_extents() for r in regions if r in geo.paths]
    inside = all(
        b.x0 >= lo0 - 1 and b.x1 <= lo1 + 1 and b.y0 >= la0 - 1 and b.y1 <= la1 + 1 for b in boxes
    )
    return BORDER_VIEW if inside else RUSSIA_VIEW


def _names(names) -> pd.Series:
    return _registry()["name_en"] if names is None else pd.Series(names, dtype=object)


def _label_text(rid: str, view: _View, names: pd.Series) -> str:
    from border_readiness.features.regions import BORDER_REGIONS

    name = _short(names.get(rid, rid)).replace(" Oblast", "")
    if view is BORDER_VIEW or rid in BORDER_REGIONS or _polygons().area.get(rid, 0.0) > 40.0:
        return name
    return rid.removeprefix("RU-")  # small subjects of the all-Russia view: the ISO code


def _draw_base(ax, view: _View, fills: Mapping, marked: Iterable, texts: Mapping) -> None:
    """Kazakhstan, the Russian subjects (``fills`` coloured, others pale), border, labels."""
    import matplotlib.patheffects as pe
    from matplotlib.patches import PathPatch

    geo = _polygons()
    marked = set(marked)
    # add_artist, not add_patch: the limits are set below, and updating them from every
    # Bézier segment of 100 polygons was 80 % of a map's drawing time.
    halo = [pe.withStroke(linewidth=2.2, foreground="white")]
    for rid, path in geo.paths.items():
        if geo.layer[rid] == "KZ":
            ax.add_artist(PathPatch(path, facecolor=KZ_FILL, edgecolor="white", linewidth=0.6))
        elif rid in fills:
            ax.add_artist(
                PathPatch(
                    path,
                    facecolor=fills[rid],
                    edgecolor="black" if rid in marked else "#404040",
                    linewidth=1.8 if rid in marked else 0.6,
                    hatch=HATCH if rid in marked else None,
                    gid=f"region:{rid}",
                    zorder=2 + (rid in marked),
                )
            )
        else:
            ax.add_artist(PathPatch(path, facecolor=OTHER_FILL, edgecolor="#b8b8b8", linewidth=0.4))
    for line in geo.border:
        ax.plot(line[:, 0], line[:, 1], color=BORDER_COLOUR, linewidth=1.6, zorder=4)
    kz_names = _registry()["name_en"]
    if view is BORDER_VIEW:
        for rid in geo.paths:
            if geo.layer[rid] == "KZ" and geo.area[rid] > 3.0:  # the three cities are too small
                lon, lat = geo.label[rid]
                ax.text(
                    lon,
                    lat,
                    kz_names.get(rid, rid).replace(" Region", ""),
                    fontsize=6.5,
                    color="#555555",
                    style="italic",
                    ha="center",
                    va="center",
                    zorder=5,
                )
    else:
        ax.text(
            67.5,
            48.0,
            "Kazakhstan",
            fontsize=8,
            color="#555555",
            style="italic",
            ha="center",
            va="center",
            zorder=5,
        )
    small = 7.0 if view is BORDER_VIEW else 5.5
    for rid, text in texts.items():
        if rid in geo.label:
            lon, lat = geo.label[rid]
            if view is BORDER_VIEW and rid in _LABEL_AT:
                x, y = _LABEL_AT[rid]
                ax.plot([lon, x], [lat, y], color="#333333", linewidth=0.5, zorder=5)
                lon, lat = x, y
            ax.text(
                lon,
                lat,
                text,
                fontsize=small,
                ha="center",
                va="center",
                zorder=6,
                path_effects=halo,
                linespacing=1.1,
            )
    ax.set_xlim(*view.lon)
    ax.set_ylim(*view.lat)
    ax.set_aspect(1.0 / math.cos(math.radians(view.lat0)))
    ax.set_xlabel("longitude, ° E", fontsize=7)
    ax.set_ylabel("latitude, ° N", fontsize=7)
    ax.tick_params(labelsize=6)
    _scale_bar(ax, view)


def _scale_bar(ax, view: _View) -> None:
    dlon = view.scale_km / (KM_PER_DEGREE * math.cos(math.radians(view.lat0)))
    x0 = view.lon[0] + 0.03 * (view.lon[1] - view.lon[0])
    y0 = view.lat[0] + 0.04 * (view.lat[1] - view.lat[0])
    ax.plot([x0, x0 + dlon], [y0, y0], color="black", linewidth=2.5, solid_capstyle="butt")
    ax.text(
        x0 + dlon / 2,
        y0 + 0.012 * (view.lat[1] - view.lat[0]),
        f"{view.scale_km} km at {view.lat0:.0f}° N",
        fontsize=6,
        ha="center",
        va="bottom",
    )


def _scale_note(view: _View) -> str:
    km = KM_PER_DEGREE * math.cos(math.radians(view.lat0))
    return (
        f"Equirectangular projection at {view.lat0:.0f}° N: 1° lon ≈ {km:.0f} km, 1° lat ≈ "
        f"{KM_PER_DEGREE:.0f} km (the scale bar holds at {view.lat0:.0f}° N only)"
    )


def _key_handles(with_other: bool = True) -> list:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [
        Patch(facecolor=KZ_FILL, edgecolor="white", label="Kazakhstan (current units)"),
        Line2D([], [], color=BORDER_COLOUR, linewidth=1.6, label="Russia–Kazakhstan border"),
    ]
    if with_other:
        handles.append(
            Patch(
                facecolor=OTHER_FILL,
                edgecolor="#b8b8b8",
                label="other Russian subjects (not in this result)",
            )
        )
    return handles


def _footer(fig, what: str, year, view: _View, drawn: Iterable[str], names: pd.Series) -> None:
    geo = _polygons()
    missing = [_short(names.get(r, r)) for r in drawn if r not in geo.paths]
    parts = [what.rstrip(".") + "."]
    if year is not None:
        parts.append(f"Data year {year}.")
    if missing:
        parts.append(f"No polygon (not in the 2013 layer): {', '.join(missing)}.")
    parts.append("Names without 'Oblast'.")
    if view is RUSSIA_VIEW:
        parts.append("Small subjects carry their ISO 3166-2 code (without 'RU-').")
    parts += [geo.meta["caption"] + ".", _scale_note(view) + "."]
    # Wrapped here rather than by matplotlib (whose wrap=True overprints lines at the figure's
    # edge): about 0.56 em per character at 6.5 pt.
    width = int(fig.get_figwidth() * 72 / (6.5 * 0.56))
    fig.text(
        0.01,
        0.005,
        textwrap.fill(" ".join(parts), width),
        fontsize=6.5,
        ha="left",
        va="bottom",
        color="#333333",
        gid="caption",
    )


def _figure(view: _View, nrows: int = 1, ncols: int = 1):
    # Off pyplot, on an Agg canvas, as the other report figures are built: no global backend
    # switch (a user's notebook keeps its own), nothing left open in pyplot's registry.
    from border_readiness.experiments._plots_explain import _figure as agg_figure

    width = (12.0 if view is BORDER_VIEW else 13.5) * (1.25 if ncols > 1 else 1.0)
    left, right = 0.05, (0.72 if ncols == 1 else 0.95)
    top_in, bottom_in = 1.15 if nrows > 1 else 0.5, 0.9
    # Panels as high as the view's aspect makes them, so no blank band between the rows.
    ratio = (view.lat[1] - view.lat[0]) / (view.lon[1] - view.lon[0])
    ratio /= math.cos(math.radians(view.lat0))
    panel_w = width * (right - left) / ncols * (0.88 if ncols > 1 else 1.0)
    height = nrows * panel_w * ratio * 1.12 + top_in + bottom_in
    fig = agg_figure(width, height)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    fig.subplots_adjust(
        left=left,
        right=right,
        top=1 - top_in / height,
        bottom=bottom_in / height,
        wspace=0.18,
        hspace=0.22,
    )
    return fig, axes.ravel()
