"""A Gaussian mixture for a dozen regions that may not return singleton components.

A diagonal GMM with k components on n regions and d indicators has k(2d + 1) - 1 parameters:
105 for k = 2 on the 12 x 26 default matrix, for 312 numbers. Its likelihood grows without
bound as a component shrinks onto one region (the variance floor ``reg_covar`` only caps it),
so the best-likelihood fit is often a one-region component even on structureless data (53.5 %
of column-permuted copies of the 2021 matrix, issue 10's audit).

The guard: every component must hold at least :func:`min_component_size` regions,
``max(2, ceil(0.1 n))`` (2 for the 12 border regions, 9 for the 85 subjects). Each of the
``n_init`` starts is fitted separately; the start with the best likelihood among those that
satisfy the guard is kept. When no start satisfies it, that k is *rejected* (``rejected_`` is
True and ``note_`` says why); :class:`~border_readiness.clustering.models.RegionClusterer`
then leaves that k out of the choice of k, and says so in its notes.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.mixture import GaussianMixture

__all__ = ["GuardedGaussianMixture", "admissible", "min_component_size"]


def min_component_size(n: int) -> int:
    """The smallest component a Gaussian mixture may return: ``max(2, ceil(0.1 n))``.

    Parameters
    ----------
    n : int
        Number of regions fitted.

    Returns
    -------
    int

    Examples
    --------
    >>> min_component_size(12), min_component_size(85)
    (2, 9)
    """
    return max(2, math.ceil(0.1 * n))


class GuardedGaussianMixture(BaseEstimator):
    """Diagonal Gaussian mixture whose components all hold >= ``min_size`` regions.

    Parameters
    ----------
    n_components : int
        k.
    n_init : int, default 10
        Starts, each fitted separately with its own seed (drawn from ``random_state``).
    reg_covar : float, default 1e-3
        Variance floor, as :class:`~sklearn.mixture.GaussianMixture`'s.
    min_size : int, optional
        Default :func:`min_component_size` of the number of rows fitted.
    random_state : int, optional
        Root seed of the starts.

    Attributes
    ----------
    labels_ : ndarray
        The hard assignment of the kept start (of the best start, guard ignored, when rejected).
    rejected_ : bool
        No start gave components of ``min_size`` regions or more.
    note_ : str
        Why the fit was rejected ("" when it was not).
    estimator_ : GaussianMixture
        The kept start.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 0.3, (6, 2)), rng.normal(5, 0.3, (6, 2))])
    >>> g = GuardedGaussianMixture(2, random_state=0).fit(X)
    >>> sorted(np.bincount(g.labels_).tolist()), g.rejected_
    ([6, 6], False)
    """

    def __init__(self, n_components, n_init=10, reg_covar=1e-3, min_size=None, random_state=0):
        self.n_components = n_components
        self.n_init = n_init
        self.reg_covar = reg_covar
        self.min_size = min_size
        self.random_state = random_state

    def fit(self, X, y=None):
        """Fit every start and keep the best one that satisfies the guard.

        Parameters
        ----------
        X : array-like of shape (n, d)
            The regions.
        y : None
            Ignored.

        Returns
        -------
        GuardedGaussianMixture
            ``self``, fitted.
        """
        X = np.asarray(X, dtype=float)
        n, k = X.shape[0], int(self.n_components)
        floor = min_component_size(n) if self.min_size is None else int(self.min_size)
        seeds = np.random.SeedSequence(self.random_state).generate_state(int(self.n_init))
        best, best_any = None, None
        smallest = []
        for seed in seeds:
            gm = GaussianMixture(
                n_components=k,
                covariance_type="diag",
                reg_covar=self.reg_covar,
                random_state=int(seed),
            ).fit(X)
            labels = gm.predict(X)
            ll = gm.lower_bound_
            sizes = np.bincount(labels, minlength=k)
            smallest.append(int(sizes.min()))
            if best_any is None or ll > best_any[0]:
                best_any = (ll, gm, labels)
            # Every one of the k components must be used, and by >= floor regions.
            if sizes.min() >= floor and (best is None or ll > best[0]):
                best = (ll, gm, labels)
        self.rejected_ = best is None
        self.note_ = (
            f"GMM with k = {k}: every one of {len(seeds)} starts gave a component of fewer than "
            f"{floor} regions (smallest: {min(smallest)}); k = {k} rejected (minimum component "
            f"size max(2, ceil(0.1 n)) = {floor})"
            if self.rejected_
            else ""
        )
        _, self.estimator_, self.labels_ = best_any if self.rejected_ else best
        return self

    def predict(self, X):
        """Hard assignment of rows to the kept start's components.

        Parameters
        ----------
        X : array-like of shape (m, d)

        Returns
        -------
        ndarray of int
        """
        return self.estimator_.predict(np.asarray(X, dtype=float))

    def fit_predict(self, X, y=None):
        """Fit, then the labels of the kept start.

        Parameters
        ----------
        X : array-like of shape (n, d)
        y : None
            Ignored.

        Returns
        -------
        ndarray of int
        """
        return self.fit(X).labels_


def admissible(candidates: list[int], fitted: dict, notes: list[str]) -> list[int]:
    """The candidate k whose Gaussian mixtures were not rejected; notes the rejected ones.

    Other estimators (no ``rejected_``) are always admissible. When every candidate is
    rejected, all are kept (a fixed k must still be fitted) and a note says the guard could
    not be met.

    Parameters
    ----------
    candidates : list of int
        The k tried.
    fitted : dict
        k -> fitted estimator.
    notes : list of str
        Extended in place with one note per rejected k.

    Returns
    -------
    list of int
        The admissible candidates, in order.

    Examples
    --------
    >>> admissible([2, 3], {}, [])
    [2, 3]
    """
    rejected = [k for k in candidates if getattr(fitted.get(k), "rejected_", False)]
    notes.extend(fitted[k].note_ for k in rejected)
    kept = [k for k in candidates if k not in rejected]
    if rejected and not kept:
        notes.append(
            "no k satisfies the GMM's minimum component size: the clusters below include a "
            "component smaller than it (flagged singleton where it holds one region)"
        )
        return list(candidates)
    return kept
