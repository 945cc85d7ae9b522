"""Numba kernels of Hartigan and Wong's k-means (AS 136), line for line as R's ``kmns.f``.

Imported only by ``_hartigan_wong`` when a fit is asked for, so that importing the package
(and ``border-readiness --help``) never loads numba. Indices are 0-based in the arrays, but
every step counter (``LIVE``, ``NCP``, ``INDX``, ``ISTEP``) keeps the Fortran's 1-based
values, so each comparison reads as in the Fortran. Each floating-point operation is the
Fortran's, in its order (sums over the columns in column order, centre updates as
``(c * n - x) / (n - 1)``), so the results are bit for bit R's where the compiled code does
the same arithmetic (no fused multiply-add: numba's default, without ``fastmath``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Fortran ``DATA BIG /1.E30/`` is a single-precision literal stored into a DOUBLE: the value
# is float32(1e30), not 1e30; it is the factor for singletons, so ties with it must match R.
BIG = float(np.float32(1e30))


@njit(cache=True)
def _transfer(a, c, nc, an1, an2, ic1, ic2, i0, l1, l2):
    """Move point i0 from cluster l1 to l2: centres, sizes, AN1/AN2 factors and IC1/IC2.

    The update both stages of AS 136 make (OPTRA and QTRAN), in the Fortran's order.
    """
    n = a.shape[1]
    al1 = float(nc[l1])
    alw = al1 - 1.0
    al2 = float(nc[l2])
    alt = al2 + 1.0
    for j in range(n):
        c[l1, j] = (c[l1, j] * al1 - a[i0, j]) / alw
        c[l2, j] = (c[l2, j] * al2 + a[i0, j]) / alt
    nc[l1] -= 1
    nc[l2] += 1
    an2[l1] = alw / al1
    an1[l1] = BIG
    if alw > 1.0:
        an1[l1] = alw / (alw - 1.0)
    an1[l2] = alt / al2
    an2[l2] = alt / (alt + 1.0)
    ic1[i0] = l2
    ic2[i0] = l1


@njit(cache=True)
def _optra(a, c, ic1, ic2, nc, an1, an2, ncp, d, itran, live, indx):
    """AS 136.1, the optimal-transfer stage; returns the new INDX."""
    m, n = a.shape
    k = c.shape[0]
    for ll in range(k):
        if itran[ll] == 1:
            live[ll] = m + 1
    for i0 in range(m):
        i = i0 + 1
        indx += 1
        l1 = ic1[i0]
        if nc[l1] != 1:
            if ncp[l1] != 0:
                de = 0.0
                for j in range(n):
                    df = a[i0, j] - c[l1, j]
                    de = de + df * df
                d[i0] = de * an1[l1]
            l2 = ic2[i0]
            lfix = l2
            da = 0.0
            for j in range(n):
                db = a[i0, j] - c[l2, j]
                da = da + db * db
            r2 = da * an2[l2]
            for lc in range(k):
                # Fortran: IF (I >= LIVE(L1) .AND. I >= LIVE(L) .OR. L == L1 .OR. L == LL)
                if (i >= live[l1] and i >= live[lc]) or lc in (l1, lfix):
                    continue
                rr = r2 / an2[lc]
                dc = 0.0
                stop = False
                for j in range(n):
                    dd = a[i0, j] - c[lc, j]
                    dc = dc + dd * dd
                    if dc >= rr:
                        stop = True
                        break
                if stop:
                    continue
                r2 = dc * an2[lc]
                l2 = lc
            if r2 >= d[i0]:
                ic2[i0] = l2
            else:
                indx = 0
                live[l1] = m + i
                live[l2] = m + i
                ncp[l1] = i
                ncp[l2] = i
                _transfer(a, c, nc, an1, an2, ic1, ic2, i0, l1, l2)
        if indx == m:
            # Early return: KMNS stops at once, so ITRAN and LIVE are left as they are.
            return indx
    for ll in range(k):
        itran[ll] = 0
        live[ll] -= m
    return indx


@njit(cache=True)
def _qtran(a, c, ic1, ic2, nc, an1, an2, ncp, d, itran, indx, max_qtran):
    """AS 136.2, the quick-transfer stage; returns (INDX, step cap exceeded)."""
    m, n = a.shape
    icoun = 0
    istep = 0
    while True:
        for i0 in range(m):
            icoun += 1
            istep += 1
            if istep >= max_qtran:
                return indx, True
            l1 = ic1[i0]
            l2 = ic2[i0]
            if nc[l1] != 1:
                if istep <= ncp[l1]:
                    da = 0.0
                    for j in range(n):
                        db = a[i0, j] - c[l1, j]
                        da = da + db * db
                    d[i0] = da * an1[l1]
                if istep < ncp[l1] or istep < ncp[l2]:
                    r2 = d[i0] / an2[l2]
                    dd = 0.0
                    move = True
                    for j in range(n):
                        de = a[i0, j] - c[l2, j]
                        dd = dd + de * de
                        if dd >= r2:
                            move = False
                            break
                    if move:
                        icoun = 0
                        indx = 0
                        itran[l1] = 1
                        itran[l2] = 1
                        ncp[l1] = istep + m
                        ncp[l2] = istep + m
                        _transfer(a, c, nc, an1, an2, ic1, ic2, i0, l1, l2)
            if icoun == m:
                return indx, False


@njit(cache=True)
def kmns(a, centres, max_iter, max_qtran, labels, wss):
    """AS 136 (KMNS): fill ``labels`` (0-based) and ``wss``; return (R's iter, IFAULT).

    ``centres`` is overwritten with the final cluster means. IFAULT as in R: 0 converged,
    1 an empty cluster after the first assignment, 2 not converged in ``max_iter`` passes
    (then iter is ``max_iter + 1``, as R reports it), 3 k <= 1 or k >= m, 4 the
    quick-transfer stage exceeded ``max_qtran`` steps.
    """
    m, n = a.shape
    k = centres.shape[0]
    c = centres
    if k <= 1 or k >= m:
        return 0, 3
    ic1 = labels
    ic2 = np.empty(m, dtype=np.int64)
    nc = np.zeros(k, dtype=np.int64)
    an1 = np.empty(k)
    an2 = np.empty(k)
    ncp = np.empty(k, dtype=np.int64)
    d = np.zeros(m)
    itran = np.empty(k, dtype=np.int64)
    live = np.zeros(k, dtype=np.int64)
    dt = np.empty(2)
    # Each point's two closest centres; ties go to the lower-numbered centre.
    for i0 in range(m):
        ic1[i0] = 0
        ic2[i0] = 1
        for il in range(2):
            s = 0.0
            for j in range(n):
                da = a[i0, j] - c[il, j]
                s = s + da * da
            dt[il] = s
        if dt[0] > dt[1]:
            ic1[i0] = 1
            ic2[i0] = 0
            temp = dt[0]
            dt[0] = dt[1]
            dt[1] = temp
        for ll in range(2, k):
            db = 0.0
            far = False
            for j in range(n):
                dc = a[i0, j] - c[ll, j]
                db = db + dc * dc
                if db >= dt[1]:
                    far = True
                    break
            if far:
                continue
            if db >= dt[0]:
                dt[1] = db
                ic2[i0] = ll
            else:
                dt[1] = dt[0]
                ic2[i0] = ic1[i0]
                dt[0] = db
                ic1[i0] = ll
    for ll in range(k):
        for j in range(n):
            c[ll, j] = 0.0
    for i0 in range(m):
        ll = ic1[i0]
        nc[ll] += 1
        for j in range(n):
            c[ll, j] = c[ll, j] + a[i0, j]
    for ll in range(k):
        if nc[ll] == 0:
            return 0, 1
        aa = float(nc[ll])
        for j in range(n):
            c[ll, j] = c[ll, j] / aa
        an2[ll] = aa / (aa + 1.0)
        an1[ll] = BIG
        if aa > 1.0:
            an1[ll] = aa / (aa - 1.0)
        itran[ll] = 1
        ncp[ll] = -1
    indx = 0
    ifault = 2
    ij = max_iter + 1  # the Fortran DO variable's value when the loop runs out
    for it in range(1, max_iter + 1):
        indx = _optra(a, c, ic1, ic2, nc, an1, an2, ncp, d, itran, live, indx)
        if indx == m:
            ij = it
            ifault = 0
            break
        indx, capped = _qtran(a, c, ic1, ic2, nc, an1, an2, ncp, d, itran, indx, max_qtran)
        if capped:
            ij = it
            ifault = 4
            break
        if k == 2:
            ij = it
            ifault = 0
            break
        for ll in range(k):
            ncp[ll] = 0
    # Final means and WSS, in the Fortran's order: columns outer, points inner.
    for ll in range(k):
        wss[ll] = 0.0
        for j in range(n):
            c[ll, j] = 0.0
    for i0 in range(m):
        ll = ic1[i0]
        for j in range(n):
            c[ll, j] = c[ll, j] + a[i0, j]
    for j in range(n):
        for ll in range(k):
            c[ll, j] = c[ll, j] / float(nc[ll])
        for i0 in range(m):
            ll = ic1[i0]
            da = a[i0, j] - c[ll, j]
            wss[ll] = wss[ll] + da * da
    if ifault == 2:
        ij = max(ij, max_iter + 1)
    return ij, ifault


@njit(cache=True)
def kmns_batched(xb, seeds, max_iter, max_qtran, labels, wss, iters, faults):
    """``kmns`` on each data set of ``xb`` in turn, started from its rows ``seeds[b]``."""
    nb, _, n = xb.shape
    k = seeds.shape[1]
    for b in range(nb):
        centres = np.empty((k, n))
        for ll in range(k):
            for j in range(n):
                centres[ll, j] = xb[b, seeds[b, ll], j]
        it, fault = kmns(xb[b], centres, max_iter, max_qtran, labels[b], wss[b])
        iters[b] = it
        faults[b] = fault
