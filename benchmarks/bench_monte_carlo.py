"""Time the Monte Carlo rank uncertainty on a realistic size: 85 regions x 24 indicators.

Run from the project root: ``python benchmarks/bench_monte_carlo.py [--replicates N]``.
The target is under 5 s for 10 000 replicates on two cores.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from border_readiness.features.composite import monte_carlo_ranks

LEVELS = ("transport_communication", "joint_projects", "social_services")


def synthetic(n_regions: int = 85, n_indicators: int = 24, seed: int = 0):
    """Lognormal indicators (skewed like regional statistics), 8 per level, a third reversed."""
    rng = np.random.default_rng(seed)
    columns = [f"ind{i:02d}" for i in range(n_indicators)]
    X = pd.DataFrame(
        rng.lognormal(mean=2.0, sigma=0.8, size=(n_regions, n_indicators)),
        index=[f"R{r:02d}" for r in range(n_regions)],
        columns=columns,
    )
    groups = pd.Series(
        [LEVELS[i * len(LEVELS) // n_indicators] for i in range(n_indicators)], index=columns
    )
    directions = pd.Series(np.where(np.arange(n_indicators) % 3 == 2, -1, 1), index=columns)
    reference = X.median()
    catalogue = pd.Series(rng.uniform(0.5, 2.0, n_indicators), index=columns)
    return X, directions, groups, reference, catalogue


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replicates", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--n-jobs", type=int, default=None)
    args = parser.parse_args()

    X, directions, groups, reference, catalogue = synthetic()
    start = time.perf_counter()
    result = monte_carlo_ranks(
        X,
        directions,
        groups,
        reference=reference,
        catalogue_weights=catalogue,
        n_replicates=args.replicates,
        batch_size=args.batch_size,
        n_jobs=args.n_jobs,
    )
    elapsed = time.perf_counter() - start
    print(
        f"monte_carlo_ranks: {X.shape[0]} regions x {X.shape[1]} indicators, "
        f"{args.replicates} replicates: {elapsed:.2f} s"
    )
    assert result.ranks.shape == (args.replicates, X.shape[0], len(LEVELS) + 1)

    for aggregations in (("arithmetic", "geometric"), ("arithmetic", "geometric", "copeland")):
        start = time.perf_counter()
        monte_carlo_ranks(
            X,
            directions,
            groups,
            reference=reference,
            catalogue_weights=catalogue,
            n_replicates=args.replicates,
            aggregations=aggregations,
        )
        print(
            f"  synthetic, aggregations {'+'.join(aggregations)}: "
            f"{time.perf_counter() - start:.2f} s"
        )

    # The bundled data as `border-readiness score --regions all` ranks it: 85 subjects.
    from border_readiness.features.dataset import load_dataset
    from border_readiness.features.indicators import compile_indicators, national_reference

    data = load_dataset()
    compiled = compile_indicators(data, year=2021)
    scored = compiled.weights.index[compiled.weights > 0]
    Xb = compiled.matrix[scored]
    start = time.perf_counter()
    monte_carlo_ranks(
        Xb,
        compiled.directions[scored],
        compiled.levels[scored],
        reference=national_reference(data, year=2021)[scored],
        catalogue_weights=compiled.weights[scored],
        n_replicates=args.replicates,
        aggregations=("arithmetic", "geometric", "copeland"),
    )
    print(
        f"  bundled 2021 data, {Xb.shape[0]} subjects x {Xb.shape[1]} indicators, all three "
        f"aggregations: {time.perf_counter() - start:.2f} s"
    )


if __name__ == "__main__":
    main()
