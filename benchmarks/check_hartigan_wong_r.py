"""Cross-check our Hartigan-Wong k-means against R's ``kmeans``, same data, same starts.

Run from the project root: ``python benchmarks/check_hartigan_wong_r.py [--starts 200]``.

For every data set below, k = 2..6 and ``--starts`` seed sets (k distinct rows drawn by numpy,
shared by both sides), R runs ``kmeans(x, centers = x[seeds, ], iter.max = m, algorithm =
"Hartigan-Wong")`` for m = 1, 10 and 100 (1 to exercise non-convergence) and we run
``hartigan_wong(X, X[seeds], m)``. The data go to R as CSV written with 17 significant
digits (exact round trip of float64) and the WSS come back the same way. Printed: per data
set the share of runs with identical labels (same numbering: cluster l grows from initial
centre l on both sides), identical partitions (up to renaming), WSS bit for bit and within
1e-9 relative, and equal ``iter`` / ``ifault``; then every mismatch, then CPU time per start
(ours, and R's ``system.time`` over the same starts, of ``kmeans`` and of its Fortran called
alone), and numba's cold compile and warm cache load measured in fresh processes. The quick-transfer
cap (R's ifault 4), which ``kmeans`` sets at 50 n steps and these data never reach, is checked
apart: R's Fortran called directly with a cap of 3 n / 2, against our kernel with the same.
Last, no R: how often Hartigan-Wong ends above Lloyd from the same start (synthetic mixtures).

Data sets: ``synthetic-*`` are generated here (Gaussian blobs, an overlapping mixture, uniform
noise, and integer points with many exact ties and repeated points); ``bundled-2021`` is the
benchmark matrix of ``bench_clusterboot.py`` (the bundled data's 2021 indicators, 80 regions x
20 scored indicators, z-scores); ``reference-15`` is the small case whose R labels
``tests/test_hartigan_wong.py`` embeds, re-derived here.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from border_readiness.clustering.stability._hartigan_wong import (
    hartigan_wong,
    hartigan_wong_batched,
)

_HERE = Path(__file__).resolve().parent
ONE_THREAD = {v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
KS = (2, 3, 4, 5, 6)
ITERS = (1, 10, 100)  # 1: most k > 2 runs stop unconverged (R: ifault 2)

# The reference case of tests/test_hartigan_wong.py: 15 points in the plane, typed by hand.
REFERENCE = np.array(
    [[0, 0], [1, 0], [0, 1], [5, 5], [6, 5], [5, 6], [10, 0], [11, 1], [10, 1], [2, 2],
     [8, 3], [3, 8], [7, 7], [1, 9], [9, 9]],
    dtype=float,
)  # fmt: skip
REFERENCE_SEEDS = (1, 2, 9)  # 0-based; R's x[c(2, 3, 10), ]

R_SCRIPT = r"""
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]; names <- strsplit(args[2], ",")[[1]]
ks <- as.integer(strsplit(args[3], ",")[[1]]); iters <- as.integer(strsplit(args[4], ",")[[1]])
out <- file(file.path(dir, "r_out.txt"), "w")
for (nm in names) {
  x <- as.matrix(read.csv(file.path(dir, paste0(nm, "_X.csv")), header = FALSE))
  for (k in ks) {
    seeds <- as.matrix(read.csv(file.path(dir, sprintf("%s_k%d.csv", nm, k)), header = FALSE))
    for (m in iters) for (s in seq_len(nrow(seeds))) {
      r <- withCallingHandlers(
        kmeans(x, centers = x[seeds[s, ], , drop = FALSE], iter.max = m,
               algorithm = "Hartigan-Wong"),
        warning = function(w) invokeRestart("muffleWarning"))
      writeLines(paste(nm, k, m, s, r$ifault, r$iter,
                       paste(sprintf("%.17g", r$withinss), collapse = ";"),
                       paste(r$cluster, collapse = ";")), out)
    }
  }
}
close(out)
# The quick-transfer cap (R's ifault 4): kmeans() always passes 50 m, which these data never
# reach, so the Fortran is called as kmeans() calls it but with a cap of 3 m / 2 steps.
out <- file(file.path(dir, "r_capped.txt"), "w")
for (nm in names) {
  x <- as.matrix(read.csv(file.path(dir, paste0(nm, "_X.csv")), header = FALSE))
  storage.mode(x) <- "double"  # as kmeans() does: integer-valued CSVs read as integers
  m <- nrow(x); p <- ncol(x); cap <- (3L * m) %/% 2L
  for (k in ks) {
    seeds <- as.matrix(read.csv(file.path(dir, sprintf("%s_k%d.csv", nm, k)), header = FALSE))
    for (s in seq_len(nrow(seeds))) {
      z <- .Fortran(stats:::C_kmns, x, m, p, centers = x[seeds[s, ], , drop = FALSE], k,
                    c1 = integer(m), c2 = integer(m), nc = integer(k), double(k), double(k),
                    ncp = integer(k), D = double(m), iTran = c(cap, integer(k)),
                    live = integer(k), iter = 10L, wss = double(k), ifault = 0L)
      writeLines(paste(nm, k, 10L, s, z$ifault, z$iter,
                       paste(sprintf("%.17g", z$wss), collapse = ";"),
                       paste(z$c1, collapse = ";")), out)
    }
  }
}
close(out)
# Timing: every start of the timed data set and k, repeated, user + sys CPU seconds.
x <- as.matrix(read.csv(file.path(dir, "timing_X.csv"), header = FALSE))
storage.mode(x) <- "double"
seeds <- as.matrix(read.csv(file.path(dir, "timing_seeds.csv"), header = FALSE))
reps <- as.integer(args[5])
t <- system.time(for (r in seq_len(reps)) for (s in seq_len(nrow(seeds)))
  kmeans(x, centers = x[seeds[s, ], , drop = FALSE], iter.max = 10L))
cat("CPU", t[["user.self"]] + t[["sys.self"]], reps * nrow(seeds), "\n")
# The Fortran alone, called as kmeans() calls it, without kmeans()'s R-level checks.
m <- nrow(x); p <- ncol(x); k <- ncol(seeds)
qtran <- as.integer(min(.Machine$integer.max, 50 * m))
t <- system.time(for (r in seq_len(reps)) for (s in seq_len(nrow(seeds)))
  .Fortran(stats:::C_kmns, x, m, p, centers = x[seeds[s, ], , drop = FALSE], k,
           c1 = integer(m), c2 = integer(m), nc = integer(k), double(k), double(k),
           ncp = integer(k), D = double(m), iTran = c(qtran, integer(k)), live = integer(k),
           iter = 10L, wss = double(k), ifault = 0L))
cat("FORTRAN", t[["user.self"]] + t[["sys.self"]], reps * nrow(seeds), "\n")
"""

COLD = r"""
import time
t0 = time.process_time()
import numpy as np
from border_readiness.clustering.stability._hartigan_wong import (
    hartigan_wong, hartigan_wong_batched)
X = np.random.default_rng(0).normal(size=(30, 3))
t1 = time.process_time()
import numba  # noqa: F401  (its import is timed apart from compiling)
t15 = time.process_time()
hartigan_wong(X, X[:3])
t2 = time.process_time()
hartigan_wong_batched(X[None], np.array([[0, 1, 2]]))
t3 = time.process_time()
print(t15 - t1, t2 - t15, t3 - t2)
"""


def _load_bench_clusterboot():
    spec = importlib.util.spec_from_file_location(
        "bench_clusterboot", _HERE / "bench_clusterboot.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _kernel_module():
    # The kernel itself, to set the quick-transfer cap that kmeans() fixes at 50 n.
    from border_readiness.clustering.stability import _hartigan_wong_kernel

    return _hartigan_wong_kernel


def above_lloyd(n_sets: int = 40, starts: int = 10) -> tuple[int, int]:
    """Starts where Hartigan-Wong ends above Lloyd's WSS from the same initial centres.

    Synthetic mixtures as in tests/test_hartigan_wong.py (60 x 3, 5 overlapping centres),
    ``starts`` random starts per k = 2..6; Lloyd is scikit-learn's, run to a fixed point.
    """
    from sklearn.cluster import KMeans

    worse = total = 0
    for seed in range(n_sets):
        rng = np.random.default_rng(seed)
        X = rng.normal(size=(5, 3))[np.arange(60) % 5] + rng.normal(size=(60, 3))
        for k in KS:
            for _ in range(starts):
                start = X[rng.choice(len(X), k, replace=False)]
                lloyd = KMeans(k, init=start, n_init=1, algorithm="lloyd", max_iter=300, tol=0)
                _, wss, _, _ = hartigan_wong(X, start, 100)
                worse += wss.sum() > lloyd.fit(X).inertia_ * (1 + 1e-12)
                total += 1
    return worse, total


def datasets() -> dict[str, np.ndarray]:
    """The data sets compared, each (n, d) float64; all but two are synthetic (see above)."""
    rng = np.random.default_rng(20261203)
    cb = _load_bench_clusterboot()
    blobs = cb.synthetic_matrix(80, 20, seed=0).to_numpy()
    centres = rng.normal(0.0, 1.0, size=(5, 4))  # close centres: the clusters overlap
    overlap = centres[np.arange(150) % 5] + rng.normal(size=(150, 4))
    uniform = rng.uniform(size=(120, 2))
    ties = rng.integers(0, 6, size=(60, 3)).astype(float)  # repeated points, equal distances
    return {
        "synthetic-blobs-80x20": blobs,
        "synthetic-overlap-150x4": overlap,
        "synthetic-uniform-120x2": uniform,
        "synthetic-ties-60x3": ties,
        "bundled-2021-80x20": cb.real_matrix(80, 20).to_numpy(dtype=float),
        "reference-15": REFERENCE,
    }


def draw_seeds(X: np.ndarray, k: int, starts: int, rng: np.random.Generator) -> np.ndarray:
    """``starts`` sets of k row indices naming k distinct points (R refuses equal centres)."""
    out = []
    while len(out) < starts:
        s = rng.choice(len(X), size=k, replace=False)
        if len(np.unique(X[s], axis=0)) == k:
            out.append(s)
    return np.array(out, dtype=np.int64)


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal up to renaming the clusters: the pairs (a_i, b_i) form a one-to-one map."""
    pairs = set(zip(a.tolist(), b.tolist(), strict=True))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=200, help="seed sets per data set and k")
    parser.add_argument("--timing-reps", type=int, default=10)
    args = parser.parse_args()
    if shutil.which("Rscript") is None:
        sys.exit("Rscript is not on PATH: nothing to compare against")

    data = datasets()
    rng = np.random.default_rng(13)
    seeds = {(nm, k): draw_seeds(X, k, args.starts, rng) for nm, X in data.items() for k in KS}
    seeds[("reference-15", 3)][0] = REFERENCE_SEEDS  # the tests' case is the first start
    timing_name, timing_k = "bundled-2021-80x20", 5

    with tempfile.TemporaryDirectory() as tmp:
        for nm, X in data.items():
            np.savetxt(os.path.join(tmp, f"{nm}_X.csv"), X, delimiter=",", fmt="%.17g")
            for k in KS:
                np.savetxt(os.path.join(tmp, f"{nm}_k{k}.csv"), seeds[(nm, k)] + 1, "%d", ",")
        np.savetxt(os.path.join(tmp, "timing_X.csv"), data[timing_name], delimiter=",", fmt="%.17g")
        np.savetxt(
            os.path.join(tmp, "timing_seeds.csv"), seeds[(timing_name, timing_k)] + 1, "%d", ","
        )
        script = os.path.join(tmp, "check.R")
        Path(script).write_text(R_SCRIPT)
        t0 = time.perf_counter()
        proc = subprocess.run(
            ["Rscript", script, tmp, ",".join(data), ",".join(map(str, KS)),
             ",".join(map(str, ITERS)), str(args.timing_reps)],
            capture_output=True, text=True, check=True, env={**os.environ, **ONE_THREAD},
        )  # fmt: skip
        r_wall = time.perf_counter() - t0
        r_lines = Path(tmp, "r_out.txt").read_text().splitlines()
        capped_lines = Path(tmp, "r_capped.txt").read_text().splitlines()
    r_cpu, r_calls = proc.stdout.split("CPU", 1)[1].split()[:2]
    r_per_start = float(r_cpu) / int(r_calls)
    f_cpu, f_calls = proc.stdout.split("FORTRAN", 1)[1].split()[:2]
    fortran_per_start = float(f_cpu) / int(f_calls)

    stats: dict[str, np.ndarray] = {}
    mismatches = []
    unconverged: dict[int, int] = {}
    for line in r_lines:
        nm, k, m, s, ifault, r_iter, r_wss, r_cl = line.split(" ")
        k, m, s = int(k), int(m), int(s) - 1
        X = data[nm]
        r_wss = np.array([float(v) for v in r_wss.split(";")])
        r_labels = np.array([int(v) - 1 for v in r_cl.split(";")])
        labels, wss, iterations, converged = hartigan_wong(X, X[seeds[(nm, k)][s]], m)
        rel = np.max(np.abs(wss - r_wss) / np.maximum(np.abs(r_wss), 1e-300))
        row = np.array(
            [
                np.array_equal(labels, r_labels),
                same_partition(labels, r_labels),
                np.array_equal(wss, r_wss),
                rel <= 1e-9,
                iterations == int(r_iter) and converged == (int(ifault) == 0),
                not converged,
            ],
            dtype=float,
        )
        stats.setdefault(nm, []).append(row)
        unconverged[m] = unconverged.get(m, 0) + (not converged)
        if not row[:5].all():
            mismatches.append(
                f"  {nm} k={k} iter.max={m} start {s}: labels equal {bool(row[0])}, "
                f"WSS rel diff {rel:.3g}, iter ours {iterations} R {r_iter}, "
                f"converged ours {converged} R ifault {ifault}"
            )
    # The capped runs: our kernel with the same cap, compared the same way.
    kernel = _kernel_module()
    capped_same, capped_hit = 0, 0
    for line in capped_lines:
        nm, k, m, s, ifault, r_iter, r_wss, r_cl = line.split(" ")
        k, m, s = int(k), int(m), int(s) - 1
        X = np.ascontiguousarray(data[nm])
        labels, wss = np.empty(len(X), dtype=np.int64), np.empty(k)
        centres = X[seeds[(nm, k)][s]].copy()
        iterations, fault = kernel.kmns(X, centres, m, 3 * len(X) // 2, labels, wss)
        same = (
            np.array_equal(labels + 1, [int(v) for v in r_cl.split(";")])
            and wss.tolist() == [float(v) for v in r_wss.split(";")]
            and (iterations, fault) == (int(r_iter), int(ifault))
        )
        capped_same += same
        capped_hit += int(ifault) == 4
        if not same:
            mismatches.append(f"  capped {nm} k={k} start {s}: ifault ours {fault} R {ifault}")
    header = "labels  partition  WSS-exact  WSS-1e-9  iter/ifault  not-converged  runs"
    print(f"{'data set':<26}{header}")
    total = []
    for nm, rows in stats.items():
        rows = np.array(rows)
        total.append(rows)
        shares = "  ".join(f"{v:9.3f}" for v in rows.mean(axis=0))
        print(f"{nm:<26}{shares}  {len(rows)}")
    everything = np.concatenate(total)
    print(f"mismatches: {len(mismatches)}")
    print("\n".join(mismatches[:20]))

    # Our CPU time per start on the same starts as R's timing (one thread, no Python loop
    # around the kernel in the batched form: one data set per start, as a consensus batch).
    X = data[timing_name]
    tseeds = seeds[(timing_name, timing_k)]
    hartigan_wong_batched(X[None], tseeds[:1])  # compile or load outside the timing
    t0 = time.process_time()
    for _ in range(args.timing_reps):
        for s in tseeds:
            hartigan_wong(X, X[s], 10)
    ours_single = (time.process_time() - t0) / (args.timing_reps * len(tseeds))
    Xb = np.broadcast_to(X, (len(tseeds), *X.shape))
    t0 = time.process_time()
    for _ in range(args.timing_reps):
        hartigan_wong_batched(Xb, tseeds, 10)
    ours_batched = (time.process_time() - t0) / (args.timing_reps * len(tseeds))

    def first_calls(cache: str) -> list[float]:
        env = {**os.environ, **ONE_THREAD, "NUMBA_CACHE_DIR": cache}
        out = subprocess.run(
            [sys.executable, "-c", COLD], capture_output=True, text=True, check=True, env=env
        )
        return [float(v) for v in out.stdout.split()]

    with tempfile.TemporaryDirectory() as cache:
        cold = first_calls(cache)
        warm = first_calls(cache)

    print(f"R side: {len(r_lines)} kmeans calls in {r_wall:.1f} s wall")
    print(f"timing on {timing_name}, k = {timing_k}, iter.max 10, {len(tseeds)} starts")
    print(f"hartigan-wong/R identical labels: {everything[:, 0].mean():.4f}")
    print(f"hartigan-wong/R identical partitions: {everything[:, 1].mean():.4f}")
    print(f"hartigan-wong/R WSS bit-identical: {everything[:, 2].mean():.4f}")
    print(f"hartigan-wong/R WSS within 1e-9 relative: {everything[:, 3].mean():.4f}")
    print(f"hartigan-wong/R same iter and ifault: {everything[:, 4].mean():.4f}")
    print(f"runs compared: {len(everything)}")
    print(f"capped quick transfer (3 n / 2 steps): {len(capped_lines)} runs, {capped_hit} hit it")
    print(f"hartigan-wong/R identical under the cap: {capped_same / len(capped_lines):.4f}")
    for m in ITERS:
        runs = len(everything) // len(ITERS)
        print(f"runs not converged at iter.max {m}: {unconverged[m]} of {runs}")
    worse, total = above_lloyd()
    print(f"starts where Hartigan-Wong ends above Lloyd (same start): {worse} of {total}")
    print(f"ours us per start (hartigan_wong, one call each): {ours_single * 1e6:.1f}")
    print(f"ours us per start (hartigan_wong_batched): {ours_batched * 1e6:.1f}")
    print(f"R kmeans us per start (system.time): {r_per_start * 1e6:.1f}")
    print(f"R .Fortran(C_kmns) alone us per start (system.time): {fortran_per_start * 1e6:.1f}")
    print(f"numba import CPU s: {cold[0]:.2f}")
    print(f"numba cold compile CPU s (hartigan_wong, then batched): {cold[1]:.2f}, {cold[2]:.2f}")
    print(
        f"numba warm cache load CPU s (hartigan_wong, then batched): {warm[1]:.3f}, {warm[2]:.3f}"
    )


if __name__ == "__main__":
    main()
