"""Figures are drawn once when saved, and the PNG is what matplotlib's own savefig writes."""

from __future__ import annotations

import io

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from border_readiness.experiments._plots import figure_png  # noqa: E402


def _laid_out_figure():
    fig, axes = plt.subplots(1, 2, figsize=(4, 2))
    axes[0].plot([0, 1, 2], [2, 0, 1], label="a line")
    axes[1].bar(["x", "y"], [3, 1])
    axes[0].legend(title="legend")
    fig.suptitle("title")
    fig.tight_layout()
    return fig


def test_a_tight_laid_out_figure_is_drawn_once(monkeypatch):
    draws = []
    original = Figure.draw

    def counting(self, renderer):
        draws.append(renderer)
        return original(self, renderer)

    monkeypatch.setattr(Figure, "draw", counting)
    figure_png(_laid_out_figure())
    assert len(draws) == 1


def test_the_png_is_matplotlibs_own(monkeypatch):
    reference, default = io.BytesIO(), io.BytesIO()
    fig = _laid_out_figure()
    fig.savefig(
        reference, format="png", dpi=120, metadata={"Software": None},
        pil_kwargs={"compress_level": 1},
    )  # fmt: skip
    fig.savefig(default, format="png", dpi=120, metadata={"Software": None})
    plt.close(fig)
    ours = figure_png(_laid_out_figure())
    assert ours == reference.getvalue()
    # The faster zlib level changes the bytes, not one pixel of matplotlib's default output.
    np.testing.assert_array_equal(
        plt.imread(io.BytesIO(ours)), plt.imread(io.BytesIO(default.getvalue()))
    )
    assert plt.get_fignums() == []
