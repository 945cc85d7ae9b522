"""One root seed for an experiment, split into one independent seed per analysis step.

``numpy.random.SeedSequence(root).spawn`` gives each step its own stream, so the Monte Carlo
does not reuse the bootstrap's random numbers and changing the number of replicates of one
step leaves every other step's numbers unchanged. The seeds of the earlier configs stay
accepted as overrides: ``[score].random_state`` sets the Monte Carlo and Sobol' seeds, and
``[cluster].seed`` (or a command's ``--seed``) the clustering, bootstrap, consensus,
permutation and surrogate seeds, as before (and the structure test's, a clustering step).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

__all__ = ["STEPS", "StepSeeds", "step_seeds"]

#: The steps that draw random numbers, in the order their seeds are spawned (do not reorder:
#: the order fixes which child seed each step gets).
STEPS = (
    "monte_carlo",
    "sobol",
    "clustering",
    "bootstrap",
    "consensus",
    "permutations",
    "surrogate",
    "umap",
    "structure",
)


@dataclass(frozen=True)
class StepSeeds:
    """The seed of every random step of an experiment.

    Examples
    --------
    >>> s = step_seeds(0)
    >>> s.monte_carlo != s.bootstrap
    True
    >>> step_seeds(0, cluster_seed=7).bootstrap
    7
    """

    root: int
    monte_carlo: int
    sobol: int
    clustering: int
    bootstrap: int
    consensus: int
    permutations: int
    surrogate: int
    umap: int
    structure: int

    def to_dict(self) -> dict[str, int]:
        """The seeds by step name, ``root`` first (as logged to MLflow and the card).

        Returns
        -------
        dict of str to int
            Field name -> seed, in field order.
        """
        return {f.name: getattr(self, f.name) for f in fields(self)}


def step_seeds(
    root: int, *, score_seed: int | None = None, cluster_seed: int | None = None
) -> StepSeeds:
    """Split ``root`` into one seed per step (:data:`STEPS`), with the old seeds as overrides.

    Parameters
    ----------
    root : int
        The experiment's seed (``seed`` at the top of a config, ``--seed`` on the command
        line), >= 0.
    score_seed : int, optional
        ``[score].random_state``: if given, the Monte Carlo and Sobol' seed.
    cluster_seed : int, optional
        ``[cluster].seed``: if given, the seed of clustering, bootstrap, consensus,
        permutations and surrogate.

    Returns
    -------
    StepSeeds
    """
    if not (isinstance(root, (int, np.integer)) and not isinstance(root, bool) and root >= 0):
        raise ValueError(f"seed must be an integer >= 0, got {root!r}")
    children = np.random.SeedSequence(int(root)).spawn(len(STEPS))
    seeds = {step: int(c.generate_state(1)[0]) for step, c in zip(STEPS, children, strict=True)}
    if score_seed is not None:
        seeds.update(monte_carlo=int(score_seed), sobol=int(score_seed))
    if cluster_seed is not None:
        for step in (
            "clustering",
            "bootstrap",
            "consensus",
            "permutations",
            "surrogate",
            "structure",
        ):
            seeds[step] = int(cluster_seed)
    return StepSeeds(root=int(root), **seeds)
