"""Time our k-means bootstrap Jaccard against fpc::clusterboot on 80 regions x 20 indicators.

Run from the project root: ``python benchmarks/bench_clusterboot.py [--k 3] [--B 1000]``.

The matrix is the bundled data's 2021 indicator matrix (the first 80 subjects, the first 20
scored columns, z-scores); ``--synthetic`` uses Gaussian blobs instead. Where ``Rscript`` is on
PATH and ``library(fpc)`` loads, the same matrix goes to R through a temporary CSV and
``clusterboot(X, B, clustermethod=kmeansCBI, krange=k, runs=n_init, count=FALSE)`` is timed
inside R with ``system.time``. Clusters are matched between the two original partitions by
Hungarian matching on their overlap, since label numbers differ; both partitions are computed
independently (each tool clusters the data itself), so their ARI is printed too.

Targets (issue): ours at least 5x faster, per-cluster mean Jaccard within 0.05 of clusterboot's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score

from border_readiness.clustering.stability import bootstrap_jaccard

# A clusterboot method whose first call (the full data) returns the partition ``given`` and
# whose every bootstrap call is plain kmeansCBI: clusterboot then scores our partition.
# bench_stability_r.py uses it too.
R_GIVEN_PARTITION = r"""
given_partition <- function(given) {
  first <- TRUE
  function(data, krange, runs, ...) {
    if (first) {
      first <<- FALSE
      return(list(result = NULL, nc = max(given), partition = given,
                  clusterlist = lapply(seq_len(max(given)), function(i) given == i),
                  clustermethod = "given"))
    }
    kmeansCBI(data, krange = krange, runs = runs, ...)
  }
}
"""

R_SCRIPT = r"""
suppressPackageStartupMessages(library(fpc))
args <- commandArgs(trailingOnly = TRUE)
X <- as.matrix(read.csv(args[1], row.names = 1, check.names = FALSE))
k <- as.integer(args[2]); B <- as.integer(args[3]); runs <- as.integer(args[4])
seed <- as.integer(args[5])
method <- kmeansCBI
if (length(args) >= 6) {
  # Same original partition as ours.
  method <- given_partition(as.integer(strsplit(args[6], ",")[[1]]))
}
t <- system.time(cb <- clusterboot(X, B = B, clustermethod = method, krange = k,
                                   runs = runs, count = FALSE, seed = seed))
cat("ELAPSED", t[["elapsed"]], "\n")
cat("BOOTMEAN", format(cb$bootmean, digits = 17), "\n")
cat("BOOTBRD", cb$bootbrd, "\n")
cat("BOOTRECOVER", cb$bootrecover, "\n")
cat("PARTITION", cb$partition, "\n")
"""


def real_matrix(n_regions: int = 80, n_indicators: int = 20) -> pd.DataFrame:
    """The first scored indicators of the first subjects, 2021, as z-scores."""
    from border_readiness.features.dataset import load_dataset
    from border_readiness.features.indicators import compile_indicators

    compiled = compile_indicators(load_dataset(), year=2021)
    levels = compiled.levels
    scored = [c for c in compiled.matrix.columns if levels[c] != "context"][:n_indicators]
    X = compiled.matrix[scored].iloc[:n_regions]
    return (X - X.mean()) / X.std(ddof=1)  # R's scale(): sd with n - 1


def synthetic_matrix(n_regions: int = 80, n_indicators: int = 20, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 1.5, size=(3, n_indicators))
    X = centres[np.arange(n_regions) % 3] + rng.normal(size=(n_regions, n_indicators))
    return pd.DataFrame(
        X,
        index=[f"R{i:02d}" for i in range(n_regions)],
        columns=[f"ind{j:02d}" for j in range(n_indicators)],
    )


def r_available() -> bool:
    if shutil.which("Rscript") is None:
        return False
    probe = subprocess.run(
        ["Rscript", "-e", "suppressPackageStartupMessages(library(fpc))"],
        capture_output=True,
        text=True,
    )
    return probe.returncode == 0


def run_clusterboot(
    X: pd.DataFrame, k: int, B: int, runs: int, seed: int, partition: np.ndarray | None = None
) -> dict:
    """Clusterboot on X; with ``partition`` (codes 0..k-1) as the original clustering."""
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "X.csv")
        script = os.path.join(tmp, "bench.R")
        X.to_csv(data, float_format="%.17g")
        Path(script).write_text(R_GIVEN_PARTITION + R_SCRIPT)
        out = subprocess.run(
            ["Rscript", script, data, str(k), str(B), str(runs), str(seed)]
            + ([] if partition is None else [",".join(str(int(c) + 1) for c in partition)]),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    fields = {}
    for line in out.splitlines():
        key, *values = line.split()
        fields[key] = values
    return {
        "elapsed": float(fields["ELAPSED"][0]),
        "bootmean": np.array(fields["BOOTMEAN"], dtype=float),
        "bootbrd": np.array(fields["BOOTBRD"], dtype=int),
        "bootrecover": np.array(fields["BOOTRECOVER"], dtype=int),
        "partition": np.array(fields["PARTITION"], dtype=int) - 1,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--B", type=int, default=1000)
    parser.add_argument("--n-init", type=int, default=10)
    parser.add_argument(
        "--n-jobs", type=int, default=os.cpu_count(), help="also time with this many workers"
    )
    parser.add_argument("--repeat", type=int, default=3, help="timings keep the best of these")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--synthetic", action="store_true", help="Gaussian blobs, not the data")
    args = parser.parse_args()

    X = synthetic_matrix() if args.synthetic else real_matrix()
    source = "synthetic blobs" if args.synthetic else "bundled data 2021, z-scores"
    print(f"matrix: {X.shape[0]} regions x {X.shape[1]} indicators ({source})")

    def timed(n_jobs: int | None):
        kwargs = dict(k=args.k, n_init=args.n_init, random_state=args.seed, n_jobs=n_jobs)
        # Warm-up outside the timing: imports and joblib's worker start-up are not the method.
        bootstrap_jaccard(X, B=20, batch_size=5, **kwargs)
        best, result = np.inf, None
        for _ in range(args.repeat):
            start = time.perf_counter()
            result = bootstrap_jaccard(X, B=args.B, **kwargs)
            best = min(best, time.perf_counter() - start)
        print(
            f"ours: bootstrap_jaccard(method='kmeans', k={args.k}, B={args.B}, "
            f"n_init={args.n_init}, n_jobs={n_jobs}): {best:.2f} s (best of {args.repeat})"
        )
        return best, result

    timings = {1: timed(1)}
    if args.n_jobs != 1:
        timings[args.n_jobs] = timed(args.n_jobs)
    ours = timings[1][1]
    for other in timings.values():  # the contract: the same numbers on any number of workers
        assert np.array_equal(other[1].jaccard, ours.jaccard, equal_nan=True)
    print(ours.to_frame().to_string())

    if not r_available():
        print("R/fpc not available: skipped")
        return

    theirs = run_clusterboot(X, args.k, args.B, args.n_init, args.seed)
    print(
        f"fpc::clusterboot(B={args.B}, clustermethod=kmeansCBI, krange={args.k}, "
        f"runs={args.n_init}): {theirs['elapsed']:.2f} s (R system.time, elapsed)"
    )
    for n_jobs, (seconds, _) in timings.items():
        print(
            f"speed ratio clusterboot / ours (n_jobs={n_jobs}): "
            f"{theirs['elapsed'] / seconds:.1f}x (target >= 5x)"
        )

    ours_labels = pd.factorize(ours.labels, sort=True)[0]
    ari = adjusted_rand_score(ours_labels, theirs["partition"])
    print(f"ARI between the two original partitions: {ari:.3f}")
    compare(ours, ours_labels, theirs, "each tool's own original partition")
    if ari < 1.0:
        # Jaccards of different partitions are not comparable: rerun clusterboot with ours.
        same = run_clusterboot(X, args.k, args.B, args.n_init, args.seed, ours_labels)
        compare(ours, ours_labels, same, "clusterboot given our original partition")


def compare(ours, ours_labels: np.ndarray, theirs: dict, title: str) -> None:
    """Per-cluster mean Jaccard side by side, clusters matched by Hungarian matching."""
    k_r = len(theirs["bootmean"])
    clusters = list(ours.clusters)
    overlap = pd.crosstab(ours_labels, theirs["partition"]).reindex(
        index=range(len(clusters)), columns=range(k_r), fill_value=0
    )
    rows, cols = linear_sum_assignment(-overlap.to_numpy())
    # clusterboot scores a cluster absent from a replicate as 0 where we record NaN.
    as_r = np.nanmean(np.nan_to_num(ours.jaccard, nan=0.0), axis=0)
    table = pd.DataFrame(
        {
            "ours_cluster": [clusters[r] for r in rows],
            "ours_size": ours.sizes.to_numpy()[rows],
            "r_cluster": cols + 1,
            "r_size": np.bincount(theirs["partition"], minlength=k_r)[cols],
            "overlap": overlap.to_numpy()[rows, cols],
            "ours_jaccard": ours.jaccard_mean.to_numpy()[rows],
            "ours_nan_as_0": as_r[rows],
            "clusterboot": theirs["bootmean"][cols],
        }
    )
    table["difference"] = table["ours_jaccard"] - table["clusterboot"]
    like_r = (table["ours_nan_as_0"] - table["clusterboot"]).abs().max()
    print(f"-- {title} (clusterboot {theirs['elapsed']:.2f} s)")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(
        f"max |difference| {table['difference'].abs().max():.3f}; scoring absent clusters 0 "
        f"as clusterboot does: {like_r:.3f} (target <= 0.05)"
    )


if __name__ == "__main__":
    main()
