"""The compiled k-means kernel behind ``kmeans_batched``.

Expected values are worked out by hand (a tiny obvious partition, one Hartigan transfer whose
gain is computed below from the formula), or are properties (a replicate's result does not
depend on the replicates it is computed with); none is copied from the code's output.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from border_readiness.clustering.stability import kmeans_batched
from border_readiness.clustering.stability._kmeans_batched import (
    _Data,
    _run_kernel,
    draws_per_start,
)


def _kernel(points, data_of, w, u, k, n_init, init, max_iter=100):
    """Labels (B, n) straight from the kernel: points (R, n, d), u (B * n_init, draws)."""
    return _run_kernel(points, data_of, w, u, k, n_init, max_iter, init)


@pytest.mark.parametrize("init", ["k-means++", "random"])
@pytest.mark.parametrize("shared", [True, False])
def test_kernel_replicate_alone_equals_in_any_batch(init, shared):
    # Seven replicates with many local optima (uniform data, k = 4), weights mixing 0 (not
    # drawn), 1 and bootstrap counts; each one is run alone and inside batches where it sits
    # at other positions next to other replicates: its labels must be the same bits.
    rng = np.random.default_rng(11)
    B, n, d, k, S = 7, 45, 3, 4, 3
    data = rng.uniform(size=(1 if shared else B, n, d))
    points = _Data(data, np.ones((1, n)), shared=False).points
    w = rng.poisson(1.0, size=(B, n)).astype(float)
    w[:, :k] = 1.0  # at least k weighted points
    u = rng.random((B, S, draws_per_start(k, n, init)))

    def run(rows):
        of = [0] * len(rows) if shared else rows
        return _kernel(points, of, w[rows], u[rows].reshape(len(rows) * S, -1), k, S, init)

    together = run(list(range(B)))
    for b in range(B):
        assert np.array_equal(run([b])[0], together[b])
    shuffled = [5, 2, 6, 0, 3, 1, 4]
    assert np.array_equal(run(shuffled), together[shuffled])
    assert np.array_equal(run([3, 3, 1]), together[[3, 3, 1]])
    # Not a vacuous check: the replicates do differ from one another.
    assert len({row.tobytes() for row in together}) > 1


def test_kernel_tiny_obvious_partition():
    # Three pairs on a line, 9-10 apart: the optimum for k = 3 is the pairs, each with SS
    # 2 * 0.5^2 = 0.5, total 1.5; any other partition puts two points >= 9 apart together.
    X = np.array([[0.0], [1.0], [10.0], [11.0], [20.0], [21.0]])
    for init in ("k-means++", "random"):
        labels, inertia = kmeans_batched(
            np.broadcast_to(X, (20, 6, 1)),
            3,
            n_init=5,
            rng=[np.random.default_rng(s) for s in range(20)],
            return_inertia=True,
            init=init,
        )
        assert (labels == [0, 0, 1, 1, 2, 2]).all()
        assert inertia == pytest.approx(np.full(20, 1.5), rel=1e-9)


def _lloyd(X: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Plain Lloyd iterations (reference, no transfers) until no label changes."""
    while True:
        centres = np.array([X[labels == j].mean(axis=0) for j in range(k)])
        new = ((X[:, None, :] - centres[None]) ** 2).sum(axis=-1).argmin(axis=1)
        if (new == labels).all():
            return labels
        labels = new


def test_kernel_hartigan_transfer_lowers_a_lloyd_stable_partition():
    # Points 0, 2, 3, 3.4 and k = 2, seeded (random init, smallest keys) at 2 and 3.4: the
    # nearest-seed partition is A = {0, 2} (centre 1), B = {3, 3.4} (centre 3.2), and Lloyd
    # stops there: point 2 is at distance^2 1 from centre 1 and 1.44 from 3.2. WSS = 2 + 0.08.
    # Hartigan's move of 2 from A (2 points) to B (2 points) changes the WSS by
    #   + 2/3 * 1.44 - 2/1 * 1 = 0.96 - 2 = -1.04,
    # to {0}, {2, 3, 3.4} (centre 2.8): WSS 0 + 0.64 + 0.04 + 0.36 = 1.04, which Lloyd keeps
    # (point 2: 0.64 to 2.8, 4 to 0). The kernel must take the move.
    X = np.array([[0.0], [2.0], [3.0], [3.4]])
    keys = np.array([0.9, 0.1, 0.8, 0.2])  # smallest two: points 1 (x = 2) and 3 (x = 3.4)
    stuck = _lloyd(X, np.array([0, 0, 1, 1]), 2)
    assert stuck.tolist() == [0, 0, 1, 1]  # the reference Lloyd does stop at A, B
    wss_stuck = 2 * 1.0**2 + 2 * 0.2**2
    gain = 2 / 1 * 1.0 - 2 / 3 * 1.2**2
    assert gain == pytest.approx(1.04)
    labels, inertia = kmeans_batched(
        X[None], 2, n_init=1, rng=keys.reshape(1, 1, 4), return_inertia=True, init="random"
    )
    assert labels[0].tolist() == [0, 1, 1, 1]
    assert inertia[0] == pytest.approx(wss_stuck - gain, rel=1e-6)  # 1.04; data rounded ~1e-7


def test_importing_stability_does_not_load_numba():
    # numba costs seconds to import and compile: only a k-means fit may load it.
    code = "import sys; import border_readiness.clustering.stability; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
