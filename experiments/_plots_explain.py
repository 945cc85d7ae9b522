"""Figures for the explanations: SHAP summaries, the 2-D map of regions, disagreement drivers.

Figures are built with matplotlib's object API on an Agg canvas, never through ``pyplot``: no
global backend switch (a user's notebook keeps its own), nothing left open in pyplot's registry,
and the same code works headless. matplotlib itself is imported lazily, inside the functions.
"""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "disagreement_figure",
    "embedding_axis_labels",
    "embedding_figure",
    "shap_summary_figure",
    "surrogate_caption",
    "surrogate_shap_figure",
]

# A fixed jitter seed keeps the dot plots (and so the exported PNGs) identical between runs.
_JITTER_SEED = 0


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # No layout engine: each figure calls tight_layout once when it is complete. With an
    # engine (constrained layout) savefig draws every figure twice, once only to lay it out
    # (a third of a run's figure time, issue 13).
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def _short(name: Any) -> str:
    # Registry names carry variants in brackets ("Omsk Oblast (Omskaya)"); a label needs one.
    return str(name).split(" (")[0]


def shap_summary_figure(
    shap_long: pd.DataFrame,
    target: str,
    title: str | None = None,
    *,
    max_features: int = 15,
    unit: str = "points of the level score, 0-100",
    names: pd.Series | None = None,
    footer: str | None = None,
):
    """Mean |SHAP| per feature (bars) beside each region's SHAP value (dots) for one target.

    Dots are coloured by the feature's value when ``shap_long`` has a ``feature_value`` column
    (blue = low, red = high among the regions shown), as in SHAP's beeswarm. When the table
    carries ``fidelity_loo`` (from
    :meth:`border_readiness.clustering.explain.SurrogateExplanation.to_frame`),
    the fidelity is printed under the title: a surrogate's SHAP values mean nothing without it.

    Parameters
    ----------
    shap_long : DataFrame
        Long SHAP table: ``region_id, target, feature, shap_value`` (+ ``feature_value``).
    target : str
        The level (``'transport_communication'``...) or surrogate target (``'cluster 1'``).
    title : str, optional
        Figure title; defaults to the target.
    max_features : int
        Most important features shown.
    unit : str
        What a SHAP value is measured in, for the axis labels.
    names : Series, optional
        Display name per region id: the region with the largest |SHAP| of each indicator is
        named beside its dot.
    footer : str, optional
        Text under the plots (a caption, the tree's rules), in a monospaced font.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from border_readiness.clustering.explain import additive_shap
    >>> Xn = pd.DataFrame({"a": [0.0, 30, 60], "b": [90.0, 60, 30]}, index=["A", "B", "C"])
    >>> s = additive_shap(Xn, {"a": 1, "b": 2}, {"a": "transport", "b": "transport"})
    >>> fig = shap_summary_figure(s, "transport", "Transport communication")
    >>> len(fig.axes) >= 2
    True
    """
    rows = shap_long[shap_long["target"] == target]
    if rows.empty:
        available = sorted(map(str, shap_long["target"].unique()))
        raise ValueError(f"no SHAP values for target {target!r}; available: {available}")
    importance = (
        rows["shap_value"]
        .abs()
        .groupby(rows["feature"], sort=False)
        .mean()
        .sort_values(ascending=False, kind="stable")
        .head(max_features)
    )
    features = list(importance.index)[::-1]  # most important at the top
    plot_height = 0.4 * len(features) + 1.8
    footer_height = 0.125 * (footer.count("\n") + 1) + 0.15 if footer else 0.0
    fig = _figure(11, plot_height + footer_height)
    bar_ax, dot_ax = fig.subplots(1, 2, sharey=True, width_ratios=[1, 2])
    y = np.arange(len(features))
    bar_ax.barh(y, importance.loc[features].to_numpy(), color="#4c72b0")
    bar_ax.set_yticks(y, [str(f) for f in features], fontsize=8)
    bar_ax.set_xlabel(f"mean |SHAP value| ({unit})", fontsize=8)
    bar_ax.set_ylabel("indicator")

    rng = np.random.default_rng(_JITTER_SEED)
    coloured = "feature_value" in rows.columns
    for pos, feature in enumerate(features):
        sub = rows[rows["feature"] == feature]
        jitter = rng.uniform(-0.25, 0.25, size=len(sub))
        if coloured:
            v = sub["feature_value"].to_numpy(dtype=float)
            span = np.nanmax(v) - np.nanmin(v) if np.isfinite(v).any() else 0.0
            # Scaled per feature: the colour says high or low among the regions, not in units.
            shade = (v - np.nanmin(v)) / span if span > 0 else np.full(v.size, 0.5)
            dots = dot_ax.scatter(
                sub["shap_value"],
                pos + jitter,
                c=shade,
                cmap="coolwarm",
                vmin=0,
                vmax=1,
                s=22,
                edgecolors="none",
            )
        else:
            dot_ax.scatter(sub["shap_value"], pos + jitter, color="#4c72b0", s=22)
        if names is not None and len(sub):
            # Only the region that moves most is named: twelve names per row would overlap.
            top = int(np.argmax(sub["shap_value"].abs().to_numpy()))
            region = sub["region_id"].iloc[top]
            value = float(sub["shap_value"].iloc[top])
            # Towards zero, so that the extreme dot's name stays inside the panel.
            dot_ax.annotate(
                _short(names.get(region, region)),
                (value, pos + jitter[top]),
                xytext=(-4 if value > 0 else 4, 3),
                textcoords="offset points",
                ha="right" if value > 0 else "left",
                fontsize=6,
            )
    dot_ax.axvline(0.0, color="grey", linewidth=0.8)
    dot_ax.set_xlabel(f"SHAP value per region ({unit})", fontsize=8)
    if coloured:
        bar = fig.colorbar(dots, ax=dot_ax, ticks=[0, 1], pad=0.01)
        bar.ax.set_yticklabels(["low", "high"])
        bar.set_label("indicator value (among regions shown)", fontsize=7)

    fig.suptitle(title or str(target))
    if "fidelity_loo" in rows.columns:
        from border_readiness.clustering.explain import MIN_FIDELITY

        fidelity = float(rows["fidelity_loo"].iloc[0])
        caveat = "" if fidelity >= MIN_FIDELITY else " - explains poorly, not reasons"
        dot_ax.set_title(f"surrogate leave-one-out fidelity {fidelity:.2f}{caveat}", fontsize=9)
    if footer:
        share = footer_height / (plot_height + footer_height)
        fig.text(0.01, share - 0.01, footer, va="top", ha="left", fontsize=7, family="monospace")
        fig.tight_layout(rect=(0, share, 1, 1))
    else:
        fig.tight_layout()
    return fig


def _null_numbers(null) -> tuple[float, float, int] | None:
    """(median, p, replicates) of a fidelity null given as FidelityNull or its to_dict()."""
    if null is None:
        return None
    if isinstance(null, dict):
        return float(null["null_median"]), float(null["p_value"]), int(null.get("B_used", 0))
    finite = np.isfinite(np.asarray(null.null, dtype=float))
    return float(null.median), float(null.p_value), int(finite.sum())


def surrogate_caption(used: int, total: int, fidelity: float, null=None) -> str:
    """The surrogate figure's caption: how many indicators are zero, and the fidelity's null.

    Parameters
    ----------
    used, total : int
        Indicators the tree splits on, and all indicators.
    fidelity : float
        Leave-one-out fidelity.
    null : FidelityNull or dict, optional
        The fidelity on structureless replicates (``explain.json``'s ``fidelity_null``).

    Returns
    -------
    str

    Examples
    --------
    >>> print(surrogate_caption(2, 25, 0.5, {"null_median": 0.67, "p_value": 0.82, "B_used": 49}))
    23 of 25 indicators have SHAP 0 for every region (the tree does not split on them; not drawn).
    Leave-one-out fidelity 0.50 against a median of 0.67 on 49 structureless replicates
    (p = 0.82): no better than on data without structure.
    """
    zero = total - used
    text = (
        f"{zero} of {total} indicators have SHAP 0 for every region "
        "(the tree does not split on them; not drawn).\n"
        f"Leave-one-out fidelity {fidelity:.2f}"
    )
    numbers = _null_numbers(null)
    if numbers is None:
        return text + " (no null computed)."
    median, p, b = numbers
    verdict = (
        "better than on data without structure"
        if p <= 0.05
        else "no better than on data without structure"
    )
    return text + (
        f" against a median of {median:.2f} on {b} structureless replicates\n(p = {p:.2f}): "
        f"{verdict}."
    )


def surrogate_shap_figure(
    shap_values: pd.DataFrame,
    target: str,
    fidelity: float,
    *,
    rules: str | None = None,
    null=None,
    method: str | None = None,
    k: int | None = None,
    year: int | None = None,
    names: pd.Series | None = None,
):
    """The surrogate tree's SHAP summary for one cluster, with its rules and what is zero.

    A shallow tree splits on a few indicators; every other one has SHAP 0 for every region.
    Those rows are left out (rows of zeros would hide the ones that count); the caption says
    how many are zero and how the leave-one-out fidelity compares with its null, and the
    tree's rules (thresholds in the indicators' own units, from
    :func:`~border_readiness.experiments._surrogate_rules.surrogate_raw_rules`) are printed
    under the plots.

    Parameters
    ----------
    shap_values : DataFrame
        The surrogate's long SHAP table (``region_id, target, feature, shap_value`` ...).
    target : str
        The cluster (``'cluster 1'``).
    fidelity : float
        The surrogate's leave-one-out fidelity, shown in the title.
    rules : str, optional
        The tree's rules as text.
    null : FidelityNull or dict, optional
        The fidelity's null (``explain.json``'s ``fidelity_null``).
    method, k, year : optional
        The clustering explained and the data year, named in the title.
    names : Series, optional
        Display name per region id.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"region_id": ["A", "B", "A", "B"], "target": "cluster 1",
    ...                   "feature": ["used", "used", "idle", "idle"],
    ...                   "shap_value": [0.4, -0.4, 0.0, 0.0]})
    >>> fig = surrogate_shap_figure(s, "cluster 1", 0.9, method="kmeans", k=2)
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['used']
    """
    rows = shap_values[shap_values["target"] == target]
    moves = (rows["shap_value"] != 0).groupby(rows["feature"], sort=False).any()
    used = int(moves.sum())
    if used and used < moves.size:
        rows = rows[rows["feature"].isin(moves.index[moves])]
    what = ", ".join(
        part
        for part in (
            method,
            f"k = {k}" if k is not None else None,
            f"data year {year}" if year is not None else None,
        )
        if part
    )
    title = f"Why a region is in data {target}" + (f" ({what})" if what else "")
    title += (
        f": surrogate tree, LOO fidelity {fidelity:.2f}, uses {used} of {moves.size} indicators"
    )
    footer = surrogate_caption(used, int(moves.size), fidelity, null)
    if rules:
        footer += "\n\nThe tree's rules (thresholds in the indicators' own units):\n" + rules
    return shap_summary_figure(
        rows,
        target,
        title,
        unit=f"probability of {target}",
        names=names,
        footer=footer,
    )


def _categorical_scatter(
    ax,
    coords: pd.DataFrame,
    labels: pd.Series,
    names: pd.Series | None,
    heading: str,
    legend_title: str,
    axis_labels: tuple[str, str],
) -> None:
    import matplotlib

    palette = matplotlib.colormaps["tab10"]
    labels = labels.reindex(coords.index)
    categories = list(pd.unique(labels.dropna()))
    for c, category in enumerate(categories):
        members = coords[(labels == category).to_numpy()]
        ax.scatter(
            members["x"],
            members["y"],
            color=palette(c % 10),
            s=45,
            label=str(category),
            edgecolors="white",
            linewidths=0.5,
        )
    unlabelled = coords[labels.isna().to_numpy()]
    if not unlabelled.empty:
        ax.scatter(unlabelled["x"], unlabelled["y"], color="lightgrey", s=45, label="(none)")
    for region, (x, y) in coords[["x", "y"]].iterrows():
        name = names.get(region, region) if names is not None else region
        ax.annotate(_short(name), (x, y), xytext=(4, 3), textcoords="offset points", fontsize=7)
    ax.set_title(heading, fontsize=10)
    # The axes' units are arbitrary (a PCA score, a UMAP coordinate): no tick values.
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel(axis_labels[0])
    ax.set_ylabel(axis_labels[1])
    # Beside the panel, not at the "best" place inside it: no overlap with the points, and
    # no search over the positions of every annotation (a third of the map's drawing time).
    ax.legend(
        fontsize=7,
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        frameon=False,
        title=legend_title,
        title_fontsize=7,
        alignment="left",
    )


def embedding_axis_labels(method: str | None, coords=None, matrix=None) -> tuple[str, str]:
    """Axis labels of the 2-D map: ``PC1 (x % of variance)`` for PCA, ``UMAP 1`` for UMAP.

    Parameters
    ----------
    method : str or None
        ``'pca'``, ``'umap'`` or None (plain coordinates).
    coords : DataFrame, optional
        The coordinates ``x, y`` (PCA scores, centred).
    matrix : DataFrame, optional
        The matrix that was embedded; with PCA, each axis's share of its total variance is
        the variance of the scores on that axis over it.

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"a": [0.0, 2, 4], "b": [0.0, 0, 0]})
    >>> coords = pd.DataFrame({"x": [-2.0, 0, 2], "y": [0.0, 0, 0]})
    >>> embedding_axis_labels("pca", coords, X)
    ('PC1 (100 % of variance)', 'PC2 (0 % of variance)')
    >>> embedding_axis_labels("umap")
    ('UMAP 1', 'UMAP 2')
    """
    if method == "umap":
        return ("UMAP 1", "UMAP 2")
    if method != "pca":
        return ("x", "y")
    if coords is None or matrix is None:
        return ("PC1", "PC2")
    total = float(np.nansum(np.var(np.asarray(matrix, dtype=float), axis=0, ddof=1)))
    if not total > 0:
        return ("PC1", "PC2")
    shares = [float(np.var(coords[c].to_numpy(dtype=float), ddof=1)) / total for c in "xy"]
    return (
        f"PC1 ({shares[0] * 100:.0f} % of variance)",
        f"PC2 ({shares[1] * 100:.0f} % of variance)",
    )


def embedding_figure(
    coords: Any,
    clusters: pd.Series,
    expert_types: pd.Series | None = None,
    names: pd.Series | None = None,
    *,
    title: str | None = None,
    cluster_title: str = "data cluster",
    expert_title: str = "expert type",
    matrix: pd.DataFrame | None = None,
):
    """The 2-D map of regions, coloured by cluster and (beside it) by expert type.

    Parameters
    ----------
    coords : DataFrame or Embedding2D
        Coordinates ``x, y`` indexed by region, or the result of
        :func:`border_readiness.clustering.embedding.embed_2d` (its method and notes then go under
        the title, and name the axes).
    clusters : Series
        Cluster per region.
    expert_types : Series, optional
        Expert type per region; without it only the cluster panel is drawn.
    names : Series, optional
        Display name per region; region ids are shown otherwise.
    title : str, optional
        Figure title (the configuration, e.g. ``'kmeans, k = 3, data year 2021'``).
    cluster_title : str
        Legend title of the cluster panel (e.g. ``'data cluster (kmeans, k = 3)'``).
    expert_title : str
        The typology's title: the second panel's heading and legend title.
    matrix : DataFrame, optional
        The matrix that was embedded, for each PCA axis's share of the variance.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> coords = pd.DataFrame({"x": [0.0, 1, 2], "y": [0.0, 1, 0]}, index=["A", "B", "C"])
    >>> fig = embedding_figure(coords, pd.Series([0, 0, 1], index=coords.index),
    ...                        pd.Series(["west", "east", "east"], index=coords.index),
    ...                        expert_title="Compass points")
    >>> len(fig.axes), fig.axes[1].get_legend().get_title().get_text()
    (2, 'Compass points')
    """
    frame = getattr(coords, "coordinates", coords)
    if not isinstance(frame, pd.DataFrame) or not {"x", "y"} <= set(frame.columns):
        raise ValueError("coords must be a DataFrame with columns x and y (or an Embedding2D)")
    clusters = pd.Series(clusters)
    # "0 / 1 / 2" alone does not say what it numbers.
    cluster_names = clusters.map(lambda c: f"cluster {c}" if not isinstance(c, str) else c)
    # A typology's title can be a sentence: wrapped, it leaves the panel its width.
    panels = [(cluster_names, f"by {cluster_title}", textwrap.fill(cluster_title, 30))]
    if expert_types is not None:
        panels.append(
            (
                pd.Series(expert_types),
                textwrap.fill(f"by expert typology: {expert_title}", 60),
                textwrap.fill(expert_title, 30),
            )
        )
    fig = _figure(6.8 * len(panels), 6.3)
    axes = np.atleast_1d(fig.subplots(1, len(panels)))
    method = getattr(coords, "method", None)
    axis_labels = embedding_axis_labels(method, frame, matrix)
    for ax, (labels, heading, legend_title) in zip(axes, panels, strict=True):
        _categorical_scatter(ax, frame, labels, names, heading, legend_title, axis_labels)
    notes = getattr(coords, "notes", ())
    projection = f"2-D map of the {len(frame)} regions" + (f" ({method.upper()})" if method else "")
    fig.suptitle(f"{projection}: {title}" if title else projection)
    if notes:
        fig.supxlabel("; ".join(notes), fontsize=8)
    fig.tight_layout()
    return fig


def disagreement_figure(
    drivers: pd.DataFrame,
    region: str,
    *,
    top: int = 10,
    names: pd.Series | None = None,
    typology: str | None = None,
):
    """Features pulling one region towards the data's type (right) or the expert's (left).

    Parameters
    ----------
    drivers : DataFrame
        Output of :func:`border_readiness.clustering.explain.disagreement_drivers`.
    region : str
        The region to draw.
    top : int
        Most important features (by ``|net|``) shown.
    names : Series, optional
        Display name per region id, for the title.
    typology : str, optional
        The expert typology's title, named in the title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from border_readiness.clustering.explain import disagreement_drivers
    >>> X = pd.DataFrame({"roads": [0.0, 1, 9, 10, 8], "clinics": [5.0, 4, 5, 4, 6]},
    ...                  index=["A", "B", "C", "D", "E"])
    >>> expert = pd.Series(["low", "low", "high", "high", "low"], index=X.index)
    >>> data = pd.Series(["low", "low", "high", "high", "high"], index=X.index)
    >>> fig = disagreement_figure(disagreement_drivers(X, data, expert), "E")
    >>> fig.axes[0].get_title()
    'E: data says high, expert says low'
    """
    rows = drivers[drivers["region_id"] == region]
    if rows.empty:
        raise ValueError(f"no disagreement drivers for region {region!r}")
    rows = rows.loc[rows["net"].abs().sort_values(ascending=False, kind="stable").index].head(top)
    rows = rows.iloc[::-1]  # largest at the top
    fig = _figure(8, 0.4 * len(rows) + 1.6)
    ax = fig.subplots()
    y = np.arange(len(rows))
    net = rows["net"].to_numpy(dtype=float)
    ax.barh(y, net, color=np.where(net >= 0, "#2e7d32", "#c62828"))
    ax.set_yticks(y, [str(f) for f in rows["feature"]], fontsize=8)
    ax.axvline(0.0, color="grey", linewidth=0.8)
    ax.set_xlabel("net pull towards the data's type (difference of squared z-distances)")
    ax.set_ylabel("indicator")
    first = rows.iloc[0]
    who = f"{_short(names.get(region, region))} ({region})" if names is not None else region
    expert = f"expert ({typology})" if typology else "expert"
    ax.set_title(
        f"{who}: data says {first['data_type']}, {expert} says {first['expert_type']}",
        fontsize=10,
    )
    fig.tight_layout()
    return fig
