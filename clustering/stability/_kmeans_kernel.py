"""The compiled per-start k-means of :func:`kmeans_batched`: seeding, Lloyd, Hartigan, best start.

One start at a time in plain loops (no ``prange``, no fast-math): every floating-point sum runs
in the order the code spells out, so a replicate's result depends on its own data, weights and
uniforms only, never on the batch, the threads or the machine. Imported lazily by
:func:`kmeans_batched`, so that commands which never cluster do not load numba.

The points are the integers of ``_kmeans_batched._Data`` (each data set centred, scaled by a
power of two and rounded). In these loops order is fixed anyway; the integers are kept because
every sum of points is then exact: the cluster sums that Hartigan transfers update move by move
stay equal to sums recomputed from the labels (no drift over a sweep), and the k-means++ seed
distances and potentials are exact, so the seeds are those of the previous numpy version.

Distances are computed one centre against all points, from the points transposed to (d, n):
the inner loop runs over points, each with its own running sum over the features in order, so
the compiler vectorises it across points without reordering any sum (a loop over features per
point would be one chain of dependent additions, about 4x slower).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _draw(cum, u):
    """The index i with cum[i - 1] <= u * cum[-1] < cum[i] (a draw by weight), at most n - 1."""
    n = cum.shape[0]
    target = u * cum[n - 1]
    # Binary search for the number of cum values <= target (cum is non-decreasing); strict <
    # on the other side never lands on a point of weight 0.
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] <= target:
            lo = mid + 1
        else:
            hi = mid
    return min(lo, n - 1)


@njit(cache=True)
def _to_all(xt, c, out):
    """out[i] = squared distance of point i (column i of xt) to c, summed over features in order."""
    d, n = xt.shape
    for i in range(n):
        out[i] = 0.0
    for f in range(d):
        cf = c[f]
        for i in range(n):
            t = xt[f, i] - cf
            out[i] += t * t


@njit(cache=True)
def _seed_start(x, xt, w, u, k, trials, random_init, seeds, dist, scratch):
    """One start's k seeds (in place in ``seeds``) from its uniforms ``u``, and their distances.

    ``random_init``: the k points of smallest key ``u[i]`` (first index on ties), a uniform
    k-subset. Otherwise scikit-learn's greedy k-means++: the first seed by weight, each further
    seed the best, by the potential sum(w * D^2) it leaves, of ``trials`` candidates drawn by
    w * D^2 (by weight alone when that sum is 0), the first on ties. ``x`` (n, d) holds the
    weighted points only, ``xt`` is its transpose; ``dist[j]`` (k, n) gets every point's squared
    distance to seed j; ``scratch`` is (4, n).
    """
    n = x.shape[0]
    if random_init:
        for c in range(k):
            best, key = -1, np.inf
            for i in range(n):
                if u[i] < key:
                    taken = False
                    for e in range(c):
                        if seeds[e] == i:
                            taken = True
                    if not taken:
                        best, key = i, u[i]
            seeds[c] = best
            _to_all(xt, x[best], dist[c])
        return
    cum_w, cum, closest = scratch[0], scratch[1], scratch[2]
    acc = 0.0
    for i in range(n):
        acc += w[i]
        cum_w[i] = acc
    seeds[0] = _draw(cum_w, u[0])
    _to_all(xt, x[seeds[0]], dist[0])
    closest[:] = dist[0]
    for c in range(1, k):
        acc = 0.0
        for i in range(n):
            acc += w[i] * closest[i]
            cum[i] = acc
        use = cum if acc > 0 else cum_w
        # The candidate's distances go to dist[c] while it is the best so far, else to scratch.
        best_pot = np.inf
        for lt in range(trials):
            cand = _draw(use, u[1 + (c - 1) * trials + lt])
            row = dist[c] if lt == 0 else scratch[3]
            _to_all(xt, x[cand], row)
            pot = 0.0
            for i in range(n):
                pot += min(row[i], closest[i]) * w[i]
            if lt == 0 or pot < best_pot:
                best_pot = pot
                seeds[c] = cand
                if lt > 0:
                    dist[c, :] = row
        for i in range(n):
            closest[i] = min(closest[i], dist[c, i])


@njit(cache=True)
def _cluster_sums(x, w, lab, sums, mass):
    sums[:] = 0.0
    mass[:] = 0.0
    for i in range(x.shape[0]):
        if w[i] > 0:
            j = lab[i]
            mass[j] += w[i]
            for f in range(x.shape[1]):
                sums[j, f] += w[i] * x[i, f]


@njit(cache=True)
def _distances(xt, sums, mass, cen, dist, valid):
    """Centres sums / mass into ``cen`` and every point's squared distance to them, (k, n).

    An empty cluster's centre is 0, the origin of the centred data (as in the numpy version).
    A row whose centre has exactly the bits it had when ``dist`` was last computed (``valid``)
    is kept: the distances are a function of the centre alone, so they would come out equal,
    and late Lloyd passes move few points, leaving most centres as they were.
    """
    d = sums.shape[1]
    for j in range(sums.shape[0]):
        inv = 1.0 / mass[j] if mass[j] > 0 else 0.0
        same = valid[j]
        for f in range(d):
            c = sums[j, f] * inv
            if c != cen[j, f]:
                same = False
            cen[j, f] = c
        if not same:
            _to_all(xt, cen[j], dist[j])
            valid[j] = True


@njit(cache=True)
def _fill_empty(lab, own, w, mass, k):
    """Re-seed empty clusters at the points farthest from their centre; whether any was empty.

    Farthest first (first index on ties), never emptying another cluster (scikit-learn's rule).
    """
    empty = 0
    for j in range(k):
        if mass[j] <= 0:
            empty += 1
    if empty == 0:
        return False
    n = lab.shape[0]
    count = np.zeros(k, dtype=np.int64)
    key = np.empty(n)
    for i in range(n):
        if w[i] > 0:
            count[lab[i]] += 1
            key[i] = -own[i]
        else:
            key[i] = np.inf
    order = np.argsort(key, kind="mergesort")
    j = 0
    for p in order:
        while j < k and mass[j] > 0:
            j += 1
        if j == k:
            break
        if w[p] > 0 and count[lab[p]] > 1:
            count[lab[p]] -= 1
            count[j] += 1
            lab[p] = j
            j += 1
    return True


# error_model="numpy": divisions without numba's Python-style zero check, whose branch would
# stop these loops from being vectorised; no divisor here is 0 where its result is used.
@njit(cache=True, error_model="numpy")
def _lloyd_pass(lab, own, dist, moves, closer_tol, best_d, best_j):
    """Lloyd's reassignment from the distances ``dist`` (k, n); how many points moved.

    ``own`` gets the distance to the centre of the label held on entry; a point moves to its
    nearest centre (first on ties) only when that is closer by more than ``closer_tol``
    relative (round-off). Moved points and their old labels go to ``moves`` as (index, label)
    rows, in index order. ``best_d`` and ``best_j`` (n,) are scratch.
    """
    k, n = dist.shape
    factor = 1.0 - closer_tol
    # Cluster by cluster over all points (branch-free selects the compiler vectorises).
    for i in range(n):
        best_d[i] = dist[0, i]
        best_j[i] = 0
        own[i] = dist[lab[i], i]
    for j in range(1, k):
        for i in range(n):
            dj = dist[j, i]
            better = dj < best_d[i]
            best_d[i] = dj if better else best_d[i]
            best_j[i] = j if better else best_j[i]
    count = 0
    for i in range(n):
        if best_d[i] < own[i] * factor:
            moves[count, 0] = i
            moves[count, 1] = lab[i]
            lab[i] = best_j[i]
            count += 1
    return count


@njit(cache=True, error_model="numpy")
def _gains(w, lab, own, dist, mass, gain, unit, best_add):
    """Each point's Hartigan gain on a Lloyd-stable partition; returns sum(w * own).

    ``gain[i]`` is the SS decrease ``A w/(A - w) |x - c_a|^2 - min_b C w/(C + w) |x - c_b|^2``
    of moving point i to another cluster (-inf when it is alone in its cluster). ``unit`` (k,)
    and ``best_add`` (n,) are scratch.
    """
    k, n = dist.shape
    # C w / (C + w) for w = 1, once per cluster: the same bits as per point (C * 1 = C), and
    # weights are 0/1 for the bootstrap and the subsamples, so most divisions go.
    for j in range(k):
        unit[j] = mass[j] * 1.0 / (mass[j] + 1.0)
    for i in range(n):
        best_add[i] = np.inf
    for j in range(k):
        mj, uj = mass[j], unit[j]
        for i in range(n):
            wi = w[i]
            add = (uj if wi == 1.0 else mj * wi / (mj + wi)) * dist[j, i]
            take = (lab[i] != j) and (add < best_add[i])
            best_add[i] = add if take else best_add[i]
    total = 0.0
    for i in range(n):
        wi = w[i]
        da = own[i]
        total += wi * da
        ma = mass[lab[i]]
        gain[i] = ma * wi / (ma - wi) * da - best_add[i] if ma > wi else -np.inf
    return total


@njit(cache=True)
def _hartigan_sweep(x, w, lab, sums, mass, gain, tol, cap, dp):
    """Single-point transfers among the first ``cap`` candidates (gain > tol), in index order.

    Each candidate is re-evaluated against the centres as updated by the moves before it
    (Hartigan-Wong's sequential passes); the exact integer sums update in place. Whether any
    point moved.
    """
    n, k, d = x.shape[0], sums.shape[0], x.shape[1]
    moved = False
    seen = 0
    for p in range(n):
        if seen >= cap:
            break
        if not gain[p] > tol:
            continue
        seen += 1
        wp = w[p]
        a = lab[p]
        for j in range(k):
            s = 0.0
            for f in range(d):
                t = sums[j, f] / mass[j] - x[p, f]
                s += t * t
            dp[j] = s
        wa = mass[a]
        removal = wa * wp * dp[a] / (wa - wp) if wa > wp else -np.inf
        b, add_b = -1, np.inf
        for j in range(k):
            if j != a:
                add = mass[j] * wp / (mass[j] + wp) * dp[j]
                if add < add_b:
                    b, add_b = j, add
        if b >= 0 and removal - add_b > tol:
            for f in range(d):
                sums[a, f] -= wp * x[p, f]
                sums[b, f] += wp * x[p, f]
            mass[a] -= wp
            mass[b] += wp
            lab[p] = b
            moved = True
    return moved


@njit(cache=True)
def _nearest(dist, i):
    best = 0
    for j in range(1, dist.shape[0]):
        if dist[j, i] < dist[best, i]:
            best = j
    return best


@njit(cache=True)
def _kmeans_starts(
    points,
    points_t,
    data_of,
    w_all,
    u_all,
    k,
    n_init,
    max_iter,
    random_init,
    trials,
    transfer_tol,
    closer_tol,
    sweep_cap,
    out,
):
    """k-means of every replicate b from its ``n_init`` starts; labels into ``out[b]``.

    ``points[data_of[b]]`` is replicate b's (n, d) data (``points_t`` the same transposed),
    ``w_all[b]`` its weights, rows ``b * n_init .. b * n_init + n_init - 1`` of ``u_all`` its
    starts' uniforms. Each start alternates Lloyd passes with Hartigan sweeps (when Lloyd is
    stable) until neither moves a point or ``max_iter`` passes are spent; the start of lowest
    WSS wins (the first on ties); points of weight 0 take their nearest final centre; labels are
    numbered by first appearance among the weighted points.
    """
    B = w_all.shape[0]
    n, d = points.shape[1], points.shape[2]
    seeds = np.empty(k, dtype=np.int64)
    sums = np.empty((k, d))
    mass = np.empty(k)
    cen = np.empty((k, d))
    dp = np.empty(k)
    rank = np.empty(k, dtype=np.int64)
    full = np.empty((k, n))
    valid = np.zeros(k, dtype=np.bool_)
    for b in range(B):
        x_all, xt_all = points[data_of[b]], points_t[data_of[b]]
        w_full = w_all[b]
        # The fit runs on the weighted points alone, in index order (weight-0 points would only
        # be carried through every distance pass); they are labelled at the end.
        m = 0
        for i in range(n):
            if w_full[i] > 0:
                m += 1
        idx = np.empty(m, dtype=np.int64)
        m = 0
        for i in range(n):
            if w_full[i] > 0:
                idx[m] = i
                m += 1
        x = np.empty((m, d))
        xt = np.empty((d, m))
        w = np.empty(m)
        for q in range(m):
            w[q] = w_full[idx[q]]
            for f in range(d):
                x[q, f] = x_all[idx[q], f]
                xt[f, q] = x_all[idx[q], f]
        keys = np.empty(m)
        moves = np.empty((m, 2), dtype=np.int64)
        best_j = np.empty(m, dtype=np.int64)
        # Integer weights: every sum of points is then an exact integer (see _Data), so sums
        # updated move by move are the sums recomputed from the labels, bit for bit, and the
        # recomputation can be skipped. Other weights recompute at every pass.
        exact = True
        for q in range(m):
            if w[q] != np.floor(w[q]):
                exact = False
        scratch = np.empty((4, m))
        lab = np.empty(m, dtype=np.int64)
        best_lab = np.empty(m, dtype=np.int64)
        own = np.empty(m)
        gain = np.empty(m)
        dist = np.empty((k, m))
        best_wss = np.inf
        for s in range(n_init):
            u = u_all[b * n_init + s]
            if random_init:  # one key per point of the full data set: the weighted ones'
                for q in range(m):
                    keys[q] = u[idx[q]]
                u = keys
            _seed_start(x, xt, w, u, k, trials, random_init, seeds, dist, scratch)
            valid[:] = False  # dist holds distances to the seeds, not to any cen
            for i in range(m):
                lab[i] = _nearest(dist, i)
                own[i] = dist[lab[i], i]
            converged = False
            current = False  # whether sums and mass are those of lab
            for _ in range(max_iter):
                if not current:
                    _cluster_sums(x, w, lab, sums, mass)
                reseeded = _fill_empty(lab, own, w, mass, k)
                if reseeded:
                    _cluster_sums(x, w, lab, sums, mass)
                _distances(xt, sums, mass, cen, dist, valid)
                n_moved = _lloyd_pass(lab, own, dist, moves, closer_tol, scratch[0], best_j)
                current = exact
                if exact:
                    for e in range(n_moved):
                        i, a = moves[e, 0], moves[e, 1]
                        mass[a] -= w[i]
                        mass[lab[i]] += w[i]
                        for f in range(d):
                            sums[a, f] -= w[i] * x[i, f]
                            sums[lab[i], f] += w[i] * x[i, f]
                if n_moved > 0 or reseeded:
                    continue
                total = _gains(w, lab, own, dist, mass, gain, dp, scratch[0])
                tol = transfer_tol * total / m
                if not _hartigan_sweep(x, w, lab, sums, mass, gain, tol, sweep_cap, dp):
                    converged = True
                    break
            if not converged:  # max_iter cut it: the distances of its final labels
                _cluster_sums(x, w, lab, sums, mass)
                if _fill_empty(lab, own, w, mass, k):
                    _cluster_sums(x, w, lab, sums, mass)
                _distances(xt, sums, mass, cen, dist, valid)
                for i in range(m):
                    own[i] = dist[lab[i], i]
            wss = 0.0
            for i in range(m):
                wss += w[i] * own[i]
            if s == 0 or wss < best_wss:
                best_wss = wss
                best_lab[:] = lab
        # Number clusters by first appearance among the weighted points.
        rank[:] = -1
        nxt = 0
        for q in range(m):
            if rank[best_lab[q]] < 0:
                rank[best_lab[q]] = nxt
                nxt += 1
        for j in range(k):
            if rank[j] < 0:
                rank[j] = nxt
                nxt += 1
        for q in range(m):
            out[b, idx[q]] = rank[best_lab[q]]
        if m == n:
            continue
        # Weight-0 points: the nearest final centre of the chosen start.
        _cluster_sums(x, w, best_lab, sums, mass)
        valid[:] = False
        _distances(xt_all, sums, mass, cen, full, valid)
        for i in range(n):
            if not w_full[i] > 0:
                out[b, i] = rank[_nearest(full, i)]
