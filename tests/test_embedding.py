"""The 2-D map of regions: UMAP with capped neighbourhoods, PCA fallbacks, determinism."""

from __future__ import annotations

import io
import json
import sys

import numpy as np
import pandas as pd
import pytest

from border_readiness.clustering.embedding import Embedding2D, embed_2d

REGIONS12 = [
    "RU-AST", "RU-VGG", "RU-SAR", "RU-SAM", "RU-ORE", "RU-CHE",
    "RU-KGN", "RU-TYU", "RU-OMS", "RU-NVS", "RU-ALT", "RU-AL",
]  # fmt: skip


def _regions(n: int, p: int = 5, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    index = REGIONS12[:n] if n <= 12 else [f"R{i}" for i in range(n)]
    return pd.DataFrame(rng.normal(size=(n, p)), index=index, columns=[f"f{j}" for j in range(p)])


def _distances(a: np.ndarray) -> np.ndarray:
    return np.sqrt(((a[:, None, :] - a[None, :, :]) ** 2).sum(-1))


def test_umap_caps_neighbours_and_is_deterministic():
    # One UMAP test on purpose: the first call pays several seconds of numba compilation.
    pytest.importorskip("umap")
    X = _regions(12)
    first = embed_2d(X, random_state=0, method="umap")
    again = embed_2d(X, random_state=0, method="umap")
    assert first.method == "umap"
    assert first.n_neighbors == 11 <= len(X) - 1
    assert "n_neighbors capped from 15 to 11 (n = 12 regions)" in first.notes
    assert "n = 12: the map shows neighbourhoods, not distances" in first.notes
    assert not any("n_jobs" in note for note in first.notes)
    pd.testing.assert_frame_equal(first.coordinates, again.coordinates)
    assert list(first.coordinates.index) == REGIONS12
    assert np.isfinite(first.coordinates.to_numpy()).all()
    assert first.coordinates.to_numpy().std(axis=0).min() > 0  # not collapsed to a point
    # 'auto' switches to UMAP at 30 regions, with no small-n note there
    many = embed_2d(_regions(30), random_state=0)
    assert (many.method, many.n_neighbors) == ("umap", 15)
    assert not any("neighbourhoods" in note or "PCA" in note for note in many.notes)


def test_auto_is_pca_below_thirty_regions():
    X = _regions(29, p=2)
    emb = embed_2d(X)
    assert (emb.method, emb.n_neighbors) == ("pca", None)
    assert emb.notes[0] == (
        "n = 29 < 30 regions: PCA (exact, linear); UMAP is used from 30 regions up"
    )
    # two features: PCA is a rotation of the centred data, so every distance is kept
    np.testing.assert_allclose(
        _distances(emb.coordinates.to_numpy()), _distances(X.to_numpy()), atol=1e-10
    )


def test_pca_fallback_for_three_regions():
    X = _regions(3)
    emb = embed_2d(X, n_neighbors=15, method="umap")
    assert (emb.method, emb.n_neighbors) == ("pca", None)
    assert emb.notes[0] == "n = 3 < 4 regions: too few for UMAP, PCA used"
    assert emb.coordinates.shape == (3, 2)
    # three points span a plane: PCA onto 2 axes keeps their pairwise distances exactly
    np.testing.assert_allclose(
        _distances(emb.coordinates.to_numpy()), _distances(X.to_numpy()), atol=1e-10
    )


def test_pca_fallback_when_umap_cannot_be_imported(monkeypatch):
    monkeypatch.setitem(sys.modules, "umap", None)  # makes `import umap` raise ImportError
    X = _regions(12)
    emb = embed_2d(X, method="umap")
    assert emb.method == "pca"
    assert emb.notes[0].startswith("umap-learn is not importable (ModuleNotFoundError")
    assert emb.notes[0].endswith("PCA used")
    assert not any("neighbourhoods" in note for note in emb.notes)


def test_pca_on_request_is_deterministic_and_keeps_two_feature_geometry():
    X = _regions(8, p=2)
    a, b = embed_2d(X, method="pca"), embed_2d(X, method="pca", random_state=123)
    pd.testing.assert_frame_equal(a.coordinates, b.coordinates)
    assert a.notes == ("PCA requested", "PCA: the 2 axes keep 100% of the variance")
    # with two features PCA is a rotation of the centred data: distances are unchanged
    np.testing.assert_allclose(
        _distances(a.coordinates.to_numpy()), _distances(X.to_numpy()), atol=1e-10
    )


@pytest.mark.parametrize("n", [1, 2])
def test_tiny_inputs_still_give_a_map(n):
    emb = embed_2d(_regions(n))
    assert emb.method == "pca" and emb.coordinates.shape == (n, 2)
    assert np.isfinite(emb.coordinates.to_numpy()).all()


def test_identical_regions_sit_at_the_origin():
    X = pd.DataFrame({"a": [1.0, 1.0, 1.0], "b": [2.0, 2.0, 2.0]}, index=list("ABC"))
    emb = embed_2d(X)
    assert (emb.coordinates.to_numpy() == 0).all()
    assert any("same values" in note for note in emb.notes)


def test_embed_2d_refuses_bad_parameters():
    X = _regions(6)
    with pytest.raises(ValueError, match="n_neighbors must be >= 2"):
        embed_2d(X, n_neighbors=1)
    with pytest.raises(ValueError, match="method"):
        embed_2d(X, method="tsne")
    with pytest.raises(ValueError, match="missing or infinite"):
        embed_2d(X.assign(f0=[np.nan, 1, 2, 3, 4, 5]))


def test_embedding_exports():
    emb = embed_2d(_regions(4), method="pca")
    frame = emb.to_frame()
    assert list(frame.columns) == ["region_id", "x", "y", "method"]
    assert frame.region_id.tolist() == REGIONS12[:4]
    d = json.loads(json.dumps(emb.to_dict()))
    assert d["method"] == "pca" and d["n_neighbors"] is None
    assert d["coordinates"][REGIONS12[0]] == pytest.approx(emb.coordinates.iloc[0].tolist())


def test_embedding_figure_builds_headless():
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    from border_readiness.experiments._plots_explain import embedding_figure

    emb = embed_2d(_regions(12), method="pca")
    clusters = pd.Series(np.repeat([0, 1, 2], 4), index=REGIONS12)
    types = pd.Series(np.repeat(["west", "east"], 6), index=REGIONS12)
    names = pd.Series({"RU-OMS": "Omsk Oblast (Omskaya)", "RU-AL": "Altai Republic"})
    fig = embedding_figure(emb, clusters, types, names, title="Border regions")
    assert isinstance(emb, Embedding2D) and len(fig.axes) == 2
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"Omsk Oblast", "Altai Republic", "RU-AST"} <= texts
    one_panel = embedding_figure(emb.coordinates, clusters)
    assert len(one_panel.axes) == 1
    for f in (fig, one_panel):
        buf = io.BytesIO()
        f.savefig(buf, format="png")
        assert buf.getvalue().startswith(b"\x89PNG")
    assert plt.get_fignums() == []
