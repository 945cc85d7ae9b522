"""Copeland's pairwise margins computed in row chunks, so memory stays linear in the regions.

A Copeland score compares every region with every reference region on every indicator: the
margins are (regions x reference) by definition, quadratic in the regions, and so is the time.
What need not be quadratic is the memory. The dense kernel built the whole
(regions, reference, indicators) sign tensor at once (24 GB at 10,000 regions and 30
indicators); here the rows of ``V`` are taken in chunks whose sign tensor fits a byte budget,
so the memory is O(chunk x reference x indicators), one chunk at a time, and each row's score
is computed from exactly the same numbers as before.
"""

from __future__ import annotations

import numpy as np

from border_readiness.features._parallel import items_within

# Copeland margins are sums of +-w_i; with weights such as 1/3 an exact tie can come out as
# 1e-17, and a tie must stay a tie.
_TIE_TOL = 1e-12
# Bytes of the per-chunk working arrays: the float64 differences and signs (rows x reference x
# indicators) and the margins (rows x reference). 128 MB keeps a chunk far below the machine
# whatever n while leaving the per-row work large enough to vectorise.
_ROW_BUDGET = 128 * 2**20


def _row_step(n_reference: int, n_indicators: int, budget: int | None = None) -> int:
    """Rows per chunk so that a chunk's sign tensor, its differences and margins fit ``budget``."""
    budget = _ROW_BUDGET if budget is None else budget
    return items_within(budget, 8 * max(1, n_reference) * (2 * max(1, n_indicators) + 1))


def _pairwise_signs(V: np.ndarray, R: np.ndarray | None = None) -> np.ndarray:
    """sign(V[a, i] - R[b, i]) as an (a, b, i) array (R defaults to V).

    0 where either value is missing.
    """
    diff = V[:, None, :] - (V if R is None else R)[None, :, :]
    signs = np.sign(diff)
    signs[np.isnan(diff)] = 0.0
    return signs


def _chunk_margins(V: np.ndarray, w: np.ndarray, R: np.ndarray):
    """Yield (rows, margins, signs) for consecutive row chunks of ``V`` against all of ``R``."""
    step = _row_step(R.shape[0], V.shape[1])
    for start in range(0, V.shape[0], step):
        rows = slice(start, min(start + step, V.shape[0]))
        signs = _pairwise_signs(V[rows], R)
        margins = signs @ w
        margins[np.abs(margins) <= _TIE_TOL * w.sum()] = 0.0
        yield rows, margins, signs


def copeland_scores(V: np.ndarray, w: np.ndarray, R: np.ndarray | None = None) -> np.ndarray:
    """Wins minus losses of each row of ``V`` against every row of ``R`` (default ``V``).

    Parameters
    ----------
    V : numpy.ndarray of shape (n_regions, n_indicators)
        Normalised indicators (NaN = missing).
    w : numpy.ndarray of shape (n_indicators,)
        Their weights.
    R : numpy.ndarray of shape (n_reference, n_indicators), optional
        The regions compared with; default ``V`` itself (a region ties with itself).

    Returns
    -------
    numpy.ndarray of shape (n_regions,)
        The Copeland score of each row.

    Examples
    --------
    >>> import numpy as np
    >>> V = np.array([[20.0, 80], [50, 50], [90, 10]])
    >>> copeland_scores(V, np.array([0.25, 0.75])).tolist()
    [2.0, 0.0, -2.0]
    """
    out = np.empty(V.shape[0])
    for rows, margins, _ in _chunk_margins(V, w, V if R is None else R):
        out[rows] = np.sign(margins).sum(axis=1)
    return out


def copeland_contributions(V: np.ndarray, w: np.ndarray, R: np.ndarray | None = None) -> np.ndarray:
    """Each indicator's additive share of each row's Copeland score.

    A decided pair (a, b) adds ``sign(c_ab)`` to a's score, split over the indicators as
    ``w_i sign(x_ai - x_bi) / |c_ab|``; tied pairs add nothing.

    Parameters
    ----------
    V, w, R
        As in :func:`copeland_scores`.

    Returns
    -------
    numpy.ndarray of shape (n_regions, n_indicators)
        Rows sum to :func:`copeland_scores`.

    Examples
    --------
    >>> import numpy as np
    >>> V = np.array([[20.0, 80], [50, 50], [90, 10]])
    >>> copeland_contributions(V, np.array([0.25, 0.75])).sum(axis=1).tolist()
    [2.0, 0.0, -2.0]
    """
    out = np.empty(V.shape)
    for rows, margins, signs in _chunk_margins(V, w, V if R is None else R):
        decided = margins != 0
        inverse = np.where(decided, 1.0 / np.where(decided, np.abs(margins), 1.0), 0.0)
        out[rows] = np.einsum("abi,ab->ai", signs * w, inverse)
    return out
