"""How each analysis step grows with the number of units: CPU seconds and peak memory.

SYNTHETIC DATA ONLY. Every figure here comes from Gaussian blobs generated in this script
(n units x 30 features, 5 blobs, seeded); nothing is read from or written to the project's data,
and no synthetic table is bundled. The units stand in for regions; the indicators have no
meaning.

Run from the project root::

    python benchmarks/bench_scale.py                      # 100, 1000, 10000, 100000 units
    python benchmarks/bench_scale.py --sizes 100,1000     # fewer sizes
    python benchmarks/bench_scale.py --steps bootstrap    # some steps only

Each (step, size) runs in a fresh Python process, so its peak resident memory is that step's
alone (the child's own ``ru_maxrss``), under an address-space limit (``RLIMIT_AS``, 16 GB by
default) and a CPU limit (``RLIMIT_CPU``, 300 s by default) as guards: a step that exceeds
either, or raises ``MemoryError``, is reported as failed at that size and the script goes on.
BLAS and OpenMP run on one thread in the children, so the CPU seconds are the work itself, not
spinning threads. CPU time (``time.process_time``) is measured around the step only (not the
imports or the data generation); memory is the process's peak, and the step's own share is
the peak minus the resident memory just before the step.

Where the work is replicated (Monte Carlo, bootstrap, consensus, permutations), large sizes
use fewer replicates so that the default run stays near half an hour on two cores; the
number used is printed, and CPU per replicate is what the growth exponent is fitted on.

The last lines are the headline figures, ``name: value``: per step the CPU and memory growth
exponents (least-squares slope of log CPU-per-replicate and log step memory on log n over the
sizes that finished) and the largest size that finished.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time

N_FEATURES = 30
N_BLOBS = 5
LEVELS = ("transport", "projects", "services")
SIZES = (100, 1000, 10_000, 100_000)

# Replicates per step and size (None: the step has none). Chosen to keep the default run near
# half an hour on two cores; a step's CPU exponent is fitted per replicate.
REPLICATES = {
    "scoring-arithmetic": {},
    "scoring-copeland": {},
    "montecarlo-arithmetic": {100: 10_000, 1000: 10_000, 10_000: 10_000, 100_000: 1000},
    "montecarlo-copeland": {100: 10_000, 1000: 500, 10_000: 5, 100_000: 1},
    "bootstrap": {100: 100, 1000: 100, 10_000: 20, 100_000: 4},
    "consensus": {100: 100, 1000: 50, 10_000: 5, 100_000: 1},
    "agreement": {100: 999, 1000: 999, 10_000: 999, 100_000: 199},
}
STEPS = tuple(REPLICATES)
# Consensus over k = 2..4: its matrices are n x n per k by definition (3 x 800 MB at 10,000).
CONSENSUS_K = range(2, 5)


def synthetic(n: int, seed: int = 0):
    """SYNTHETIC: n units x 30 features from 5 Gaussian blobs, and the blob of each unit."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 4.0, size=(N_BLOBS, N_FEATURES))
    blob = rng.integers(0, N_BLOBS, size=n)
    values = centres[blob] + rng.normal(size=(n, N_FEATURES))
    columns = [f"synthetic_{i:02d}" for i in range(N_FEATURES)]
    X = pd.DataFrame(values, index=[f"unit{i}" for i in range(n)], columns=columns)
    groups = pd.Series([LEVELS[i * len(LEVELS) // N_FEATURES] for i in range(N_FEATURES)], columns)
    directions = pd.Series(1, index=columns)
    return X, groups, directions, blob


def _run_step(step: str, n: int, reps: int | None) -> dict:
    """Set up the step's inputs, then time the step itself; return what was measured."""
    import numpy as np
    import pandas as pd

    X, groups, directions, blob = synthetic(n)
    weights = pd.Series(1.0, index=X.columns)
    if step.startswith("scoring"):
        from border_readiness.features.composite import aggregate, normalise

        method = step.split("-")[1]

        def work():
            Xn = normalise(X, "minmax", directions=directions)
            return aggregate(Xn, weights, groups, method)

    elif step.startswith("montecarlo"):
        from border_readiness.features.composite import monte_carlo_ranks

        method = step.split("-")[1]

        def work():
            return monte_carlo_ranks(
                X,
                directions,
                groups,
                n_replicates=reps,
                aggregations=(method,),
                random_state=0,
            ).ranks.shape

    elif step == "bootstrap":
        from border_readiness.clustering.stability import bootstrap_jaccard

        values = X.to_numpy()

        def work():
            return bootstrap_jaccard(values, blob, k=N_BLOBS, B=reps).jaccard_mean

    elif step == "consensus":
        from border_readiness.clustering.stability import consensus

        values = X.to_numpy()

        def work():
            return consensus(values, k_range=CONSENSUS_K, reps=reps).pac

    elif step == "agreement":
        from border_readiness.clustering.agreement import agreement

        # An "expert" typology that agrees with the blobs on 80 % of the units (synthetic).
        rng = np.random.default_rng(1)
        noisy = np.where(rng.random(n) < 0.8, blob, rng.integers(0, N_BLOBS, n))
        expert = pd.Series([f"type{c}" for c in noisy], index=X.index)
        clusters = pd.Series(blob, index=X.index)

        def work():
            return agreement(
                expert,
                clusters,
                n_permutations=reps,
                n_bootstrap=0,
                p_value_metrics=("ari", "ami"),
            ).p_values

    else:
        raise ValueError(f"unknown step {step!r}")

    before = _rss_mb()
    start = time.process_time()
    work()
    cpu = time.process_time() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB
    return {"cpu_s": cpu, "peak_mb": peak, "before_mb": before}


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")  # pragma: no cover - Linux only


def _child(step: str, n: int, reps: int | None) -> None:
    try:
        out = _run_step(step, n, reps)
    except MemoryError as exc:
        out = {"error": f"MemoryError {exc}".strip()}
    print("RESULT " + json.dumps(out), flush=True)


def _limits(mem_gb: float, cpu_s: int):
    def apply():
        limit = int(mem_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 5))

    return apply


def measure(step: str, n: int, mem_gb: float, cpu_s: int) -> dict:
    """Run one (step, size) in a fresh process under the limits; never raises."""
    reps = REPLICATES[step].get(n)
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    cmd = [sys.executable, __file__, "--child", step, str(n), str(reps or 0)]
    proc = subprocess.run(
        cmd, env=env, capture_output=True, text=True, preexec_fn=_limits(mem_gb, cpu_s)
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            out = json.loads(line[len("RESULT ") :])
            break
    else:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        if proc.returncode in (-24, -9) or "SIGXCPU" in tail:  # SIGXCPU / SIGKILL at the limit
            tail = f"CPU limit {cpu_s} s"
        elif "MemoryError" in proc.stderr or "Cannot allocate" in proc.stderr:
            tail = f"MemoryError under the {mem_gb:g} GB address-space limit"
        out = {"error": f"exit {proc.returncode}: {tail}"}
    out.update(step=step, n=n, replicates=reps)
    return out


def slope(xs, ys) -> float:
    """Least-squares slope of log(y) on log(x); NaN with fewer than two points."""
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys, strict=True) if y > 0]
    if len(pts) < 2:
        return float("nan")
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx


def _projected(done: list[dict], n: int, reps: int, key: str) -> float:
    """``key`` at size n, extrapolated on the last two sizes (growth at least linear)."""
    if len(done) < 2 or done[-2][key] <= 0 or done[-1][key] <= 0:
        return 0.0
    a, b = done[-2], done[-1]
    exponent = math.log(b[key] / a[key]) / math.log(b["n"] / a["n"])
    return b[key] * (n / b["n"]) ** max(exponent, 1.0) * (reps if key == "per_rep_s" else 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--steps", default=",".join(STEPS))
    parser.add_argument("--mem-gb", type=float, default=16.0, help="RLIMIT_AS per step")
    parser.add_argument("--cpu-limit", type=int, default=300, help="RLIMIT_CPU per step, s")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        step, n, reps = args.child
        _child(step, int(n), int(reps) or None)
        return

    sizes = [int(s) for s in args.sizes.split(",")]
    steps = [s for s in args.steps.split(",") if s]
    print(f"SYNTHETIC data: Gaussian blobs, n units x {N_FEATURES} features, {N_BLOBS} blobs")
    print(f"limits per step: {args.mem_gb:g} GB address space, {args.cpu_limit} CPU-s")
    print(
        f"{'step':24s} {'n':>7s} {'reps':>6s} {'cpu_s':>9s} {'per_rep_s':>10s} "
        f"{'peak_mb':>8s} {'step_mb':>8s}"
    )
    headline = []
    for step in steps:
        done = []
        failed_at = None
        for n in sizes:
            if failed_at is not None:
                print(f"{step:24s} {n:7d} skipped: failed at a smaller size")
                continue
            projected = _projected(done, n, REPLICATES[step].get(n) or 1, "per_rep_s")
            if projected > args.cpu_limit:
                # Not started: the fit over the sizes done says it would pass the CPU limit,
                # and running it only to be killed would spend the limit for nothing.
                failed_at = n
                print(
                    f"{step:24s} {n:7d} {REPLICATES[step].get(n) or '-'!s:>6s} NOT RUN: "
                    f"projected {projected:.0f} CPU-s > limit {args.cpu_limit} s "
                    f"(and {_projected(done, n, 1, 'step_mb') / 1024:.1f} GB)"
                )
                continue
            r = measure(step, n, args.mem_gb, args.cpu_limit)
            reps = r["replicates"] or 1
            if "error" in r:
                failed_at = n
                print(f"{step:24s} {n:7d} {r['replicates'] or '-'!s:>6s} FAILED: {r['error']}")
                continue
            r["per_rep_s"] = r["cpu_s"] / reps
            r["step_mb"] = max(r["peak_mb"] - r["before_mb"], 0.0)
            done.append(r)
            print(
                f"{step:24s} {n:7d} {r['replicates'] or '-'!s:>6s} {r['cpu_s']:9.2f} "
                f"{r['per_rep_s']:10.4g} {r['peak_mb']:8.0f} {r['step_mb']:8.0f}",
                flush=True,
            )
        ns = [r["n"] for r in done]
        cpu_exp = slope(ns, [r["per_rep_s"] for r in done])
        # Memory below 1 MB is within the noise of the allocator: floored there.
        mem_exp = slope(ns, [max(r["step_mb"], 1.0) for r in done])
        # The slope over the last decade of n: fixed costs weigh least there.
        last = slope(ns[-2:], [r["per_rep_s"] for r in done[-2:]])
        headline += [
            f"scale/{step} cpu exponent: {cpu_exp:.2f}",
            f"scale/{step} cpu exponent last decade: {last:.2f}",
            f"scale/{step} memory exponent: {mem_exp:.2f}",
            f"scale/{step} max n: {max(ns) if ns else 0}",
        ]
        if failed_at is not None:
            headline.append(f"scale/{step} failed or not run at n: {failed_at}")
    for line in headline:
        print(line)


if __name__ == "__main__":
    main()
