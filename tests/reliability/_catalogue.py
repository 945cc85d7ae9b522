r"""The bad-input catalogue: cases as data, inputs built by named builders.

A case is one ``[[case]]`` table in a TOML file of ``tests/reliability/cases/``::

    [[case]]
    id = "data-validate-csv-missing-columns"    # unique over all files
    argv = ["data", "validate", "{file}"]        # the CLI arguments; {name} from the builder
    build = "text_file"                         # a builder in a builders_*.py module
    params = { name = "bad.csv", text = "region_id,year\nRU-OMS,2021\n" }
    exit = 2                                    # the expected exit code
    message = "bad.csv"                         # a fragment of the one-line error (exit 2)

Optional keys: ``params`` (a table passed to the builder as keyword arguments), ``writes``
(paths, with placeholders, that a *successful* case may create; a failing case may create
nothing).

A builder is a function ``(tmp: Path, **params) -> dict[str, str]`` registered with
:func:`builder`; it writes its inputs under ``tmp/in`` and returns the placeholders. The
runner works in ``tmp/work`` (the current directory during the case), so a command that
writes where it should not (the current folder, the inputs' folder, ``tmp/out``) is caught.
Adding a case is one TOML table, and a builder only when no existing one fits.
"""

from __future__ import annotations

import importlib.util
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUILDERS: dict[str, Callable[..., dict[str, str]]] = {}


def builder(fn: Callable[..., dict[str, str]]) -> Callable[..., dict[str, str]]:
    """Register ``fn`` under its name as an input builder."""
    if fn.__name__ in BUILDERS:
        raise ValueError(f"builder {fn.__name__} defined twice")
    BUILDERS[fn.__name__] = fn
    return fn


@dataclass(frozen=True)
class Case:
    id: str
    argv: list[str]
    build: str
    exit: int
    message: str = ""
    params: dict = field(default_factory=dict)
    writes: list[str] = field(default_factory=list)
    source: str = ""


def load_builders() -> None:
    """Import every ``builders_*.py`` next to this file (each registers its builders)."""
    for path in sorted(HERE.glob("builders_*.py")):
        name = f"_reliability_{path.stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)


def load_cases() -> list[Case]:
    """Every case of every ``cases/*.toml``, checked for unique ids and known keys."""
    cases: list[Case] = []
    allowed = set(Case.__dataclass_fields__) - {"source"}
    for path in sorted((HERE / "cases").glob("*.toml")):
        for entry in tomllib.loads(path.read_text(encoding="utf-8")).get("case", []):
            unknown = set(entry) - allowed
            if unknown:
                raise ValueError(f"{path.name}: case {entry.get('id')!r} has keys {unknown}")
            cases.append(Case(**entry, source=path.name))
    ids = [c.id for c in cases]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise ValueError(f"duplicate case ids: {sorted(dupes)}")
    return cases


def fill(text: str, values: dict[str, str]) -> str:
    """``text`` with its ``{name}`` placeholders replaced (unknown names are an error)."""
    return text.format_map(values)
