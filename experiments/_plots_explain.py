"""Figures for the explanations: SHAP summaries, the 2-D map of regions, disagreement drivers.

Figures are built with matplotlib's object API on an Agg canvas, never through ``pyplot``: no
global backend switch (a user's notebook keeps its own), nothing left open in pyplot's registry,
and the same code works headless. matplotlib itself is imported lazily, inside the functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "disagreement_figure",
    "embedding_figure",
    "shap_summary_figure",
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
    shap_long: pd.DataFrame, target: str, title: str | None = None, *, max_features: int = 15
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
    fig = _figure(11, 0.4 * len(features) + 1.8)
    bar_ax, dot_ax = fig.subplots(1, 2, sharey=True, width_ratios=[1, 2])
    y = np.arange(len(features))
    bar_ax.barh(y, importance.loc[features].to_numpy(), color="#4c72b0")
    bar_ax.set_yticks(y, [str(f) for f in features], fontsize=8)
    bar_ax.set_xlabel("mean |SHAP value|")

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
    dot_ax.axvline(0.0, color="grey", linewidth=0.8)
    dot_ax.set_xlabel("SHAP value (per region)")
    if coloured:
        bar = fig.colorbar(dots, ax=dot_ax, ticks=[0, 1], pad=0.01)
        bar.ax.set_yticklabels(["low", "high"])
        bar.set_label("feature value")

    fig.suptitle(title or str(target))
    if "fidelity_loo" in rows.columns:
        from border_readiness.clustering.explain import MIN_FIDELITY

        fidelity = float(rows["fidelity_loo"].iloc[0])
        caveat = "" if fidelity >= MIN_FIDELITY else " - explains poorly, not reasons"
        dot_ax.set_title(f"surrogate leave-one-out fidelity {fidelity:.2f}{caveat}", fontsize=9)
    fig.tight_layout()
    return fig


def surrogate_shap_figure(shap_values: pd.DataFrame, target: str, fidelity: float):
    """The surrogate tree's SHAP summary for one cluster, drawn for the indicators it splits on.

    A shallow tree splits on a few indicators; every other one has SHAP 0 for every region.
    Those rows are left out (rows of zeros would hide the ones that count) and the title says
    how many of the indicators the tree uses.

    Parameters
    ----------
    shap_values : DataFrame
        The surrogate's long SHAP table (``region_id, target, feature, shap_value`` ...).
    target : str
        The cluster (``'cluster 1'``).
    fidelity : float
        The surrogate's leave-one-out fidelity, shown in the title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"region_id": ["A", "B", "A", "B"], "target": "cluster 1",
    ...                   "feature": ["used", "used", "idle", "idle"],
    ...                   "shap_value": [0.4, -0.4, 0.0, 0.0]})
    >>> fig = surrogate_shap_figure(s, "cluster 1", 0.9)
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['used']
    """
    rows = shap_values[shap_values["target"] == target]
    moves = (rows["shap_value"] != 0).groupby(rows["feature"], sort=False).any()
    used = int(moves.sum())
    title = f"Surrogate of {target} (LOO fidelity {fidelity:.2f}): the tree uses {used} of "
    title += f"{moves.size} indicators"
    if used and used < moves.size:
        rows = rows[rows["feature"].isin(moves.index[moves])]
        title += f";\nthe other {moves.size - used} have SHAP 0 for every region and are not drawn"
    return shap_summary_figure(rows, target, title)


def _categorical_scatter(
    ax, coords: pd.DataFrame, labels: pd.Series, names: pd.Series | None, heading: str
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
    ax.set_title(heading)
    ax.set_xticks([])
    ax.set_yticks([])
    # Beside the panel, not at the "best" place inside it: no overlap with the points, and
    # no search over the positions of every annotation (a third of the map's drawing time).
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)


def embedding_figure(
    coords: Any,
    clusters: pd.Series,
    expert_types: pd.Series | None = None,
    names: pd.Series | None = None,
    *,
    title: str | None = None,
):
    """The 2-D map of regions, coloured by cluster and (beside it) by expert type.

    Parameters
    ----------
    coords : DataFrame or Embedding2D
        Coordinates ``x, y`` indexed by region, or the result of
        :func:`border_readiness.clustering.embedding.embed_2d` (its method and notes then go under
        the title).
    clusters : Series
        Cluster per region.
    expert_types : Series, optional
        Expert type per region; without it only the cluster panel is drawn.
    names : Series, optional
        Display name per region; region ids are shown otherwise.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> coords = pd.DataFrame({"x": [0.0, 1, 2], "y": [0.0, 1, 0]}, index=["A", "B", "C"])
    >>> fig = embedding_figure(coords, pd.Series([0, 0, 1], index=coords.index),
    ...                        pd.Series(["west", "east", "east"], index=coords.index))
    >>> len(fig.axes)
    2
    """
    frame = getattr(coords, "coordinates", coords)
    if not isinstance(frame, pd.DataFrame) or not {"x", "y"} <= set(frame.columns):
        raise ValueError("coords must be a DataFrame with columns x and y (or an Embedding2D)")
    panels = [(clusters, "by cluster")]
    if expert_types is not None:
        panels.append((expert_types, "by expert type"))
    fig = _figure(6.5 * len(panels), 6)
    axes = np.atleast_1d(fig.subplots(1, len(panels)))
    for ax, (labels, heading) in zip(axes, panels, strict=True):
        _categorical_scatter(ax, frame, pd.Series(labels), names, heading)
    method = getattr(coords, "method", None)
    notes = getattr(coords, "notes", ())
    fig.suptitle(title or (f"Regions on a 2-D map ({method.upper()})" if method else "Regions"))
    if notes:
        fig.supxlabel("; ".join(notes), fontsize=8)
    fig.tight_layout()
    return fig


def disagreement_figure(drivers: pd.DataFrame, region: str, *, top: int = 10):
    """Features pulling one region towards the data's type (right) or the expert's (left).

    Parameters
    ----------
    drivers : DataFrame
        Output of :func:`border_readiness.clustering.explain.disagreement_drivers`.
    region : str
        The region to draw.
    top : int
        Most important features (by ``|net|``) shown.

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
    first = rows.iloc[0]
    ax.set_title(f"{region}: data says {first['data_type']}, expert says {first['expert_type']}")
    fig.tight_layout()
    return fig
