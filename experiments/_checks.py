"""Bounds of the numeric command-line options and config keys, checked when they are read.

One table, :data:`BOUNDS`, serves both the parser (``type=`` functions: argparse turns their
error into the one-line ``border-readiness: error: ... argument --k: ...``, exit 2) and
:func:`~border_readiness.experiments.config.load_experiment` (the config key named), so a
config and the command line refuse the same values. Above a warning threshold a replicate
count is accepted with a one-line warning and a rough estimate of the extra run time.
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import NamedTuple

from border_readiness.errors import UserInputError

__all__ = [
    "BOUNDS",
    "SEED_MAX",
    "DegenerateDataError",
    "bounded_int",
    "check_key",
    "check_spread",
    "share",
    "warn_if_slow",
]

#: The largest seed: scikit-learn's ``random_state`` takes seeds below 2**32.
SEED_MAX = 2**32 - 1


class _Bound(NamedTuple):
    """Allowed range of one option or key; ``warn`` and ``seconds`` estimate the run time."""

    low: int
    high: int
    warn: int | None = None
    #: Rough seconds per replicate on the 12 border regions (2 cores), for the warning.
    seconds: float = 0.0


#: option (without ``--``, dashes as underscores) -> bound; config keys map onto these below.
BOUNDS: dict[str, _Bound] = {
    "seed": _Bound(0, SEED_MAX),
    "year": _Bound(1990, 2035),
    "k": _Bound(2, 20),
    "bootstrap": _Bound(10, 100_000, warn=20_000, seconds=0.0003),
    "consensus_reps": _Bound(10, 100_000, warn=20_000, seconds=0.004),
    "structure_nulls": _Bound(19, 100_000, warn=20_000, seconds=0.004),
    "surrogate_null": _Bound(1, 10_000, warn=2_000, seconds=0.05),
    "permutations": _Bound(99, 1_000_000, warn=200_000, seconds=0.0002),
    "n_replicates": _Bound(100, 1_000_000, warn=200_000, seconds=0.0005),
    # Sobol' base sample: N·(d + 2) model evaluations.
    "sobol_n": _Bound(16, 65_536, warn=8_192, seconds=0.002),
}
#: config key -> option of :data:`BOUNDS`.
CONFIG_KEYS = {
    "seed": "seed",
    "cluster.seed": "seed",
    "score.random_state": "seed",
    "data.year": "year",
    "cluster.k": "k",
    "cluster.bootstrap": "bootstrap",
    "cluster.consensus_reps": "consensus_reps",
    "cluster.structure_nulls": "structure_nulls",
    "explain.surrogate_null": "surrogate_null",
    "validate.permutations": "permutations",
    "score.n_replicates": "n_replicates",
    "score.sobol_n": "sobol_n",
}


def _range(bound: _Bound) -> str:
    return f"an integer from {bound.low} to {bound.high}"


def bounded_int(option: str):
    """An argparse ``type=`` for the integer option ``option`` within its :data:`BOUNDS`.

    Parameters
    ----------
    option : str
        A key of :data:`BOUNDS` (``"k"``, ``"bootstrap"``, ...).

    Returns
    -------
    callable
        Text -> int; raises :class:`argparse.ArgumentTypeError` naming the value and range.

    Examples
    --------
    >>> bounded_int("k")("3")
    3
    """
    bound = BOUNDS[option]

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: expected {_range(bound)}") from None
        if not bound.low <= value <= bound.high:
            raise argparse.ArgumentTypeError(f"{value}: expected {_range(bound)}")
        return value

    parse.__name__ = option  # argparse names the type in some messages
    return parse


def share(text: str) -> float:
    """An argparse ``type=`` for a share: a finite number in [0, 1].

    Parameters
    ----------
    text : str
        The option's value.

    Returns
    -------
    float
        The share.

    Examples
    --------
    >>> share("0.5")
    0.5
    """
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= 1:  # NaN fails too
        raise argparse.ArgumentTypeError(f"{text!r}: expected a share from 0 to 1")
    return value


def check_key(key: str, value, label: str, error: type[Exception]) -> None:
    """Refuse a config key's value outside the bounds of its option.

    Parameters
    ----------
    key : str
        The dotted config key (``"cluster.bootstrap"``); keys without a bound pass.
    value : int
        Its value (already checked to be an integer).
    label : str
        The config file, for the message.
    error : type of Exception
        The error to raise (``ConfigError``).

    Raises
    ------
    error
        ``"<file>: cluster.k = 1: expected an integer from 2 to 20"``.

    Examples
    --------
    >>> check_key("cluster.k", 3, "exp.toml", ValueError)
    """
    option = CONFIG_KEYS.get(key)
    if option is None or not isinstance(value, int) or isinstance(value, bool):
        return
    bound = BOUNDS[option]
    if not bound.low <= value <= bound.high:
        raise error(f"{label}: {key} = {value}: expected {_range(bound)}")


def warn_if_slow(cfg) -> None:
    """Print one warning line per replicate count above its threshold, with a time estimate.

    Parameters
    ----------
    cfg : ExperimentConfig
        The configuration with the command-line options applied.

    Examples
    --------
    >>> from border_readiness.experiments.config import load_experiment
    >>> warn_if_slow(load_experiment(None))  # the defaults are below every threshold
    """
    counts = {
        "bootstrap": cfg.bootstrap,
        "consensus_reps": cfg.consensus_reps,
        "structure_nulls": cfg.structure_nulls,
        "surrogate_null": cfg.surrogate_null,
        "permutations": cfg.permutations,
        "n_replicates": cfg.score.n_replicates,
        "sobol_n": cfg.score.sobol_n,
    }
    for option, value in counts.items():
        bound = BOUNDS[option]
        if bound.warn is not None and value > bound.warn:
            seconds = value * bound.seconds
            took = f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} minutes"
            print(
                f"border-readiness: warning: {option} = {value} is above {bound.warn}; "
                f"expect roughly {took} more for it on 12 regions (longer on more regions)",
                file=sys.stderr,
            )


class DegenerateDataError(UserInputError):
    """Data that cannot be analysed as it is (an indicator with one value for all regions)."""


def check_spread(compiled, label: str) -> None:
    """Refuse scored indicators with one value for every region (zero variance).

    Normalisation divides by the spread across all Russian subjects: a constant indicator
    carries no information and would become NaN, silently left out of the scores and
    breaking the clustering. It is refused instead, naming the indicator and its value.

    Parameters
    ----------
    compiled : CompiledIndicators
        The compiled matrix of the year (all Russian subjects).
    label : str
        How the message names the data and year (``"--data x.csv, --year 2021"``).

    Raises
    ------
    DegenerateDataError
        ``"...: indicator paved_road_density has the same value (100) for all 85 regions ..."``.

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> from border_readiness.features.catalogue import load_catalogue
    >>> m = pd.DataFrame({"paved_road_density": [1.0, 2.0]})
    >>> check_spread(SimpleNamespace(matrix=m, catalogue=load_catalogue()[:1]),
    ...              label="data")
    """
    matrix = compiled.matrix
    for indicator in compiled.catalogue:
        if indicator.level == "context" or indicator.id not in matrix:
            continue
        values = matrix[indicator.id].dropna()
        if len(values) and values.nunique() < 2:
            raise DegenerateDataError(
                f"{label}: indicator {indicator.id} has the same value ({values.iloc[0]:g}) for "
                f"all {len(values)} regions, so it cannot be normalised (zero variance); check "
                "the data, or leave the indicator out of the catalogue (--config catalogue)"
            )
