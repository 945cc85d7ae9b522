"""The indicator catalogue: declarative definitions of the features of each readiness level.

Each entry of ``features/data/indicators.toml`` gives an indicator's formula over the raw series
of the long dataset, its unit, direction (+1: higher is more ready, −1: less), level
(``transport_communication``, ``joint_projects``, ``social_services`` or ``context``), weight and
a one-line rationale. Users add or change indicators by editing that file (or passing their own
with ``--config``); a catalogue error names the entry.

Formulas are small arithmetic expressions over series names with these functions:

=========================  =====================================================================
``per_capita(x)``          ``x`` divided by the average population (``population_avg``, thousands)
``per_area(x)``            ``x`` per 1 000 km² of the region's area (polygons, approximate)
``per_border_km(x)``       ``x`` per km of border with Kazakhstan (polygons, approximate)
``share(x, y)``            ``100 · x / y``
``growth(x, w)``           growth over ``w`` years, %: ``100 · (x_t / x_{t−w} − 1)``
``cagr(x, w)``             compound annual growth over ``w`` years, %
``mean(x, w)``             mean of the last ``w`` years (``t−w+1 … t``)
``national(x)``            ``100 · x / x_RU``: level relative to the Russian Federation's value
``kz_gap(x, k)``           ``x`` of the Russian region minus the mean of ``k`` over its Kazakh
                           neighbouring oblasts (asymmetry across the border)
``static(name)``           a geographic fact: ``area_km2``, ``border_kz_km``
=========================  =====================================================================

The file's optional ``[levels.<level>]`` tables say in words what each scored level measures
(``meaning``) and what it would need that no open source publishes (``not_published``); the
model card prints them (:func:`load_level_notes`). Which side of the border an indicator reads
is derived from its formula (:attr:`Indicator.side`), so it cannot drift from what is computed.
"""

from __future__ import annotations

import ast
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from border_readiness.errors import UserInputError

__all__ = [
    "FUNCTIONS",
    "LEVELS",
    "SCORED_LEVELS",
    "CatalogueError",
    "Indicator",
    "LevelNote",
    "formula_series",
    "load_catalogue",
    "load_level_notes",
    "parse_formula",
    "short_unit",
]

#: The three levels of the study's model, then ``context`` (reported, never scored).
SCORED_LEVELS = ("transport_communication", "joint_projects", "social_services")
LEVELS = (*SCORED_LEVELS, "context")

#: Function name -> (number of arguments, which arguments are window lengths).
FUNCTIONS: dict[str, tuple[int, tuple[int, ...]]] = {
    "per_capita": (1, ()),
    "per_area": (1, ()),
    "per_border_km": (1, ()),
    "share": (2, ()),
    "growth": (2, (1,)),
    "cagr": (2, (1,)),
    "mean": (2, (1,)),
    "national": (1, ()),
    "kz_gap": (2, ()),
    "kz_border_mean": (1, ()),
    "kz_near": (1, ()),
    "kz_potential": (1, ()),
    "kz_national": (1, ()),
    "static": (1, ()),
}
STATIC_FACTS = ("area_km2", "border_kz_km", "kz_nearest_centre_km", "kz_astana_km")
_FIELDS = {"id", "level", "formula", "unit", "direction", "weight", "rationale", "label"}
_REQUIRED = ("id", "level", "formula", "unit", "direction", "rationale")


class CatalogueError(UserInputError):
    """An invalid catalogue entry; the message names the file and the entry."""


@dataclass(frozen=True)
class Indicator:
    """One catalogue entry.

    Examples
    --------
    >>> ind = load_catalogue()[0]
    >>> ind.level in LEVELS
    True
    """

    id: str
    level: str
    formula: str
    unit: str
    direction: int
    weight: float
    rationale: str
    label: str = ""

    @property
    def window(self) -> int:
        """Years of history the formula needs before the scored year (0 for a static level).

        Returns
        -------
        int
            :func:`max_window` of the parsed :attr:`formula`.
        """
        return max_window(parse_formula(self.formula))

    @property
    def side(self) -> str:
        """Which side of the border the formula reads: ``russian``, ``kazakh`` or ``both``.

        Returns
        -------
        str
            :func:`border_side` of the parsed :attr:`formula`.

        Examples
        --------
        >>> Indicator("g", "joint_projects", "kz_near(kz_grp)", "", 1, 1.0, "").side
        'kazakh'
        """
        return border_side(parse_formula(self.formula))


def parse_formula(formula: str) -> ast.Expression:
    """Parse a formula into a checked syntax tree.

    Parameters
    ----------
    formula : str
        A catalogue formula: series names, numbers, ``+ - * /``, unary minus and the catalogue
        functions (``per_capita``, ``per_area``, ``per_border_km``, ``share``, ``growth``,
        ``cagr``, ``mean``, ``national``, ``kz_gap``, ``kz_border_mean``, ``kz_near``,
        ``kz_potential``, ``kz_national``, ``static``), e.g.
        ``"growth(grp, 5)"``.

    Returns
    -------
    ast.Expression
        The parsed expression, for :func:`formula_series` and :func:`max_window`.

    Raises
    ------
    CatalogueError
        For syntax errors, unknown functions, wrong numbers of arguments, non-integer windows,
        or anything but names, numbers, + − × ÷ and the catalogue functions.

    Examples
    --------
    >>> sorted(formula_series(parse_formula("per_capita(exports_cis + imports_cis)")))
    ['exports_cis', 'imports_cis', 'population_avg']
    """
    try:
        tree = ast.parse(formula, mode="eval")
    except SyntaxError as exc:
        raise CatalogueError(f"formula {formula!r}: syntax error ({exc.msg})") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                name = getattr(node.func, "id", ast.unparse(node.func))
                raise CatalogueError(
                    f"formula {formula!r}: unknown function {name!r}; known: {', '.join(FUNCTIONS)}"
                )
            nargs, windows = FUNCTIONS[node.func.id]
            if len(node.args) != nargs or node.keywords:
                raise CatalogueError(
                    f"formula {formula!r}: {node.func.id}() takes {nargs} argument(s)"
                )
            for i in windows:
                arg = node.args[i]
                if not (
                    isinstance(arg, ast.Constant)
                    and isinstance(arg.value, int)
                    and not isinstance(arg.value, bool)
                    and 1 <= arg.value <= 20
                ):
                    raise CatalogueError(
                        f"formula {formula!r}: the window of {node.func.id}() must be an "
                        "integer number of years between 1 and 20"
                    )
            if node.func.id == "static":
                arg = node.args[0]
                if not (isinstance(arg, ast.Name) and arg.id in STATIC_FACTS):
                    raise CatalogueError(
                        f"formula {formula!r}: static() takes one of {', '.join(STATIC_FACTS)}"
                    )
        elif isinstance(node, ast.BinOp):
            if not isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
                raise CatalogueError(f"formula {formula!r}: only + - * / are allowed")
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub):
                raise CatalogueError(f"formula {formula!r}: only unary minus is allowed")
        elif isinstance(node, ast.Constant):
            if not isinstance(node.value, (int, float)) or isinstance(node.value, bool):
                raise CatalogueError(
                    f"formula {formula!r}: constant {node.value!r} is not a number"
                )
        elif not isinstance(node, (ast.Expression, ast.Name, ast.Load, ast.operator, ast.unaryop)):
            raise CatalogueError(
                f"formula {formula!r}: {type(node).__name__} is not allowed in a formula"
            )
    return tree


def formula_series(tree: ast.AST) -> set[str]:
    """Raw series names a parsed formula reads (including implicit ones like population).

    Parameters
    ----------
    tree : ast.AST
        A formula parsed by :func:`parse_formula`.

    Returns
    -------
    set of str
        The series the formula needs from the dataset: its names, plus ``population_avg`` for
        ``per_capita``; the static facts inside ``static()`` and the window arguments are not
        series and are left out.
    """
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Call):
            fname = node.func.id  # type: ignore[attr-defined]
            if fname == "static":
                return
            if fname == "per_capita":
                names.add("population_avg")
            for i, arg in enumerate(node.args):
                if i not in FUNCTIONS[fname][1]:
                    visit(arg)
        elif isinstance(node, ast.Name):
            names.add(node.id)
        else:
            for child in ast.iter_child_nodes(node):
                visit(child)

    visit(tree)
    return names


# The static facts that measure both sides: the shared line and the way to Kazakh places.
_BOTH_SIDES_FACTS = {"border_kz_km", "kz_nearest_centre_km", "kz_astana_km"}


def border_side(tree: ast.AST) -> str:
    """Which side of the border a parsed formula reads.

    Kazakh series are named ``kz_*`` (the readers' convention); the distance and border facts
    inside ``static()`` and the ``per_border_km`` divisor belong to both sides.

    Parameters
    ----------
    tree : ast.AST
        A formula parsed by :func:`parse_formula`.

    Returns
    -------
    str
        ``"russian"`` (Rosstat series and the region's own area only), ``"kazakh"`` (Kazakh
        series only, e.g. a market potential seen from the Russian capital) or ``"both"``.

    Examples
    --------
    >>> border_side(parse_formula("unemployment_rate_lfs - kz_near(kz_unemployment_rate)"))
    'both'
    >>> border_side(parse_formula("per_capita(road_freight)"))
    'russian'
    """
    sides: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.func.id == "static":  # type: ignore[attr-defined]
            fact = node.args[0].id  # type: ignore[attr-defined]
            sides |= {"russian", "kazakh"} if fact in _BOTH_SIDES_FACTS else {"russian"}
        elif isinstance(node, ast.Call) and node.func.id == "per_border_km":  # type: ignore[attr-defined]
            sides |= {"russian", "kazakh"}
    for name in formula_series(tree):
        sides.add("kazakh" if name.startswith("kz_") else "russian")
    return "both" if len(sides) == 2 else sides.pop() if sides else "russian"


def max_window(tree: ast.AST) -> int:
    """Largest look-back of a formula in years (windows nest additively).

    Parameters
    ----------
    tree : ast.AST
        A formula parsed by :func:`parse_formula`.

    Returns
    -------
    int
        Years of history needed before the scored year: ``n`` for ``growth(x, n)`` and
        ``cagr(x, n)``, ``n - 1`` for ``mean(x, n)``, summed along nested calls, maximised over
        the branches; 0 for a formula on the current year only.
    """

    def visit(node: ast.AST) -> int:
        if isinstance(node, ast.Call):
            fname = node.func.id  # type: ignore[attr-defined]
            inner = max(
                (visit(a) for i, a in enumerate(node.args) if i not in FUNCTIONS[fname][1]),
                default=0,
            )
            own = 0
            if fname in ("growth", "cagr"):
                own = node.args[1].value  # type: ignore[attr-defined]
            elif fname == "mean":
                own = node.args[1].value - 1  # type: ignore[attr-defined]
            return inner + own
        return max((visit(c) for c in ast.iter_child_nodes(node)), default=0)

    return visit(tree)


def default_catalogue_path() -> Path:
    """The shipped catalogue ``features/data/indicators.toml``.

    Returns
    -------
    pathlib.Path
        Path of the catalogue file inside the installed package.
    """
    return Path(str(resources.files("border_readiness.features") / "data" / "indicators.toml"))


def load_catalogue(
    path: str | Path | None = None, *, known_series: set[str] | None = None
) -> list[Indicator]:
    """Load and validate an indicator catalogue.

    Parameters
    ----------
    path : path-like, optional
        A catalogue TOML file; default the shipped one.
    known_series : set of str, optional
        Series present in the data; a formula reading any other series is an error.

    Returns
    -------
    list of Indicator
        The entries in file order, validated.

    Raises
    ------
    CatalogueError
        Naming the file and the entry: unknown field, missing field, unknown level, direction not
        ±1, negative weight, duplicate id, bad formula, unknown series, a level with no indicator.

    Examples
    --------
    >>> cat = load_catalogue()
    >>> sorted({i.level for i in cat})
    ['context', 'joint_projects', 'social_services', 'transport_communication']
    """
    path = Path(path) if path else default_catalogue_path()
    from border_readiness.features._file_kinds import read_user_text

    if not path.exists():
        raise CatalogueError(f"{path}: catalogue file not found")
    text = read_user_text(path, CatalogueError, expected="a UTF-8 TOML indicator catalogue")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{path}: not valid TOML ({exc})") from None
    entries = raw.get("indicator")
    if not isinstance(entries, list) or not entries:
        raise CatalogueError(f"{path}: no [[indicator]] entries")
    extra = set(raw) - {"indicator", "description", "levels"}
    if extra:
        raise CatalogueError(f"{path}: unknown top-level key(s) {', '.join(sorted(extra))}")
    out: list[Indicator] = []
    seen: set[str] = set()
    for n, entry in enumerate(entries, start=1):
        name = entry.get("id", f"#{n}")
        where = f"{path.name}, indicator {name!r}"
        unknown = set(entry) - _FIELDS
        if unknown:
            raise CatalogueError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        for field in _REQUIRED:
            if field not in entry or entry[field] in ("", None):
                raise CatalogueError(f"{where}: missing {field!r}")
        if name in seen:
            raise CatalogueError(f"{where}: duplicate id")
        seen.add(name)
        if entry["level"] not in LEVELS:
            raise CatalogueError(
                f"{where}: level {entry['level']!r} is not one of {', '.join(LEVELS)}"
            )
        if entry["direction"] not in (1, -1) or isinstance(entry["direction"], bool):
            raise CatalogueError(f"{where}: direction must be 1 or -1, got {entry['direction']!r}")
        weight = entry.get("weight", 1.0)
        if not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight < 0:
            raise CatalogueError(f"{where}: weight must be a number >= 0, got {weight!r}")
        try:
            tree = parse_formula(str(entry["formula"]))
        except CatalogueError as exc:
            raise CatalogueError(f"{where}: {exc}") from None
        if known_series is not None:
            missing = sorted(formula_series(tree) - known_series)
            if missing:
                raise CatalogueError(f"{where}: formula reads unknown series {', '.join(missing)}")
        out.append(
            Indicator(
                id=str(name),
                level=entry["level"],
                formula=str(entry["formula"]),
                unit=str(entry["unit"]),
                direction=int(entry["direction"]),
                weight=float(weight),
                rationale=str(entry["rationale"]),
                label=str(entry.get("label", name)),
            )
        )
    for level in SCORED_LEVELS:
        if not any(i.level == level and i.weight > 0 for i in out):
            raise CatalogueError(f"{path.name}: level {level!r} has no indicator with weight > 0")
    _level_notes(raw.get("levels", {}), path)
    return out


@dataclass(frozen=True)
class LevelNote:
    """What a scored level measures, and what it would need that is not published.

    Examples
    --------
    >>> load_level_notes()["joint_projects"].not_published.startswith("Trade with Kazakhstan")
    True
    """

    level: str
    meaning: str
    not_published: str


def _level_notes(raw: object, path: Path) -> dict[str, LevelNote]:
    if not isinstance(raw, dict):
        raise CatalogueError(f"{path.name}: [levels] must be a table of [levels.<level>] tables")
    notes = {}
    for level, entry in raw.items():
        where = f"{path.name}, [levels.{level}]"
        if level not in SCORED_LEVELS:
            raise CatalogueError(f"{where}: not one of {', '.join(SCORED_LEVELS)}")
        if not isinstance(entry, dict) or set(entry) != {"meaning", "not_published"}:
            raise CatalogueError(f"{where}: expected exactly the fields meaning and not_published")
        if not all(isinstance(v, str) and v.strip() for v in entry.values()):
            raise CatalogueError(f"{where}: meaning and not_published must be non-empty text")
        notes[level] = LevelNote(
            level, " ".join(entry["meaning"].split()), " ".join(entry["not_published"].split())
        )
    return notes


def load_level_notes(path: str | Path | None = None) -> dict[str, LevelNote]:
    """The ``[levels.<level>]`` descriptions of a catalogue file.

    Parameters
    ----------
    path : path-like, optional
        A catalogue TOML file; default the shipped one.

    Returns
    -------
    dict of str to LevelNote
        By scored level, in file order; empty when the file describes no level (a user's
        catalogue need not).

    Raises
    ------
    CatalogueError
        When the file cannot be read or a ``[levels]`` table is malformed.

    Examples
    --------
    >>> list(load_level_notes())
    ['transport_communication', 'joint_projects', 'social_services']
    """
    path = Path(path) if path else default_catalogue_path()
    load_catalogue(path)  # the same checks, so a card never prints notes of a broken file
    return _level_notes(tomllib.loads(path.read_text(encoding="utf-8")).get("levels", {}), path)


def short_unit(unit: str) -> str:
    """The unit of a catalogue indicator without its source note and method, for reports.

    Parameters
    ----------
    unit : str
        The catalogue's ``unit`` text.

    Returns
    -------
    str
        The text before the first comma, colon or semicolon, with parentheses removed.

    Examples
    --------
    >>> short_unit("km, great circle from the regional capital (regions_geo.csv)")
    'km'
    >>> short_unit("% of households (Rosstat 17.6.2)")
    '% of households'
    >>> short_unit("mln KZT per km: sum over the 16 Kazakh territories")
    'mln KZT per km'
    """
    text = re.sub(r"\([^()]*\)", "", unit)
    return re.split(r"[,:;]", text)[0].strip()
