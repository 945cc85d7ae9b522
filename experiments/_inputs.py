"""What a command reads before it computes: its configuration, the data, a clusters file.

Its configuration with the command-line options applied, the data, and a saved clusters file.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pandas as pd

__all__ = ["experiment_config", "load_data", "read_clusters"]

#: Command-line options that override a key of the experiment configuration.
_OVERRIDES = {
    "regions": "regions",
    "method": "method",
    "k": "k",
    "bootstrap": "bootstrap",
    "consensus_reps": "consensus_reps",
    "structure_nulls": "structure_nulls",
    "consensus_scheme": "consensus_scheme",
    "surrogate_null": "surrogate_null",
    "permutations": "permutations",
}


def experiment_config(args: argparse.Namespace):
    """The experiment configuration of a command, with its command-line options applied.

    ``--config`` (default: the shipped ``default.toml``, so that every command computes what
    ``run`` computes) with the options given on the command line applied over it.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line; options left out (None) keep the config's value.

    Returns
    -------
    ExperimentConfig
    """
    from border_readiness.experiments.config import load_experiment

    cfg = load_experiment(getattr(args, "config", None), seed=getattr(args, "seed", None))
    given = {
        key: getattr(args, option)
        for option, key in _OVERRIDES.items()
        if getattr(args, option, None) is not None
    }
    return dataclasses.replace(cfg, **given) if given else cfg


def load_data(args: argparse.Namespace, cfg) -> tuple[pd.DataFrame, str, str]:
    """The long table of ``--data`` (else the config's data, else the bundled dataset).

    Parameters
    ----------
    args : argparse.Namespace
    cfg : ExperimentConfig

    Returns
    -------
    data : DataFrame
    label : str
        How messages name the data ("bundled" or the path as given).
    source : str
        The resolved path, for the MLflow dataset lineage.
    """
    from border_readiness.features.dataset import bundled_dataset_path, load_dataset

    path = getattr(args, "data", None) or cfg.data
    data = load_dataset(path)
    label = str(path) if path else "bundled"
    source = str(Path(path).resolve()) if path else str(bundled_dataset_path())
    return data, label, source


def read_clusters(path: str) -> pd.Series:
    """A saved clusters.csv (region_id, cluster) as a Series; region names are resolved.

    Parameters
    ----------
    path : str
        A CSV with the columns ``region_id`` and ``cluster`` (other columns are ignored).

    Returns
    -------
    Series
        Cluster labels indexed by region id.

    Raises
    ------
    DataValidationError
        The file cannot be read, lacks a column, or lists a region twice.
    """
    from border_readiness.features.dataset import DataValidationError
    from border_readiness.features.regions import resolve_region

    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise DataValidationError(f"--clusters {path}: cannot be read ({exc})") from None
    missing = {"region_id", "cluster"} - set(frame.columns)
    if missing:
        raise DataValidationError(
            f"--clusters {path}: missing column(s) "
            f"{', '.join(sorted(missing))}; expected region_id, cluster"
        )
    ids = [resolve_region(r) for r in frame["region_id"].astype(str)]
    series = pd.Series(
        frame["cluster"].to_numpy(), index=pd.Index(ids, name="region_id"), name="cluster"
    )
    if series.index.duplicated().any():
        dup = series.index[series.index.duplicated()][0]
        raise DataValidationError(f"--clusters {path}: region {dup} appears twice")
    return series
