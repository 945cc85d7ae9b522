"""Figures for the reports (matplotlib, imported lazily, drawn off-screen)."""

from __future__ import annotations

import pandas as pd

__all__ = ["consensus_figure", "figure_png", "rank_interval_figure"]


def figure_png(fig, *, dpi: int = 120) -> bytes:
    r"""PNG bytes of a matplotlib figure, reproducible between runs; the figure is closed.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    dpi : int, default 120

    Returns
    -------
    bytes
        No software or date metadata, so the same figure gives the same bytes.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> pngs = []
    >>> for _ in range(2):
    ...     fig, ax = plt.subplots(figsize=(1, 1))
    ...     pngs.append(figure_png(fig))
    >>> pngs[0][:4], pngs[0] == pngs[1], plt.get_fignums()
    (b'\x89PNG', True, [])
    """
    import io

    import matplotlib.pyplot as plt
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    buf = io.BytesIO()
    # Figure.tight_layout leaves a placeholder layout engine behind, and savefig draws every
    # figure that has an engine once more, with drawing disabled, only to lay it out: that
    # invisible draw was 40 % of the figures' cost. The saved pixels are the same without it.
    if isinstance(fig.get_layout_engine(), PlaceHolderLayoutEngine):
        fig.set_layout_engine(None)
    # Every figure lays itself out (constrained or tight layout), so the figure is saved as
    # drawn: cropping with bbox_inches="tight" would draw it a second time.
    # zlib level 1: a fifth of level 6's encoding time for files about 5 % larger (the maps
    # and SHAP plots are flat colours, which compress well at any level).
    fig.savefig(
        buf, format="png", dpi=dpi, metadata={"Software": None}, pil_kwargs={"compress_level": 1}
    )
    # Figures made with pyplot stay registered until closed; a long run would pile them up.
    plt.close(fig)
    return buf.getvalue()


LEVEL_TITLES = {
    "transport_communication": "Transport communication",
    "joint_projects": "Joint projects",
    "social_services": "Social services",
    "overall": "Overall",
}


def _config_text(config) -> str:
    """The score's configuration in words, for a figure's title."""
    if config is None:
        return ""
    return (
        f"normalisation {config.normalisation}, weighting {config.weighting}, "
        f"aggregation {config.aggregation}"
    )


def rank_interval_figure(
    scores: pd.DataFrame,
    uncertainty: pd.DataFrame,
    names: pd.Series,
    year: int,
    n_replicates: int,
    *,
    config=None,
):
    """Rank of each region per level (dot) with its Monte Carlo 5–95 % interval (bar).

    Parameters
    ----------
    scores, uncertainty : DataFrame
        The score report's ``scores`` and ``uncertainty`` tables.
    names : Series
        English name per region id (:func:`~border_readiness.features.regions.region_table`).
    year : int
        The data year.
    n_replicates : int
        Monte Carlo replicates behind the intervals.
    config : ScoreConfig, optional
        The nominal configuration (normalisation, weighting, aggregation), named in the title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = rank_interval_figure(  # doctest: +SKIP
    ...     report.scores, report.uncertainty, names, 2021, 10000, config=report.config)
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    levels = list(LEVEL_TITLES)
    n = scores["region_id"].nunique()
    fig, axes = plt.subplots(2, 2, figsize=(12, 2 * (0.3 * n + 1.2) + 0.4))
    axes = axes.ravel()
    for ax, level in zip(axes, levels, strict=True):
        s = scores[scores.level == level].set_index("region_id")
        u = uncertainty[uncertainty.level == level].set_index("region_id")
        order = s.sort_values("rank").index
        y = range(len(order))
        ax.hlines(
            list(y),
            u.loc[order, "rank_p05"],
            u.loc[order, "rank_p95"],
            color="#8fb3d9",
            linewidth=6,
            label="5–95 % of replicates",
        )
        ax.plot(
            u.loc[order, "rank_median"],
            list(y),
            "|",
            color="#1f4e79",
            markersize=14,
            label="median of replicates",
        )
        ax.plot(s.loc[order, "rank"], list(y), "o", color="#c0392b", label="nominal rank")
        ax.set_yticks(list(y))
        ax.set_yticklabels(
            [f"{str(names.get(r, r)).split(' (')[0]} ({r})" for r in order], fontsize=8
        )
        ax.invert_yaxis()
        ax.set_xlim(0.5, n + 0.5)
        ax.set_xticks(range(1, n + 1, max(1, n // 12)))
        ax.set_xlabel(f"rank among the {n} regions (1 = most ready)")
        ax.set_ylabel("region (by nominal rank)", fontsize=8)
        ax.set_title(f"{LEVEL_TITLES[level]} score: rank", fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(
        handles,
        labels,
        loc="lower center",
        ncol=3,
        fontsize=8,
        frameon=False,
        title=f"rank of the region ({n_replicates} Monte Carlo replicates)",
        title_fontsize=8,
    )
    config_text = _config_text(config)
    fig.suptitle(
        f"Readiness ranks of the {n} regions, data year {year}"
        + (f" ({config_text})" if config_text else "")
        + f"\nwith Monte Carlo intervals over normalisation, weighting, aggregation and "
        f"indicator drop-out ({n_replicates} replicates)",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0.05, 1, 0.97))
    return fig


def consensus_figure(
    consensus,
    k: int,
    labels: pd.Series,
    names: pd.Series,
    *,
    method: str | None = None,
    year: int | None = None,
):
    """Heat map of the consensus matrix for k beside the CDF of consensus values for every k.

    The heat map orders the regions by cluster, with lines between clusters; the CDF covers
    every k tried (ConsensusClusterPlus's two diagnostic plots).

    Parameters
    ----------
    consensus : ConsensusResult
        The consensus clustering (``matrix(k)``, ``cdf``, ``pac``).
    k : int
        The number of clusters drawn in the heat map.
    labels : Series
        Data cluster per region id.
    names : Series
        English name per region id.
    method : str, optional
        The clustering method, named in the title and the legend.
    year : int, optional
        The data year, named in the title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = consensus_figure(run.consensus, 3, run.labels, names,  # doctest: +SKIP
    ...                        method="kmeans", year=2021)
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    M = consensus.matrix(k)
    order = labels.sort_values(kind="mergesort").index
    M = M.loc[order, order]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 5.8))
    im = ax1.imshow(M.to_numpy(), vmin=0, vmax=1, cmap="Blues")
    sorted_labels = labels.loc[order].to_numpy()
    short = [
        f"{str(names.get(r, r)).split(' (')[0]} [{c}]"
        for r, c in zip(order, sorted_labels, strict=True)
    ]
    ax1.set_xticks(range(len(order)))
    ax1.set_xticklabels(short, rotation=90, fontsize=7)
    ax1.set_yticks(range(len(order)))
    ax1.set_yticklabels(short, fontsize=7)
    # Lines between the data clusters: a clean clustering is a block-diagonal matrix.
    for edge in (
        i + 0.5 for i in range(len(order) - 1) if sorted_labels[i] != sorted_labels[i + 1]
    ):
        ax1.axhline(edge, color="#c0392b", linewidth=0.8)
        ax1.axvline(edge, color="#c0392b", linewidth=0.8)
    how = f"{method}, " if method else ""
    ax1.set_xlabel(f"region [data cluster, {how}k = {k}]", fontsize=8)
    ax1.set_ylabel(f"region [data cluster, {how}k = {k}]", fontsize=8)
    ax1.set_title(f"Consensus matrix, k = {k}", fontsize=9)
    bar = fig.colorbar(im, ax=ax1, fraction=0.046)
    bar.set_label("share of subsamples clustering the pair together", fontsize=8)
    for kk, part in consensus.cdf.groupby("k"):
        ax2.plot(part["x"], part["cdf"], label=f"k = {kk} (PAC {consensus.pac[kk]:.2f})")
    ax2.set_xlabel("consensus value (share of subsamples clustering a pair together)")
    ax2.set_ylabel("cumulative share of region pairs")
    ax2.set_title("CDF of consensus values; flat middle = clean clusters (low PAC)", fontsize=9)
    ax2.legend(fontsize=8, title="clusters (PAC)", title_fontsize=8)
    fig.suptitle(
        f"Consensus clustering of the {len(order)} regions ({how}k = {k}"
        + (f", data year {year}" if year is not None else "")
        + ")",
        fontsize=10,
    )
    fig.tight_layout()
    return fig
