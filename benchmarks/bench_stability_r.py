"""Bootstrap and consensus stability against R, side by side on one core, at equal work.

Run from the project root: ``python benchmarks/bench_stability_r.py [--reps 1000] [--max-k 6]``.

The matrix is bench_clusterboot's: the bundled data's 2021 indicators (80 regions x 20 scored
indicators, z-scores); ``--synthetic`` uses its Gaussian blobs instead (synthetic, labelled so).
Every figure is CPU time (``time.process_time`` for ours, user + sys of R's ``system.time``),
ours under a one-thread BLAS/OpenMP limit and R started with one-thread environment variables.
Ours are warm: each timed function is called once untimed first (numba's k-means kernel is
compiled on a first run, about 8 s, and loaded from its cache after that, about 0.3 s).

* Bootstrap Jaccard (k-means, ``k``, ``n_init`` starts, B = 100 and 1000): ours
  ``bootstrap_jaccard`` against ``fpc::clusterboot(clustermethod = kmeansCBI, runs = n_init)``,
  both given OUR partition of the full data (clusterboot through a clustering method whose first
  call returns it), so that per-cluster Jaccards are comparable. Monte Carlo bound per cluster:
  2 sqrt(var_ours / B + var_R / B) of the per-replicate Jaccards (two independent means).
  The ratio times our shipped k-means++ starts; the Jaccards are compared like for like with
  ours run on R's uniform random starts (``init="random"``), k-means++ shown beside them
  (better optima, so more repeatable replicates and higher Jaccards, by design).
* Consensus (``reps`` subsamples, pItem 0.8, k = 2..max_k): ours ``consensus(scheme="ccp")``
  (one start of at most 10 iterations, as ConsensusClusterPlus's ``kmeans(..., iter.max = 10,
  nstart = 1)``) and ``consensus(method="ward")`` against ConsensusClusterPlus's resampling core
  ``ccRun`` with ``clusterAlg = "km"`` and ``"hc"`` with ``innerLinkage = "ward.D2"``, Euclidean
  distance (ccRun is what ``ConsensusClusterPlus()`` runs before its plots, which are not
  timed). PAC per k from both; its Monte Carlo bound is 2 sqrt(2) sd, sd the spread of our PAC
  over ``--mc-seeds`` further seeds (R's estimate has the same sd when the algorithm is the
  same). PAC is compared like for like: for k-means, ours with R's own algorithm from R's starts
  (``algorithm="hartigan-wong"``, ``init="random"``: a port of R's AS 136 that reproduces R's
  ``kmeans`` exactly from the same starts, see benchmarks/check_hartigan_wong_r.py); the shipped
  algorithm (k-means++, and with R's random starts) is timed and shown too, and its timing is
  the headline ratio. Besides the 2-sigma bound per k, the sum of squared z-scores of all
  like-for-like comparisons gives one chi-square p-value (Monte Carlo error alone exceeds some
  single 2-sigma bound in about 1 of 20 comparisons).

R is optional: without ``Rscript``, fpc or ConsensusClusterPlus the R side is skipped with a
message and only our timings are printed. The last lines are the headline figures.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import threadpool_limits

from border_readiness.clustering.stability import bootstrap_jaccard, consensus, kmeans_batched

_HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("bench_clusterboot", _HERE / "bench_clusterboot.py")
_cb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_cb)

ONE_THREAD = {v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}

R_SCRIPT = r"""
suppressPackageStartupMessages({library(fpc); library(ConsensusClusterPlus)})
args <- commandArgs(trailingOnly = TRUE)
mode <- args[1]
X <- as.matrix(read.csv(args[2], row.names = 1, check.names = FALSE))
cpu <- function(t) t[["user.self"]] + t[["sys.self"]] +
  sum(t[["user.child"]], t[["sys.child"]], na.rm = TRUE)
if (mode == "boot") {
  k <- as.integer(args[3]); B <- as.integer(args[4]); runs <- as.integer(args[5])
  seed <- as.integer(args[6])
  # clusterboot's first call clusters the full data: ours, given.
  method <- given_partition(as.integer(strsplit(args[7], ",")[[1]]))
  t <- system.time(cb <- clusterboot(X, B = B, clustermethod = method, krange = k,
                                     runs = runs, count = FALSE, seed = seed))
  cat("CPU", cpu(t), "\n")
  for (j in seq_len(nrow(cb$bootresult))) {
    cat("JACCARD", format(cb$bootresult[j, ], digits = 17), "\n")
  }
  km <- kmeansruns(X, krange = k, runs = runs)
  cat("WSS", sum(km$withinss), "\n")
} else {
  maxK <- as.integer(args[3]); reps <- as.integer(args[4]); alg <- args[5]
  set.seed(as.integer(args[6]))
  linkage <- if (alg == "hc") "ward.D2" else "average"
  t <- system.time(ml <- ConsensusClusterPlus:::ccRun(
    d = t(X), maxK = maxK, repCount = reps, diss = FALSE, pItem = 0.8, pFeature = 1,
    innerLinkage = linkage, distance = "euclidean", clusterAlg = alg, weightsItem = NULL,
    weightsFeature = NULL, verbose = FALSE, corUse = "everything"))
  cat("CPU", cpu(t), "\n")
  for (k in 2:maxK) {
    M <- ml[[k]]; M <- pmax(M, t(M))  # ccRun returns one triangle
    v <- M[upper.tri(M)]
    Fn <- ecdf(v)
    cat("PAC", k, format(Fn(0.9) - Fn(0.1), digits = 17), "\n")
  }
}
"""


def r_available() -> bool:
    """Whether Rscript runs and loads fpc and ConsensusClusterPlus."""
    if shutil.which("Rscript") is None:
        return False
    probe = subprocess.run(
        [
            "Rscript",
            "-e",
            "suppressPackageStartupMessages({library(fpc); library(ConsensusClusterPlus)})",
        ],
        capture_output=True,
        text=True,
    )
    return probe.returncode == 0


def run_r(X: pd.DataFrame, *args: str) -> dict[str, list[list[str]]]:
    """Run the R script in one mode; its output lines grouped by their first word."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp, "X.csv")
        script = Path(tmp, "bench.R")
        X.to_csv(data, float_format="%.17g")
        script.write_text(_cb.R_GIVEN_PARTITION + R_SCRIPT)
        out = subprocess.run(
            ["Rscript", str(script), args[0], str(data), *args[1:]],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, **ONE_THREAD},
        ).stdout
    fields: dict[str, list[list[str]]] = {}
    for line in out.splitlines():
        key, *values = line.split()
        fields.setdefault(key, []).append(values)
    return fields


def cpu(f, repeat: int):
    """Median CPU seconds of ``repeat`` calls of ``f`` on one thread, and the last result.

    One untimed call comes first, so that what is timed is warm: numba's compiled k-means
    loaded from its cache (or compiled, on a first run), imports done, caches filled.
    """
    times, result = [], None
    with threadpool_limits(limits=1):
        f()  # warm-up, untimed
        for _ in range(repeat):
            start = time.process_time()
            result = f()
            times.append(time.process_time() - start)
    return float(np.median(times)), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--B", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--n-init", type=int, default=10)
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--max-k", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=3, help="our timings: median of these")
    parser.add_argument("--mc-seeds", type=int, default=8, help="seeds for PAC's MC spread")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--synthetic", action="store_true", help="Gaussian blobs, not the data")
    args = parser.parse_args()

    X = _cb.synthetic_matrix() if args.synthetic else _cb.real_matrix()
    source = "SYNTHETIC Gaussian blobs" if args.synthetic else "bundled data 2021, z-scores"
    print(f"matrix: {X.shape[0]} regions x {X.shape[1]} indicators ({source}); one thread")
    have_r = r_available()
    if not have_r:
        print("Rscript with fpc and ConsensusClusterPlus not available: R side skipped")

    # Our partition of the full data, the one both bootstraps assess.
    labels, wss = kmeans_batched(
        X.to_numpy()[None],
        args.k,
        n_init=args.n_init,
        rng=np.random.default_rng(np.random.SeedSequence(args.seed)),
        return_inertia=True,
    )
    labels = labels[0]
    print(f"ours: k-means++ x {args.n_init} starts on the full data, WSS {wss[0]:.1f}")
    bootstrap_jaccard(X, labels, k=args.k, B=20, n_init=args.n_init)  # warm-up (imports)

    headline: dict[str, float] = {}
    jac_diff, jac_bound, jac_ok = 0.0, 0.0, True
    for B in args.B:
        runs = {}
        for init in ("k-means++", "random"):
            runs[init] = cpu(
                lambda B=B, init=init: bootstrap_jaccard(
                    X,
                    labels,
                    k=args.k,
                    B=B,
                    n_init=args.n_init,
                    random_state=args.seed,
                    init=init,
                ),
                args.repeat,
            )
        seconds = runs["k-means++"][0]
        line = (
            f"bootstrap B={B}: ours {seconds:.3f} CPU-s "
            f"(with R's random starts: {runs['random'][0]:.3f})"
        )
        if not have_r:
            print(line)
            headline[f"clusterboot ours cpu B={B}"] = seconds
            continue
        r = run_r(
            X,
            "boot",
            str(args.k),
            str(B),
            str(args.n_init),
            str(args.seed),
            ",".join(str(int(c) + 1) for c in labels),
        )
        r_cpu = float(r["CPU"][0][0])
        theirs = np.array(r["JACCARD"], dtype=float)  # (k, B), R's cluster order = ours
        print(
            f"{line}; fpc::clusterboot {r_cpu:.3f} CPU-s; ratio {r_cpu / seconds:.1f}x "
            f"(target >= 10x); R kmeansruns WSS {float(r['WSS'][0][0]):.1f}"
        )
        table = {"size": np.bincount(labels, minlength=args.k), "clusterboot": theirs.mean(1)}
        for init, (_, ours) in runs.items():
            mine = np.nan_to_num(ours.jaccard, nan=0.0).T  # clusterboot scores absent as 0
            diff = np.abs(mine.mean(axis=1) - theirs.mean(axis=1))
            bound = 2 * np.sqrt(mine.var(axis=1, ddof=1) / B + theirs.var(axis=1, ddof=1) / B)
            table.update({init: mine.mean(1), f"diff {init}": diff, f"MC bound {init}": bound})
            # Like for like is R's own seeding: the same algorithm, so only MC error remains.
            if init == "random" and max(args.B) == B:
                jac_diff, jac_bound = float(diff.max()), float(bound[diff.argmax()])
                jac_ok = bool((diff <= bound).all())
        print(
            pd.DataFrame(table).rename_axis("cluster").to_string(float_format=lambda v: f"{v:.4f}")
        )
        headline[f"clusterboot/ours B={B}"] = r_cpu / seconds

    ks = range(2, args.max_k + 1)
    pac_rows = []
    consensus_runs = [
        ("kmeans", "km", {"method": "kmeans", "init": "k-means++"}),
        ("kmeans", "km", {"method": "kmeans", "init": "random"}),
        # R's own algorithm from R's starts: the like-for-like PAC comparison.
        ("kmeans", "km", {"method": "kmeans", "init": "random", "algorithm": "hartigan-wong"}),
        ("hierarchical", "hc", {"method": "ward"}),
    ]
    r_pac = {}
    for name, alg, kwargs in consensus_runs:

        def call(seed=args.seed, kwargs=kwargs):
            return consensus(
                X, k_range=ks, reps=args.reps, p_item=0.8, scheme="ccp", random_state=seed, **kwargs
            )

        seconds, ours = cpu(call, args.repeat)
        spread = np.std(
            [call(args.seed + 100 + s).pac.to_numpy() for s in range(args.mc_seeds)], axis=0, ddof=1
        )
        options = [f"{k}={v}" for k, v in kwargs.items() if k != "method"]
        label = ", ".join([kwargs["method"], *options])
        line = f"consensus {label}, reps={args.reps}, k=2..{args.max_k}: ours {seconds:.3f} CPU-s"
        if not have_r:
            print(line)
            headline.setdefault(f"ccp ours cpu {name}", seconds)
            continue
        if alg not in r_pac:
            r = run_r(X, "ccp", str(args.max_k), str(args.reps), alg, str(args.seed))
            r_pac[alg] = (float(r["CPU"][0][0]), np.array([float(v[1]) for v in r["PAC"]]))
        r_cpu, theirs = r_pac[alg]
        print(
            f"{line}; ConsensusClusterPlus {alg} {r_cpu:.3f} CPU-s; ratio "
            f"{r_cpu / seconds:.1f}x (target >= 5x)"
        )
        headline.setdefault(f"ccp/ours {name}", r_cpu / seconds)
        # Same algorithm and starts as R: Hartigan-Wong from random points, or Ward's tree.
        like_for_like = name == "hierarchical" or kwargs.get("algorithm") == "hartigan-wong"
        for k, a, b, s in zip(ks, ours.pac.to_numpy(), theirs, spread, strict=True):
            pac_rows.append(
                {
                    "ours": label,
                    "k": k,
                    "pac ours": a,
                    "pac R": b,
                    "abs diff": abs(a - b),
                    "MC bound": 2 * np.sqrt(2) * s,
                    "like for like": like_for_like,
                }
            )
    if not have_r:
        for key, value in headline.items():
            print(f"{key}: {value:.3f}")
        return
    pac = pd.DataFrame(pac_rows)
    print(pac.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    same = pac[pac["like for like"]]
    worst = same["abs diff"].idxmax()
    within = int((same["abs diff"] <= same["MC bound"]).sum())
    # Each difference over its standard error (the bound is two of them): under "same
    # estimand, different random streams" the sum of squares is chi-square with one degree of
    # freedom per comparison, so one p-value says whether the differences are Monte Carlo
    # error (about 1 in 20 single 2-sigma bounds is exceeded by chance alone).
    z = same["abs diff"] / (same["MC bound"] / 2)
    chi2_p = float(stats.chi2.sf(float((z**2).sum()), df=len(z)))
    print(
        f"Jaccard within MC bound for every cluster: {jac_ok}; PAC within its 2-sigma bound "
        f"(like for like): {within} of {len(same)}; max |z| {z.max():.2f}; chi-square p "
        f"{chi2_p:.3f}"
    )
    for key, value in headline.items():
        print(f"{key}: {value:.1f}")
    print(f"jaccard max abs diff: {jac_diff:.4f}")
    print(f"jaccard mc bound at max: {jac_bound:.4f}")
    print(f"pac max abs diff: {same['abs diff'].max():.4f}")
    print(f"pac mc bound at max: {same.loc[worst, 'MC bound']:.4f}")
    print(f"pac within 2-sigma bound: {within}/{len(same)}")
    print(f"pac chi-square p: {chi2_p:.3f}")


if __name__ == "__main__":
    main()
