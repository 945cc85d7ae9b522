"""What a command reads before it computes: its configuration, the data, a clusters file.

Its configuration with the command-line options applied, the data, and a saved clusters file.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the parser imports this module: pandas only when data are read
    import pandas as pd

__all__ = [
    "add_layering_options",
    "experiment_config",
    "load_data",
    "load_layered",
    "read_clusters",
]

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
    cfg = dataclasses.replace(cfg, **given) if given else cfg
    from border_readiness.experiments._checks import warn_if_slow

    warn_if_slow(cfg)
    share = getattr(args, "max_imputed_share_indicator", None)
    if share is not None:
        if not 0 <= share <= 1:
            from border_readiness.errors import UsageError

            raise UsageError(f"--max-imputed-share-indicator {share:g}: expected a share in [0, 1]")
        score = dataclasses.replace(cfg.score, max_imputed_share_indicator=share)
        cfg = dataclasses.replace(cfg, score=score)
    return cfg


def add_layering_options(p: argparse.ArgumentParser, *, fits: bool = True) -> None:
    """Add ``--add FILE`` (repeatable) and ``--replace`` to a command that reads data.

    Parameters
    ----------
    p : argparse.ArgumentParser
    fits : bool, default True
        The command fits the composite: also ``--max-imputed-share-indicator``.
    """
    p.add_argument(
        "--add",
        action="append",
        metavar="FILE",
        help="a long-layout file whose rows are layered over the data (repeatable, in order); "
        "a key the data holds with another value is an error unless --replace",
    )
    p.add_argument(
        "--replace",
        action="store_true",
        help="let --add values override different ones; each is listed in replaced.csv",
    )
    if fits:
        from border_readiness.experiments._checks import share

        p.add_argument(
            "--max-imputed-share-indicator",
            type=share,
            metavar="S",
            help="refuse a fit where one indicator is gap-filled for more than this share of "
            "the scored regions (default: the config's [score] key, 0.5; 1 admits any)",
        )


def load_data(args: argparse.Namespace, cfg) -> tuple[pd.DataFrame, str, str]:
    """The long table of ``--data`` (else the config's data, else the bundled dataset).

    With ``--add FILE`` the files' rows are layered over it (:func:`load_layered`).

    Parameters
    ----------
    args : argparse.Namespace
    cfg : ExperimentConfig

    Returns
    -------
    data : DataFrame
    label : str
        How messages name the data ("bundled" or the path as given, then ``+ FILE`` per
        added file).
    source : str
        The resolved path, for the MLflow dataset lineage.
    """
    data, label, source, _ = load_layered(args, cfg)
    return data, label, source


def load_layered(args: argparse.Namespace, cfg=None):
    """:func:`load_data` with what the layering of ``--add`` did.

    Parameters
    ----------
    args : argparse.Namespace
        ``data``, ``add`` (list of paths) and ``replace`` are read when present.
    cfg : ExperimentConfig, optional
        Its ``data`` is the base when ``--data`` is not given.

    Returns
    -------
    data : DataFrame
    label : str
    source : str
    layered : Layered or None
        None without ``--add``; else the replaced values and per-file counts.

    Raises
    ------
    DataValidationError
        A file breaks the contract, or an added row conflicts with the data (no ``--replace``).
    """
    from border_readiness.experiments._dataset_cache import bundled_dataset
    from border_readiness.features.dataset import (
        bundled_dataset_path,
        load_dataset,
        read_long_file,
        validate_long,
    )
    from border_readiness.features.layering import file_lines, layer

    path = getattr(args, "data", None) or (cfg.data if cfg is not None else None)
    # The bundled table from its parsed copy (the same table, 1 CPU-s sooner); a user's file
    # is always read and validated.
    data = load_dataset(path) if path else bundled_dataset()
    label = str(path) if path else "bundled"
    source = str(Path(path).resolve()) if path else str(bundled_dataset_path())
    adds = getattr(args, "add", None) or []
    if not adds:
        return data, label, source, None
    frames = []
    for add in adds:
        raw = read_long_file(add)
        valid = validate_long(raw, source=str(add))
        frames.append((str(add), valid.assign(line=file_lines(raw, valid))))
    layered = layer(data, frames, replace=bool(getattr(args, "replace", False)))
    label = " + ".join([label, *map(str, adds)])
    return layered.data, label, source, layered


def read_clusters(path: str, regions: str | None = None) -> pd.Series:
    """A saved clusters.csv (region_id, cluster) as a Series; region names are resolved.

    Parameters
    ----------
    path : str
        A CSV with the columns ``region_id`` and ``cluster`` (other columns are ignored).
    regions : str, optional
        The ``--regions`` value of the analysis: an unknown name is answered with the closest
        regions of that set (default: of the border regions), not of the whole registry.

    Returns
    -------
    Series
        Cluster labels indexed by region id.

    Raises
    ------
    DataValidationError
        The file cannot be read, lacks a column, or lists a region twice.
    """
    import io

    import pandas as pd

    from border_readiness.features._file_kinds import read_user_text
    from border_readiness.features.dataset import DataValidationError
    from border_readiness.features.regions import (
        UnknownRegionError,
        closest_names,
        resolve_region,
    )

    text = read_user_text(
        path, DataValidationError, expected="a UTF-8 clusters CSV", label=f"--clusters {path}"
    )
    try:
        frame = pd.read_csv(io.StringIO(text))
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataValidationError(f"--clusters {path}: cannot be read ({exc})") from None
    missing = {"region_id", "cluster"} - set(frame.columns)
    if missing:
        raise DataValidationError(
            f"--clusters {path}: missing column(s) "
            f"{', '.join(sorted(missing))}; expected region_id, cluster"
        )
    ids = []
    for line, name in enumerate(frame["region_id"].astype(str), start=2):
        try:
            ids.append(resolve_region(name))
        except UnknownRegionError:
            near = closest_names(name, among=_analysed_ids(regions))
            raise DataValidationError(
                f"--clusters {path}: line {line}: unknown region {name.strip()!r}; closest in "
                f"the regions analysed: {', '.join(near)}"
            ) from None
    series = pd.Series(
        frame["cluster"].to_numpy(), index=pd.Index(ids, name="region_id"), name="cluster"
    )
    if series.index.duplicated().any():
        dup = series.index[series.index.duplicated()][0]
        raise DataValidationError(f"--clusters {path}: region {dup} appears twice")
    return series


def _analysed_ids(regions: str | None) -> list[str]:
    """The region ids a ``--regions`` value selects (None: the border regions)."""
    from border_readiness.experiments._region_sets import region_selection
    from border_readiness.features.regions import BORDER_REGIONS, russian_subjects

    selection = region_selection(regions or "border")
    if selection == "border":
        return list(BORDER_REGIONS)
    return russian_subjects() if selection == "all" else list(selection)
