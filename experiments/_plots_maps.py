"""Maps of the regions: matplotlib on the package's own simplified polygons (no tiles, no GIS).

The polygons are the shipped ``features/data/polygons.geojson`` (built by ``border-readiness
data build`` with :func:`border_readiness.features.sources.geometry.simplified_polygons`);
``_map_layers`` reads it, so nothing in ``features`` does file I/O for the maps. Every map draws the
Kazakh units in grey with their names, the Russia–Kazakhstan border line, the Russian subjects
(the ones drawn from filled, the others pale), region names, a legend with a title, a scale bar
with the projection's scale note, and a footer naming the polygons' source and licence, that
they are approximate, the data year and what is drawn.

Two views: the border (40–90° E, 42.5–61° N, equirectangular at 50° N) when every region drawn
lies in it, else all of Russia (equirectangular at 60° N, names of the border regions and of the
subjects large enough to carry one, the ISO code on the others).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from border_readiness.experiments._map_layers import (
    HATCH,
    _check_ids,
    _draw_base,
    _figure,
    _footer,
    _key_handles,
    _label_text,
    _names,
    _short,
    _view,
    map_polygons,
)

__all__ = [
    "changed_types_map",
    "data_typology_map",
    "expert_typology_map",
    "map_polygons",
    "score_map",
    "typology_map",
]


def _palette(n: int) -> list:
    import matplotlib

    cmap = matplotlib.colormaps["tab10" if n <= 10 else "tab20"]
    return [matplotlib.colors.to_hex(cmap(i)) for i in range(n)]


def typology_map(
    labels,
    *,
    title: str,
    legend_title: str,
    names=None,
    marked: Iterable[str] = (),
    marked_label: str = "",
    year: int | None = None,
    what: str = "",
    notes: Mapping[str, str] | None = None,
    type_notes: Mapping | None = None,
):
    """Map of a typology: one colour per type, ``marked`` regions hatched with a bold outline.

    Parameters
    ----------
    labels : pandas.Series or mapping
        Region id -> type (a data cluster, an expert type); the regions filled.
    title : str
        The figure's title (which typology, which configuration).
    legend_title : str
        The legend's title (e.g. "cluster (k-means, k = 3)").
    names : pandas.Series or mapping, optional
        Region id -> name; default the registry's English names.
    marked : iterable of str, default ()
        Regions drawn hatched with a bold outline (e.g. where data and expert disagree).
    marked_label : str, default ""
        The legend entry of the marked regions.
    year : int, optional
        The data year, for the footer.
    what : str, default ""
        What is drawn, for the footer (default: the title).
    notes : mapping of str to str, optional
        A second text line under the name of some regions (e.g. their data cluster).
    type_notes : mapping, optional
        Type -> words added to its legend entry (e.g. the cluster's stability verdict).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    UserInputError
        A region id of ``labels`` or ``marked`` is not a Russian subject of the registry, or a
        marked region has no type (a :class:`ValueError`).

    Examples
    --------
    >>> import pandas as pd
    >>> fig = typology_map(pd.Series({"RU-OMS": "A", "RU-ORE": "B"}), title="Two types",
    ...                    legend_title="type", marked=["RU-ORE"], marked_label="disputed")
    >>> fig.axes[0].get_legend().get_title().get_text()
    'type'
    """
    from matplotlib.patches import Patch

    labels = pd.Series(labels, dtype=object)
    ids = _check_ids(labels.index, "typology_map")
    labels.index = ids
    marked = _check_ids(marked, "typology_map: marked")
    if set(marked) - set(ids):
        from border_readiness.errors import UserInputError

        raise UserInputError(
            f"typology_map: marked region(s) {', '.join(sorted(set(marked) - set(ids)))} "
            "have no type"
        )
    names = _names(names)
    types = sorted(labels.unique(), key=lambda t: (str(type(t)), t))
    colour = dict(zip(types, _palette(len(types)), strict=True))
    view = _view(ids)
    fig, (ax,) = _figure(view)
    notes = dict(notes or {})
    texts = {r: _label_text(r, view, names) + (f"\n{notes[r]}" if r in notes else "") for r in ids}
    _draw_base(ax, view, {r: colour[labels[r]] for r in ids}, marked, texts)
    counts = labels.value_counts()
    type_notes = dict(type_notes or {})
    handles = [
        Patch(
            facecolor=colour[t],
            edgecolor="#404040",
            label=f"{t} ({counts[t]})" + (f": {type_notes[t]}" if t in type_notes else ""),
        )
        for t in types
    ]
    if marked:
        handles.append(
            Patch(
                facecolor="white",
                edgecolor="black",
                linewidth=1.8,
                hatch=HATCH,
                label=marked_label or "marked",
            )
        )
    ax.legend(
        handles=handles + _key_handles(),
        title=legend_title,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=7,
        title_fontsize=8,
        frameon=False,
    )
    ax.set_title(title, fontsize=10)
    _footer(fig, what or title, year, view, ids, names)
    return fig


def _rank(x: float) -> str:
    # Ranks are integers or halves (ties): 3, 3.5; anything else to one decimal.
    return f"{x:.0f}" if float(x).is_integer() else (f"{x:.1f}")


def score_map(
    scores: pd.DataFrame,
    uncertainty: pd.DataFrame,
    *,
    year: int,
    names=None,
    regions: Iterable[str] | None = None,
):
    """Maps of the overall and the three level scores, each region's score and rank interval on it.

    Parameters
    ----------
    scores : DataFrame
        ``region_id, level, score, rank`` (the score step's ``scores.csv``).
    uncertainty : DataFrame
        ``region_id, level, rank_p05, rank_p95`` (the Monte Carlo's ``uncertainty.csv``).
    year : int
        The data year.
    names : pandas.Series or mapping, optional
        Region id -> name; default the registry's English names.
    regions : iterable of str, optional
        The regions to draw; default every region of ``scores``.

    Returns
    -------
    matplotlib.figure.Figure
        Four panels (overall, transport communication, joint projects, social services), the
        fill a sequential colour scale of the score (colour bar per panel), the text
        ``score · #rank (p05–p95)``.

    Raises
    ------
    UserInputError
        An unknown region id (a :class:`ValueError`).

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"region_id": ["RU-OMS", "RU-ORE"] * 4, "level": sorted(
    ...     ["overall", "transport_communication", "joint_projects", "social_services"] * 2),
    ...     "score": [60.0, 40.0] * 4, "rank": [1.0, 2.0] * 4})
    >>> u = s.assign(rank_p05=1.0, rank_p95=2.0)
    >>> len(score_map(s, u, year=2021).axes) >= 4
    True
    """
    import matplotlib
    from matplotlib.lines import Line2D

    from border_readiness.experiments._plots import LEVEL_TITLES

    ids = _check_ids(scores["region_id"].unique() if regions is None else regions, "score_map")
    names = _names(names)
    view = _view(ids)
    fig, axes = _figure(view, 2, 2)
    cmap = matplotlib.colormaps["YlGnBu"]
    # Without a Monte Carlo (an empty table) the text carries the score and rank only.
    keys = ["region_id", "level"]
    u = uncertainty.set_index(keys) if set(keys) <= set(uncertainty.columns) else pd.DataFrame()
    order = ["overall"] + [lv for lv in LEVEL_TITLES if lv != "overall"]
    for ax, level in zip(axes, order, strict=True):
        s = scores[(scores["level"] == level) & scores["region_id"].isin(ids)].set_index(
            "region_id"
        )
        lo, hi = float(s["score"].min()), float(s["score"].max())
        norm = matplotlib.colors.Normalize(lo, hi if hi > lo else lo + 1.0)
        fills = {r: cmap(0.15 + 0.75 * norm(v)) for r, v in s["score"].items()}
        texts = {}
        for r, row in s.iterrows():
            head = _label_text(r, view, names)
            interval = ""
            if (r, level) in u.index:
                iu = u.loc[(r, level)]
                interval = f" ({_rank(iu['rank_p05'])}–{_rank(iu['rank_p95'])})"
            full = head != r.removeprefix("RU-")  # a name, not a small subject's code
            texts[r] = (
                f"{head}\n{row['score']:.1f} · #{_rank(row['rank'])}{interval}" if full else head
            )
        _draw_base(ax, view, fills, (), texts)
        sm = matplotlib.cm.ScalarMappable(norm=matplotlib.colors.Normalize(lo, hi), cmap=cmap)
        bar = fig.colorbar(sm, ax=ax, fraction=0.03, pad=0.01)
        bar.set_label("score (shade scaled to this panel's range)", fontsize=6)
        bar.ax.tick_params(labelsize=6)
        ax.set_title(f"{LEVEL_TITLES[level]} score, {year}", fontsize=9)
    text_key = Line2D([], [], linestyle="none", label="text: score · #rank (5–95 % interval)")
    fig.legend(
        handles=[text_key, *_key_handles()],
        title="Map key",
        loc="upper center",
        bbox_to_anchor=(0.5, 1 - 0.3 / fig.get_figheight()),
        fontsize=7,
        title_fontsize=8,
        frameon=False,
        ncol=4,
    )
    fig.suptitle(
        f"Readiness scores {year}: overall and per level, rank intervals from the "
        "Monte Carlo (1 = most ready)",
        fontsize=10,
        y=0.995,
    )
    what = (
        "Scores of each level and overall (higher = more ready); the rank interval is the "
        "5–95 % range of the region's rank over the Monte Carlo replicates"
    )
    _footer(fig, what, year, view, ids, names)
    return fig


def changed_types_map(before, after, *, title: str, names=None, year: int | None = None):
    """Map of a retrained typology with the regions that changed type hatched.

    A region *changed type* when its new cluster is not the survivor of its old cluster
    (:attr:`~border_readiness.clustering.transitions.TransitionReport.moved_regions`); the
    text under its name says ``old → new``.

    Parameters
    ----------
    before, after : pandas.Series
        Region id -> cluster of the registered and of the new fit.
    title : str
        The figure's title.
    names : pandas.Series or mapping, optional
        Region id -> name; default the registry's English names.
    year : int, optional
        The new fit's data year.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    UserInputError
        An unknown region id (a :class:`ValueError`).

    Examples
    --------
    >>> import pandas as pd
    >>> old = pd.Series({"RU-OMS": 0, "RU-NVS": 0, "RU-ALT": 1, "RU-AL": 1})
    >>> new = pd.Series({"RU-OMS": 0, "RU-NVS": 1, "RU-ALT": 1, "RU-AL": 1})
    >>> fig = changed_types_map(old, new, title="Retrained")
    >>> fig.axes[0].get_legend().get_title().get_text()
    'new cluster'
    """
    from border_readiness.clustering.transitions import cluster_transitions

    before, after = pd.Series(before, dtype=object), pd.Series(after, dtype=object)
    _check_ids(before.index, "changed_types_map: before")
    _check_ids(after.index, "changed_types_map: after")
    report = cluster_transitions(before, after)
    moved = list(report.moved_regions)
    notes = {r: f"{before[r]} → {after[r]}" for r in moved}
    only = sorted(set(report.only_old) | set(report.only_new))
    what = (
        f"{title}: fill = new cluster; hatched = changed type ({len(moved)} of "
        f"{report.n_regions} regions; new cluster is not the survivor of the old one; "
        f"ARI old–new {report.ari:.2f})" + (f"; in one fit only: {', '.join(only)}" if only else "")
    )
    return typology_map(
        after[after.index.isin(before.index)],
        title=title,
        legend_title="new cluster",
        names=names,
        marked=moved,
        marked_label="changed type (old → new)",
        year=year,
        what=what,
        notes=notes,
    )


def data_typology_map(run, year: int):
    """The data typology of a clustering run on the map, each cluster with its stability.

    Parameters
    ----------
    run : ClusterRun
        A clustering (:func:`~border_readiness.experiments.steps.cluster`); its bootstrap
        verdicts go into the legend once its stability is assessed.
    year : int
        The data year.

    Returns
    -------
    matplotlib.figure.Figure
        :func:`typology_map` of ``run.labels``, legend entries ``cluster c (n): <verdict>,
        Jaccard j``.

    Examples
    --------
    >>> fig = data_typology_map(run, 2021)  # doctest: +SKIP
    """
    stab = getattr(run, "stability", None)
    verdict = {}
    if stab is not None:
        for c, v, j in zip(stab.clusters, stab.verdict, stab.jaccard_mean, strict=True):
            verdict[f"cluster {c}"] = f"{v}, Jaccard {float(j):.2f}"
    labels = run.labels.map(lambda c: f"cluster {c}")
    config = f"{run.method}, k = {run.k}"
    return typology_map(
        labels,
        title=f"Data typology {year}: {config}",
        legend_title=f"data cluster ({config})\n(regions): bootstrap stability",
        type_notes=verdict,
        year=year,
        what=f"The regions' data clusters ({config}) with each cluster's bootstrap stability "
        "(Hennig's mean Jaccard)",
    )


def expert_typology_map(result, year: int, method: str, k: int):
    """An expert typology on the map, the regions where data and expert disagree hatched.

    Parameters
    ----------
    result : ValidationRun
        The comparison (:func:`~border_readiness.experiments.interpret.validate`): its
        assignments give each region's expert type and data cluster, its disagreements the
        regions marked.
    year : int
        The data year.
    method : str
        The clustering method compared with.
    k : int
        Its number of clusters.

    Returns
    -------
    matplotlib.figure.Figure
        :func:`typology_map` of the expert types; under each disagreeing region's name, the
        type its data cluster is matched to.

    Examples
    --------
    >>> fig = expert_typology_map(result, 2021, "kmeans", 3)  # doctest: +SKIP
    """
    rep, typology = result.report, result.typology
    assigned = rep.assignments.set_index("region_id")
    dis = rep.disagreements
    notes = {
        r.region_id: f"data: cluster {r.cluster} ({r.data_type if r.data_type else 'no type'})"
        for r in dis.itertuples()
    }
    names = _names(None)
    excluded = [_short(names.get(r, r)) for r in rep.excluded["region_id"]]
    # The package's own profiles are no expert's typology, and the map must not call them one.
    kind = "Own typology (not an expert's)" if typology.is_own else "Expert typology"
    what = (
        f"{kind} '{typology.name}' against the data clusters "
        f"({method}, k = {k}): ARI {rep.ari:.2f}; hatched: the {len(dis)} of {rep.n_regions} "
        "regions whose data cluster is matched to another type (or to none)"
        + (f"; not evaluated: {', '.join(excluded)}" if 0 < len(excluded) <= 6 else "")
        # A long list would push the footer into the map: the count, and where they are listed.
        + (f"; {len(excluded)} regions not evaluated (excluded.csv)" if len(excluded) > 6 else "")
    )
    return typology_map(
        assigned["expert_type"].astype(str),
        title=f"{kind} vs data, {year}: {typology.title}",
        legend_title=f"{'type' if typology.is_own else 'expert type'} ({typology.name})",
        marked=list(dis["region_id"]),
        marked_label="data cluster matched to another type",
        year=year,
        what=what,
        notes=notes,
    )
