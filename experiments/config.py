"""Configuration files (TOML), validated against a declared schema with one-line errors."""

from __future__ import annotations

import tomllib
from dataclasses import fields
from pathlib import Path

from features.scoring import ScoreConfig

__all__ = ["ConfigError", "load_config", "SCHEMA"]


class ConfigError(ValueError):
    """An invalid configuration file; the message names the file and the key."""


#: section -> key -> expected Python type(s). Paths are resolved relative to the config file.
SCHEMA: dict[str, dict[str, type | tuple[type, ...]]] = {
    "": {"catalogue": str, "profiles": str, "description": str},
    "score": {f.name: (tuple if f.name.startswith("mc_") else f.type) for f in fields(ScoreConfig)},
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


def load_config(path: str | Path | None) -> dict:
    """Read and check a config file; return ``{"score": ScoreConfig, "catalogue": Path|None,
    "profiles": Path|None}``.

    Examples
    --------
    >>> load_config(None)["score"].normalisation
    'minmax'
    """
    if path is None:
        return {"score": ScoreConfig(), "catalogue": None, "profiles": None}
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    score_kwargs = {}
    for key, value in raw.items():
        if isinstance(value, dict):
            if key not in SCHEMA or key == "":
                raise ConfigError(
                    f"{path}: unknown section [{key}]; known: {', '.join(s for s in SCHEMA if s)}"
                )
            for sub, v in value.items():
                _check(path, f"{key}.{sub}", SCHEMA[key].get(sub), v)
                score_kwargs[sub] = tuple(v) if isinstance(v, list) else v
        else:
            _check(path, key, SCHEMA[""].get(key), value)
    try:
        score = ScoreConfig(**score_kwargs)
    except ValueError as exc:
        raise ConfigError(f"{path}: [score] {exc}") from None

    def resolve(name):
        return (path.parent / raw[name]).resolve() if name in raw else None

    return {"score": score, "catalogue": resolve("catalogue"), "profiles": resolve("profiles")}


def _check(path: Path, key: str, expected, value) -> None:
    if expected is None:
        raise ConfigError(f"{path}: unknown key {key!r}")
    types = _expected(expected)
    if isinstance(value, bool) and bool not in types:
        raise ConfigError(f"{path}: {key} must be {_name(types)}, got {value!r}")
    if not isinstance(value, types):
        raise ConfigError(f"{path}: {key} must be {_name(types)}, got {value!r}")


def _name(types: tuple[type, ...]) -> str:
    return " or ".join("a list" if t in (list, tuple) else t.__name__ for t in types)
