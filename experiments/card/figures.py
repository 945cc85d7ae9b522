"""PNG bytes of a figure, for the card."""

from __future__ import annotations

from typing import Any

__all__ = ["figure_png"]


def figure_png(fig: Any, dpi: int = 120) -> bytes:
    """PNG bytes of a matplotlib figure, reproducible between runs (no software/date metadata).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots(figsize=(1, 1))
    >>> png = figure_png(fig)
    >>> plt.close(fig)
    >>> png[:4], png == figure_png(fig)
    (b'\\x89PNG', True)
    """
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()
