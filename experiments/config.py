"""Experiment configurations (TOML), validated against a declared schema with one-line errors.

A configuration has optional top-level ``description``, ``catalogue`` and ``profiles`` (paths
relative to the config file) and the tables ``[data]``, ``[score]``, ``[cluster]``,
``[validate]``, ``[explain]``, ``[model]`` and ``[compute]`` (``scheduler``, ``n_jobs``: where the
replicate loops run, never what they compute); every key is optional and defaults as below. The
shipped configurations are in ``experiments/configs/`` (``default.toml``, ``all_regions.toml``).
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields
from importlib import resources
from pathlib import Path

from border_readiness.errors import UserInputError
from border_readiness.experiments.seeds import StepSeeds, step_seeds
from border_readiness.features.scoring import ScoreConfig

__all__ = [
    "SCHEMA",
    "ConfigError",
    "ExperimentConfig",
    "flatten",
    "load_config",
    "load_experiment",
    "shipped_configs",
]


class ConfigError(UserInputError):
    """An invalid configuration file; the message names the file and the key."""


@dataclass(frozen=True)
class ExperimentConfig:
    """A validated experiment configuration.

    Examples
    --------
    >>> cfg = load_experiment(None)
    >>> cfg.regions, cfg.method, cfg.model_name
    ('border', 'kmeans', 'border-readiness')
    """

    description: str = ""
    data: str | None = None
    year: int | None = None
    regions: str = "border"
    score: ScoreConfig = field(default_factory=ScoreConfig)
    catalogue: Path | None = None
    profiles: Path | None = None
    method: str = "kmeans"
    k: int | None = None
    bootstrap: int = 1000
    consensus_reps: int = 500
    #: Replicates per reference null of the structure test (``[cluster].structure_nulls``).
    structure_nulls: int = 199
    #: ``[cluster].consensus_scheme``: "ccp" (ConsensusClusterPlus's stock one-start k-means)
    #: or "multistart" (the main fit's 10 starts per subsample).
    consensus_scheme: str = "ccp"
    #: ``[explain].surrogate_null``: structureless replicates for the surrogate fidelity's null.
    surrogate_null: int = 49
    #: The root seed (top-level ``seed``), split per step; see
    #: :mod:`border_readiness.experiments.seeds`.
    seed: int = 0
    #: ``[cluster].seed`` when given: overrides the clustering steps' seeds.
    cluster_seed: int | None = None
    typologies: tuple[str, ...] = (
        "federal_districts",
        "sokolov_rudneva_border_stability",
        "border_readiness_profiles_2021",
    )
    permutations: int = 9999
    model_name: str = "border-readiness"
    alias: str = "champion"
    source: str = "built-in defaults"
    #: ``[compute].scheduler``: a Dask scheduler address for the replicate loops (optional).
    scheduler: str | None = None
    #: ``[compute].n_jobs``: joblib workers for the replicate loops (-1: all; None: serial).
    n_jobs: int | None = None

    @property
    def seeds(self) -> StepSeeds:
        """The seed of every random step (the score's are in ``score``).

        Returns
        -------
        StepSeeds
            One seed per step, split from ``seed`` (``cluster_seed`` overrides the
            clustering steps').
        """
        return step_seeds(self.seed, cluster_seed=self.cluster_seed)


_SCORE_TYPES = {
    f.name: (tuple if f.name.startswith("mc_") else f.type)
    for f in fields(ScoreConfig)
    # Set from the root seed (or [score].random_state), not a key of its own.
    if f.name != "sobol_random_state"
}
#: section -> key -> expected type(s).
SCHEMA: dict[str, dict[str, object]] = {
    "": {"catalogue": str, "profiles": str, "description": str, "seed": int},
    "data": {"path": str, "year": (int, str), "regions": (str, list)},
    "score": _SCORE_TYPES,
    "cluster": {
        "method": str,
        "k": int,
        "bootstrap": int,
        "consensus_reps": int,
        "structure_nulls": int,
        "consensus_scheme": str,
        "seed": int,
    },
    "validate": {"typologies": list, "permutations": int},
    "explain": {"surrogate_null": int},
    "model": {"name": str, "alias": str},
    "compute": {"scheduler": str, "n_jobs": int},
}
_TYPES = {
    "str": str,
    "int": int,
    "bool": bool,
    "float": (int, float),
    "tuple[str, ...]": (list, tuple),
}


def _expected(t) -> tuple[type, ...]:
    if isinstance(t, str):
        t = _TYPES[t]
    return t if isinstance(t, tuple) else (t,)


def _read(path: Path) -> dict:
    from border_readiness.features._file_kinds import read_user_text

    if not path.exists():
        raise ConfigError(f"{path}: config file not found")
    text = read_user_text(path, ConfigError, expected="a UTF-8 TOML experiment config")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def _check(path, key: str, expected, value) -> None:
    if expected is None:
        raise ConfigError(f"{path}: unknown key {key!r}")
    types = _expected(expected)
    if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
        names = " or ".join("a list" if t in (list, tuple) else t.__name__ for t in types)
        raise ConfigError(f"{path}: {key} must be {names}, got {value!r}")


def load_experiment(path: str | Path | None, *, seed: int | None = None) -> ExperimentConfig:
    """Read and validate an experiment configuration.

    ``None`` reads the shipped default one, ``experiments/configs/default.toml``, so that a
    command without ``--config`` computes what ``run`` computes.

    ``seed`` (a command's ``--seed``) replaces the config's root seed.

    Parameters
    ----------
    path : str or Path, optional
        The TOML file; None is the shipped ``default.toml``. Relative paths inside it
        (``catalogue``, ``profiles``, ``data.path``) are resolved against its folder.
    seed : int, optional
        A root seed (>= 0) replacing the config's ``seed``; None keeps it (default 0).

    Returns
    -------
    ExperimentConfig
        Every key of the file, with the defaults for those left out; ``source`` is the path.

    Raises
    ------
    ConfigError
        Unknown section or key, wrong type, unknown method or region set, bad year.
    """
    path = Path(shipped_configs()["default"] if path is None else path)
    raw = _read(path)
    label = str(path)
    values: dict[str, object] = {"source": label}
    score_kwargs: dict[str, object] = {}
    for key, value in raw.items():
        if isinstance(value, dict):
            if key not in SCHEMA or key == "":
                known = ", ".join(f"[{s}]" for s in SCHEMA if s)
                raise ConfigError(f"{path}: unknown section [{key}]; known: {known}")
            for sub, v in value.items():
                _check(path, f"{key}.{sub}", SCHEMA[key].get(sub), v)
                if key == "score":
                    score_kwargs[sub] = tuple(v) if isinstance(v, list) else v
                else:
                    values[f"{key}.{sub}"] = v
        else:
            _check(path, key, SCHEMA[""].get(key), value)
            values[key] = value
    from border_readiness.experiments._checks import check_key

    # The command line's bounds (experiments/_checks.py), so both refuse the same values.
    for key, value in [*values.items(), *((f"score.{k}", v) for k, v in score_kwargs.items())]:
        check_key(key, value, label, ConfigError)
    if seed is not None and seed < 0:
        raise ConfigError(f"--seed {seed}: expected an integer >= 0")
    root = values.get("seed", 0) if seed is None else seed
    if root < 0:
        raise ConfigError(f"{label}: seed must be an integer >= 0, got {root}")
    if "cluster.seed" in values and values["cluster.seed"] < 0:
        raise ConfigError(f"{path}: cluster.seed must be >= 0, got {values['cluster.seed']}")
    seeds = step_seeds(root)
    if "random_state" not in score_kwargs:
        # One root seed, split per step: the Monte Carlo and Sobol' get their own streams.
        score_kwargs.update(random_state=seeds.monte_carlo, sobol_random_state=seeds.sobol)
    try:
        score = ScoreConfig(**score_kwargs)
    except ValueError as exc:
        raise ConfigError(f"{path}: [score] {exc}") from None
    from border_readiness.clustering._methods import METHODS

    method = values.get("cluster.method", "kmeans")
    if method not in METHODS:
        raise ConfigError(f"{path}: cluster.method {method!r} is not one of {', '.join(METHODS)}")
    from border_readiness.clustering.stability.consensus import SCHEMES

    scheme = values.get("cluster.consensus_scheme", ExperimentConfig.consensus_scheme)
    if scheme not in SCHEMES:
        raise ConfigError(
            f"{path}: cluster.consensus_scheme {scheme!r} is not one of {', '.join(SCHEMES)}"
        )
    n_jobs = values.get("compute.n_jobs")
    if n_jobs is not None and (n_jobs == 0 or n_jobs < -1):
        raise ConfigError(f"{path}: compute.n_jobs must be -1 or an integer >= 1, got {n_jobs}")
    regions = _config_regions(values.get("data.regions", "border"), path)
    year = values.get("data.year")
    if isinstance(year, str):
        if year != "latest":
            raise ConfigError(f"{path}: data.year must be a year or 'latest', got {year!r}")
        year = None
    typologies = tuple(values.get("validate.typologies", ExperimentConfig.typologies))
    for t in typologies:
        if not isinstance(t, str):
            raise ConfigError(f"{path}: validate.typologies must list names or paths, got {t!r}")
    typologies = _checked_typologies(typologies, path)

    def resolve(value):
        return (path.parent / value).resolve() if value else None

    data_path = values.get("data.path")
    return ExperimentConfig(
        description=str(values.get("description", "")),
        data=str(resolve(data_path)) if data_path else None,
        year=year,
        regions=regions,
        score=score,
        catalogue=resolve(values.get("catalogue")),
        profiles=resolve(values.get("profiles")),
        method=method,
        k=values.get("cluster.k"),
        bootstrap=values.get("cluster.bootstrap", 1000),
        consensus_reps=values.get("cluster.consensus_reps", 500),
        structure_nulls=values.get("cluster.structure_nulls", 199),
        consensus_scheme=scheme,
        surrogate_null=values.get("explain.surrogate_null", ExperimentConfig.surrogate_null),
        seed=int(root),
        cluster_seed=values.get("cluster.seed"),
        typologies=typologies,
        permutations=values.get("validate.permutations", 9999),
        model_name=values.get("model.name", "border-readiness"),
        alias=values.get("model.alias", "champion"),
        source=label,
        scheduler=values.get("compute.scheduler") or None,
        n_jobs=n_jobs,
    )


def _config_regions(regions, path: Path) -> str:
    """``data.regions`` as a ``--regions`` value: a list joined, a file relative to the config.

    Checked here so that a bad set is reported against the config file before any work.
    """
    from border_readiness.experiments._region_sets import RegionSetError, region_selection

    if isinstance(regions, list):
        if not all(isinstance(r, str) for r in regions):
            raise ConfigError(f"{path}: data.regions must list ids or names, got {regions!r}")
        regions = ",".join(regions)
    spec = regions.strip()
    relative = path.parent / spec.removeprefix("@")
    if spec.startswith("@") or (
        "," not in spec and spec not in ("border", "all") and relative.is_file()
    ):
        regions = f"@{relative.resolve()}"
    try:
        region_selection(regions, where=f"{path}: data.regions")
    except RegionSetError as exc:
        raise ConfigError(str(exc)) from None
    return regions


def load_config(path: str | Path | None, *, seed: int | None = None) -> dict:
    """The parts of a configuration the single-step commands use.

    ``score`` (ScoreConfig), ``catalogue`` and ``profiles`` paths, and ``seeds`` (one per
    step, from the config's root seed or ``seed``).

    Parameters
    ----------
    path : str or Path, optional
        The TOML file; None is the shipped ``default.toml``.
    seed : int, optional
        A root seed replacing the config's, as in :func:`load_experiment`.

    Returns
    -------
    dict
        Keys ``score`` (ScoreConfig), ``catalogue`` and ``profiles`` (Path or None for the
        shipped ones) and ``seeds`` (StepSeeds).

    Raises
    ------
    ConfigError
        As :func:`load_experiment`.

    Examples
    --------
    >>> load_config(None)["score"].normalisation
    'minmax'
    """
    cfg = load_experiment(path, seed=seed)
    return {
        "score": cfg.score,
        "catalogue": cfg.catalogue,
        "profiles": cfg.profiles,
        "seeds": cfg.seeds,
    }


def flatten(cfg: ExperimentConfig) -> dict[str, str]:
    """The configuration as flat ``section.key -> value`` strings (MLflow params).

    Parameters
    ----------
    cfg : ExperimentConfig
        A loaded configuration.

    Returns
    -------
    dict of str to str
        ``data.*``, ``catalogue``, ``profiles``, ``cluster.*``, ``seed``, ``validate.*``,
        ``model.*``, ``config.source`` (the file name), every ``score.*`` field (tuples
        comma-joined) and the per-step ``seeds.*``; defaults are spelled out ("bundled",
        "latest", "shipped", "auto", "from seed").

    Examples
    --------
    >>> flatten(load_experiment(None))["cluster.method"]
    'kmeans'
    """
    out = {
        "data.path": cfg.data or "bundled",
        "data.year": cfg.year or "latest",
        "data.regions": cfg.regions,
        "catalogue": cfg.catalogue or "shipped",
        "profiles": cfg.profiles or "shipped",
        "cluster.method": cfg.method,
        "cluster.k": cfg.k or "auto",
        "cluster.bootstrap": cfg.bootstrap,
        "cluster.consensus_reps": cfg.consensus_reps,
        "cluster.structure_nulls": cfg.structure_nulls,
        "cluster.consensus_scheme": cfg.consensus_scheme,
        "explain.surrogate_null": cfg.surrogate_null,
        "seed": cfg.seed,
        "cluster.seed": cfg.cluster_seed if cfg.cluster_seed is not None else "from seed",
        "validate.typologies": ",".join(cfg.typologies),
        "validate.permutations": cfg.permutations,
        "model.name": cfg.model_name,
        "model.alias": cfg.alias,
        "config.source": Path(cfg.source).name,
    }
    for key, value in asdict(cfg.score).items():
        out[f"score.{key}"] = ",".join(value) if isinstance(value, tuple) else value
    for step, value in cfg.seeds.to_dict().items():
        if step != "root":
            out[f"seeds.{step}"] = value
    return {k: str(v) for k, v in out.items()}


def shipped_configs() -> dict[str, Path]:
    """The configurations shipped in ``experiments/configs``.

    Returns
    -------
    dict of str to Path
        Name (the file name without ``.toml``, e.g. ``default``) -> path, sorted by name.
    """
    folder = resources.files("border_readiness.experiments") / "configs"
    return {
        p.name.removesuffix(".toml"): Path(str(p))
        for p in sorted(folder.iterdir(), key=lambda p: p.name)
        if p.name.endswith(".toml")
    }


def _checked_typologies(entries: tuple[str, ...], path: Path) -> tuple[str, ...]:
    """Shipped names as they are; paths relative to the config's folder, each read now.

    A typology that is missing or invalid must stop the command before any work (not after
    the clustering), naming the config key.
    """
    from border_readiness.clustering.typologies import (
        TypologyError,
        load_typology,
        shipped_typologies,
    )

    shipped = shipped_typologies()
    checked = []
    for entry in entries:
        if entry in shipped:
            checked.append(entry)
            continue
        file = Path(entry) if Path(entry).is_absolute() else (path.parent / entry).resolve()
        try:
            load_typology(file)
        except TypologyError as exc:
            raise ConfigError(
                f"{path}: validate.typologies {entry!r} (read as {file}): {exc}"
            ) from None
        checked.append(str(file))
    return tuple(checked)
