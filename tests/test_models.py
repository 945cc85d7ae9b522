"""Clustering estimators: scikit-learn's checks, k selection, contiguity, small-n guard."""

import numpy as np
import pytest
from scipy.sparse.csgraph import connected_components
from sklearn.datasets import make_blobs
from sklearn.utils.estimator_checks import parametrize_with_checks

from border_readiness.clustering.models import (
    RegionClusterer,
    adjacency_matrix,
    gap_statistic,
    max_clusters,
    small_n_note,
)
from border_readiness.features.regions import BORDER_REGIONS


@parametrize_with_checks(
    [RegionClusterer(method=m, n_init=2) for m in ("kmeans", "ward", "gmm", "hdbscan")]
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("criterion", ["silhouette", "calinski_harabasz", "davies_bouldin", "gap"])
@pytest.mark.parametrize("method", ["kmeans", "ward", "gmm"])
def test_k_chosen_on_separated_blobs(method, criterion):
    X, y = make_blobs(
        n_samples=30, centers=3, cluster_std=0.3, center_box=(-10, 10), random_state=3
    )
    est = RegionClusterer(method=method, criterion=criterion, k_max=6, n_init=3).fit(X)
    assert est.n_clusters_ == 3
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(y, est.labels_) == 1.0


def test_k_capped_at_n_over_3_with_note():
    X, _ = make_blobs(n_samples=12, centers=6, cluster_std=0.1, random_state=0)
    est = RegionClusterer(k_max=10).fit(X)
    assert list(est.k_scores_.index) == [2, 3, 4]  # 12 // 3 = 4
    assert max_clusters(12) == 4
    assert any("n = 12 regions" in n for n in est.notes_)
    assert small_n_note(85) == ""


def test_ward_contiguous_clusters_are_connected():
    regions = list(BORDER_REGIONS)
    A = adjacency_matrix(regions)
    assert (A == A.T).all()
    # Neighbours from the polygons: Omsk–Novosibirsk, Omsk–Tyumen, Orenburg–Samara.
    i = {r: k for k, r in enumerate(regions)}
    assert A[i["RU-OMS"], i["RU-NVS"]] and A[i["RU-OMS"], i["RU-TYU"]]
    assert A[i["RU-ORE"], i["RU-SAM"]] and not A[i["RU-AST"], i["RU-NVS"]]
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 5))
    labels = RegionClusterer(method="ward_contiguous", n_clusters=4, connectivity=A).fit(X).labels_
    for lab in np.unique(labels):
        members = np.flatnonzero(labels == lab)
        n_comp, _ = connected_components(A[np.ix_(members, members)], directed=False)
        assert n_comp == 1, [regions[m] for m in members]


def test_ward_contiguous_needs_connectivity():
    with pytest.raises(ValueError, match="connectivity"):
        RegionClusterer(method="ward_contiguous").fit(np.random.default_rng(0).normal(size=(6, 2)))


def test_gap_statistic_prefers_structure_over_noise():
    X, _ = make_blobs(n_samples=40, centers=3, cluster_std=0.2, random_state=1)
    from sklearn.cluster import KMeans

    def fp(Z, k, seed):
        return KMeans(n_clusters=k, n_init=3, random_state=seed).fit_predict(Z)

    labels = {k: fp(X, k, 0) for k in (2, 3, 4)}
    gap = gap_statistic(X, labels, fp)
    assert gap["gap"].idxmax() == 3


def test_same_seed_same_labels():
    X = np.random.default_rng(5).normal(size=(20, 4))
    a = RegionClusterer(method="kmeans", random_state=7).fit(X).labels_
    b = RegionClusterer(method="kmeans", random_state=7).fit(X).labels_
    assert (a == b).all()


@pytest.mark.parametrize("method", ["kmeans", "ward", "gmm", "hdbscan", "ward_contiguous"])
def test_predict_reproduces_the_fitted_labels_on_the_fitted_regions(method):
    X, _ = make_blobs(n_samples=12, centers=3, cluster_std=1.5, random_state=4)
    connectivity = np.ones((12, 12)) - np.eye(12) if method == "ward_contiguous" else None
    est = RegionClusterer(method=method, connectivity=connectivity, n_init=3).fit(X)
    np.testing.assert_array_equal(est.predict(X), est.labels_)


def test_kmeans_assignment_of_a_new_region_is_its_nearest_centre():
    X, _ = make_blobs(n_samples=12, centers=3, cluster_std=0.5, random_state=5)
    est = RegionClusterer(method="kmeans", n_clusters=3, n_init=3).fit(X)
    new = np.array([[0.0, 0.0], [8.0, -3.0]])
    centres = np.array([X[est.labels_ == c].mean(axis=0) for c in range(3)])
    nearest = np.argmin(((new[:, None, :] - centres[None]) ** 2).sum(axis=-1), axis=1)
    np.testing.assert_array_equal(est.predict(new), nearest)
