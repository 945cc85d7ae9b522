"""Readers of the raw official files into the long layout (one row per region, year, indicator).

Each reader names the file, sheet and row of anything it cannot read.

* :mod:`.rosstat` -- Rosstat's "Regions of Russia" section workbooks;
* :mod:`.rosstat_grp` -- Rosstat's gross regional product (VRP_s1998);
* :mod:`.kazakhstan` -- the Kazakh Bureau of National Statistics and open data (its Open Data
  readers and sheet parser in the private ``_kazakhstan_opendata``, text and footnote helpers in
  ``_kazakhstan_labels``);
* :mod:`.geometry` -- region polygons: shared border lengths, areas, distances (the spherical
  kernels in the private ``_sphere``) and the simplified map polygons (shapely, in the private
  ``_simplify``).

Shared private helpers: ``_cells`` (one published cell to a number), ``_tidy`` (the tidy long
table), ``_errors`` (:class:`SourceFormatError`). Names are imported on first use.
"""

from __future__ import annotations

from border_readiness.features._lazy import lazy_exports

_WHERE = {
    "LONG_COLUMNS": "border_readiness.features.sources.rosstat",
    "RosstatTable": "border_readiness.features.sources.rosstat",
    "list_tables": "border_readiness.features.sources.rosstat",
    "read_rosstat_table": "border_readiness.features.sources.rosstat",
    "read_rosstat_tables": "border_readiness.features.sources.rosstat",
    "read_vrp_s1998": "border_readiness.features.sources.rosstat_grp",
    "read_all_kazakhstan": "border_readiness.features.sources.kazakhstan",
    "read_bns_grp": "border_readiness.features.sources.kazakhstan",
    "read_opendata_kazakhstan": "border_readiness.features.sources.kazakhstan",
    "border_facts": "border_readiness.features.sources.geometry",
    "kz_border_facts": "border_readiness.features.sources.geometry",
    "read_capitals": "border_readiness.features.sources.geometry",
    "read_polygons": "border_readiness.features.sources.geometry",
    "simplified_polygons": "border_readiness.features.sources.geometry",
    "SourceFormatError": "border_readiness.features.sources._errors",
}
__all__ = sorted(_WHERE)
__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
